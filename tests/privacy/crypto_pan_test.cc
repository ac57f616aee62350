// Crypto-PAn against the reference implementation's published sample, and its properties
// (round trip, exact prefix preservation, family preservation) on random addresses.

#include "mamori/privacy/crypto_pan.h"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace mamori::privacy {
namespace {

// The sample key of the Crypto-PAn reference distribution (Jinliang Fan's "panonymizer",
// sample.cpp), and address pairs from its sample_trace_raw.txt / sample_trace_sanitized.txt.
// Cross-checked against the same pairs as reproduced in several independent implementations'
// test suites (e.g. Yawning Angel's Go "cryptopan" cryptopan_test.go, noinkling/node-cryptopan
// test_data.ts). The issue text quoted seven of these pairs differently (the six 24.x.x.x
// addresses and 205.245.121.43); those values agree with no published source, so the
// published ones are used.
constexpr std::array<std::uint8_t, 32> kReferenceKey = {
    21,  34,  23,  141, 51,  164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
    216, 152, 143, 131, 121, 121, 101, 39,  98, 87, 76, 45, 42, 132, 34,  2};

const std::vector<std::pair<std::string, std::string>> kReferenceVectors = {
    {"128.11.68.132", "135.242.180.132"},   {"129.118.74.4", "134.136.186.123"},
    {"130.132.252.244", "133.68.164.234"},  {"141.223.7.43", "141.167.8.160"},
    {"141.233.145.108", "141.129.237.235"}, {"152.163.225.39", "151.140.114.167"},
    {"156.29.3.236", "147.225.12.42"},      {"165.247.96.84", "162.9.99.234"},
    {"166.107.77.190", "160.132.178.185"},  {"192.102.249.13", "252.138.62.131"},
    {"192.215.32.125", "252.43.47.189"},    {"192.233.80.103", "252.25.108.8"},
    {"192.41.57.43", "252.222.221.184"},    {"193.150.244.223", "253.169.52.216"},
    {"195.205.63.100", "255.186.223.5"},    {"198.200.171.101", "249.199.68.213"},
    {"198.26.132.101", "249.36.123.202"},   {"198.36.213.5", "249.7.21.132"},
    {"198.51.77.238", "249.18.186.254"},    {"199.217.79.101", "248.38.184.213"},
    {"202.49.198.20", "245.206.7.234"},     {"203.12.160.252", "244.248.163.4"},
    {"204.184.162.189", "243.192.77.90"},   {"204.202.136.230", "243.178.4.198"},
    {"204.29.20.4", "243.33.20.123"},       {"205.178.38.67", "242.108.198.51"},
    {"205.188.147.153", "242.96.16.101"},   {"205.188.248.25", "242.96.88.27"},
    {"205.245.121.43", "242.21.121.163"},   {"207.105.49.5", "241.118.205.138"},
    {"207.135.65.238", "241.202.129.222"},  {"207.155.9.214", "241.220.250.22"},
    {"207.188.7.45", "241.255.249.220"},    {"207.25.71.27", "241.33.119.156"},
    {"207.33.151.131", "241.1.233.131"},    {"208.147.89.59", "227.237.98.191"},
    {"208.234.120.210", "227.154.67.17"},   {"208.28.185.184", "227.39.94.90"},
    {"208.52.56.122", "227.8.63.165"},      {"209.12.231.7", "226.243.167.8"},
    {"209.238.72.3", "226.6.119.243"},      {"209.246.74.109", "226.22.124.76"},
    {"209.68.60.238", "226.184.220.233"},   {"209.85.249.6", "226.170.70.6"},
    {"212.120.124.31", "228.135.163.231"},  {"212.146.8.236", "228.19.4.234"},
    {"212.186.227.154", "228.59.98.98"},    {"212.204.172.118", "228.71.195.169"},
    {"212.206.130.201", "228.69.242.193"},  {"216.148.237.145", "235.84.194.111"},
    {"216.157.30.252", "235.89.31.26"},     {"216.184.159.48", "235.96.225.78"},
    {"216.227.10.221", "235.28.253.36"},    {"216.254.18.172", "235.7.16.162"},
    {"216.32.132.250", "235.192.139.38"},   {"216.35.217.178", "235.195.157.81"},
    {"24.0.250.221", "100.15.198.226"},     {"24.13.62.231", "100.2.192.247"},
    {"24.14.213.138", "100.1.42.141"},      {"24.5.0.80", "100.9.15.210"},
    {"24.7.198.88", "100.10.6.25"},         {"24.94.26.44", "100.88.228.35"},
    {"38.15.67.68", "64.3.66.187"},         {"4.3.88.225", "124.60.155.63"},
    {"63.14.55.111", "95.9.215.7"},         {"63.195.241.44", "95.179.238.44"},
    {"63.97.7.140", "95.97.9.123"},         {"64.14.118.196", "0.255.183.58"},
    {"64.34.154.117", "0.221.154.117"},     {"64.39.15.238", "0.219.7.41"},
    {"10.185.25.118", "117.161.29.118"},
};

// The reference implementation is IPv4-only. These IPv6 pairs for the same key come from the
// widely shared 128-bit extension (the same pairs appear in the Go "cryptopan" package by
// Yawning Angel and in node-cryptopan's test data); they pin our bit order and pad use.
const std::vector<std::pair<std::string, std::string>> kIpv6Vectors = {
    {"::1", "78ff:f001:9fc0:20df:8380:b1f1:704:ed"},
    {"::2", "78ff:f001:9fc0:20df:8380:b1f1:704:ef"},
    {"::ffff", "78ff:f001:9fc0:20df:8380:b1f1:704:f838"},
    {"2001:db8::1", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e"},
    {"2001:db8::2", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c"},
};

CryptoPan make_pan(const std::array<std::uint8_t, 32>& key) {
  auto pan = CryptoPan::create(key);
  EXPECT_TRUE(pan.has_value());
  return std::move(*pan);
}

IpAddress parse(const std::string& text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

std::array<std::uint8_t, 32> random_key(std::mt19937_64& random) {
  std::array<std::uint8_t, 32> key{};
  for (auto& byte : key) byte = static_cast<std::uint8_t>(random());
  return key;
}

Ipv6Bytes random_v6(std::mt19937_64& random) {
  Ipv6Bytes bytes{};
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
  return bytes;
}

int common_prefix_v4(std::uint32_t a, std::uint32_t b) { return std::countl_zero(a ^ b); }

int common_prefix_v6(const Ipv6Bytes& a, const Ipv6Bytes& b) {
  for (int i = 0; i < 16; ++i) {
    const auto diff = static_cast<std::uint8_t>(a[i] ^ b[i]);
    if (diff != 0) return 8 * i + std::countl_zero(diff);
  }
  return 128;
}

// A random address sharing exactly `k` leading bits with `a` (k < 128): bit k flipped.
Ipv6Bytes share_exactly_v6(const Ipv6Bytes& a, int k, std::mt19937_64& random) {
  Ipv6Bytes b = random_v6(random);
  for (int i = 0; i < k; ++i) {
    const auto bit = static_cast<std::uint8_t>(0x80 >> (i % 8));
    b[i / 8] = static_cast<std::uint8_t>((b[i / 8] & ~bit) | (a[i / 8] & bit));
  }
  const auto bit = static_cast<std::uint8_t>(0x80 >> (k % 8));
  b[k / 8] = static_cast<std::uint8_t>((b[k / 8] & ~bit) | (~a[k / 8] & bit));
  return b;
}

TEST(CryptoPan, Invariant_I5_ReferenceVectorsIPv4) {
  CryptoPan pan = make_pan(kReferenceKey);
  for (const auto& [original, expected] : kReferenceVectors) {
    EXPECT_EQ(pan.anonymize(parse(original)).to_string(), expected) << original;
    EXPECT_EQ(pan.anonymize_v4(parse(original).v4_value()), parse(expected).v4_value()) << original;
  }
}

TEST(CryptoPan, Invariant_I5_CrossImplementationVectorsIPv6) {
  CryptoPan pan = make_pan(kReferenceKey);
  for (const auto& [original, expected] : kIpv6Vectors) {
    EXPECT_EQ(pan.anonymize(parse(original)).to_string(), parse(expected).to_string()) << original;
  }
}

TEST(CryptoPan, Invariant_I5_ReferenceVectorsRoundTrip) {
  CryptoPan pan = make_pan(kReferenceKey);
  for (const auto& [original, expected] : kReferenceVectors) {
    EXPECT_EQ(pan.deanonymize(parse(expected)), parse(original)) << expected;
  }
  for (const auto& [original, expected] : kIpv6Vectors) {
    EXPECT_EQ(pan.deanonymize(parse(expected)), parse(original)) << expected;
  }
}

TEST(CryptoPan, Invariant_I5_RoundTripRandomIPv4) {
  std::mt19937_64 random(0x5eed0001);
  CryptoPan pan = make_pan(random_key(random));
  int changed = 0;
  for (int i = 0; i < 5000; ++i) {
    const auto address = static_cast<std::uint32_t>(random());
    const std::uint32_t pseudonym = pan.anonymize_v4(address);
    changed += pseudonym != address;
    ASSERT_EQ(pan.deanonymize_v4(pseudonym), address) << address;
  }
  EXPECT_GT(changed, 4900);  // the transform is not the identity
  for (const std::uint32_t edge : {0u, 1u, 0x7fffffffu, 0x80000000u, 0xffffffffu}) {
    EXPECT_EQ(pan.deanonymize_v4(pan.anonymize_v4(edge)), edge);
  }
}

TEST(CryptoPan, Invariant_I5_RoundTripRandomIPv6) {
  std::mt19937_64 random(0x5eed0002);
  CryptoPan pan = make_pan(random_key(random));
  for (int i = 0; i < 1000; ++i) {
    const Ipv6Bytes address = random_v6(random);
    const Ipv6Bytes pseudonym = pan.anonymize_v6(address);
    ASSERT_NE(pseudonym, address);
    ASSERT_EQ(pan.deanonymize_v6(pseudonym), address);
  }
  const Ipv6Bytes zero{};
  EXPECT_EQ(pan.deanonymize_v6(pan.anonymize_v6(zero)), zero);
}

TEST(CryptoPan, Invariant_I5_PrefixPreservedExactlyIPv4) {
  std::mt19937_64 random(0x5eed0003);
  CryptoPan pan = make_pan(random_key(random));
  for (int k = 0; k <= 32; ++k) {
    for (int n = 0; n < 300; ++n) {
      const auto a = static_cast<std::uint32_t>(random());
      std::uint32_t b = a;
      if (k < 32) {
        const std::uint32_t keep = k == 0 ? 0 : ~0u << (32 - k);
        const std::uint32_t flip = 0x80000000u >> k;
        b = (a & keep) | (~a & flip) | (static_cast<std::uint32_t>(random()) & ~keep & ~flip);
      }
      ASSERT_EQ(common_prefix_v4(a, b), k);
      ASSERT_EQ(common_prefix_v4(pan.anonymize_v4(a), pan.anonymize_v4(b)), k)
          << "k=" << k << " a=" << a << " b=" << b;
    }
  }
}

TEST(CryptoPan, Invariant_I5_PrefixPreservedExactlyIPv6) {
  std::mt19937_64 random(0x5eed0004);
  CryptoPan pan = make_pan(random_key(random));
  for (int k = 0; k < 128; ++k) {
    for (int n = 0; n < 40; ++n) {
      const Ipv6Bytes a = random_v6(random);
      const Ipv6Bytes b = share_exactly_v6(a, k, random);
      ASSERT_EQ(common_prefix_v6(a, b), k);
      ASSERT_EQ(common_prefix_v6(pan.anonymize_v6(a), pan.anonymize_v6(b)), k) << "k=" << k;
    }
  }
  const Ipv6Bytes a = random_v6(random);
  EXPECT_EQ(pan.anonymize_v6(a), pan.anonymize_v6(a));
}

TEST(CryptoPan, Invariant_I5_FamilyPreserved) {
  std::mt19937_64 random(0x5eed0005);
  CryptoPan pan = make_pan(random_key(random));
  for (int i = 0; i < 1000; ++i) {
    const IpAddress v4 = IpAddress::v4(static_cast<std::uint32_t>(random()));
    const IpAddress v4_pseudonym = pan.anonymize(v4);
    ASSERT_TRUE(v4_pseudonym.is_v4());
    // The 32-bit construction, not the 128-bit one applied to ::ffff:a.b.c.d.
    ASSERT_EQ(v4_pseudonym.v4_value(), pan.anonymize_v4(v4.v4_value()));
    Ipv6Bytes bytes = random_v6(random);
    bytes[0] = 0x20;  // keep it clear of ::ffff:0:0/96
    const IpAddress v6 = IpAddress::v6(bytes);
    const IpAddress v6_pseudonym = pan.anonymize(v6);
    ASSERT_FALSE(v6_pseudonym.is_v4());
    ASSERT_EQ(v6_pseudonym.bytes(), pan.anonymize_v6(bytes));
    ASSERT_EQ(pan.deanonymize(v6_pseudonym), v6);
    ASSERT_EQ(pan.deanonymize(v4_pseudonym), v4);
  }
}

TEST(CryptoPan, Invariant_I5_DifferentKeysDifferentPseudonyms) {
  std::mt19937_64 random(0x5eed0006);
  CryptoPan first = make_pan(random_key(random));
  CryptoPan second = make_pan(random_key(random));
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto address = static_cast<std::uint32_t>(random());
    same += first.anonymize_v4(address) == second.anonymize_v4(address);
  }
  EXPECT_LT(same, 5);
}

TEST(CryptoPan, MovedObjectKeepsWorking) {
  CryptoPan pan = make_pan(kReferenceKey);
  CryptoPan moved = std::move(pan);
  EXPECT_EQ(moved.anonymize(parse("128.11.68.132")).to_string(), "135.242.180.132");
  CryptoPan other = make_pan(std::array<std::uint8_t, 32>{});
  other = std::move(moved);
  EXPECT_EQ(other.anonymize(parse("24.5.0.80")).to_string(), "100.9.15.210");
}

}  // namespace
}  // namespace mamori::privacy
