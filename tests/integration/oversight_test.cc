// End-to-end tests of oversight through the real `mamori` and `mamori-verify` binaries:
// approval-bound selection (I4), retention (I6), purpose-bound reads (I7) and the tamper
// evidence of the ledger (I9), each decision checked in the ledger the overseer would verify.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/ip.h"
#include "workspace.h"

namespace {

namespace fs = std::filesystem;
using mamori::testing::CommandRun;
using mamori::testing::read_file;
using mamori::testing::Workspace;
using nlohmann::json;

const std::string kVerify = std::string(MAMORI_BINARY_DIR) + "/src/mamori/verify/mamori-verify";

CommandRun run_verify(const Workspace& workspace, const std::string& arguments,
                      const std::string& label) {
  const auto out = workspace.dir() / (label + ".stdout");
  const auto err = workspace.dir() / (label + ".stderr");
  const std::string command =
      kVerify + " " + arguments + " > '" + out.string() + "' 2> '" + err.string() + "'";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

// Runs SQL on a database file with the sqlite3 shell, as someone with file access would.
std::string sql(const Workspace& workspace, const std::string& db, const std::string& statement) {
  const auto script = workspace.dir() / "statement.sql";
  std::ofstream(script, std::ios::trunc) << statement << "\n";
  const std::string command = "sqlite3 '" + (workspace.dir() / db).string() + "' < '" +
                              script.string() + "' > '" + (workspace.dir() / "sql.out").string() +
                              "' 2>&1";
  const int status = std::system(command.c_str());
  if (status != 0)
    throw std::runtime_error("sqlite3 failed: " + read_file(workspace.dir() / "sql.out"));
  return read_file(workspace.dir() / "sql.out");
}

class Oversight : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    workspace_ = new Workspace();
    const CommandRun synth = workspace_->mamori(
        "synth --out '" + workspace_->capture() + "' --seed 99 --size-mb 2", "synth");
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
    workspace_->write_config(R"(["FF", "FD", "DF"])");
  }
  static void TearDownTestSuite() { delete workspace_; }

  static CommandRun sieve(const std::string& label, const std::string& extra = "") {
    return workspace_->mamori("sieve --json --no-progress " + workspace_->config() + " --input '" +
                                  workspace_->capture() + "' " + extra,
                              label);
  }

  // Every ledger entry, read through an export as the overseer would.
  static std::vector<json> ledger() {
    const auto path = workspace_->dir() / "ledger.jsonl";
    const CommandRun exported = workspace_->mamori(
        "ledger export " + workspace_->config() + " --out '" + path.string() + "'", "export");
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    std::vector<json> entries;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      auto parsed = json::parse(line, nullptr, false);
      if (parsed.is_object() && parsed.contains("seq")) entries.push_back(parsed);
    }
    return entries;
  }

  static std::vector<json> events(const std::string& type) {
    std::vector<json> out;
    for (auto& entry : ledger()) {
      if (entry["type"] == type) out.push_back(entry);
    }
    return out;
  }

  static Workspace* workspace_;
};

Workspace* Oversight::workspace_ = nullptr;

// --- I4: approval-bound selection ------------------------------------------------------------

TEST_F(Oversight, Invariant_I4_ApprovedRunIsRecordedWithItsCounters) {
  const CommandRun run = sieve("sieve-approved");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json summary = json::parse(run.out);
  const auto started = events("run.started");
  const auto ended = events("run.ended");
  ASSERT_FALSE(started.empty());
  ASSERT_FALSE(ended.empty());
  EXPECT_EQ(started.back()["body"]["approval_id"], "req-e2e-FF,req-e2e-FD,req-e2e-DF");
  EXPECT_EQ(started.back()["body"]["legal_basis"],
            "foreign-foreign,foreign-domestic,domestic-foreign");
  EXPECT_EQ(ended.back()["body"]["summary"]["records"], summary["records"]);
  EXPECT_EQ(ended.back()["body"]["summary"]["packets"], summary["packets"]);
  EXPECT_EQ(ended.back()["body"]["stopped_at_expiry"], false);
  EXPECT_FALSE(events("approval.granted").empty());
  EXPECT_FALSE(events("approval.requested").empty());
}

struct RefusalCase {
  std::string name;
  std::string refusal;  // the ledger's refusal kind
  std::string words;    // what the message must say
};

