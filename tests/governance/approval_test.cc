#include "mamori/governance/approval.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>

namespace mamori::governance {
namespace {

using nlohmann::json;
using scope::Category;

// 64 hex digits: "3fa1" … "c2", so abbreviations in messages are recognisable.
constexpr std::string_view kHash =
    "3fa10123456789abcdef0123456789abcdef0123456789abcdef0123456789c2";

Timestamp at(std::string_view text) { return *parse_rfc3339(text); }

scope::CategorySet categories(std::initializer_list<Category> list) {
  scope::CategorySet set;
  for (const auto c : list) set.add(c);
  return set;
}

ApprovalRequest ff_request() {
  ApprovalRequest r;
  r.id = "req-7";
  r.basis = LegalBasis::foreign_foreign;
  r.sensor = "gw-1";
  r.categories = categories({Category::FF});
  r.ruleset_hash = std::string(kHash);
  r.inspect_bytes = 512;
  r.not_before = at("2026-12-01T10:00:00Z");
  r.not_after = at("2026-12-02T10:00:00Z");
  r.requested_by = "analyst-1";
  r.requested_at = at("2026-11-30T09:00:00Z");
  r.justification = "C2 対策";
  return r;
}

ApprovalRequest party_request() {
  ApprovalRequest r = ff_request();
  r.id = "req-8";
  r.basis = LegalBasis::party_agreement;
  r.agreement_id = "agr-12";
  r.party_prefixes = {*Prefix::parse("192.0.2.0/24"), *Prefix::parse("2001:db8::/32")};
  r.agreement_purposes = {"attack-analysis"};
  r.categories = categories({Category::FD, Category::DF});
  return r;
}

SelectionPlan plan_for(const ApprovalRequest& r, Timestamp now) {
  return SelectionPlan{r.sensor, r.categories, r.ruleset_hash, r.inspect_bytes, now};
}

class ApprovalTest : public ::testing::Test {
 protected:
  ledger::SigningKey overseer = ledger::SigningKey::generate(ledger::KeyRole::overseer);
  Timestamp noon = at("2026-12-01T12:00:00Z");

  Approval approved(const ApprovalRequest& r) {
    auto approval = approve(r, overseer, at("2026-11-30T10:00:00Z"));
    EXPECT_TRUE(approval.has_value()) << approval.error().message;
    return *approval;
  }
  ApprovalDecision check(const Approval& a, const SelectionPlan& plan) {
    return check_approval(a, overseer.public_key(), plan);
  }
};

// ---------------------------------------------------------------------------------------------
// The request and its JSON form

TEST(LegalBasisNames, MachineAndJapaneseNamesParse) {
  EXPECT_EQ(to_string(LegalBasis::foreign_domestic), "foreign-domestic");
  EXPECT_EQ(japanese_name(LegalBasis::domestic_foreign), "特定内外通信目的送信措置");
  EXPECT_EQ(*parse_legal_basis("party-agreement"), LegalBasis::party_agreement);
  EXPECT_EQ(*parse_legal_basis("外外通信目的送信措置"), LegalBasis::foreign_foreign);
  EXPECT_EQ(*parse_legal_basis("特定外内通信目的送信措置"), LegalBasis::foreign_domestic);
  EXPECT_EQ(*parse_legal_basis("当事者協定"), LegalBasis::party_agreement);
  EXPECT_FALSE(parse_legal_basis("Foreign-Foreign").has_value());
  EXPECT_FALSE(parse_legal_basis("").has_value());
}

TEST(ApprovalRequestJson, CanonicalFormIsSortedCompactUtf8) {
  EXPECT_EQ(
      canonical_request(ff_request()),
      R"({"agreement_id":null,"agreement_purposes":[],"categories":["FF"],"id":"req-7",)"
      R"("inspect_bytes":512,"justification":"C2 対策","legal_basis":"foreign-foreign",)"
      R"("not_after":"2026-12-02T10:00:00.000000Z","not_before":"2026-12-01T10:00:00.000000Z",)"
      R"("party_prefixes":[],"requested_at":"2026-11-30T09:00:00.000000Z",)"
      R"("requested_by":"analyst-1","ruleset_hash":")" +
          std::string(kHash) + R"(","sensor":"gw-1"})");
}

