#pragma once
// store/sqlite_options: the SQLite store URL and its options, shared by every interface the
// store module opens on one database (Store, ledger::LedgerStorage,
// governance::GovernanceStorage), so that all of them accept the same URLs.
//
// URL: `sqlite:PATH[?option=value&...]`, or `sqlite::memory:` for a private in-memory database.
//   mode=rw|ro          rw (default) creates and migrates; ro only reads (e.g. the CLI)
//   sync=normal|full    PRAGMA synchronous (default normal; the ledger and governance
//                       connections always use full, see ledger_storage.h)
//   batch=N             records per automatic commit (default kDefaultBatchSize, 1..1000000)
//   cache_mb=N          page cache per connection in MiB (default 64)
//   busy_ms=N           how long to wait for another connection's lock (default 5000)

#include <cstddef>
#include <string>
#include <string_view>

#include "mamori/core/error.h"

namespace mamori::store {

inline constexpr std::size_t kDefaultBatchSize = 4096;
inline constexpr std::size_t kMaxBatchSize = 1'000'000;

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

// Parses a whole store URL. Other schemes are errors that never echo the rest of the URL (a
// PostgreSQL URL may carry a password); `postgres:` is reserved for the central backend.
Result<SqliteOptions> parse_store_url(std::string_view url);

}  // namespace mamori::store
