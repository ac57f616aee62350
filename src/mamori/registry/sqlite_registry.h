#pragma once
// registry/sqlite_registry: RegistryStorage (storage.h) in its own SQLite file, separate from
// the record store: WAL journal, synchronous=FULL (submissions are rare and each is a promise
// to an operator), its own schema version (PRAGMA user_version, migrations in
// sqlite_registry.cc) and application_id, so that a store or other SQLite file is refused
// rather than misread. Every call runs in one transaction.

#include <memory>
#include <string>

#include "mamori/core/error.h"
#include "mamori/registry/storage.h"

namespace mamori::registry {

// The schema version this build creates and reads.
inline constexpr int kRegistrySchemaVersion = 1;

// Opens (creating and migrating when needed) the registry database at `path`. Errors name the
// path and what failed: not an SQLite file, not a registry, a schema newer than this build.
Result<std::unique_ptr<RegistryStorage>> open_sqlite_registry(const std::string& path);

}  // namespace mamori::registry
