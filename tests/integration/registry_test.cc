// End-to-end tests of the registry commands (`mamori registry`, `incidents`, `vulns`, `notices`)
// driving the real binary, as operators and government staff would: messy computer filings are
// reported row by row, a minimal first report starts the deadline clock and overdue reports
// appear only after their deadline, an operator acts only for its own organisation and sees
// exactly its own submission trail, and KEV plus government entries become notices, most urgent
// first. One governed installation serves the suite (keys, users and tokens cost time); each
// test uses its own organisations, and tests that depend on the vulnerability catalog their own
// registry file.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/time.h"
#include "workspace.h"

namespace {

namespace fs = std::filesystem;
using mamori::testing::CommandRun;
using mamori::testing::read_file;
using mamori::testing::Workspace;
using nlohmann::json;

constexpr std::string_view kRegimes = R"json({"regimes": [
  {"id": "nisc-ci", "name_ja": "重要インフラの事案報告（試験用）", "name_en": "CI incident report (test)",
   "first_report_within": "24h", "final_report_within": "30d"},
  {"id": "ppc-leak", "name_ja": "漏えい等報告（試験用）", "name_en": "PPC leak report (test)",
   "first_report_within": "3d", "final_report_within": "30d"}
]})json";

std::string registry_section(const std::string& db) {
  return "[registry]\n"
         "path = \"" +
         db +
         "\"\n"
         "regimes = \"regimes.json\"\n"
         "default_regime = \"nisc-ci\"\n"
         "attack_techniques = \"" +
         std::string(MAMORI_SOURCE_DIR) +
         "/data/attack-enterprise-techniques.csv\"\n"
         "[[registry.vendor_aliases]]\n"
         "alias = \"フォーティネット\"\n"
         "vendor = \"Fortinet\"\n";
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class RegistryCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ws_ = std::make_unique<Workspace>();
    ws_->write_config("[\"FF\"]", "run.db", /*approve=*/false, registry_section("registry.db"));
    std::ofstream(ws_->dir() / "regimes.json") << kRegimes;
    for (const char* name : {"admin", "op-a", "op-b"}) {
      ws_->run_ok("users add " + ws_->config() + " --name " + name + " --role " +
                      (std::string(name) == "admin" ? "admin" : "operator"),
                  std::string("users-add-") + name);
    }
    for (const char* name : {"admin", "analyst", "op-a", "op-b"}) {
      const CommandRun token = ws_->mamori("users token " + ws_->config() + " --name " + name,
                                           std::string("token-") + name);
      ASSERT_EQ(token.exit_code, 0) << token.err;
      std::ofstream(ws_->dir() / (std::string(name) + ".token")) << token.out;
    }
  }
  static void TearDownTestSuite() { ws_.reset(); }

  // Credentials of a user, as command-line arguments.
  static std::string as(const std::string& user) {
    return "--token-file '" + (ws_->dir() / (user + ".token")).string() + "'";
  }
  static std::string path(const std::string& name) { return (ws_->dir() / name).string(); }
  static std::string write(const std::string& name, std::string_view text) {
    std::ofstream(ws_->dir() / name, std::ios::binary) << text;
    return "'" + path(name) + "'";
  }
  // `mamori ARGS --config … <credentials of user>`.
  static CommandRun run(const std::string& arguments, const std::string& user,
                        const std::string& config = "mamori.toml") {
    static int counter = 0;
    return ws_->mamori(arguments + " --config '" + path(config) + "' " + as(user),
                       "registry-" + std::to_string(++counter));
  }
  static json run_json(const std::string& arguments, const std::string& user,
                       const std::string& config = "mamori.toml") {
    const CommandRun result = run(arguments + " --json", user, config);
    EXPECT_EQ(result.exit_code, 0) << arguments << ": " << result.err;
    try {
      return json::parse(result.out);
    } catch (const json::exception&) {
      ADD_FAILURE() << arguments << ": not JSON: " << result.out;
      return json();
    }
  }
  // A configuration like mamori.toml whose registry lives in `db` (a catalog of its own).
  static std::string config_with_registry(const std::string& db) {
    std::string text = read_file(ws_->dir() / "mamori.toml");
    const std::string from = "path = \"registry.db\"";
    text.replace(text.find(from), from.size(), "path = \"" + db + "\"");
    const std::string name = "mamori-" + db + ".toml";
    std::ofstream(ws_->dir() / name) << text;
    return name;
  }
  // Registers organisations (id, name) as admin and makes `member` their operator user.
  static void add_organisation(const std::string& id, const std::string& member,
                               const std::string& config = "mamori.toml") {
    const std::string file =
        write(id + ".orgs.csv", "id,名称,name_en,種別,重要インフラ分野\n" + id + ",試験株式会社 " +
                                    id + ",Test " + id + ",designated-operator,電力\n");
    const CommandRun put = run("registry org put --file " + file, "admin", config);
    ASSERT_EQ(put.exit_code, 0) << put.err << put.out;
    const CommandRun members =
        run("registry org members --org " + id + " --add " + member, "admin", config);
    ASSERT_EQ(members.exit_code, 0) << members.err;
  }
  // Files a first report (速報) with only the minimal fields; returns the incident id.
  static std::string first_report(const std::string& org, const std::string& user,
                                  const std::string& detected_at, const std::string& known) {
    const std::string file = write(org + ".first.json", R"({"format": "mamori-incident-report-v1",
      "phase": "速報", "reporter": "CSIRT 当番", "detected_at": ")" +
                                                            detected_at +
                                                            R"(",
      "affected_computers": [], "known": ")" + known + "\"}");
    const json out = run_json("incidents report --org " + org + " --file " + file, user);
    return out.value("incident_id", "");
  }

  static std::unique_ptr<Workspace> ws_;
};

