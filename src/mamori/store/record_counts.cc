#include "mamori/store/record_counts.h"

#include <algorithm>
#include <string_view>
#include <vector>

namespace mamori::store {

void RecordCountDeltas::add(RunId run, const sieve::Record& record) {
  RecordCountKey key{
      run, day_of_micros(record.first_seen.micros()), static_cast<int>(record.category), {}};
  ++changes_[key];
  const std::size_t matches = std::min(record.matches.size(), sieve::kMaxMatches);
  for (std::size_t i = 0; i < matches; ++i) {
    const std::string_view rule = record.matches[i].rule;
    const bool repeated =
        std::any_of(record.matches.begin(), record.matches.begin() + static_cast<std::ptrdiff_t>(i),
                    [&](const sieve::Match& m) { return m.rule == rule; });
    if (repeated) continue;
    key.rule = rule;
    ++changes_[key];
  }
}

}  // namespace mamori::store