void expect_refused(const CommandRun& run, const std::string& refusal, const std::string& words,
                    const std::vector<json>& refused_events, std::size_t before) {
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find(words), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty()) << "a refused run must not report a summary: " << run.out;
  ASSERT_EQ(refused_events.size(), before + 1);
  EXPECT_EQ(refused_events.back()["body"]["refusal"], refusal);
}

TEST_F(Oversight, Invariant_I4_RefusesWithoutApproval) {
  const auto before = events("sieve.refused").size();
  workspace_->approve("");
  const CommandRun run = sieve("refused-none");
  workspace_->approve("FF,FD,DF");
  expect_refused(run, "no-approval", "no approval", events("sieve.refused"), before);
}

TEST_F(Oversight, Invariant_I4_RefusesWrongSigner) {
  workspace_->run_ok(
      "keys new --role overseer --out '" + (workspace_->dir() / "impostor").string() + "'",
      "keys-impostor");
  workspace_->approve("FF,FD,DF", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z", "impostor.key");
  const auto before = events("sieve.refused").size();
  const CommandRun run = sieve("refused-signer");
  workspace_->approve("FF,FD,DF");
  expect_refused(run, "signer", "signed by key", events("sieve.refused"), before);
}

TEST_F(Oversight, Invariant_I4_RefusesExpiredApproval) {
  workspace_->approve("FF,FD,DF", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z");
  const auto before = events("sieve.refused").size();
  const CommandRun run = sieve("refused-expired");
  workspace_->approve("FF,FD,DF");
  expect_refused(run, "expired", "expired", events("sieve.refused"), before);
}

TEST_F(Oversight, Invariant_I4_RefusesOtherCategory) {
  workspace_->approve("FF,DF");
  const auto before = events("sieve.refused").size();
  const CommandRun run = sieve("refused-category");
  workspace_->approve("FF,FD,DF");
  expect_refused(run, "categories", "do not cover configured categories FD",
                 events("sieve.refused"), before);
}

TEST_F(Oversight, Invariant_I4_RefusesOtherSensor) {
  const auto config = workspace_->dir() / "mamori.toml";
  const std::string original = read_file(config);
  std::string other = original;
  other.replace(other.find("gw-e2e"), 6, "gw-xyz");
  std::ofstream(config, std::ios::trunc) << other;
  const auto before = events("sieve.refused").size();
  const CommandRun run = sieve("refused-sensor");
  std::ofstream(config, std::ios::trunc) << original;
  expect_refused(run, "sensor", "gw-xyz", events("sieve.refused"), before);
}

TEST_F(Oversight, Invariant_I4_RefusesRulesetChangedByOneByte) {
  const auto rules = workspace_->dir() / "capture.rules.toml";
  const std::string original = read_file(rules);
  std::string changed = original;
  const auto at = changed.find("id = \"");
  ASSERT_NE(at, std::string::npos);
  char& byte = changed[at + 6];  // the first character of the first rule id
  byte = byte == 'x' ? 'y' : 'x';
  std::ofstream(rules, std::ios::trunc) << changed;
  const auto before = events("sieve.refused").size();
  const CommandRun run = sieve("refused-ruleset");
  std::ofstream(rules, std::ios::trunc) << original;
  expect_refused(run, "ruleset", "does not cover ruleset", events("sieve.refused"), before);
  EXPECT_EQ(sieve("ruleset-restored").exit_code, 0) << "the original ruleset is still approved";
}

// --- I7: purpose-bound reads -----------------------------------------------------------------

TEST_F(Oversight, Invariant_I7_ReadIsRecordedWithWhoWhatHowManyWhy) {
  ASSERT_EQ(sieve("sieve-for-read").exit_code, 0);
  const CommandRun read = workspace_->mamori("records --format jsonl --limit 5 --category FD " +
                                                 workspace_->config() + " " + workspace_->analyst(),
                                             "read-ok");
  ASSERT_EQ(read.exit_code, 0) << read.err;
  std::size_t lines = 0;
  for (char c : read.out) lines += c == '\n';
  const auto reads = events("access.read");
  ASSERT_FALSE(reads.empty());
  const auto& body = reads.back()["body"];
  EXPECT_EQ(body["user"], "analyst");
  EXPECT_EQ(body["role"], "analyst");
  EXPECT_EQ(body["purpose"], "attack-analysis");
  EXPECT_EQ(body["query"]["category"], "FD");
  EXPECT_EQ(body["records"].get<std::size_t>(), lines);
}

TEST_F(Oversight, Invariant_I7_ReadWithoutPurposeIsRefusedAndRecorded) {
  const auto before = events("access.refused").size();
  const CommandRun read = workspace_->mamori(
      "records --limit 1 " + workspace_->config() + " --user analyst --password-file '" +
          (workspace_->dir() / "analyst.password").string() + "'",
      "read-no-purpose");
  EXPECT_EQ(read.exit_code, 1);
  EXPECT_TRUE(read.out.empty()) << read.out;
  const auto refused = events("access.refused");
  ASSERT_EQ(refused.size(), before + 1);
  EXPECT_EQ(refused.back()["body"]["refusal"], "no-purpose");
  EXPECT_EQ(refused.back()["body"]["user"], "analyst");
}

TEST_F(Oversight, Invariant_I7_CriminalInvestigationIsAlwaysRefused) {
  for (const std::string purpose : {"犯罪捜査", "criminal-investigation"}) {
    const auto before = events("access.refused").size();
    const CommandRun read = workspace_->mamori(
        "records --limit 1 " + workspace_->config() + " --user analyst --password-file '" +
            (workspace_->dir() / "analyst.password").string() + "' --purpose " + purpose,
        "read-criminal");
    EXPECT_EQ(read.exit_code, 1);
    EXPECT_TRUE(read.out.empty()) << read.out;
    const auto refused = events("access.refused");
    ASSERT_EQ(refused.size(), before + 1);
    EXPECT_EQ(refused.back()["body"]["refusal"], "criminal-investigation");
    EXPECT_EQ(refused.back()["body"]["purpose"], purpose);
  }
}

TEST_F(Oversight, Invariant_I7_WrongPasswordAndNoUserAreRefused) {
  std::ofstream(workspace_->dir() / "wrong.password") << "guess\n";
  const CommandRun wrong = workspace_->mamori(
      "records --limit 1 " + workspace_->config() + " --user analyst --password-file '" +
          (workspace_->dir() / "wrong.password").string() + "' --purpose attack-analysis",
      "read-wrong");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.err.find("guess"), std::string::npos) << "a password never reaches a message";
  const CommandRun anonymous = workspace_->mamori(
      "records --limit 1 " + workspace_->config() + " --purpose attack-analysis", "read-anon");
  EXPECT_EQ(anonymous.exit_code, 1);
  const auto refused = events("access.refused");
  ASSERT_GE(refused.size(), 2u);
  EXPECT_EQ(refused[refused.size() - 2]["body"]["refusal"], "bad-credentials");
  EXPECT_EQ(refused.back()["body"]["refusal"], "no-user");
  for (const auto& line : {read_file(workspace_->dir() / "ledger.jsonl")}) {
    EXPECT_EQ(line.find("guess"), std::string::npos);
    EXPECT_EQ(line.find("correct horse"), std::string::npos);
  }
}

TEST_F(Oversight, Invariant_I7_ApiTokenReadsAsItsUser) {
  const CommandRun token =
      workspace_->mamori("users token " + workspace_->config() + " --name analyst", "token");
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const std::string secret = token.out.substr(0, token.out.find('\n'));
  ASSERT_TRUE(secret.starts_with("mmr_")) << token.out;
  std::ofstream(workspace_->dir() / "analyst.token") << secret << "\n";
  const CommandRun read = workspace_->mamori(
      "records --limit 1 " + workspace_->config() + " --token-file '" +
          (workspace_->dir() / "analyst.token").string() + "' --purpose attack-analysis",
      "read-token");
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(events("access.read").back()["body"]["user"], "analyst");
  EXPECT_EQ(read_file(workspace_->dir() / "ledger.jsonl").find(secret), std::string::npos);
  for (const auto& entry : fs::directory_iterator(workspace_->dir())) {
    if (entry.path().extension() == ".db") {
      EXPECT_EQ(read_file(entry.path()).find(secret), std::string::npos) << entry.path();
    }
  }
}

TEST_F(Oversight, Invariant_I7_ADisabledUserIsRefusedUntilEnabledAndBothAreRecorded) {
  const std::string password = (workspace_->dir() / "analyst.password").string();
  ASSERT_EQ(workspace_
                ->mamori("users add " + workspace_->config() +
                             " --name relief --role analyst --password-file '" + password + "'",
                         "add-relief")
                .exit_code,
            0);
  const std::string read = "records --limit 1 " + workspace_->config() +
                           " --user relief --password-file '" + password +
                           "' --purpose attack-analysis";
  const CommandRun disabled =
      workspace_->mamori("users disable " + workspace_->config() + " --name relief", "disable");
  ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
  EXPECT_EQ(events("user.disabled").back()["body"]["user"], "relief");
  const CommandRun refused = workspace_->mamori(read, "read-disabled");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(events("access.refused").back()["body"]["user"], "relief");
  // Disabling twice changes nothing and records nothing.
  const std::size_t recorded = events("user.disabled").size();
  EXPECT_EQ(workspace_->mamori("users disable " + workspace_->config() + " --name relief", "again")
                .exit_code,
            0);
  EXPECT_EQ(events("user.disabled").size(), recorded);
  const CommandRun enabled =
      workspace_->mamori("users enable " + workspace_->config() + " --name relief", "enable");
  ASSERT_EQ(enabled.exit_code, 0) << enabled.err;
  EXPECT_EQ(events("user.enabled").back()["body"]["user"], "relief");
  const CommandRun allowed = workspace_->mamori(read, "read-enabled");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(events("access.read").back()["body"]["user"], "relief");
  EXPECT_NE(workspace_->mamori("users disable " + workspace_->config() + " --name nobody", "nobody")
                .exit_code,
            0);
}

// --- I6: retention ---------------------------------------------------------------------------

TEST_F(Oversight, Invariant_I6_RetentionDeletesExactlyTheExpiredAndTheirBytes) {
  Workspace own;
  fs::copy(workspace_->capture(), own.capture());
  fs::copy(workspace_->dir() / "capture.rules.toml", own.dir() / "capture.rules.toml");
  for (const auto& entry : fs::directory_iterator(workspace_->dir())) {
    if (entry.path().filename().string().starts_with("capture.") &&
        !fs::exists(own.dir() / entry.path().filename())) {
      fs::copy(entry.path(), own.dir() / entry.path().filename());
    }
  }
  own.write_config(R"(["FF", "FD", "DF"])", "retention.db");
  const CommandRun run = own.mamori(
      "sieve --json --no-progress " + own.config() + " --input '" + own.capture() + "'", "sieve");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto records = json::parse(run.out)["records"].get<std::uint64_t>();
  ASSERT_GT(records, 0u);
  const CommandRun read =
      own.mamori("records --limit 1 --format jsonl " + own.config() + " " + own.analyst(), "read");
  ASSERT_EQ(read.exit_code, 0) << read.err;
  // A string only stored records hold: the first record's line as the store keeps it.
  const std::string stored_line = read.out.substr(0, read.out.find('\n'));
  ASSERT_NE(read_file(own.dir() / "retention.db").find(stored_line.substr(0, 60)),
            std::string::npos);

  // Retention is 30 days: nothing has expired yet.
  const CommandRun early = own.mamori("retention run " + own.config(), "retention-now");
  ASSERT_EQ(early.exit_code, 0) << early.err;
  EXPECT_NE(early.out.find("0 expired records and 0 analysis runs deleted"), std::string::npos)
      << early.out;

  const CommandRun late = own.mamori(
      "retention run " + own.config() + " --as-of 2099-01-01T00:00:00Z", "retention-late");
  ASSERT_EQ(late.exit_code, 0) << late.err;
  EXPECT_NE(late.out.find(std::to_string(records) + " expired records and"), std::string::npos)
      << late.out;
  const CommandRun after = own.mamori(
      "records --limit 0 --format jsonl " + own.config() + " " + own.analyst(), "read-after");
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(after.out.empty()) << after.out.substr(0, 200);
  for (const auto& suffix : {"", "-wal", "-shm"}) {
    const auto path = own.dir() / (std::string("retention.db") + suffix);
    if (!fs::exists(path)) continue;
    EXPECT_EQ(read_file(path).find(stored_line.substr(0, 60)), std::string::npos) << path;
  }
  // Both retention runs are ledger events with their counts.
  const auto path = own.dir() / "ledger.jsonl";
  ASSERT_EQ(own.mamori("ledger export " + own.config() + " --out '" + path.string() + "'", "export")
                .exit_code,
            0);
  std::vector<json> deletions;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto entry = json::parse(line, nullptr, false);
    if (entry.is_object() && entry.value("type", "") == "retention.deleted")
      deletions.push_back(entry);
  }
  ASSERT_EQ(deletions.size(), 2u);
  EXPECT_EQ(deletions[0]["body"]["records_deleted"], 0);
  EXPECT_EQ(deletions[1]["body"]["records_deleted"], records);
}

