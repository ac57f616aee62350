// The PostgreSQL backend (postgres_store.h) against a real server started for this test
// binary (support/postgres_server.h): the conformance suite, each test on a fresh database,
// plus what only PostgreSQL has (day partitions, the advisory-locked migration).

#include "mamori/store/postgres_store.h"

#include <thread>

#include <gtest/gtest.h>

#include "store_conformance.h"
#include "support/postgres_server.h"
#include "test_records.h"

namespace mamori::store::testing {
namespace {

using test_support::PostgresServer;

PostgresServer& server() { return PostgresServer::shared(); }

class PostgresFactory final : public StoreFactory {
 public:
  PostgresFactory() : database_(server().create_database()) {}
  Result<std::unique_ptr<Store>> open(const Clock& clock) override {
    return open_store("postgres:" + server().conninfo(database_), clock);
  }

 private:
  std::string database_;
};

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance,
                         ::testing::Values(StoreBackend{
                             "postgres", [] { return std::make_unique<PostgresFactory>(); }}),
                         store_backend_name);

RunInfo run_info() {
  return {.sensor = "gw-1",
          .started_at = Timestamp::from_seconds(1795305600),
          .config_hash = "c",
          .ruleset_hash = "r",
          .input = "pcap:x"};
}

std::unique_ptr<Store> open_or_fail(const std::string& database, const Clock& clock) {
  auto opened = open_store("postgres:" + server().conninfo(database), clock);
  if (!opened) {
    ADD_FAILURE() << opened.error().message;
    return nullptr;
  }
  return std::move(*opened);
}

std::string partitions(const std::string& database) {
  return server().psql(
      "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i "
      "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'records'::regclass "
      "AND c.relkind = 'r'",
      database);
}

TEST(PostgresStore, UrlFormsReachTheSameDatabase) {
  const std::string database = server().create_database();
  const SystemClock clock;
  {
    auto store = open_store("postgres:" + server().socket_conninfo(database), clock);
    ASSERT_TRUE(store) << store.error().message;
    auto run = (*store)->begin_run(run_info());
    ASSERT_TRUE(run) << run.error().message;
    ASSERT_TRUE((*store)->append(*run, make_records(0, 3, 1)));
  }
  const std::string uri =
      fmt::format("postgresql://postgres@127.0.0.1:{}/{}", server().port(), database);
  for (const std::string& url : {uri, "postgres:" + uri}) {
    auto store = open_store(url, clock);
    ASSERT_TRUE(store) << url << ": " << store.error().message;
    EXPECT_EQ(*(*store)->count({}), 3u) << url;
  }
}

TEST(PostgresStore, ConnectionErrorsNameTheBackendButNotTheUrl) {
  // Port 1 on loopback: refused at once.
  auto refused = open_store("postgres://user:secret@127.0.0.1:1/mamori");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("PostgreSQL"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(refused.error().message.find("secret"), std::string::npos);
  auto garbage = open_store("postgres:host=127.0.0.1 password secret");
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("conninfo"), std::string::npos) << garbage.error().message;
  EXPECT_EQ(garbage.error().message.find("secret"), std::string::npos);
}

// Concurrent first opens of an empty database: the advisory lock serializes the migration,
// every open succeeds and the schema exists once.
TEST(PostgresStore, ConcurrentFirstOpensMigrateOnce) {
  const std::string database = server().create_database();
  const SystemClock clock;
  constexpr int kOpeners = 6;
  std::vector<std::string> errors(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      auto store = open_store("postgres:" + server().conninfo(database), clock);
      if (!store) errors[static_cast<std::size_t>(i)] = store.error().message;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors) EXPECT_EQ(error, "");
  EXPECT_EQ(server().psql("SELECT count(*), max(version) FROM schema_version", database), "1|3\n");
}

TEST(PostgresStore, Version1StoreGetsItsRecordCountsFromTheRecordsAndBrinIndexes) {
  const SystemClock clock;
  const std::string database = server().create_database();
  auto records = make_records(0, 40, 11);
  {
    auto store = open_or_fail(database, clock);
    ASSERT_NE(store, nullptr);
    auto run = store->begin_run(run_info());
    ASSERT_TRUE(run) << run.error().message;
    ASSERT_TRUE(store->append(*run, records));
    ASSERT_TRUE(store->flush());
  }
  // Back to what version 1 had: no record_counts.
  server().psql("DROP TABLE record_counts; UPDATE schema_version SET version = 1", database);
  auto store = open_or_fail(database, clock);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(server().psql("SELECT max(version) FROM schema_version", database), "3\n");
  // Version 3: expires_at and run_id by BRIN, on the table and on its existing partition.
  EXPECT_EQ(
      server().psql("SELECT string_agg(DISTINCT a.amname, ',') FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                    "JOIN pg_attribute t ON t.attrelid = i.indrelid AND t.attnum = i.indkey[0] "
                    "WHERE t.attname IN ('expires_at', 'run_id') "
                    "AND i.indrelid::regclass::text LIKE 'records%'",
                    database),
      "brin\n");
  auto counts = store->record_counts(0, std::int64_t{1} << 40);
  ASSERT_TRUE(counts) << counts.error().message;
  std::uint64_t total = 0;
  std::uint64_t exploit = 0;
  for (const auto& count : *counts) {
    if (count.rule.empty()) total += count.records;
    if (count.rule == "exploit-bytes") exploit += count.records;
  }
  EXPECT_EQ(total, records.size());
  auto by_rule = store->count({.rule = "exploit-bytes"});
  ASSERT_TRUE(by_rule);
  EXPECT_GT(*by_rule, 0u);
  EXPECT_EQ(exploit, *by_rule);
  auto runs = store->runs();
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].records, records.size());
}

