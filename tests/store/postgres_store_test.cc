// The PostgreSQL backend (postgres_store.h) against a real server started for this test
// binary (support/postgres_server.h): the conformance suite, each test on a fresh database,
// plus what only PostgreSQL has (day partitions, the advisory-locked migration).

#include "mamori/store/postgres_store.h"

#include <algorithm>
#include <map>
#include <set>
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
  threads.reserve(kOpeners);
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

// Records whose values a wrong COPY encoding would change or reject: rule ids holding what an
// array literal or COPY's text format quotes or escapes, and non-ASCII text; a rule twice in
// one record (stored once), a record without rules, one with more rules than the line keeps
// (kMaxMatches); JSON strings with tabs, newlines, backslashes and quotes; IPv4 and IPv6
// addresses in clear and as pseudonyms, one of an epoch beyond the int32 range.
std::vector<sieve::Record> awkward_records() {
  using sieve::Match;
  using sieve::RuleKind;
  std::vector<sieve::Record> records = make_records(0, 5, 17);
  sieve::Record& quoting = records[0];
  quoting.src = {*IpAddress::parse("198.51.100.7"), 40000, scope::CountryCode::from("US")};
  quoting.dst = {*IpAddress::parse("2001:db8::1:0:0:9"), 443, scope::kJapan, 4'000'000'000};
  quoting.category = scope::Category::FD;
  quoting.tls = sieve::TlsInfo{"例え.テスト", {"h2"}, "1.3", "771,4865,0,29,0", "x", "t13d"};
  quoting.http = {{"GET", "tab\there.example", "line\nbreak \\ back\\slash \"quoted\"\r\n{a,b}"}};
  quoting.matches = {Match{.rule = "with \"quotes\"", .kind = RuleKind::ip},
                     Match{.rule = "back\\slash", .kind = RuleKind::domain},
                     Match{.rule = "a,b", .kind = RuleKind::port},
                     Match{.rule = "{braces}", .kind = RuleKind::ja3},
                     Match{.rule = "spaced rule id", .kind = RuleKind::ja4},
                     Match{.rule = "日本語のルール", .kind = RuleKind::ip},
                     Match{.rule = "with \"quotes\"", .kind = RuleKind::domain}};
  sieve::Record& no_rules = records[1];
  no_rules.src = {*IpAddress::parse("2001:db8:ffff:1::7"), 51234, scope::CountryCode::from("DE")};
  no_rules.dst = {*IpAddress::parse("203.0.113.9"), 53, scope::kJapan, 1};
  no_rules.category = scope::Category::DF;
  no_rules.http = {{"POST", "x.example", "tab\tand backslash-n \\n, not a newline"}};
  no_rules.matches.clear();
  sieve::Record& over_the_cap = records[2];
  over_the_cap.category = scope::Category::FF;
  over_the_cap.matches.clear();
  for (std::size_t i = 0; i < sieve::kMaxMatches + 2; ++i) {
    over_the_cap.matches.push_back(Match{.rule = fmt::format("cap-{}", i), .kind = RuleKind::ip});
  }
  sieve::Record& sharing = records[3];
  sharing.src.ip = *IpAddress::parse("198.51.100.7");
  sharing.src.pseudonym_epoch = 2;
  sharing.matches = {Match{.rule = "a,b", .kind = RuleKind::port},
                     Match{.rule = "日本語のルール", .kind = RuleKind::ip}};
  return records;
}

// What the store gives back for `records`: their JSON lines keep kMaxMatches matches.
std::vector<sieve::Record> as_stored(std::vector<sieve::Record> records) {
  for (auto& record : records) {
    if (record.matches.size() > sieve::kMaxMatches) record.matches.resize(sieve::kMaxMatches);
  }
  return records;
}

// Sequences (test_records.h) of the records `query` returns; fails the test on an error.
std::multiset<std::uint64_t> sequences(Store& store, RecordQuery query) {
  query.limit = 0;
  auto found = store.query(query);
  if (!found) {
    ADD_FAILURE() << found.error().message;
    return {};
  }
  std::multiset<std::uint64_t> out;
  for (const auto& stored : *found) out.insert(sequence_of(stored.record));
  return out;
}

template <class Accepts>
std::multiset<std::uint64_t> sequences_where(const std::vector<sieve::Record>& records,
                                             Accepts accepts) {
  std::multiset<std::uint64_t> out;
  for (const auto& record : records) {
    if (accepts(record)) out.insert(sequence_of(record));
  }
  return out;
}

bool has_rule(const sieve::Record& record, std::string_view rule) {
  return std::any_of(record.matches.begin(), record.matches.end(),
                     [&](const sieve::Match& match) { return match.rule == rule; });
}

// Reads `written` back through every Store path that decodes a records column: the record
// line; queries by rule (rules), by address (src_ip, dst_ip and their epochs), by category
// and first_seen; the run, stored_at and expires_at of each row; the record counts, and
// retention's (rules, through unnest).
void expect_read_back_exactly(Store& store, RunId run, Duration retention,
                              const std::vector<sieve::Record>& written,
                              const std::vector<sieve::Record>& probed) {
  const std::vector<sieve::Record> expected = as_stored(written);
  RecordQuery everything;
  everything.limit = 0;
  auto stored = store.query(everything);
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_EQ(stored->size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*stored)[i].record, expected[i]) << "record " << i;
    EXPECT_EQ((*stored)[i].run, run);
    EXPECT_EQ((*stored)[i].stored_at, kConformanceStart);
    EXPECT_EQ((*stored)[i].expires_at, kConformanceStart + retention);
  }

  std::set<std::string> rules = {"cap-8", "cap-9", "not a rule", ""};
  for (const auto& record : probed) {
    for (const auto& match : record.matches) rules.insert(match.rule);
  }
  for (const auto& rule : rules) {
    EXPECT_EQ(sequences(store, {.rule = rule}),
              sequences_where(expected, [&](const auto& r) { return has_rule(r, rule); }))
        << "rule '" << rule << "'";
  }

  for (const auto& record : probed) {
    for (const sieve::Endpoint& endpoint : {record.src, record.dst}) {
      const Prefix address(endpoint.ip, endpoint.ip.is_v4() ? 32 : 128);
      auto at_address = [&](const sieve::Record& r) {
        return (r.src.ip == endpoint.ip && r.src.pseudonym_epoch == endpoint.pseudonym_epoch) ||
               (r.dst.ip == endpoint.ip && r.dst.pseudonym_epoch == endpoint.pseudonym_epoch);
      };
      EXPECT_EQ(sequences(store, {.address = address, .address_epoch = endpoint.pseudonym_epoch}),
                sequences_where(expected, at_address))
          << "p" << endpoint.pseudonym_epoch << ":" << endpoint.ip.to_string();
    }
    const auto first_seen = record.first_seen;
    EXPECT_EQ(sequences(store, {.since = first_seen, .until = first_seen + Duration{1'000}}),
              sequences_where(expected, [&](const auto& r) { return r.first_seen == first_seen; }))
        << "first_seen of record " << sequence_of(record);
  }
  for (const auto category :
       {scope::Category::FF, scope::Category::FD, scope::Category::DF, scope::Category::DD}) {
    EXPECT_EQ(sequences(store, {.category = category}),
              sequences_where(expected, [&](const auto& r) { return r.category == category; }))
        << scope::to_string(category);
  }

  auto counts = store.record_counts(0, std::int64_t{1} << 40);
  ASSERT_TRUE(counts) << counts.error().message;
  std::map<std::string, std::uint64_t> by_rule;
  for (const auto& count : *counts) by_rule[count.rule] += count.records;
  std::map<std::string, std::uint64_t> expected_by_rule{{"", expected.size()}};
  for (const auto& record : expected) {
    std::set<std::string_view> once;
    for (const auto& match : record.matches) {
      if (once.insert(match.rule).second) ++expected_by_rule[match.rule];
    }
  }
  EXPECT_EQ(by_rule, expected_by_rule);

  // Retention takes the counts back through the stored rules: each rule once per record.
  auto deleted = store.delete_expired(kConformanceStart + retention);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->records_deleted, expected.size());
  auto left = store.record_counts(0, std::int64_t{1} << 40);
  ASSERT_TRUE(left) << left.error().message;
  EXPECT_TRUE(left->empty());
}

// The rules column as SQL sees it: each rule once per record, none beyond kMaxMatches, and
// the records without matches as an empty array.
void expect_rules_column_holds_each_rule_once(const std::string& database,
                                              const std::vector<sieve::Record>& written) {
  EXPECT_EQ(server().psql("SELECT count(*) FROM records WHERE cardinality(rules) <> "
                          "(SELECT count(DISTINCT rule) FROM unnest(rules) AS rule) "
                          "OR cardinality(rules) > " +
                              std::to_string(sieve::kMaxMatches),
                          database),
            "0\n");
  const auto without_matches = std::count_if(written.begin(), written.end(),
                                             [](const auto& r) { return r.matches.empty(); });
  EXPECT_EQ(server().psql("SELECT count(*) FROM records WHERE rules = '{}'", database),
            fmt::format("{}\n", without_matches));
}

// The awkward records between two thousand ordinary ones: the COPY data spans several of
// its 64 KiB pieces, and the awkward rows are not at its start.
std::vector<sieve::Record> batch_around(const std::vector<sieve::Record>& awkward) {
  std::vector<sieve::Record> batch = make_records(100, 1000, 3);
  batch.insert(batch.end(), awkward.begin(), awkward.end());
  const auto after = make_records(1100, 1000, 3);
  batch.insert(batch.end(), after.begin(), after.end());
  return batch;
}

TEST(PostgresStore, AppendedRecordsReadBackExactlyWhateverTheirRuleIdsAndStringsHold) {
  const std::string database = server().create_database();
  ManualClock clock(kConformanceStart);
  auto store = open_or_fail(database, clock);
  ASSERT_NE(store, nullptr);
  const RunInfo info = run_info();
  auto run = store->begin_run(info);
  ASSERT_TRUE(run) << run.error().message;
  const auto awkward = awkward_records();
  const auto batch = batch_around(awkward);
  ASSERT_TRUE(store->append(*run, batch));
  auto flushed = store->flush();
  ASSERT_TRUE(flushed) << flushed.error().message;
  expect_rules_column_holds_each_rule_once(database, batch);
  expect_read_back_exactly(*store, *run, info.retention, batch, awkward);
}

TEST(PostgresStore, ImportedRecordsReadBackExactlyWhateverTheirRuleIdsAndStringsHold) {
  const std::string database = server().create_database();
  ManualClock clock(kConformanceStart);
  auto store = open_or_fail(database, clock);
  ASSERT_NE(store, nullptr);
  const RunInfo info = run_info();
  auto run = store->import_run("sensor-run-1", info);
  ASSERT_TRUE(run) << run.error().message;
  const auto awkward = awkward_records();
  const auto batch = batch_around(awkward);
  auto imported = store->import_batch(*run, "batch-1", batch);
  ASSERT_TRUE(imported) << imported.error().message;
  EXPECT_TRUE(*imported);
  expect_rules_column_holds_each_rule_once(database, batch);
  expect_read_back_exactly(*store, *run, info.retention, batch, awkward);
}

}  // namespace
}  // namespace mamori::store::testing