TEST(ApprovalRequestJson, CategoriesAreWrittenSorted) {
  ApprovalRequest r = party_request();
  r.categories = categories({Category::FF, Category::DF, Category::FD});
  EXPECT_EQ(request_to_json(r)["categories"], json::parse(R"(["DF","FD","FF"])"));
}

TEST(ApprovalRequestJson, RoundTripKeepsEveryField) {
  for (const ApprovalRequest& original : {ff_request(), party_request()}) {
    auto back = request_from_json(request_to_json(original));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(back->id, original.id);
    EXPECT_EQ(back->basis, original.basis);
    EXPECT_EQ(back->agreement_id, original.agreement_id);
    EXPECT_EQ(back->party_prefixes, original.party_prefixes);
    EXPECT_EQ(back->agreement_purposes, original.agreement_purposes);
    EXPECT_EQ(back->sensor, original.sensor);
    EXPECT_EQ(back->categories, original.categories);
    EXPECT_EQ(back->ruleset_hash, original.ruleset_hash);
    EXPECT_EQ(back->inspect_bytes, original.inspect_bytes);
    EXPECT_EQ(back->not_before, original.not_before);
    EXPECT_EQ(back->not_after, original.not_after);
    EXPECT_EQ(back->requested_by, original.requested_by);
    EXPECT_EQ(back->requested_at, original.requested_at);
    EXPECT_EQ(back->justification, original.justification);
    EXPECT_EQ(canonical_request(*back), canonical_request(original));
  }
}

TEST(ApprovalRequestJson, AcceptsJapaneseBasisOffsetsAndOmittedOptionalFields) {
  json j = request_to_json(ff_request());
  j["legal_basis"] = "外外通信目的送信措置";
  j["not_before"] = "2026-12-01T19:00:00+09:00";
  j.erase("agreement_id");
  j.erase("party_prefixes");
  j.erase("agreement_purposes");
  j.erase("justification");
  auto r = request_from_json(j);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->basis, LegalBasis::foreign_foreign);
  EXPECT_EQ(r->not_before, at("2026-12-01T10:00:00Z"));
  EXPECT_TRUE(validate_request(*r).has_value());
}

TEST(ApprovalRequestJson, RejectsWithTheFieldName) {
  struct Case {
    const char* name;
    std::function<void(json&)> edit;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"unknown field", [](json& j) { j["not_afer"] = "2026-12-02T10:00:00Z"; },
       "not_afer: unknown field"},
      {"missing field", [](json& j) { j.erase("sensor"); }, "sensor: is required"},
      {"wrong type", [](json& j) { j["sensor"] = 7; }, "sensor: must be a string"},
      {"bad basis", [](json& j) { j["legal_basis"] = "other"; }, "legal_basis: 'other' is not"},
      {"DD",
       [](json& j) {
         j["categories"] = {"FF", "DD"};
       },
       "categories: DD (domestic to domestic) can never be approved"},
      {"unknown category", [](json& j) { j["categories"] = {"XX"}; }, "categories: 'XX' is not"},
      {"duplicate category",
       [](json& j) {
         j["categories"] = {"FF", "FF"};
       },
       "categories: 'FF' is listed twice"},
      {"host bits", [](json& j) { j["party_prefixes"] = {"192.0.2.1/24"}; },
       "party_prefixes: prefix '192.0.2.1/24' has host bits set"},
      {"negative budget", [](json& j) { j["inspect_bytes"] = -1; },
       "inspect_bytes: must not be negative"},
      {"fractional budget", [](json& j) { j["inspect_bytes"] = 1.5; },
       "inspect_bytes: must be a whole number"},
      {"bad time", [](json& j) { j["not_after"] = "tomorrow"; }, "not_after: 'tomorrow'"},
      {"nanoseconds", [](json& j) { j["not_after"] = "2026-12-02T10:00:00.000000001Z"; },
       "not_after: has more than microsecond precision"},
      {"agreement id type", [](json& j) { j["agreement_id"] = 5; },
       "agreement_id: must be a string or null"},
      {"purposes type", [](json& j) { j["agreement_purposes"] = {1}; },
       "agreement_purposes: element 0 must be a string"},
  };
  for (const auto& c : cases) {
    json j = request_to_json(ff_request());
    c.edit(j);
    auto r = request_from_json(j);
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_NE(r.error().message.find(c.expected), std::string::npos)
        << c.name << ": " << r.error().message;
  }
  EXPECT_EQ(request_from_json(json::array()).error().message, "must be a JSON object");
}

