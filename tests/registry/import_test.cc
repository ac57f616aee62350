// registry/import: bulk filing from messy real-world-style files (tests/data/registry). For
// every row of every file the test states whether it was imported or rejected, and the exact
// line, column and reason — the acceptance rule of issue 6.

#include "mamori/registry/import.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mamori/registry/normalize.h"

namespace mamori::registry {

// gtest prints these in failure messages.
void PrintTo(const RowIssue& issue, std::ostream* os) {
  *os << "{line " << issue.line << ", column \"" << issue.column << "\", \"" << issue.reason
      << "\"}";
}
void PrintTo(const ImportedRow& row, std::ostream* os) {
  *os << "{line " << row.line << ", " << row.id << "}";
}
bool operator==(const RowIssue& a, const RowIssue& b) {
  return a.line == b.line && a.column == b.column && a.reason == b.reason;
}
bool operator==(const ImportedRow& a, const ImportedRow& b) {
  return a.line == b.line && a.id == b.id;
}

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Changed = std::vector<std::pair<std::string, std::string>>;

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(MAMORI_SOURCE_DIR) + "/tests/data/registry/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const ImportantComputer& by_id(const ComputerImport& result, std::string_view id) {
  for (const auto& computer : result.computers) {
    if (computer.id == id) return computer;
  }
  ADD_FAILURE() << "not imported: " << id;
  static const ImportantComputer kNone;
  return kNone;
}

constexpr std::string_view kYesNo =
    "not a yes/no value: expected yes/no, true/false, 1/0, はい/いいえ or 有/無";

TEST(ImportComputers, MessyCsvEveryRowAccountedFor) {
  auto result = import_computers_csv(read_fixture("computers_messy.csv"));
  ASSERT_TRUE(result) << result.error().message;
  const ImportReport& report = result->report;
  EXPECT_THAT(report.imported,
              ElementsAre(ImportedRow{2, "org-0001/vpn-1"}, ImportedRow{3, "org-0001/fw-1"},
                          ImportedRow{4, "org-0001/srv-1"}, ImportedRow{6, "org-0001/plc-1"},
                          ImportedRow{12, "org-0001/rt-1"}, ImportedRow{13, "org-0001/web-1"},
                          ImportedRow{15, "org-0001/ep-1"}, ImportedRow{19, "org-0001/sw-1"}));
  EXPECT_THAT(
      report.rejected,
      ElementsAre(
          RowIssue{7, "internet_facing", std::string(kYesNo)},
          RowIssue{8, "cpe",
                   "CPE 2.3 name has 6 components, expected 13 (cpe:2.3: and 11 attributes)"},
          RowIssue{9, "id", "duplicate id: already on line 2"},
          RowIssue{11, "",
                   "line 11, column 29: unterminated quoted field (the quote opened here is not "
                   "closed on its line and no later quote ends the field)"},
          RowIssue{14, "category",
                   "unknown device category \"camera\": expected vpn-gateway (VPN装置), firewall "
                   "(ファイアウォール), router (ルータ), load-balancer, mail-server, web-server, "
                   "server (サーバ), ot-controller (制御システム), cloud-service "
                   "(クラウドサービス), endpoint (端末) or other (その他)"},
          RowIssue{16, "",
                   "line 16, column 31: quote inside an unquoted field (quote the whole field and "
                   "double the quote)"},
          RowIssue{18, "id", "required value is empty"}));
  // The short row's internet_facing is empty, not absent: the column is in the header.
  EXPECT_THAT(report.warnings, ElementsAre(RowIssue{19, "internet_facing", "empty: taken as no"}));
  EXPECT_THAT(report.missing_columns, IsEmpty());

  const auto& fw = by_id(*result, "org-0001/fw-1");
  EXPECT_EQ(fw.vendor, "Palo Alto Networks, Inc.");
  EXPECT_EQ(fw.managed_by, ManagedBy::contractor);
  EXPECT_EQ(fw.contractor, "Sample Operations, Inc.");
  EXPECT_EQ(fw.note, "rack B-3, room \"north\"");
  EXPECT_FALSE(fw.internet_facing);

  const auto& srv = by_id(*result, "org-0001/srv-1");
  EXPECT_EQ(srv.vendor, "ＦＵＪＩＴＳＵ");  // stored as filed; matching folds it
  EXPECT_EQ(vendor_key(srv.vendor), vendor_key("Fujitsu"));
  EXPECT_TRUE(srv.internet_facing);
  EXPECT_EQ(srv.note, "two lines:\nfirst, second");
  EXPECT_EQ(srv.version, "");

  const auto& plc = by_id(*result, "org-0001/plc-1");
  EXPECT_EQ(plc.category, DeviceCategory::ot_controller);
  EXPECT_EQ(plc.vendor, "ﾐﾂﾋﾞｼ");
  EXPECT_EQ(normalize_text(plc.vendor), "ミツビシ");

  const auto& vpn = by_id(*result, "org-0001/vpn-1");
  EXPECT_EQ(vpn.version, "7.2.4");  // the first filing, not the duplicate's 7.4.1
  EXPECT_EQ(vpn.cpe, "cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*");

  // The rows the unterminated quote on line 11 ran over were read again.
  EXPECT_EQ(by_id(*result, "org-0001/rt-1").version, "17.9.4a");
  EXPECT_EQ(by_id(*result, "org-0001/web-1").product, "HTTP Server");

  const auto& ep = by_id(*result, "org-0001/ep-1");
  EXPECT_EQ(ep.managed_by, ManagedBy::contractor);
  EXPECT_EQ(ep.contractor, "Sample Support");

  const auto& sw = by_id(*result, "org-0001/sw-1");  // short row: the rest are defaults
  EXPECT_EQ(sw.category, DeviceCategory::other);
  EXPECT_FALSE(sw.internet_facing);
  EXPECT_EQ(sw.managed_by, ManagedBy::operator_);
}

