#include "mamori/governance/access.h"

#include <cctype>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace mamori::governance {
namespace {

using nlohmann::json;

Timestamp at(std::string_view text) { return *parse_rfc3339(text); }

// ---------------------------------------------------------------------------------------------
// Roles, passwords, tokens

TEST(Roles, NamesRoundTrip) {
  for (const Role role : {Role::analyst, Role::overseer, Role::operator_, Role::admin}) {
    EXPECT_EQ(*parse_role(to_string(role)), role);
  }
  EXPECT_EQ(to_string(Role::operator_), "operator");
  EXPECT_FALSE(parse_role("root").has_value());
  EXPECT_FALSE(parse_role("Analyst").has_value());
  EXPECT_NE(parse_role("root").error().message.find("'root' is not a role"), std::string::npos);
}

TEST(Passwords, Argon2idHashVerifies) {
  const auto hash = hash_password("correct horse battery staple");
  ASSERT_TRUE(hash.has_value()) << hash.error().message;
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_EQ(hash->find("correct horse"), std::string::npos);
  EXPECT_TRUE(verify_password(*hash, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(*hash, "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(*hash, ""));
  // Salted: the same password hashes differently.
  EXPECT_NE(*hash_password("correct horse battery staple"), *hash);
}

TEST(Passwords, EmptyOrBrokenInputsNeverVerify) {
  EXPECT_FALSE(hash_password("").has_value());
  EXPECT_FALSE(verify_password("", "anything"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "anything"));
  EXPECT_FALSE(verify_password(std::string(1000, 'a'), "anything"));
  EXPECT_FALSE(verify_password(std::string("$argon2id$\0x", 12), "anything"));
}

TEST(ApiTokens, FormatDigestAndId) {
  const std::string token = new_api_token();
  ASSERT_EQ(token.size(), 4u + 43u);
  EXPECT_EQ(token.rfind("mmr_", 0), 0u);
  for (const char c : token.substr(4)) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << token;
  }
  EXPECT_NE(new_api_token(), token);

  const std::string digest = token_digest(token);
  ASSERT_EQ(digest.size(), 64u);
  EXPECT_EQ(digest.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(token_digest(token), digest);
  EXPECT_EQ(token_id(digest), digest.substr(0, 12));
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  EXPECT_EQ(token_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiTokens, ManyTokensAreDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(new_api_token());
  EXPECT_EQ(seen.size(), 200u);
}

// ---------------------------------------------------------------------------------------------
// Criminal investigation (I7)

TEST(CriminalInvestigation, Invariant_I7_DetectionTable) {
  const std::vector<std::pair<std::string, bool>> table = {
      {"criminal investigation", true},
      {"Criminal Investigation", true},
      {"CRIMINAL-INVESTIGATION", true},
      {"criminal_investigation", true},
      {"  criminal   investigation  ", true},
      {"criminalinvestigation", true},
      {"criminal-investigation-support", true},
      {"support for criminal investigation", true},
      {"ｃｒｉｍｉｎａｌ　ｉｎｖｅｓｔｉｇａｔｉｏｎ", true},  // full-width letters and space
      {"犯罪捜査", true},
      {"犯罪捜査のため", true},
      {"犯罪 捜査", true},
      {"犯罪・捜査", true},
      {"attack-analysis", false},
      {"criminal", false},
      {"investigation", false},
      {"incident investigation", false},
      {"犯罪", false},
      {"捜査", false},
      {"", false},
      {"\xff\xfe", false},
  };
  for (const auto& [purpose, expected] : table) {
    EXPECT_EQ(is_criminal_investigation(purpose), expected) << purpose;
  }
}

// ---------------------------------------------------------------------------------------------
// Consents

Consent sample_consent() {
  Consent c;
  c.id = "consent-1";
  c.agreement_id = "agr-12";
  c.user = "alice";
  c.purpose = "vulnerability-notice";
  c.data_since = at("2026-11-01T00:00:00Z");
  c.data_until = at("2026-12-01T00:00:00Z");
  c.recorded_by = "overseer-1";
  c.recorded_at = at("2026-11-30T09:00:00Z");
  c.note = "書面同意 2026-11-29";
  return c;
}

TEST(Consents, JsonRoundTrip) {
  const Consent c = sample_consent();
  const json j = consent_to_json(c);
  EXPECT_EQ(j["data_since"], "2026-11-01T00:00:00.000000Z");
  auto back = consent_from_json(j);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(consent_to_json(*back), j);
}

TEST(Consents, Invariant_I7_RejectsBrokenConsents) {
  const std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
      {[](json& j) { j["scope"] = "all"; }, "consent.scope: unknown field"},
      {[](json& j) { j.erase("user"); }, "consent.user: is required"},
      {[](json& j) { j["user"] = ""; }, "consent.user: must not be empty"},
      {[](json& j) { j["data_until"] = j["data_since"]; },
       "consent.data_until: must be later than data_since"},
      {[](json& j) { j["purpose"] = "Criminal Investigation"; },
       "consent.purpose: criminal investigation (犯罪捜査) can never be consented to"},
      {[](json& j) { j["recorded_at"] = 5; }, "consent.recorded_at: must be an RFC 3339"},
  };
  for (const auto& [edit, expected] : cases) {
    json j = consent_to_json(sample_consent());
    edit(j);
    auto c = consent_from_json(j);
    ASSERT_FALSE(c.has_value()) << expected;
    EXPECT_NE(c.error().message.find(expected), std::string::npos) << c.error().message;
  }
}

// ---------------------------------------------------------------------------------------------
// decide_read (I7)

class DecideReadTest : public ::testing::Test {
 protected:
  AccessPolicy policy{{
      {"attack-analysis", "攻撃の分析", "attack analysis", {Role::analyst, Role::overseer}},
      {"vulnerability-notice", "脆弱性の通知", "vulnerability notice", {Role::analyst}},
      {"audit", "監査", "audit", {Role::overseer}},
  }};
  User alice{"alice", Role::analyst, "", {}, false};
  User olga{"olga", Role::overseer, "", {}, false};
  User adam{"adam", Role::admin, "", {}, false};
  // The party agreed to attack analysis only.
  PartyData party{
      "agr-12", {"attack-analysis"}, at("2026-11-10T00:00:00Z"), at("2026-11-20T00:00:00Z")};
  std::vector<Consent> consents{sample_consent()};
};

TEST_F(DecideReadTest, Invariant_I7_AllowedPurposeAndRole) {
  const auto d = decide_read(policy, alice, "attack-analysis", {}, {});
  EXPECT_FALSE(d.refusal.has_value()) << d.message;
  EXPECT_TRUE(d.consents_used.empty());
  EXPECT_EQ(d.message,
            "user 'alice' (analyst) may read for purpose 'attack-analysis' / "
            "利用目的の範囲で閲覧が認められます");
}

TEST_F(DecideReadTest, Invariant_I7_RefusalTable) {
  User disabled = alice;
  disabled.disabled = true;
  User nobody = alice;
  nobody.name = "";
  AccessPolicy criminal_configured = policy;
  criminal_configured.purposes.push_back(
      {"criminal-investigation", "犯罪捜査", "criminal investigation", {Role::admin}});
  struct Case {
    const char* name;
    const AccessPolicy* policy;
    const User* user;
    std::string purpose;
    AccessRefusal expected;
  };
  const std::vector<Case> cases = {
      {"no user", &policy, &nobody, "attack-analysis", AccessRefusal::no_user},
      {"disabled before purpose", &policy, &disabled, "", AccessRefusal::disabled},
      {"no purpose", &policy, &alice, "", AccessRefusal::no_purpose},
      {"criminal investigation", &policy, &alice, "criminal investigation",
       AccessRefusal::criminal_investigation},
      {"犯罪捜査 by the overseer", &policy, &olga, "犯罪捜査",
       AccessRefusal::criminal_investigation},
      {"criminal investigation even for admin, even if configured", &criminal_configured, &adam,
       "criminal-investigation", AccessRefusal::criminal_investigation},
      {"unknown purpose", &policy, &alice, "marketing", AccessRefusal::unknown_purpose},
      {"purpose ids are exact", &policy, &alice, "Attack-Analysis", AccessRefusal::unknown_purpose},
      {"role not allowed", &policy, &alice, "audit", AccessRefusal::role_not_allowed},
      {"admin is not implicitly allowed", &policy, &adam, "attack-analysis",
       AccessRefusal::role_not_allowed},
  };
  for (const auto& c : cases) {
    const auto d = decide_read(*c.policy, *c.user, c.purpose, {}, {});
    ASSERT_TRUE(d.refusal.has_value()) << c.name;
    EXPECT_EQ(*d.refusal, c.expected) << c.name << ": " << d.message;
    EXPECT_FALSE(d.message.empty());
  }
}

TEST_F(DecideReadTest, Invariant_I7_RefusalMessagesAreBilingualAndExact) {
  EXPECT_EQ(
      decide_read(policy, alice, "criminal investigation", {}, {}).message,
      "criminal investigation (犯罪捜査) is never a permitted purpose for selected "
      "communications information / 選別後通信情報を犯罪捜査のために利用することはできません");
  EXPECT_EQ(decide_read(policy, alice, "marketing", {}, {}).message,
            "purpose 'marketing' is not a configured purpose (configured: attack-analysis, "
            "vulnerability-notice, audit) / 登録されていない利用目的です");
  EXPECT_EQ(decide_read(policy, alice, "audit", {}, {}).message,
            "role 'analyst' of user 'alice' may not read for purpose 'audit' (allowed: overseer) "
            "/ この役割にはこの利用目的での閲覧が認められていません");
  EXPECT_EQ(decide_read(policy, alice, "", {}, {}).message,
            "reading selected records needs a purpose / "
            "選別後通信情報の閲覧には利用目的の指定が必要です");
}

TEST_F(DecideReadTest, Invariant_I7_AgreedPurposeNeedsNoConsent) {
  const auto d = decide_read(policy, alice, "attack-analysis", {party}, {});
  EXPECT_FALSE(d.refusal.has_value()) << d.message;
  EXPECT_TRUE(d.consents_used.empty());
}

TEST_F(DecideReadTest, Invariant_I7_OtherPurposeUseWithCoveringConsent) {
  const auto d = decide_read(policy, alice, "vulnerability-notice", {party}, consents);
  EXPECT_FALSE(d.refusal.has_value()) << d.message;
  EXPECT_EQ(d.consents_used, std::vector<std::string>{"consent-1"});
  EXPECT_NE(d.message.find("consent-1"), std::string::npos);
}

TEST_F(DecideReadTest, Invariant_I7_ConsentRangeBoundariesCount) {
  PartyData exact = party;
  exact.data_since = consents[0].data_since;
  exact.data_until = consents[0].data_until;
  EXPECT_FALSE(decide_read(policy, alice, "vulnerability-notice", {exact}, consents).refusal);
  PartyData past_end = exact;
  past_end.data_until.nanos += 1000;
  EXPECT_EQ(decide_read(policy, alice, "vulnerability-notice", {past_end}, consents).refusal,
            AccessRefusal::no_consent);
  PartyData before_start = exact;
  before_start.data_since.nanos -= 1000;
  EXPECT_EQ(decide_read(policy, alice, "vulnerability-notice", {before_start}, consents).refusal,
            AccessRefusal::no_consent);
}

TEST_F(DecideReadTest, Invariant_I7_OtherPurposeUseWithoutCoveringConsentIsRefused) {
  struct Case {
    const char* name;
    std::function<void(Consent&)> edit;
  };
  const std::vector<Case> cases = {
      {"wrong user", [](Consent& c) { c.user = "bob"; }},
      {"wrong purpose", [](Consent& c) { c.purpose = "attack-analysis"; }},
      {"range not covered",
       [](Consent& c) { c.data_until = *parse_rfc3339("2026-11-15T00:00:00Z"); }},
      {"other agreement", [](Consent& c) { c.agreement_id = "agr-13"; }},
  };
  for (const auto& c : cases) {
    Consent consent = sample_consent();
    c.edit(consent);
    const auto d = decide_read(policy, alice, "vulnerability-notice", {party}, {consent});
    ASSERT_TRUE(d.refusal.has_value()) << c.name;
    EXPECT_EQ(*d.refusal, AccessRefusal::no_consent) << c.name;
    EXPECT_TRUE(d.consents_used.empty());
    EXPECT_EQ(d.message,
              "reading data of agreement agr-12 from 2026-11-10T00:00:00Z to "
              "2026-11-20T00:00:00Z for purpose 'vulnerability-notice' is other-purpose use and "
              "needs a recorded consent for user 'alice' that covers that range / "
              "他目的利用には、このデータ範囲・利用者・利用目的を含む同意の記録が必要です")
        << c.name;
  }
  EXPECT_EQ(decide_read(policy, alice, "vulnerability-notice", {party}, {}).refusal,
            AccessRefusal::no_consent);
}

TEST_F(DecideReadTest, Invariant_I7_EveryPartyTouchedNeedsItsOwnConsent) {
  PartyData second{"agr-13", {}, party.data_since, party.data_until};
  auto d = decide_read(policy, alice, "vulnerability-notice", {party, second}, consents);
  ASSERT_EQ(d.refusal, AccessRefusal::no_consent);
  EXPECT_NE(d.message.find("agreement agr-13"), std::string::npos);

  Consent for_second = sample_consent();
  for_second.id = "consent-2";
  for_second.agreement_id = "agr-13";
  std::vector<Consent> both = {consents[0], for_second};
  d = decide_read(policy, alice, "vulnerability-notice", {party, second}, both);
  EXPECT_FALSE(d.refusal.has_value()) << d.message;
  EXPECT_EQ(d.consents_used, (std::vector<std::string>{"consent-1", "consent-2"}));
}

TEST_F(DecideReadTest, Invariant_I7_ConsentNeverOverridesEarlierChecks) {
  Consent criminal = sample_consent();
  criminal.purpose = "犯罪捜査";
  EXPECT_EQ(decide_read(policy, alice, "犯罪捜査", {party}, {criminal}).refusal,
            AccessRefusal::criminal_investigation);
  EXPECT_EQ(decide_read(policy, olga, "vulnerability-notice", {party}, consents).refusal,
            AccessRefusal::role_not_allowed);
}

TEST(AccessRefusalNames, AreStable) {
  EXPECT_EQ(to_string(AccessRefusal::no_user), "no-user");
  EXPECT_EQ(to_string(AccessRefusal::bad_credentials), "bad-credentials");
  EXPECT_EQ(to_string(AccessRefusal::disabled), "disabled");
  EXPECT_EQ(to_string(AccessRefusal::no_purpose), "no-purpose");
  EXPECT_EQ(to_string(AccessRefusal::criminal_investigation), "criminal-investigation");
  EXPECT_EQ(to_string(AccessRefusal::unknown_purpose), "unknown-purpose");
  EXPECT_EQ(to_string(AccessRefusal::role_not_allowed), "role-not-allowed");
  EXPECT_EQ(to_string(AccessRefusal::no_consent), "no-consent");
}

}  // namespace
}  // namespace mamori::governance
