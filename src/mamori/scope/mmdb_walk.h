#pragma once
// scope/mmdb_walk: reads every network of a MaxMind DB (.mmdb) country database by walking its
// search tree with libmaxminddb. Private to scope: only CountryTable uses it. IPv4 networks are
// the ones under ::/96 of an IPv6 database (or the whole tree of an IPv4 one) and come out as
// IPv4 prefixes; the tree's aliases (e.g. ::ffff:0:0/96, 2002::/16) are not followed.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/scope/country.h"

namespace mamori::scope::detail {

struct MmdbSummary {
  std::string database_type;
  std::uint64_t build_epoch = 0;
  std::size_t networks = 0;         // data records reached in the tree
  std::size_t without_country = 0;  // of those, records with no country code
};

// Calls `emit` for each network with a country code (networks do not overlap). Fails with
// the path and what is wrong if the file cannot be opened or its tree or data are corrupt.
Result<MmdbSummary> walk_mmdb(const std::filesystem::path& path,
                              const std::function<void(const Prefix&, CountryCode)>& emit);

}  // namespace mamori::scope::detail