std::unique_ptr<Workspace> RegistryCli::ws_;

// Full-width and half-width vendor names, quoted fields with commas and doubled quotes, a row
// short of its columns, and a file without a required column: every row is imported or
// rejected with its line and column, the good rows are stored, and the exit code is 2.
TEST_F(RegistryCli, MessyComputerCsvIsReportedRowByRowAndGoodRowsAreStored) {
  add_organisation("org-imp", "op-a");
  const std::string csv = write("computers.csv",
                                "id,organisation_id,category,vendor,product,version,internet_"
                                "facing,note\n"
                                "vpn-1,,vpn-gateway,ＦＯＲＴＩＮＥＴ,FortiOS,7.2.4,yes,\"rack A, "
                                "room \"\"north\"\"\"\n"
                                "vpn-2,org-imp,VPN装置,ﾌｫｰﾃｨﾈｯﾄ,ＦｏｒｔｉＯＳ,7.0.1,はい,\n"
                                "fw-1,,firewall,\"Palo Alto Networks, Inc.\",PAN-OS,10.2.3,no,\n"
                                "cam-1,,camera,Axis,M3106,,no,\n"
                                "vpn-3,,vpn-gateway,Ivanti,Connect Secure,22.7R2.3,maybe,\n"
                                "srv-1,org-other,server,NEC,Express5800,,no,\n"
                                "rt-1,,router,ヤマハ\n");
  const CommandRun imported = run("registry computers import --org org-imp --file " + csv, "op-a");
  EXPECT_EQ(imported.exit_code, 2) << imported.err;
  const std::string& out = imported.out;
  EXPECT_TRUE(contains(out, "3 rows imported, 4 rejected")) << out;
  EXPECT_TRUE(contains(out, "org-imp/vpn-1")) << out;
  EXPECT_TRUE(contains(out, "org-imp/vpn-2")) << out;
  EXPECT_TRUE(contains(out, "org-imp/fw-1")) << out;
  EXPECT_TRUE(contains(out, "computers.csv:5: column 'category'")) << out;
  EXPECT_TRUE(contains(out, "computers.csv:6: column 'internet_facing'")) << out;
  EXPECT_TRUE(contains(out, "computers.csv:7: column 'organisation_id'")) << out;
  EXPECT_TRUE(contains(out, "computers.csv:8: column 'product'")) << out;

  // The machine form accounts for every row exactly once.
  const CommandRun again =
      run("registry computers import --org org-imp --json --file " + csv, "op-a");
  EXPECT_EQ(again.exit_code, 2) << again.err;
  const json report = json::parse(again.out);
  std::vector<std::size_t> lines;
  for (const auto& row : report["imported"]) {
    lines.push_back(row["line"]);
    EXPECT_TRUE(contains(row["status"].get<std::string>(), "unchanged")) << row;
  }
  for (const auto& row : report["rejected"]) lines.push_back(row["line"]);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::size_t>{2, 3, 4, 5, 6, 7, 8}));

  // Stored as filed (not normalised), under the organisation's prefix.
  const json computers = run_json("registry computers list --org org-imp", "op-a");
  ASSERT_EQ(computers.size(), 3u) << computers;
  EXPECT_EQ(computers[0]["id"], "org-imp/fw-1");
  EXPECT_EQ(computers[0]["vendor"], "Palo Alto Networks, Inc.");
  EXPECT_EQ(computers[1]["id"], "org-imp/vpn-1");
  EXPECT_EQ(computers[1]["vendor"], "ＦＯＲＴＩＮＥＴ");
  EXPECT_EQ(computers[1]["note"], "rack A, room \"north\"");
  EXPECT_EQ(computers[2]["vendor"], "ﾌｫｰﾃｨﾈｯﾄ");

  // A version upgrade filed as JSON is one change, revision 2, in the full history.
  const std::string upgrade = write("upgrade.json", R"([
  {"id": "vpn-1", "category": "vpn-gateway", "vendor": "ＦＯＲＴＩＮＥＴ", "product": "FortiOS",
   "version": "7.2.9", "internet_facing": true, "note": "rack A, room \"north\""}
])");
  const CommandRun changed =
      run("registry computers import --org org-imp --file " + upgrade, "op-a");
  EXPECT_EQ(changed.exit_code, 0) << changed.err << changed.out;
  EXPECT_TRUE(contains(changed.out, "revision 2: version")) << changed.out;
  const json history = run_json("registry computers history --computer org-imp/vpn-1", "op-a");
  ASSERT_EQ(history.size(), 2u) << history;
  EXPECT_EQ(history[0]["revision"], 1);
  EXPECT_EQ(history[1]["revision"], 2);
  EXPECT_EQ(history[1]["by"], "op-a");
  EXPECT_EQ(history[1]["changed"], json::parse(R"([["version", "7.2.9"]])"));

  // A file without a required column: reported once, and every row names it.
  const std::string no_product = write("no-product.csv",
                                       "id,category,vendor,version\nx-1,router,Cisco,17.9\nx-2,"
                                       "firewall,\"Check Point\",R81\n");
  const CommandRun missing =
      run("registry computers import --org org-imp --file " + no_product, "op-a");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(contains(missing.out, "missing columns / 不足している列: product")) << missing.out;
  EXPECT_TRUE(contains(missing.out, "no-product.csv:2: column 'product'")) << missing.out;
  EXPECT_TRUE(contains(missing.out, "no-product.csv:3: column 'product'")) << missing.out;
  EXPECT_EQ(run_json("registry computers list --org org-imp", "op-a").size(), 3u);
}

