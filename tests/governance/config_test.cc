#include "mamori/governance/config.h"

#include <string>

#include <gtest/gtest.h>

namespace mamori::governance {
namespace {

constexpr const char* kPath = "/etc/mamori/mamori.toml";

Result<GovernanceConfig> load(const std::string& text) {
  auto file = ConfigFile::parse(text, kPath);
  if (!file) return fail(file.error());
  return load_governance_config(*file);
}

std::string error_of(const std::string& text) {
  auto config = load(text);
  if (config) return "(no error)";
  return config.error().message;
}

constexpr const char* kPurposes = R"(
[[access.purposes]]
id = "attack-analysis"
label_ja = "重要電子計算機に対する特定不正行為による被害の防止のための分析"
label_en = "analysis to prevent damage from attacks on important computers"
roles = ["analyst", "overseer"]

[[access.purposes]]
id = "audit"
label_ja = "監査"
label_en = "audit"
roles = ["overseer"]
)";

TEST(GovernanceConfig, ReadsEverySection) {
  auto config = load(std::string(R"(sensor = "gw-1"

[governance]
overseer_key = "keys/overseer.pub"
ledger_key = "/var/lib/mamori/sensor.key"
approvals = ["approval.json"]
retention = "90d"
)") + kPurposes);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->overseer_key, "/etc/mamori/keys/overseer.pub");
  EXPECT_EQ(config->ledger_key, "/var/lib/mamori/sensor.key");
  EXPECT_EQ(config->approvals, std::vector<std::string>{"/etc/mamori/approval.json"});
  EXPECT_EQ(config->retention, Duration::seconds(90 * 86400));
  ASSERT_EQ(config->access.purposes.size(), 2u);
  const Purpose* analysis = config->access.find("attack-analysis");
  ASSERT_NE(analysis, nullptr);
  EXPECT_EQ(analysis->label_ja, "重要電子計算機に対する特定不正行為による被害の防止のための分析");
  EXPECT_EQ(analysis->label_en, "analysis to prevent damage from attacks on important computers");
  EXPECT_EQ(analysis->roles, (std::vector<Role>{Role::analyst, Role::overseer}));
  EXPECT_EQ(config->access.find("audit")->roles, std::vector<Role>{Role::overseer});
  EXPECT_EQ(config->access.find("marketing"), nullptr);
}

TEST(GovernanceConfig, WithoutSectionsUsesDefaults) {
  auto config = load("sensor = \"gw-1\"\n");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_FALSE(config->overseer_key.has_value());
  EXPECT_FALSE(config->ledger_key.has_value());
  EXPECT_TRUE(config->approvals.empty());
  EXPECT_EQ(config->retention, Duration::seconds(180 * 86400));
  EXPECT_TRUE(config->access.purposes.empty());
}

TEST(GovernanceConfig, Invariant_I6_RetentionIsRequiredInTheSectionAndPositive) {
  EXPECT_EQ(error_of("[governance]\noverseer_key = \"k.pub\"\n"),
            "/etc/mamori/mamori.toml: key 'governance.retention': is required");
  EXPECT_EQ(error_of("[governance]\nretention = \"0s\"\n"),
            "/etc/mamori/mamori.toml:2: key 'governance.retention': must be longer than zero");
  EXPECT_EQ(error_of("[governance]\nretention = \"soon\"\n"),
            "/etc/mamori/mamori.toml:2: key 'governance.retention': 'soon' is not a duration");
  auto seconds = load("[governance]\nretention = 3600\n");
  ASSERT_TRUE(seconds.has_value());
  EXPECT_EQ(seconds->retention, Duration::seconds(3600));
}

TEST(GovernanceConfig, UnknownKeysAreErrorsWithLines) {
  EXPECT_EQ(error_of("[governance]\nretention = \"1d\"\noverseer_kee = \"x\"\n"),
            "/etc/mamori/mamori.toml:3: key 'governance.overseer_kee': unknown key");
  EXPECT_EQ(error_of("[access]\nreaders = 3\n"),
            "/etc/mamori/mamori.toml:2: key 'access.readers': unknown key");
  EXPECT_EQ(error_of(std::string(kPurposes) + "scope = \"all\"\n"),
            "/etc/mamori/mamori.toml:13: key 'access.purposes[1].scope': unknown key");
}

TEST(GovernanceConfig, Invariant_I7_CriminalInvestigationPurposeIsAnError) {
  const std::string text = std::string(kPurposes) + R"(
[[access.purposes]]
id = "criminal-investigation-support"
label_ja = "捜査協力"
label_en = "support"
roles = ["admin"]
)";
  EXPECT_EQ(error_of(text),
            "/etc/mamori/mamori.toml:15: key 'access.purposes[2].id': criminal investigation "
            "(犯罪捜査) can never be a purpose for selected communications information");
}

TEST(GovernanceConfig, Invariant_I7_CriminalInvestigationLabelIsAnError) {
  const std::string text = R"([[access.purposes]]
id = "support"
label_ja = "犯罪捜査への協力"
label_en = "support"
roles = ["admin"]
)";
  EXPECT_EQ(error_of(text),
            "/etc/mamori/mamori.toml:3: key 'access.purposes[0].label_ja': criminal "
            "investigation (犯罪捜査) can never be a purpose for selected communications "
            "information");
}