TEST(ApprovalRequestValidation, AcceptsWellFormedRequests) {
  EXPECT_TRUE(validate_request(ff_request()).has_value());
  EXPECT_TRUE(validate_request(party_request()).has_value());
}

TEST(ApprovalRequestValidation, RejectsInconsistentRequests) {
  struct Case {
    const char* name;
    std::function<void(ApprovalRequest&)> edit;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"empty id", [](ApprovalRequest& r) { r.id = ""; }, "request.id:"},
      {"id with space", [](ApprovalRequest& r) { r.id = "req 7"; }, "request.id:"},
      {"empty sensor", [](ApprovalRequest& r) { r.sensor = ""; }, "request.sensor:"},
      {"short hash", [](ApprovalRequest& r) { r.ruleset_hash.pop_back(); },
       "request.ruleset_hash: must be the 64 lowercase hex digits"},
      {"uppercase hash", [](ApprovalRequest& r) { r.ruleset_hash[0] = 'F'; },
       "request.ruleset_hash:"},
      {"no categories", [](ApprovalRequest& r) { r.categories = {}; },
       "request.categories: must name at least one category"},
      {"FD under foreign-foreign",
       [](ApprovalRequest& r) {
         r.categories = categories({Category::FF, Category::FD});
       },
       "request.categories: FD,FF is not allowed under foreign-foreign"},
      {"FF under foreign-domestic",
       [](ApprovalRequest& r) { r.basis = LegalBasis::foreign_domestic; },
       "request.categories: FF is not allowed under foreign-domestic"},
      {"FF under domestic-foreign",
       [](ApprovalRequest& r) { r.basis = LegalBasis::domestic_foreign; },
       "is not allowed under domestic-foreign"},
      {"empty window", [](ApprovalRequest& r) { r.not_after = r.not_before; },
       "request.not_after: must be later than not_before"},
      {"inverted window", [](ApprovalRequest& r) { std::swap(r.not_before, r.not_after); },
       "request.not_after: must be later than not_before"},
      {"agreement id without agreement", [](ApprovalRequest& r) { r.agreement_id = "agr-1"; },
       "request.agreement_id: is only for a party agreement"},
      {"prefixes without agreement",
       [](ApprovalRequest& r) { r.party_prefixes = {*Prefix::parse("192.0.2.0/24")}; },
       "request.party_prefixes: is only for a party agreement"},
      {"purposes without agreement",
       [](ApprovalRequest& r) { r.agreement_purposes = {"attack-analysis"}; },
       "request.agreement_purposes: is only for a party agreement"},
      {"no requester", [](ApprovalRequest& r) { r.requested_by = ""; }, "request.requested_by:"},
      {"bad utf-8", [](ApprovalRequest& r) { r.justification = "\xff\xfe"; },
       "request.justification: must be UTF-8"},
  };
  for (const auto& c : cases) {
    ApprovalRequest r = ff_request();
    c.edit(r);
    auto ok = validate_request(r);
    ASSERT_FALSE(ok.has_value()) << c.name;
    EXPECT_NE(ok.error().message.find(c.expected), std::string::npos)
        << c.name << ": " << ok.error().message;
  }
}

TEST(ApprovalRequestValidation, PartyAgreementNeedsItsFields) {
  struct Case {
    const char* name;
    std::function<void(ApprovalRequest&)> edit;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"no agreement id", [](ApprovalRequest& r) { r.agreement_id.reset(); },
       "request.agreement_id: a party agreement (当事者協定) needs an agreement id"},
      {"no prefixes", [](ApprovalRequest& r) { r.party_prefixes.clear(); },
       "request.party_prefixes: a party agreement (当事者協定) needs the party's prefixes"},
      {"duplicate prefix",
       [](ApprovalRequest& r) { r.party_prefixes.push_back(r.party_prefixes[0]); },
       "request.party_prefixes: 192.0.2.0/24 is listed twice"},
      {"criminal investigation agreed",
       [](ApprovalRequest& r) { r.agreement_purposes.push_back("犯罪捜査"); },
       "request.agreement_purposes: criminal investigation (犯罪捜査) can never be"},
      {"DD", [](ApprovalRequest& r) { r.categories = {}; }, "request.categories:"},
  };
  for (const auto& c : cases) {
    ApprovalRequest r = party_request();
    c.edit(r);
    auto ok = validate_request(r);
    ASSERT_FALSE(ok.has_value()) << c.name;
    EXPECT_NE(ok.error().message.find(c.expected), std::string::npos)
        << c.name << ": " << ok.error().message;
  }
}

