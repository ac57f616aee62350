#include "mamori/server/taxii_store.h"

#include <algorithm>
#include <array>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "mamori/intel/stix_writer.h"
#include "mamori/store/sqlite_db.h"
#include "mamori/store/sqlite_migrate.h"

namespace mamori::server {
namespace {

using nlohmann::json;
using store::sqlite::Database;
using store::sqlite::Statement;

// "mmtx": marks the file as the TAXII server's, so no other SQLite file is read as one.
constexpr std::int64_t kApplicationId = 0x6d6d7478;

// Migration N takes the schema from version N to N+1. Never edit a released migration; add one.
// Layout notes (version 1):
//  - date_added is the rowid: microseconds, unique across the file and increasing, so that a
//    page cursor ("after this date_added") is exact even for objects added in one request;
//  - version is the object's modified (or created) in nanoseconds; version_text the same
//    timestamp as written in the object, which is what TAXII responses echo;
//  - json is the object as accepted, served unchanged;
//  - provider is "provider:<member>" for contributions, "" for mamori's own products.
// Version 2: deliveries — one row per GET of objects that returned objects to a member; `at` is
// server time in microseconds, first/last_date_added the range served.
constexpr std::array<std::string_view, 2> kMigrations = {
    R"sql(
CREATE TABLE objects (
  date_added    INTEGER PRIMARY KEY,
  collection_id TEXT    NOT NULL,
  id            TEXT    NOT NULL,
  type          TEXT    NOT NULL,
  spec_version  TEXT    NOT NULL,
  version       INTEGER NOT NULL,
  version_text  TEXT    NOT NULL,
  provider      TEXT    NOT NULL,
  json          TEXT    NOT NULL,
  UNIQUE (collection_id, id, version)
);
CREATE INDEX objects_collection ON objects(collection_id, date_added);
CREATE TABLE statuses (
  id            TEXT PRIMARY KEY,
  member        TEXT NOT NULL,
  collection_id TEXT NOT NULL,
  json          TEXT NOT NULL
);
)sql",
    R"sql(
CREATE TABLE deliveries (
  seq              INTEGER PRIMARY KEY,
  at               INTEGER NOT NULL,
  member           TEXT    NOT NULL,
  collection_id    TEXT    NOT NULL,
  objects          INTEGER NOT NULL,
  first_date_added INTEGER NOT NULL,
  last_date_added  INTEGER NOT NULL
);
CREATE INDEX deliveries_at ON deliveries(at);
)sql",
};

// Applies `fn` to the Common of an SDO/SRO; a marking definition has none.
template <class Fn>
void with_common(const intel::stix::StixObject& object, Fn&& fn) {
  std::visit(
      [&](const auto& o) {
        if constexpr (requires { o.common; }) fn(o.common);
      },
      object);
}

}  // namespace

std::optional<intel::stix::Tlp> strictest_tlp(std::span<const std::string> marking_refs) {
  std::optional<intel::stix::Tlp> tlp;
  for (const std::string& ref : marking_refs) {
    if (auto marking = intel::stix::tlp_from_marking_id(ref)) {
      tlp = tlp ? intel::stix::stricter(*tlp, *marking) : *marking;
    }
  }
  return tlp;
}

Result<void> check_collection_tier(const NewObject& object, int collection_tier) {
  if (!object.tlp || intel::stix::tlp_allowed_at_tier(*object.tlp, collection_tier)) return {};
  return fail("object {} is marked {}, stricter than a tier-{} collection allows (at most {})",
              object.id, intel::stix::tlp_name(*object.tlp), collection_tier,
              intel::stix::tlp_name(intel::stix::max_tlp_for_tier(collection_tier)));
}

Result<NewObject> new_object(const intel::stix::StixObject& object) {
  auto text = intel::stix::write_object(object);
  if (!text) return fail(text.error());
  NewObject out;
  out.id = intel::stix::object_id(object);
  out.type = std::string(intel::stix::type_name(object));
  out.json = std::move(*text);
  if (const auto* marking = std::get_if<intel::stix::MarkingDefinition>(&object)) {
    out.version = marking->created;
  }
  with_common(object, [&](const intel::stix::Common& common) {
    out.version = common.modified;
    out.tlp = strictest_tlp(common.object_marking_refs);
  });
  out.version = intel::stix::truncate_to_millis(out.version);
  out.version_text = intel::stix::format_timestamp(out.version);
  return out;
}

Result<NewObject> new_object_from_json(std::string_view text) {
  const json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return fail("the object is not a JSON object");
  auto string_of = [&](const char* key) -> const std::string* {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  NewObject out;
  const std::string* id = string_of("id");
  const std::string* type = string_of("type");
  if (id == nullptr || type == nullptr) return fail("the object has no string 'id' and 'type'");
  out.id = *id;
  out.type = *type;
  if (const std::string* spec = string_of("spec_version")) out.spec_version = *spec;
  const std::string* version = string_of("modified");
  if (version == nullptr) version = string_of("created");
  if (version == nullptr) return fail("object {}: neither 'modified' nor 'created'", out.id);
  auto parsed = intel::stix::parse_timestamp(*version);
  if (!parsed) return fail("object {}: 'modified'/'created' is not a STIX timestamp", out.id);
  out.version = *parsed;
  out.version_text = *version;
  if (auto refs = object.find("object_marking_refs"); refs != object.end()) {
    if (!refs->is_array()) return fail("object {}: 'object_marking_refs' is not a list", out.id);
    std::vector<std::string> ids;
    for (const json& ref : *refs) {
      if (!ref.is_string())
        return fail("object {}: 'object_marking_refs' holds a non-string", out.id);
      ids.push_back(ref.get<std::string>());
    }
    out.tlp = strictest_tlp(ids);
  }
  out.json = std::string(text);
  return out;
}

struct TaxiiStore::Impl {
  Database db;
  const Clock* clock = nullptr;
  std::int64_t last_date_added = 0;

  Result<void> in_transaction(const auto& body) {
    if (auto ok = db.exec("BEGIN IMMEDIATE"); !ok) return ok;
    auto ok = body();
    if (!ok) {
      (void)db.exec("ROLLBACK");
      return ok;
    }
    return db.exec("COMMIT");
  }
};

TaxiiStore::TaxiiStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TaxiiStore::~TaxiiStore() = default;

Result<std::unique_ptr<TaxiiStore>> TaxiiStore::open(const std::string& path, const Clock& clock) {
  auto db = Database::open(path, /*read_only=*/false, /*busy_timeout_ms=*/5000);
  if (!db) return fail("cannot open TAXII database '{}': {}", path, db.error().message);
  auto mode = db->query_text("PRAGMA journal_mode = WAL");
  if (!mode) return fail("cannot open TAXII database '{}': {}", path, mode.error().message);
  if (*mode != "wal" && path != ":memory:") {
    return fail("cannot open TAXII database '{}': cannot switch to WAL mode", path);
  }
  if (auto ok = db->exec("PRAGMA synchronous = FULL;"); !ok) {
    return fail("cannot open TAXII database '{}': {}", path, ok.error().message);
  }
  if (auto ok = store::migrate_schema(*db, {"taxii", kApplicationId, kMigrations}); !ok) {
    return fail("cannot open TAXII database '{}': {}", path, ok.error().message);
  }
  auto last = db->query_int("SELECT COALESCE(MAX(date_added), 0) FROM objects");
  if (!last) return fail("cannot open TAXII database '{}': {}", path, last.error().message);
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  impl->clock = &clock;
  impl->last_date_added = *last;
  return std::unique_ptr<TaxiiStore>(new TaxiiStore(std::move(impl)));
}

Result<std::vector<AddOutcome>> TaxiiStore::add(std::string_view collection_id,
                                                std::span<const NewObject> objects,
                                                std::string_view provider) {
  std::scoped_lock lock(mutex_);
  Impl& s = *impl_;
  std::vector<AddOutcome> outcomes;
  outcomes.reserve(objects.size());
  std::int64_t last = s.last_date_added;
  auto ok = s.in_transaction([&]() -> Result<void> {
    // Another process may have added objects since (`mamori intel publish` beside mamorid):
    // under the write lock the file's own maximum keeps date_added unique and increasing.
    auto stored_last = s.db.query_int("SELECT COALESCE(MAX(date_added), 0) FROM objects");
    if (!stored_last) return fail(stored_last.error());
    last = std::max(last, *stored_last);
    auto insert = s.db.prepare(
        "INSERT INTO objects (date_added, collection_id, id, type, spec_version, version, "
        "version_text, provider, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (collection_id, id, version) DO NOTHING");
    if (!insert) return fail(insert.error());
    for (const NewObject& object : objects) {
      const std::int64_t date_added = std::max(s.clock->now().micros(), last + 1);
      insert->reset();
      insert->bind(1, date_added);
      insert->bind(2, collection_id);
      insert->bind(3, std::string_view(object.id));
      insert->bind(4, std::string_view(object.type));
      insert->bind(5, std::string_view(object.spec_version));
      insert->bind(6, object.version.nanos);
      insert->bind(7, std::string_view(object.version_text));
      insert->bind(8, provider);
      insert->bind(9, std::string_view(object.json));
      if (auto run = insert->run(); !run) {
        return fail("storing object {}: {}", object.id, run.error().message);
      }
      if (s.db.changes() == 1) {
        last = date_added;
        outcomes.push_back(AddOutcome::kAdded);
      } else {
        outcomes.push_back(AddOutcome::kAlreadyPresent);
      }
    }
    return {};
  });
  if (!ok) return fail(ok.error());
  s.last_date_added = last;
  return outcomes;
}

Result<ObjectPage> TaxiiStore::objects(std::string_view collection_id, const ObjectFilter& filter,
                                       bool with_json) {
  std::string sql = fmt::format(
      "SELECT date_added, id, type, spec_version, version, version_text, provider{} "
      "FROM objects o WHERE collection_id = ?1",
      with_json ? ", json" : "");
  int next_param = 2;
  auto in_list = [&](std::string_view column, std::size_t n) {
    if (n == 0) return;
    sql += fmt::format(" AND {} IN (", column);
    for (std::size_t i = 0; i < n; ++i) sql += fmt::format("{}?{}", i ? "," : "", next_param++);
    sql += ")";
  };
  in_list("id", filter.ids.size());
  in_list("type", filter.types.size());
  in_list("spec_version", filter.spec_versions.size());
  switch (filter.version) {
    case VersionMatch::kLast:
      sql +=
          " AND version = (SELECT MAX(version) FROM objects x "
          "WHERE x.collection_id = o.collection_id AND x.id = o.id)";
      break;
    case VersionMatch::kFirst:
      sql +=
          " AND version = (SELECT MIN(version) FROM objects x "
          "WHERE x.collection_id = o.collection_id AND x.id = o.id)";
      break;
    case VersionMatch::kAll:
      break;
    case VersionMatch::kListed:
      in_list("version", filter.versions.size());
      if (filter.versions.empty()) sql += " AND 0";
      break;
  }
  if (filter.providers) {
    sql += " AND (provider = ''";
    if (!filter.providers->empty()) {
      sql += " OR provider IN (";
      for (std::size_t i = 0; i < filter.providers->size(); ++i) {
        sql += fmt::format("{}?{}", i ? "," : "", next_param++);
      }
      sql += ")";
    }
    sql += ")";
  }
  // added_after and the cursor are both exclusive lower bounds on date_added.
  std::optional<std::int64_t> after = filter.added_after;
  if (filter.after_date_added && (!after || *filter.after_date_added > *after)) {
    after = filter.after_date_added;
  }
  if (after) sql += fmt::format(" AND date_added > ?{}", next_param++);
  sql += fmt::format(" ORDER BY date_added LIMIT ?{}", next_param);

  std::scoped_lock lock(mutex_);
  auto statement = impl_->db.prepare(sql);
  if (!statement) return fail(statement.error());
  int param = 1;
  statement->bind(param++, collection_id);
  for (const auto& v : filter.ids) statement->bind(param++, std::string_view(v));
  for (const auto& v : filter.types) statement->bind(param++, std::string_view(v));
  for (const auto& v : filter.spec_versions) statement->bind(param++, std::string_view(v));
  if (filter.version == VersionMatch::kListed) {
    for (const auto& v : filter.versions) statement->bind(param++, v.nanos);
  }
  if (filter.providers) {
    for (const auto& v : *filter.providers) statement->bind(param++, std::string_view(v));
  }
  if (after) statement->bind(param++, *after);
  statement->bind(param, static_cast<std::int64_t>(filter.limit + 1));

  ObjectPage page;
  page.objects.reserve(std::min<std::size_t>(filter.limit, 4096));
  while (true) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    if (page.objects.size() == filter.limit) {
      page.more = true;
      break;
    }
    StoredObject& o = page.objects.emplace_back();
    o.date_added = statement->column_int(0);
    o.id = statement->column_text(1);
    o.type = statement->column_text(2);
    o.spec_version = statement->column_text(3);
    o.version = Timestamp{statement->column_int(4)};
    o.version_text = statement->column_text(5);
    o.provider = statement->column_text(6);
    if (with_json) o.json = statement->column_text(7);
  }
  return page;
}

