#pragma once
// scope/country_table: IP address → country, loaded once at start-up from an IP-to-country
// .mmdb into an in-memory longest-prefix table and immutable afterwards (shared by threads
// without locks). Special-purpose ranges (private, loopback, documentation, multicast, ...) are
// always unknown, whatever the database says, so they fall to the unknown-address policy.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/core/prefix_map.h"
#include "mamori/scope/country.h"

namespace mamori::scope {

// "JP" or "jp" → JP; anything but two ASCII letters → nullopt.
std::optional<CountryCode> parse_country_code(std::string_view text);

struct CountryTableStats {
  std::size_t v4_networks = 0;  // networks in the table with a country
  std::size_t v6_networks = 0;
  std::size_t without_country = 0;  // database records without a country code: unknown
  std::size_t special_dropped = 0;  // networks inside special-purpose ranges: unknown
  std::string database_type;        // from the .mmdb metadata
  std::uint64_t build_epoch = 0;    // from the .mmdb metadata, seconds since 1970
};

class CountryTable {
 public:
  // An empty table: every address is unknown.
  CountryTable();

  // Reads every network of the database. Errors name the path and what is wrong (missing file,
  // not a MaxMind DB, corrupt search tree or data record).
  static Result<CountryTable> load(const std::filesystem::path& mmdb_path);
  // A table from explicit networks (tests, synthetic data). Later networks replace earlier
  // equal ones; an unknown code is ignored.
  static CountryTable from_networks(std::span<const std::pair<Prefix, CountryCode>> networks);

  // The country of the longest matching network; unknown (0) when none. IPv4-mapped IPv6
  // addresses are IPv4 already (core/ip).
  CountryCode lookup(const IpAddress& address) const { return decode(map_.lookup(address)); }
  // Same for an IPv4 address in host byte order.
  CountryCode lookup_v4(std::uint32_t address) const { return decode(map_.lookup_v4(address)); }

  const CountryTableStats& stats() const { return stats_; }
  std::size_t memory_bytes() const { return map_.memory_bytes(); }

 private:
  class Loader;

  static CountryCode decode(std::uint32_t value) {
    return {static_cast<std::uint16_t>(value == PrefixMap::kNoValue ? 0 : value)};
  }

  PrefixMap map_;
  CountryTableStats stats_;
};

}  // namespace mamori::scope