// --- I5: shareable aggregates ---------------------------------------------------------------

TEST_F(Oversight, Invariant_I5_SharedAggregatesCarryNoPeerAndNeedK) {
  ASSERT_EQ(sieve("sieve-share").exit_code, 0);
  const auto out = workspace_->dir() / "share.jsonl";
  const std::string build = "share build " + workspace_->config() + " " + workspace_->analyst() +
                            " --out '" + out.string() + "'";
  const CommandRun shared = workspace_->mamori(build + " --k 2", "share");
  ASSERT_EQ(shared.exit_code, 0) << shared.err;
  const std::string text = read_file(out);
  std::size_t aggregates = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line); ++aggregates) {
    const json aggregate = json::parse(line);
    EXPECT_EQ(aggregate["provenance"], "shareable");
    EXPECT_EQ(aggregate["k"], 2);
  }
  ASSERT_GT(aggregates, 0u);
  // No domestic endpoint of any selected record appears in what is shared.
  const CommandRun read = workspace_->mamori(
      "records --limit 0 --format jsonl " + workspace_->config() + " " + workspace_->analyst(),
      "read-for-share");
  ASSERT_EQ(read.exit_code, 0) << read.err;
  std::istringstream records(read.out);
  for (std::string line; std::getline(records, line);) {
    const json record = json::parse(line);
    for (const char* side : {"src", "dst"}) {
      if (record[side]["country"] != "JP") continue;
      const std::string ip = record[side]["ip"];
      EXPECT_EQ(text.find("\"" + ip + "\""), std::string::npos) << ip;
    }
  }
  // Thresholds can be made stricter, not looser; an impossible k shares nothing.
  EXPECT_EQ(workspace_->mamori(build + " --k 1", "share-loose").exit_code, 1);
  const CommandRun strict = workspace_->mamori(build + " --k 1000000", "share-strict");
  ASSERT_EQ(strict.exit_code, 0) << strict.err;
  EXPECT_TRUE(read_file(out).empty());
  const auto built = events("share.built");
  ASSERT_GE(built.size(), 2u);
  EXPECT_EQ(built.back()["body"]["aggregates"], 0);
  EXPECT_EQ(built.back()["body"]["purpose"], "attack-analysis");
}

