// Tests for intel/sanitizer (invariant I8): T2 holds no comm_info unless also shareable, T3 no
// secret either — in the derived parts and in the serialized output; generalisation to /24 or
// /48 only where the author and the rules allow it; an essential part that cannot be made
// clean fails the derivation loudly, naming the part and the label; the derivation report.

#include "mamori/intel/sanitizer.h"

#include <gtest/gtest.h>

#include "intel_fixture.h"

namespace mamori::intel {
namespace {

using testing::kCommInfoAddress;
using testing::kCommInfoNote;
using testing::kEmbargoedCve;
using testing::kFindingRef;
using testing::kSecretActivity;
using testing::kSecretIncident;
using testing::kVictimAddress;

const DerivationStep* step_for(const DerivationReport& report, std::string_view item) {
  for (const DerivationStep& step : report.steps) {
    if (step.item == item) return &step;
  }
  return nullptr;
}

TEST(Invariant_I8, T2DerivationHoldsNoCommInfoUnlessShareable) {
  auto derived = derive_tier(testing::stored_sample(), Tier::t2);
  ASSERT_TRUE(derived) << derived.error().message;
  const Product& t2 = derived->product;
  EXPECT_EQ(t2.tier, Tier::t2);
  for (const Part& part : t2.parts) {
    EXPECT_FALSE(part.labels.comm_info && !part.labels.shareable) << part.id;
  }
  for (const AudienceNote& note : t2.notes) EXPECT_FALSE(note.labels.comm_info);
  EXPECT_NE(t2.find_part("shared-c2"), nullptr);  // comm_info + shareable stays
  EXPECT_EQ(t2.find_part("victim-address"), nullptr);
  EXPECT_EQ(t2.find_part("finding"), nullptr);
  EXPECT_NE(t2.find_part("incident"), nullptr);  // secrets may be in T2
  EXPECT_TRUE(check_tier(t2, Tier::t2));

  std::string serialized = product_to_json(t2).dump();
  for (const char* forbidden : {kCommInfoAddress, kVictimAddress, kFindingRef, kCommInfoNote}) {
    EXPECT_EQ(serialized.find(forbidden), std::string::npos) << forbidden;
  }
  EXPECT_EQ(
      serialized.find("\"comm_info\":true,\"providers\":[],\"secret\":false,\"shareable\":false"),
      std::string::npos);
}

TEST(Invariant_I8, T3DerivationHoldsNoCommInfoAndNoSecret) {
  auto derived = derive_tier(testing::stored_sample(), Tier::t3);
  ASSERT_TRUE(derived) << derived.error().message;
  const Product& t3 = derived->product;
  for (const Part& part : t3.parts) {
    EXPECT_FALSE(part.labels.secret) << part.id;
    EXPECT_FALSE(part.labels.comm_info && !part.labels.shareable) << part.id;
  }
  std::string serialized = product_to_json(t3).dump();
  for (const char* forbidden : {kCommInfoAddress, kVictimAddress, kFindingRef, kCommInfoNote,
                                kSecretIncident, kSecretActivity, kEmbargoedCve}) {
    EXPECT_EQ(serialized.find(forbidden), std::string::npos) << forbidden;
  }
  EXPECT_EQ(serialized.find("\"secret\":true"), std::string::npos);
  EXPECT_TRUE(check_tier(t3, Tier::t3));
  // A shareable part that is also secret would be dropped at T3; the sample's shareable one is
  // not secret and stays.
  EXPECT_NE(t3.find_part("shared-c2"), nullptr);
}

TEST(Invariant_I8, CommInfoAddressIsGeneralisedOnlyWhereAllowed) {
  Product product = testing::stored_sample();
  Part v6 = testing::indicator("c2-v6", IndicatorType::ip, "2001:db8:abcd:12::1", "comm_info");
  v6.generalisable = true;
  product.parts.push_back(v6);
  auto derived = derive_tier(product, Tier::t2);
  ASSERT_TRUE(derived) << derived.error().message;
  const Part* c2 = derived->product.find_part("c2-address");
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->indicator_type, IndicatorType::cidr);
  EXPECT_EQ(c2->value, "203.0.113.0/24");
  EXPECT_FALSE(c2->labels.comm_info);
  const Part* c2v6 = derived->product.find_part("c2-v6");
  ASSERT_NE(c2v6, nullptr);
  EXPECT_EQ(c2v6->value, "2001:db8:abcd::/48");
  EXPECT_EQ(derived->product.find_part("victim-address"), nullptr);  // author did not allow it
  const DerivationStep* victim = step_for(derived->report, "part 'victim-address'");
  ASSERT_NE(victim, nullptr);
  EXPECT_EQ(victim->action, DerivationAction::dropped);
  EXPECT_NE(victim->reason.find("did not allow generalising"), std::string::npos);

  SanitizerRules no_generalising;
  no_generalising.generalise_addresses = false;
  auto strict = derive_tier(product, Tier::t2, no_generalising);
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->product.find_part("c2-address"), nullptr);
}