TEST(PostgresStore, RefusesNewerSchemaAndForeignDatabases) {
  const SystemClock clock;
  const std::string newer = server().create_database();
  { ASSERT_NE(open_or_fail(newer, clock), nullptr); }
  server().psql("UPDATE schema_version SET version = 99", newer);
  auto opened = open_store("postgres:" + server().conninfo(newer), clock);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("newer"), std::string::npos) << opened.error().message;

  const std::string foreign = server().create_database();
  server().psql("CREATE TABLE t (x int)", foreign);
  auto not_ours = open_store("postgres:" + server().conninfo(foreign), clock);
  ASSERT_FALSE(not_ours);
  EXPECT_NE(not_ours.error().message.find("not a mamori store"), std::string::npos)
      << not_ours.error().message;
}

// Records go to the partition of their first_seen day, created on demand; retention that
// empties a day drops its partition (its files go), and a later record of that day
// recreates it.
TEST(PostgresStore, DayPartitionsAreCreatedOnDemandAndDroppedWhenEmptied) {
  const std::string database = server().create_database();
  ManualClock clock(kConformanceStart);
  auto store = open_or_fail(database, clock);
  ASSERT_NE(store, nullptr);
  RunInfo short_info = run_info();
  short_info.retention = Duration::seconds(3600);
  const RunId short_run = *store->begin_run(short_info);
  const RunId long_run = *store->begin_run(run_info());
  auto day1 = make_records(0, 5, 3);  // 2026-11-22
  auto day2 = make_records(5, 5, 3);
  for (auto& record : day2) {
    record.first_seen = record.first_seen + Duration::seconds(86400);
    record.last_seen = record.last_seen + Duration::seconds(86400);
  }
  ASSERT_TRUE(store->append(short_run, day1));
  ASSERT_TRUE(store->append(long_run, day2));
  ASSERT_TRUE(store->flush());
  EXPECT_EQ(partitions(database), "records_20261122,records_20261123\n");
  EXPECT_EQ(server().psql("SELECT count(*) FROM records_20261123", database), "5\n");

  auto deleted = store->delete_expired(kConformanceStart + Duration::seconds(3600));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->records_deleted, 5u);
  EXPECT_TRUE(deleted->purged);
  EXPECT_EQ(partitions(database), "records_20261123\n");
  EXPECT_EQ(*store->count({}), 5u);

  // The same connection writes to the dropped day again: the partition comes back.
  const RunId again = *store->begin_run(run_info());
  ASSERT_TRUE(store->append(again, make_records(20, 2, 3)));
  EXPECT_EQ(*store->count({}), 7u);
  EXPECT_EQ(partitions(database), "records_20261122,records_20261123\n");
}

// A partition dropped by another connection's retention after this connection created it:
// the next batch recreates it instead of failing.
TEST(PostgresStore, WriterRecoversWhenAnotherConnectionDropsItsPartition) {
  const std::string database = server().create_database();
  ManualClock clock(kConformanceStart);
  auto writer = open_or_fail(database, clock);
  auto retention = open_or_fail(database, clock);
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(retention, nullptr);
  RunInfo info = run_info();
  info.retention = Duration::seconds(1);
  const RunId run = *writer->begin_run(info);
  ASSERT_TRUE(writer->append(run, make_records(0, 3, 5)));
  ASSERT_TRUE(writer->flush());
  auto deleted = retention->delete_expired(kConformanceStart + Duration::seconds(10));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->records_deleted, 3u);
  EXPECT_EQ(partitions(database), "\n");
  auto appended = writer->append(run, make_records(3, 3, 5));
  ASSERT_TRUE(appended);
  auto flushed = writer->flush();
  ASSERT_TRUE(flushed) << flushed.error().message;
  EXPECT_EQ(*writer->count({}), 3u);
}

}  // namespace
}  // namespace mamori::store::testing
