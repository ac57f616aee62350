#include "mamori/store/sqlite_migrate.h"

#include <string>

#include <fmt/format.h>

namespace mamori::store {

Result<void> migrate_schema(sqlite::Database& db, const SchemaSpec& spec) {
  const auto current = static_cast<std::int64_t>(spec.migrations.size());
  auto version = db.query_int("PRAGMA user_version");
  if (!version) return fail(version.error());
  auto application = db.query_int("PRAGMA application_id");
  if (!application) return fail(application.error());
  if (*application != spec.application_id) {
    auto tables = db.query_int("SELECT count(*) FROM sqlite_schema");
    if (!tables) return fail(tables.error());
    if (*application != 0 || *version != 0 || *tables != 0) {
      return fail("not a mamori {} database (application_id {}, schema version {})", spec.name,
                  *application, *version);
    }
  }
  if (*version > current) {
    return fail(
        "{} schema version {} is newer than this build of mamori supports ({}); upgrade "
        "mamori",
        spec.name, *version, current);
  }
  if (*version < 0) return fail("{} schema version {} is invalid", spec.name, *version);
  if (*version == current) return {};
  if (auto ok = db.exec("BEGIN IMMEDIATE"); !ok) return fail(ok.error());
  auto apply = [&]() -> Result<void> {
    auto locked = db.query_int("PRAGMA user_version");
    if (!locked) return fail(locked.error());
    for (auto v = *locked; v < current; ++v) {
      if (auto ok = db.exec(std::string(spec.migrations[static_cast<std::size_t>(v)])); !ok) {
        return fail("migration to {} schema version {} failed: {}", spec.name, v + 1,
                    ok.error().message);
      }
    }
    return db.exec(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}",
                               spec.application_id, current));
  };
  if (auto ok = apply(); !ok) {
    (void)db.exec("ROLLBACK");
    return fail(ok.error());
  }
  return db.exec("COMMIT");
}

}  // namespace mamori::store
