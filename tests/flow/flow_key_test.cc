#include "mamori/flow/flow_key.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <unordered_set>
#include <vector>

#include "flow_test_util.h"

namespace mamori::flow {
namespace {

using testing::ip;
using testing::ms;

IpAddress random_address(std::mt19937_64& rng, bool v6) {
  if (!v6) return IpAddress::v4(static_cast<std::uint32_t>(rng()));
  std::array<std::uint8_t, 16> bytes;
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
  bytes[0] = 0x20;  // global unicast, never the IPv4-mapped prefix
  return IpAddress::v6(bytes);
}

FlowKey random_key(std::mt19937_64& rng) {
  const bool v6 = rng() % 2 == 0;
  return {random_address(rng, v6), random_address(rng, v6), static_cast<std::uint16_t>(rng()),
          static_cast<std::uint16_t>(rng()), static_cast<std::uint8_t>(rng() % 3 == 0 ? 17 : 6)};
}

TEST(FlowKey, TcpAndUdpKeepTheirPorts) {
  const auto p = testing::tcp("192.0.2.1", 40000, "198.51.100.7", 443, ms(0));
  const FlowKey key = key_of(p);
  EXPECT_EQ(key.src, ip("192.0.2.1"));
  EXPECT_EQ(key.dst, ip("198.51.100.7"));
  EXPECT_EQ(key.src_port, 40000);
  EXPECT_EQ(key.dst_port, 443);
  EXPECT_EQ(key.protocol, decode::ip_protocol::tcp);
  EXPECT_EQ(key.reversed().reversed(), key);
  EXPECT_EQ(key.reversed().src_port, 443);
}

TEST(FlowKey, PacketsWithoutTransportHeaderAreKeyedByThreeTuple) {
  auto fragment = testing::udp("192.0.2.1", 5353, "198.51.100.7", 53, ms(0));
  fragment.has_transport = false;  // a non-first fragment: whatever ports say is not a port
  fragment.is_fragment = true;
  const FlowKey key = key_of(fragment);
  EXPECT_EQ(key.src_port, 0);
  EXPECT_EQ(key.dst_port, 0);
  EXPECT_EQ(key.protocol, decode::ip_protocol::udp);
}

// ICMP type/code values: RFC 792 (echo 8, echo reply 0; timestamp 13/14; destination
// unreachable 3) and RFC 4443 (ICMPv6 echo request 128, echo reply 129).
TEST(FlowKey, IcmpReplyIsKeyedAsTheReverseOfItsRequest) {
  const auto request =
      testing::packet(decode::ip_protocol::icmp, "192.0.2.1", 8, "198.51.100.7", 0, ms(0));
  const auto reply =
      testing::packet(decode::ip_protocol::icmp, "198.51.100.7", 0, "192.0.2.1", 0, ms(1));
  EXPECT_EQ(key_of(request).src_port, 8);
  EXPECT_EQ(key_of(request).dst_port, 0);
  EXPECT_EQ(key_of(reply), key_of(request).reversed());

  const auto ts_request =
      testing::packet(decode::ip_protocol::icmp, "192.0.2.1", 13, "198.51.100.7", 0, ms(0));
  const auto ts_reply =
      testing::packet(decode::ip_protocol::icmp, "198.51.100.7", 14, "192.0.2.1", 0, ms(0));
  EXPECT_EQ(key_of(ts_reply), key_of(ts_request).reversed());

  const auto v6_request =
      testing::packet(decode::ip_protocol::icmpv6, "2001:db8::1", 128, "2001:db8::2", 0, ms(0));
  const auto v6_reply =
      testing::packet(decode::ip_protocol::icmpv6, "2001:db8::2", 129, "2001:db8::1", 0, ms(0));
  EXPECT_EQ(key_of(v6_reply), key_of(v6_request).reversed());

  // Unpaired types (here: port unreachable) keep (type, code).
  const auto unreachable =
      testing::packet(decode::ip_protocol::icmp, "198.51.100.7", 3, "192.0.2.1", 3, ms(0));
  EXPECT_EQ(key_of(unreachable).src_port, 3);
  EXPECT_EQ(key_of(unreachable).dst_port, 3);
  // ICMPv4 type numbers mean nothing for ICMPv6 (0 is reserved there): not mapped.
  const auto v6_zero =
      testing::packet(decode::ip_protocol::icmpv6, "2001:db8::2", 0, "2001:db8::1", 0, ms(0));
  EXPECT_EQ(key_of(v6_zero).src_port, 0);
  EXPECT_EQ(key_of(v6_zero).dst_port, 0);
}

TEST(FlowHash, IsSymmetricForRandomAndEdgeKeys) {
  std::mt19937_64 rng(1);
  const FlowHasher hasher(0x1234);
  for (int i = 0; i < 20000; ++i) {
    const FlowKey key = random_key(rng);
    ASSERT_EQ(hasher(key), hasher(key.reversed())) << i;
  }
  // Same address both ends (only ports differ), same ports (only addresses differ), fully equal.
  const FlowKey same_address{ip("192.0.2.1"), ip("192.0.2.1"), 1000, 2000, 6};
  EXPECT_EQ(hasher(same_address), hasher(same_address.reversed()));
  const FlowKey same_ports{ip("2001:db8::1"), ip("2001:db8::2"), 53, 53, 17};
  EXPECT_EQ(hasher(same_ports), hasher(same_ports.reversed()));
  const FlowKey loop{ip("192.0.2.1"), ip("192.0.2.1"), 7, 7, 17};
  EXPECT_EQ(hasher(loop), hasher(loop.reversed()));
}

TEST(FlowHash, DistinguishesEveryFieldAndDependsOnTheSeed) {
  const FlowHasher hasher(7);
  const FlowKey base{ip("192.0.2.1"), ip("198.51.100.7"), 40000, 443, 6};
  std::unordered_set<std::uint64_t> seen{hasher(base)};
  FlowKey k = base;
  k.src = ip("192.0.2.2");
  EXPECT_TRUE(seen.insert(hasher(k)).second);
  k = base;
  k.dst = ip("198.51.100.8");
  EXPECT_TRUE(seen.insert(hasher(k)).second);
  k = base;
  k.src_port = 40001;
  EXPECT_TRUE(seen.insert(hasher(k)).second);
  k = base;
  k.dst_port = 444;
  EXPECT_TRUE(seen.insert(hasher(k)).second);
  k = base;
  k.protocol = 17;
  EXPECT_TRUE(seen.insert(hasher(k)).second);
  k = base;
  k.src_port = 443;  // swapping only the ports is a different flow
  k.dst_port = 40000;
  EXPECT_TRUE(seen.insert(hasher(k)).second);
  EXPECT_NE(FlowHasher(8)(base), hasher(base));
}

TEST(FlowHash, NoCollisionsAmongRandomKeys) {
  std::mt19937_64 rng(2);
  const FlowHasher hasher(99);
  std::unordered_set<std::uint64_t> seen;
  for (int i = 0; i < 200000; ++i) {
    FlowKey key = random_key(rng);
    if (!source_is_canonical_first(key)) key = key.reversed();  // one orientation per flow
    seen.insert(hasher(key));
  }
  EXPECT_EQ(seen.size(), 200000u);
}

// Structured traffic (one client, sequential ports; one /16 scanning one port) must spread over
// the index chunks (high half) and the tags / verdict memory slots (low half) evenly.
TEST(FlowHash, SpreadsSequentialKeysEvenly) {
  const FlowHasher hasher(3);
  constexpr int kBins = 256;
  constexpr int kKeys = 65536;
  for (int pattern = 0; pattern < 2; ++pattern) {
    std::array<int, kBins> high{};
    std::array<int, kBins> low{};
    for (int i = 0; i < kKeys; ++i) {
      FlowKey key{ip("192.0.2.1"), ip("198.51.100.7"), static_cast<std::uint16_t>(i), 443, 6};
      if (pattern == 1) {
        key = {IpAddress::v4(0x0a000000u + static_cast<std::uint32_t>(i)), ip("198.51.100.7"),
               50000, 22, 6};
      }
      const std::uint64_t h = hasher(key);
      ++high[(h >> 32) * kBins >> 32];
      ++low[h % kBins];
    }
    const auto [high_min, high_max] = std::minmax_element(high.begin(), high.end());
    const auto [low_min, low_max] = std::minmax_element(low.begin(), low.end());
    // Mean 256 per bin; a uniform hash stays well within ±25% (about 4 standard deviations).
    EXPECT_GT(*high_min, 192) << pattern;
    EXPECT_LT(*high_max, 320) << pattern;
    EXPECT_GT(*low_min, 192) << pattern;
    EXPECT_LT(*low_max, 320) << pattern;
  }
}

}  // namespace
}  // namespace mamori::flow
