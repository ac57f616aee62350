#include "mamori/registry/vulnerabilities.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mamori/registry/notices.h"

namespace mamori::registry {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const std::string& kev_text() {
  static const std::string text = read_file(std::string(MAMORI_SOURCE_DIR) + "/data/kev.json");
  return text;
}

std::vector<std::string> error_strings(const VulnerabilityImport& result) {
  std::vector<std::string> out;
  for (const auto& e : result.errors) out.push_back(e.to_string());
  return out;
}

// --- KEV import -------------------------------------------------------------------------------

TEST(KevImport, ImportsTheVendoredCatalog) {
  ASSERT_FALSE(kev_text().empty()) << "data/kev.json missing";
  const VulnerabilityImport result = import_kev(kev_text(), "kev.json");
  EXPECT_TRUE(result.errors.empty()) << ::testing::PrintToString(error_strings(result));
  ASSERT_EQ(result.entries.size(), 1404u);
  EXPECT_EQ(result.catalog_version, "2025.08.25");

  // Spot checks against data/kev.json (looked up with python before writing them here).
  const Vulnerability& first = result.entries.front();
  EXPECT_EQ(first.cve_id, "CVE-2025-48384");
  EXPECT_EQ(first.vendor, "Git");
  EXPECT_EQ(first.product, "Git");
  EXPECT_EQ(first.cwes, (std::vector<std::string>{"CWE-59", "CWE-436"}));
  EXPECT_EQ(result.entries.back().cve_id, "CVE-2020-29583");
  EXPECT_EQ(result.entries.back().product, "Multiple Products");

  VulnerabilityCatalog catalog;
  catalog.add(result.entries);
  const Vulnerability* fortios = catalog.find("CVE-2024-21762");
  ASSERT_NE(fortios, nullptr);
  EXPECT_EQ(fortios->vendor, "Fortinet");
  EXPECT_EQ(fortios->product, "FortiOS");
  EXPECT_EQ(fortios->name, "Fortinet FortiOS Out-of-Bound Write Vulnerability");
  EXPECT_EQ(fortios->date_added, "2024-02-09");
  EXPECT_EQ(fortios->due_date, "2024-02-16");
  EXPECT_EQ(fortios->known_ransomware, std::optional<bool>(true));
  EXPECT_EQ(fortios->source, VulnerabilitySource::kev);
  EXPECT_FALSE(fortios->confidential);
  EXPECT_FALSE(fortios->patch_available.has_value());
  EXPECT_TRUE(fortios->affected.empty());

  const Vulnerability* fortiweb = catalog.find("CVE-2025-25257");
  ASSERT_NE(fortiweb, nullptr);
  EXPECT_EQ(fortiweb->product, "FortiWeb");
  EXPECT_EQ(fortiweb->due_date, "2025-08-08");
  EXPECT_FALSE(fortiweb->known_ransomware.has_value());  // "Unknown"

  std::size_t known = 0;
  for (const auto& v : result.entries) known += v.known_ransomware == true ? 1 : 0;
  EXPECT_EQ(known, 293u);
  EXPECT_EQ(catalog.find("CVE-1999-0001"), nullptr);
}

TEST(KevImport, BadEntriesAreNamedByIndexAndFieldWhileTheRestImport) {
  const std::string text = R"({
    "title": "test", "catalogVersion": "t", "dateReleased": "2025-08-25T00:00:00Z", "count": 9,
    "vulnerabilities": [
      {"cveID": "CVE-2024-0001", "vendorProject": "A", "product": "P", "vulnerabilityName": "n",
       "dateAdded": "2024-01-01", "shortDescription": "d", "requiredAction": "r",
       "dueDate": "2024-01-22", "knownRansomwareCampaignUse": "Known", "cwes": ["CWE-79"]},
      {"cveID": "CVE-2024-0002", "vendorProject": "A", "product": "P", "vulnerabilityName": "n",
       "dateAdded": "2024-01-01", "shortDescription": "d", "requiredAction": "r"},
      {"cveID": "CVE-24-3", "vendorProject": "A", "product": "P", "vulnerabilityName": "n",
       "dateAdded": "2024-01-01", "shortDescription": "d", "requiredAction": "r",
       "dueDate": "2024-01-22"},
      "not an object",
      {"cveID": "CVE-2024-0004", "vendorProject": "A", "product": 7, "vulnerabilityName": "n",
       "dateAdded": "2024-02-30", "shortDescription": "d", "requiredAction": "r",
       "dueDate": "2024-01-22", "knownRansomwareCampaignUse": "maybe", "cwes": ["XSS"]},
      {"cveID": "CVE-2024-0001", "vendorProject": "A", "product": "P", "vulnerabilityName": "n",
       "dateAdded": "2024-01-01", "shortDescription": "d", "requiredAction": "r",
       "dueDate": "2024-01-22"},
      {"cveID": "CVE-2024-0006", "vendorProject": "B", "product": "Q", "vulnerabilityName": "n",
       "dateAdded": "2024-01-01", "shortDescription": "d", "requiredAction": "r",
       "dueDate": "2024-01-22", "newFieldFromCisa": 1}
    ]})";
  const VulnerabilityImport result = import_kev(text, "kev.json");
  ASSERT_EQ(result.entries.size(), 2u);
  EXPECT_EQ(result.entries[0].cve_id, "CVE-2024-0001");
  EXPECT_EQ(result.entries[1].cve_id, "CVE-2024-0006");  // unknown fields are tolerated

  using Problem = std::tuple<std::optional<std::size_t>, std::string>;
  std::vector<Problem> problems;
  for (const auto& e : result.errors) problems.emplace_back(e.index, e.field);
  const std::vector<Problem> expected = {
      {std::nullopt, "count"},
      {1, "dueDate"},
      {2, "cveID"},
      {3, ""},
      {4, "product"},
      {4, "dateAdded"},
      {4, "knownRansomwareCampaignUse"},
      {4, "cwes[0]"},
      {5, "cveID"},
  };
  EXPECT_EQ(problems, expected) << ::testing::PrintToString(error_strings(result));
  const auto messages = error_strings(result);
  ASSERT_EQ(messages.size(), expected.size());
  EXPECT_EQ(messages[0], "kev.json: count: says 9 but the file holds 7 entries");
  EXPECT_EQ(messages[1], "kev.json: vulnerabilities[1].dueDate: missing required field");
  EXPECT_EQ(messages[5], "kev.json: vulnerabilities[4].dateAdded: not a date (YYYY-MM-DD)");
  EXPECT_EQ(messages[8],
            "kev.json: vulnerabilities[5].cveID: repeats the id of vulnerabilities[0]");
}

