// End-to-end tests of re-identification (I5) through the real `mamori` binary: the overseer
// grants roles and purposes, an analyst turns pseudonyms from selected records back into
// addresses, and every attempt, allowed or refused, is in the ledger the overseer verifies;
// the clear address never is.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/ip.h"
#include "mamori/privacy/pseudonymizer.h"
#include "workspace.h"

namespace {

namespace fs = std::filesystem;
using mamori::testing::CommandRun;
using mamori::testing::read_file;
using mamori::testing::Workspace;
using nlohmann::json;

class Reidentify : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    workspace_ = new Workspace();
    const CommandRun synth =
        workspace_->mamori("synth --out '" + workspace_->capture() + "' --size-mb 2", "synth");
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
    workspace_->write_config(R"(["FD", "DF"])");
    const CommandRun sieve =
        workspace_->mamori("sieve --json --no-progress " + workspace_->config() + " --input '" +
                               workspace_->capture() + "'",
                           "sieve");
    ASSERT_EQ(sieve.exit_code, 0) << sieve.err;
    const CommandRun read = workspace_->mamori(
        "records --limit 0 --format jsonl " + workspace_->config() + " " + workspace_->analyst(),
        "read");
    ASSERT_EQ(read.exit_code, 0) << read.err;
    // Domestic endpoints of selected records are stored as pseudonyms (the field policy).
    std::set<std::string> seen;
    std::istringstream lines(read.out);
    for (std::string line; std::getline(lines, line) && pseudonyms_.size() < 3;) {
      const json record = json::parse(line);
      for (const char* side : {"src", "dst"}) {
        if (record[side]["country"] != "JP") continue;
        const std::string ip = record[side]["ip"];
        if (ip.starts_with("p") && seen.insert(ip).second) pseudonyms_.push_back(ip);
      }
    }
  }
  static void TearDownTestSuite() { delete workspace_; }

  void SetUp() override {
    ASSERT_GE(pseudonyms_.size(), 2u) << "the capture must yield pseudonymized records";
  }

  // The overseer signs a grant; `extra` may add --config to record it.
  static std::string grant(const std::string& name, const std::string& roles,
                           const std::string& purposes,
                           const std::string& not_after = "2099-01-01T00:00:00Z",
                           const std::string& key = "overseer.key", const std::string& extra = "") {
    const auto path = workspace_->dir() / (name + ".json");
    workspace_->run_ok("approve-reidentification --key '" + (workspace_->dir() / key).string() +
                           "' --id " + name + " --roles " + roles + " --purposes " + purposes +
                           " --not-before 2020-01-01T00:00:00Z --not-after " + not_after +
                           " --justification 'victim notification' --out '" + path.string() + "' " +
                           extra,
                       "grant-" + name);
    return path.string();
  }

  static CommandRun reidentify(const std::string& who, const std::string& grant_path,
                               const std::string& label, const std::string& extra = "") {
    std::string arguments = "reidentify " + workspace_->config() + " " + who;
    if (!grant_path.empty()) arguments += " --grant '" + grant_path + "'";
    arguments += " " + extra;
    for (const auto& pseudonym : pseudonyms_) arguments += " " + pseudonym;
    return workspace_->mamori(arguments, label);
  }

  static std::string analyst_with(const std::string& purpose) {
    return "--user analyst --password-file '" + (workspace_->dir() / "analyst.password").string() +
           "' --purpose " + purpose;
  }

  static std::string exported_ledger() {
    const auto path = workspace_->dir() / "ledger.jsonl";
    const CommandRun exported = workspace_->mamori(
        "ledger export " + workspace_->config() + " --out '" + path.string() + "'", "export");
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    return read_file(path);
  }

  static std::vector<json> events(const std::string& type) {
    std::vector<json> out;
    std::istringstream lines(exported_ledger());
    for (std::string line; std::getline(lines, line);) {
      auto entry = json::parse(line, nullptr, false);
      if (entry.is_object() && entry.value("type", "") == type) out.push_back(entry);
    }
    return out;
  }

  // A refused attempt: exit 1, nothing on stdout, one more refusal event of this kind naming
  // the pseudonyms, and no re-identification recorded.
  static void expect_refused(const CommandRun& run, const std::string& refusal,
                             std::size_t refusals_before, std::size_t reidentified_before) {
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_TRUE(run.out.empty()) << "a refusal prints no address: " << run.out;
    EXPECT_NE(run.err.find("refused / 拒否"), std::string::npos) << run.err;
    const auto refused = events("pseudonym.reidentification_refused");
    ASSERT_EQ(refused.size(), refusals_before + 1) << run.err;
    EXPECT_EQ(refused.back()["body"]["refusal"], refusal) << refused.back().dump();
    EXPECT_EQ(refused.back()["body"]["pseudonyms"], json(pseudonyms_));
    EXPECT_EQ(events("pseudonym.reidentified").size(), reidentified_before);
  }

  static Workspace* workspace_;
  static std::vector<std::string> pseudonyms_;
};

