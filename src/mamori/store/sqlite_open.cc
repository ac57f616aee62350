#include "mamori/store/sqlite_open.h"

#include "mamori/store/sqlite_schema.h"

namespace mamori::store::sqlite {
namespace {

Result<void> configure(Database& db, const SqliteOptions& options) {
  if (!options.read_only) {
    // auto_vacuum only takes effect before the first table exists; harmless afterwards.
    if (auto ok = db.exec("PRAGMA auto_vacuum = INCREMENTAL"); !ok) return fail(ok.error());
    auto mode = db.query_text("PRAGMA journal_mode = WAL");
    if (!mode) return fail(mode.error());
    if (*mode != "wal" && options.path != ":memory:") {
      return fail("cannot switch '{}' to WAL mode (journal_mode is {})", options.path, *mode);
    }
  }
  // The page cache holds the hot parts of the address and rule indexes, whose inserts land at
  // random places; with SQLite's 2 MiB default, inserts into a large store become I/O bound.
  // secure_delete zeroes deleted content in place, which retention (I6) relies on.
  const std::string pragmas = fmt::format(
      "PRAGMA synchronous = {}; PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; "
      "PRAGMA cache_size = -{};",
      options.synchronous_full ? "FULL" : "NORMAL", options.cache_mib * 1024);
  return db.exec(pragmas);
}

}  // namespace

Result<Database> open_database(const SqliteOptions& options) {
  auto db = Database::open(options.path, options.read_only, options.busy_timeout_ms);
  if (!db) return fail(db.error());
  // The first statement that reads the file is where a non-database is noticed.
  if (auto ok = configure(*db, options); !ok) {
    return fail("cannot open store '{}': {}", options.path, ok.error().message);
  }
  auto schema = options.read_only ? check_schema(*db) : migrate(*db);
  if (!schema) return fail("cannot open store '{}': {}", options.path, schema.error().message);
  return std::move(*db);
}

}  // namespace mamori::store::sqlite