// The acceptance rule: a minimal 速報 is accepted and starts the clock; the final report is
// overdue only after its deadline; 続報 and 確報 are appended; errors name the field.
TEST_F(RegistryCli, MinimalFirstReportStartsTheClockAndOverdueFollowsTheDeadline) {
  add_organisation("org-inc", "op-a");
  const std::string first = write("first.json", R"({"phase": "first", "reporter": "CSIRT 当番",
    "detected_at": "2026-01-10T00:00:00Z", "affected_computers": [],
    "known": "VPN装置への不審なログインを検知"})");
  const CommandRun opened = run("incidents report --org org-inc --file " + first, "op-a");
  ASSERT_EQ(opened.exit_code, 0) << opened.err;
  EXPECT_TRUE(contains(opened.out, "first (速報) report accepted from op-a")) << opened.out;
  EXPECT_TRUE(contains(opened.out, "2026-01-11T00:00:00Z")) << opened.out;  // 速報 due (24h)
  EXPECT_TRUE(contains(opened.out, "2026-02-09T00:00:00Z")) << opened.out;  // 確報 due (30d)
  const std::string id = opened.out.substr(9, opened.out.find(':') - 9);
  ASSERT_TRUE(id.starts_with("inc-")) << opened.out;

  const auto overdue_at = [&](const std::string& t) {
    return run_json("incidents list --org org-inc --overdue --as-of " + t, "op-a");
  };
  EXPECT_TRUE(overdue_at("2026-02-08T23:59:59Z").empty());
  EXPECT_TRUE(overdue_at("2026-02-09T00:00:00Z").empty());  // due exactly now: not yet overdue
  const json late = overdue_at("2026-02-10T00:00:00Z");
  ASSERT_EQ(late.size(), 1u) << late;
  EXPECT_EQ(late[0]["incident_id"], id);
  EXPECT_EQ(late[0]["outstanding"], "final");
  EXPECT_EQ(late[0]["overdue_seconds"], 86400);
  // The government sees it too, in the human table.
  const CommandRun table = run("incidents list --overdue --as-of 2026-02-10T00:00:00Z", "analyst");
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(contains(table.out, id)) << table.out;
  EXPECT_TRUE(contains(table.out, "final (確報)")) << table.out;
  // The short form of the acceptance text: `mamori incidents --overdue`.
  const json short_form = run_json("incidents --overdue --as-of 2026-02-10T00:00:00Z", "op-a");
  ASSERT_EQ(short_form.size(), 1u) << short_form;
  EXPECT_EQ(short_form[0]["incident_id"], id);
  const CommandRun bare = run("incidents", "op-a");
  EXPECT_NE(bare.exit_code, 0) << bare.out;
  EXPECT_TRUE(contains(bare.err, "--overdue")) << bare.err;

  // 続報, then a 確報 with a mistyped technique (named with a suggestion), then the right one.
  const std::string interim = write("interim.json", R"({"phase": "続報", "reporter": "CSIRT",
    "organisation_id": "org-inc", "detected_at": "2026-01-10T00:00:00Z",
    "affected_computers": [], "known": "侵入経路を調査中", "cause": "VPN装置の脆弱性",
    "uncertain": ["cause"]})");
  const CommandRun appended =
      run("incidents report --incident " + id + " --file " + interim, "op-a");
  EXPECT_EQ(appended.exit_code, 0) << appended.err;
  EXPECT_TRUE(contains(appended.out, "interim (続報)")) << appended.out;

  const std::string final_text = R"({"phase": "確報", "reporter": "CSIRT",
    "organisation_id": "org-inc", "detected_at": "2026-01-10T00:00:00Z",
    "affected_computers": [], "known": "VPN装置経由の侵入", "cause": "未修正の脆弱性",
    "service_impact": "なし", "techniques": ["TECHNIQUE"],
    "indicators": [{"type": "ip", "value": "203.0.113.7"}], "measures": "更新と認証情報の変更"})";
  std::string typo = final_text;
  typo.replace(typo.find("TECHNIQUE"), 9, "T1109");
  const CommandRun refused =
      run("incidents report --incident " + id + " --file " + write("typo.json", typo), "op-a");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(contains(refused.err, "techniques[0]")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "T1190")) << refused.err;
  EXPECT_FALSE(contains(refused.err, "203.0.113.7")) << refused.err;  // never echoes indicators

  const CommandRun incomplete = run("incidents report --incident " + id + " --file " +
                                        write("incomplete.json", R"({"phase": "final",
    "reporter": "CSIRT", "organisation_id": "org-inc", "detected_at": "2026-01-10T00:00:00Z",
    "affected_computers": [], "known": "x"})"),
                                    "op-a");
  EXPECT_EQ(incomplete.exit_code, 1);
  EXPECT_TRUE(contains(incomplete.err, "missing required fields")) << incomplete.err;
  EXPECT_TRUE(contains(incomplete.err, "cause")) << incomplete.err;

  const CommandRun broken = run("incidents report --incident " + id + " --file " +
                                    write("broken.json", "{\n  \"phase\": ,\n}"),
                                "op-a");
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_TRUE(contains(broken.err, "broken.json:2:")) << broken.err;

  std::string good = final_text;
  good.replace(good.find("TECHNIQUE"), 9, "T1190");
  const CommandRun closed =
      run("incidents report --incident " + id + " --file " + write("final.json", good), "op-a");
  EXPECT_EQ(closed.exit_code, 0) << closed.err;
  EXPECT_TRUE(overdue_at("2026-02-10T00:00:00Z").empty());

  const json shown = run_json("incidents show --incident " + id, "op-a");
  ASSERT_EQ(shown["reports"].size(), 3u) << shown;
  EXPECT_EQ(shown["detected_at"], "2026-01-10T00:00:00Z");
  const char* phases[] = {"first", "interim", "final"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(shown["reports"][i]["phase"], phases[i]);
    EXPECT_EQ(shown["reports"][i]["submitted_by"], "op-a");
  }
  EXPECT_EQ(shown["deadlines"]["final_report_filed"], true);
}

