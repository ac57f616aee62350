#include "mamori/scope/country_table.h"

#include "mamori/scope/mmdb_walk.h"
#include "mamori/scope/special_ranges.h"

namespace mamori::scope {

std::optional<CountryCode> parse_country_code(std::string_view text) {
  if (text.size() != 2) return std::nullopt;
  char upper[2];
  for (int i = 0; i < 2; ++i) {
    const char c = text[static_cast<std::size_t>(i)];
    if (c >= 'a' && c <= 'z') {
      upper[i] = static_cast<char>(c - 'a' + 'A');
    } else if (c >= 'A' && c <= 'Z') {
      upper[i] = c;
    } else {
      return std::nullopt;
    }
  }
  return CountryCode::from(std::string_view(upper, 2));
}

// Collects networks, keeping those inside special-purpose ranges out, and marks the ranges
// themselves unknown so that they also win over any shorter network that covers them.
class CountryTable::Loader {
 public:
  Loader() {
    PrefixMap::Builder special;
    for (const auto& prefix : special_purpose_prefixes()) {
      special.insert(prefix, static_cast<std::uint32_t>(prefix.length()));
    }
    special_ = std::move(special).build();
  }

  void add(const Prefix& prefix, CountryCode country) {
    if (!country.known()) return;
    // The blocks do not nest, so the longest one containing the network's first address is the
    // only candidate; it contains the whole network when it is no longer than the network.
    const std::uint32_t special_length = special_.lookup(prefix.address());
    if (special_length != PrefixMap::kNoValue &&
        static_cast<int>(special_length) <= prefix.length()) {
      ++stats_.special_dropped;
      return;
    }
    ++(prefix.address().is_v4() ? stats_.v4_networks : stats_.v6_networks);
    builder_.insert(prefix, country.packed);
  }

  CountryTable finish() && {
    for (const auto& prefix : special_purpose_prefixes()) builder_.insert(prefix, 0);
    CountryTable table;
    table.map_ = std::move(builder_).build();
    table.stats_ = std::move(stats_);
    return table;
  }

  CountryTableStats& stats() { return stats_; }

 private:
  PrefixMap special_;
  PrefixMap::Builder builder_;
  CountryTableStats stats_;
};

CountryTable::CountryTable() = default;

Result<CountryTable> CountryTable::load(const std::filesystem::path& mmdb_path) {
  Loader loader;
  const auto summary = detail::walk_mmdb(
      mmdb_path, [&](const Prefix& prefix, CountryCode country) { loader.add(prefix, country); });
  if (!summary) return fail(summary.error());
  loader.stats().without_country = summary->without_country;
  loader.stats().database_type = summary->database_type;
  loader.stats().build_epoch = summary->build_epoch;
  return std::move(loader).finish();
}

CountryTable CountryTable::from_networks(std::span<const std::pair<Prefix, CountryCode>> networks) {
  Loader loader;
  for (const auto& [prefix, country] : networks) loader.add(prefix, country);
  return std::move(loader).finish();
}

}  // namespace mamori::scope
