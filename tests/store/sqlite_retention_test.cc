// SQLite-specific parts of issue 3 "oversight": migrating a version-1 store to version 2, and
// retention (I6) removing the deleted records' bytes from the database file and its WAL, not
// only from query results.

#include <algorithm>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "mamori/sieve/record_json.h"
#include "mamori/store/sqlite_schema.h"
#include "mamori/store/store.h"
#include "raw_sqlite.h"
#include "test_records.h"

namespace mamori::store::testing {
namespace {

constexpr Duration kDay = Duration::seconds(86400);
constexpr Timestamp kStart = Timestamp::from_seconds(1795305600);

// The schema of version 1 exactly as the first release created it (sqlite_schema.cc,
// migration 1), so this test keeps checking the upgrade path even after that file grows.
constexpr const char* kVersion1Schema = R"sql(
CREATE TABLE runs (
  id           INTEGER PRIMARY KEY,
  sensor       TEXT    NOT NULL,
  started_at   INTEGER NOT NULL,
  ended_at     INTEGER,
  config_hash  TEXT    NOT NULL,
  ruleset_hash TEXT    NOT NULL,
  input        TEXT    NOT NULL,
  summary      TEXT
);
CREATE TABLE records (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs(id),
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  category   INTEGER NOT NULL CHECK (category BETWEEN 0 AND 3),
  src_ip     BLOB    NOT NULL CHECK (length(src_ip) = 16),
  dst_ip     BLOB    NOT NULL CHECK (length(dst_ip) = 16),
  record     TEXT    NOT NULL
);
CREATE INDEX records_first_seen ON records(first_seen);
CREATE INDEX records_src_ip ON records(src_ip);
CREATE INDEX records_dst_ip ON records(dst_ip);
CREATE INDEX records_category ON records(category);
CREATE INDEX records_run ON records(run_id);
CREATE TABLE matches (
  rule      TEXT    NOT NULL,
  record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
  kind      TEXT    NOT NULL,
  PRIMARY KEY (rule, record_id)
) WITHOUT ROWID;
CREATE INDEX matches_record ON matches(record_id);
)sql";

std::string hex_blob(const IpAddress& ip) {
  std::string out = "x'";
  for (const auto byte : ip.bytes()) out += fmt::format("{:02x}", byte);
  return out + "'";
}

std::string sql_text(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// Writes a version-1 store file with one ended run and `records`, as release 1 would have.
void write_version1_store(const std::string& path, const std::vector<sieve::Record>& records) {
  RawDb raw(path, /*create=*/true);
  raw.exec("PRAGMA auto_vacuum = INCREMENTAL");
  EXPECT_EQ(raw.text("PRAGMA journal_mode = WAL"), "wal");
  raw.exec(kVersion1Schema);
  raw.exec(
      "INSERT INTO runs (id, sensor, started_at, ended_at, config_hash, ruleset_hash, input, "
      "summary) VALUES (1, 'gw-old', 1795305600000000, 1795305700000000, 'c', 'r', "
      "'pcap:old.pcap', '{\"packets\":5}')");
  for (const auto& r : records) {
    raw.exec(fmt::format(
        "INSERT INTO records (run_id, first_seen, last_seen, category, src_ip, dst_ip, record) "
        "VALUES (1, {}, {}, {}, {}, {}, {})",
        r.first_seen.micros(), r.last_seen.micros(), static_cast<int>(r.category),
        hex_blob(r.src.ip), hex_blob(r.dst.ip), sql_text(sieve::record_to_json_line(r))));
    for (const auto& match : r.matches) {
      raw.exec(fmt::format(
          "INSERT INTO matches (rule, record_id, kind) VALUES ({}, last_insert_rowid(), '{}')",
          sql_text(match.rule), sieve::to_string(match.kind)));
    }
  }
  raw.exec("PRAGMA user_version = 1");
}

TEST(SqliteMigration, Version1StoreMigratesToVersion2) {
  TempDir dir;
  const std::string path = dir.file("v1.db");
  const auto records = make_records(0, 12, 5);
  write_version1_store(path, records);
  ASSERT_EQ(RawDb(path).text("PRAGMA user_version"), "1");

  // Read-only opening does not migrate; it says what to do.
  auto read_only = open_store("sqlite:" + path + "?mode=ro");
  ASSERT_FALSE(read_only);
  EXPECT_NE(read_only.error().message.find("needs migration"), std::string::npos)
      << read_only.error().message;

  ManualClock clock(kStart + Duration::seconds(400 * 86400));
  {
    auto store = open_store("sqlite:" + path, clock);
    ASSERT_TRUE(store) << store.error().message;
    auto stored = (*store)->query({.limit = 0});
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_EQ(stored->size(), records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ((*stored)[i].record, records[i]) << i;
      // Documented in sqlite_schema.cc: old records count as stored at first_seen, kept for
      // the default 180 days from then.
      EXPECT_EQ((*stored)[i].stored_at, records[i].first_seen) << i;
      EXPECT_EQ((*stored)[i].expires_at, records[i].first_seen + kDefaultRetention) << i;
    }
    auto runs = (*store)->runs();
    ASSERT_TRUE(runs) << runs.error().message;
    ASSERT_EQ(runs->size(), 1u);
    EXPECT_EQ((*runs)[0].info.sensor, "gw-old");
    EXPECT_EQ((*runs)[0].info.retention, kDefaultRetention);
    EXPECT_EQ((*runs)[0].info.approval_id, "");
    EXPECT_EQ((*runs)[0].summary, nlohmann::json({{"packets", 5}}));
    // The matches survived the migration.
    auto by_rule = (*store)->count({.rule = "c2-ip-1"});
    ASSERT_TRUE(by_rule);
    EXPECT_EQ(*by_rule, static_cast<std::uint64_t>(std::count_if(
                            records.begin(), records.end(), [](const sieve::Record& r) {
                              return std::any_of(r.matches.begin(), r.matches.end(),
                                                 [](const auto& m) { return m.rule == "c2-ip-1"; });
                            })));
    // The record counts (schema version 5) were filled from the migrated records.
    EXPECT_EQ((*runs)[0].records, records.size());
    auto counts = (*store)->record_counts(0, std::int64_t{1} << 40);
    ASSERT_TRUE(counts) << counts.error().message;
    std::uint64_t counted_total = 0;
    std::uint64_t counted_c2 = 0;
    for (const auto& count : *counts) {
      if (count.rule.empty()) counted_total += count.records;
      if (count.rule == "c2-ip-1") counted_c2 += count.records;
    }
    EXPECT_EQ(counted_total, records.size());
    EXPECT_EQ(counted_c2, *by_rule);
    // Retention applies to them like to any other record.
    const Timestamp first_expiry = records[0].first_seen + kDefaultRetention;
    EXPECT_EQ(*(*store)->count_expired(first_expiry - Duration{1}), 0u);
    EXPECT_EQ(*(*store)->count_expired(first_expiry), 1u);
    // New runs and records on the migrated file work as on a new one.
    auto run =
        (*store)->begin_run({.sensor = "gw-new", .started_at = clock.now(), .retention = kDay});
    ASSERT_TRUE(run) << run.error().message;
    ASSERT_TRUE((*store)->append(*run, make_records(100, 2, 5)));
    auto fresh = (*store)->query({.run = *run});
    ASSERT_TRUE(fresh);
    ASSERT_EQ(fresh->size(), 2u);
    EXPECT_EQ((*fresh)[0].stored_at, clock.now());
    EXPECT_EQ((*fresh)[0].expires_at, clock.now() + kDay);
  }
  RawDb raw(path);
  EXPECT_EQ(raw.text("PRAGMA user_version"), std::to_string(store::sqlite::kSchemaVersion));
  EXPECT_EQ(raw.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(raw.rows("PRAGMA foreign_key_check", 0), "");  // no row: no violation
  for (const char* table :
       {"ledger_entries", "ledger_tree_heads", "users", "api_tokens", "consents"}) {
    EXPECT_EQ(raw.text(fmt::format("SELECT count(*) FROM {}", table)), "0") << table;
  }
  const std::string plan =
      raw.rows("EXPLAIN QUERY PLAN SELECT count(*) FROM records WHERE expires_at <= 5", 3);
  EXPECT_NE(plan.find("records_expires_at"), std::string::npos) << plan;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The database file and its WAL and shared-memory files, concatenated (missing ones are empty).
std::string store_bytes(const std::string& path) {
  return file_bytes(path) + file_bytes(path + "-wal") + file_bytes(path + "-shm");
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// Records whose SNI and first rule id carry `canary`, found nowhere else in the store.
std::vector<sieve::Record> canary_records(std::uint64_t first, std::size_t count,
                                          const std::string& canary) {
  auto records = make_records(first, count, 31);
  for (auto& r : records) {
    r.tls = sieve::TlsInfo{canary + ".example", {"h2"}, "1.3", "771,4865,0,29,0", "x", "t13d"};
    r.matches.insert(r.matches.begin(),
                     sieve::Match{"rule-" + canary, sieve::RuleKind::domain, {}});
    if (r.matches.size() > sieve::kMaxMatches) r.matches.resize(sieve::kMaxMatches);
  }
  return records;
}

TEST(SqliteRetention, Invariant_I6_DeletedRecordBytesLeaveTheFileAndTheWal) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  const std::string expired = "expired-canary-q7x";
  const std::string survivor = "survivor-canary-k3z";
  ManualClock clock(kStart);
  auto opened = open_store("sqlite:" + path + "?batch=50", clock);
  ASSERT_TRUE(opened) << opened.error().message;
  Store& store = **opened;
  auto short_run = store.begin_run({.sensor = "gw-1", .started_at = kStart, .retention = kDay});
  auto long_run = store.begin_run(
      {.sensor = "gw-1", .started_at = kStart, .retention = Duration::seconds(2 * 86400)});
  ASSERT_TRUE(short_run && long_run);

  // Expiring records both in the main file (checkpointed) and only in the WAL.
  ASSERT_TRUE(store.append(*short_run, canary_records(0, 300, expired)));
  ASSERT_TRUE(store.append(*long_run, canary_records(300, 100, survivor)));
  ASSERT_TRUE(store.flush());
  RawDb(path).exec("PRAGMA wal_checkpoint(PASSIVE)");
  ASSERT_TRUE(store.append(*short_run, canary_records(400, 200, expired)));
  ASSERT_TRUE(store.flush());
  const std::string before = store_bytes(path);
  const std::size_t main_file_before = file_bytes(path).size();
  ASSERT_TRUE(contains(before, expired)) << "the fixture did not write the canary";
  ASSERT_TRUE(contains(before, "rule-" + expired));

  auto deleted = store.delete_expired(kStart + kDay);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->records_deleted, 500u);
  EXPECT_EQ(deleted->by_run.at(*short_run), 500u);
  EXPECT_FALSE(deleted->by_run.contains(*long_run));
  EXPECT_TRUE(deleted->purged);

  // While the store is still open: gone from the file, the WAL and the shm.
  const std::string after = store_bytes(path);
  EXPECT_FALSE(contains(after, expired)) << "deleted record bytes are still in the files";
  EXPECT_TRUE(contains(after, survivor)) << "a surviving record's bytes disappeared";
  EXPECT_EQ(file_bytes(path + "-wal").size(), 0u);
  EXPECT_LT(file_bytes(path).size(), main_file_before);  // freed pages left the file

  auto left = store.query({.limit = 0});
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 100u);
  EXPECT_EQ(left->front().record.tls->sni, survivor + ".example");

  opened->reset();
  // And after an orderly close (which checkpoints and optimizes again).
  EXPECT_FALSE(contains(store_bytes(path), expired));
  RawDb raw(path);
  EXPECT_EQ(raw.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(raw.text("PRAGMA freelist_count"), "0");
  EXPECT_EQ(raw.text("SELECT count(*) FROM matches WHERE rule = 'rule-" + expired + "'"), "0");
}

// A reader holding an old snapshot keeps the WAL's old page images alive; retention still
// deletes (and reports it), says the purge is pending, and the next run finishes it.
TEST(SqliteRetention, Invariant_I6_PurgeWaitsForAnOpenReaderAndFinishesNextTime) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  const std::string expired = "expired-canary-r2d";
  ManualClock clock(kStart);
  auto opened = open_store("sqlite:" + path + "?busy_ms=50", clock);
  ASSERT_TRUE(opened) << opened.error().message;
  Store& store = **opened;
  auto run = store.begin_run({.sensor = "gw-1", .retention = kDay});
  ASSERT_TRUE(run);
  ASSERT_TRUE(store.append(*run, canary_records(0, 50, expired)));
  ASSERT_TRUE(store.flush());

  RawDb reader(path);
  reader.exec("BEGIN");
  ASSERT_EQ(reader.text("SELECT count(*) FROM records"), "50");  // snapshot taken
  auto deleted = store.delete_expired(kStart + kDay);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->records_deleted, 50u);
  EXPECT_FALSE(deleted->purged);
  EXPECT_EQ(*store.count({}), 0u);
  EXPECT_TRUE(contains(store_bytes(path), expired)) << "the reader's snapshot needs the old pages";
  EXPECT_EQ(reader.text("SELECT count(*) FROM records"), "50");
  reader.exec("COMMIT");

  auto again = store.delete_expired(kStart + kDay);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->records_deleted, 0u);
  EXPECT_TRUE(again->purged);
  EXPECT_FALSE(contains(store_bytes(path), expired));
}

TEST(SqliteRetention, DeleteExpiredNeedsAWritableStore) {
  TempDir dir;
  const std::string path = dir.file("store.db");
  { ASSERT_TRUE(open_store("sqlite:" + path)); }
  auto reader = open_store("sqlite:" + path + "?mode=ro");
  ASSERT_TRUE(reader) << reader.error().message;
  auto deleted = (*reader)->delete_expired(kStart);
  ASSERT_FALSE(deleted);
  EXPECT_NE(deleted.error().message.find("read-only"), std::string::npos);
  auto count = (*reader)->count_expired(kStart);
  ASSERT_TRUE(count) << count.error().message;
  EXPECT_EQ(*count, 0u);
}

}  // namespace
}  // namespace mamori::store::testing