// Operator B can neither see nor file for operator A's organisation, whatever the command; the
// refusals never show A's report text. Government roles see everything but do not file.
TEST_F(RegistryCli, OperatorsActOnlyForTheirOwnOrganisation) {
  add_organisation("org-own-a", "op-a");
  add_organisation("org-own-b", "op-b");
  const std::string secret = "取締役会資料の流出を確認";
  const std::string incident = first_report("org-own-a", "op-a", "2026-03-01T09:00:00Z", secret);
  ASSERT_FALSE(incident.empty());
  const std::string csv =
      write("b-computers.csv", "id,category,vendor,product\nr-1,router,NEC,IX\n");
  const std::string report_a = write("a-report.json", R"({"phase": "first", "reporter": "x",
    "organisation_id": "org-own-a", "detected_at": "2026-03-01T09:00:00Z",
    "affected_computers": [], "known": "y"})");

  const std::vector<std::string> attempts = {
      "registry computers import --org org-own-a --file " + csv,
      "registry computers list --org org-own-a",
      "registry submissions --org org-own-a",
      "incidents report --org org-own-a --file " + report_a,
      "incidents report --file " + report_a,
      "incidents list --org org-own-a",
      "notices --org org-own-a",
      "registry org list --org org-own-a",
  };
  for (const auto& attempt : attempts) {
    const CommandRun refused = run(attempt, "op-b");
    EXPECT_EQ(refused.exit_code, 1) << attempt;
    EXPECT_TRUE(
        contains(refused.err, "user 'op-b' (operator) may not act for organisation 'org-own-a'"))
        << attempt << ": " << refused.err;
  }
  for (const std::string verb : {"show", "render --form ppc"}) {
    const CommandRun refused = run("incidents " + verb + " --incident " + incident, "op-b");
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_TRUE(contains(refused.err, "may not see incident")) << refused.err;
    EXPECT_FALSE(contains(refused.out + refused.err, secret));
  }
  // Appending to A's incident under B's own organisation id is refused the same way.
  const std::string interim_b = write("b-interim.json", R"({"phase": "interim", "reporter": "x",
    "organisation_id": "org-own-b", "detected_at": "2026-03-01T09:00:00Z",
    "affected_computers": [], "known": "y"})");
  const CommandRun hijack =
      run("incidents report --incident " + incident + " --file " + interim_b, "op-b");
  EXPECT_EQ(hijack.exit_code, 1);
  EXPECT_FALSE(contains(hijack.out + hijack.err, secret));

  // B's own views list only B's organisation.
  const json orgs = run_json("registry org list", "op-b");
  for (const auto& org : orgs) EXPECT_EQ(org["operator_users"], json::array({"op-b"})) << org;
  for (const auto& listed : run_json("incidents list", "op-b")) {
    EXPECT_NE(listed["incident_id"], incident);
  }

  // Government: sees A's incident, may not file for A, and operators may not do government work.
  const CommandRun shown = run("incidents show --incident " + incident, "analyst");
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(contains(shown.out, secret));
  const CommandRun analyst_files =
      run("registry computers import --org org-own-a --file " + csv, "analyst");
  EXPECT_EQ(analyst_files.exit_code, 1);
  EXPECT_TRUE(contains(analyst_files.err, "may not file for organisation 'org-own-a'"))
      << analyst_files.err;
  for (const std::string government_only : {"vulns list", "vulns mark-exploited --id CVE-2024-0001",
                                            "registry org members --org "
                                            "org-own-b --add op-a"}) {
    const CommandRun refused = run(government_only, "op-b");
    EXPECT_EQ(refused.exit_code, 1) << government_only;
    EXPECT_TRUE(contains(refused.err, "user 'op-b' (operator) may not")) << refused.err;
  }
  const CommandRun not_admin = run("registry org members --org org-own-b --add op-a", "analyst");
  EXPECT_EQ(not_admin.exit_code, 1);
  EXPECT_TRUE(contains(not_admin.err, "admin only")) << not_admin.err;

  // Nobody at all.
  const CommandRun anonymous =
      ws_->mamori("registry org list --config '" + path("mamori.toml") + "'", "registry-anonymous");
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_TRUE(contains(anonymous.err, "needs a user")) << anonymous.err;
}

