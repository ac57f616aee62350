#include "mamori/store/sqlite_schema.h"

#include <array>
#include <string_view>

namespace mamori::store::sqlite {
namespace {

// Migration N takes the schema from version N to N+1 (index 0 creates version 1). Never edit
// a released migration; add one.
//
// Layout notes (version 1):
//  - times are integer microseconds since the Unix epoch (UTC);
//  - addresses are 16-byte blobs in network order, IPv4 as ::ffff:a.b.c.d, so that a prefix
//    is a contiguous BETWEEN range and IPv4 and IPv6 never mix;
//  - `record` holds the canonical record line (sieve/record_json.h), the source of truth;
//    the other columns and `matches` are indexes derived from it;
//  - retention will add `expires_at` with its index in a later migration; deletion removes
//    bytes because every connection sets secure_delete and the file uses incremental
//    auto_vacuum (set before the first table is created, see open_sqlite_store).
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
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
)sql",
};

static_assert(kMigrations.size() == kSchemaVersion);

Result<int> read_version(Database& db) {
  auto version = db.query_int("PRAGMA user_version");
  if (!version) return fail(version.error());
  if (*version > kSchemaVersion) {
    return fail(
        "store schema version {} is newer than this build of mamori supports ({}); upgrade mamori",
        *version, kSchemaVersion);
  }
  if (*version < 0) return fail("store schema version {} is invalid", *version);
  if (*version == 0) {
    auto tables = db.query_int("SELECT count(*) FROM sqlite_schema");
    if (!tables) return fail(tables.error());
    if (*tables != 0) return fail("database is not a mamori store (it has tables but no version)");
  }
  return static_cast<int>(*version);
}

}  // namespace

Result<void> migrate(Database& db) {
  auto version = read_version(db);
  if (!version) return fail(version.error());
  if (*version == kSchemaVersion) return {};
  // IMMEDIATE takes the write lock first, so two processes opening a new file at once do not
  // both migrate: the second re-reads the version under the lock.
  if (auto ok = db.exec("BEGIN IMMEDIATE"); !ok) return fail(ok.error());
  auto apply = [&db]() -> Result<void> {
    auto locked = read_version(db);
    if (!locked) return fail(locked.error());
    for (int v = *locked; v < kSchemaVersion; ++v) {
      auto ok = db.exec(std::string(kMigrations[static_cast<std::size_t>(v)]));
      if (!ok) {
        return fail("store migration to schema version {} failed: {}", v + 1, ok.error().message);
      }
    }
    return db.exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion));
  };
  if (auto ok = apply(); !ok) {
    (void)db.exec("ROLLBACK");
    return fail(ok.error());
  }
  return db.exec("COMMIT");
}

Result<void> check_schema(Database& db) {
  auto version = read_version(db);
  if (!version) return fail(version.error());
  if (*version != kSchemaVersion) {
    return fail("store schema version {} needs migration to {}; open it read-write once", *version,
                kSchemaVersion);
  }
  return {};
}

}  // namespace mamori::store::sqlite
