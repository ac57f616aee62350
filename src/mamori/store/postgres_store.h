#pragma once
// store/postgres_store: the central PostgreSQL backend of Store (store.h), written by the
// central consumer (issue 9). Passes the same conformance suite as SQLite
// (tests/store/store_conformance.h). libpq stays a private dependency of the store library.
//
// URL: `postgres:CONNINFO`, where CONNINFO is a libpq keyword/value string
// ("host=db1 dbname=mamori user=mamori") or URI, or a libpq URI as the whole URL
// (`postgres://…`, `postgresql://…`). Passwords belong in ~/.pgpass or PGPASSWORD; error
// messages never repeat the URL.
//
// Schema (created and migrated on open inside a transaction holding an advisory lock, so
// concurrent first opens serialize; its version is the table schema_version):
//  - times are bigint microseconds since the Unix epoch, as in SQLite, so every comparison is
//    exact and the same as SQLite's;
//  - addresses are 16-byte bytea (IPv4 as ::ffff:a.b.c.d), compared bytewise like SQLite's
//    blobs, so a prefix is a BETWEEN range; with src_epoch/dst_epoch as in SQLite;
//  - the rule ids of a record's matches are a text[] column with a GIN index (one row per
//    record keeps ingest to one COPY; SQLite uses a separate matches table);
//  - `records` is partitioned by RANGE over first_seen, one partition per UTC day
//    (records_YYYYMMDD), created on demand before a batch that needs it. first_seen is the
//    key because since/until queries prune partitions; retention goes by expires_at (a BRIN
//    index in every partition, as run_id: both grow with the write order), which is not the
//    partition key, so retention DELETEs rows and then
//    drops the partitions it emptied.
//  - record ids come from one sequence; run ids from an identity column. No foreign key from
//    records to runs (a per-row check would halve ingest); the store checks the run instead.
//
// Writing: append() buffers rows in COPY's binary format; a batch (kPostgresBatchSize records,
// or flush()/end_run()/a query) is one transaction: COPY into `records`, COMMIT. With the
// server's default synchronous_commit=on a committed batch survives a crash of either side;
// a crash of the writer loses at most the buffered, uncommitted batch, never part of one.
// Several writers may append at once (central consumers); their batch transactions take turns
// (an advisory lock from before the first record id to the commit), so ids are in commit
// order and a reader paging with `after` meets every record, as with SQLite's single writer.
//
// Retention (delete_expired), honestly: one transaction DELETEs the expired rows (counting
// them by run and category). The deleted tuples then still sit in the heap and index pages
// (readable from the data files, not through SQL) until VACUUM; delete_expired therefore
// runs VACUUM on `records` next, and drops every day partition the delete left empty (its
// files are unlinked). `purged` is true when that VACUUM removed every deleted tuple; it is
// false when an older snapshot of another connection still needed some ("dead but not yet
// removable"): those go at the next VACUUM (autovacuum or the next delete_expired). Even
// after VACUUM, bytes of removed tuples can remain in free space inside pages until
// overwritten, in WAL segments until they are recycled, and in base backups/WAL archives:
// what PostgreSQL offers is that no SQL and no new page image shows them.

#include <memory>
#include <string>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/store/store.h"

namespace mamori::store {

// Records per COPY transaction when append() commits on its own.
inline constexpr std::size_t kPostgresBatchSize = 10'000;

// Opens (creating/migrating the schema if needed) the store in the database `conninfo` names
// (libpq keyword/value string or URI). `clock` stamps stored_at and must outlive the store.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& conninfo, const Clock& clock);

}  // namespace mamori::store
