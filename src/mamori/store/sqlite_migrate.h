#pragma once
// store/sqlite_migrate: the versioned schema of an SQLite file that one mamori module owns (the
// registry, the findings database): which file it is (PRAGMA application_id), which schema
// version it holds (PRAGMA user_version), and the migrations that bring it up to date, applied
// once, inside one IMMEDIATE transaction, so that two processes creating the file at once do
// not both migrate. A file of another application, or a newer schema, is refused by name.

#include <cstdint>
#include <span>
#include <string_view>

#include "mamori/core/error.h"
#include "mamori/store/sqlite_db.h"

namespace mamori::store {

struct SchemaSpec {
  std::string_view name;  // "registry", "findings": how errors name the file
  std::int64_t application_id = 0;
  // migrations[v] brings version v to v + 1; the current version is migrations.size().
  std::span<const std::string_view> migrations;
};

// Checks the file and applies the missing migrations; an empty file becomes this schema.
Result<void> migrate_schema(sqlite::Database& db, const SchemaSpec& spec);

}  // namespace mamori::store
