// The [taxii] section of mamori.toml: values, defaults, and errors with FILE:LINE that never
// quote a password hash.

#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "mamori/core/config.h"
#include "mamori/server/taxii_config.h"
#include "taxii_fixture.h"

namespace mamori::server {
namespace {

Result<TaxiiConfig> load(const std::string& text) {
  auto file = ConfigFile::parse(text, "/etc/mamori/mamori.toml");
  if (!file) return fail(file.error());
  return load_taxii_config(*file);
}

TEST(TaxiiConfig, ReadsTheSection) {
  const std::string hash = testing::cheap_password_hash("pw");
  auto config = load(R"(
[taxii]
address = "0.0.0.0"
port = 8443
certificate = "tls/server.crt"
private_key = "/secure/server.key"
database = "taxii.db"
title = "NCO TAXII"
api_root = "intel-v1"
max_page_size = 500
[[taxii.collections]]
id = "22222222-2222-4222-8222-222222222222"
title = "council"
tier = 2
can_write = true
[[taxii.collections]]
id = "33333333-3333-4333-8333-333333333333"
title = "public"
tier = 3
[[taxii.members]]
name = "council-a"
password_hash = ")" + hash +
                     R"("
tier = 2
can_write = true
)");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->address, "0.0.0.0");
  EXPECT_EQ(config->port, 8443);
  EXPECT_EQ(config->certificate, "/etc/mamori/tls/server.crt");
  EXPECT_EQ(config->private_key, "/secure/server.key");
  EXPECT_EQ(config->database, "/etc/mamori/taxii.db");
  EXPECT_EQ(config->title, "NCO TAXII");
  EXPECT_EQ(config->api_root, "intel-v1");
  EXPECT_EQ(config->max_page_size, 500U);
  ASSERT_EQ(config->collections.size(), 2U);
  EXPECT_EQ(config->collections[0].tier, 2);
  EXPECT_TRUE(config->collections[0].can_write);
  EXPECT_TRUE(config->collections[1].can_read);
  EXPECT_FALSE(config->collections[1].can_write);
  ASSERT_EQ(config->members.size(), 1U);
  EXPECT_EQ(config->members[0].password_hash, hash);
  EXPECT_EQ(config->member("council-a"), &config->members[0]);
  EXPECT_EQ(config->collection("33333333-3333-4333-8333-333333333333"), &config->collections[1]);
}

TEST(TaxiiConfig, ErrorsNameFileLineAndKeyButNotTheHash) {
  auto config = load(R"([taxii]
certificate = "c.pem"
database = "t.db"
api_root = "a/b"
[[taxii.collections]]
id = "not-a-uuid"
title = "x"
tier = 4
[[taxii.members]]
name = "m"
password_hash = "secret-plaintext-password"
tier = 1
colour = "blue"
)");
  ASSERT_FALSE(config);
  const std::string& m = config.error().message;
  EXPECT_NE(m.find("mamori.toml: key 'taxii.private_key'"), std::string::npos) << m;
  EXPECT_NE(m.find("mamori.toml:4: key 'taxii.api_root'"), std::string::npos) << m;
  EXPECT_NE(m.find("mamori.toml:6: key 'taxii.collections[0].id'"), std::string::npos) << m;
  EXPECT_NE(m.find("mamori.toml:8: key 'taxii.collections[0].tier'"), std::string::npos) << m;
  EXPECT_NE(m.find("mamori.toml:11: key 'taxii.members[0].password_hash'"), std::string::npos) << m;
  EXPECT_NE(m.find("taxii.members[0].colour"), std::string::npos) << m;
  EXPECT_EQ(m.find("secret-plaintext-password"), std::string::npos) << m;
}

// The collection's audience: a recipient class of tiered provisions and the facts the
// dissemination rules look at.
std::string with_collection(const std::string& lines) {
  return R"toml([taxii]
certificate = "c.pem"
private_key = "k.pem"
database = "t.db"
[[taxii.collections]]
id = "22222222-2222-4222-8222-222222222222"
title = "council members (T2)"
tier = 2
)toml" + lines;
}

TEST(TaxiiConfig, CollectionAudienceAndItsFacts) {
  auto council = load(with_collection(
      "audience = \"council_member\"\nconfidentiality_obligation = \"council-rules-2026\"\n"));
  ASSERT_TRUE(council) << council.error().message;
  const TaxiiCollection& c = council->collections.at(0);
  EXPECT_EQ(c.audience, intel::RecipientClass::council_member);
  EXPECT_EQ(c.confidentiality_obligation, "council-rules-2026");
  EXPECT_FALSE(c.council_member);
  auto recipient = collection_recipient(c);
  ASSERT_TRUE(recipient) << recipient.error().message;
  EXPECT_EQ(recipient->id, "taxii:22222222-2222-4222-8222-222222222222");
  EXPECT_EQ(recipient->name, "council members (T2)");
  EXPECT_EQ(recipient->recipient_class, intel::RecipientClass::council_member);
  EXPECT_EQ(recipient->confidentiality_obligation, "council-rules-2026");

  auto operators =
      load(with_collection("audience = \"designated_operator\"\ncouncil_member = true\n"
                           "confidentiality_obligation = \"council-rules-2026\"\n"));
  ASSERT_TRUE(operators) << operators.error().message;
  EXPECT_TRUE(operators->collections.at(0).council_member);
  EXPECT_TRUE(collection_recipient(operators->collections.at(0)).value().council_member);

  for (const char* audience : {"agency", "public"}) {
    auto ok = load(with_collection(fmt::format("audience = \"{}\"\n", audience)));
    ASSERT_TRUE(ok) << audience << ": " << ok.error().message;
  }

  // Without an audience (configurations written before it) the collection still serves, but
  // cannot be published to.
  auto none = load(with_collection(""));
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->collections.at(0).audience);
  auto no_recipient = collection_recipient(none->collections.at(0));
  ASSERT_FALSE(no_recipient);
  EXPECT_NE(no_recipient.error().message.find("no audience"), std::string::npos);
}