// Everything an operator submits is in its trail with the authenticated user and the time of
// receipt, and the trail holds nothing of another organisation.
TEST_F(RegistryCli, SubmissionTrailIsTheOperatorsOwnWithUserAndTime) {
  add_organisation("org-trail-a", "op-a");
  add_organisation("org-trail-b", "op-b");
  const auto before = mamori::SystemClock().now();
  const std::string csv = write("trail.csv",
                                "id,category,vendor,product,version\n"
                                "vpn-1,vpn-gateway,Fortinet,FortiOS,7.2.4\n");
  ASSERT_EQ(run("registry computers import --org org-trail-a --file " + csv, "op-a").exit_code, 0);
  const std::string incident =
      first_report("org-trail-a", "op-a", "2026-04-01T00:00:00Z", "不審な通信");
  ASSERT_EQ(run("registry computers import --org org-trail-b --file " + csv, "op-b").exit_code, 0);
  first_report("org-trail-b", "op-b", "2026-04-02T00:00:00Z", "別の事案");
  const auto after = mamori::SystemClock().now();

  const json trail = run_json("registry submissions --org org-trail-a", "op-a");
  ASSERT_EQ(trail.size(), 2u) << trail;
  EXPECT_EQ(trail[0]["kind"], "import");
  EXPECT_EQ(trail[0]["subject"], "trail.csv");
  EXPECT_EQ(trail[0]["summary"], "1 new, 0 changed, 0 unchanged, 0 conflicts not applied");
  EXPECT_EQ(trail[1]["kind"], "incident-report");
  EXPECT_EQ(trail[1]["subject"], incident);
  for (const auto& entry : trail) {
    EXPECT_EQ(entry["organisation_id"], "org-trail-a");
    EXPECT_EQ(entry["user"], "op-a");
    auto at = mamori::parse_rfc3339(entry["at"].get<std::string>());
    ASSERT_TRUE(at);
    EXPECT_LE(before.seconds(), at->seconds());
    EXPECT_GE(after.seconds(), at->seconds());
  }
  const CommandRun table = run("registry submissions --org org-trail-a", "op-a");
  EXPECT_TRUE(contains(table.out, "op-a")) << table.out;
  EXPECT_FALSE(contains(table.out, "op-b")) << table.out;
  // The government reads any trail.
  EXPECT_EQ(run_json("registry submissions --org org-trail-b", "admin").size(), 2u);
}

