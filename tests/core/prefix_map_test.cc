#include "mamori/core/prefix_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <unordered_map>
#include <vector>

namespace mamori {
namespace {

// The reference: every inserted prefix in an ordered map per (family, length), and a lookup
// that masks the address to each length from the longest down. Slow and obviously right.
class NaiveMap {
 public:
  void insert(const Prefix& prefix, std::uint32_t value) {
    auto& slot = by_length_[{prefix.address().is_v4(), prefix.length()}];
    count_ += slot.count(prefix.address().bytes()) == 0;
    slot[prefix.address().bytes()] = value;
  }
  std::uint32_t lookup(const IpAddress& address) const {
    const bool v4 = address.is_v4();
    for (auto it = by_length_.rbegin(); it != by_length_.rend(); ++it) {
      if (it->first.first != v4) continue;
      const auto found = it->second.find(mask(address, it->first.second));
      if (found != it->second.end()) return found->second;
    }
    return PrefixMap::kNoValue;
  }
  std::size_t size() const { return count_; }

 private:
  static std::array<std::uint8_t, 16> mask(const IpAddress& address, int length) {
    auto bytes = address.bytes();
    const int first_bit = 128 - address.family_bits() + length;
    for (int i = 0; i < 16; ++i) {
      const int keep = std::clamp(first_bit - 8 * i, 0, 8);
      bytes[i] &= static_cast<std::uint8_t>(0xff00u >> keep);
    }
    return bytes;
  }

  struct BytesHash {
    std::size_t operator()(const std::array<std::uint8_t, 16>& bytes) const {
      std::uint64_t hash = 1469598103934665603ull;  // FNV-1a
      for (const auto byte : bytes) hash = (hash ^ byte) * 1099511628211ull;
      return static_cast<std::size_t>(hash);
    }
  };
  std::map<std::pair<bool, int>,
           std::unordered_map<std::array<std::uint8_t, 16>, std::uint32_t, BytesHash>>
      by_length_;
  std::size_t count_ = 0;
};

Prefix parse_prefix(std::string_view text) {
  auto prefix = Prefix::parse(text);
  EXPECT_TRUE(prefix.has_value()) << text;
  return *prefix;
}

IpAddress parse_address(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return *address;
}

IpAddress random_v6(std::mt19937_64& rng) {
  std::array<std::uint8_t, 16> bytes;
  const std::uint64_t high = rng();
  const std::uint64_t low = rng();
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<std::uint8_t>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<std::uint8_t>(low >> (56 - 8 * i));
  }
  // Keep clear of ::ffff:0:0/96, which IpAddress treats as IPv4.
  if (bytes[0] == 0) bytes[0] = 0x20;
  return IpAddress::v6(bytes);
}

// Addresses at and around the edges of a prefix: where an implementation goes wrong.
void add_edges(const Prefix& prefix, std::vector<IpAddress>& out) {
  auto bytes = prefix.address().bytes();
  const int width = prefix.address().family_bits();
  const int offset = 128 - width;
  auto last = bytes;
  for (int bit = offset + prefix.length(); bit < 128; ++bit) {
    last[bit / 8] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
  }
  auto step = [](std::array<std::uint8_t, 16> b, int delta, int first_byte) {
    for (int i = 15; i >= first_byte; --i) {
      const int v = b[i] + delta;
      b[i] = static_cast<std::uint8_t>(v);
      if (v >= 0 && v <= 255) break;
    }
    return b;
  };
  const int first = width == 32 ? 12 : 0;
  for (const auto& b : {bytes, last, step(bytes, -1, first), step(last, 1, first)}) {
    const auto address =
        width == 32 ? IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(b.data() + 12, 4))
                    : IpAddress::v6(b);
    if (address.family_bits() == width) out.push_back(address);
  }
}

// Random prefixes around a few hot spots, so that they nest, overlap and repeat.
struct RandomSet {
  std::vector<std::pair<Prefix, std::uint32_t>> inserts;
  std::vector<IpAddress> probes;
};

