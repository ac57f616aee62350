#pragma once
// core/prefix_map: longest-prefix match from IPv4/IPv6 prefixes to 32-bit values, built once
// and immutable afterwards (so it is shared by threads without locks). Used for the country
// table (scope) and for `ip` selection rules (sieve). Built for speed: lookups must sustain
// ≥ 100 M/s per core over 1M prefixes (see bench/prefix_map_bench.cc).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "mamori/core/ip.h"

namespace mamori {

class PrefixMap {
 public:
  static constexpr std::uint32_t kNoValue = 0xffffffffu;

  class Builder {
   public:
    // Later inserts of the same prefix replace earlier ones. `value` must not be kNoValue.
    void insert(const Prefix& prefix, std::uint32_t value);
    std::size_t size() const { return entries_.size(); }
    PrefixMap build() &&;

   private:
    struct Entry {
      Prefix prefix;
      std::uint32_t value;
    };
    std::vector<Entry> entries_;
  };

  PrefixMap();
  PrefixMap(PrefixMap&&) noexcept;
  PrefixMap& operator=(PrefixMap&&) noexcept;
  ~PrefixMap();

  // Value of the longest prefix containing the address, or kNoValue.
  std::uint32_t lookup(const IpAddress& address) const;
  // Same for an IPv4 address in host byte order (the hot path).
  std::uint32_t lookup_v4(std::uint32_t address) const;

  std::size_t prefix_count() const;
  std::size_t memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamori
