#pragma once
// analysis/sqlite_findings: FindingStore (finding_store.h) in its own SQLite file, apart from
// the record store: WAL journal, synchronous=FULL, secure_delete=ON and incremental
// auto_vacuum (retention must leave no readable copy of a deleted finding, I6), its own schema
// version (PRAGMA user_version, migrations in sqlite_findings.cc) and application_id "mmfd", so
// that a record store, a registry or any other SQLite file is refused rather than misread.

#include <memory>
#include <string>

#include "mamori/analysis/finding_store.h"
#include "mamori/core/error.h"

namespace mamori::analysis {

// The schema version this build creates and reads.
inline constexpr int kFindingSchemaVersion = 1;

// Opens (creating and migrating when needed) the findings database at `path` (":memory:" for
// a private in-memory one). Errors name the path and what failed.
Result<std::unique_ptr<FindingStore>> open_sqlite_findings(const std::string& path);

}  // namespace mamori::analysis
