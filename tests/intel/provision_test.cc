// Tests for intel/provision: an allowed provision is a provision.made ledger entry with who,
// what product/version, tier, legal basis, purpose and time, then a stored, queryable record;
// a refusal (by the rules, or a derivation that cannot be made clean) is a provision.refused
// entry and an error, and nothing is stored.

#include "mamori/intel/provision.h"

#include <gtest/gtest.h>

#include "intel_fixture.h"
#include "mamori/intel/events.h"
#include "mamori/intel/sqlite_intel_storage.h"

namespace mamori::intel {
namespace {

using testing::recipient;
using testing::request_for;

class ProvisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_sqlite_intel_storage(":memory:");
    ASSERT_TRUE(opened) << opened.error().message;
    storage_ = std::move(*opened);
    auto saved = storage_->save_product(testing::sample_product());
    ASSERT_TRUE(saved) << saved.error().message;
    product_ = *saved;
  }

  ProvisionServices services() { return {ledger_.ledger(), *storage_, clock_, {}}; }

  testing::TestLedger ledger_;
  std::unique_ptr<IntelStorage> storage_;
  ManualClock clock_{testing::later(7200)};
  Product product_;
};

TEST_F(ProvisionTest, ProvisionIsRecordedOnTheLedgerWithItsFields) {
  Recipient member = recipient("isac-power", RecipientClass::council_member);
  member.name = "Power ISAC";
  member.confidentiality_obligation = "council-rules-2026";
  auto svc = services();
  auto provision = provide(product_, request_for(member), svc);
  ASSERT_TRUE(provision) << provision.error().message;

  auto entries = ledger_.entries();
  ASSERT_EQ(entries.size(), 1u);
  const ledger::LedgerEntry& entry = entries[0];
  EXPECT_EQ(entry.type, events::kProvisionMade);
  EXPECT_EQ(entry.at, clock_.now());
  const nlohmann::json& body = entry.body;
  EXPECT_EQ(body["recipient"]["id"], "isac-power");
  EXPECT_EQ(body["recipient"]["class"], "council_member");
  EXPECT_EQ(body["product"]["id"], "apt-sample");
  EXPECT_EQ(body["product"]["version"], 1);
  EXPECT_EQ(body["type"], "tiered");
  EXPECT_EQ(body["tier"], "T2");
  EXPECT_EQ(body["legal_basis"], request_for(member).legal_basis);
  EXPECT_EQ(body["purpose"], "attack-analysis");
  EXPECT_EQ(body["by"], "official-1");
  EXPECT_EQ(body["confidentiality_obligation"], "council-rules-2026");
  EXPECT_TRUE(body["protection_confirmation"].is_null());
  EXPECT_EQ(body["derivation"]["target"], "T2");
  EXPECT_GT(body["derivation"]["dropped"].get<int>(), 0);
  // The ledger is exported to verifiers: no part values in it.
  std::string leaf = ledger::canonical_leaf(entry);
  EXPECT_EQ(leaf.find(testing::kCommInfoAddress), std::string::npos);
  EXPECT_EQ(leaf.find(testing::kVictimAddress), std::string::npos);
  EXPECT_EQ(leaf.find(testing::kSecretIncident), std::string::npos);

  EXPECT_EQ(provision->record.ledger_seq, entry.seq);
  auto stored = storage_->provisions({});
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].ledger_seq, entry.seq);
  EXPECT_EQ((*stored)[0].tier, Tier::t2);
  EXPECT_EQ((*stored)[0].details, body);
  EXPECT_EQ((*stored)[0].content["tier"], "T2");
  EXPECT_EQ((*stored)[0].content.dump().find(testing::kVictimAddress), std::string::npos);
}

TEST_F(ProvisionTest, ForeignGovernmentConfirmationIsRecordedWithTheProvision) {
  auto request = request_for(recipient("gov-x", RecipientClass::foreign_government));
  request.tier = Tier::t2;
  request.protection_confirmation = ProtectionConfirmation{
      "note-verbale-17", "official-2", testing::later(60), "gov-x", "apt-sample", 1};
  auto svc = services();
  auto provision = provide(product_, request, svc);
  ASSERT_TRUE(provision) << provision.error().message;
  const nlohmann::json body = ledger_.entries().at(0).body;
  EXPECT_EQ(body["protection_confirmation"]["id"], "note-verbale-17");
  EXPECT_EQ(body["protection_confirmation"]["product_version"], 1);
  EXPECT_EQ(body["tier"], "T2");
}

