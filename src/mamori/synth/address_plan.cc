#include "mamori/synth/address_plan.h"

#include <algorithm>
#include <cassert>

#include "mamori/synth/prng.h"

namespace mamori::synth {
namespace {

// Checked with `mmdblookup --file data/iptoasn-country.mmdb --ip ADDR country_code` and with
// libmaxminddb's reported network (the whole prefix maps to the country). Sorted by pool.
constexpr PoolRange kRanges[] = {
    {Pool::jp_clients, "126.0.0.0/12", "JP"},    // SoftBank broadband
    {Pool::jp_clients, "153.128.0.0/10", "JP"},  // NTT OCN
    {Pool::jp_clients, "60.32.0.0/12", "JP"},    // NTT OCN
    {Pool::jp_clients_v6, "2400:4000::/22", "JP"},
    {Pool::jp_clients_v6, "240b::/26", "JP"},
    {Pool::jp_servers, "210.130.0.0/17", "JP"},
    {Pool::jp_servers, "203.104.128.0/19", "JP"},
    {Pool::jp_servers, "49.212.0.0/16", "JP"},  // SAKURA Internet
    {Pool::jp_servers_v6, "2001:e40::/29", "JP"},
    {Pool::jp_resolvers, "202.32.0.0/15", "JP"},
    {Pool::jp_infected, "118.238.0.0/16", "JP"},
    {Pool::jp_infected, "133.8.0.0/13", "JP"},  // academic networks
    {Pool::jp_scan_target, "219.94.128.0/17", "JP"},
    {Pool::jp_victim, "1.0.16.0/24", "JP"},
    {Pool::private_infra, "10.0.0.0/8", ""},
    {Pool::foreign_clients, "175.192.0.0/10", "KR"},
    {Pool::foreign_clients, "1.201.0.0/17", "KR"},
    {Pool::foreign_clients, "36.96.0.0/12", "CN"},
    {Pool::foreign_clients, "101.224.0.0/13", "CN"},
    {Pool::foreign_clients, "200.146.0.0/15", "BR"},
    {Pool::foreign_clients, "81.2.64.0/18", "GB"},
    {Pool::foreign_clients, "58.0.0.0/16", "GB"},
    {Pool::foreign_clients_v6, "2001:da8::/32", "CN"},
    {Pool::foreign_clients_v6, "2a01:e00::/26", "FR"},
    {Pool::foreign_servers, "104.16.0.0/14", "US"},
    {Pool::foreign_servers, "151.101.0.0/16", "US"},
    {Pool::foreign_servers, "13.32.0.0/11", "US"},
    {Pool::foreign_servers, "52.0.0.0/11", "US"},
    {Pool::foreign_servers, "17.0.0.0/10", "US"},
    {Pool::foreign_servers, "212.58.224.0/19", "GB"},
    {Pool::foreign_servers, "51.15.0.0/16", "FR"},
    {Pool::foreign_servers, "180.76.0.0/14", "CN"},
    {Pool::foreign_servers, "211.234.0.0/16", "KR"},
    {Pool::foreign_servers, "46.4.0.0/15", "DE"},
    {Pool::foreign_servers_v6, "2607:f8b0::/32", "US"},
    {Pool::foreign_servers_v6, "2a04:4e42::/32", "US"},
    {Pool::foreign_servers_v6, "2001:41d0::/32", "FR"},
    {Pool::foreign_resolvers, "8.8.0.0/15", "US"},
    {Pool::foreign_resolvers, "1.1.1.0/24", "US"},
    {Pool::foreign_resolvers, "9.9.9.0/24", "US"},
    {Pool::foreign_resolvers_v6, "2001:4860::/34", "US"},
    {Pool::foreign_hosting, "5.9.0.0/16", "DE"},  // Hetzner
    {Pool::foreign_hosting, "78.46.0.0/15", "DE"},
    {Pool::foreign_hosting, "176.9.0.0/16", "DE"},
    {Pool::foreign_hosting, "5.79.64.0/18", "NL"},  // LeaseWeb
    {Pool::foreign_hosting, "85.17.0.0/16", "NL"},
    {Pool::foreign_hosting, "95.163.0.0/17", "RU"},
    {Pool::foreign_hosting, "223.4.0.0/14", "CN"},   // Alibaba
    {Pool::foreign_hosting, "45.32.0.0/16", "US"},   // Vultr
    {Pool::foreign_hosting, "139.59.0.0/16", "US"},  // DigitalOcean
    {Pool::foreign_hosting, "163.172.0.0/20", "FR"},
    {Pool::foreign_hosting, "177.0.0.0/17", "BR"},
    {Pool::foreign_hosting_v6, "2a01:4f8::/31", "DE"},
    {Pool::foreign_hosting_v6, "2001:1af8::/32", "NL"},
    {Pool::foreign_hosting_v6, "2a00:1fa0::/30", "RU"},
};

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t state = a * 0x9e3779b97f4a7c15ULL ^ b;
  return splitmix64(state);
}

}  // namespace

std::span<const PoolRange> address_ranges() { return kRanges; }