// --- I9: the overseer's consistency check through both binaries ------------------------------

TEST_F(Oversight, Invariant_I9_HeldHeadIsConsistentWithTheGrownLedger) {
  const auto old_head = workspace_->dir() / "old-head.json";
  ASSERT_EQ(
      workspace_
          ->mamori("ledger head " + workspace_->config() + " --out '" + old_head.string() + "'",
                   "head-old")
          .exit_code,
      0);
  const json held = json::parse(read_file(old_head));
  ASSERT_EQ(sieve("sieve-grows").exit_code, 0);
  const auto proof = workspace_->dir() / "proof.json";
  const CommandRun prove =
      workspace_->mamori("ledger prove " + workspace_->config() + " --old-size " +
                             std::to_string(held["tree_size"].get<std::uint64_t>()) + " --out '" +
                             proof.string() + "'",
                         "prove");
  ASSERT_EQ(prove.exit_code, 0) << prove.err;
  const std::string key = "--key '" + (workspace_->dir() / "sensor.pub").string() + "'";
  const CommandRun ok = run_verify(
      *workspace_,
      "consistency " + key + " --proof '" + proof.string() + "' --old '" + old_head.string() + "'",
      "consistency");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  // A head from another history (another installation's key) is not accepted as the old one.
  json forged = held;
  forged["root"] = std::string(64, 'a');
  std::ofstream(workspace_->dir() / "forged-head.json") << forged.dump();
  const CommandRun bad =
      run_verify(*workspace_,
                 "consistency " + key + " --proof '" + proof.string() + "' --old '" +
                     (workspace_->dir() / "forged-head.json").string() + "'",
                 "consistency-forged");
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
}