TEST(KevImport, OneCorruptEntryInTheRealCatalogCostsOnlyThatEntry) {
  nlohmann::json document = nlohmann::json::parse(kev_text());
  document["vulnerabilities"][700].erase("dueDate");
  document["vulnerabilities"][1000]["cveID"] = 12;
  const VulnerabilityImport result = import_kev(document.dump(), "kev.json");
  EXPECT_EQ(result.entries.size(), 1402u);
  ASSERT_EQ(result.errors.size(), 2u) << ::testing::PrintToString(error_strings(result));
  EXPECT_EQ(result.errors[0].to_string(),
            "kev.json: vulnerabilities[700].dueDate: missing required field");
  EXPECT_EQ(result.errors[1].to_string(),
            "kev.json: vulnerabilities[1000].cveID: must be a string");
}

TEST(KevImport, FileLevelProblemsAreReportedWithoutACrash) {
  auto result = import_kev("{\n  \"count\": 1,\n  \"vulnerabilities\": [\n  }", "kev.json");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_TRUE(result.entries.empty());
  EXPECT_EQ(result.errors[0].to_string(), "kev.json: not valid JSON at line 4 (byte 42)");

  result = import_kev("[]", "kev.json");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].to_string(), "kev.json: top level must be a JSON object");

  result = import_kev(R"({"catalogVersion": "x", "dateReleased": "y", "count": 0})", "k.json");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].to_string(), "k.json: vulnerabilities: missing or not an array");

  result = import_kev(R"({"vulnerabilities": []})", "k.json");
  EXPECT_EQ(error_strings(result),
            (std::vector<std::string>{"k.json: catalogVersion: missing or not a string",
                                      "k.json: dateReleased: missing or not a string",
                                      "k.json: count: missing or not an integer"}));
  result = import_kev(std::string("\xFF\xFE{", 3), "k.json");
  EXPECT_EQ(result.errors.size(), 1u);
  result = import_kev("", "k.json");
  EXPECT_EQ(result.errors.size(), 1u);
}

// --- Government entries ----------------------------------------------------------------------