// ---------------------------------------------------------------------------------------------
// Approving and checking (I4)

TEST_F(ApprovalTest, Invariant_I4_ApprovedPlanIsCovered) {
  const Approval a = approved(ff_request());
  EXPECT_EQ(a.id(), "req-7");
  EXPECT_EQ(a.overseer_key_id, overseer.public_key().key_id());
  const auto decision = check(a, plan_for(a.request, noon));
  EXPECT_FALSE(decision.refusal.has_value()) << decision.message;
  EXPECT_EQ(decision.message,
            "approval req-7 covers sensor 'gw-1', categories FF, ruleset 3fa10123…89c2 until "
            "2026-12-02T10:00:00Z / 承認の範囲内です");
}

TEST_F(ApprovalTest, Invariant_I4_PartyAgreementApprovalCoversSubsetOfCategories) {
  const Approval a = approved(party_request());
  SelectionPlan plan = plan_for(a.request, noon);
  plan.categories = categories({Category::FD});
  EXPECT_FALSE(check(a, plan).refusal.has_value());
}

TEST_F(ApprovalTest, Invariant_I4_ApproveRefusesInvalidRequests) {
  ApprovalRequest r = ff_request();
  r.categories = categories({Category::FD});
  auto a = approve(r, overseer, noon);
  ASSERT_FALSE(a.has_value());
  EXPECT_NE(a.error().message.find("approval request req-7 is invalid: request.categories:"),
            std::string::npos)
      << a.error().message;
}

TEST_F(ApprovalTest, Invariant_I4_ApproveDropsSubMicrosecondPrecision) {
  ApprovalRequest r = ff_request();
  r.requested_at.nanos += 999;
  const Approval a = *approve(r, overseer, Timestamp{noon.nanos + 1});
  EXPECT_EQ(a.request.requested_at, ff_request().requested_at);
  EXPECT_EQ(a.approved_at, noon);
  EXPECT_FALSE(check(a, plan_for(a.request, noon)).refusal.has_value());
}

TEST_F(ApprovalTest, Invariant_I4_AnyFieldChangedAfterSigningFailsTheSignature) {
  const Approval original = approved(ff_request());
  const std::vector<std::pair<const char*, std::function<void(ApprovalRequest&)>>> edits = {
      {"one hex digit of the ruleset hash", [](ApprovalRequest& r) { r.ruleset_hash[20] = 'f'; }},
      {"sensor", [](ApprovalRequest& r) { r.sensor = "gw-2"; }},
      {"not_after", [](ApprovalRequest& r) { r.not_after.nanos += 1000; }},
      {"not_before", [](ApprovalRequest& r) { r.not_before.nanos -= 1000; }},
      {"inspect_bytes", [](ApprovalRequest& r) { r.inspect_bytes = 513; }},
      {"id", [](ApprovalRequest& r) { r.id = "req-8"; }},
      {"requested_by", [](ApprovalRequest& r) { r.requested_by = "someone-else"; }},
      {"justification", [](ApprovalRequest& r) { r.justification += "."; }},
  };
  for (const auto& [name, edit] : edits) {
    Approval a = original;
    edit(a.request);
    const auto decision = check(a, plan_for(a.request, noon));
    ASSERT_TRUE(decision.refusal.has_value()) << name;
    EXPECT_EQ(*decision.refusal, Refusal::signature) << name << ": " << decision.message;
  }
  Approval a = original;
  a.signature[0] ^= 1;
  const auto decision = check(a, plan_for(a.request, noon));
  EXPECT_EQ(decision.refusal, Refusal::signature);
  EXPECT_EQ(decision.message,
            "approval req-7: the signature does not verify with the overseer key " +
                overseer.public_key().key_id() +
                "; the approval was changed after it was signed / "
                "署名を検証できません（承認後に内容が変更されています）");
}

TEST_F(ApprovalTest, Invariant_I4_ChangedCategoryAfterSigningFailsTheSignature) {
  Approval a = approved(party_request());
  a.request.categories.add(Category::FF);
  EXPECT_EQ(check(a, plan_for(a.request, noon)).refusal, Refusal::signature);
  Approval b = approved(party_request());
  b.request.party_prefixes.pop_back();
  EXPECT_EQ(check(b, plan_for(b.request, noon)).refusal, Refusal::signature);
}

