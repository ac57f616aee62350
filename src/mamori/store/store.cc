#include "mamori/store/store.h"

#include "mamori/store/sqlite_options.h"
#include "mamori/store/sqlite_store.h"

namespace mamori::store {

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  // SystemClock has no state, so one shared instance outlives every store.
  static const SystemClock system_clock;
  return open_store(url, system_clock);
}

Result<std::unique_ptr<Store>> open_store(std::string_view url, const Clock& clock) {
  auto options = parse_store_url(url);
  if (!options) return fail(options.error());
  return open_sqlite_store(*options, clock);
}

}  // namespace mamori::store