TEST(GovernanceConfig, PurposeErrorsNameEntryAndLine) {
  const std::string duplicate = std::string(kPurposes) + R"(
[[access.purposes]]
id = "audit"
label_ja = "監査"
label_en = "audit"
roles = ["overseer"]
)";
  EXPECT_EQ(error_of(duplicate),
            "/etc/mamori/mamori.toml:15: key 'access.purposes[2].id': 'audit' is already the id "
            "of access.purposes[1]");

  const std::string bad_role = R"([[access.purposes]]
id = "audit"
label_ja = "監査"
label_en = "audit"
roles = ["overseer", "root"]
)";
  EXPECT_EQ(error_of(bad_role),
            "/etc/mamori/mamori.toml:5: key 'access.purposes[0].roles': 'root' is not a role "
            "(analyst, overseer, operator, admin)");

  const std::string missing = R"([[access.purposes]]
id = "audit"
roles = []
)";
  EXPECT_EQ(error_of(missing),
            "/etc/mamori/mamori.toml: key 'access.purposes[0].label_ja': is required\n"
            "/etc/mamori/mamori.toml: key 'access.purposes[0].label_en': is required\n"
            "/etc/mamori/mamori.toml:3: key 'access.purposes[0].roles': must name at least one "
            "role");

  EXPECT_EQ(error_of("[access]\npurposes = [\"audit\"]\n"),
            "/etc/mamori/mamori.toml:2: key 'access.purposes': must be an array of tables "
            "([[access.purposes]])");
}

TEST(GovernanceConfig, ReidentificationGrantsAreResolvedLikeApprovals) {
  auto config = load(R"([governance]
retention = "1d"
reidentification_grants = ["grants/g1.json", "/srv/grants/g2.json"]
)");
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->reidentification_grants,
            (std::vector<std::string>{"/etc/mamori/grants/g1.json", "/srv/grants/g2.json"}));
  auto none = load("[governance]\nretention = \"1d\"\n");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->reidentification_grants.empty());
}

TEST(GovernanceConfig, ReidentificationGrantErrorsNameFileAndLine) {
  EXPECT_EQ(error_of("[governance]\nretention = \"1d\"\nreidentification_grants = \"g.json\"\n"),
            "/etc/mamori/mamori.toml:3: key 'governance.reidentification_grants': must be an "
            "array of strings");
  EXPECT_EQ(error_of("[governance]\nretention = \"1d\"\nreidentification_grants = [\"\"]\n"),
            "/etc/mamori/mamori.toml:3: key 'governance.reidentification_grants': a grant path "
            "must not be empty");
  EXPECT_EQ(error_of("[governance]\nretention = \"1d\"\nreidentification_grant = []\n"),
            "/etc/mamori/mamori.toml:3: key 'governance.reidentification_grant': unknown key");
}

TEST(GovernanceConfig, AllErrorsAreReportedTogether) {
  const std::string text = R"([governance]
retention = "0s"
colour = "blue"

[[access.purposes]]
id = "犯罪捜査"
label_ja = "x"
label_en = "x"
roles = ["analyst", "analyst"]
)";
  EXPECT_EQ(error_of(text),
            "/etc/mamori/mamori.toml:2: key 'governance.retention': must be longer than zero\n"
            "/etc/mamori/mamori.toml:3: key 'governance.colour': unknown key\n"
            "/etc/mamori/mamori.toml:6: key 'access.purposes[0].id': criminal investigation "
            "(犯罪捜査) can never be a purpose for selected communications information\n"
            "/etc/mamori/mamori.toml:9: key 'access.purposes[0].roles': 'analyst' is listed twice");
}

}  // namespace
}  // namespace mamori::governance

namespace mamori::governance {
namespace {

// The annotated example users start from must stay valid.
TEST(GovernanceConfig, ExampleConfigurationIsValid) {
  auto file = ConfigFile::load(std::string(MAMORI_SOURCE_DIR) + "/examples/mamori.toml");
  ASSERT_TRUE(file) << file.error().message;
  auto config = load_governance_config(*file);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->approvals.size(), 3u);
  EXPECT_EQ(config->retention.nanos, Duration::seconds(180 * 86400).nanos);
  ASSERT_EQ(config->access.purposes.size(), 1u);
  EXPECT_NE(config->access.find("attack-analysis"), nullptr);
}

}  // namespace
}  // namespace mamori::governance