TEST(Invariant_I8, SecretAddressIsNeverGeneralisedIntoT3) {
  Product product = testing::stored_sample();
  Part both =
      testing::indicator("secret-c2", IndicatorType::ip, "203.0.113.99", "comm_info,secret");
  both.generalisable = true;
  product.parts.push_back(both);
  auto t3 = derive_tier(product, Tier::t3);
  ASSERT_TRUE(t3);
  EXPECT_EQ(t3->product.find_part("secret-c2"), nullptr);
  auto t2 = derive_tier(product, Tier::t2);
  ASSERT_TRUE(t2);
  ASSERT_NE(t2->product.find_part("secret-c2"), nullptr);
  EXPECT_EQ(t2->product.find_part("secret-c2")->value, "203.0.113.0/24");
}

TEST(Invariant_I8, EssentialCommInfoPartFailsTheDerivationLoudly) {
  Product product = testing::stored_sample();
  for (Part& part : product.parts) {
    if (part.id == "victim-address") part.essential = true;
  }
  auto derived = derive_tier(product, Tier::t2);
  ASSERT_FALSE(derived);
  const std::string& message = derived.error().message;
  EXPECT_NE(message.find("essential part 'victim-address'"), std::string::npos) << message;
  EXPECT_NE(message.find("comm_info"), std::string::npos) << message;
  EXPECT_NE(message.find("T2"), std::string::npos) << message;
  EXPECT_EQ(message.find(kVictimAddress), std::string::npos) << message;
}

TEST(Invariant_I8, EssentialSecretPartFailsT3ButNotT2) {
  Product product = testing::stored_sample();
  for (Part& part : product.parts) {
    if (part.id == "incident") part.essential = true;
  }
  EXPECT_TRUE(derive_tier(product, Tier::t2));
  auto t3 = derive_tier(product, Tier::t3);
  ASSERT_FALSE(t3);
  EXPECT_NE(t3.error().message.find("essential part 'incident'"), std::string::npos);
  EXPECT_NE(t3.error().message.find("labelled secret"), std::string::npos);
  EXPECT_EQ(t3.error().message.find(kSecretIncident), std::string::npos);
}

TEST(Invariant_I8, EssentialGeneralisableAddressSurvivesAsItsPrefix) {
  Product product = testing::stored_sample();
  for (Part& part : product.parts) {
    if (part.id == "c2-address") part.essential = true;
  }
  auto derived = derive_tier(product, Tier::t3);
  ASSERT_TRUE(derived) << derived.error().message;
  EXPECT_EQ(derived->product.find_part("c2-address")->value, "203.0.113.0/24");
}

TEST(Invariant_I8, NothingLeftIsAnError) {
  Product product = testing::stored_sample();
  for (Part& part : product.parts) part.labels.secret = true;
  auto derived = derive_tier(product, Tier::t3);
  ASSERT_FALSE(derived);
  EXPECT_NE(derived.error().message.find("no part may appear"), std::string::npos);
}

TEST(Invariant_I8, CheckTierNamesTheViolation) {
  Product product = testing::stored_sample();
  product.tier = Tier::t2;
  auto ok = check_tier(product, Tier::t2);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("part 'c2-address' (indicator) is labelled comm_info"),
            std::string::npos)
      << ok.error().message;
}

TEST(Invariant_I8, OnlyTheT1ProductIsDerived) {
  auto t2 = derive_tier(testing::stored_sample(), Tier::t2);
  ASSERT_TRUE(t2);
  auto again = derive_tier(t2->product, Tier::t3);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("derived from the T1 product"), std::string::npos);
}

TEST(Sanitizer, ReportRecordsEveryPartAndNoteWithoutValues) {
  Product product = testing::stored_sample();
  auto derived = derive_tier(product, Tier::t3);
  ASSERT_TRUE(derived);
  const DerivationReport& report = derived->report;
  EXPECT_EQ(report.steps.size(), product.parts.size() + product.notes.size());
  EXPECT_EQ(report.count(DerivationAction::generalised), 1u);
  const DerivationStep* incident = step_for(report, "part 'incident'");
  ASSERT_NE(incident, nullptr);
  EXPECT_EQ(incident->action, DerivationAction::dropped);
  EXPECT_NE(incident->reason.find("secret"), std::string::npos);
  const DerivationStep* comm_note = step_for(report, "note technical/en");
  ASSERT_NE(comm_note, nullptr);
  std::string json = report.to_json().dump();
  EXPECT_EQ(json.find(kCommInfoAddress), std::string::npos);
  EXPECT_EQ(json.find(kSecretIncident), std::string::npos);
  EXPECT_EQ(report.to_json()["target"], "T3");
}

TEST(Sanitizer, T1DerivationIsACopy) {
  Product product = testing::stored_sample();
  auto derived = derive_tier(product, Tier::t1);
  ASSERT_TRUE(derived);
  EXPECT_EQ(product_to_json(derived->product), product_to_json(product));
  EXPECT_EQ(derived->report.count(DerivationAction::dropped), 0u);
}

}  // namespace
}  // namespace mamori::intel
