#pragma once
// store/sqlite_schema: the SQLite store's tables and their migrations. The schema version is
// `PRAGMA user_version`; each migration moves it up by one inside one transaction, so a crash
// mid-migration leaves the previous version intact. Internal to the SQLite backend.

#include "mamori/core/error.h"
#include "mamori/store/sqlite_db.h"

namespace mamori::store::sqlite {

// The version this build creates and reads.
inline constexpr int kSchemaVersion = 5;

// Brings a read-write connection's database to kSchemaVersion (creating it when empty).
// Refuses databases that are not mamori stores or are newer than this build.
Result<void> migrate(Database& db);

// For read-only connections: checks the version without changing anything.
Result<void> check_schema(Database& db);

}  // namespace mamori::store::sqlite
