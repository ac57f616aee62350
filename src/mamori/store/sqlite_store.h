#pragma once
// store/sqlite_store: the embedded SQLite backend of Store (store.h), the default on one
// machine. Schema: sqlite_schema.cc.
//
// URL: `sqlite:PATH[?option=value&...]`, or `sqlite::memory:` for a private in-memory database.
//   mode=rw|ro          rw (default) creates and migrates; ro only reads (e.g. the CLI)
//   sync=normal|full    PRAGMA synchronous (default normal, see below)
//   batch=N             records per automatic commit (default kDefaultBatchSize, 1..1000000)
//   cache_mb=N          page cache per connection in MiB (default 64)
//   busy_ms=N           how long to wait for another connection's lock (default 5000)
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
// Every connection sets secure_delete=ON, so deleted records are overwritten with zeros in
// the file (and in the WAL once it is checkpointed), which retention relies on.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "mamori/core/error.h"
#include "mamori/store/store.h"

namespace mamori::store {

inline constexpr std::size_t kDefaultBatchSize = 4096;

struct SqliteOptions {
  std::string path;  // ":memory:" for a private in-memory database
  bool read_only = false;
  bool synchronous_full = false;
  std::size_t batch_size = kDefaultBatchSize;
  std::size_t cache_mib = 64;
  int busy_timeout_ms = 5000;
};

// Parses what follows "sqlite:" in a store URL.
Result<SqliteOptions> parse_sqlite_url(std::string_view rest);

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options);

}  // namespace mamori::store