TEST(ImportComputers, JapaneseHeadersBomCrlfFiledByOneOperator) {
  ComputerImportOptions options;
  options.organisation_id = "org-0002";
  auto result = import_computers_csv(read_fixture("computers_ja_bom_crlf.csv"), options);
  ASSERT_TRUE(result) << result.error().message;
  const ImportReport& report = result->report;
  EXPECT_THAT(report.imported,
              ElementsAre(ImportedRow{2, "org-0002/vpn-01"}, ImportedRow{3, "org-0002/vpn-02"},
                          ImportedRow{4, "org-0002/fw-01"}, ImportedRow{6, "org-0002/ot-01"},
                          ImportedRow{9, "org-0002/srv-02"}));
  EXPECT_THAT(report.rejected,
              ElementsAre(RowIssue{7, "インターネット接続", std::string(kYesNo)},
                          RowIssue{8, "事業者ID",
                                   "names another organisation; this file is filed by org-0002"}));
  EXPECT_THAT(report.warnings, IsEmpty());

  const auto& vpn1 = by_id(*result, "org-0002/vpn-01");
  const auto& vpn2 = by_id(*result, "org-0002/vpn-02");
  EXPECT_EQ(vpn1.category, DeviceCategory::vpn_gateway);
  EXPECT_TRUE(vpn1.internet_facing);
  EXPECT_EQ(vpn1.managed_by, ManagedBy::operator_);
  // The same vendor in full-width and half-width katakana: filed as typed, one matching key.
  EXPECT_EQ(vpn1.vendor, "フォーティネット");
  EXPECT_EQ(vpn2.vendor, "ﾌｫｰﾃｨﾈｯﾄ");
  EXPECT_EQ(vendor_key(vpn1.vendor), vendor_key(vpn2.vendor));
  EXPECT_EQ(vpn2.managed_by, ManagedBy::contractor);
  EXPECT_EQ(vpn2.contractor, "株式会社サンプル運用, 東京");

  const auto& fw = by_id(*result, "org-0002/fw-01");
  EXPECT_EQ(fw.category, DeviceCategory::firewall);
  EXPECT_EQ(fw.vendor, "ＹＡＭＡＨＡ");
  EXPECT_EQ(product_key(fw.product), "rtx1210");
  EXPECT_EQ(fw.note, "備考：\n二行目");
  EXPECT_EQ(by_id(*result, "org-0002/ot-01").category, DeviceCategory::ot_controller);
  EXPECT_EQ(by_id(*result, "org-0002/srv-02").organisation_id, "org-0002");
}