TEST_F(ApprovalTest, Invariant_I4_ApprovalByAnotherOverseerKeyIsWrongSigner) {
  const auto other = ledger::SigningKey::generate(ledger::KeyRole::overseer);
  const Approval a = *approve(ff_request(), other, noon);
  const auto decision = check(a, plan_for(a.request, noon));
  EXPECT_EQ(decision.refusal, Refusal::signer);
  EXPECT_EQ(decision.message, "approval req-7 is signed by key " + other.public_key().key_id() +
                                  " but the trusted overseer key is " +
                                  overseer.public_key().key_id() +
                                  " / 監理委員会の鍵で署名されていません");
  // It is covered for the one who trusts that key: the refusal is about the key only.
  EXPECT_FALSE(check_approval(a, other.public_key(), plan_for(a.request, noon)).refusal);
}

TEST_F(ApprovalTest, Invariant_I4_SensorKeyCanNeitherApproveNorBeTrusted) {
  const auto sensor = ledger::SigningKey::generate(ledger::KeyRole::sensor);
  auto refused = approve(ff_request(), sensor, noon);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("only the overseer's key can approve"), std::string::npos);

  // Forged by hand with the sensor key, naming itself as signer.
  Approval forged = approved(ff_request());
  std::string message = "mamori-approval-v1";
  message.push_back('\0');
  message += canonical_request(forged.request);
  forged.signature = sensor.sign(message);
  forged.overseer_key_id = sensor.public_key().key_id();
  EXPECT_EQ(check(forged, plan_for(forged.request, noon)).refusal, Refusal::signer);

  // Even a correct signature does not count if the key trusted to check it is a sensor key.
  const auto decision = check_approval(forged, sensor.public_key(), plan_for(forged.request, noon));
  EXPECT_EQ(decision.refusal, Refusal::signer);
  EXPECT_NE(decision.message.find("is a sensor key, not the overseer's"), std::string::npos);
}

TEST_F(ApprovalTest, Invariant_I4_SignedMessageIsDomainSeparated) {
  const Approval a = approved(ff_request());
  // The signature is over "mamori-approval-v1" NUL ‖ canonical request, not the bare request.
  std::string message = "mamori-approval-v1";
  message.push_back('\0');
  message += canonical_request(a.request);
  EXPECT_TRUE(ledger::verify_signature(overseer.public_key(), message, a.signature));
  EXPECT_FALSE(
      ledger::verify_signature(overseer.public_key(), canonical_request(a.request), a.signature));
}

TEST_F(ApprovalTest, Invariant_I4_EditedSignerFieldIsMalformed) {
  Approval a = approved(ff_request());
  a.overseer_key_id = "0123456789abcdef";
  EXPECT_EQ(check(a, plan_for(a.request, noon)).refusal, Refusal::malformed);
  a.overseer_key_id = "not hex";
  const auto decision = check(a, plan_for(a.request, noon));
  EXPECT_EQ(decision.refusal, Refusal::malformed);
  EXPECT_NE(decision.message.find("overseer_key_id must be 16 lowercase hex digits"),
            std::string::npos);
}

TEST_F(ApprovalTest, Invariant_I4_InvalidRequestIsMalformedBeforeAnythingElse) {
  Approval a = approved(ff_request());
  a.request.ruleset_hash = "abc";
  const auto decision = check(a, plan_for(a.request, noon));
  EXPECT_EQ(decision.refusal, Refusal::malformed);
  EXPECT_EQ(decision.message,
            "approval req-7 is malformed: request.ruleset_hash: must be the 64 lowercase hex "
            "digits of a SHA-256 / 承認の内容が不正です");
}

TEST_F(ApprovalTest, Invariant_I4_OtherSensorIsRefused) {
  const Approval a = approved(ff_request());
  SelectionPlan plan = plan_for(a.request, noon);
  plan.sensor = "gw-2";
  const auto decision = check(a, plan);
  EXPECT_EQ(decision.refusal, Refusal::sensor);
  EXPECT_EQ(decision.message,
            "approval req-7 is for sensor 'gw-1', not for sensor 'gw-2' / "
            "このセンサーは承認されていません");
}

