#include "mamori/store/store.h"

#include <algorithm>

#include "mamori/store/postgres_store.h"
#include "mamori/store/sqlite_options.h"
#include "mamori/store/sqlite_store.h"

namespace mamori::store {

Result<std::uint64_t> Store::scan(const RecordQuery& query, const RecordVisitor& visit) {
  RecordQuery page = query;
  std::uint64_t visited = 0;
  for (;;) {
    const std::uint64_t left = query.limit == 0 ? kScanPageSize : query.limit - visited;
    if (left == 0) return visited;
    page.limit = static_cast<std::size_t>(std::min<std::uint64_t>(kScanPageSize, left));
    auto records = this->query(page);
    if (!records) return fail(records.error());
    for (const StoredRecord& stored : *records) {
      if (auto ok = visit(stored); !ok) return fail(ok.error());
      ++visited;
    }
    if (records->size() < page.limit) return visited;
    page.after = records->back().id;
  }
}

// Backends that are not a central store do not implement the ingest; the SQLite and
// PostgreSQL backends override these.
Result<RunId> Store::import_run(std::string_view /*run_key*/, const RunInfo& /*info*/) {
  return fail("store: this backend cannot import runs from sensors");
}

Result<bool> Store::import_batch(RunId /*run*/, std::string_view /*batch_key*/,
                                 std::span<const sieve::Record> /*records*/) {
  return fail("store: this backend cannot import runs from sensors");
}

Result<void> Store::import_end(RunId /*run*/, const nlohmann::json& /*summary*/,
                               Timestamp /*ended_at*/) {
  return fail("store: this backend cannot import runs from sensors");
}

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  // SystemClock has no state, so one shared instance outlives every store.
  static const SystemClock system_clock;
  return open_store(url, system_clock);
}

Result<std::unique_ptr<Store>> open_store(std::string_view url, const Clock& clock) {
  // postgres://… and postgresql://… are libpq URIs as they stand; postgres:REST hands REST
  // (a keyword/value conninfo or a URI) to libpq.
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    return open_postgres_store(std::string(url), clock);
  }
  if (url.starts_with("postgres:")) return open_postgres_store(std::string(url.substr(9)), clock);
  auto options = parse_store_url(url);
  if (!options) return fail(options.error());
  return open_sqlite_store(*options, clock);
}

}  // namespace mamori::store