// A small KEV-format file and a confidential government entry against filed computers: notices
// in the documented urgency order, embargo marked, and only to the organisation concerned.
TEST_F(RegistryCli, KevAndGovernmentEntriesBecomeNoticesMostUrgentFirst) {
  const std::string config = config_with_registry("notices.db");
  add_organisation("org-n", "op-a", config);
  add_organisation("org-quiet", "op-b", config);
  const std::string csv = write("notice-computers.csv",
                                "id,category,vendor,product,version,internet_facing\n"
                                "vpn-1,vpn-gateway,ﾌｫｰﾃｨﾈｯﾄ,ＦｏｒｔｉＯＳ,7.2.4,yes\n"
                                "fw-1,firewall,\"Palo Alto Networks, Inc.\",PAN-OS,10.2.3,no\n"
                                "web-1,web-server,Apache,HTTP Server,2.4.58,yes\n");
  ASSERT_EQ(run("registry computers import --org org-n --file " + csv, "op-a", config).exit_code,
            0);
  const std::string quiet = write("quiet.csv", "id,category,vendor,product\nr-1,router,NEC,IX\n");
  ASSERT_EQ(
      run("registry computers import --org org-quiet --file " + quiet, "op-b", config).exit_code,
      0);

  const auto kev_entry = [](const char* id, const char* vendor, const char* product,
                            const char* due, const char* ransomware) {
    return json{{"cveID", id},
                {"vendorProject", vendor},
                {"product", product},
                {"vulnerabilityName", std::string(vendor) + " " + product + " Vulnerability"},
                {"dateAdded", "2024-01-02"},
                {"shortDescription", "test entry"},
                {"requiredAction", "Apply updates per vendor instructions."},
                {"dueDate", due},
                {"knownRansomwareCampaignUse", ransomware}};
  };
  json kev = {{"catalogVersion", "2024.01.02"},
              {"dateReleased", "2024-01-02T00:00:00.000Z"},
              {"vulnerabilities",
               {kev_entry("CVE-2024-0001", "Fortinet", "FortiOS", "2024-02-01", "Known"),
                kev_entry("CVE-2024-0002", "Palo Alto Networks", "PAN-OS", "2024-01-15", "Unknown"),
                kev_entry("CVE-2024-0003", "Apache", "HTTP Server", "2024-03-01", "Unknown"),
                kev_entry("CVE-2024-0004", "Cisco", "IOS XE", "not-a-date", "Unknown")}}};
  kev["count"] = 4;
  const CommandRun kev_import =
      run("vulns import-kev --file " + write("small-kev.json", kev.dump()), "analyst", config);
  EXPECT_EQ(kev_import.exit_code, 2) << kev_import.err;
  EXPECT_TRUE(contains(kev_import.out, "3 entries imported")) << kev_import.out;
  EXPECT_TRUE(contains(kev_import.out, "vulnerabilities[3].dueDate")) << kev_import.out;

  const std::string government = write("gov.json", R"({
    "format": "mamori-government-vulnerabilities-v1",
    "vulnerabilities": [{"cve_id": "GOV-2026-0001", "vendor": "Apache", "product": "HTTP Server",
      "name": "事前通知（試験用）", "date_added": "2026-01-05", "due_date": "2026-06-01",
      "required_action": "2.4.60 へ更新",
      "affected": [{"from": "2.4.0", "fixed_in": "2.4.60"}]}]})");
  const CommandRun gov_import =
      run("vulns import-government --file " + government, "admin", config);
  EXPECT_EQ(gov_import.exit_code, 0) << gov_import.err << gov_import.out;
  const CommandRun mark =
      run("vulns mark-exploited --id CVE-2024-0002 --basis inc-2026-0099", "analyst", config);
  EXPECT_EQ(mark.exit_code, 0) << mark.err;

  const json notices = run_json("notices --org org-n", "op-a", config)["notices"];
  ASSERT_EQ(notices.size(), 1u) << notices;
  EXPECT_EQ(notices[0]["organisation_id"], "org-n");
  std::vector<std::string> order;
  for (const auto& n : notices[0]["notices"]) {
    order.push_back(n["vulnerability_id"].get<std::string>() + " " +
                    n["computer_id"].get<std::string>());
  }
  EXPECT_EQ(order, (std::vector<std::string>{
                       "CVE-2024-0002 org-n/fw-1",   // exploited in Japan
                       "CVE-2024-0001 org-n/vpn-1",  // internet-facing, known ransomware
                       "CVE-2024-0003 org-n/web-1",  // internet-facing, earlier due date
                       "GOV-2026-0001 org-n/web-1",  // internet-facing, later due date
                   }));
  EXPECT_EQ(notices[0]["notices"][3]["embargoed"], true);
  EXPECT_EQ(notices[0]["notices"][3]["match"], "version-in-range");

  const CommandRun table = run("notices --org org-n", "op-a", config);
  EXPECT_TRUE(contains(table.out, "国内で悪用を確認")) << table.out;
  EXPECT_TRUE(contains(table.out, "EMBARGOED")) << table.out;
  EXPECT_LT(table.out.find("CVE-2024-0002"), table.out.find("CVE-2024-0001")) << table.out;

  // Operator B has no matching computer and sees nothing of org-n's.
  const CommandRun theirs = run("notices", "op-b", config);
  EXPECT_EQ(theirs.exit_code, 0) << theirs.err;
  EXPECT_TRUE(contains(theirs.out, "no notices")) << theirs.out;
  // The government sees the catalog, embargo and mark included.
  const json catalog = run_json("vulns list", "analyst", config);
  ASSERT_EQ(catalog.size(), 4u) << catalog;
  EXPECT_EQ(catalog[1]["exploited_in_japan"], true);
  EXPECT_EQ(catalog[3]["confidential"], true);
}

