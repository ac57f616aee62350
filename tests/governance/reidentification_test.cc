#include "mamori/governance/reidentification.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mamori::governance {
namespace {

using nlohmann::json;
using Refusal = ReidentificationRefusal;

Timestamp at(std::string_view text) { return *parse_rfc3339(text); }

ReidentificationGrant analyst_grant() {
  ReidentificationGrant g;
  g.id = "reid-1";
  g.roles = {Role::analyst};
  g.purposes = {"attack-analysis"};
  g.not_before = at("2026-12-01T00:00:00Z");
  g.not_after = at("2026-12-31T00:00:00Z");
  g.granted_by = "overseer-1";
  g.justification = "C2 調査の被害者特定";
  return g;
}

// Signs whatever it is given, bypassing the checks of sign_reidentification_grant: what a
// careless or hostile tool holding the overseer's key could produce.
SignedReidentificationGrant sign_raw(const ReidentificationGrant& grant,
                                     const ledger::SigningKey& key) {
  std::string message = "mamori-reidentification-grant-v1";
  message.push_back('\0');
  message += canonical_reidentification_grant(grant);
  SignedReidentificationGrant out;
  out.grant = grant;
  out.overseer_key_id = key.public_key().key_id();
  out.approved_at = at("2026-11-30T10:00:00Z");
  out.signature = key.sign(message);
  return out;
}

class ReidentificationTest : public ::testing::Test {
 protected:
  ledger::SigningKey overseer = ledger::SigningKey::generate(ledger::KeyRole::overseer);
  Timestamp mid = at("2026-12-15T12:00:00Z");

  SignedReidentificationGrant signed_grant(const ReidentificationGrant& g) {
    auto s = sign_reidentification_grant(g, overseer, at("2026-11-30T10:00:00Z"));
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return *s;
  }
  ReidentificationDecision check(const std::vector<SignedReidentificationGrant>& grants,
                                 Role role = Role::analyst,
                                 std::string_view purpose = "attack-analysis") {
    return check_reidentification(grants, overseer.public_key(), role, purpose, mid);
  }
};

// ---------------------------------------------------------------------------------------------
// Signing and verifying

TEST_F(ReidentificationTest, Invariant_I5_SignedGrantCoversItsRoleAndPurpose) {
  const auto decision = check({signed_grant(analyst_grant())});
  EXPECT_FALSE(decision.refusal.has_value()) << decision.message;
  EXPECT_EQ(decision.grant_id, "reid-1");
  EXPECT_EQ(decision.message,
            "re-identification grant reid-1 covers role 'analyst' and purpose 'attack-analysis' "
            "until 2026-12-31T00:00:00Z / 再識別が許可されています");
}

TEST_F(ReidentificationTest, SignatureIsOverTheDomainAndCanonicalJson) {
  const auto s = signed_grant(analyst_grant());
  std::string message = "mamori-reidentification-grant-v1";
  message.push_back('\0');
  message += canonical_reidentification_grant(s.grant);
  EXPECT_TRUE(ledger::verify_signature(overseer.public_key(), message, s.signature));
  EXPECT_EQ(canonical_reidentification_grant(s.grant),
            "{\"granted_by\":\"overseer-1\",\"id\":\"reid-1\",\"justification\":\"C2 "
            "調査の被害者特定\",\"not_after\":\"2026-12-31T00:00:00.000000Z\",\"not_before\":"
            "\"2026-12-01T00:00:00.000000Z\",\"purposes\":[\"attack-analysis\"],\"roles\":["
            "\"analyst\"]}");
  // An approval's signature over the same bytes would carry another domain.
  std::string approval_domain = "mamori-approval-v1";
  approval_domain.push_back('\0');
  approval_domain += canonical_reidentification_grant(s.grant);
  EXPECT_FALSE(ledger::verify_signature(overseer.public_key(), approval_domain, s.signature));
}

TEST_F(ReidentificationTest, SigningDropsSubMicrosecondTime) {
  auto g = analyst_grant();
  g.not_after.nanos += 123;
  const auto s = signed_grant(g);
  EXPECT_EQ(s.grant.not_after, at("2026-12-31T00:00:00Z"));
  EXPECT_FALSE(check({s}).refusal.has_value());
}

TEST_F(ReidentificationTest, OnlyTheOverseerKeySigns) {
  const auto sensor = ledger::SigningKey::generate(ledger::KeyRole::sensor);
  auto refused = sign_reidentification_grant(analyst_grant(), sensor, mid);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("only the overseer's key can grant re-identification"),
            std::string::npos)
      << refused.error().message;
}