RandomSet make_random_set(std::uint64_t seed, std::size_t count, bool v6, std::uint32_t values) {
  std::mt19937_64 rng(seed);
  RandomSet set;
  const int width = v6 ? 128 : 32;
  std::vector<IpAddress> hot;
  for (int i = 0; i < 16; ++i) {
    hot.push_back(v6 ? random_v6(rng) : IpAddress::v4(static_cast<std::uint32_t>(rng())));
  }
  for (std::size_t i = 0; i < count; ++i) {
    IpAddress base = (rng() % 4 == 0)
                         ? (v6 ? random_v6(rng) : IpAddress::v4(static_cast<std::uint32_t>(rng())))
                         : hot[rng() % hot.size()];
    if (rng() % 2 == 0) {
      // Perturb low bits so that siblings appear under the hot spot.
      auto bytes = base.bytes();
      bytes[15] ^= static_cast<std::uint8_t>(rng());
      bytes[14] ^= static_cast<std::uint8_t>(rng() % 4);
      base = v6 ? IpAddress::v6(bytes)
                : IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(bytes.data() + 12, 4));
    }
    int length;
    switch (rng() % 8) {
      case 0:
        length = static_cast<int>(rng() % (width + 1));
        break;
      case 1:
        length = width;
        break;
      case 2:
        length = width - static_cast<int>(rng() % 8);
        break;
      default:
        length = v6 ? 16 + static_cast<int>(rng() % 49) : 8 + static_cast<int>(rng() % 17);
    }
    const Prefix prefix(base, length);
    set.inserts.emplace_back(prefix, static_cast<std::uint32_t>(rng() % values));
    add_edges(prefix, set.probes);
  }
  set.inserts.emplace_back(Prefix(hot[0], 0), 7);  // a default route
  // Some prefixes again with new values: later inserts replace earlier ones.
  for (std::size_t i = 0; i < count / 10; ++i) {
    auto redo = set.inserts[rng() % set.inserts.size()];
    redo.second = static_cast<std::uint32_t>(rng() % values);
    set.inserts.push_back(redo);
  }
  // A sample of the edges keeps big sets fast under the sanitizers; a sample still hits every
  // kind of node many times over.
  constexpr std::size_t kMaxEdges = 5000;
  if (set.probes.size() > kMaxEdges) {
    std::shuffle(set.probes.begin(), set.probes.end(), rng);
    set.probes.resize(kMaxEdges);
  }
  for (std::size_t i = 0; i < 1500; ++i) {
    set.probes.push_back(v6 ? random_v6(rng) : IpAddress::v4(static_cast<std::uint32_t>(rng())));
  }
  for (const auto& h : hot) set.probes.push_back(h);
  return set;
}