// The vendored CISA catalog imports whole, and a filed FortiOS gateway gets notices from it.
TEST_F(RegistryCli, VendoredKevCatalogImportsAndMatches) {
  const std::string config = config_with_registry("kev.db");
  add_organisation("org-kev", "op-a", config);
  const std::string csv = write("kev-computers.csv",
                                "id,category,vendor,product,version,internet_facing\n"
                                "vpn-1,vpn-gateway,フォーティネット,FortiOS,7.2.4,yes\n");
  ASSERT_EQ(run("registry computers import --org org-kev --file " + csv, "op-a", config).exit_code,
            0);
  const CommandRun imported =
      run("vulns import-kev --file '" + std::string(MAMORI_SOURCE_DIR) + "/data/kev.json'", "admin",
          config);
  EXPECT_EQ(imported.exit_code, 0) << imported.err << imported.out;
  EXPECT_TRUE(contains(imported.out, "1404 entries imported (1404 new, 0 updated), 0 rejected"))
      << imported.out;
  const json notices = run_json("notices", "op-a", config)["notices"];
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_GT(notices[0]["notices"].size(), 5u);
  for (const auto& n : notices[0]["notices"]) {
    EXPECT_EQ(n["vendor"], "Fortinet");
    EXPECT_EQ(n["product"], "FortiOS");
    EXPECT_EQ(n["match"], "product-only");
  }
}

