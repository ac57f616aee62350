#pragma once
// store/record_counts: the per-(run, day, category, rule) record counts both backends keep
// next to the records (Store::record_counts, store.h), as deltas gathered while a batch is
// written and applied in the batch's own transaction, so a count never disagrees with the
// records it counts. Internal to the store library.

#include <compare>
#include <cstdint>
#include <map>
#include <string>

#include "mamori/store/store.h"

namespace mamori::store {

inline constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

// The UTC day of a time in µs since the epoch, as days since 1970-01-01 (floor).
constexpr std::int64_t day_of_micros(std::int64_t micros) {
  return micros >= 0 ? micros / kMicrosPerDay : -((-micros + kMicrosPerDay - 1) / kMicrosPerDay);
}

struct RecordCountKey {
  RunId run = 0;
  std::int64_t day = 0;
  int category = 0;
  std::string rule = {};  // "" = every record; else the records with a match of this rule

  auto operator<=>(const RecordCountKey&) const = default;
};

// Count changes of one transaction. Keys are kept sorted, so every writer updates counter rows
// in the same order (concurrent PostgreSQL writers cannot deadlock on them).
class RecordCountDeltas {
 public:
  // One stored record: +1 for its "" row and for each distinct rule of the matches it stores
  // (at most sieve::kMaxMatches, as the record line and the match index carry).
  void add(RunId run, const sieve::Record& record);

  const std::map<RecordCountKey, std::int64_t>& changes() const { return changes_; }
  bool empty() const { return changes_.empty(); }
  void clear() { changes_.clear(); }

 private:
  std::map<RecordCountKey, std::int64_t> changes_;
};

}  // namespace mamori::store