Result<std::size_t> TaxiiStore::count(std::string_view collection_id) {
  std::scoped_lock lock(mutex_);
  auto statement = impl_->db.prepare("SELECT COUNT(*) FROM objects WHERE collection_id = ?1");
  if (!statement) return fail(statement.error());
  statement->bind(1, collection_id);
  auto row = statement->step();
  if (!row) return fail(row.error());
  return static_cast<std::size_t>(statement->column_int(0));
}

Result<void> TaxiiStore::put_status(const StatusRecord& status) {
  std::scoped_lock lock(mutex_);
  auto statement = impl_->db.prepare(
      "INSERT INTO statuses (id, member, collection_id, json) VALUES (?1, ?2, ?3, ?4)");
  if (!statement) return fail(statement.error());
  statement->bind(1, std::string_view(status.id));
  statement->bind(2, std::string_view(status.member));
  statement->bind(3, std::string_view(status.collection_id));
  statement->bind(4, std::string_view(status.json));
  return statement->run();
}

Result<std::optional<StatusRecord>> TaxiiStore::status(std::string_view id) {
  std::scoped_lock lock(mutex_);
  auto statement =
      impl_->db.prepare("SELECT id, member, collection_id, json FROM statuses WHERE id = ?1");
  if (!statement) return fail(statement.error());
  statement->bind(1, id);
  auto row = statement->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<StatusRecord>{};
  return std::optional<StatusRecord>{
      StatusRecord{std::string(statement->column_text(0)), std::string(statement->column_text(1)),
                   std::string(statement->column_text(2)), std::string(statement->column_text(3))}};
}

