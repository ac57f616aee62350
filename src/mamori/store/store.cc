#include "mamori/store/store.h"

#include "mamori/store/sqlite_store.h"

namespace mamori::store {

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.starts_with(kSqlite)) {
    auto options = parse_sqlite_url(url.substr(kSqlite.size()));
    if (!options) return fail(options.error());
    return open_sqlite_store(*options);
  }
  // The rest of the URL is not echoed: a PostgreSQL URL may carry a password.
  if (url.starts_with("postgres:") || url.starts_with("postgresql:")) {
    return fail(
        "store URL: the PostgreSQL backend is reserved for the central deployment and "
        "not built yet; use sqlite:PATH");
  }
  const auto colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 16) {
    return fail("store URL has no scheme; use sqlite:PATH (or sqlite::memory:)");
  }
  return fail("store URL scheme '{}:' is unknown; use sqlite:PATH (or sqlite::memory:)",
              url.substr(0, colon));
}

}  // namespace mamori::store
