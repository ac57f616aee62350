// Tests for registry/incidents: report phases and their required fields, who/when stamping,
// regimes and the overdue query at an injected `now` (expectations computed by hand), and
// rendering one incident for the PPC leak report and the telecom serious-accident report.

#include "mamori/registry/incidents.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mamori::registry {
namespace {

using nlohmann::json;

const AttackCatalog& catalog() {
  static const AttackCatalog loaded = [] {
    auto result = AttackCatalog::load(std::string(MAMORI_SOURCE_DIR) +
                                      "/data/attack-enterprise-techniques.csv");
    if (!result) {
      ADD_FAILURE() << result.error().message;
      return AttackCatalog{};
    }
    return std::move(*result);
  }();
  return loaded;
}

Timestamp at(const char* text) {
  auto parsed = parse_rfc3339(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(Timestamp{});
}

constexpr Duration hours(std::int64_t n) { return Duration::seconds(n * 3600); }
constexpr Duration days(std::int64_t n) { return Duration::seconds(n * 86400); }

json minimal_first() {
  return {{"phase", "速報"},
          {"reporter", "CSIRT duty officer"},
          {"organisation_id", "org-0001"},
          {"detected_at", "2026-11-30T09:00:00+09:00"},
          {"affected_computers", json::array()},
          {"known", "VPN gateway logs show logins from an unknown address"}};
}

json complete_final() {
  json report = minimal_first();
  report["phase"] = "final";
  report["cause"] = "unpatched VPN gateway";
  report["service_impact"] = "remote access stopped for 6 hours";
  report["techniques"] = {"T1190", "T1059.004"};
  report["indicators"] = {{{"type", "ip"}, {"value", "203.0.113.10"}},
                          {{"type", "domain"}, {"value", "c2.example.com"}},
                          {{"type", "sha256"}, {"value", std::string(64, 'a')}}};
  report["measures"] = "gateway patched, credentials reset";
  return report;
}

std::string error_of(const json& report) {
  auto parsed = report_from_json(report, catalog());
  return parsed ? std::string("(accepted)") : parsed.error().message;
}

// Found by fuzz/registry_incident_fuzz: a number too large for a double made the JSON library
// throw out_of_range, which escaped as a crash.
TEST(IncidentReport, NumbersOutOfRangeAreErrorsNotCrashes) {
  for (const std::string& text : {std::string(376, '2'), std::string("{\"phase\": 1e999}")}) {
    auto report = parse_report(text, catalog());
    ASSERT_FALSE(report);
    EXPECT_NE(report.error().message.find("out of range"), std::string::npos);
    EXPECT_FALSE(parse_regimes(text, "regimes.json"));
  }
}

TEST(IncidentReport, MinimalFirstReportIsAcceptedAndStartsTheClock) {
  auto report = report_from_json(minimal_first(), catalog());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->phase, ReportPhase::first);
  EXPECT_TRUE(report->affected_computers.empty());

  auto incident = open_incident("inc-1", "designated", *report, catalog(), "user:tanaka",
                                at("2026-11-30T03:00:00Z"));
  ASSERT_TRUE(incident) << incident.error().message;
  EXPECT_EQ(incident->detected_at, at("2026-11-30T00:00:00Z"));
  EXPECT_EQ(incident->organisation_id, "org-0001");
  ASSERT_EQ(incident->reports.size(), 1u);
  EXPECT_EQ(incident->reports[0].submitted_by, "user:tanaka");
  EXPECT_EQ(incident->reports[0].submitted_at, at("2026-11-30T03:00:00Z"));

  const Regime regime{"designated", "特定侵害事象等の報告", "Incident report", hours(24), days(30)};
  const Deadlines due = deadlines(*incident, regime);
  EXPECT_EQ(due.first_report_due, at("2026-12-01T00:00:00Z"));
  EXPECT_EQ(due.final_report_due, at("2026-12-30T00:00:00Z"));
}

TEST(IncidentReport, MissingMinimalFieldsAreNamed) {
  json report = minimal_first();
  report.erase("reporter");
  report.erase("detected_at");
  EXPECT_EQ(error_of(report),
            "first report (速報): missing required fields: reporter, detected_at");
  report = minimal_first();
  report["known"] = "   ";
  EXPECT_EQ(error_of(report), "first report (速報): missing required fields: known");
  report = minimal_first();
  report.erase("phase");
  EXPECT_NE(error_of(report).find("phase: is required"), std::string::npos);
}

TEST(IncidentReport, FieldNamingAndTypeErrors) {
  json report = minimal_first();
  report["detcted_at"] = "2026-11-30T00:00:00Z";
  EXPECT_EQ(error_of(report), "detcted_at: unknown field");
  report = minimal_first();
  report["detected_at"] = "yesterday";
  EXPECT_NE(error_of(report).find("detected_at: must be an RFC 3339 time"), std::string::npos);
  report = minimal_first();
  report["affected_computers"] = {"org-0001/vpn-1", 7};
  EXPECT_EQ(error_of(report), "affected_computers[1]: must be a string");
  report = minimal_first();
  report["persons_affected"] = -3;
  EXPECT_EQ(error_of(report), "persons_affected: must be a non-negative integer");
  EXPECT_EQ(error_of(json::array()), "must be a JSON object");
  auto broken = parse_report("{\"phase\": ", catalog());
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("invalid JSON at byte"), std::string::npos);
}