TEST_F(ApprovalTest, Invariant_I4_CategoryNotApprovedIsRefused) {
  const Approval a = approved(ff_request());
  SelectionPlan plan = plan_for(a.request, noon);
  plan.categories = categories({Category::FF, Category::FD});
  const auto decision = check(a, plan);
  EXPECT_EQ(decision.refusal, Refusal::categories);
  EXPECT_EQ(decision.message,
            "approval req-7 does not cover categories FD (planned: FD,FF; approved: FF) / "
            "承認された通信の区分に含まれていません");
}

TEST_F(ApprovalTest, Invariant_I4_RulesetHashDifferingInOneDigitIsRefused) {
  const Approval a = approved(ff_request());
  SelectionPlan plan = plan_for(a.request, noon);
  plan.ruleset_hash[0] = '4';
  auto decision = check(a, plan);
  EXPECT_EQ(decision.refusal, Refusal::ruleset);
  EXPECT_EQ(decision.message,
            "approval req-7 does not cover ruleset 4fa10123…89c2 (approved: 3fa10123…89c2) / "
            "承認されたルールセットと一致しません");

  // A difference the abbreviation would hide is shown in full.
  plan.ruleset_hash = std::string(kHash);
  plan.ruleset_hash[30] = plan.ruleset_hash[30] == '0' ? '1' : '0';
  decision = check(a, plan);
  EXPECT_EQ(decision.refusal, Refusal::ruleset);
  EXPECT_NE(decision.message.find(plan.ruleset_hash), std::string::npos) << decision.message;
  EXPECT_NE(decision.message.find(kHash), std::string::npos) << decision.message;
}

TEST_F(ApprovalTest, Invariant_I4_LargerInspectionBudgetIsRefused) {
  const Approval a = approved(ff_request());
  SelectionPlan plan = plan_for(a.request, noon);
  plan.inspect_bytes = 513;
  const auto decision = check(a, plan);
  EXPECT_EQ(decision.refusal, Refusal::inspect_bytes);
  EXPECT_EQ(decision.message,
            "approval req-7 allows inspecting 512 bytes per flow, the sieve is set to 513 / "
            "承認された検査バイト数を超えています");
  plan.inspect_bytes = 512;
  EXPECT_FALSE(check(a, plan).refusal.has_value());
  plan.inspect_bytes = 0;
  EXPECT_FALSE(check(a, plan).refusal.has_value());
}

TEST_F(ApprovalTest, Invariant_I4_BeforeNotBeforeIsNotYetValid) {
  const Approval a = approved(ff_request());
  const auto early = check(a, plan_for(a.request, at("2026-12-01T09:59:59.999999Z")));
  EXPECT_EQ(early.refusal, Refusal::not_yet_valid);
  EXPECT_EQ(early.message,
            "approval req-7 is valid from 2026-12-01T10:00:00Z (now 2026-12-01T09:59:59.999999Z) "
            "/ 承認の有効期間がまだ始まっていません");
  EXPECT_FALSE(check(a, plan_for(a.request, a.request.not_before)).refusal.has_value());
}

TEST_F(ApprovalTest, Invariant_I4_AtOrAfterNotAfterIsExpired) {
  const Approval a = approved(ff_request());
  const auto at_end = check(a, plan_for(a.request, a.request.not_after));
  EXPECT_EQ(at_end.refusal, Refusal::expired);
  EXPECT_EQ(at_end.message,
            "approval req-7 expired at 2026-12-02T10:00:00Z (now 2026-12-02T10:00:00Z) / "
            "承認の有効期間が終了しています");
  const auto later = check(a, plan_for(a.request, at("2026-12-02T10:05:00Z")));
  EXPECT_EQ(later.refusal, Refusal::expired);
  EXPECT_EQ(later.message,
            "approval req-7 expired at 2026-12-02T10:00:00Z (now 2026-12-02T10:05:00Z) / "
            "承認の有効期間が終了しています");
  EXPECT_FALSE(
      check(a, plan_for(a.request, at("2026-12-02T09:59:59.999999Z"))).refusal.has_value());
}