void check_against_reference(const RandomSet& set) {
  PrefixMap::Builder builder;
  NaiveMap naive;
  for (const auto& [prefix, value] : set.inserts) {
    builder.insert(prefix, value);
    naive.insert(prefix, value);
  }
  const PrefixMap map = std::move(builder).build();
  EXPECT_EQ(map.prefix_count(), naive.size());
  std::size_t mismatches = 0;
  for (const auto& address : set.probes) {
    const std::uint32_t expected = naive.lookup(address);
    const std::uint32_t got = map.lookup(address);
    if (got != expected && ++mismatches <= 5) {
      ADD_FAILURE() << address.to_string() << ": got " << got << ", expected " << expected;
    }
    if (address.is_v4()) {
      EXPECT_EQ(map.lookup_v4(address.v4_value()), got);
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(PrefixMap, EmptyMapFindsNothing) {
  const PrefixMap empty;
  EXPECT_EQ(empty.lookup(parse_address("192.0.2.1")), PrefixMap::kNoValue);
  EXPECT_EQ(empty.lookup(parse_address("2001:db8::1")), PrefixMap::kNoValue);
  EXPECT_EQ(empty.lookup_v4(0), PrefixMap::kNoValue);
  EXPECT_EQ(empty.prefix_count(), 0u);
  const PrefixMap built = PrefixMap::Builder{}.build();
  EXPECT_EQ(built.lookup_v4(0xffffffffu), PrefixMap::kNoValue);
  EXPECT_EQ(built.lookup(parse_address("::")), PrefixMap::kNoValue);
}

TEST(PrefixMap, LongestPrefixWins) {
  PrefixMap::Builder builder;
  builder.insert(parse_prefix("10.0.0.0/8"), 1);
  builder.insert(parse_prefix("10.1.0.0/16"), 2);
  builder.insert(parse_prefix("10.1.2.0/24"), 3);
  builder.insert(parse_prefix("10.1.2.3"), 4);
  builder.insert(parse_prefix("2001:db8::/32"), 5);
  builder.insert(parse_prefix("2001:db8:1::/48"), 6);
  builder.insert(parse_prefix("2001:db8:1::1/128"), 7);
  const PrefixMap map = std::move(builder).build();
  EXPECT_EQ(map.lookup(parse_address("10.200.0.1")), 1u);
  EXPECT_EQ(map.lookup(parse_address("10.1.200.1")), 2u);
  EXPECT_EQ(map.lookup(parse_address("10.1.2.4")), 3u);
  EXPECT_EQ(map.lookup(parse_address("10.1.2.3")), 4u);
  EXPECT_EQ(map.lookup(parse_address("11.0.0.0")), PrefixMap::kNoValue);
  EXPECT_EQ(map.lookup(parse_address("9.255.255.255")), PrefixMap::kNoValue);
  EXPECT_EQ(map.lookup(parse_address("2001:db8:2::1")), 5u);
  EXPECT_EQ(map.lookup(parse_address("2001:db8:1::2")), 6u);
  EXPECT_EQ(map.lookup(parse_address("2001:db8:1::1")), 7u);
  EXPECT_EQ(map.lookup(parse_address("2001:db9::")), PrefixMap::kNoValue);
  EXPECT_EQ(map.prefix_count(), 7u);
  EXPECT_GT(map.memory_bytes(), 0u);
}

TEST(PrefixMap, DefaultRoutesStayInTheirFamily) {
  PrefixMap::Builder builder;
  builder.insert(parse_prefix("0.0.0.0/0"), 4);
  builder.insert(parse_prefix("::/0"), 6);
  const PrefixMap map = std::move(builder).build();
  EXPECT_EQ(map.lookup(parse_address("0.0.0.0")), 4u);
  EXPECT_EQ(map.lookup(parse_address("255.255.255.255")), 4u);
  EXPECT_EQ(map.lookup(parse_address("::ffff:1.2.3.4")), 4u);  // IPv4-mapped is IPv4
  EXPECT_EQ(map.lookup(parse_address("::")), 6u);
  EXPECT_EQ(map.lookup(parse_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), 6u);

  PrefixMap::Builder only_v6;
  only_v6.insert(parse_prefix("::/0"), 6);
  const PrefixMap v6_map = std::move(only_v6).build();
  EXPECT_EQ(v6_map.lookup(parse_address("1.2.3.4")), PrefixMap::kNoValue);
  EXPECT_EQ(v6_map.lookup_v4(0x01020304), PrefixMap::kNoValue);
}

TEST(PrefixMap, HostRoutesAtTheEndsOfTheSpace) {
  PrefixMap::Builder builder;
  builder.insert(parse_prefix("0.0.0.0/32"), 1);
  builder.insert(parse_prefix("255.255.255.255/32"), 2);
  builder.insert(parse_prefix("::/128"), 3);
  builder.insert(parse_prefix("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), 4);
  const PrefixMap map = std::move(builder).build();
  EXPECT_EQ(map.lookup_v4(0), 1u);
  EXPECT_EQ(map.lookup_v4(1), PrefixMap::kNoValue);
  EXPECT_EQ(map.lookup_v4(0xffffffffu), 2u);
  EXPECT_EQ(map.lookup_v4(0xfffffffeu), PrefixMap::kNoValue);
  EXPECT_EQ(map.lookup(parse_address("::")), 3u);
  EXPECT_EQ(map.lookup(parse_address("::1")), PrefixMap::kNoValue);
  EXPECT_EQ(map.lookup(parse_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), 4u);
  EXPECT_EQ(map.lookup(parse_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")),
            PrefixMap::kNoValue);
}

TEST(PrefixMap, LaterInsertReplacesEarlier) {
  PrefixMap::Builder builder;
  builder.insert(parse_prefix("198.51.100.0/24"), 1);
  builder.insert(parse_prefix("198.51.100.0/25"), 2);
  builder.insert(parse_prefix("198.51.100.0/24"), 3);
  builder.insert(parse_prefix("2001:db8::/32"), 4);
  builder.insert(parse_prefix("2001:db8::/32"), 5);
  EXPECT_EQ(builder.size(), 5u);
  const PrefixMap map = std::move(builder).build();
  EXPECT_EQ(map.lookup(parse_address("198.51.100.200")), 3u);
  EXPECT_EQ(map.lookup(parse_address("198.51.100.1")), 2u);
  EXPECT_EQ(map.lookup(parse_address("2001:db8::1")), 5u);
  EXPECT_EQ(map.prefix_count(), 3u);
}

TEST(PrefixMap, ValuesUpToTheLargestAllowed) {
  PrefixMap::Builder builder;
  builder.insert(parse_prefix("203.0.113.0/24"), 0xfffffffeu);
  builder.insert(parse_prefix("203.0.113.128/25"), 0);
  builder.insert(parse_prefix("2001:db8::/32"), 0x80000000u);
  const PrefixMap map = std::move(builder).build();
  EXPECT_EQ(map.lookup(parse_address("203.0.113.1")), 0xfffffffeu);
  EXPECT_EQ(map.lookup(parse_address("203.0.113.129")), 0u);
  EXPECT_EQ(map.lookup(parse_address("2001:db8::")), 0x80000000u);
}

TEST(PrefixMap, MovedMapKeepsItsContents) {
  PrefixMap::Builder builder;
  builder.insert(parse_prefix("192.0.2.0/24"), 9);
  PrefixMap first = std::move(builder).build();
  PrefixMap second = std::move(first);
  EXPECT_EQ(second.lookup(parse_address("192.0.2.7")), 9u);
  PrefixMap third;
  third = std::move(second);
  EXPECT_EQ(third.lookup(parse_address("192.0.2.7")), 9u);
}

TEST(PrefixMap, MatchesReferenceOnRandomIpv4Sets) {
  const std::size_t sizes[] = {1, 10, 300, 5000, 40000};
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    for (const std::size_t size : sizes) {
      SCOPED_TRACE(testing::Message() << "seed " << seed << ", size " << size);
      check_against_reference(make_random_set(seed * 1000 + size, size, false, 1 + seed * 5));
      check_against_reference(make_random_set(seed * 7 + size, size, false, 1u << 31));
    }
  }
}

TEST(PrefixMap, MatchesReferenceOnRandomIpv6Sets) {
  const std::size_t sizes[] = {1, 10, 300, 3000, 15000};
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    for (const std::size_t size : sizes) {
      SCOPED_TRACE(testing::Message() << "seed " << seed << ", size " << size);
      check_against_reference(make_random_set(seed * 1000 + size, size, true, 3));
      check_against_reference(make_random_set(seed * 7 + size, size, true, 1u << 31));
    }
  }
}

TEST(PrefixMap, MatchesReferenceOnMixedFamilies) {
  RandomSet set = make_random_set(42, 3000, false, 100);
  const RandomSet v6 = make_random_set(43, 3000, true, 100);
  set.inserts.insert(set.inserts.end(), v6.inserts.begin(), v6.inserts.end());
  set.probes.insert(set.probes.end(), v6.probes.begin(), v6.probes.end());
  check_against_reference(set);
}

// Every prefix length in one chain: each step down the chain must see its own value.
TEST(PrefixMap, EveryLengthNested) {
  PrefixMap::Builder builder;
  NaiveMap naive;
  const auto v4 = parse_address("203.0.113.77");
  const auto v6 = parse_address("2001:db8:85a3:8d3:1319:8a2e:370:7348");
  for (int length = 0; length <= 128; ++length) {
    if (length <= 32) {
      builder.insert(Prefix(v4, length), static_cast<std::uint32_t>(length));
      naive.insert(Prefix(v4, length), static_cast<std::uint32_t>(length));
    }
    builder.insert(Prefix(v6, length), static_cast<std::uint32_t>(1000 + length));
    naive.insert(Prefix(v6, length), static_cast<std::uint32_t>(1000 + length));
  }
  const PrefixMap map = std::move(builder).build();
  std::vector<IpAddress> probes;
  for (int length = 0; length <= 128; ++length) {
    if (length <= 32) add_edges(Prefix(v4, length), probes);
    add_edges(Prefix(v6, length), probes);
  }
  for (const auto& address : probes) {
    EXPECT_EQ(map.lookup(address), naive.lookup(address)) << address.to_string();
  }
  EXPECT_EQ(map.lookup(v4), 32u);
  EXPECT_EQ(map.lookup(v6), 1128u);
}

}  // namespace
}  // namespace mamori