constexpr std::string_view kGovernmentFile = R"json({
  "format": "mamori-government-vulnerabilities-v1",
  "vulnerabilities": [
    {"cve_id": "GOV-2026-0001", "vendor": "株式会社サンプル電機", "product": "EX-Router",
     "name": "EX-Router 認証回避 (fictional test entry)", "date_added": "2026-11-20",
     "exploited_in_japan": true, "affected": [{"from": "10.0"}]},
    {"cve_id": "CVE-2025-25257", "vendor": "Fortinet", "product": "FortiWeb",
     "name": "Fortinet FortiWeb SQL Injection Vulnerability", "date_added": "2025-07-18",
     "confidential": false,
     "affected": [{"from": "7.6.0", "fixed_in": "7.6.4"}, {"from": "7.4.0", "fixed_in": "7.4.8"},
                  {"from": "7.2.0", "fixed_in": "7.2.11"}, {"from": "7.0.0", "fixed_in": "7.0.11"}]},
    {"cve_id": "GOV-2026-0002", "vendor": "Example", "product": "Widget", "name": "n",
     "date_added": "2026-11-21", "severity": "SECRET-CANARY",
     "affected": [{"from": "SECRET-CANARY"}, {"from": "2.0", "fixed_in": "1.9"},
                  {"vendor": "Example"}, {"cpe": "cpe:2.3:a:*:*"}, {"fixd_in": "3"}]},
    {"cve_id": "CVE-2026-0003", "vendor": "Example", "product": "Gadget", "name": "n",
     "date_added": "SECRET-CANARY", "due_date": "2026-13-01", "confidential": "yes"},
    {"cve_id": "JVN#0001", "vendor": " ", "product": "x", "name": "n", "date_added": "2026-11-21"}
  ]})json";

TEST(GovernmentImport, ReadsRangesDefaultsAndRejectsBadEntriesByField) {
  const VulnerabilityImport result = import_government(kGovernmentFile, "gov.json");
  ASSERT_EQ(result.entries.size(), 2u) << ::testing::PrintToString(error_strings(result));
  const Vulnerability& pre = result.entries[0];
  EXPECT_EQ(pre.cve_id, "GOV-2026-0001");
  EXPECT_EQ(pre.source, VulnerabilitySource::government);
  EXPECT_TRUE(pre.confidential);  // the default: a government entry is pre-disclosure
  EXPECT_TRUE(pre.exploited_in_japan);
  EXPECT_EQ(pre.patch_available, std::optional<bool>(false));  // a range without fixed_in
  ASSERT_EQ(pre.affected.size(), 1u);
  EXPECT_EQ(pre.affected[0].from, "10.0");
  const Vulnerability& fortiweb = result.entries[1];
  EXPECT_FALSE(fortiweb.confidential);
  EXPECT_EQ(fortiweb.patch_available, std::optional<bool>(true));
  EXPECT_EQ(fortiweb.affected.size(), 4u);

  const std::vector<std::string> expected = {
      "gov.json: vulnerabilities[2].severity: unknown field",
      "gov.json: vulnerabilities[2].affected[0].from: not a version (needs a digit)",
      "gov.json: vulnerabilities[2].affected[1]: from must be lower than fixed_in",
      "gov.json: vulnerabilities[2].affected[2]: vendor and product must be given together",
      "gov.json: vulnerabilities[2].affected[3].cpe: not a CPE name with vendor and product",
      "gov.json: vulnerabilities[2].affected[4].fixd_in: unknown field",
      "gov.json: vulnerabilities[3].date_added: not a date (YYYY-MM-DD)",
      "gov.json: vulnerabilities[3].due_date: not a date (YYYY-MM-DD)",
      "gov.json: vulnerabilities[3].confidential: must be true or false",
      "gov.json: vulnerabilities[4].cve_id: not a CVE id (CVE-YYYY-NNNN) or a GOV- id",
      "gov.json: vulnerabilities[4].vendor: must not be empty",
  };
  EXPECT_EQ(error_strings(result), expected);
  // Confidential entries: errors name positions and fields, never contents.
  for (const auto& message : error_strings(result)) {
    EXPECT_EQ(message.find("SECRET-CANARY"), std::string::npos) << message;
  }
}

TEST(GovernmentImport, FormatIsChecked) {
  auto result = import_government(R"({"vulnerabilities": []})", "gov.json");
  EXPECT_EQ(error_strings(result),
            (std::vector<std::string>{
                "gov.json: format: must be \"mamori-government-vulnerabilities-v1\""}));
  result = import_government(
      R"({"format": "mamori-government-vulnerabilities-v1", "vulnerabilities": [], "x": 1})",
      "gov.json");
  EXPECT_EQ(error_strings(result), (std::vector<std::string>{"gov.json: x: unknown field"}));
}