TEST_F(ProvisionTest, VendorNoticeRecordsTheEmbargo) {
  auto svc = services();
  auto provision =
      provide(product_, request_for(recipient("acme-routers", RecipientClass::vendor)), svc);
  ASSERT_TRUE(provision) << provision.error().message;
  const nlohmann::json body = ledger_.entries().at(0).body;
  EXPECT_EQ(body["type"], "vulnerability_notice");
  EXPECT_EQ(body["embargo_until"], format_rfc3339_micros(testing::later(testing::kEmbargoSeconds)));
}

TEST_F(ProvisionTest, MeasureSupportRecordsTheMeasureAndSelectedParts) {
  auto request = request_for(recipient("sdf", RecipientClass::measure_agency));
  request.measure_id = "measure-2026-003";
  request.selected_parts = {"c2-address"};
  auto svc = services();
  auto provision = provide(product_, request, svc);
  ASSERT_TRUE(provision) << provision.error().message;
  const nlohmann::json body = ledger_.entries().at(0).body;
  EXPECT_EQ(body["type"], "measure_support");
  EXPECT_EQ(body["measure_id"], "measure-2026-003");
  EXPECT_EQ(body["selected_parts"], nlohmann::json::array({"c2-address"}));
  EXPECT_EQ(body["content_tier"], "T1");
}

TEST_F(ProvisionTest, RefusalIsRecordedAndNothingIsStored) {
  auto svc = services();
  auto provision =
      provide(product_, request_for(recipient("isac-power", RecipientClass::council_member)), svc);
  ASSERT_FALSE(provision);
  EXPECT_NE(provision.error().message.find(
                "provision of product 'apt-sample' v1 to council_member 'isac-power' refused "
                "(no_confidentiality_obligation)"),
            std::string::npos)
      << provision.error().message;
  auto entries = ledger_.entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].type, events::kProvisionRefused);
  EXPECT_EQ(entries[0].body["refusal"], "no_confidentiality_obligation");
  EXPECT_EQ(entries[0].body["recipient"]["id"], "isac-power");
  auto stored = storage_->provisions({});
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->empty());
}

TEST_F(ProvisionTest, Invariant_I8_UncleanDerivationIsRefusedLoudlyAndRecorded) {
  Product product = testing::sample_product();
  for (Part& part : product.parts) {
    if (part.id == "incident") part.essential = true;
  }
  auto saved = storage_->save_product(product);
  ASSERT_TRUE(saved);
  auto svc = services();
  auto provision = provide(*saved, request_for(recipient("public", RecipientClass::public_)), svc);
  ASSERT_FALSE(provision);
  EXPECT_NE(provision.error().message.find("(derivation_failed)"), std::string::npos)
      << provision.error().message;
  EXPECT_NE(provision.error().message.find("essential part 'incident'"), std::string::npos);
  EXPECT_NE(provision.error().message.find("secret"), std::string::npos);
  auto entries = ledger_.entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].type, events::kProvisionRefused);
  EXPECT_EQ(entries[0].body["refusal"], "derivation_failed");
  EXPECT_EQ(entries[0].body["product"]["version"], 2);
  EXPECT_EQ(ledger::canonical_leaf(entries[0]).find(testing::kSecretIncident), std::string::npos);
}

TEST_F(ProvisionTest, ProvisionsAreQueryableByRecipientProductAndTime) {
  auto svc = services();
  Recipient member = recipient("isac-power", RecipientClass::council_member);
  member.confidentiality_obligation = "council-rules-2026";
  ASSERT_TRUE(provide(product_, request_for(member), svc));
  clock_.advance(Duration::seconds(60));
  ASSERT_TRUE(provide(product_, request_for(recipient("public", RecipientClass::public_)), svc));
  clock_.advance(Duration::seconds(60));
  ASSERT_TRUE(provide(product_, request_for(recipient("nisc", RecipientClass::agency)), svc));

  auto all = storage_->provisions({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].recipient_id, "isac-power");
  EXPECT_EQ((*all)[2].tier, Tier::t1);

  auto to_public = storage_->provisions({.recipient_id = "public"});
  ASSERT_TRUE(to_public);
  ASSERT_EQ(to_public->size(), 1u);
  EXPECT_EQ((*to_public)[0].tier, Tier::t3);
  EXPECT_EQ((*to_public)[0].recipient_class, RecipientClass::public_);

  auto window = storage_->provisions(
      {.since = testing::later(7200 + 30), .until = testing::later(7200 + 90)});
  ASSERT_TRUE(window);
  ASSERT_EQ(window->size(), 1u);
  EXPECT_EQ((*window)[0].recipient_id, "public");

  auto other_product = storage_->provisions({.product_id = "other"});
  ASSERT_TRUE(other_product);
  EXPECT_TRUE(other_product->empty());
}

}  // namespace
}  // namespace mamori::intel