TEST(ImportComputers, MissingRequiredColumnReportedOnceAndRejectsEachRow) {
  auto result = import_computers_csv(read_fixture("computers_missing_vendor.csv"));
  ASSERT_TRUE(result) << result.error().message;
  const ImportReport& report = result->report;
  EXPECT_THAT(report.missing_columns, ElementsAre("vendor"));
  EXPECT_THAT(report.imported, IsEmpty());
  EXPECT_THAT(
      report.rejected,
      ElementsAre(RowIssue{2, "vendor", "required column vendor is missing from the header"},
                  RowIssue{3, "vendor", "required column vendor is missing from the header"}));
  // cpe, internet_facing, … are optional: their absence is not even a warning.
  EXPECT_THAT(report.warnings, ElementsAre(RowIssue{1, "colour", "unknown column, ignored"}));
}

TEST(ImportComputers, KnownOrganisationsAndForeignIdPrefix) {
  ComputerImportOptions options;
  options.known_organisations = {"org-0001"};
  auto result = import_computers_csv(
      "id,organisation_id,category,vendor,product\n"
      "a,org-0001,router,Cisco,IOS\n"
      "b,org-0009,router,Cisco,IOS\n"
      "org-0002/c,org-0001,router,Cisco,IOS\n"
      "org-0001/d,org-0001,router,Cisco,IOS\n",
      options);
  ASSERT_TRUE(result);
  EXPECT_THAT(result->report.imported,
              ElementsAre(ImportedRow{2, "org-0001/a"}, ImportedRow{5, "org-0001/d"}));
  EXPECT_THAT(
      result->report.rejected,
      ElementsAre(RowIssue{3, "organisation_id", "unknown organisation \"org-0009\""},
                  RowIssue{4, "id",
                           "id has another organisation's prefix (expected org-0001/… or an id "
                           "without '/')"}));
}

TEST(ImportComputers, ExtraFieldsAndEmptyBooleanAreWarnings) {
  auto result = import_computers_csv(
      "id,organisation_id,category,vendor,product,internet_facing,managed_by\n"
      "a,o,router,Cisco,IOS,,contractor,surplus\n");
  ASSERT_TRUE(result);
  EXPECT_THAT(result->report.imported, ElementsAre(ImportedRow{2, "o/a"}));
  EXPECT_THAT(
      result->report.warnings,
      ElementsAre(
          RowIssue{2, "", "row has 8 fields but the header has 7; the extra fields are ignored"},
          RowIssue{2, "internet_facing", "empty: taken as no"},
          RowIssue{2, "contractor", "managed by a contractor not named"}));
}

TEST(ImportComputers, WholeFileFailures) {
  EXPECT_EQ(import_computers_csv("").error().message, "CSV: no header row (the file is empty)");
  EXPECT_EQ(import_computers_csv("\"id,vendor\n").error().message,
            "CSV header (line 1, column 1): unterminated quoted field (the quote opened here is "
            "never closed)");
  EXPECT_EQ(import_computers_json("[{\"id\": 1,}]").error().message,
            "JSON: not valid JSON at line 1, column 11");
  EXPECT_EQ(import_computers_json("{\"id\": 1}").error().message,
            "JSON: expected an array of objects at the top level");
}

