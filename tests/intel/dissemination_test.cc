// Tests for intel/dissemination and intel/recipient_content: the rule for each recipient class
// (agency, foreign government with its per-provision protection confirmation, council member
// with its confidentiality obligation, designated operator, the public, vendor with embargo,
// measure agency, agreement party with own-prefix filtering, telecom operator via the
// ministry), the I7 checks on every request, and providers' consent scopes.

#include "mamori/intel/dissemination.h"

#include <gtest/gtest.h>

#include "intel_fixture.h"
#include "mamori/intel/recipient_content.h"

namespace mamori::intel {
namespace {

using testing::kCommInfoAddress;
using testing::kEmbargoedCve;
using testing::kSecretIncident;
using testing::kVictimAddress;
using testing::recipient;
using testing::request_for;

const Timestamp kNow = testing::later(3600);

ProvisionDecision decide_for(const ProvisionRequest& request) {
  return decide(testing::stored_sample(), request, kNow);
}

ProvisionContent content_for(const ProvisionRequest& request, const Product& product) {
  ProvisionDecision decision = decide(product, request, kNow);
  EXPECT_TRUE(decision.allowed()) << decision.reason;
  auto content = build_content(product, request, decision);
  EXPECT_TRUE(content) << (content ? "" : content.error().message);
  return content ? *content : ProvisionContent{};
}

ProvisionContent content_for(const ProvisionRequest& request) {
  return content_for(request, testing::stored_sample());
}

void expect_refused(const ProvisionDecision& decision, ProvisionRefusal refusal,
                    std::string_view reason_part) {
  ASSERT_FALSE(decision.allowed());
  EXPECT_EQ(*decision.refusal, refusal) << decision.reason;
  EXPECT_NE(decision.reason.find(reason_part), std::string::npos) << decision.reason;
}

TEST(DisseminationRules, TableHasOneRuleForEveryClass) {
  EXPECT_EQ(dissemination_rules().size(), all_recipient_classes().size());
  for (RecipientClass recipient_class : all_recipient_classes()) {
    EXPECT_EQ(rule_for(recipient_class).recipient_class, recipient_class);
  }
  EXPECT_EQ(rule_for(RecipientClass::agency).highest_tier, Tier::t1);
  EXPECT_EQ(rule_for(RecipientClass::council_member).highest_tier, Tier::t2);
  EXPECT_EQ(rule_for(RecipientClass::public_).highest_tier, Tier::t3);
  EXPECT_EQ(rule_for(RecipientClass::measure_agency).type, ProvisionType::measure_support);
}

TEST(DisseminationRules, AgencyReceivesT1) {
  auto request = request_for(recipient("nisc", RecipientClass::agency));
  ProvisionDecision decision = decide_for(request);
  ASSERT_TRUE(decision.allowed()) << decision.reason;
  EXPECT_EQ(decision.tier, Tier::t1);
  ProvisionContent content = content_for(request);
  EXPECT_EQ(content.product.tier, Tier::t1);
  EXPECT_NE(content.product.find_part("victim-address"), nullptr);
  request.tier = Tier::t3;  // less is always allowed
  EXPECT_TRUE(decide_for(request).allowed());
}

ProtectionConfirmation confirmation_for(const std::string& recipient_id, std::uint32_t version) {
  return {"note-verbale-2026-17", "official-2", testing::later(60),
          recipient_id,           "apt-sample", version};
}

TEST(DisseminationRules, ForeignGovernmentNeedsAConfirmationPerProvision) {
  auto request = request_for(recipient("gov-x", RecipientClass::foreign_government));
  expect_refused(decide_for(request), ProvisionRefusal::no_protection_confirmation,
                 "equivalent protection");

  request.protection_confirmation = confirmation_for("gov-x", 2);  // another version
  expect_refused(decide_for(request), ProvisionRefusal::confirmation_mismatch, "v2");
  request.protection_confirmation = confirmation_for("gov-y", 1);  // another government
  expect_refused(decide_for(request), ProvisionRefusal::confirmation_mismatch, "gov-y");
  request.protection_confirmation = confirmation_for("gov-x", 1);
  request.protection_confirmation->confirmed_by.clear();
  expect_refused(decide_for(request), ProvisionRefusal::no_protection_confirmation,
                 "official who confirmed");
  request.protection_confirmation = confirmation_for("gov-x", 1);
  request.protection_confirmation->confirmed_at = kNow + Duration::seconds(1);
  expect_refused(decide_for(request), ProvisionRefusal::no_protection_confirmation, "dated after");

  request.protection_confirmation = confirmation_for("gov-x", 1);
  ProvisionDecision t1 = decide_for(request);
  ASSERT_TRUE(t1.allowed()) << t1.reason;
  EXPECT_EQ(t1.tier, Tier::t1);
  request.tier = Tier::t2;
  ProvisionContent t2 = content_for(request);
  EXPECT_EQ(t2.product.find_part("victim-address"), nullptr);
}

TEST(DisseminationRules, CouncilMemberReceivesT2WithAConfidentialityObligation) {
  Recipient member = recipient("isac-power", RecipientClass::council_member);
  expect_refused(decide_for(request_for(member)), ProvisionRefusal::no_confidentiality_obligation,
                 "守秘義務");
  member.confidentiality_obligation = "council-rules-2026";
  auto request = request_for(member);
  ProvisionDecision decision = decide_for(request);
  ASSERT_TRUE(decision.allowed()) << decision.reason;
  EXPECT_EQ(decision.tier, Tier::t2);
  request.tier = Tier::t1;
  expect_refused(decide_for(request), ProvisionRefusal::tier_not_allowed, "at most T2");

  request.tier.reset();
  ProvisionContent content = content_for(request);
  std::string serialized = product_to_json(content.product).dump();
  EXPECT_EQ(serialized.find(kVictimAddress), std::string::npos);
  EXPECT_EQ(serialized.find(kCommInfoAddress), std::string::npos);
  EXPECT_NE(content.product.find_part("incident"), nullptr);  // T2 may hold secrets
}

TEST(DisseminationRules, DesignatedOperatorReceivesT3OrT2WhenAlsoCouncilMember) {
  Recipient op = recipient("kanto-power", RecipientClass::designated_operator);
  auto request = request_for(op);
  ProvisionDecision decision = decide_for(request);
  ASSERT_TRUE(decision.allowed());
  EXPECT_EQ(decision.tier, Tier::t3);
  request.tier = Tier::t2;
  expect_refused(decide_for(request), ProvisionRefusal::tier_not_allowed, "council membership");

  op.council_member = true;  // but no obligation recorded yet
  request.recipient = op;
  expect_refused(decide_for(request), ProvisionRefusal::tier_not_allowed, "at most T3");
  op.confidentiality_obligation = "council-rules-2026";
  request.recipient = op;
  decision = decide_for(request);
  ASSERT_TRUE(decision.allowed()) << decision.reason;
  EXPECT_EQ(decision.tier, Tier::t2);
}

TEST(DisseminationRules, PublicReceivesT3Only) {
  auto request = request_for(recipient("public", RecipientClass::public_));
  ProvisionContent content = content_for(request);
  EXPECT_EQ(content.product.tier, Tier::t3);
  std::string serialized = product_to_json(content.product).dump();
  EXPECT_EQ(serialized.find(kSecretIncident), std::string::npos);
  EXPECT_EQ(serialized.find(kEmbargoedCve), std::string::npos);  // pre-disclosure stays secret
  EXPECT_NE(serialized.find("CVE-2024-3400"), std::string::npos);
  request.tier = Tier::t2;
  expect_refused(decide_for(request), ProvisionRefusal::tier_not_allowed, "at most T3");
}

TEST(DisseminationRules, VendorReceivesItsVulnerabilitiesWithTheEmbargo) {
  auto request = request_for(recipient("acme-routers", RecipientClass::vendor));
  ProvisionDecision decision = decide_for(request);
  ASSERT_TRUE(decision.allowed()) << decision.reason;
  EXPECT_EQ(decision.type, ProvisionType::vulnerability_notice);
  ProvisionContent content = content_for(request);
  ASSERT_EQ(content.product.parts.size(), 2u);
  EXPECT_NE(content.product.find_part("cve-embargoed"), nullptr);
  EXPECT_NE(content.product.find_part("cve-public"), nullptr);
  ASSERT_TRUE(content.embargo_until);
  EXPECT_EQ(*content.embargo_until, testing::later(testing::kEmbargoSeconds));
  std::string serialized = product_to_json(content.product).dump();
  EXPECT_EQ(serialized.find(kCommInfoAddress), std::string::npos);
  EXPECT_EQ(serialized.find(kSecretIncident), std::string::npos);

  expect_refused(decide_for(request_for(recipient("other-vendor", RecipientClass::vendor))),
                 ProvisionRefusal::no_vulnerability_for_vendor, "no vulnerability");
}

TEST(DisseminationRules, VendorDoesNotGetASecretVulnerabilityWithoutEmbargo) {
  Product product = testing::stored_sample();
  Part secret = testing::part("cve-secret", PartKind::vulnerability, "CVE-2026-55555", "secret");
  secret.vendor = "acme-routers";
  product.parts.push_back(secret);
  ProvisionContent content =
      content_for(request_for(recipient("acme-routers", RecipientClass::vendor)), product);
  EXPECT_EQ(content.product.find_part("cve-secret"), nullptr);
}

TEST(DisseminationRules, MeasureAgencyReceivesExactlyTheSelectedParts) {
  auto request = request_for(recipient("npa", RecipientClass::measure_agency));
  expect_refused(decide_for(request), ProvisionRefusal::no_measure, "measure id");
  request.measure_id = "measure-2026-003";
  request.selected_parts = {"c2-address", "no-such-part"};
  expect_refused(decide_for(request), ProvisionRefusal::unknown_part, "no part 'no-such-part'");
  request.selected_parts = {"c2-address", "c2-domain"};
  ProvisionDecision decision = decide_for(request);
  ASSERT_TRUE(decision.allowed()) << decision.reason;
  EXPECT_EQ(decision.type, ProvisionType::measure_support);
  ProvisionContent content = content_for(request);
  ASSERT_EQ(content.product.parts.size(), 2u);
  EXPECT_EQ(content.product.find_part("c2-address")->value, kCommInfoAddress);  // as selected
  EXPECT_TRUE(content.product.notes.empty());
  EXPECT_EQ(content.product.tier, Tier::t1);
}

TEST(DisseminationRules, AgreementPartyReceivesItsOwnTrafficOnly) {
  Recipient party = recipient("kanto-univ", RecipientClass::agreement_party);
  expect_refused(decide_for(request_for(party)), ProvisionRefusal::no_own_traffic, "own prefixes");
  party.own_prefixes = {*Prefix::parse("198.51.100.0/24")};
  auto request = request_for(party);
  ProvisionDecision decision = decide_for(request);
  ASSERT_TRUE(decision.allowed()) << decision.reason;
  EXPECT_EQ(decision.type, ProvisionType::individual_analysis);
  ProvisionContent content = content_for(request);
  const Part* own = content.product.find_part("victim-address");
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->value, kVictimAddress);  // its own traffic, as it is
  // Others' comm_info only generalised, secrets not at all.
  EXPECT_EQ(content.product.find_part("c2-address")->value, "203.0.113.0/24");
  EXPECT_EQ(content.product.find_part("finding"), nullptr);
  EXPECT_EQ(content.product.find_part("incident"), nullptr);
  std::string serialized = product_to_json(content.product).dump();
  EXPECT_EQ(serialized.find(kCommInfoAddress), std::string::npos);
  EXPECT_NE(content.product.find_part("technique"), nullptr);  // the related analysis
  EXPECT_FALSE(content.product.notes.empty());                 // and the background
}

TEST(DisseminationRules, OwnPrefixMatchingIsExact) {
  Part address = testing::indicator("a", IndicatorType::ip, "198.51.100.7", "");
  Part inside = testing::indicator("b", IndicatorType::cidr, "198.51.100.0/25", "");
  Part wider = testing::indicator("c", IndicatorType::cidr, "198.51.0.0/16", "");
  Part domain = testing::indicator("d", IndicatorType::domain, "c2.example.net", "");
  std::vector<Prefix> own = {*Prefix::parse("198.51.100.0/24")};
  EXPECT_TRUE(part_within_prefixes(address, own));
  EXPECT_TRUE(part_within_prefixes(inside, own));
  EXPECT_FALSE(part_within_prefixes(wider, own));
  EXPECT_FALSE(part_within_prefixes(domain, own));
  EXPECT_FALSE(part_within_prefixes(address, {}));
}

TEST(DisseminationRules, TelecomOperatorIsServedViaTheMinistry) {
  Recipient carrier = recipient("carrier-a", RecipientClass::telecom_operator);
  carrier.own_prefixes = {*Prefix::parse("203.0.113.0/24")};
  auto request = request_for(carrier);
  expect_refused(decide_for(request), ProvisionRefusal::not_via_ministry, "総務省");
  request.via = "soumu";
  ProvisionDecision decision = decide_for(request);
  ASSERT_TRUE(decision.allowed()) << decision.reason;
  EXPECT_EQ(decision.type, ProvisionType::equipment_notice);
  ProvisionContent content = content_for(request);
  EXPECT_EQ(content.product.find_part("c2-address")->value, kCommInfoAddress);
  EXPECT_EQ(content.product.find_part("victim-address"), nullptr);
}

TEST(DisseminationRules, EveryRequestStatesBasisAndPurposeAndNeverCriminalInvestigation) {
  auto request = request_for(recipient("nisc", RecipientClass::agency));
  request.legal_basis.clear();
  expect_refused(decide_for(request), ProvisionRefusal::incomplete_request, "legal basis");
  request = request_for(recipient("nisc", RecipientClass::agency));
  request.purpose = "犯罪捜査";
  expect_refused(decide_for(request), ProvisionRefusal::criminal_investigation, "犯罪捜査");
  request.purpose = "criminal-investigation";
  expect_refused(decide_for(request), ProvisionRefusal::criminal_investigation, "never");
}

TEST(DisseminationRules, OnlyStoredT1ProductsAreProvided) {
  Product unsaved = testing::sample_product();  // version 0
  auto request = request_for(recipient("nisc", RecipientClass::agency));
  ProvisionDecision decision = decide(unsaved, request, kNow);
  EXPECT_EQ(decision.refusal, ProvisionRefusal::not_a_t1_product);
}

TEST(ConsentScope, ProviderDataGoesOnlyWhereItsConsentAllows) {
  // partner-ioc: provider:jpcert(to=agency|council_member;for=attack-analysis)
  auto agency = request_for(recipient("nisc", RecipientClass::agency));
  EXPECT_NE(content_for(agency).product.find_part("partner-ioc"), nullptr);

  agency.purpose = "research";
  ProvisionContent other_purpose = content_for(agency);
  EXPECT_EQ(other_purpose.product.find_part("partner-ioc"), nullptr);
  bool reported = false;
  for (const DerivationStep& step : other_purpose.report.steps) {
    if (step.item == "part 'partner-ioc'") {
      reported = true;
      EXPECT_NE(step.reason.find("provider:jpcert"), std::string::npos) << step.reason;
      EXPECT_NE(step.reason.find("research"), std::string::npos) << step.reason;
    }
  }
  EXPECT_TRUE(reported);

  Recipient member = recipient("isac-power", RecipientClass::council_member);
  member.confidentiality_obligation = "council-rules-2026";
  EXPECT_NE(content_for(request_for(member)).product.find_part("partner-ioc"), nullptr);
  EXPECT_EQ(content_for(request_for(recipient("public", RecipientClass::public_)))
                .product.find_part("partner-ioc"),
            nullptr);

  // The provider always gets its own data back.
  Recipient jpcert = recipient("jpcert", RecipientClass::designated_operator);
  auto own = request_for(jpcert);
  own.purpose = "research";
  EXPECT_NE(content_for(own).product.find_part("partner-ioc"), nullptr);
}

TEST(ConsentScope, EssentialProviderPartOutsideConsentFailsTheProvision) {
  Product product = testing::stored_sample();
  for (Part& part : product.parts) {
    if (part.id == "partner-ioc") part.essential = true;
  }
  auto request = request_for(recipient("public", RecipientClass::public_));
  ProvisionDecision decision = decide(product, request, kNow);
  ASSERT_TRUE(decision.allowed());
  auto content = build_content(product, request, decision);
  ASSERT_FALSE(content);
  EXPECT_NE(content.error().message.find("essential part 'partner-ioc'"), std::string::npos)
      << content.error().message;
  EXPECT_NE(content.error().message.find("provider:jpcert"), std::string::npos);
}

}  // namespace
}  // namespace mamori::intel
