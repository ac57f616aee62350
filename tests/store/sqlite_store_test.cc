#include "mamori/store/sqlite_store.h"
#include "mamori/store/sqlite_schema.h"

#include <sqlite3.h>

#include <fstream>

#include <gtest/gtest.h>

#include "raw_sqlite.h"
#include "store_conformance.h"
#include "test_records.h"

namespace mamori::store::testing {
namespace {

// A factory on a fresh database file in its own temporary directory.
class SqliteFileFactory final : public StoreFactory {
 public:
  Result<std::unique_ptr<Store>> open(const Clock& clock) override {
    return open_store("sqlite:" + dir_.file("store.db"), clock);
  }

 private:
  TempDir dir_;
};

// Every open() is a new private in-memory database.
class SqliteMemoryFactory final : public StoreFactory {
 public:
  Result<std::unique_ptr<Store>> open(const Clock& clock) override {
    return open_store("sqlite::memory:", clock);
  }
};

INSTANTIATE_TEST_SUITE_P(
    Sqlite, StoreConformance,
    ::testing::Values(StoreBackend{"sqlite_file",
                                   [] { return std::make_unique<SqliteFileFactory>(); }},
                      StoreBackend{"sqlite_memory",
                                   [] { return std::make_unique<SqliteMemoryFactory>(); }, false}),
    store_backend_name);

RunInfo run_info() {
  return {.sensor = "gw-1",
          .started_at = Timestamp::from_seconds(1795305600),
          .config_hash = "c",
          .ruleset_hash = "r",
          .input = "pcap:x"};
}

TEST(StoreUrl, RejectsUnknownSchemesClearly) {
  auto unknown = open_store("mysql://user:secret@db/mamori");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("'mysql:'"), std::string::npos) << unknown.error().message;
  EXPECT_EQ(unknown.error().message.find("secret"), std::string::npos);

  // postgres: URLs go to the PostgreSQL backend (postgres_store_test.cc); port 1 refuses.
  auto postgres = open_store("postgres://user:secret@127.0.0.1:1/mamori");
  ASSERT_FALSE(postgres);
  EXPECT_NE(postgres.error().message.find("PostgreSQL"), std::string::npos);
  EXPECT_EQ(postgres.error().message.find("secret"), std::string::npos);

  auto bare = open_store("/var/lib/mamori/store.db");
  ASSERT_FALSE(bare);
  EXPECT_NE(bare.error().message.find("sqlite:PATH"), std::string::npos);
}

TEST(StoreUrl, ParsesSqliteOptions) {
  auto options = parse_sqlite_url("/tmp/a.db?mode=ro&sync=full&batch=100&busy_ms=250&cache_mb=8");
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->path, "/tmp/a.db");
  EXPECT_TRUE(options->read_only);
  EXPECT_TRUE(options->synchronous_full);
  EXPECT_EQ(options->batch_size, 100u);
  EXPECT_EQ(options->busy_timeout_ms, 250);
  EXPECT_EQ(options->cache_mib, 8u);

  auto defaults = parse_sqlite_url("store.db");
  ASSERT_TRUE(defaults);
  EXPECT_FALSE(defaults->read_only);
  EXPECT_FALSE(defaults->synchronous_full);
  EXPECT_EQ(defaults->batch_size, kDefaultBatchSize);

  for (const char* bad : {"", "?batch=5", "a.db?batch=0", "a.db?batch=x", "a.db?mode=rx",
                          "a.db?colour=blue", "a.db?batch", "a.db?batch=2000000"}) {
    EXPECT_FALSE(parse_sqlite_url(bad)) << bad;
  }
  auto unknown = parse_sqlite_url("a.db?colour=blue");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("'colour'"), std::string::npos);
}

TEST(SqliteStore, InMemoryStoreWorks) {
  auto store = open_store("sqlite::memory:");
  ASSERT_TRUE(store) << store.error().message;
  const auto records = make_records(0, 20, 4);
  auto run = (*store)->begin_run(run_info());
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE((*store)->append(*run, records));
  auto stored = (*store)->query({.rule = "c2-ip-1", .limit = 0});
  ASSERT_TRUE(stored) << stored.error().message;
  std::size_t expected = 0;
  for (const auto& r : records) {
    expected += std::any_of(r.matches.begin(), r.matches.end(),
                            [](const auto& m) { return m.rule == "c2-ip-1"; });
  }
  EXPECT_EQ(stored->size(), expected);
  EXPECT_GT(expected, 0u);
}

TEST(SqliteStore, FileIsWalWithIncrementalVacuumAndVersionedSchema) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  {
    auto store = open_store("sqlite:" + path);
    ASSERT_TRUE(store) << store.error().message;
    auto run = (*store)->begin_run(run_info());
    ASSERT_TRUE(run);
    ASSERT_TRUE((*store)->append(*run, make_records(0, 10, 1)));
    ASSERT_TRUE((*store)->flush());
    RawDb raw(path);
    EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(raw.text("PRAGMA auto_vacuum"), "2");  // incremental
    EXPECT_EQ(raw.text("PRAGMA user_version"), std::to_string(store::sqlite::kSchemaVersion));
    EXPECT_EQ(raw.text("SELECT count(*) FROM records"), "10");
    EXPECT_EQ(raw.text("SELECT length(src_ip) FROM records LIMIT 1"), "16");
  }
  RawDb raw(path);
  EXPECT_EQ(raw.text("PRAGMA integrity_check"), "ok");
}