TEST(VulnerabilityCatalog, GovernmentEntryEnrichesKevEntryAndMarksStick) {
  VulnerabilityCatalog catalog;
  catalog.add(import_kev(kev_text(), "kev.json").entries);
  catalog.add(import_government(kGovernmentFile, "gov.json").entries);
  EXPECT_EQ(catalog.entries().size(), 1405u);  // one new GOV- entry, one merged

  const Vulnerability* fortiweb = catalog.find("CVE-2025-25257");
  ASSERT_NE(fortiweb, nullptr);
  EXPECT_EQ(fortiweb->source, VulnerabilitySource::kev);  // first source stays
  EXPECT_EQ(fortiweb->affected.size(), 4u);
  EXPECT_EQ(fortiweb->patch_available, std::optional<bool>(true));
  EXPECT_EQ(fortiweb->due_date, "2025-08-08");  // the government entry had none
  EXPECT_FALSE(fortiweb->confidential);

  EXPECT_FALSE(catalog.find("CVE-2023-48788")->exploited_in_japan);
  ASSERT_TRUE(catalog.mark_exploited_in_japan("CVE-2023-48788", "inc-2026-0007"));
  ASSERT_TRUE(catalog.mark_exploited_in_japan("CVE-2023-48788", "inc-2026-0007"));
  ASSERT_TRUE(catalog.mark_exploited_in_japan("CVE-2023-48788", "finding-0042"));
  EXPECT_TRUE(catalog.find("CVE-2023-48788")->exploited_in_japan);
  EXPECT_EQ(catalog.find("CVE-2023-48788")->exploited_in_japan_basis,
            (std::vector<std::string>{"inc-2026-0007", "finding-0042"}));
  auto unknown = catalog.mark_exploited_in_japan("CVE-2099-99999");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "mark exploited in Japan: CVE-2099-99999 is not in the vulnerability catalog");

  // A later confidential entry for the same id embargoes it; a later public one does not undo it.
  Vulnerability secret;
  secret.cve_id = "CVE-2025-25257";
  secret.confidential = true;
  catalog.add({secret});
  Vulnerability open = secret;
  open.confidential = false;
  catalog.add({open});
  EXPECT_TRUE(catalog.find("CVE-2025-25257")->confidential);
  EXPECT_EQ(catalog.find("CVE-2025-25257")->affected.size(), 4u);  // no ranges: kept
}

TEST(Cpe, ParsesFormattedStringsAndUris) {
  auto cpe = parse_cpe("cpe:2.3:o:cisco:nx-os:9.3\\(9\\):*:*:*:*:*:*:*");
  ASSERT_TRUE(cpe);
  EXPECT_EQ(cpe->part, "o");
  EXPECT_EQ(cpe->vendor, "cisco");
  EXPECT_EQ(cpe->product, "nx-os");
  EXPECT_EQ(cpe->version, "9.3(9)");
  cpe = parse_cpe("cpe:2.3:a:palo_alto_networks:pan-os:*:*:*:*:*:*:*:*");
  ASSERT_TRUE(cpe);
  EXPECT_EQ(cpe->vendor, "palo_alto_networks");
  EXPECT_EQ(cpe->version, "");
  cpe = parse_cpe("cpe:2.3:a:example\\:corp:widget:-");
  ASSERT_TRUE(cpe);
  EXPECT_EQ(cpe->vendor, "example:corp");
  EXPECT_EQ(cpe->version, "");
  cpe = parse_cpe("cpe:/a:fortinet:fortiweb:7.4.7");
  ASSERT_TRUE(cpe);
  EXPECT_EQ(cpe->product, "fortiweb");
  EXPECT_EQ(cpe->version, "7.4.7");
  EXPECT_FALSE(parse_cpe(""));
  EXPECT_FALSE(parse_cpe("fortinet:fortiweb"));
  EXPECT_FALSE(parse_cpe("cpe:2.3:a:*:widget:1"));
  EXPECT_FALSE(parse_cpe("cpe:2.3:a"));
  EXPECT_FALSE(parse_cpe("cpe:2.3:a:vendor\\"));
}

// --- Matching and notices --------------------------------------------------------------------

ImportantComputer computer(std::string org, std::string id, std::string vendor, std::string product,
                           std::string version, bool internet_facing, std::string cpe = "") {
  ImportantComputer c;
  c.organisation_id = std::move(org);
  c.id = std::move(id);
  c.vendor = std::move(vendor);
  c.product = std::move(product);
  c.version = std::move(version);
  c.internet_facing = internet_facing;
  c.cpe = std::move(cpe);
  return c;
}

