// The TAXII server's SQLite file: exact date_added ordering, version bookkeeping, duplicates,
// reopening, and status resources.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "mamori/server/taxii_store.h"
#include "taxii_fixture.h"

namespace mamori::server {
namespace {

using namespace testing;

constexpr Timestamp kT0 = Timestamp::from_seconds(1'795'305'600);
constexpr std::string_view kCollection = "22222222-2222-4222-8222-222222222222";

TEST(TaxiiStore, DateAddedIsUniqueAndIncreasingEvenWithAStoppedClock) {
  TempDir dir;
  ManualClock clock(kT0);
  const std::string path = (dir.path() / "taxii.db").string();
  std::vector<NewObject> rows;
  rows.reserve(50);
  for (int i = 0; i < 50; ++i) rows.push_back(stored(make_indicator("192.0.2.1", kT0)));
  {
    auto store = TaxiiStore::open(path, clock);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->add(kCollection, rows, ""));
    ObjectFilter all;
    all.limit = 1000;
    auto page = (*store)->objects(kCollection, all, true);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->objects.size(), 50U);
    for (std::size_t i = 0; i < page->objects.size(); ++i) {
      EXPECT_EQ(page->objects[i].date_added, kT0.micros() + static_cast<std::int64_t>(i));
      EXPECT_EQ(page->objects[i].id, rows[i].id);
      EXPECT_EQ(page->objects[i].json, rows[i].json);
    }
  }
  // Reopened with the clock still behind: new objects still come after the old ones.
  auto store = TaxiiStore::open(path, clock);
  ASSERT_TRUE(store) << store.error().message;
  const NewObject late = stored(make_indicator("192.0.2.2", kT0));
  ASSERT_TRUE((*store)->add(kCollection, std::vector{late}, "provider:x"));
  ObjectFilter filter;
  filter.ids = {late.id};
  auto page = (*store)->objects(kCollection, filter, false);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->objects.size(), 1U);
  EXPECT_EQ(page->objects[0].date_added, kT0.micros() + 50);
  EXPECT_EQ(page->objects[0].provider, "provider:x");
  EXPECT_TRUE(page->objects[0].json.empty());
  EXPECT_EQ((*store)->count(kCollection).value(), 51U);
  EXPECT_EQ((*store)->count("other").value(), 0U);
}

TEST(TaxiiStore, SameVersionIsStoredOnceNewVersionIsAdded) {
  ManualClock clock(kT0);
  auto store = TaxiiStore::open(":memory:", clock);
  ASSERT_TRUE(store) << store.error().message;
  auto indicator = make_indicator("192.0.2.1", kT0);
  const NewObject v1 = stored(indicator);
  indicator.common.modified = kT0 + Duration::seconds(1);
  const NewObject v2 = stored(indicator);
  auto outcomes = (*store)->add(kCollection, std::vector{v1, v1, v2}, "");
  ASSERT_TRUE(outcomes);
  EXPECT_EQ(*outcomes,
            (std::vector{AddOutcome::kAdded, AddOutcome::kAlreadyPresent, AddOutcome::kAdded}));
  ObjectFilter filter;
  filter.version = VersionMatch::kAll;
  auto page = (*store)->objects(kCollection, filter, false);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->objects.size(), 2U);
  EXPECT_EQ(page->objects[0].version_text, "2026-11-22T00:00:00.000Z");
  EXPECT_EQ(page->objects[1].version_text, "2026-11-22T00:00:01.000Z");
  // The same object in another collection is another row.
  ASSERT_TRUE((*store)->add("33333333-3333-4333-8333-333333333333", std::vector{v1}, ""));
}

TEST(TaxiiStore, NewObjectFromJsonReadsTheIndexColumns) {
  const NewObject from_model = stored(make_malware("family", kT0));
  auto parsed = new_object_from_json(from_model.json);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->id, from_model.id);
  EXPECT_EQ(parsed->type, "malware");
  EXPECT_EQ(parsed->spec_version, "2.1");
  EXPECT_EQ(parsed->version, from_model.version);
  EXPECT_EQ(parsed->version_text, from_model.version_text);
  EXPECT_FALSE(new_object_from_json("[1]"));
  EXPECT_FALSE(new_object_from_json(R"({"id":"x--1","type":"x"})"));
  EXPECT_FALSE(new_object_from_json(R"({"id":"x--1","type":"x","modified":"yesterday"})"));
}

TEST(TaxiiStore, StatusResources) {
  ManualClock clock(kT0);
  auto store = TaxiiStore::open(":memory:", clock);
  ASSERT_TRUE(store);
  const StatusRecord record{"3a1f2b3c-0000-4000-8000-00000000abcd", "council",
                            std::string(kCollection), R"({"id":"x"})"};
  ASSERT_TRUE((*store)->put_status(record));
  auto found = (*store)->status(record.id);
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->member, "council");
  EXPECT_EQ((*found)->json, record.json);
  EXPECT_FALSE((*store)->status("3a1f2b3c-0000-4000-8000-000000000000").value().has_value());
  EXPECT_FALSE((*store)->put_status(record));  // ids are unique
}

}  // namespace
}  // namespace mamori::server
