// End to end: one operator's incident report, the records the sieve selected and the other
// operators. The government's analyst links the report to the records (reading them under a
// purpose, I7); an operator in the same sector is warned with the indicators, without the
// reporter's name or text; an operator in another sector is not.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "workspace.h"

namespace {

using mamori::testing::CommandRun;
using mamori::testing::read_file;
using mamori::testing::Workspace;
using nlohmann::json;

constexpr std::string_view kRegimes = R"json({"regimes": [
  {"id": "ci", "name_ja": "事案報告（試験用）", "name_en": "incident report (test)",
   "first_report_within": "24h", "final_report_within": "30d"}]})json";

class Correlation : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_.run_ok("synth --out '" + ws_.capture() + "' --seed 31 --size-mb 2", "synth");
    std::ofstream(ws_.dir() / "regimes.json") << kRegimes;
    ws_.write_config(R"(["FF", "FD", "DF"])", "run.db", true,
                     "[registry]\npath = \"registry.db\"\nregimes = \"regimes.json\"\n"
                     "attack_techniques = \"" +
                         std::string(MAMORI_SOURCE_DIR) +
                         "/data/attack-enterprise-techniques.csv\"\n");
    ws_.run_ok("sieve --no-progress " + ws_.config() + " --input '" + ws_.capture() + "'", "sieve");
    for (const char* name : {"admin", "op-a", "op-b", "op-c"}) {
      ws_.run_ok("users add " + ws_.config() + " --name " + name + " --role " +
                     (std::string(name) == "admin" ? "admin" : "operator"),
                 std::string("users-") + name);
      const CommandRun token =
          ws_.mamori("users token " + ws_.config() + " --name " + name, "token");
      ASSERT_EQ(token.exit_code, 0) << token.err;
      std::ofstream(ws_.dir() / (std::string(name) + ".token")) << token.out;
    }
    std::ofstream(ws_.dir() / "orgs.csv")
        << "id,名称,name_en,種別,重要インフラ分野\n"
           "org-a,甲電力株式会社,Ko Electric,designated-operator,電力\n"
           "org-b,乙電力株式会社,Otsu Electric,designated-operator,電力\n"
           "org-c,丙銀行,Hei Bank,designated-operator,金融\n";
    run_ok_as("registry org put --file '" + (ws_.dir() / "orgs.csv").string() + "'", "admin");
    for (const char* org : {"a", "b", "c"}) {
      run_ok_as(std::string("registry org members --org org-") + org + " --add op-" + org, "admin");
    }
  }

  CommandRun run_as(const std::string& arguments, const std::string& user) {
    return ws_.mamori(arguments + " " + ws_.config() + " --token-file '" +
                          (ws_.dir() / (user + ".token")).string() + "'",
                      "as-" + user);
  }
  void run_ok_as(const std::string& arguments, const std::string& user) {
    const CommandRun run = run_as(arguments, user);
    ASSERT_EQ(run.exit_code, 0) << arguments << ": " << run.err << run.out;
  }

  Workspace ws_;
};

