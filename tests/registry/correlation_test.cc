// Correlation of incident reports with observations and with each other, and the warnings that
// carry one operator's report to the others without naming it.
#include "mamori/registry/correlation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mamori::registry {
namespace {

const Timestamp kDetected = Timestamp::from_seconds(1'800'000'000);

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

Incident incident(std::string id, std::string organisation, std::vector<Indicator> indicators,
                  std::vector<std::string> affected = {}, std::vector<std::string> techniques = {},
                  Timestamp detected = kDetected) {
  IncidentReport report;
  report.phase = ReportPhase::first;
  report.reporter = "soc";
  report.organisation_id = organisation;
  report.detected_at = detected;
  report.known = "secret free text of " + organisation;
  report.affected_computers = std::move(affected);
  report.indicators = std::move(indicators);
  report.techniques = std::move(techniques);
  return Incident{std::move(id), std::move(organisation), "default", detected, {report}};
}

Organisation organisation(std::string id, std::vector<std::string> ci_sectors) {
  Organisation o;
  o.id = std::move(id);
  o.name = "name of " + o.id;
  o.ci_sectors = std::move(ci_sectors);
  return o;
}

ImportantComputer computer(std::string id, std::string organisation, std::string vendor,
                           std::string product) {
  ImportantComputer c;
  c.id = std::move(id);
  c.organisation_id = std::move(organisation);
  c.vendor = std::move(vendor);
  c.product = std::move(product);
  return c;
}

Observation record(std::string id, std::vector<IpAddress> addresses,
                   std::vector<std::string> names = {}, Timestamp at = kDetected) {
  return Observation{Observation::Kind::record, std::move(id),    at,       at,
                     std::move(addresses),      std::move(names), "rule c2"};
}

const Link* find_link(const CorrelationResult& result, std::string_view incident,
                      std::string_view target) {
  for (const auto& link : result.links) {
    if (link.incident_id == incident && link.target_id == target) return &link;
  }
  return nullptr;
}

TEST(Correlation, IncidentIndicatorsLinkToRecordsBySameAddressNetworkAndName) {
  const std::vector<Incident> incidents = {
      incident("inc-1", "org-a",
               {{IndicatorType::ip, "203.0.113.7", false},
                {IndicatorType::domain, "Evil.Example", false},
                {IndicatorType::url, "https://[2001:db8:5::1]:8443/gate.php", true}})};
  const std::vector<Observation> observations = {
      record("r-exact", {ip("133.242.0.9"), ip("203.0.113.7")}),
      record("r-net", {ip("203.0.113.99")}),
      record("r-sub", {}, {"cdn.evil.example"}),
      record("r-v6", {ip("2001:db8:5::77")}),
      record("r-other", {ip("198.51.100.7")}, {"evil.example.org", "notevil.example"}),
      // The same address, but a year later: outside the window.
      record("r-late", {ip("203.0.113.7")}, {}, kDetected + Duration::seconds(365LL * 86400)),
  };
  const auto result = correlate(incidents, observations, {}, {});
  const Link* exact = find_link(result, "inc-1", "r-exact");
  ASSERT_NE(exact, nullptr);
  EXPECT_EQ(exact->target_kind, "record");
  EXPECT_EQ(exact->reasons, std::vector<LinkReason>{LinkReason::same_indicator});
  EXPECT_EQ(exact->matched, std::vector<std::string>{"203.0.113.7"});
  const Link* network = find_link(result, "inc-1", "r-net");
  ASSERT_NE(network, nullptr);
  EXPECT_EQ(network->reasons, std::vector<LinkReason>{LinkReason::same_network});
  EXPECT_EQ(network->matched, std::vector<std::string>{"203.0.113.0/24"});
  EXPECT_LT(network->strength, exact->strength);
  ASSERT_NE(find_link(result, "inc-1", "r-sub"), nullptr);
  const Link* v6 = find_link(result, "inc-1", "r-v6");
  ASSERT_NE(v6, nullptr);  // the URL's IPv6 host, by its /48
  EXPECT_EQ(v6->reasons, std::vector<LinkReason>{LinkReason::same_network});
  EXPECT_EQ(find_link(result, "inc-1", "r-other"), nullptr);
  EXPECT_EQ(find_link(result, "inc-1", "r-late"), nullptr);
  // Strongest first within the incident.
  ASSERT_FALSE(result.links.empty());
  EXPECT_EQ(result.links.front().reasons.front(), LinkReason::same_indicator);
}

TEST(Correlation, IncidentsOfDifferentOperatorsLinkByIndicatorHashAndProduct) {
  const std::vector<ImportantComputer> computers = {
      computer("a/vpn", "org-a", "Fortinet", "FortiGate"),
      computer("b/vpn", "org-b", "ＦＯＲＴＩＮＥＴ", "fortigate"),
      computer("c/fw", "org-c", "Palo Alto Networks", "PAN-OS"),
  };
  const std::string hash(64, 'a');
  const std::vector<Incident> incidents = {
      incident("inc-a", "org-a", {{IndicatorType::sha256, hash, false}}, {"a/vpn"},
               {"T1190", "T1059"}),
      incident("inc-b", "org-b", {{IndicatorType::sha256, std::string(64, 'A'), false}}, {"b/vpn"},
               {"T1190"}),
      // Shares only a technique with inc-a: no link.
      incident("inc-c", "org-c", {{IndicatorType::ip, "192.0.2.1", false}}, {"c/fw"}, {"T1190"}),
  };
  const auto result = correlate(incidents, {}, {}, computers);
  const Link* ab = find_link(result, "inc-a", "inc-b");
  ASSERT_NE(ab, nullptr);
  EXPECT_EQ(ab->target_kind, "incident");
  EXPECT_EQ(ab->reasons,
            (std::vector<LinkReason>{LinkReason::same_indicator, LinkReason::same_product,
                                     LinkReason::same_technique}));
  EXPECT_NE(find_link(result, "inc-b", "inc-a"), nullptr);
  EXPECT_EQ(find_link(result, "inc-a", "inc-c"), nullptr);
  EXPECT_EQ(find_link(result, "inc-c", "inc-a"), nullptr);
}

TEST(Correlation, WarningsReachTheSameSectorAndProductWithoutNamingTheReporter) {
  const std::vector<Organisation> organisations = {
      organisation("org-a", {"electricity"}),
      organisation("org-b", {"electricity"}),
      organisation("org-c", {"finance"}),
      organisation("org-d", {"finance"}),
  };
  const std::vector<ImportantComputer> computers = {
      computer("a/vpn", "org-a", "Fortinet", "FortiGate"),
      computer("c/vpn", "org-c", "fortinet", "FORTIGATE"),
  };
  const std::vector<Incident> incidents = {incident(
      "inc-a", "org-a", {{IndicatorType::domain, "evil.example", true}}, {"a/vpn"}, {"T1190"})};
  const std::vector<Observation> observations = {record("r1", {}, {"evil.example"})};
  const auto result = correlate(incidents, observations, organisations, computers);
  ASSERT_EQ(result.warnings.size(), 2u);
  EXPECT_EQ(result.warnings[0].organisation_id, "org-b");  // same sector
  EXPECT_EQ(result.warnings[0].sectors, std::vector<std::string>{"electricity"});
  EXPECT_TRUE(result.warnings[0].products.empty());
  EXPECT_EQ(result.warnings[1].organisation_id, "org-c");  // same product, other sector
  EXPECT_EQ(result.warnings[1].products, std::vector<std::string>{"fortinet fortigate"});
  EXPECT_TRUE(result.warnings[1].sectors.empty());
  EXPECT_EQ(result.warnings[1].observations, 1u);
  ASSERT_EQ(result.warnings[1].indicators.size(), 1u);
  EXPECT_TRUE(result.warnings[1].indicators[0].uncertain);
  EXPECT_EQ(result.warnings[1].techniques, std::vector<std::string>{"T1190"});
  // No warning to the reporter itself or to org-d, which shares neither.
  for (const auto& warning : result.warnings) {
    const std::string text = to_json(warning).dump();
    EXPECT_EQ(text.find("org-a"), std::string::npos) << text;
    EXPECT_EQ(text.find("inc-a"), std::string::npos) << text;
    EXPECT_EQ(text.find("a/vpn"), std::string::npos) << text;
    EXPECT_EQ(text.find("secret free text"), std::string::npos) << text;
    EXPECT_EQ(text.find("soc"), std::string::npos) << text;
    EXPECT_TRUE(warning.incident_ref.starts_with("ref-")) << warning.incident_ref;
    EXPECT_NE(warning.organisation_id, "org-d");
  }
}

TEST(Correlation, LaterReportsUpdateIndicatorsAndPseudonymsNeverMatch) {
  Incident inc = incident("inc-1", "org-a", {{IndicatorType::ip, "203.0.113.7", true}});
  IncidentReport interim = inc.reports.front();
  interim.phase = ReportPhase::interim;
  interim.indicators = {{IndicatorType::ip, "203.0.113.7", false},
                        {IndicatorType::md5, std::string(32, 'b'), false}};
  inc.reports.push_back(interim);
  const auto indicators = incident_indicators(inc);
  ASSERT_EQ(indicators.size(), 2u);
  EXPECT_FALSE(indicators[0].uncertain);
  // A record whose only address equals the indicator as a pseudonym is not linkable: the
  // observation carries clear addresses only, so the caller leaves pseudonyms out.
  const auto result = correlate({inc}, {record("r-pseudo", {})}, {}, {});
  EXPECT_TRUE(result.links.empty());
}

}  // namespace
}  // namespace mamori::registry