TEST_F(ReidentificationTest, Invariant_I5_CriminalInvestigationIsRefusedAtSigning) {
  for (const std::string purpose :
       {"criminal-investigation", "犯罪捜査", "Criminal_Investigation"}) {
    auto g = analyst_grant();
    g.purposes = {"attack-analysis", purpose};
    auto refused = sign_reidentification_grant(g, overseer, mid);
    ASSERT_FALSE(refused.has_value()) << purpose;
    EXPECT_EQ(refused.error().message,
              "re-identification grant reid-1 is invalid: grant.purposes: criminal investigation "
              "(犯罪捜査) can never be a purpose for re-identification / 再識別の許可の内容が"
              "不正です");
  }
}

TEST_F(ReidentificationTest, InvalidGrantsAreRefusedAtSigningNamingTheField) {
  struct Case {
    std::string name;
    std::function<void(ReidentificationGrant&)> change;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"id", [](auto& g) { g.id = "reid 1"; }, "grant.id: must be 1-128 characters"},
      {"no roles", [](auto& g) { g.roles.clear(); }, "grant.roles: must name at least one role"},
      {"twice",
       [](auto& g) {
         g.roles = {Role::analyst, Role::analyst};
       },
       "grant.roles: 'analyst' is listed twice"},
      {"no purposes", [](auto& g) { g.purposes.clear(); },
       "grant.purposes: must name at least one purpose"},
      {"purpose id", [](auto& g) { g.purposes = {"attack analysis"}; },
       "grant.purposes: element 0 must be a purpose id"},
      {"window", [](auto& g) { g.not_after = g.not_before; },
       "grant.not_after: must be later than not_before"},
      {"granted_by", [](auto& g) { g.granted_by = ""; }, "grant.granted_by: must name who"},
  };
  for (const auto& c : cases) {
    auto g = analyst_grant();
    c.change(g);
    auto refused = sign_reidentification_grant(g, overseer, mid);
    ASSERT_FALSE(refused.has_value()) << c.name;
    EXPECT_NE(refused.error().message.find(c.expected), std::string::npos)
        << c.name << ": " << refused.error().message;
  }
}

// ---------------------------------------------------------------------------------------------
// Each refusal, with the check that fails first

TEST_F(ReidentificationTest, Invariant_I5_NoGrantIsRefused) {
  const auto decision = check({});
  ASSERT_TRUE(decision.refusal.has_value());
  EXPECT_EQ(*decision.refusal, Refusal::no_grant);
  EXPECT_EQ(to_string(*decision.refusal), "no-grant");
  EXPECT_NE(decision.message.find("needs a grant signed by the overseer"), std::string::npos);
  EXPECT_NE(decision.message.find("監理委員会"), std::string::npos);
}

TEST_F(ReidentificationTest, Invariant_I5_TamperedGrantIsRefused) {
  const auto original = signed_grant(analyst_grant());
  const std::vector<std::pair<std::string, std::function<void(ReidentificationGrant&)>>> edits = {
      {"role added", [](auto& g) { g.roles.push_back(Role::operator_); }},
      {"purpose changed", [](auto& g) { g.purposes = {"audit"}; }},
      {"window widened", [](auto& g) { g.not_after = at("2099-01-01T00:00:00Z"); }},
      {"justification", [](auto& g) { g.justification += "."; }},
  };
  for (const auto& [name, edit] : edits) {
    auto tampered = original;
    edit(tampered.grant);
    const auto decision = check({tampered});
    ASSERT_TRUE(decision.refusal.has_value()) << name;
    EXPECT_EQ(*decision.refusal, Refusal::signature) << name << ": " << decision.message;
  }
  auto tampered = original;
  tampered.grant.purposes = {"audit"};
  EXPECT_EQ(check({tampered}).message,
            "re-identification grant reid-1: the signature does not verify with the overseer key " +
                overseer.public_key().key_id() +
                "; the grant was changed after it was signed / "
                "署名を検証できません（許可後に内容が変更されています）");
}

