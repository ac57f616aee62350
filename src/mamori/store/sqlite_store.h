#pragma once
// store/sqlite_store: the embedded SQLite backend of Store (store.h), the default on one
// machine. Schema: sqlite_schema.cc.
//
// URL and options: sqlite_options.h.
//
// Durability, exactly: append() inserts into an open transaction; the transaction commits when
// it holds `batch` records, on flush(), on end_run(), before a query, and on destruction.
// The database runs in WAL mode, so:
//  - process crash (kill -9, abort): every committed batch survives; lost are the records
//    appended since the last commit (fewer than `batch`, and no more than the sieve produced
//    since its last flush()). The file stays consistent (PRAGMA integrity_check).
//  - OS crash or power loss: with sync=normal, commits since the last WAL checkpoint may also
//    be rolled back (the database stays consistent); sync=full fsyncs every commit and keeps
//    them, at the cost of one fsync per batch.
// Retention: every connection sets secure_delete=ON, so deleted records are overwritten with
// zeros in the pages that held them. The zeroed pages go to the WAL first; delete_expired()
// then checkpoints with TRUNCATE (the main file gets the zeroed pages, the WAL drops the old
// page images) and runs incremental_vacuum (freed pages leave the file).

#include <memory>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/store/sqlite_options.h"
#include "mamori/store/store.h"

namespace mamori::store {

// `clock` stamps stored_at and must outlive the store.
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options, const Clock& clock);

}  // namespace mamori::store