TEST(IncidentReport, AnyFieldMayBeMarkedUncertain) {
  json report = minimal_first();
  report["affected_computers"] = {"org-0001/vpn-1"};
  report["uncertain"] = {"affected_computers", "detected_at"};
  auto parsed = report_from_json(report, catalog());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->uncertain, (std::vector<std::string>{"affected_computers", "detected_at"}));
  report["uncertain"] = {"colour"};
  EXPECT_EQ(error_of(report), "uncertain[0]: not a report field");
}

TEST(IncidentReport, FinalReportWithoutRequiredFieldsIsRejectedNamingThem) {
  json report = minimal_first();
  report["phase"] = "確報";
  EXPECT_EQ(error_of(report),
            "final report (確報): missing required fields: cause, service_impact, techniques, "
            "indicators, measures");
  json partial = complete_final();
  partial.erase("measures");
  partial.erase("techniques");
  EXPECT_EQ(error_of(partial),
            "final report (確報): missing required fields: techniques, measures");
  EXPECT_EQ(error_of(complete_final()), "(accepted)");
}

TEST(IncidentReport, FinalReportTechniquesAndIndicatorsAreChecked) {
  json report = complete_final();
  report["techniques"] = {"T1190", "T1109"};
  report["indicators"] = {{{"type", "ip"}, {"value", "203.0.113.300"}},
                          {{"type", "hash"}, {"value", "abc"}}};
  const std::string message = error_of(report);
  EXPECT_NE(message.find("techniques[1]: unknown ATT&CK technique T1109; did you mean T1190"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("indicators[1].type: unknown indicator type"), std::string::npos)
      << message;
  report["indicators"] = {{{"type", "ip"}, {"value", "203.0.113.300"}}};
  EXPECT_EQ(error_of(report).substr(error_of(report).find("indicators")),
            "indicators[0].value: not an IPv4 or IPv6 address");
  // The indicator value itself never appears in the message.
  EXPECT_EQ(error_of(report).find("203.0.113.300"), std::string::npos);
}

TEST(Indicator, TypesAreChecked) {
  struct Case {
    IndicatorType type;
    const char* value;
    bool ok;
  };
  const std::vector<Case> cases = {
      {IndicatorType::ip, "203.0.113.10", true},
      {IndicatorType::ip, "2001:db8::1", true},
      {IndicatorType::ip, "203.0.113", false},
      {IndicatorType::ip, "example.com", false},
      {IndicatorType::domain, "c2.example.com", true},
      {IndicatorType::domain, "xn--eckwd4c7c.xn--zckzah", true},
      {IndicatorType::domain, "localhost", false},
      {IndicatorType::domain, "203.0.113.10", false},
      {IndicatorType::domain, "-bad.example.com", false},
      {IndicatorType::domain, "a..example.com", false},
      {IndicatorType::url, "https://c2.example.com/gate.php", true},
      {IndicatorType::url, "http://203.0.113.10:8080/x", true},
      {IndicatorType::url, "http://[2001:db8::1]/", true},
      {IndicatorType::url, "HTTPS://user@evil.example.org", true},
      {IndicatorType::url, "c2.example.com/gate.php", false},
      {IndicatorType::url, "javascript:alert(1)", false},
      {IndicatorType::url, "https://exa mple.com/", false},
      {IndicatorType::md5, "d41d8cd98f00b204e9800998ecf8427e", true},
      {IndicatorType::md5, "d41d8cd98f00b204e9800998ecf8427", false},
      {IndicatorType::sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", true},
      {IndicatorType::sha1, "da39a3ee5e6b4b0d3255bfef95601890afd8070g", false},
      {IndicatorType::sha256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
       true},
      {IndicatorType::sha256, "", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(check_indicator({c.type, c.value, false}).has_value(), c.ok)
        << to_string(c.type) << " " << c.value;
  }
}

TEST(Incident, ReportsAreRecordedWithWhoAndWhen) {
  auto first = report_from_json(minimal_first(), catalog());
  ASSERT_TRUE(first);
  auto incident = open_incident("inc-7", "designated", *first, catalog(), "user:tanaka",
                                at("2026-11-30T01:00:00Z"));
  ASSERT_TRUE(incident) << incident.error().message;

  json interim = {{"phase", "interim"},
                  {"reporter", "CSIRT"},
                  {"organisation_id", "org-0001"},
                  {"cause", "VPN gateway vulnerability suspected"},
                  {"uncertain", {"cause"}},
                  {"submitted_by", "forged"}};
  auto report = report_from_json(interim, catalog());
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_TRUE(
      submit_report(*incident, *report, catalog(), "user:suzuki", at("2026-11-30T05:00:00Z")));
  ASSERT_EQ(incident->reports.size(), 2u);
  EXPECT_EQ(incident->reports[1].submitted_by, "user:suzuki");
  EXPECT_EQ(incident->reports[1].submitted_at, at("2026-11-30T05:00:00Z"));

  // A second first report and another organisation's report are refused.
  auto again =
      submit_report(*incident, *first, catalog(), "user:tanaka", at("2026-11-30T06:00:00Z"));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already has a first report"), std::string::npos);
  IncidentReport other = *report;
  other.organisation_id = "org-0002";
  EXPECT_FALSE(submit_report(*incident, other, catalog(), "user:x", at("2026-11-30T06:00:00Z")));
  EXPECT_EQ(incident->reports.size(), 2u);

  // An incident does not start with an interim report.
  EXPECT_FALSE(open_incident("inc-8", "designated", *report, catalog(), "user:x",
                             at("2026-11-30T06:00:00Z")));

  // The stored form reads back with who/when.
  const json stored = incident_to_json(*incident);
  auto back = incident_from_json(stored);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(incident_to_json(*back), stored);
  EXPECT_EQ(back->reports[0].submitted_by, "user:tanaka");
  EXPECT_EQ(back->reports[1].submitted_at, at("2026-11-30T05:00:00Z"));
  json tampered = stored;
  tampered["reports"][1]["phaze"] = "final";
  auto rejected = incident_from_json(tampered);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().message, "incident.reports[1].phaze: unknown field");
}

const std::vector<Regime>& test_regimes() {
  static const std::vector<Regime> regimes = [] {
    auto parsed = parse_regimes(R"({"regimes": [
      {"id": "a", "name_ja": "制度A", "name_en": "Regime A",
       "first_report_within": "24h", "final_report_within": "30d"},
      {"id": "b", "name_ja": "制度B", "name_en": "Regime B",
       "first_report_within": "72h", "final_report_within": "60d"}]})",
                                "regimes.json");
    EXPECT_TRUE(parsed) << parsed.error().message;
    return parsed.value_or(std::vector<Regime>{});
  }();
  return regimes;
}

