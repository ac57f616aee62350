// Tests for registry/registry_config (the [registry] section of mamori.toml) and for the
// organisation membership the CLI relies on (Organisation::operator_users): stored and read
// back, including forms stored before the field existed.

#include "mamori/registry/registry_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "mamori/registry/sqlite_registry.h"
#include "mamori/registry/storage_json.h"
#include "support/temp_dir.h"

namespace mamori::registry {
namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

Result<RegistryConfig> parse(std::string_view text) {
  auto file = ConfigFile::parse(text, "/etc/mamori/mamori.toml");
  if (!file) return fail(file.error());
  return load_registry_config(*file);
}

TEST(RegistryConfig, PathsAreRelativeToTheConfigFileAndAliasesAreRead) {
  auto config = parse(R"(
sensor = "gw-1"
[registry]
path = "registry.db"
regimes = "regimes.json"
default_regime = "nisc-ci"
attack_techniques = "/usr/share/mamori/attack-enterprise-techniques.csv"
[[registry.vendor_aliases]]
alias = "フォーティネット"
vendor = "Fortinet"
)");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->path, "/etc/mamori/registry.db");
  EXPECT_EQ(config->regimes, "/etc/mamori/regimes.json");
  EXPECT_EQ(config->default_regime, "nisc-ci");
  EXPECT_EQ(config->attack_techniques, "/usr/share/mamori/attack-enterprise-techniques.csv");
  ASSERT_EQ(config->vendor_aliases.size(), 1u);
  EXPECT_EQ(config->vendor_aliases[0].alias, "フォーティネット");
  EXPECT_EQ(config->vendor_aliases[0].vendor, "Fortinet");
}

TEST(RegistryConfig, ErrorsNameFileLineAndKeyAllAtOnce) {
  auto missing = parse("sensor = \"gw-1\"\n");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(contains(missing.error().message,
                       "/etc/mamori/mamori.toml: [registry] section is "
                       "missing"))
      << missing.error().message;

  auto bad = parse(R"([registry]
regimes = 3
pth = "x.db"
[[registry.vendor_aliases]]
alias = "ﾌｫｰﾃｨﾈｯﾄ"
)");
  ASSERT_FALSE(bad);
  const std::string& message = bad.error().message;
  EXPECT_TRUE(contains(message, "key 'registry.path'")) << message;
  EXPECT_TRUE(contains(message, "mamori.toml:2: key 'registry.regimes'")) << message;
  EXPECT_TRUE(contains(message, "mamori.toml:3: key 'registry.pth': unknown key")) << message;
  EXPECT_TRUE(contains(message, "key 'registry.vendor_aliases[0].vendor'")) << message;
}

TEST(RegistryConfig, RegimesAreRequiredAndTheDefaultMustBeOne) {
  RegistryConfig config;
  config.path = "/tmp/registry.db";
  auto none = require_regimes(config, "mamori.toml");
  ASSERT_FALSE(none);
  EXPECT_TRUE(contains(none.error().message, "[registry] regimes is not set"));

  const std::vector<Regime> regimes = {{"a", "甲", "A", Duration::seconds(3600), {}},
                                       {"b", "乙", "B", Duration::seconds(3600), {}}};
  auto ambiguous = choose_regime(config, regimes, std::nullopt, "mamori.toml");
  ASSERT_FALSE(ambiguous);
  EXPECT_TRUE(contains(ambiguous.error().message, "(a, b)")) << ambiguous.error().message;
  EXPECT_EQ(choose_regime(config, regimes, std::string("b"), "mamori.toml").value(), "b");
  EXPECT_FALSE(choose_regime(config, regimes, std::string("c"), "mamori.toml"));
  config.default_regime = "a";
  EXPECT_EQ(choose_regime(config, regimes, std::nullopt, "mamori.toml").value(), "a");
  EXPECT_EQ(choose_regime(config, {regimes[1]}, std::nullopt, "x").value(), "a");
  config.default_regime.reset();
  EXPECT_EQ(choose_regime(config, {regimes[1]}, std::nullopt, "x").value(), "b");
}

TEST(OrganisationMembership, OperatorUsersRoundTripAndOlderFormsReadAsNone) {
  Organisation o;
  o.id = "org-1";
  o.name = "試験電力";
  o.operator_users = {"op-a", "op-b"};
  auto round = organisation_from_json(organisation_to_json(o));
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->operator_users, (std::vector<std::string>{"op-a", "op-b"}));

  nlohmann::json older = organisation_to_json(o);
  older.erase("operator_users");
  auto read = organisation_from_json(older);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_TRUE(read->operator_users.empty());

  nlohmann::json damaged = organisation_to_json(o);
  damaged["operator_users"] = {"op-a", 7};
  auto refused = organisation_from_json(damaged);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message, "organisation.operator_users[1]"))
      << refused.error().message;
}

TEST(OrganisationMembership, StoredInTheRegistry) {
  const test_support::TempDir dir("mamori-members");
  {
    auto storage = open_sqlite_registry(dir.file("registry.db"));
    ASSERT_TRUE(storage) << storage.error().message;
    Organisation o;
    o.id = "org-1";
    o.name = "試験電力";
    o.operator_users = {"op-a"};
    ASSERT_TRUE((*storage)->put_organisation(o));
    auto got = (*storage)->organisation("org-1");
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((**got).operator_users, std::vector<std::string>{"op-a"});
  }
}

}  // namespace
}  // namespace mamori::registry