TEST_F(ReidentificationTest, Invariant_I5_WrongSignerIsRefused) {
  const auto impostor = ledger::SigningKey::generate(ledger::KeyRole::overseer);
  auto s = sign_reidentification_grant(analyst_grant(), impostor, mid);
  ASSERT_TRUE(s.has_value());
  const auto decision = check({*s});
  ASSERT_TRUE(decision.refusal.has_value());
  EXPECT_EQ(*decision.refusal, Refusal::signer);
  EXPECT_EQ(decision.message,
            "re-identification grant reid-1 is signed by key " + impostor.public_key().key_id() +
                " but the trusted overseer key is " + overseer.public_key().key_id() +
                " / 監理委員会の鍵で署名されていません");
  // A sensor key trusted by mistake verifies nothing.
  const auto sensor = ledger::SigningKey::generate(ledger::KeyRole::sensor);
  const auto by_sensor = sign_raw(analyst_grant(), sensor);
  const auto trusted_sensor = check_reidentification({by_sensor}, sensor.public_key(),
                                                     Role::analyst, "attack-analysis", mid);
  ASSERT_TRUE(trusted_sensor.refusal.has_value());
  EXPECT_EQ(*trusted_sensor.refusal, Refusal::signer);
  EXPECT_NE(trusted_sensor.message.find("is a sensor key, not the overseer's"), std::string::npos);
}

TEST_F(ReidentificationTest, Invariant_I5_EditedSignerIdIsMalformed) {
  auto s = signed_grant(analyst_grant());
  s.overseer_key_id = std::string(16, 'a');
  // The signature still verifies, but the file names another key: it was edited.
  auto decision = check({s});
  ASSERT_TRUE(decision.refusal.has_value());
  EXPECT_EQ(*decision.refusal, Refusal::malformed);
  s.overseer_key_id = "not-hex";
  decision = check({s});
  ASSERT_TRUE(decision.refusal.has_value());
  EXPECT_EQ(*decision.refusal, Refusal::malformed);
  EXPECT_NE(decision.message.find("overseer_key_id must be 16 lowercase hex digits"),
            std::string::npos);
}

TEST_F(ReidentificationTest, Invariant_I5_RoleNotInGrantIsRefused) {
  const auto decision = check({signed_grant(analyst_grant())}, Role::operator_);
  ASSERT_TRUE(decision.refusal.has_value());
  EXPECT_EQ(*decision.refusal, Refusal::role);
  EXPECT_EQ(decision.message,
            "re-identification grant reid-1 does not cover role 'operator' (granted: analyst) / "
            "この役割には再識別が許可されていません");
}

TEST_F(ReidentificationTest, Invariant_I5_PurposeNotInGrantIsRefused) {
  const auto decision = check({signed_grant(analyst_grant())}, Role::analyst, "audit");
  ASSERT_TRUE(decision.refusal.has_value());
  EXPECT_EQ(*decision.refusal, Refusal::purpose);
  EXPECT_EQ(decision.message,
            "re-identification grant reid-1 does not cover purpose 'audit' (granted: "
            "attack-analysis) / この利用目的での再識別は許可されていません");
}

TEST_F(ReidentificationTest, Invariant_I5_WindowIsNotBeforeInclusiveNotAfterExclusive) {
  const auto s = signed_grant(analyst_grant());
  const auto decide = [&](std::string_view now) {
    return check_reidentification({s}, overseer.public_key(), Role::analyst, "attack-analysis",
                                  at(now));
  };
  const auto early = decide("2026-11-30T23:59:59Z");
  ASSERT_TRUE(early.refusal.has_value());
  EXPECT_EQ(*early.refusal, Refusal::not_yet_valid);
  EXPECT_EQ(early.message,
            "re-identification grant reid-1 is valid from 2026-12-01T00:00:00Z (now "
            "2026-11-30T23:59:59Z) / 再識別の許可の有効期間がまだ始まっていません");
  EXPECT_FALSE(decide("2026-12-01T00:00:00Z").refusal.has_value());
  EXPECT_FALSE(decide("2026-12-30T23:59:59.999999Z").refusal.has_value());
  const auto at_end = decide("2026-12-31T00:00:00Z");
  ASSERT_TRUE(at_end.refusal.has_value());
  EXPECT_EQ(*at_end.refusal, Refusal::expired);
  EXPECT_EQ(at_end.message,
            "re-identification grant reid-1 expired at 2026-12-31T00:00:00Z (now "
            "2026-12-31T00:00:00Z) / 再識別の許可の有効期間が終了しています");
}