// --- I3 + I7: a party agreement (当事者協定) and other-purpose use
// --------------------------------

TEST(PartyAgreement, Invariant_I7_OtherPurposeUseNeedsAConsentCoveringTheRange) {
  Workspace workspace;
  ASSERT_EQ(
      workspace.mamori("synth --out '" + workspace.capture() + "' --seed 11 --size-mb 2", "synth")
          .exit_code,
      0);
  // The party: the /16 of a domestic host with selected traffic to a foreign server.
  const json truth = json::parse(read_file(workspace.dir() / "capture.truth.json"));
  std::string party;
  for (const auto& flow : truth["flows"]) {
    const std::string src = flow["src"];
    if (flow["category"] == "DF" && !flow["rules"].empty() && src.find('.') != std::string::npos) {
      party = src.substr(0, src.find('.', src.find('.') + 1)) + ".0.0/16";
      break;
    }
  }
  ASSERT_FALSE(party.empty());
  workspace.write_config(R"(["FF", "FD", "DF"])", "party.db", /*approve=*/false);
  workspace.run_ok("approval request " + workspace.config() +
                       " --id req-party --basis party-agreement --agreement-id AG-7"
                       " --party-prefix " +
                       party +
                       " --agreement-purpose incident-response"
                       " --categories FF,FD,DF --not-before 2020-01-01T00:00:00Z"
                       " --not-after 2099-01-01T00:00:00Z --out '" +
                       (workspace.dir() / "request-party.json").string() + "'",
                   "request-party");
  workspace.run_ok("approve --key '" + (workspace.dir() / "overseer.key").string() +
                       "' --request '" + (workspace.dir() / "request-party.json").string() +
                       "' --out '" + (workspace.dir() / "approval-party.json").string() + "'",
                   "approve-party");
  workspace.use_approvals({"approval-party.json"});
  const CommandRun run = workspace.mamori(
      "sieve --json --no-progress " + workspace.config() + " --input '" + workspace.capture() + "'",
      "sieve");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json summary = json::parse(run.out);
  EXPECT_GT(summary["dropped"]["outside_agreement"].get<std::uint64_t>(), 0u);

  // I3: every record has an endpoint in the party's prefix.
  const std::string range = " --since 2000-01-01T00:00:00Z --until 2099-01-01T00:00:00Z";
  const std::string read =
      "records --limit 0 --format jsonl " + workspace.config() + range + " " + workspace.analyst();
  // attack-analysis is not a purpose the party agreed to: other-purpose use, no consent yet.
  const CommandRun refused = workspace.mamori(read, "read-refused");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("AG-7"), std::string::npos) << refused.err;
  EXPECT_TRUE(refused.out.empty());

  // A consent for a narrower range does not cover the read; one for the whole range does.
  workspace.run_ok("consent add " + workspace.config() +
                       " --id C-1 --agreement-id AG-7 --user analyst --purpose attack-analysis"
                       " --data-since 2010-01-01T00:00:00Z --data-until 2011-01-01T00:00:00Z",
                   "consent-narrow");
  EXPECT_EQ(workspace.mamori(read, "read-narrow").exit_code, 1);
  workspace.run_ok("consent add " + workspace.config() +
                       " --id C-2 --agreement-id AG-7 --user analyst --purpose attack-analysis"
                       " --data-since 2000-01-01T00:00:00Z --data-until 2099-01-01T00:00:00Z",
                   "consent-wide");
  const CommandRun allowed = workspace.mamori(read, "read-allowed");
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  const auto prefix = mamori::Prefix::parse(party);
  ASSERT_TRUE(prefix);
  std::size_t records = 0;
  std::istringstream lines(allowed.out);
  for (std::string line; std::getline(lines, line); ++records) {
    const json record = json::parse(line);
    const auto src = mamori::IpAddress::parse(workspace.clear_address(record["src"]["ip"]));
    const auto dst = mamori::IpAddress::parse(workspace.clear_address(record["dst"]["ip"]));
    EXPECT_TRUE(prefix->contains(*src) || prefix->contains(*dst)) << line;
  }
  EXPECT_GT(records, 0u);

  // The ledger has both refusals, the consents, and the read with the consent it used.
  const auto path = workspace.dir() / "ledger.jsonl";
  ASSERT_EQ(workspace
                .mamori("ledger export " + workspace.config() + " --out '" + path.string() + "'",
                        "export")
                .exit_code,
            0);
  std::vector<json> refusals, consents, reads;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto entry = json::parse(line, nullptr, false);
    if (!entry.is_object() || !entry.contains("type")) continue;
    if (entry["type"] == "access.refused") refusals.push_back(entry);
    if (entry["type"] == "consent.recorded") consents.push_back(entry);
    if (entry["type"] == "access.read") reads.push_back(entry);
  }
  ASSERT_EQ(refusals.size(), 2u);
  EXPECT_EQ(refusals[0]["body"]["refusal"], "no-consent");
  EXPECT_EQ(consents.size(), 2u);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0]["body"]["consents"], json::array({"C-2"}));
  EXPECT_EQ(reads[0]["body"]["records"].get<std::size_t>(), records);
}