TEST_F(Correlation, OneOperatorsReportLinksToRecordsAndWarnsTheSameSector) {
  // An attack server the sieve selected and kept clear (matched infrastructure).
  const CommandRun records =
      ws_.mamori("records --limit 0 --format jsonl " + ws_.config() + " " + ws_.analyst(), "recs");
  ASSERT_EQ(records.exit_code, 0) << records.err;
  std::string server;
  std::string first_seen;
  std::istringstream lines(records.out);
  for (std::string line; std::getline(lines, line) && server.empty();) {
    const json record = json::parse(line);
    const std::string dst = record["dst"]["ip"];
    if (!dst.starts_with("p") && record["dst"]["country"] != "JP") {
      server = dst;
      first_seen = record["first_seen"];
    }
  }
  ASSERT_FALSE(server.empty()) << "no clear foreign server among the records";

  std::ofstream(ws_.dir() / "report.json")
      << R"({"phase": "速報", "reporter": "甲電力 CSIRT", "organisation_id": "org-a",
            "detected_at": ")"
      << first_seen.substr(0, 19) << R"(Z", "affected_computers": [],
            "known": "社内端末から不審な通信（機密の所見）",
            "indicators": [{"type": "ip", "value": ")"
      << server << R"("}]})";
  run_ok_as("incidents report --file '" + (ws_.dir() / "report.json").string() + "'", "op-a");

  // The analyst analyses the records (findings saved for correlation and the intelligence
  // layer), then correlates; without a purpose nothing is read.
  const CommandRun analysed =
      ws_.mamori("analyze --json " + ws_.config() + " " + ws_.analyst() + " --candidates-out '" +
                     (ws_.dir() / "candidates.rules.toml").string() + "'",
                 "analyze");
  ASSERT_EQ(analysed.exit_code, 0) << analysed.err;
  const json analysis = json::parse(analysed.out);
  EXPECT_EQ(analysis["run"], 1);
  EXPECT_FALSE(analysis["findings"].empty());
  // The candidates are a ruleset fragment the rules checker accepts (a change request).
  const CommandRun check = ws_.mamori(
      "rules check --ruleset '" + (ws_.dir() / "candidates.rules.toml").string() + "'", "check");
  EXPECT_EQ(check.exit_code, 0) << check.err << check.out;
  const CommandRun refused =
      ws_.mamori("incidents correlate " + ws_.config() + " --user analyst --password-file '" +
                     (ws_.dir() / "analyst.password").string() + "'",
                 "correlate-refused");
  EXPECT_EQ(refused.exit_code, 1);
  const CommandRun correlated =
      ws_.mamori("incidents correlate --json " + ws_.config() + " " + ws_.analyst(), "correlate");
  ASSERT_EQ(correlated.exit_code, 0) << correlated.err;
  const json result = json::parse(correlated.out);
  EXPECT_GT(result["records_read"].get<int>(), 0);
  std::size_t record_links = 0;
  for (const auto& link : result["links"]) {
    if (link["target_kind"] != "record") continue;
    ++record_links;
    EXPECT_EQ(link["reasons"][0], "same-indicator");
    EXPECT_EQ(link["matched"][0], server);
  }
  EXPECT_GT(record_links, 0u) << correlated.out;
  EXPECT_GT(result["findings_read"].get<int>(), 0);
  std::size_t finding_links = 0;
  for (const auto& link : result["links"]) finding_links += link["target_kind"] == "finding";
  EXPECT_GT(finding_links, 0u) << correlated.out;
  // The read is on the ledger like any other.
  const CommandRun ledger = ws_.mamori(
      "ledger export " + ws_.config() + " --out '" + (ws_.dir() / "ledger.jsonl").string() + "'",
      "ledger");
  ASSERT_EQ(ledger.exit_code, 0) << ledger.err;
  EXPECT_NE(read_file(ws_.dir() / "ledger.jsonl").find("access.read"), std::string::npos);

  // The other electricity operator is warned; the bank is not; nobody learns who reported.
  const CommandRun warned = run_as("notices --json", "op-b");
  ASSERT_EQ(warned.exit_code, 0) << warned.err;
  const json notices = json::parse(warned.out);
  ASSERT_EQ(notices["warnings"].size(), 1u) << warned.out;
  EXPECT_EQ(notices["warnings"][0]["organisation_id"], "org-b");
  EXPECT_EQ(notices["warnings"][0]["indicators"][0]["value"], server);
  for (const char* secret : {"org-a", "甲電力", "機密の所見", "CSIRT", "inc-"}) {
    EXPECT_EQ(warned.out.find(secret), std::string::npos) << secret << " in " << warned.out;
  }
  const CommandRun table = run_as("notices", "op-b");
  EXPECT_NE(table.out.find("他事業者の報告に基づく注意喚起"), std::string::npos) << table.out;
  const CommandRun bank = run_as("notices --json", "op-c");
  ASSERT_EQ(bank.exit_code, 0) << bank.err;
  EXPECT_TRUE(json::parse(bank.out)["warnings"].empty()) << bank.out;

  // Invariant I6 for derived data: once its records expire, the analysis run goes with them.
  const CommandRun retention =
      ws_.mamori("retention run " + ws_.config() + " --as-of 2099-12-31T00:00:00Z", "retention");
  ASSERT_EQ(retention.exit_code, 0) << retention.err;
  EXPECT_NE(retention.out.find("expired records and 1 analysis runs deleted"), std::string::npos)
      << retention.out;
}

}  // namespace