Result<std::int64_t> TaxiiStore::record_delivery(const Delivery& delivery) {
  std::scoped_lock lock(mutex_);
  auto statement = impl_->db.prepare(
      "INSERT INTO deliveries (at, member, collection_id, objects, first_date_added, "
      "last_date_added) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!statement) return fail(statement.error());
  statement->bind(1, delivery.at.micros());
  statement->bind(2, std::string_view(delivery.member));
  statement->bind(3, std::string_view(delivery.collection_id));
  statement->bind(4, static_cast<std::int64_t>(delivery.objects));
  statement->bind(5, delivery.first_date_added);
  statement->bind(6, delivery.last_date_added);
  if (auto ok = statement->run(); !ok) return fail("recording a delivery: {}", ok.error().message);
  return impl_->db.last_insert_id();
}

Result<std::vector<Delivery>> TaxiiStore::deliveries(const DeliveryFilter& filter) {
  std::string sql =
      "SELECT seq, at, member, collection_id, objects, first_date_added, last_date_added "
      "FROM deliveries WHERE 1";
  int next_param = 1;
  if (!filter.collection_id.empty()) sql += fmt::format(" AND collection_id = ?{}", next_param++);
  if (!filter.member.empty()) sql += fmt::format(" AND member = ?{}", next_param++);
  if (filter.since) sql += fmt::format(" AND at >= ?{}", next_param++);
  if (filter.until) sql += fmt::format(" AND at < ?{}", next_param++);
  sql += " ORDER BY seq";

  std::scoped_lock lock(mutex_);
  auto statement = impl_->db.prepare(sql);
  if (!statement) return fail(statement.error());
  int param = 1;
  if (!filter.collection_id.empty()) {
    statement->bind(param++, std::string_view(filter.collection_id));
  }
  if (!filter.member.empty()) statement->bind(param++, std::string_view(filter.member));
  if (filter.since) statement->bind(param++, filter.since->micros());
  if (filter.until) statement->bind(param++, filter.until->micros());
  std::vector<Delivery> out;
  while (true) {
    auto row = statement->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    Delivery& d = out.emplace_back();
    d.seq = statement->column_int(0);
    d.at = Timestamp::from_micros(statement->column_int(1));
    d.member = statement->column_text(2);
    d.collection_id = statement->column_text(3);
    d.objects = static_cast<std::size_t>(statement->column_int(4));
    d.first_date_added = statement->column_int(5);
    d.last_date_added = statement->column_int(6);
  }
  return out;
}

}  // namespace mamori::server
