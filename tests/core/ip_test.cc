#include "mamori/core/ip.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace mamori {
namespace {

IpAddress address(std::string_view text) {
  const auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

Prefix prefix(std::string_view text) {
  const auto parsed = Prefix::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << (parsed ? "" : parsed.error().message);
  return parsed.value_or(Prefix{});
}

std::string parse_error(std::string_view text) {
  const auto parsed = Prefix::parse(text);
  EXPECT_FALSE(parsed.has_value()) << text;
  return parsed ? std::string{} : parsed.error().message;
}

TEST(IpAddress, ParsesAndFormatsIpv4) {
  const auto ip = address("192.0.2.33");
  EXPECT_TRUE(ip.is_v4());
  EXPECT_EQ(ip.v4_value(), 0xc0000221u);
  EXPECT_EQ(ip.family_bits(), 32);
  EXPECT_EQ(ip.to_string(), "192.0.2.33");
  EXPECT_EQ(address("0.0.0.0").to_string(), "0.0.0.0");
  EXPECT_EQ(address("255.255.255.255").v4_value(), 0xffffffffu);
}

TEST(IpAddress, Ipv4IsHeldAsMappedIpv6) {
  const auto ip = IpAddress::v4(0x01020304);
  const std::array<std::uint8_t, 16> mapped = {0, 0, 0,    0,    0, 0, 0, 0,
                                               0, 0, 0xff, 0xff, 1, 2, 3, 4};
  EXPECT_EQ(ip.bytes(), mapped);
  const std::array<std::uint8_t, 4> network_order = {1, 2, 3, 4};
  EXPECT_EQ(IpAddress::v4_bytes(network_order), ip);
  EXPECT_EQ(IpAddress::v6(mapped), ip);
  EXPECT_TRUE(IpAddress::v6(mapped).is_v4());
}

TEST(IpAddress, ParsesAndFormatsIpv6) {
  const auto ip = address("2001:DB8:0:0:8:800:200C:417A");
  EXPECT_FALSE(ip.is_v4());
  EXPECT_EQ(ip.family_bits(), 128);
  EXPECT_EQ(ip.bytes()[0], 0x20);
  EXPECT_EQ(ip.bytes()[15], 0x7a);
  // RFC 5952 canonical text: lower case, longest zero run compressed.
  EXPECT_EQ(ip.to_string(), "2001:db8::8:800:200c:417a");
  EXPECT_EQ(address("::").to_string(), "::");
  EXPECT_EQ(address("::1").to_string(), "::1");
  EXPECT_EQ(address("fe80::1:0:0:1").to_string(), "fe80::1:0:0:1");
  EXPECT_EQ(address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").to_string(),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

TEST(IpAddress, MappedTextBecomesIpv4) {
  const auto ip = address("::ffff:198.51.100.7");
  EXPECT_TRUE(ip.is_v4());
  EXPECT_EQ(ip, address("198.51.100.7"));
  EXPECT_EQ(ip.to_string(), "198.51.100.7");
  EXPECT_EQ(address("::ffff:c633:6407"), ip);
  // IPv4-compatible (::a.b.c.d) and NAT64 forms are not IPv4-mapped.
  EXPECT_FALSE(address("::198.51.100.7").is_v4());
  EXPECT_FALSE(address("64:ff9b::198.51.100.7").is_v4());
  EXPECT_FALSE(address("::fffe:c633:6407").is_v4());
}

TEST(IpAddress, RejectsInvalidText) {
  for (const char* text : {"",
                           " 1.2.3.4",
                           "1.2.3.4 ",
                           "1.2.3",
                           "1.2.3.4.5",
                           "256.1.1.1",
                           "1.2.3.-1",
                           "01.2.3.4",
                           "1.2.3.4/24",
                           "a.b.c.d",
                           "::1%eth0",
                           "fe80::1%1",
                           "2001:db8:::1",
                           "1::2::3",
                           "2001:db8:0:0:0:0:0:0:1",
                           "12345::",
                           "g::",
                           ":",
                           "::ffff:1.2.3",
                           "localhost",
                           "0000:0000:0000:0000:0000:0000:0000:0000:0000"}) {
    EXPECT_FALSE(IpAddress::parse(text).has_value()) << text;
  }
  EXPECT_FALSE(IpAddress::parse(std::string(100, '1')).has_value());
  EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0", 8)).has_value());
}

TEST(IpAddress, OrdersByBytes) {
  EXPECT_LT(address("1.2.3.4"), address("1.2.3.5"));
  EXPECT_LT(address("::1"), address("1.2.3.4"));  // ::ffff:1.2.3.4 > ::1
  EXPECT_LT(address("1.2.3.4"), address("2001:db8::"));
  EXPECT_EQ(IpAddress{}, address("::"));
}

TEST(Prefix, ParsesAndFormats) {
  const auto v4 = prefix("192.0.2.0/24");
  EXPECT_EQ(v4.length(), 24);
  EXPECT_EQ(v4.address(), address("192.0.2.0"));
  EXPECT_EQ(v4.to_string(), "192.0.2.0/24");
  const auto v6 = prefix("2001:db8::/32");
  EXPECT_EQ(v6.length(), 32);
  EXPECT_EQ(v6.to_string(), "2001:db8::/32");
  EXPECT_EQ(prefix("0.0.0.0/0").to_string(), "0.0.0.0/0");
  EXPECT_EQ(prefix("::/0").to_string(), "::/0");
  EXPECT_EQ(prefix("2001:db8::1/128").length(), 128);
}

TEST(Prefix, BareAddressIsAHostPrefix) {
  EXPECT_EQ(prefix("192.0.2.7"), prefix("192.0.2.7/32"));
  EXPECT_EQ(prefix("192.0.2.7").length(), 32);
  EXPECT_EQ(prefix("2001:db8::7").length(), 128);
}

TEST(Prefix, Ipv4MappedTextCountsIpv6Bits) {
  EXPECT_EQ(prefix("::ffff:192.0.2.0/120"), prefix("192.0.2.0/24"));
  EXPECT_EQ(prefix("::ffff:0:0/96"), prefix("0.0.0.0/0"));
  EXPECT_EQ(prefix("::ffff:192.0.2.1/128"), prefix("192.0.2.1/32"));
  EXPECT_NE(parse_error("::ffff:0:0/95").find("outside the IPv4-mapped block"), std::string::npos);
  EXPECT_NE(parse_error("::ffff:0:0/129").find("not a valid prefix length for IPv6"),
            std::string::npos);
}

TEST(Prefix, RejectsHostBits) {
  const std::string message = parse_error("10.0.0.1/8");
  EXPECT_NE(message.find("host bits"), std::string::npos) << message;
  EXPECT_NE(message.find("10.0.0.0/8"), std::string::npos) << message;  // the suggestion
  EXPECT_NE(parse_error("2001:db8::1/32").find("2001:db8::/32"), std::string::npos);
  EXPECT_NE(parse_error("192.0.2.128/24").find("host bits"), std::string::npos);
  EXPECT_NE(parse_error("0.0.0.1/0").find("0.0.0.0/0"), std::string::npos);
}

TEST(Prefix, RejectsBadLengthsAndAddresses) {
  EXPECT_NE(parse_error("1.2.3.0/33").find("IPv4"), std::string::npos);
  EXPECT_NE(parse_error("2001:db8::/129").find("IPv6"), std::string::npos);
  for (const char* text :
       {"1.2.3.0/", "1.2.3.0/-1", "1.2.3.0/+8", "1.2.3.0/8a", "1.2.3.0/ 8", "1.2.3.0/24/1",
        "1.2.3.0/99999999999", "/24", "", "1.2.3/24", "example.com/24", "1.2.3.0\\24"}) {
    EXPECT_FALSE(Prefix::parse(text).has_value()) << text;
  }
  EXPECT_NE(parse_error("1.2.3/24").find("not an IP address"), std::string::npos);
}

TEST(Prefix, ConstructorMasksHostBitsAndClampsLength) {
  EXPECT_EQ(Prefix(address("10.1.2.3"), 8), prefix("10.0.0.0/8"));
  EXPECT_EQ(Prefix(address("10.1.2.3"), 99), prefix("10.1.2.3/32"));
  EXPECT_EQ(Prefix(address("10.1.2.3"), -5), prefix("0.0.0.0/0"));
  EXPECT_EQ(Prefix(address("2001:db8:ffff::1"), 33), prefix("2001:db8:8000::/33"));
  EXPECT_EQ(Prefix(address("2001:db8::1"), 500).length(), 128);
}

TEST(Prefix, Contains) {
  const auto net = prefix("198.51.100.0/22");
  EXPECT_TRUE(net.contains(address("198.51.100.0")));
  EXPECT_TRUE(net.contains(address("198.51.103.255")));
  EXPECT_FALSE(net.contains(address("198.51.104.0")));
  EXPECT_FALSE(net.contains(address("198.51.99.255")));
  EXPECT_TRUE(net.contains(address("::ffff:198.51.101.1")));
  EXPECT_TRUE(prefix("0.0.0.0/0").contains(address("255.255.255.255")));
  // Families never mix, not even through the mapped form.
  EXPECT_FALSE(prefix("0.0.0.0/0").contains(address("2001:db8::1")));
  EXPECT_FALSE(prefix("::/0").contains(address("192.0.2.1")));
  EXPECT_TRUE(prefix("::/0").contains(address("2001:db8::1")));
  const auto v6 = prefix("2001:db8:8000::/33");
  EXPECT_TRUE(v6.contains(address("2001:db8:ffff::1")));
  EXPECT_FALSE(v6.contains(address("2001:db8:7fff::1")));
  EXPECT_TRUE(prefix("2001:db8::1/128").contains(address("2001:db8::1")));
  EXPECT_FALSE(prefix("2001:db8::1/128").contains(address("2001:db8::2")));
}

}  // namespace
}  // namespace mamori