TEST(ImportComputers, JsonEveryElementAccountedFor) {
  auto result = import_computers_json(read_fixture("computers.json"));
  ASSERT_TRUE(result) << result.error().message;
  const ImportReport& report = result->report;
  EXPECT_THAT(report.imported,
              ElementsAre(ImportedRow{2, "org-0001/vpn-1"}, ImportedRow{4, "org-0001/fw-1"},
                          ImportedRow{9, "org-0001/x-3"}));
  EXPECT_THAT(
      report.rejected,
      ElementsAre(RowIssue{6, "product", "required field is missing"},
                  RowIssue{7, "", "expected an object"},
                  RowIssue{8, "vendor", "expected text, a number, a boolean or a list of text"}));
  EXPECT_THAT(report.warnings, ElementsAre(RowIssue{9, "colour", "unknown key, ignored"}));
  const auto& fw = by_id(*result, "org-0001/fw-1");
  EXPECT_EQ(fw.version, "10.2");
  EXPECT_EQ(fw.category, DeviceCategory::firewall);
  EXPECT_FALSE(fw.internet_facing);
  EXPECT_TRUE(by_id(*result, "org-0001/vpn-1").internet_facing);
}

TEST(ImportOrganisations, CsvWithJapaneseHeadersAndSectors) {
  auto result = import_organisations_csv(read_fixture("organisations.csv"));
  ASSERT_TRUE(result) << result.error().message;
  const ImportReport& report = result->report;
  EXPECT_THAT(report.imported, ElementsAre(ImportedRow{2, "org-0001"}, ImportedRow{3, "org-0002"},
                                           ImportedRow{4, "org-0003"}, ImportedRow{7, "org-0006"},
                                           ImportedRow{10, "org-0008"}));
  EXPECT_THAT(
      report.rejected,
      ElementsAre(
          RowIssue{5, "重要インフラ分野",
                   "unknown critical-infrastructure sector \"宇宙\" (expected one of the 15 "
                   "sectors of the action plan, e.g. electricity or 電力)"},
          RowIssue{6, "基幹インフラ事業",
                   "unknown key-infrastructure business \"航空宇宙\" (expected one of the 15 "
                   "businesses of the Economic Security Promotion Act, e.g. electricity or 電気)"},
          RowIssue{8, "種別",
                   "unknown organisation kind \"unknown-kind\": expected designated-operator "
                   "(特別社会基盤事業者), operator (事業者), council-member (協議会構成員), agency "
                   "(行政機関) or vendor (ベンダー)"},
          RowIssue{9, "id", "duplicate id: already on line 2"}));
  EXPECT_THAT(report.warnings,
              ElementsAre(RowIssue{10, "基幹インフラ事業",
                                   "designated operator without a key-infrastructure business"}));

  ASSERT_EQ(result->organisations.size(), 5u);
  const Organisation& power = result->organisations[0];
  EXPECT_EQ(power.name, "サンプル電力株式会社");
  EXPECT_EQ(power.name_en, "Sample Power");
  EXPECT_EQ(power.kinds, std::vector{OrganisationKind::designated_operator});
  EXPECT_EQ(power.ci_sectors, std::vector<std::string>{"electricity"});
  EXPECT_EQ(power.key_infrastructure, std::vector<std::string>{"electricity"});
  const Organisation& gas = result->organisations[1];
  EXPECT_EQ(gas.kinds,
            (std::vector{OrganisationKind::designated_operator, OrganisationKind::council_member}));
  EXPECT_EQ(gas.key_infrastructure, std::vector<std::string>{"gas"});  // half-width ｶﾞｽ
  const Organisation& bank = result->organisations[2];
  EXPECT_EQ(bank.ci_sectors, (std::vector<std::string>{"finance", "credit_card"}));
  // separated by a full-width semicolon
  EXPECT_EQ(bank.key_infrastructure, (std::vector<std::string>{"finance", "credit_card"}));
  EXPECT_EQ(result->organisations[3].kinds, std::vector{OrganisationKind::agency});
}

