#pragma once
// intel/sqlite_intel_storage: IntelStorage (intel_storage.h) in its own SQLite file: WAL,
// synchronous=FULL (each provision is a legal act), its own application_id and schema version
// through the shared migrator (store/sqlite_migrate.h). Products and provisions are
// append-only (triggers refuse UPDATE and DELETE). Every call runs in one transaction.

#include <memory>
#include <string>

#include "mamori/core/error.h"
#include "mamori/intel/intel_storage.h"

namespace mamori::intel {

inline constexpr int kIntelSchemaVersion = 1;

// Opens (creating and migrating when needed) the intel database at `path` (":memory:" for a
// private in-memory one). Errors name the path and what failed.
Result<std::unique_ptr<IntelStorage>> open_sqlite_intel_storage(const std::string& path);

}  // namespace mamori::intel
