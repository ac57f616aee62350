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
//  - deletion removes bytes because every connection sets secure_delete and the file uses
//    incremental auto_vacuum (set before the first table is created, see sqlite_open.cc).
//
// Layout notes (version 2, issue 3 "oversight"):
//  - runs carry what the sieve ran under: approval_id, legal_basis, agreement_id ('' when
//    none) and retention_seconds (> 0). Runs of version 1 get '' and 180 days.
//  - records carry stored_at (the store's clock at append) and expires_at = stored_at + the
//    run's retention, indexed, so a retention run is one range scan. Records of version 1 get
//    stored_at = first_seen and expires_at = first_seen + 180 days: when they were stored is
//    unknown, first_seen is the latest time that is certainly not after it, so their
//    retention never runs longer than 180 days from when they could have been stored. The
//    column DEFAULTs exist only because ALTER TABLE needs one for NOT NULL; every insert
//    sets both, and a forgotten expires_at of 0 would expire at once, never be kept forever.
//  - ledger_entries / ledger_tree_heads hold the governance ledger (ledger/storage.h): leaves
//    as their canonical text, heads with root (32 bytes) and signature (64 bytes) as blobs,
//    timestamp in µs. Triggers refuse UPDATE and DELETE, so no code path of mamori can
//    rewrite the ledger (tampering with the file itself is what the verifier detects, I9).
//  - users, api_tokens (SHA-256 hex digests only, never tokens) and consents (the JSON of
//    governance::consent_to_json is the source of truth; the other columns index it) hold
//    governance/storage.h.
//
// Layout notes (version 5, issue 8 "console"):
//  - record_counts holds how many records each run keeps per UTC day of first_seen (days since
//    1970-01-01), category and rule ('' = every record; else those with a match of the rule):
//    written in the transactions that insert and delete records (store/record_counts.h), so
//    the console's dashboard reads counts instead of counting millions of rows (by day through
//    the covering index record_counts_day, in the order it groups by). Filled from the records
//    on migration.
constexpr std::array<std::string_view, 5> kMigrations = {
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
    R"sql(
ALTER TABLE runs ADD COLUMN approval_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN legal_basis TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN agreement_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN retention_seconds INTEGER NOT NULL DEFAULT 15552000
  CHECK (retention_seconds > 0);
ALTER TABLE records ADD COLUMN stored_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE records SET stored_at = first_seen, expires_at = first_seen + 15552000000000;
CREATE INDEX records_expires_at ON records(expires_at);
CREATE TABLE ledger_entries (
  seq  INTEGER PRIMARY KEY CHECK (seq >= 0),
  leaf TEXT    NOT NULL
);
CREATE TABLE ledger_tree_heads (
  tree_size INTEGER PRIMARY KEY CHECK (tree_size >= 0),
  root      BLOB    NOT NULL CHECK (length(root) = 32),
  timestamp INTEGER NOT NULL,
  key_id    TEXT    NOT NULL,
  signature BLOB    NOT NULL CHECK (length(signature) = 64)
);
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_tree_heads_no_update BEFORE UPDATE ON ledger_tree_heads
  BEGIN SELECT RAISE(ABORT, 'ledger tree heads are append-only'); END;
CREATE TRIGGER ledger_tree_heads_no_delete BEFORE DELETE ON ledger_tree_heads
  BEGIN SELECT RAISE(ABORT, 'ledger tree heads are append-only'); END;
CREATE TABLE users (
  name          TEXT    PRIMARY KEY,
  role          TEXT    NOT NULL,
  password_hash TEXT    NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);
CREATE TABLE api_tokens (
  digest     TEXT    PRIMARY KEY,
  user       TEXT    NOT NULL REFERENCES users(name),
  created_at INTEGER NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens(user);
CREATE TABLE consents (
  id           TEXT    PRIMARY KEY,
  agreement_id TEXT    NOT NULL,
  user         TEXT    NOT NULL,
  purpose      TEXT    NOT NULL,
  data_since   INTEGER NOT NULL,
  data_until   INTEGER NOT NULL,
  recorded_at  INTEGER NOT NULL,
  json         TEXT    NOT NULL
);
CREATE INDEX consents_agreement ON consents(agreement_id);
CREATE INDEX consents_user ON consents(user);
)sql",
    // 3: pseudonymized endpoints (I5). The address columns then hold the pseudonym, and the
    // epoch column says so: a prefix query names the epoch it means (0 = clear addresses).
    R"sql(
ALTER TABLE records ADD COLUMN src_epoch INTEGER NOT NULL DEFAULT 0 CHECK (src_epoch >= 0);
ALTER TABLE records ADD COLUMN dst_epoch INTEGER NOT NULL DEFAULT 0 CHECK (dst_epoch >= 0);
)sql",
    // 4: central ingest (issue 9). Runs imported from a sensor carry its key for the run
    // (NULL for local runs; NULLs are distinct in a UNIQUE index), and import_batches
    // remembers every imported batch key, so a redelivered batch is applied once.
    R"sql(
ALTER TABLE runs ADD COLUMN run_key TEXT;
CREATE UNIQUE INDEX runs_run_key ON runs(run_key);
CREATE TABLE import_batches (
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  batch_key   TEXT    NOT NULL,
  imported_at INTEGER NOT NULL,
  records     INTEGER NOT NULL,
  PRIMARY KEY (run_id, batch_key)
) WITHOUT ROWID;
)sql",
    R"sql(
CREATE TABLE record_counts (
  run_id   INTEGER NOT NULL,
  day      INTEGER NOT NULL,
  category INTEGER NOT NULL,
  rule     TEXT    NOT NULL,
  records  INTEGER NOT NULL,
  PRIMARY KEY (run_id, day, category, rule)
) WITHOUT ROWID;
CREATE INDEX record_counts_day ON record_counts(day, category, rule, records);
INSERT INTO record_counts (run_id, day, category, rule, records)
  SELECT run_id, first_seen / 86400000000, category, '', count(*) FROM records GROUP BY 1, 2, 3;
INSERT INTO record_counts (run_id, day, category, rule, records)
  SELECT r.run_id, r.first_seen / 86400000000, r.category, m.rule, count(*)
  FROM matches m JOIN records r ON r.id = m.record_id GROUP BY 1, 2, 3, 4;
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