TEST(SqliteStore, CommitsFullBatchesOnItsOwn) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  auto store = open_store("sqlite:" + path + "?batch=10");
  ASSERT_TRUE(store) << store.error().message;
  auto run = (*store)->begin_run(run_info());
  ASSERT_TRUE(run);
  ASSERT_TRUE((*store)->append(*run, make_records(0, 25, 2)));
  // Another connection sees the two full batches, not the five records still pending.
  EXPECT_EQ(RawDb(path).text("SELECT count(*) FROM records"), "20");
  ASSERT_TRUE((*store)->flush());
  EXPECT_EQ(RawDb(path).text("SELECT count(*) FROM records"), "25");
}

TEST(SqliteStore, ReadOnlyModeReadsButNeverWrites) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  auto missing = open_store("sqlite:" + path + "?mode=ro");
  ASSERT_FALSE(missing);
  EXPECT_FALSE(std::filesystem::exists(path));
  {
    auto store = open_store("sqlite:" + path);
    ASSERT_TRUE(store);
    auto run = (*store)->begin_run(run_info());
    ASSERT_TRUE(run);
    ASSERT_TRUE((*store)->append(*run, make_records(0, 4, 3)));
  }
  auto reader = open_store("sqlite:" + path + "?mode=ro");
  ASSERT_TRUE(reader) << reader.error().message;
  auto count = (*reader)->count({});
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_EQ(*count, 4u);
  auto begin = (*reader)->begin_run(run_info());
  ASSERT_FALSE(begin);
  EXPECT_NE(begin.error().message.find("read-only"), std::string::npos);
}

TEST(SqliteStore, RefusesNewerSchemaForeignAndCorruptFiles) {
  TempDir dir;
  const std::string newer = dir.file("newer.db");
  { ASSERT_TRUE(open_store("sqlite:" + newer)); }
  RawDb(newer).exec("PRAGMA user_version = 99");
  auto opened = open_store("sqlite:" + newer);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("newer"), std::string::npos) << opened.error().message;

  const std::string foreign = dir.file("foreign.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  auto not_ours = open_store("sqlite:" + foreign);
  ASSERT_FALSE(not_ours);
  EXPECT_NE(not_ours.error().message.find("not a mamori store"), std::string::npos)
      << not_ours.error().message;

  const std::string garbage = dir.file("garbage.db");
  std::ofstream(garbage) << std::string(8192, 'x');
  auto corrupt = open_store("sqlite:" + garbage);
  ASSERT_FALSE(corrupt);
  EXPECT_NE(corrupt.error().message.find(garbage), std::string::npos) << corrupt.error().message;
}

// A stored line that no longer reads (tampering, a bug in an old writer) fails query() and
// scan() alike, naming the record id and the field, never the value.
TEST(SqliteStore, UnreadableStoredRecordIsNamedByIdAndField) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  {
    auto store = open_store("sqlite:" + path);
    ASSERT_TRUE(store) << store.error().message;
    auto run = (*store)->begin_run(run_info());
    ASSERT_TRUE(run);
    ASSERT_TRUE((*store)->append(*run, make_records(0, 5, 1)));
    ASSERT_TRUE((*store)->end_run(*run, nlohmann::json::object(), Timestamp::from_seconds(1)));
  }
  const std::vector<std::pair<std::string, std::string>> tamperings = {
      {R"(replace(record, '"category":"', '"category":"Q'))", "'category'"},
      {R"(replace(record, '"category":', '"category":7,"x":'))", "'x' is not part of"},
      {R"(replace(record, '"sensor":"', '"sensor":"\q'))", "not valid JSON"},
      {R"(replace(record, '"first_seen":"2', '"first_seen":"3'))", "'first_seen'"},
      {R"(replace(record, '"matches":[', '"matches":[{"rule":"CANARY","kind":"regex"},'))",
       "'matches[0].kind'"},
      {R"(substr(record, 1, 40))", "not valid JSON"},
  };
  for (const auto& [expression, field] : tamperings) {
    {
      RawDb raw(path);
      raw.exec(
          "UPDATE records SET record = (SELECT record FROM records WHERE id = 1) WHERE id = 3");
      raw.exec("UPDATE records SET record = " + expression + " WHERE id = 3");
    }
    auto store = open_store("sqlite:" + path);
    ASSERT_TRUE(store) << store.error().message;
    auto queried = (*store)->query({.limit = 0});
    ASSERT_FALSE(queried) << expression;
    EXPECT_NE(queried.error().message.find("stored record 3 is unreadable"), std::string::npos)
        << queried.error().message;
    EXPECT_NE(queried.error().message.find(field), std::string::npos) << queried.error().message;
    EXPECT_EQ(queried.error().message.find("CANARY"), std::string::npos);
    int visits = 0;
    auto scanned = (*store)->scan({.limit = 0}, [&](const StoredRecord&) -> Result<void> {
      ++visits;
      return {};
    });
    ASSERT_FALSE(scanned) << expression;
    EXPECT_EQ(scanned.error().message, queried.error().message);
    EXPECT_EQ(visits, 2);  // records 1 and 2, then the error
  }
}

TEST(SqliteStore, RuleQueriesUseTheMatchesIndex) {
  TempDir dir;
  const std::string path = dir.file("s.db");
  { ASSERT_TRUE(open_store("sqlite:" + path)); }
  // The plan for the store's rule query shape (see build_sql in sqlite_store.cc).
  RawDb raw(path);
  const std::string plan = raw.rows(
      "EXPLAIN QUERY PLAN SELECT r.id, r.run_id, r.record FROM matches m JOIN records r ON "
      "r.id = m.record_id WHERE m.rule = 'x' AND m.record_id > 5 ORDER BY m.record_id LIMIT 10",
      3);
  EXPECT_NE(plan.find("SEARCH m USING PRIMARY KEY (rule=? AND record_id>?)"), std::string::npos)
      << plan;
  EXPECT_EQ(plan.find("SCAN"), std::string::npos) << plan;
}

}  // namespace
}  // namespace mamori::store::testing
