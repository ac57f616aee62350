// End-to-end tests of `mamori intel` driving the real binary as an analyst would: a T1 product
// with comm_info and secret parts is stored, provided to a council member (T2) and to the
// public (T3) without the values those tiers may not hold (I8), exported as a STIX 2.1 bundle
// that validates against the OASIS schemas, a partner's bundle is imported as provider-labelled
// indicators, a foreign government without a confirmation of equivalent protection is refused,
// and every provision and refusal appears in the overseer's inspection report.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "intel_product_sample.h"
#include "workspace.h"

namespace {

namespace fs = std::filesystem;
using mamori::testing::CommandRun;
using mamori::testing::read_file;
using mamori::testing::Workspace;
using nlohmann::json;

using namespace mamori::testing::intel_sample;  // NOLINT(google-build-using-namespace)

void expect_none_of(const std::string& text, std::initializer_list<const char*> values,
                    const std::string& where) {
  for (const char* value : values) EXPECT_FALSE(contains(text, value)) << where << ": " << value;
}

class IntelCli : public ::testing::Test {
 protected:
  // A fresh workspace per test (ctest runs each test in its own process; none depends on
  // another's state).
  void SetUp() override {
    ws_ = std::make_unique<Workspace>();
    ws_->write_config("[\"FF\"]", "run.db", /*approve=*/false);
    std::ofstream(ws_->dir() / "product.json") << sample_product().dump(2);
    const CommandRun put = run("intel product put '" + path("product.json") + "'", "put");
    ASSERT_EQ(put.exit_code, 0) << put.err;
    ASSERT_TRUE(contains(put.out, "apt-e2e v1")) << put.out;
  }
  void TearDown() override { ws_.reset(); }

  static std::string path(const std::string& name) { return (ws_->dir() / name).string(); }
  static std::string analyst() {
    return "--user analyst --password-file '" + path("analyst.password") + "'";
  }
  static CommandRun run(const std::string& arguments, const std::string& label) {
    // `intel` subcommands take --config after the subcommand path.
    return ws_->mamori(arguments + " " + ws_->config() + " " + analyst(), label);
  }