Incident incident(const char* id, const char* regime, const char* detected,
                  std::vector<ReportPhase> phases) {
  Incident out{id, "org-0001", regime, at(detected), {}};
  for (ReportPhase phase : phases) {
    IncidentReport report;
    report.phase = phase;
    out.reports.push_back(report);
  }
  return out;
}

TEST(Overdue, ListsOutstandingReportsMostOverdueFirst) {
  using enum ReportPhase;
  // now = 2026-12-01T00:00Z. Regime a: first 24h, final 30d; regime b: first 72h, final 60d.
  const std::vector<Incident> incidents = {
      // first due 12-01T12:00 (not yet), final due 12-30.
      incident("inc-a", "a", "2026-11-30T12:00:00Z", {first}),
      // no report: first due 11-30T00:00 → 1 day overdue.
      incident("inc-g", "a", "2026-11-29T00:00:00Z", {}),
      // first given; final due 10-31T00:00 → 31 days overdue.
      incident("inc-c", "a", "2026-10-01T00:00:00Z", {first, interim}),
      // complete.
      incident("inc-d", "b", "2026-09-01T00:00:00Z", {first, final_}),
      // no report: first due 09-18 → 74 days; final due 11-14 → 17 days.
      incident("inc-e", "b", "2026-09-15T00:00:00Z", {}),
      // first due exactly now: not yet overdue.
      incident("inc-f", "a", "2026-11-30T00:00:00Z", {}),
      // an interim report sent without a 速報 counts as the first report; final not yet due.
      incident("inc-h", "b", "2026-10-20T00:00:00Z", {interim}),
      // same as inc-g: ties are ordered by incident id.
      incident("inc-b", "a", "2026-11-29T00:00:00Z", {}),
  };
  auto listed = overdue(incidents, test_regimes(), at("2026-12-01T00:00:00Z"));
  ASSERT_TRUE(listed) << listed.error().message;
  struct Expected {
    std::string id;
    ReportPhase phase;
    Timestamp due;
    Duration by;
  };
  const std::vector<Expected> expected = {
      {"inc-e", first, at("2026-09-18T00:00:00Z"), days(74)},
      {"inc-c", final_, at("2026-10-31T00:00:00Z"), days(31)},
      {"inc-e", final_, at("2026-11-14T00:00:00Z"), days(17)},
      {"inc-b", first, at("2026-11-30T00:00:00Z"), days(1)},
      {"inc-g", first, at("2026-11-30T00:00:00Z"), days(1)},
  };
  ASSERT_EQ(listed->size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*listed)[i].incident->id, expected[i].id) << i;
    EXPECT_EQ((*listed)[i].phase, expected[i].phase) << i;
    EXPECT_EQ((*listed)[i].due, expected[i].due) << i;
    EXPECT_EQ((*listed)[i].overdue_by, expected[i].by) << i;
  }

  // One second later inc-f's first report is overdue too, at the end of the list.
  auto later = overdue(incidents, test_regimes(), at("2026-12-01T00:00:01Z"));
  ASSERT_TRUE(later);
  ASSERT_EQ(later->size(), 6u);
  EXPECT_EQ(later->back().incident->id, "inc-f");
  EXPECT_EQ(later->back().overdue_by, Duration::seconds(1));
}