// --- I9: tamper evidence on the stored ledger ---------------------------------------------------

// A governed installation with a history: the overseer holds a head of it and the pristine
// database is kept, so that every tamper starts from the same ledger.
class StoredLedgerTamper : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    workspace_ = new Workspace();
    const CommandRun synth = workspace_->mamori(
        "synth --out '" + workspace_->capture() + "' --seed 3 --size-mb 1", "synth");
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
    workspace_->write_config(R"(["FF", "FD", "DF"])", "tamper.db");
    const CommandRun run = workspace_->mamori(
        "sieve --no-progress " + workspace_->config() + " --input '" + workspace_->capture() + "'",
        "sieve");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    // A backup taken now; restoring it later is the rollback the overseer must notice.
    earlier_entries_ =
        std::stoull(sql(*workspace_, "tamper.db", "SELECT count(*) FROM ledger_entries;"));
    fs::copy(db(), workspace_->dir() / "earlier.db");
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(
          workspace_
              ->mamori("records --limit 1 " + workspace_->config() + " " + workspace_->analyst(),
                       "read")
              .exit_code,
          0);
    }
    const CommandRun head = workspace_->mamori(
        "ledger head " + workspace_->config() + " --out '" + held_head().string() + "'", "head");
    ASSERT_EQ(head.exit_code, 0) << head.err;
    entries_ = std::stoull(sql(*workspace_, "tamper.db", "SELECT count(*) FROM ledger_entries;"));
    ASSERT_GE(entries_, 8u);
    fs::copy(db(), workspace_->dir() / "pristine.db");
  }
  static void TearDownTestSuite() { delete workspace_; }

  static fs::path db() { return workspace_->dir() / "tamper.db"; }
  static fs::path held_head() { return workspace_->dir() / "held-head.json"; }

  // Restores the pristine store, then lets an attacker with full database access (who drops
  // the append-only triggers first) run `statements`.
  static void tamper(const std::string& statements) {
    fs::copy(workspace_->dir() / "pristine.db", db(), fs::copy_options::overwrite_existing);
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(db().string() + suffix);
    sql(*workspace_, "tamper.db",
        "DROP TRIGGER ledger_entries_no_update; DROP TRIGGER ledger_entries_no_delete; " +
            statements);
  }

  // The overseer's check: export as stored, verify with only the public key and the held head.
  static CommandRun verify() {
    const auto exported = workspace_->dir() / "tampered.jsonl";
    const CommandRun run = workspace_->mamori(
        "ledger export " + workspace_->config() + " --out '" + exported.string() + "'", "export");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run_verify(*workspace_,
                      "ledger --export '" + exported.string() + "' --key '" +
                          (workspace_->dir() / "sensor.pub").string() + "' --head '" +
                          held_head().string() + "'",
                      "verify");
  }

  static void expect_named(const std::string& what, std::uint64_t seq, const std::string& kind) {
    const CommandRun run = verify();
    EXPECT_EQ(run.exit_code, 1) << what << "\n" << run.out << run.err;
    const std::string named = "seq " + std::to_string(seq) + " [" + kind;
    EXPECT_NE(run.out.find(named), std::string::npos) << what << ": expected '" << named << "' in\n"
                                                      << run.out;
    // The installation itself refuses to go on with a tampered ledger.
    const CommandRun governed = workspace_->mamori(
        "records --limit 1 " + workspace_->config() + " " + workspace_->analyst(), "governed");
    EXPECT_EQ(governed.exit_code, 1) << what;
    EXPECT_NE(governed.err.find("ledger"), std::string::npos) << governed.err;
  }

  static std::vector<std::uint64_t> positions() { return {0, entries_ / 2, entries_ - 1}; }

  static Workspace* workspace_;
  static std::uint64_t entries_;
  static std::uint64_t earlier_entries_;
};