  static std::unique_ptr<Workspace> ws_;
};

std::unique_ptr<Workspace> IntelCli::ws_;

TEST_F(IntelCli, Invariant_I8_ProvisionsCarryOnlyWhatTheirTierMayHold) {
  // Council member → T2: no comm_info (secrets may stay).
  const CommandRun t2 =
      run("intel provide apt-e2e --recipient-id kanto-isac --recipient-class "
          "council_member --obligation council-rules-2026 --type tiered "
          "--legal-basis " +
              kBasis + " --purpose attack-analysis --out '" + path("t2.json") + "'",
          "provide-t2");
  ASSERT_EQ(t2.exit_code, 0) << t2.err;
  EXPECT_TRUE(contains(t2.out, "ledger seq")) << t2.out;
  EXPECT_TRUE(contains(t2.out, "T2")) << t2.out;
  const std::string t2_content = read_file(ws_->dir() / "t2.json");
  EXPECT_EQ(json::parse(t2_content)["tier"], "T2");
  expect_none_of(t2.out + t2.err + t2_content,
                 {kCommInfoVictim, kCommInfoC2, kCommInfoFinding, kCommInfoNote}, "T2");
  EXPECT_TRUE(contains(t2_content, "203.0.113.0/24"));  // generalised by the author's leave

  // The public → T3: neither comm_info nor secrets.
  const CommandRun t3 =
      run("intel provide apt-e2e --recipient-id public --recipient-class public "
          "--legal-basis " +
              kBasis + " --purpose attack-analysis --out '" + path("t3.json") + "'",
          "provide-t3");
  ASSERT_EQ(t3.exit_code, 0) << t3.err;
  const std::string t3_content = read_file(ws_->dir() / "t3.json");
  EXPECT_EQ(json::parse(t3_content)["tier"], "T3");
  expect_none_of(t3.out + t3.err + t3_content,
                 {kCommInfoVictim, kCommInfoC2, kCommInfoFinding, kCommInfoNote, kSecretIncident,
                  kSecretActivity},
                 "T3");

  // The derivation can be inspected before providing.
  const CommandRun show = run("intel product show apt-e2e --tier 3", "show-t3");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(contains(show.out, "dropped")) << show.out;
  expect_none_of(show.out, {kCommInfoVictim, kCommInfoC2, kSecretIncident, kSecretActivity},
                 "show --tier 3");

  const CommandRun list = run("intel provisions --recipient kanto-isac", "provisions");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(contains(list.out, "kanto-isac")) << list.out;
  EXPECT_TRUE(contains(list.out, "council_member")) << list.out;
  EXPECT_FALSE(contains(list.out, "public ")) << list.out;
}

TEST_F(IntelCli, ProvisionNeedsADeclaredPurpose) {
  const CommandRun undeclared =
      run("intel provide apt-e2e --recipient-id public --recipient-class public --legal-basis " +
              kBasis + " --purpose marketing",
          "provide-undeclared");
  EXPECT_NE(undeclared.exit_code, 0);
  EXPECT_TRUE(contains(undeclared.err, "access.purposes")) << undeclared.err;
  EXPECT_TRUE(undeclared.out.empty()) << undeclared.out;
}

TEST_F(IntelCli, ForeignGovernmentWithoutConfirmationIsRefusedAndRecorded) {
  const CommandRun refused =
      run("intel provide apt-e2e --recipient-id partner-gov "
          "--recipient-class foreign_government --tier 2 --legal-basis " +
              kBasis + " --purpose attack-analysis",
          "provide-foreign");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(contains(refused.err, "no_protection_confirmation")) << refused.err;
  EXPECT_TRUE(refused.out.empty()) << refused.out;
}

TEST_F(IntelCli, T3ExportValidatesAndHoldsNoForbiddenValue) {
  const CommandRun exported =
      run("intel export-stix apt-e2e --tier 3 --out '" + path("t3.bundle.json") + "'", "export");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(contains(exported.out, "TLP:CLEAR")) << exported.out;
  const std::string bundle = read_file(ws_->dir() / "t3.bundle.json");
  expect_none_of(bundle,
                 {kCommInfoVictim, kCommInfoC2, kCommInfoFinding, kCommInfoNote, kSecretIncident,
                  kSecretActivity},
                 "T3 bundle");
  EXPECT_EQ(json::parse(bundle)["type"], "bundle");

  ASSERT_EQ(std::system("command -v node >/dev/null 2>&1"), 0) << "node is needed: scripts/setup";
  const std::string command = "node '" + std::string(MAMORI_SOURCE_DIR) +
                              "/tools/stix-validate.mjs' '" + path("t3.bundle.json") + "' > '" +
                              path("validate.log") + "' 2>&1";
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << read_file(ws_->dir() / "validate.log");
}

TEST_F(IntelCli, PartnerBundleIsImportedObjectByObject) {
  const json bundle = {
      {"type", "bundle"},
      {"id", "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"},
      {"objects",
       {{{"type", "indicator"},
         {"spec_version", "2.1"},
         {"id", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
         {"created", "2026-11-01T00:00:00.000Z"},
         {"modified", "2026-11-01T00:00:00.000Z"},
         {"indicator_types", {"malicious-activity"}},
         {"pattern", "[ipv4-addr:value = '192.0.2.99'] OR [domain-name:value = 'evil.example']"},
         {"pattern_type", "stix"},
         {"valid_from", "2026-11-01T00:00:00Z"}},
        {{"type", "indicator"},
         {"spec_version", "2.1"},
         {"id", "indicator--1f2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
         {"created", "2026-11-01T00:00:00.000Z"},
         {"modified", "2026-11-01T00:00:00.000Z"},
         {"pattern_type", "stix"},
         {"valid_from", "2026-11-01T00:00:00Z"}}}}};
  std::ofstream(ws_->dir() / "partner.json") << bundle.dump();
  const CommandRun imported = run("intel import-stix '" + path("partner.json") +
                                      "' --provider jpcert --consent-to agency "
                                      "--consent-to council_member --consent-for attack-analysis",
                                  "import");
  EXPECT_EQ(imported.exit_code, 2) << imported.err;  // one object rejected, the rest stored
  EXPECT_TRUE(contains(imported.out, "1 accepted")) << imported.out;
  EXPECT_TRUE(contains(imported.out, "1 rejected")) << imported.out;
  EXPECT_TRUE(contains(imported.out, "/objects/1/")) << imported.out;
  EXPECT_TRUE(contains(imported.out, "stix-jpcert-5d0092c5 v1")) << imported.out;

  const CommandRun shown = run("intel product show stix-jpcert-5d0092c5 --json", "show-import");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const json product = json::parse(shown.out);
  ASSERT_EQ(product["parts"].size(), 2U);
  for (const auto& p : product["parts"]) {
    EXPECT_EQ(p["labels"]["providers"][0]["organisation"], "jpcert");
  }
}

TEST_F(IntelCli, ProvisionsAppearInTheInspectionReport) {
  // Two provisions made (T2 to a council member, T3 to the public) and one refused.
  const CommandRun t2 =
      run("intel provide apt-e2e --recipient-id kanto-isac --recipient-class "
          "council_member --obligation council-rules-2026 --type tiered --legal-basis " +
              kBasis + " --purpose attack-analysis --out '" + path("t2.json") + "'",
          "provide-t2");
  ASSERT_EQ(t2.exit_code, 0) << t2.err;
  const CommandRun t3 =
      run("intel provide apt-e2e --recipient-id public --recipient-class public --legal-basis " +
              kBasis + " --purpose attack-analysis --out '" + path("t3.json") + "'",
          "provide-t3");
  ASSERT_EQ(t3.exit_code, 0) << t3.err;
  const CommandRun refused =
      run("intel provide apt-e2e --recipient-id partner-gov --recipient-class foreign_government "
          "--tier 2 --legal-basis " +
              kBasis + " --purpose attack-analysis",
          "provide-foreign");
  ASSERT_NE(refused.exit_code, 0);
  const CommandRun report =
      ws_->mamori("oversight report " + ws_->config() +
                      " --from 2020-01-01T00:00:00Z --to 2099-01-01T00:00:00Z --json --out '" +
                      path("report.json") + "'",
                  "report");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const json j = json::parse(read_file(ws_->dir() / "report.json"));
  const json& p = j["provisions"];
  EXPECT_EQ(p["count"], 2) << p.dump();
  EXPECT_EQ(p["by_tier"]["T2"], 1) << p.dump();
  EXPECT_EQ(p["by_tier"]["T3"], 1) << p.dump();
  EXPECT_EQ(p["by_recipient_class"]["council_member"], 1) << p.dump();
  EXPECT_EQ(p["by_recipient_class"]["public"], 1) << p.dump();
  EXPECT_EQ(p["refused"], 1) << p.dump();
  EXPECT_EQ(p["refusals_by_reason"]["no_protection_confirmation"], 1) << p.dump();
  const std::string text = j.dump();
  expect_none_of(text, {kCommInfoVictim, kCommInfoC2, kSecretIncident, kSecretActivity},
                 "inspection report");
}

}  // namespace