TEST(Overdue, UnknownRegimeIsAnErrorNamingTheIncident) {
  const std::vector<Incident> incidents = {incident("inc-z", "nope", "2026-11-01T00:00:00Z", {})};
  auto listed = overdue(incidents, test_regimes(), at("2026-12-01T00:00:00Z"));
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().message, "incident inc-z: unknown reporting regime 'nope'");
}

TEST(Regimes, FieldErrorsAreNamed) {
  ASSERT_EQ(test_regimes().size(), 2u);
  EXPECT_EQ(test_regimes()[1].final_report_within, days(60));
  auto error = [](const char* text) {
    auto parsed = parse_regimes(text, "r.json");
    return parsed ? std::string("(accepted)") : parsed.error().message;
  };
  EXPECT_EQ(error(R"({"regimes": [{"id": "a", "name_ja": "A", "name_en": "A",
      "first_report_within": "soon", "final_report_within": "30d"}]})"),
            "r.json: regimes[0].first_report_within: must be a positive duration such as \"24h\" "
            "or \"30d\"");
  EXPECT_EQ(error(R"({"regimes": [{"id": "a", "name_ja": "A", "name_en": "A",
      "first_report_within": "24h", "final_report_within": "30d", "grace": "1h"}]})"),
            "r.json: regimes[0].grace: unknown field");
  EXPECT_EQ(error(R"({"regimes": [{"id": "a", "name_ja": "A",
      "first_report_within": "24h", "final_report_within": "1h"}]})"),
            "r.json: regimes[0].name_en: is required; regimes[0].final_report_within: is shorter "
            "than first_report_within");
  EXPECT_EQ(error(R"({"regimes": [
      {"id": "a", "name_ja": "A", "name_en": "A", "first_report_within": "1h", "final_report_within": "2h"},
      {"id": "a", "name_ja": "B", "name_en": "B", "first_report_within": "1h", "final_report_within": "2h"}]})"),
            "r.json: regimes[1].id: duplicates an earlier regime");
  EXPECT_EQ(error(R"({"regime": []})"), "r.json: regime: unknown field");
  EXPECT_NE(error("{").find("r.json: invalid JSON at byte"), std::string::npos);
  EXPECT_FALSE(load_regimes("/nonexistent/regimes.json"));
}