TEST(ImportOrganisations, ContactColumnsAreCheckedAndOptional) {
  const std::string csv =
      "事業者ID,名称,連絡先氏名,連絡先メール,連絡先電話,連絡先役割\n"
      "org-1,甲電力,山田 太郎,ｃｓｉｒｔ＠ko-denryoku.example.jp,+81 3-1234-5678,CSIRT\n"
      "org-2,乙ガス,,,,\n"
      "org-3,丙銀行,佐藤,sato-at-bank,03-0000-0000,\n"
      "org-4,丁鉄道,鈴木,,内線123,\n"
      "org-5,戊空港,高橋,,,\n";
  auto result = import_organisations_csv(csv);
  ASSERT_TRUE(result) << result.error().message;
  const ImportReport& report = result->report;
  EXPECT_THAT(report.imported, ElementsAre(ImportedRow{2, "org-1"}, ImportedRow{3, "org-2"},
                                           ImportedRow{6, "org-5"}));
  EXPECT_THAT(report.rejected,
              ElementsAre(RowIssue{4, "連絡先メール", "not an e-mail address"},
                          RowIssue{5, "連絡先電話",
                                   "not a telephone number (6 to 20 digits, + - ( ) blanks)"}));
  EXPECT_THAT(report.warnings,
              ElementsAre(RowIssue{6, "連絡先氏名", "contact without an e-mail or telephone"}));
  ASSERT_EQ(result->organisations[0].contacts.size(), 1u);
  const Contact& contact = result->organisations[0].contacts[0];
  EXPECT_EQ(contact.email, "csirt@ko-denryoku.example.jp");  // full-width folded
  EXPECT_EQ(contact.phone, "+81 3-1234-5678");
  EXPECT_EQ(contact.role, "CSIRT");
  EXPECT_TRUE(result->organisations[1].contacts.empty());
}

TEST(ImportOrganisations, JsonListsAsArraysOrText) {
  auto result = import_organisations_json(read_fixture("organisations.json"));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_THAT(result->report.imported, ElementsAre(ImportedRow{2, "org-0001"}));
  EXPECT_THAT(
      result->report.rejected,
      ElementsAre(RowIssue{4, "key_infrastructure",
                           "unknown key-infrastructure business \"郵便局\" (expected one of the 15 "
                           "businesses of the Economic Security Promotion Act, e.g. electricity "
                           "or 電気)"},
                  RowIssue{6, "id", "required field is missing"}));
  ASSERT_EQ(result->organisations.size(), 1u);
  EXPECT_EQ(result->organisations[0].key_infrastructure, std::vector<std::string>{"electricity"});
}

TEST(Cpe23, ValidNames) {
  for (const char* cpe : {
           "cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*:*",
           "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
           "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
           "cpe:2.3:h:dell:latitude\\:5420:-:*:*:*:*:*:*:*",
           "cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:*:*:*:*:*",
           "cpe:2.3:a:vendor:product:7.?:*:*:*:*:*:*:*",
           "cpe:2.3:a:vendor:*product:1.0:*:*:*:*:*:*:*",
       }) {
    EXPECT_TRUE(validate_cpe23(cpe)) << cpe << ": " << validate_cpe23(cpe).error().message;
  }
}