Vulnerability ranged(std::string id, std::vector<AffectedRange> ranges) {
  Vulnerability v;
  v.cve_id = std::move(id);
  v.vendor = "Example Corp.";
  v.product = "Widget";
  v.name = "Example Widget test vulnerability";
  v.date_added = "2026-01-01";
  v.source = VulnerabilitySource::government;
  v.affected = std::move(ranges);
  return v;
}

std::vector<std::string> notice_ids(const std::vector<OrganisationNotices>& all) {
  std::vector<std::string> out;
  for (const auto& org : all) {
    for (const auto& n : org.notices) out.push_back(n.computer_id + " " + n.vulnerability_id);
  }
  return out;
}

TEST(Notices, VersionRangesAreHalfOpenAndUnknownVersionsAreSaidSo) {
  VulnerabilityCatalog catalog;
  catalog.add({ranged("GOV-1", {{"", "", "", "2.0", "2.3.1"}, {"", "", "", "3.0", ""}})});
  const std::vector<ImportantComputer> computers = {
      computer("o", "below", "Example", "Widget", "1.9.9", false),
      computer("o", "from", "EXAMPLE INC.", "widget", "2.0", false),
      computer("o", "inside", "Example", "Widget", "2.3.0b", false),
      computer("o", "fixed", "Example", "Widget", "2.3.1", false),
      computer("o", "after-fix", "Example", "Widget", "2.9", false),
      computer("o", "no-fix-branch", "Example", "Widget", "3.4", false),
      computer("o", "unknown", "Example", "Widget", "", false),
      computer("o", "unparsable", "Example", "Widget", "latest", false),
      computer("o", "other-product", "Example", "Gizmo", "2.1", false),
  };
  const auto notices = make_notices(catalog, computers);
  ASSERT_EQ(notices.size(), 1u);
  std::vector<std::tuple<std::string, MatchKind, bool>> got;
  for (const Notice& n : notices[0].notices) {
    got.emplace_back(
        n.computer_id, n.match,
        std::find(n.reasons.begin(), n.reasons.end(), NoticeReason::no_patch) != n.reasons.end());
  }
  // No patch first (the 3.x branch has no fix), then by match strength, then computer id.
  const std::vector<std::tuple<std::string, MatchKind, bool>> expected = {
      {"no-fix-branch", MatchKind::version_in_range, true},
      {"from", MatchKind::version_in_range, false},
      {"inside", MatchKind::version_in_range, false},
      {"unknown", MatchKind::version_unknown, false},
      {"unparsable", MatchKind::version_unknown, false},
  };
  EXPECT_EQ(got, expected);
}

TEST(Notices, CpeNamesMatchAndOneComputerGetsOneNoticePerVulnerability) {
  VulnerabilityCatalog catalog;
  Vulnerability v =
      ranged("GOV-2", {{"cpe:2.3:a:example:super_widget:*:*:*:*:*:*:*:*", "", "", "", "5.0"}});
  catalog.add({v});
  const std::vector<ImportantComputer> computers = {
      // Filed under another name; the CPE says what it is (and its version).
      computer("o", "by-cpe", "エグザンプル", "SW", "", true,
               "cpe:2.3:a:example:super_widget:4.2:*:*:*:*:*:*:*"),
      // Filed name and CPE both match: still one notice.
      computer("o", "both", "Example", "Super Widget", "4.0", false,
               "cpe:2.3:a:example:super_widget:4.0:*:*:*:*:*:*:*"),
      computer("o", "cpe-fixed", "x", "y", "", false,
               "cpe:2.3:a:example:super_widget:5.0:*:*:*:*:*:*:*"),
      computer("o", "bad-cpe", "x", "y", "", false, "cpe:2.3:a:example"),
      // A filed version that is not a version: the CPE name's version decides.
      computer("o", "cpe-version", "Example", "Super Widget", "不明", false,
               "cpe:2.3:a:example:super_widget:4.9:*:*:*:*:*:*:*"),
  };
  const auto notices = make_notices(catalog, computers);
  EXPECT_EQ(notice_ids(notices),
            (std::vector<std::string>{"by-cpe GOV-2", "both GOV-2", "cpe-version GOV-2"}));
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].notices[0].computer_version, "4.2");
  EXPECT_EQ(notices[0].notices[2].computer_version, "4.9");
  EXPECT_EQ(notices[0].notices[2].match, MatchKind::version_in_range);
}