TEST(TaxiiConfig, AudienceErrorsNameTheField) {
  struct Case {
    const char* lines;
    const char* key;
    const char* says;
  };
  const Case cases[] = {
      {"audience = \"everyone\"\n", "taxii.collections[0].audience'", "unknown recipient class"},
      {"audience = 3\n", "taxii.collections[0].audience'", ""},
      {"audience = \"vendor\"\n", "taxii.collections[0].audience'", "vulnerability_notice"},
      {"audience = \"foreign_government\"\n", "taxii.collections[0].audience'",
       "confirmation of equivalent protection"},
      {"audience = \"council_member\"\ncouncil_member = true\n",
       "taxii.collections[0].council_member'", "designated_operator"},
      {"council_member = true\n", "taxii.collections[0].council_member'", "audience"},
      {"audience = \"public\"\nconfidentiality_obligation = \"x\"\n",
       "taxii.collections[0].confidentiality_obligation'", "public"},
      {"confidentiality_obligation = \"x\"\n", "taxii.collections[0].confidentiality_obligation'",
       "audience"},
      {"audience = \"council_member\"\nconfidentiality_obligation = true\n",
       "taxii.collections[0].confidentiality_obligation'", ""},
  };
  for (const Case& c : cases) {
    auto config = load(with_collection(c.lines));
    ASSERT_FALSE(config) << c.lines;
    const std::string& m = config.error().message;
    EXPECT_NE(m.find(std::string("mamori.toml:")), std::string::npos) << m;
    EXPECT_NE(m.find(c.key), std::string::npos) << c.lines << " → " << m;
    EXPECT_NE(m.find(c.says), std::string::npos) << c.lines << " → " << m;
  }

  // Configurations built in code are checked the same way.
  TaxiiConfig config;
  TaxiiCollection collection;
  collection.id = "22222222-2222-4222-8222-222222222222";
  collection.title = "x";
  collection.audience = intel::RecipientClass::measure_agency;
  config.collections = {collection};
  auto checked = check_taxii_config(config);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("audience"), std::string::npos);
  config.collections[0].audience = intel::RecipientClass::public_;
  EXPECT_TRUE(check_taxii_config(config));
}

TEST(TaxiiConfig, SectionIsRequired) {
  auto config = load("[registry]\npath = \"r.db\"\n");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("[taxii] section is missing"), std::string::npos);
}

TEST(TaxiiConfig, TierRule) {
  EXPECT_TRUE(tier_allows(1, 1));
  EXPECT_TRUE(tier_allows(1, 3));
  EXPECT_TRUE(tier_allows(2, 3));
  EXPECT_FALSE(tier_allows(2, 1));
  EXPECT_FALSE(tier_allows(3, 2));
  EXPECT_TRUE(is_uuid("3a1f2b3c-0000-4000-8000-00000000abcd"));
  EXPECT_FALSE(is_uuid("3a1f2b3c00004000800000000000abcd"));
  EXPECT_FALSE(is_uuid("3a1f2b3c-0000-4000-8000-00000000abcg"));
}

}  // namespace
}  // namespace mamori::server