Workspace* Reidentify::workspace_ = nullptr;
std::vector<std::string> Reidentify::pseudonyms_;

TEST_F(Reidentify, Invariant_I5_WithoutGrantIsRefusedAndRecorded) {
  const auto refusals = events("pseudonym.reidentification_refused").size();
  const CommandRun run = reidentify(workspace_->analyst(), "", "no-grant");
  expect_refused(run, "no-grant", refusals, events("pseudonym.reidentified").size());
  const auto body = events("pseudonym.reidentification_refused").back()["body"];
  EXPECT_EQ(body["user"], "analyst");
  EXPECT_EQ(body["role"], "analyst");
  EXPECT_EQ(body["purpose"], "attack-analysis");
  EXPECT_NE(body["message"].get<std::string>().find("監理委員会"), std::string::npos);
}

TEST_F(Reidentify, Invariant_I5_GrantedAnalystGetsTheAddressAndTheLedgerOnlyThePseudonym) {
  const std::string path = grant("reid-e2e", "analyst", "attack-analysis", "2099-01-01T00:00:00Z",
                                 "overseer.key", workspace_->config());
  EXPECT_FALSE(events("reidentification.granted").empty());
  const auto before = events("pseudonym.reidentified").size();
  const CommandRun run = reidentify(workspace_->analyst(), path, "granted");
  ASSERT_EQ(run.exit_code, 0) << run.err;

  // One line per pseudonym, "p1:… → address"; each address pseudonymizes back to it under the
  // installation's key, so it is the domestic endpoint the record was about.
  auto keys = mamori::privacy::Pseudonymizer::open((workspace_->dir() / "pseudonym.keys").string());
  ASSERT_TRUE(keys) << keys.error().message;
  std::vector<std::string> addresses;
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    const auto arrow = line.find(" → ");
    ASSERT_NE(arrow, std::string::npos) << line;
    const std::string pseudonym = line.substr(0, arrow);
    const std::string address_text = line.substr(arrow + std::string(" → ").size());
    EXPECT_EQ(pseudonym, pseudonyms_[addresses.size()]);
    const auto address = mamori::IpAddress::parse(address_text);
    ASSERT_TRUE(address) << line;
    EXPECT_EQ(mamori::privacy::to_string(keys->pseudonymize(*address)), pseudonym) << line;
    EXPECT_NE(address_text, pseudonym.substr(pseudonym.find(':') + 1));
    addresses.push_back(address_text);
  }
  ASSERT_EQ(addresses.size(), pseudonyms_.size());

  const auto reidentified = events("pseudonym.reidentified");
  ASSERT_EQ(reidentified.size(), before + 1);
  const auto& body = reidentified.back()["body"];
  EXPECT_EQ(body["user"], "analyst");
  EXPECT_EQ(body["role"], "analyst");
  EXPECT_EQ(body["purpose"], "attack-analysis");
  EXPECT_EQ(body["grant_id"], "reid-e2e");
  EXPECT_EQ(body["pseudonyms"], json(pseudonyms_));
  EXPECT_EQ(body["count"], pseudonyms_.size());
  // The ledger is exported to verifiers: the clear address is nowhere in it.
  const std::string ledger = exported_ledger();
  for (const auto& address : addresses) {
    EXPECT_EQ(ledger.find(address), std::string::npos) << address << " is in the ledger";
  }
}

TEST_F(Reidentify, GrantsFromTheConfigurationAndJsonOutput) {
  grant("reid-config", "analyst,overseer", "attack-analysis");
  const auto config = workspace_->dir() / "mamori.toml";
  const std::string original = read_file(config);
  std::string with_grant = original;
  const auto at = with_grant.find("approvals = [");
  ASSERT_NE(at, std::string::npos);
  with_grant.insert(at, "reidentification_grants = [\"reid-config.json\"]\n");
  std::ofstream(config, std::ios::trunc) << with_grant;
  const CommandRun run = reidentify(workspace_->analyst(), "", "config-json", "--json");
  std::ofstream(config, std::ios::trunc) << original;
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json out = json::parse(run.out);
  EXPECT_EQ(out["grant_id"], "reid-config");
  ASSERT_EQ(out["reidentified"].size(), pseudonyms_.size());
  EXPECT_EQ(out["reidentified"][0]["pseudonym"], pseudonyms_[0]);
  EXPECT_TRUE(mamori::IpAddress::parse(out["reidentified"][0]["address"].get<std::string>()));
  EXPECT_EQ(events("pseudonym.reidentified").back()["body"]["grant_id"], "reid-config");
}