TEST(Notices, EmbargoedNoticesCarryBilingualLabels) {
  VulnerabilityCatalog catalog;
  Vulnerability v = ranged("GOV-3", {});
  v.confidential = true;
  v.known_ransomware = true;
  v.required_action = "Block access";
  catalog.add({v});
  const auto notices =
      make_notices(catalog, {computer("org-1", "org-1/w", "Example", "Widget", "1", true)});
  ASSERT_EQ(notices.size(), 1u);
  ASSERT_EQ(notices[0].notices.size(), 1u);
  const Notice& n = notices[0].notices[0];
  EXPECT_TRUE(n.embargoed);
  EXPECT_EQ(n.match, MatchKind::product_only);
  EXPECT_EQ(n.reasons, (std::vector<NoticeReason>{
                           NoticeReason::internet_facing, NoticeReason::known_ransomware,
                           NoticeReason::product_only, NoticeReason::embargoed}));
  const nlohmann::json j = to_json(notices[0]);
  EXPECT_EQ(j["organisation_id"], "org-1");
  EXPECT_EQ(j["notices"][0]["embargoed"], true);
  EXPECT_EQ(j["notices"][0]["match"], "product-only");
  EXPECT_EQ(j["notices"][0]["required_action"], "Block access");
  EXPECT_EQ(j["notices"][0]["reasons"][0]["code"], "internet-facing");
  EXPECT_EQ(j["notices"][0]["reasons"][0]["ja"], "インターネットに露出");
  EXPECT_EQ(j["notices"][0]["reasons"][3]["en"], "Embargoed: pre-disclosure, do not share");
  for (int r = 0; r <= static_cast<int>(NoticeReason::embargoed); ++r) {
    const ReasonLabel& l = label(static_cast<NoticeReason>(r));
    EXPECT_FALSE(l.code.empty() || l.en.empty() || l.ja.empty());
  }
}