TEST_F(ReidentificationTest, Invariant_I5_CriminalInvestigationIsRefusedAtChecking) {
  // Asked for: refused before any grant is looked at, even with a grant that covers
  // everything else.
  for (const std::string purpose : {"criminal-investigation", "Criminal_Investigation-support"}) {
    const auto decision = check({signed_grant(analyst_grant())}, Role::analyst, purpose);
    ASSERT_TRUE(decision.refusal.has_value()) << purpose;
    EXPECT_EQ(*decision.refusal, Refusal::criminal_investigation);
    EXPECT_EQ(decision.message.find(purpose), std::string::npos) << "the purpose is not echoed";
  }
  // Granted: a grant listing it, even validly signed by the overseer's key with another tool,
  // covers nothing, not even its other purposes.
  auto g = analyst_grant();
  g.purposes = {"attack-analysis", "criminal-investigation"};
  const auto decision = check({sign_raw(g, overseer)});
  ASSERT_TRUE(decision.refusal.has_value());
  EXPECT_EQ(*decision.refusal, Refusal::criminal_investigation);
  EXPECT_NE(decision.message.find("is void"), std::string::npos) << decision.message;
}

TEST_F(ReidentificationTest, MalformedSignedGrantIsRefused) {
  auto g = analyst_grant();
  g.roles.clear();
  const auto decision = check({sign_raw(g, overseer)});
  ASSERT_TRUE(decision.refusal.has_value());
  EXPECT_EQ(*decision.refusal, Refusal::malformed);
  EXPECT_NE(decision.message.find("grant.roles: must name at least one role"), std::string::npos);
}

TEST_F(ReidentificationTest, AnyCoveringGrantAllowsAndTheClosestRefusalIsReported) {
  auto other_role = analyst_grant();
  other_role.id = "reid-overseer";
  other_role.roles = {Role::overseer};
  auto expired = analyst_grant();
  expired.id = "reid-old";
  expired.not_before = at("2025-01-01T00:00:00Z");
  expired.not_after = at("2025-02-01T00:00:00Z");
  auto current = analyst_grant();
  current.id = "reid-current";

  const auto refused = check({signed_grant(other_role), signed_grant(expired)});
  ASSERT_TRUE(refused.refusal.has_value());
  EXPECT_EQ(*refused.refusal, Refusal::expired) << refused.message;
  EXPECT_NE(refused.message.find("reid-old"), std::string::npos);

  const auto allowed =
      check({signed_grant(other_role), signed_grant(expired), signed_grant(current)});
  EXPECT_FALSE(allowed.refusal.has_value()) << allowed.message;
  EXPECT_EQ(allowed.grant_id, "reid-current");
}

TEST_F(ReidentificationTest, EveryRefusalHasAName) {
  const std::vector<std::pair<Refusal, std::string_view>> names = {
      {Refusal::no_grant, "no-grant"},
      {Refusal::criminal_investigation, "criminal-investigation"},
      {Refusal::malformed, "malformed"},
      {Refusal::signer, "signer"},
      {Refusal::signature, "signature"},
      {Refusal::role, "role"},
      {Refusal::purpose, "purpose"},
      {Refusal::not_yet_valid, "not-yet-valid"},
      {Refusal::expired, "expired"}};
  for (const auto& [refusal, name] : names) EXPECT_EQ(to_string(refusal), name);
}

// ---------------------------------------------------------------------------------------------
// JSON form and file