AddressPlan::AddressPlan() {
  static_assert(std::size(kRanges) <= 96);
  std::size_t pool = 0;
  for (const auto& range : kRanges) {
    const auto prefix = Prefix::parse(range.prefix);
    assert(prefix.has_value());  // tests/synth/address_plan_test.cc checks the table
    if (!prefix) continue;
    const auto index = static_cast<std::size_t>(range.pool);
    assert(index + 1 >= pool);  // the table is sorted by pool
    while (pool <= index) pool_begin_[pool++] = count_;
    parsed_[count_++] = {range.pool, *prefix, range.country};
  }
  while (pool < pool_begin_.size()) pool_begin_[pool++] = count_;
  for (std::size_t i = 0; i < count_; ++i) {
    const Prefix& prefix = parsed_[i].prefix;
    const auto& b = prefix.address().bytes();
    if (prefix.address().is_v4()) {
      const std::uint64_t first = prefix.address().v4_value();
      const std::uint64_t size = std::uint64_t{1} << (32 - prefix.length());
      v4_.push_back({first, first + size - 1, parsed_[i].country});
    } else {
      assert(prefix.length() <= 64);
      std::uint64_t first = 0;
      for (int j = 0; j < 8; ++j) first = (first << 8) | b[static_cast<std::size_t>(j)];
      const std::uint64_t span =
          prefix.length() == 0 ? ~std::uint64_t{0} : (~std::uint64_t{0} >> prefix.length());
      v6_.push_back({first, first + span, parsed_[i].country});
    }
  }
  const auto by_start = [](const Interval& a, const Interval& b) { return a.first < b.first; };
  std::sort(v4_.begin(), v4_.end(), by_start);
  std::sort(v6_.begin(), v6_.end(), by_start);
}

std::string_view AddressPlan::find(const std::vector<Interval>& intervals, std::uint64_t key) {
  auto it = std::upper_bound(intervals.begin(), intervals.end(), key,
                             [](std::uint64_t k, const Interval& i) { return k < i.first; });
  if (it == intervals.begin()) return {};
  --it;
  return key <= it->last ? it->country : std::string_view{};
}

std::span<const AddressPlan::Parsed> AddressPlan::ranges_of(Pool pool) const {
  const auto index = static_cast<std::size_t>(pool);
  return {parsed_.data() + pool_begin_[index], pool_begin_[index + 1] - pool_begin_[index]};
}

IpAddress AddressPlan::host_in(const Prefix& prefix, std::uint64_t index, std::uint64_t salt) {
  auto bytes = prefix.address().bytes();
  const int family = prefix.address().family_bits();
  const int host_bits = family - prefix.length();
  std::uint64_t r = mix(index, salt);
  // Fill the host bits (at most the low 64) from r; IPv6 hosts keep the upper 64-bit
  // interface-id style (random), IPv4 keep their last octet in 1..254.
  const int fill = std::min(host_bits, 64);
  for (int bit = 0; bit < fill; bit += 8) {
    const int byte = 15 - bit / 8;
    const int width = std::min(8, fill - bit);
    const auto mask = static_cast<std::uint8_t>((1u << width) - 1);
    bytes[byte] = static_cast<std::uint8_t>((bytes[byte] & ~mask) | (r & mask));
    r >>= 8;
  }
  if (prefix.address().is_v4() && host_bits >= 8) {
    if (bytes[15] == 0 || bytes[15] == 255) bytes[15] = static_cast<std::uint8_t>(1 + index % 254);
  }
  if (!prefix.address().is_v4() && host_bits > 64) {
    // Keep IPv6 hosts inside a few /64s so that sites and subscribers look like real SLAAC.
    std::uint64_t r2 = mix(index / 4096, salt ^ 0x5555);
    for (int bit = 64; bit < std::min(host_bits, 96); bit += 8) {
      const int byte = 15 - bit / 8;
      const int width = std::min(8, host_bits - bit);
      const auto mask = static_cast<std::uint8_t>((1u << width) - 1);
      bytes[byte] = static_cast<std::uint8_t>((bytes[byte] & ~mask) | (r2 & mask));
      r2 >>= 8;
    }
  }
  return IpAddress::v6(bytes);
}

IpAddress AddressPlan::host(Pool pool, std::uint64_t index, std::uint64_t salt) const {
  const auto ranges = ranges_of(pool);
  assert(!ranges.empty());
  const auto& range = ranges[mix(index, salt ^ 0xa5a5) % ranges.size()];
  return host_in(range.prefix, index, salt ^ static_cast<std::uint64_t>(pool));
}

bool prefix_contains(const Prefix& prefix, const IpAddress& address) {
  if (prefix.address().is_v4() != address.is_v4()) return false;
  const int bits = prefix.length() + (address.is_v4() ? 96 : 0);
  const auto& a = address.bytes();
  const auto& p = prefix.address().bytes();
  const int whole = bits / 8;
  for (int i = 0; i < whole; ++i) {
    if (a[i] != p[i]) return false;
  }
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff00u >> (bits % 8));
  return (a[whole] & mask) == p[whole];
}

std::string_view AddressPlan::country_of(const IpAddress& address) const {
  if (address.is_v4()) return find(v4_, address.v4_value());
  std::uint64_t key = 0;
  for (int j = 0; j < 8; ++j) key = (key << 8) | address.bytes()[static_cast<std::size_t>(j)];
  return find(v6_, key);
}

bool AddressPlan::is_domestic(const IpAddress& address) const {
  const auto country = country_of(address);
  return country.empty() || country == "JP";
}

std::string_view category_name(bool initiator_domestic, bool responder_domestic) {
  if (initiator_domestic) return responder_domestic ? "DD" : "DF";
  return responder_domestic ? "FD" : "FF";
}

}  // namespace mamori::synth