TEST_F(Reidentify, Invariant_I5_RefusalsAreRecordedAndPrintNothing) {
  std::ofstream(workspace_->dir() / "wrong.password") << "guess\n";
  workspace_->run_ok(
      "keys new --role overseer --out '" + (workspace_->dir() / "impostor").string() + "'",
      "keys-impostor");
  const std::string wrong_password = "--user analyst --password-file '" +
                                     (workspace_->dir() / "wrong.password").string() +
                                     "' --purpose attack-analysis";
  const struct {
    std::string name, who, roles, purposes, not_after, key, refusal;
  } cases[] = {
      {"expired", workspace_->analyst(), "analyst", "attack-analysis", "2021-01-01T00:00:00Z",
       "overseer.key", "expired"},
      {"role", workspace_->analyst(), "overseer", "attack-analysis", "2099-01-01T00:00:00Z",
       "overseer.key", "role"},
      {"purpose", workspace_->analyst(), "analyst", "incident-response", "2099-01-01T00:00:00Z",
       "overseer.key", "purpose"},
      {"signer", workspace_->analyst(), "analyst", "attack-analysis", "2099-01-01T00:00:00Z",
       "impostor.key", "signer"},
      {"password", wrong_password, "analyst", "attack-analysis", "2099-01-01T00:00:00Z",
       "overseer.key", "bad-credentials"},
      {"criminal", analyst_with("criminal-investigation"), "analyst", "attack-analysis",
       "2099-01-01T00:00:00Z", "overseer.key", "criminal-investigation"},
      {"unconfigured", analyst_with("audit"), "analyst", "audit", "2099-01-01T00:00:00Z",
       "overseer.key", "unknown-purpose"},
      {"no-user", "--purpose attack-analysis", "analyst", "attack-analysis", "2099-01-01T00:00:00Z",
       "overseer.key", "no-user"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = grant("reid-" + c.name, c.roles, c.purposes, c.not_after, c.key);
    const auto refusals = events("pseudonym.reidentification_refused").size();
    const auto reidentified = events("pseudonym.reidentified").size();
    const CommandRun run = reidentify(c.who, path, "refused-" + c.name);
    expect_refused(run, c.refusal, refusals, reidentified);
    EXPECT_EQ(run.err.find("guess"), std::string::npos) << "a password never reaches a message";
  }
  EXPECT_EQ(exported_ledger().find("guess"), std::string::npos);
}

TEST_F(Reidentify, UnprintablePurposeIsRefusedAndRecordedAsUnprintable) {
  // Bytes that are not UTF-8 cannot go into the ledger as they are; the refusal still can.
  const auto refusals = events("pseudonym.reidentification_refused").size();
  const CommandRun run = reidentify(analyst_with("'\xff\xfe'"), "", "unprintable");
  expect_refused(run, "unknown-purpose", refusals, events("pseudonym.reidentified").size());
  EXPECT_EQ(events("pseudonym.reidentification_refused").back()["body"]["purpose"],
            "(unprintable)");
}

TEST_F(Reidentify, Invariant_I5_CriminalInvestigationCannotBeGranted) {
  const auto path = workspace_->dir() / "criminal.json";
  const CommandRun run = workspace_->mamori(
      "approve-reidentification --key '" + (workspace_->dir() / "overseer.key").string() +
          "' --id reid-crime --roles analyst --purposes attack-analysis,criminal-investigation"
          " --not-before 2020-01-01T00:00:00Z --not-after 2099-01-01T00:00:00Z --out '" +
          path.string() + "'",
      "grant-criminal");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("犯罪捜査"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(Reidentify, BadPseudonymsAndUnknownEpochsNameNoAddress) {
  const std::string path = grant("reid-input", "analyst", "attack-analysis");
  const auto reidentified = events("pseudonym.reidentified").size();
  const auto refusals = events("pseudonym.reidentification_refused").size();
  const std::string base = "reidentify " + workspace_->config() + " " + workspace_->analyst() +
                           " --grant '" + path + "' " + pseudonyms_[0];

  // A clear address typed by mistake is not echoed back.
  const CommandRun clear = workspace_->mamori(base + " 133.242.0.9", "clear-address");
  EXPECT_EQ(clear.exit_code, 1);
  EXPECT_TRUE(clear.out.empty()) << clear.out;
  EXPECT_NE(clear.err.find("argument 2"), std::string::npos) << clear.err;
  EXPECT_EQ(clear.err.find("133.242.0.9"), std::string::npos) << clear.err;

  // An epoch the key file does not hold: the error names the epoch, not the address.
  const CommandRun epoch = workspace_->mamori(base + " p9:100.64.12.34", "unknown-epoch");
  EXPECT_EQ(epoch.exit_code, 1);
  EXPECT_TRUE(epoch.out.empty()) << epoch.out;
  EXPECT_NE(epoch.err.find("epoch 9"), std::string::npos) << epoch.err;
  EXPECT_EQ(epoch.err.find("100.64.12.34"), std::string::npos) << epoch.err;

  EXPECT_EQ(events("pseudonym.reidentified").size(), reidentified);
  EXPECT_EQ(events("pseudonym.reidentification_refused").size(), refusals);
}

}  // namespace
