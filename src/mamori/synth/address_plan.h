#pragma once
// synth/address_plan: the address ranges synth draws hosts from, each with the country the
// vendored IP-to-country database (data/iptoasn-country.mmdb) gives for the WHOLE range, so
// that scope classification (domestic = JP) of generated traffic is known in advance.
// tests/synth/address_plan_test.cc re-checks every range against the database.
//
// The ranges are real allocations, used only so that country lookups give the intended
// answer; nothing about their holders is implied by the synthetic traffic (attack roles are
// assigned to random hosts inside them, differently for every seed).

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mamori/core/ip.h"

namespace mamori::synth {

// What a range is used for. Pools group several ranges.
enum class Pool : std::uint8_t {
  jp_clients,  // broadband and mobile subscribers
  jp_clients_v6,
  jp_servers,  // hosting, web and mail servers
  jp_servers_v6,
  jp_resolvers,    // ISP DNS resolvers
  jp_infected,     // where the infected hosts of the C2 scenarios sit
  jp_scan_target,  // the /17 holding the scanned /24
  jp_victim,       // the DNS amplification victim
  private_infra,   // RFC 1918 router links: not in the database ("unknown" = domestic)
  foreign_clients,
  foreign_clients_v6,
  foreign_servers,  // CDN, cloud and hosting
  foreign_servers_v6,
  foreign_resolvers,  // public DNS resolvers (benign)
  foreign_resolvers_v6,
  foreign_hosting,  // VPS ranges: C2 servers, scanners, reflectors, attackers
  foreign_hosting_v6,
  kCount
};

struct PoolRange {
  Pool pool;
  std::string_view prefix;   // CIDR text
  std::string_view country;  // ISO 3166-1 alpha-2 per the vendored database; "" = not listed
};

// Every range synth uses, in a fixed order (part of the output's determinism).
std::span<const PoolRange> address_ranges();

class AddressPlan {
 public:
  AddressPlan();

  // The index-th host of a pool: deterministic, spread over the pool's ranges, never the
  // all-zero or all-ones host of a /24. `salt` varies the mapping (e.g. per seed).
  IpAddress host(Pool pool, std::uint64_t index, std::uint64_t salt) const;
  // A host inside one given range, by index.
  static IpAddress host_in(const Prefix& prefix, std::uint64_t index, std::uint64_t salt);

  // Country of an address per this table; "" when it is in no range (private/unlisted).
  std::string_view country_of(const IpAddress& address) const;
  // Domestic = JP or unlisted (the sieve's default for unknown addresses).
  bool is_domestic(const IpAddress& address) const;

 private:
  struct Parsed {
    Pool pool;
    Prefix prefix;
    std::string_view country;
  };
  std::span<const Parsed> ranges_of(Pool pool) const;

  // Country lookups by interval: IPv4 on the 32-bit value, IPv6 on the upper 64 bits (every
  // IPv6 range here is /64 or shorter). Sorted by start; ranges do not overlap.
  struct Interval {
    std::uint64_t first;
    std::uint64_t last;
    std::string_view country;
  };
  static std::string_view find(const std::vector<Interval>& intervals, std::uint64_t key);

  std::array<Parsed, 96> parsed_{};
  std::size_t count_ = 0;
  std::vector<Interval> v4_;
  std::vector<Interval> v6_;
  std::array<std::size_t, static_cast<std::size_t>(Pool::kCount) + 1> pool_begin_{};
};

// Prefix::contains without building a masked copy: synth calls it for every flow.
bool prefix_contains(const Prefix& prefix, const IpAddress& address);

// "FF", "FD", "DF" or "DD" for a flow from initiator to responder.
std::string_view category_name(bool initiator_domestic, bool responder_domestic);

}  // namespace mamori::synth