Workspace* StoredLedgerTamper::workspace_ = nullptr;
std::uint64_t StoredLedgerTamper::entries_ = 0;
std::uint64_t StoredLedgerTamper::earlier_entries_ = 0;

TEST_F(StoredLedgerTamper, PristineLedgerVerifies) {
  tamper("");
  const CommandRun run = verify();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

TEST_F(StoredLedgerTamper, Invariant_I9_ChangedEntryIsNamed) {
  for (const std::uint64_t seq : positions()) {
    tamper(
        "UPDATE ledger_entries SET leaf = replace(leaf, '\"type\":\"', '\"type\":\"x') "
        "WHERE seq = " +
        std::to_string(seq) + ";");
    expect_named("changed entry " + std::to_string(seq), seq, "altered");
  }
}

TEST_F(StoredLedgerTamper, Invariant_I9_DeletedEntryIsNamed) {
  for (const std::uint64_t seq : positions()) {
    tamper("DELETE FROM ledger_entries WHERE seq = " + std::to_string(seq) + ";");
    expect_named("deleted entry " + std::to_string(seq), seq, "missing");
  }
}

TEST_F(StoredLedgerTamper, Invariant_I9_ReorderedEntriesAreNamed) {
  for (const std::uint64_t seq : {std::uint64_t{0}, entries_ / 2, entries_ - 2}) {
    const std::string a = std::to_string(seq);
    const std::string b = std::to_string(seq + 1);
    tamper("UPDATE ledger_entries SET seq = 9000000 WHERE seq = " + a +
           "; UPDATE ledger_entries SET seq = " + a + " WHERE seq = " + b +
           "; UPDATE ledger_entries SET seq = " + b + " WHERE seq = 9000000;");
    expect_named("swapped entries " + a + "," + b, seq, "reordered");
  }
}

TEST_F(StoredLedgerTamper, Invariant_I9_InsertedEntryIsNamed) {
  for (const std::uint64_t seq : positions()) {
    const std::string at = std::to_string(seq);
    // Make room at `at`, then put in a well-formed entry the history never had.
    tamper("UPDATE ledger_entries SET seq = seq + 1000000 WHERE seq >= " + at +
           "; UPDATE ledger_entries SET seq = seq - 999999 WHERE seq >= 1000000; "
           "INSERT INTO ledger_entries (seq, leaf) SELECT " +
           at +
           ", replace(leaf, '\"type\":\"', '\"type\":\"forged.') FROM ledger_entries WHERE seq = " +
           std::to_string(seq + 1) + ";");
    const CommandRun run = verify();
    EXPECT_EQ(run.exit_code, 1) << run.out;
    EXPECT_NE(run.out.find("seq " + at + " ["), std::string::npos) << "inserted at " << at << ":\n"
                                                                   << run.out;
  }
}

TEST_F(StoredLedgerTamper, Invariant_I9_RollbackToAnEarlierCopyIsNamed) {
  // The overseer holds a head of the current ledger; the database is put back to the copy
  // taken before the analyst's reads.
  ASSERT_LT(earlier_entries_, entries_);
  fs::copy(workspace_->dir() / "earlier.db", db(), fs::copy_options::overwrite_existing);
  for (const char* suffix : {"-wal", "-shm"}) fs::remove(db().string() + suffix);
  const CommandRun run = verify();
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("entries " + std::to_string(earlier_entries_) + "–" +
                         std::to_string(entries_ - 1) + " are missing"),
            std::string::npos)
      << run.out;
}

}  // namespace