// One incident, filed once, rendered as the PPC leak report and the telecom accident report.
TEST_F(RegistryCli, IncidentRendersForOtherRegimes) {
  add_organisation("org-render", "op-a");
  const std::string file = write("render.json", R"({"phase": "first", "reporter": "CSIRT",
    "detected_at": "2026-05-01T00:00:00Z", "affected_computers": [], "known": "顧客DBへの不正アクセス",
    "personal_data_items": ["氏名", "メールアドレス"], "persons_affected": 1200,
    "service_impact": "会員サイト停止", "cause": "SQLインジェクション", "uncertain": ["cause"]})");
  const json opened =
      run_json("incidents report --org org-render --regime ppc-leak --file " + file, "op-a");
  const std::string id = opened["incident_id"];
  EXPECT_EQ(opened["deadlines"]["regime"], "ppc-leak");
  EXPECT_EQ(opened["deadlines"]["first_report_due"], "2026-05-04T00:00:00Z");

  const json ppc = run_json("incidents render --form ppc --incident " + id, "op-a");
  EXPECT_EQ(ppc["form"], "ppc-personal-data-leak");
  std::map<std::string, json> fields;
  for (const auto& field : ppc["fields"]) fields[field["key"]] = field;
  EXPECT_EQ(fields["persons_affected"]["value"], 1200);
  EXPECT_EQ(fields["cause"]["uncertain"], true);
  EXPECT_EQ(fields["prevention"]["status"], "to_be_completed");

  const json telecom = run_json("incidents render --form telecom --incident " + id, "op-a");
  for (const auto& field : telecom["fields"]) {
    if (field["key"] == "impact_scope") {
      EXPECT_EQ(field["value"], "会員サイト停止");
    }
  }
  const CommandRun table = run("incidents render --form ppc --incident " + id, "analyst");
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(contains(table.out, "個人情報保護委員会への漏えい等報告")) << table.out;
  EXPECT_TRUE(contains(table.out, "本人の数")) << table.out;
  EXPECT_TRUE(contains(table.out, "(uncertain / 未確定)")) << table.out;
  EXPECT_TRUE(contains(table.out, "(to be completed / 要補完)")) << table.out;
}

// Configuration mistakes are named with the file, line and key.
TEST_F(RegistryCli, ConfigurationErrorsNameTheKey) {
  std::string text = read_file(ws_->dir() / "mamori.toml");
  const std::string from = "path = \"registry.db\"";
  text.replace(text.find(from), from.size(), "pathh = \"registry.db\"");
  std::ofstream(ws_->dir() / "typo.toml") << text;
  const CommandRun typo = run("registry org list", "admin", "typo.toml");
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_TRUE(contains(typo.err, "key 'registry.path'")) << typo.err;
  EXPECT_TRUE(contains(typo.err, "key 'registry.pathh': unknown key")) << typo.err;

  text = read_file(ws_->dir() / "mamori.toml");
  const std::string regimes = "regimes = \"regimes.json\"\ndefault_regime = \"nisc-ci\"\n";
  text.replace(text.find(regimes), regimes.size(), "");
  std::ofstream(ws_->dir() / "no-regimes.toml") << text;
  const CommandRun no_regimes = run("incidents list", "admin", "no-regimes.toml");
  EXPECT_EQ(no_regimes.exit_code, 1);
  EXPECT_TRUE(contains(no_regimes.err, "[registry] regimes is not set")) << no_regimes.err;
}

}  // namespace