TEST(Cpe23, InvalidNamesSayWhichComponent) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cpe:/o:fortinet:fortios:7.2.4", "not a CPE 2.3 name: it must start with \"cpe:2.3:\""},
      {"cpe:2.3:o:fortinet:fortios:7.2.4:*:*:*:*:*:*",
       "CPE 2.3 name has 12 components, expected 13 (cpe:2.3: and 11 attributes)"},
      {"cpe:2.3:x:fortinet:fortios:7.2.4:*:*:*:*:*:*:*",
       "CPE part must be a (application), o (operating system), h (hardware), * or -"},
      {"cpe:2.3:o:fortinet::7.2.4:*:*:*:*:*:*:*",
       "CPE product: is empty (use * for any value or - for not applicable)"},
      {"cpe:2.3:o:palo alto:pan-os:10:*:*:*:*:*:*:*",
       "CPE vendor: character 5: ' ' must be escaped as '\\ '"},
      {"cpe:2.3:o:ﾌｫｰﾃｨﾈｯﾄ:fortios:7:*:*:*:*:*:*:*",
       "CPE vendor: character 1: only ASCII is allowed"},
      {"cpe:2.3:o:fortinet:for*tios:7:*:*:*:*:*:*:*",
       "CPE product: has an unescaped '*' or '?' inside the value"},
      {"cpe:2.3:o:fortinet:fortios:**7:*:*:*:*:*:*:*",
       "CPE version: has an invalid wildcard (one '*' or a run of '?' at either end)"},
      {"cpe:2.3:o:fortinet:fortios:7:*:*:*:*:*:*:x\\",
       "CPE other: ends with an escape character '\\'"},
  };
  for (const auto& [cpe, message] : cases) {
    auto valid = validate_cpe23(cpe);
    ASSERT_FALSE(valid) << cpe;
    EXPECT_EQ(valid.error().message, message) << cpe;
  }
}

TEST(ParseYesNo, AllSpellings) {
  for (const char* yes : {"yes", "Y", "TRUE", "1", "はい", "有", "あり", "ＹＥＳ", "１"}) {
    EXPECT_EQ(parse_yes_no(yes), true) << yes;
  }
  for (const char* no : {"no", "N", "False", "0", "いいえ", "無", "なし"}) {
    EXPECT_EQ(parse_yes_no(no), false) << no;
  }
  EXPECT_FALSE(parse_yes_no("maybe"));
  EXPECT_FALSE(parse_yes_no("不明"));
}

// --- change history ---------------------------------------------------------------------------

constexpr Timestamp kFirst = Timestamp::from_seconds(1795305600);
constexpr Timestamp kLater = Timestamp::from_seconds(1795392000);

TEST(ComputerHistory, VersionUpgradeIsOneSmallChange) {
  ImportantComputer before{"org-0001/vpn-1",
                           "org-0001",
                           DeviceCategory::vpn_gateway,
                           "Fortinet",
                           "FortiOS",
                           "7.2.4",
                           "",
                           true,
                           ManagedBy::operator_,
                           "",
                           ""};
  ImportantComputer after = before;
  after.version = "7.2.8";
  const ComputerChange change = diff_computer(before, after, kLater, "user-7", 2);
  EXPECT_EQ(change.computer_id, "org-0001/vpn-1");
  EXPECT_EQ(change.revision, 2u);
  EXPECT_EQ(change.at, kLater);
  EXPECT_EQ(change.by, "user-7");
  EXPECT_EQ(change.changed, (Changed{{"version", "7.2.8"}}));

  after.internet_facing = false;
  after.managed_by = ManagedBy::contractor;
  after.contractor = "Sample Ops";
  EXPECT_EQ(diff_computer(before, after, kLater, "u", 2).changed,
            (Changed{{"version", "7.2.8"},
                     {"internet_facing", "false"},
                     {"managed_by", "contractor"},
                     {"contractor", "Sample Ops"}}));
  EXPECT_THAT(diff_computer(before, before, kLater, "u", 2).changed, IsEmpty());
}