// The acceptance test of issue 6: "Given KEV and a registry of a few thousand computers, notices
// are correct against a hand-checked expected list in the tests, ordered by urgency."
//
// Catalog: the vendored KEV (2025.08.25), kGovernmentFile (version ranges for CVE-2025-25257
// FortiWeb, as in Fortinet's FG-IR-25-151, and a fictional confidential entry GOV-2026-0001 for
// a fictional vendor), and CVE-2023-48788 (FortiClient EMS) marked exploited in Japan.
//
// 3000 background computers that must produce no notice: products not in KEV (some from KEV
// vendors, some under Japanese and half-width names, some with CPE names), FortiWeb at versions
// the government ranges show fixed or unaffected, and EX-Router below the affected range.
// 14 planted computers that must match, with their facts from data/kev.json:
//   CVE-2023-48788 Fortinet FortiClient EMS  Known ransomware, due 2024-04-15, exploited in Japan
//   CVE-2025-25257 Fortinet FortiWeb         due 2025-08-08, ranges from the government entry
//   CVE-2024-20399 Cisco NX-OS               due 2024-07-23
//   CVE-2025-54948 Trend Micro Apex One      due 2025-09-08
//   CVE-2023-34362 Progress MOVEit Transfer  Known ransomware, due 2023-06-23
//   CVE-2020-15069 Sophos XG Firewall        due 2025-02-27
//   CVE-2016-8562  Siemens SIMATIC CP        due 2022-03-24
//   CVE-2025-23006 SonicWall SMA1000 Appliances  Known ransomware, due 2025-02-14
//   CVE-2018-7841  Schneider Electric U.motion Builder  due 2022-05-06
//   CVE-2024-7593  Ivanti Virtual Traffic Manager      due 2024-10-15
//   GOV-2026-0001  サンプル電機 EX-Router ≥ 10.0, no fix, exploited in Japan, confidential
TEST(Notices, AcceptanceKevAgainstThousandsOfComputersInUrgencyOrder) {
  VulnerabilityCatalog catalog;
  const auto kev = import_kev(kev_text(), "kev.json");
  ASSERT_EQ(kev.entries.size(), 1404u);
  catalog.add(kev.entries);
  const auto government = import_government(kGovernmentFile, "gov.json");
  catalog.add(government.entries);
  ASSERT_TRUE(catalog.mark_exploited_in_japan("CVE-2023-48788", "inc-2026-0007"));

  MatchOptions options;
  options.vendor_aliases = {{"フォーティネット", "Fortinet"}, {"トレンドマイクロ", "Trend Micro"}};

  std::vector<ImportantComputer> computers;
  const char* const kFortiWebSafe[] = {"7.6.4", "7.4.8", "7.2.11", "7.0.11", "6.4.3", "7.6.5"};
  for (int i = 0; i < 3000; ++i) {
    const std::string org = fmt::format("org-{:04}", i % 100 + 1);
    const std::string id = fmt::format("{}/bg-{:04}", org, i);
    const bool exposed = i % 3 == 0;
    switch (i % 8) {
      case 0:
        computers.push_back(computer(org, id, "ヤマハ株式会社", "RTX1300",
                                     fmt::format("23.00.{:02}", i % 20), exposed));
        break;
      case 1:
        computers.push_back(computer(org, id, "ﾔﾏﾊ", "RTX830", "15.02.30", exposed,
                                     "cpe:2.3:h:yamaha:rtx830:-:*:*:*:*:*:*:*"));
        break;
      case 2:
        computers.push_back(computer(org, id, "Allied Telesis K.K.", "AR4050S", "5.5.3", exposed));
        break;
      case 3:
        computers.push_back(
            computer(org, id, "Fortinet", "FortiWeb", kFortiWebSafe[(i / 8) % 6], exposed));
        break;
      case 4:
        computers.push_back(computer(org, id, "株式会社サンプル電機", "EX-Router",
                                     fmt::format("9.{}.{}", i % 10, i % 7), exposed));
        break;
      case 5:
        computers.push_back(
            computer(org, id, "Cisco Systems, Inc.", "Catalyst 9300", "17.9.4", exposed));
        break;
      case 6:
        computers.push_back(computer(org, id, "ＦＯＲＴＩＮＥＴ", "FortiGate", "7.2.8", exposed,
                                     "cpe:2.3:h:fortinet:fortigate_60f:-:*:*:*:*:*:*:*"));
        break;
      default:
        computers.push_back(computer(org, id, "横河電機株式会社", "CENTUM VP", "R6.11", exposed,
                                     "cpe:2.3:a:yokogawa:centum_vp:r6.11:*:*:*:*:*:*:*"));
        break;
    }
  }
  const std::vector<ImportantComputer> planted = {
      computer("org-0007", "org-0007/ems-1", "ﾌｫｰﾃｨﾈｯﾄ株式会社", "FortiClient EMS", "7.0.10",
               false),
      computer("org-0007", "org-0007/waf-1", "ＦＯＲＴＩＮＥＴ", "ＦｏｒｔｉＷｅｂ", "７．４．７",
               true),
      computer("org-0007", "org-0007/nx-1", "Cisco Systems, Inc.", "NX-OS", "9.3(9)", false,
               "cpe:2.3:o:cisco:nx-os:9.3\\(9\\):*:*:*:*:*:*:*"),
      computer("org-0042", "org-0042/ix-1", "ｻﾝﾌﾟﾙ電機（株）", "EX-Router", "10.2.16", true),
      computer("org-0042", "org-0042/apex-1", "トレンドマイクロ株式会社", "Apex One", "", false),
      computer("org-0042", "org-0042/moveit-1", "Progress Corp.", "MOVEit Transfer", "2023.0.1",
               true),
      computer("org-0042", "org-0042/waf-2", "fortinet", "FortiWeb", "", false),
      computer("org-0099", "org-0099/fw-1", "ソフォス株式会社", "XGファイアウォール", "", true,
               "cpe:2.3:o:sophos:xg_firewall:17.5:*:*:*:*:*:*:*"),
      computer("org-0099", "org-0099/plc-1", "Siemens AG", "SIMATIC CP", "", false),
      computer("org-0099", "org-0099/sma-1", "ＳｏｎｉｃＷａｌｌ，Ｉｎｃ．", "SMA1000 Appliances",
               "12.4.3", true),
      computer("org-0099", "org-0099/um-1", "Schneider Electric SE", "U.motion Builder", "1.3.4",
               false),
      computer("org-0099", "org-0099/ems-2", "Fortinet, Inc.", "FortiClient EMS", "7.2.2", true),
      computer("org-0003", "org-0003/ix-2", "株式会社サンプル電機", "EX-Router", "v10.0", false),
      computer("org-0003", "org-0003/vtm-1", "Ivanti", "Virtual Traffic Manager", "22.2", true),
  };
  // Spread the planted computers through the registry.
  for (std::size_t p = 0; p < planted.size(); ++p) {
    computers.insert(computers.begin() + static_cast<std::ptrdiff_t>(p * 211), planted[p]);
  }
  ASSERT_EQ(computers.size(), 3014u);

  const auto notices = make_notices(catalog, computers, options);

  // Hand-checked, per organisation, most urgent first (order in notices.h):
  //   org-0003: ix-2 exploited in Japan (+ no patch)  >  vtm-1 internet-facing
  //   org-0007: ems-1 exploited in Japan  >  waf-1 internet-facing  >  nx-1
  //   org-0042: ix-1 exploited in Japan  >  moveit-1 internet-facing + ransomware
  //             >  waf-2 due 2025-08-08  >  apex-1 due 2025-09-08
  //   org-0099: ems-2 exploited in Japan  >  sma-1 internet-facing + ransomware
  //             >  fw-1 internet-facing  >  plc-1 due 2022-03-24  >  um-1 due 2022-05-06
  using Row = std::tuple<std::string, std::string, std::string>;
  const std::vector<Row> expected = {
      {"org-0003", "org-0003/ix-2", "GOV-2026-0001"},
      {"org-0003", "org-0003/vtm-1", "CVE-2024-7593"},
      {"org-0007", "org-0007/ems-1", "CVE-2023-48788"},
      {"org-0007", "org-0007/waf-1", "CVE-2025-25257"},
      {"org-0007", "org-0007/nx-1", "CVE-2024-20399"},
      {"org-0042", "org-0042/ix-1", "GOV-2026-0001"},
      {"org-0042", "org-0042/moveit-1", "CVE-2023-34362"},
      {"org-0042", "org-0042/waf-2", "CVE-2025-25257"},
      {"org-0042", "org-0042/apex-1", "CVE-2025-54948"},
      {"org-0099", "org-0099/ems-2", "CVE-2023-48788"},
      {"org-0099", "org-0099/sma-1", "CVE-2025-23006"},
      {"org-0099", "org-0099/fw-1", "CVE-2020-15069"},
      {"org-0099", "org-0099/plc-1", "CVE-2016-8562"},
      {"org-0099", "org-0099/um-1", "CVE-2018-7841"},
  };
  std::vector<Row> got;
  for (const auto& org : notices) {
    for (const Notice& n : org.notices) {
      EXPECT_EQ(n.organisation_id, org.organisation_id);
      got.emplace_back(org.organisation_id, n.computer_id, n.vulnerability_id);
    }
  }
  EXPECT_EQ(got, expected);

  // The reasons and match of a few, checked by hand too.
  const auto find = [&](std::string_view computer_id) -> const Notice* {
    for (const auto& org : notices) {
      for (const Notice& n : org.notices) {
        if (n.computer_id == computer_id) return &n;
      }
    }
    return nullptr;
  };
  const Notice* ix1 = find("org-0042/ix-1");
  ASSERT_NE(ix1, nullptr);
  EXPECT_TRUE(ix1->embargoed);
  EXPECT_EQ(ix1->match, MatchKind::version_in_range);
  EXPECT_EQ(ix1->reasons,
            (std::vector<NoticeReason>{NoticeReason::exploited_in_japan,
                                       NoticeReason::internet_facing, NoticeReason::no_patch,
                                       NoticeReason::version_in_range, NoticeReason::embargoed}));
  const Notice* waf1 = find("org-0007/waf-1");
  ASSERT_NE(waf1, nullptr);
  EXPECT_FALSE(waf1->embargoed);
  EXPECT_EQ(waf1->match, MatchKind::version_in_range);
  EXPECT_EQ(waf1->computer_version, "７．４．７");
  EXPECT_EQ(waf1->reasons, (std::vector<NoticeReason>{NoticeReason::internet_facing,
                                                      NoticeReason::version_in_range}));
  const Notice* waf2 = find("org-0042/waf-2");
  ASSERT_NE(waf2, nullptr);
  EXPECT_EQ(waf2->match, MatchKind::version_unknown);
  const Notice* ems2 = find("org-0099/ems-2");
  ASSERT_NE(ems2, nullptr);
  EXPECT_EQ(ems2->match, MatchKind::product_only);
  EXPECT_EQ(ems2->reasons, (std::vector<NoticeReason>{
                               NoticeReason::exploited_in_japan, NoticeReason::internet_facing,
                               NoticeReason::known_ransomware, NoticeReason::product_only}));
  EXPECT_EQ(ems2->due_date, "2024-04-15");
  EXPECT_FALSE(ems2->required_action.empty());
  const Notice* fw1 = find("org-0099/fw-1");
  ASSERT_NE(fw1, nullptr);
  EXPECT_EQ(fw1->computer_version, "17.5");  // from the CPE name
  EXPECT_EQ(fw1->vendor, "Sophos");
  EXPECT_EQ(fw1->product, "XG Firewall");

  // Without the aliases, the names filed in katakana do not match the KEV vendors.
  const auto plain = make_notices(catalog, computers);
  std::size_t plain_count = 0;
  for (const auto& org : plain) plain_count += org.notices.size();
  EXPECT_EQ(plain_count, expected.size() - 2);  // ems-1 and apex-1 drop out
}

}  // namespace
}  // namespace mamori::registry