Incident leak_incident() {
  auto first = report_from_json(minimal_first(), catalog());
  EXPECT_TRUE(first);
  auto opened =
      open_incident("inc-9", "a", *first, catalog(), "user:tanaka", at("2026-11-30T01:00:00Z"));
  EXPECT_TRUE(opened);
  json interim = {{"phase", "interim"},
                  {"reporter", "CSIRT"},
                  {"organisation_id", "org-0001"},
                  {"known", "customer database accessed through the VPN gateway"},
                  {"cause", "VPN gateway vulnerability"},
                  {"service_impact", "online customer portal stopped"},
                  {"personal_data_items", {"氏名", "メールアドレス"}},
                  {"persons_affected", 1200},
                  {"uncertain", {"cause"}}};
  auto report = report_from_json(interim, catalog());
  EXPECT_TRUE(report) << report.error().message;
  EXPECT_TRUE(
      submit_report(*opened, *report, catalog(), "user:suzuki", at("2026-12-01T01:00:00Z")));
  return std::move(*opened);
}

const json* field(const json& form, std::string_view key) {
  for (const json& f : form["fields"]) {
    if (f["key"] == key) return &f;
  }
  return nullptr;
}

TEST(Render, PpcLeakReportFillsWhatItCanAndListsTheRest) {
  const json form = render_ppc_leak_report(leak_incident());
  EXPECT_EQ(form["form"], "ppc-personal-data-leak");
  EXPECT_EQ(form["incident_id"], "inc-9");
  ASSERT_EQ(form["fields"].size(), 8u);
  // The later (interim) statement replaces the first report's summary.
  EXPECT_EQ((*field(form, "summary"))["value"],
            "customer database accessed through the VPN gateway");
  EXPECT_EQ((*field(form, "personal_data_items"))["value"], json({"氏名", "メールアドレス"}));
  EXPECT_EQ((*field(form, "persons_affected"))["value"], 1200);
  EXPECT_EQ((*field(form, "cause"))["status"], "filled");
  EXPECT_EQ((*field(form, "cause"))["uncertain"], true);
  EXPECT_FALSE(field(form, "summary")->contains("uncertain"));
  EXPECT_EQ((*field(form, "prevention"))["status"], "to_be_completed");
  EXPECT_EQ(form["to_be_completed"],
            json({"secondary_damage", "response_to_persons", "publication", "prevention"}));
}

TEST(Render, TelecomAccidentReportFillsWhatItCanAndListsTheRest) {
  const json form = render_telecom_accident_report(leak_incident());
  EXPECT_EQ(form["form"], "telecom-serious-accident");
  ASSERT_EQ(form["fields"].size(), 6u);
  EXPECT_EQ((*field(form, "impact_scope"))["value"], "online customer portal stopped");
  EXPECT_EQ((*field(form, "impact_scope"))["source"], "service_impact");
  EXPECT_EQ((*field(form, "cause"))["value"], "VPN gateway vulnerability");
  EXPECT_EQ(form["to_be_completed"], json({"occurred_at", "users_affected", "measures"}));
}

}  // namespace
}  // namespace mamori::registry
