// Tests for intel/sqlite_intel_storage: products stored as numbered immutable versions, round
// trips, reopening the file, provisions surviving a reopen, refusing non-T1 or invalid products
// and files of another application.

#include "mamori/intel/sqlite_intel_storage.h"

#include <gtest/gtest.h>

#include "intel_fixture.h"
#include "mamori/store/sqlite_db.h"

namespace mamori::intel {
namespace {

TEST(IntelStorage, ProductsAreVersionedAndRoundTrip) {
  testing::TempDir dir;
  auto storage = open_sqlite_intel_storage(dir.file("intel.db"));
  ASSERT_TRUE(storage) << storage.error().message;
  Product product = testing::sample_product();
  auto first = (*storage)->save_product(product);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->version, 1u);
  product.title = "Revised: beaconing to a C2 server";
  product.parts.pop_back();
  auto second = (*storage)->save_product(product);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->version, 2u);

  auto latest = (*storage)->product("apt-sample");
  ASSERT_TRUE(latest);
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->version, 2u);
  EXPECT_EQ(product_to_json(**latest), product_to_json(*second));
  auto v1 = (*storage)->product("apt-sample", 1);
  ASSERT_TRUE(v1 && v1->has_value());
  EXPECT_EQ(product_to_json(**v1), product_to_json(*first));
  auto missing = (*storage)->product("apt-sample", 3);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());

  auto versions = (*storage)->product_versions("apt-sample");
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[1].title, "Revised: beaconing to a C2 server");
}

TEST(IntelStorage, ReopenKeepsProductsAndProvisions) {
  testing::TempDir dir;
  std::string path = dir.file("intel.db");
  {
    auto storage = open_sqlite_intel_storage(path);
    ASSERT_TRUE(storage);
    auto saved = (*storage)->save_product(testing::sample_product());
    ASSERT_TRUE(saved);
    ProvisionRecord record;
    record.ledger_seq = 7;
    record.at = testing::later(10);
    record.recipient_id = "nisc";
    record.recipient_class = RecipientClass::agency;
    record.product_id = "apt-sample";
    record.product_version = 1;
    record.type = ProvisionType::tiered;
    record.tier = Tier::t1;
    record.legal_basis = "basis";
    record.purpose = "attack-analysis";
    record.provided_by = "official-1";
    record.details = {{"k", "v"}};
    record.content = product_to_json(*saved);
    ASSERT_TRUE((*storage)->record_provision(record));
    // The same ledger entry cannot be stored twice.
    EXPECT_FALSE((*storage)->record_provision(record));
  }
  auto reopened = open_sqlite_intel_storage(path);
  ASSERT_TRUE(reopened) << reopened.error().message;
  auto latest = (*reopened)->latest_products();
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].id, "apt-sample");
  EXPECT_EQ((*latest)[0].created_at, testing::kT0);
  auto provisions = (*reopened)->provisions({});
  ASSERT_TRUE(provisions);
  ASSERT_EQ(provisions->size(), 1u);
  const ProvisionRecord& back = (*provisions)[0];
  EXPECT_EQ(back.ledger_seq, 7u);
  EXPECT_EQ(back.at, testing::later(10));
  EXPECT_EQ(back.recipient_class, RecipientClass::agency);
  EXPECT_EQ(back.purpose, "attack-analysis");
  EXPECT_EQ(back.details["k"], "v");
  EXPECT_EQ(back.content["id"], "apt-sample");
}

TEST(IntelStorage, RefusesDerivedAndInvalidProducts) {
  auto storage = open_sqlite_intel_storage(":memory:");
  ASSERT_TRUE(storage);
  Product t2 = testing::sample_product();
  t2.tier = Tier::t2;
  auto refused = (*storage)->save_product(t2);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("only T1 products are stored"), std::string::npos);
  Product invalid = testing::sample_product();
  invalid.parts[0].value = "not-an-address";
  refused = (*storage)->save_product(invalid);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("part 'c2-address'"), std::string::npos);
}

TEST(IntelStorage, StoredVersionsAreImmutable) {
  testing::TempDir dir;
  std::string path = dir.file("intel.db");
  {
    auto storage = open_sqlite_intel_storage(path);
    ASSERT_TRUE(storage);
    ASSERT_TRUE((*storage)->save_product(testing::sample_product()));
  }
  auto db = store::sqlite::Database::open(path, false, 1000);
  ASSERT_TRUE(db);
  auto update = db->exec("UPDATE products SET title = 'x'");
  ASSERT_FALSE(update);
  EXPECT_NE(update.error().message.find("immutable"), std::string::npos);
}

TEST(IntelStorage, RefusesAFileOfAnotherApplication) {
  testing::TempDir dir;
  std::string path = dir.file("other.db");
  {
    auto db = store::sqlite::Database::open(path, false, 1000);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("PRAGMA application_id = 42; CREATE TABLE t (x);"));
  }
  auto storage = open_sqlite_intel_storage(path);
  ASSERT_FALSE(storage);
  EXPECT_NE(storage.error().message.find(path), std::string::npos) << storage.error().message;
}

}  // namespace
}  // namespace mamori::intel