TEST_F(ReidentificationTest, JsonRoundTripKeepsTheSignatureValid) {
  const auto s = signed_grant(analyst_grant());
  const json file = signed_reidentification_grant_to_json(s);
  EXPECT_EQ(file["kind"], "mamori-reidentification-grant");
  EXPECT_EQ(file["grant"]["roles"], json::array({"analyst"}));
  auto back = signed_reidentification_grant_from_json(json::parse(file.dump()));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(canonical_reidentification_grant(back->grant),
            canonical_reidentification_grant(s.grant));
  EXPECT_EQ(back->signature, s.signature);
  EXPECT_EQ(back->overseer_key_id, s.overseer_key_id);
  EXPECT_EQ(back->approved_at, s.approved_at);
  EXPECT_FALSE(check({*back}).refusal.has_value());
}

TEST_F(ReidentificationTest, JsonErrorsNameTheField) {
  const json good = signed_reidentification_grant_to_json(signed_grant(analyst_grant()));
  struct Case {
    std::string name;
    std::function<void(json&)> change;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"kind", [](json& j) { j["kind"] = "mamori-approval"; },
       "kind: must be \"mamori-reidentification-grant\""},
      {"no grant", [](json& j) { j.erase("grant"); }, "grant: is required"},
      {"grant not object", [](json& j) { j["grant"] = 3; }, "grant: must be a JSON object"},
      {"role",
       [](json& j) {
         j["grant"]["roles"] = {"analyst", "root"};
       },
       "grant.roles: 'root' is not a role"},
      {"roles type", [](json& j) { j["grant"]["roles"] = "analyst"; },
       "grant.roles: must be an array of strings"},
      {"purposes element", [](json& j) { j["grant"]["purposes"] = {1}; },
       "grant.purposes: element 0 must be a string"},
      {"time", [](json& j) { j["grant"]["not_after"] = "tomorrow"; }, "grant.not_after:"},
      {"unknown in grant", [](json& j) { j["grant"]["sensor"] = "gw-1"; },
       "grant.sensor: unknown field"},
      {"unknown at top", [](json& j) { j["comment"] = "x"; }, "comment: unknown field"},
      {"signature", [](json& j) { j["signature"] = "00"; },
       "signature: must be the 128 hex digits of an Ed25519 signature"},
      {"approved_at", [](json& j) { j.erase("approved_at"); }, "approved_at: is required"},
  };
  for (const auto& c : cases) {
    json changed = good;
    c.change(changed);
    auto parsed = signed_reidentification_grant_from_json(changed);
    ASSERT_FALSE(parsed.has_value()) << c.name;
    EXPECT_NE(parsed.error().message.find(c.expected), std::string::npos)
        << c.name << ": " << parsed.error().message;
  }
  EXPECT_EQ(reidentification_grant_from_json(json::array()).error().message,
            "must be a JSON object");
  EXPECT_EQ(reidentification_grant_from_json(good["grant"])->id, "reid-1");
}

class GrantFileTest : public ReidentificationTest {
 protected:
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mamori-grant-test-" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
};

TEST_F(GrantFileTest, LoadsWhatWasWritten) {
  const auto s = signed_grant(analyst_grant());
  const auto path = write("g.json", signed_reidentification_grant_to_json(s).dump(2));
  auto loaded = load_reidentification_grant(path);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_FALSE(check({*loaded}).refusal.has_value());
}

TEST_F(GrantFileTest, ErrorsNameTheFile) {
  const std::string missing = (dir / "missing.json").string();
  auto result = load_reidentification_grant(missing);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(
      result.error().message.rfind(missing + ": cannot read the re-identification grant file", 0),
      0u)
      << result.error().message;

  const auto broken = write("broken.json", "{\"kind\": \"secret-text");
  result = load_reidentification_grant(broken);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message.rfind(broken + ": not valid JSON (at byte ", 0), 0u)
      << result.error().message;
  EXPECT_EQ(result.error().message.find("secret-text"), std::string::npos);

  json bad = signed_reidentification_grant_to_json(signed_grant(analyst_grant()));
  bad["grant"]["purpose"] = "attack-analysis";
  const auto unknown = write("unknown.json", bad.dump());
  result = load_reidentification_grant(unknown);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, unknown + ": grant.purpose: unknown field");
}

}  // namespace
}  // namespace mamori::governance