TEST(ComputerHistory, ReimportOfTheSameFileChangesNothing) {
  const std::string file = read_fixture("computers_messy.csv");
  auto first = import_computers_csv(file);
  ASSERT_TRUE(first);
  const ImportPlan initial = apply_import({}, {}, first->computers, kFirst, "user-1");
  ASSERT_EQ(initial.new_filings.size(), 8u);
  EXPECT_THAT(initial.changes, IsEmpty());
  std::vector<ImportantComputer> registry;
  std::vector<ComputerChange> history;
  for (const auto& filed : initial.new_filings) {
    EXPECT_EQ(filed.change.revision, 1u);
    EXPECT_EQ(filed.change.changed.size(), 10u);  // the first filing lists every field
    registry.push_back(filed.computer);
    history.push_back(filed.change);
  }

  auto again = import_computers_csv(file);
  ASSERT_TRUE(again);
  const ImportPlan plan = apply_import(registry, history, again->computers, kLater, "user-1");
  EXPECT_THAT(plan.new_filings, IsEmpty());
  EXPECT_THAT(plan.changes, IsEmpty());
  EXPECT_THAT(plan.conflicts, IsEmpty());
  EXPECT_EQ(plan.unchanged.size(), 8u);
}

TEST(ComputerHistory, ApplyImportSortsNewChangedUnchangedAndConflicts) {
  const ImportantComputer vpn{"org-0001/vpn-1",
                              "org-0001",
                              DeviceCategory::vpn_gateway,
                              "Fortinet",
                              "FortiOS",
                              "7.2.4",
                              "",
                              true,
                              ManagedBy::operator_,
                              "",
                              ""};
  const ImportantComputer fw{"org-0001/fw-1",
                             "org-0001",
                             DeviceCategory::firewall,
                             "Cisco",
                             "ASA",
                             "9.16",
                             "",
                             false,
                             ManagedBy::operator_,
                             "",
                             ""};
  const std::vector<ImportantComputer> registry = {vpn, fw};
  // vpn-1 was already changed twice: its next revision is 4.
  const std::vector<ComputerChange> history = {
      {"org-0001/vpn-1", 1, kFirst, "u", {}},
      {"org-0001/vpn-1", 3, kFirst, "u", {}},
      {"org-0001/vpn-1", 2, kFirst, "u", {}},
  };
  ImportantComputer upgraded = vpn;
  upgraded.version = "7.4.3";
  ImportantComputer fw_again = fw;
  ImportantComputer fw_upgraded = fw;  // the same id twice in one batch: 2 then 3
  fw_upgraded.version = "9.18";
  ImportantComputer added{"org-0001/rt-1",
                          "org-0001",
                          DeviceCategory::router,
                          "Cisco",
                          "IOS XE",
                          "17.9",
                          "",
                          true,
                          ManagedBy::operator_,
                          "",
                          ""};
  ImportantComputer hijack = fw;
  hijack.organisation_id = "org-0002";
  const std::vector<ImportantComputer> imported = {upgraded, fw_again, added, hijack, fw_upgraded};

  const ImportPlan plan = apply_import(registry, history, imported, kLater, "user-2");
  ASSERT_EQ(plan.new_filings.size(), 1u);
  EXPECT_EQ(plan.new_filings[0].computer.id, "org-0001/rt-1");
  EXPECT_EQ(plan.new_filings[0].change.revision, 1u);
  ASSERT_EQ(plan.changes.size(), 2u);
  EXPECT_EQ(plan.changes[0].change.computer_id, "org-0001/vpn-1");
  EXPECT_EQ(plan.changes[0].change.revision, 4u);
  EXPECT_EQ(plan.changes[0].change.by, "user-2");
  EXPECT_EQ(plan.changes[0].change.changed, (Changed{{"version", "7.4.3"}}));
  EXPECT_EQ(plan.changes[0].computer.version, "7.4.3");
  EXPECT_EQ(plan.changes[1].change.computer_id, "org-0001/fw-1");
  EXPECT_EQ(plan.changes[1].change.revision, 2u);  // no history: the registered one is 1
  EXPECT_THAT(plan.unchanged, ElementsAre("org-0001/fw-1"));
  EXPECT_THAT(plan.conflicts, ElementsAre("org-0001/fw-1"));
}

}  // namespace
}  // namespace mamori::registry