TEST_F(ApprovalTest, Invariant_I4_FirstFailingCheckIsReported) {
  const Approval a = approved(ff_request());
  SelectionPlan plan{"gw-2", categories({Category::FD}), "00", 99999, at("2027-01-01T00:00:00Z")};
  EXPECT_EQ(check(a, plan).refusal, Refusal::sensor);
  plan.sensor = "gw-1";
  EXPECT_EQ(check(a, plan).refusal, Refusal::categories);
  plan.categories = categories({Category::FF});
  EXPECT_EQ(check(a, plan).refusal, Refusal::ruleset);
  plan.ruleset_hash = std::string(kHash);
  EXPECT_EQ(check(a, plan).refusal, Refusal::inspect_bytes);
  plan.inspect_bytes = 1;
  EXPECT_EQ(check(a, plan).refusal, Refusal::expired);
}

TEST(RefusalNames, AreStable) {
  EXPECT_EQ(to_string(Refusal::no_approval), "no-approval");
  EXPECT_EQ(to_string(Refusal::malformed), "malformed");
  EXPECT_EQ(to_string(Refusal::signature), "signature");
  EXPECT_EQ(to_string(Refusal::signer), "signer");
  EXPECT_EQ(to_string(Refusal::sensor), "sensor");
  EXPECT_EQ(to_string(Refusal::categories), "categories");
  EXPECT_EQ(to_string(Refusal::ruleset), "ruleset");
  EXPECT_EQ(to_string(Refusal::inspect_bytes), "inspect-bytes");
  EXPECT_EQ(to_string(Refusal::not_yet_valid), "not-yet-valid");
  EXPECT_EQ(to_string(Refusal::expired), "expired");
}

// ---------------------------------------------------------------------------------------------
// The approval file

class ApprovalFileTest : public ApprovalTest {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "mamori-approval-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(ApprovalFileTest, Invariant_I4_FileRoundTripStaysCovered) {
  const Approval a = approved(party_request());
  const json j = approval_to_json(a);
  EXPECT_EQ(j["kind"], "mamori-approval");
  EXPECT_EQ(j["signature"].get<std::string>().size(), 128u);
  const auto path = write("approval.json", j.dump(2));
  auto loaded = load_approval(path);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(canonical_request(loaded->request), canonical_request(a.request));
  EXPECT_EQ(loaded->overseer_key_id, a.overseer_key_id);
  EXPECT_EQ(loaded->approved_at, a.approved_at);
  EXPECT_EQ(loaded->signature, a.signature);
  EXPECT_FALSE(check(*loaded, plan_for(loaded->request, noon)).refusal.has_value());
}

TEST_F(ApprovalFileTest, Invariant_I4_OneHexDigitEditedInTheFileFailsTheSignature) {
  const Approval a = approved(ff_request());
  std::string text = approval_to_json(a).dump();
  const auto pos = text.find(kHash);
  ASSERT_NE(pos, std::string::npos);
  text[pos + 10] = text[pos + 10] == 'a' ? 'b' : 'a';
  auto loaded = load_approval(write("edited.json", text));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  // The plan matches the edited hash: only the signature can tell.
  EXPECT_EQ(check(*loaded, plan_for(loaded->request, noon)).refusal, Refusal::signature);
}

TEST_F(ApprovalFileTest, ErrorsNameTheFileAndField) {
  const auto missing = (dir_ / "missing.json").string();
  auto result = load_approval(missing);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message.rfind(missing + ": cannot read the approval file", 0), 0u)
      << result.error().message;

  const auto broken = write("broken.json", R"({"kind": "mamori-approval",)");
  result = load_approval(broken);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message.rfind(broken + ": not valid JSON (at byte ", 0), 0u)
      << result.error().message;

  json j = approval_to_json(approved(ff_request()));
  j["request"]["categorys"] = json::array();
  const auto unknown = write("unknown.json", j.dump());
  result = load_approval(unknown);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, unknown + ": request.categorys: unknown field");

  j = approval_to_json(approved(ff_request()));
  j["signature"] = "00";
  const auto short_signature = write("short.json", j.dump());
  result = load_approval(short_signature);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message,
            short_signature + ": signature: must be the 128 hex digits of an Ed25519 signature");

  j = approval_to_json(approved(ff_request()));
  j["kind"] = "mamori-request";
  result = load_approval(write("kind.json", j.dump()));
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("kind: must be \"mamori-approval\""), std::string::npos);

  j = approval_to_json(approved(ff_request()));
  j["comment"] = "hi";
  result = load_approval(write("extra.json", j.dump()));
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("comment: unknown field"), std::string::npos);

  result = load_approval(write("array.json", "[]"));
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("must be a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace mamori::governance
