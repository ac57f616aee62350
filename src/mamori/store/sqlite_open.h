#pragma once
// store/sqlite_open: opens one connection to an SQLite store database with the pragmas every
// connection needs (WAL, secure_delete, foreign keys, incremental auto_vacuum on creation) and
// brings the schema to the current version (or, read-only, checks it). Shared by the Store,
// the ledger storage and the governance storage, which each hold their own connection to the
// same file. Internal to the SQLite backend.

#include "mamori/core/error.h"
#include "mamori/store/sqlite_db.h"
#include "mamori/store/sqlite_options.h"

namespace mamori::store::sqlite {

// Errors name the path and what failed, e.g. "cannot open store 'x.db': …".
Result<Database> open_database(const SqliteOptions& options);

}  // namespace mamori::store::sqlite
