#include "mamori/synth/frame.h"

#include <algorithm>
#include <tuple>

#include <gtest/gtest.h>

#include "mamori/synth/checksum.h"
#include "test_support.h"

namespace mamori::synth {
namespace {

using testing::parse_frame;

// RFC 1071 §3 numerical example: the folded sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2.
TEST(Checksum, Rfc1071Example) {
  const std::uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ones_sum(bytes), 0xddf2);
}

// The IPv4 header example of the Wikipedia "IPv4 header checksum" article: checksum b861.
TEST(Checksum, Ipv4HeaderExample) {
  const std::uint8_t header[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(checksum_field(ones_sum(header)), 0xb861);
}

std::uint16_t naive_sum(std::span<const std::uint8_t> bytes) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 2) {
    sum += (bytes[i] << 8) | (i + 1 < bytes.size() ? bytes[i + 1] : 0);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

TEST(Checksum, FastSumEqualsNaiveForAllLengthsAndAlignments) {
  std::vector<std::uint8_t> data(300);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 37 + 11);
  for (std::size_t offset = 0; offset < 4; ++offset) {
    for (std::size_t length = 0; length + offset <= data.size(); ++length) {
      const std::span<const std::uint8_t> slice(data.data() + offset, length);
      ASSERT_EQ(ones_sum(slice), naive_sum(slice)) << offset << " " << length;
    }
  }
}

// A whole checksummed region sums to 0xffff (RFC 1071 §1, verification).
bool verifies(const testing::ParsedFrame& f) {
  std::uint16_t sum = ones_sum(f.l4);
  if (f.protocol != 1) {
    sum = ones_add(
        sum, pseudo_header_sum(f.src, f.dst, f.protocol, static_cast<std::uint32_t>(f.l4.size())));
  }
  if (sum != 0xffff) return false;
  return f.version == 6 || ones_sum(f.ip.subspan(0, 20)) == 0xffff;
}

LinkHeader link(std::uint16_t vlan = 0) { return {{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, vlan}; }

IpHeader ip(const char* src, const char* dst) {
  IpHeader h;
  h.src = *IpAddress::parse(src);
  h.dst = *IpAddress::parse(dst);
  h.ttl = 57;
  h.id = 0x1234;
  h.flow_label = 0xabcde;
  return h;
}

TEST(Frame, TcpOverIpv4WithOptionsAndVlan) {
  FrameBuilder builder;
  const std::uint8_t options[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};
  TcpHeader tcp{50000, 443, 1000, 2000, tcp_flags::syn | tcp_flags::ack, 501, options};
  auto payload = builder.begin_tcp(link(110), ip("126.1.2.3", "5.9.1.2"), tcp, 5);
  std::copy_n("hello", 5, payload.begin());
  const auto frame = builder.finish();
  const auto f = parse_frame(frame);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.vlan, 110);
  EXPECT_EQ(f.version, 4);
  EXPECT_EQ(f.protocol, 6);
  EXPECT_EQ(f.src.to_string(), "126.1.2.3");
  EXPECT_EQ(f.dst_port, 443);
  EXPECT_EQ(f.tcp_flags, tcp_flags::syn | tcp_flags::ack);
  EXPECT_EQ(f.l4.size(), 20u + sizeof options + 5);
  EXPECT_EQ(std::string(f.payload.begin(), f.payload.end()), "hello");
  EXPECT_TRUE(verifies(f));
  EXPECT_EQ(f.ip[6] & 0x40, 0x40);  // DF
  EXPECT_EQ(f.ip[8], 57);
}

TEST(Frame, ShortFramesArePaddedButIpLengthExcludesPadding) {
  FrameBuilder builder;
  TcpHeader tcp{50000, 80, 1, 2, tcp_flags::ack, 100, {}};
  builder.begin_tcp(link(), ip("126.1.2.3", "5.9.1.2"), tcp, 0);
  const auto frame = builder.finish();
  EXPECT_EQ(frame.size(), kMinEthernetFrame);
  const auto f = parse_frame(frame);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.ip.size(), 40u);
  EXPECT_TRUE(verifies(f));
}

TEST(Frame, UdpAndTcpOverIpv6) {
  FrameBuilder builder;
  auto payload =
      builder.begin_udp(link(), ip("2400:4000::1", "2001:4860:4860::8888"), 40000, 53, 3);
  std::copy_n("abc", 3, payload.begin());
  auto f = parse_frame(builder.finish());
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.version, 6);
  EXPECT_EQ(f.protocol, 17);
  EXPECT_EQ(f.src_port, 40000);
  EXPECT_EQ(testing::be16(f.l4.data() + 4), 11);  // UDP length
  EXPECT_EQ(f.ip[7], 57);                         // hop limit
  EXPECT_TRUE(verifies(f));

  const std::size_t max = FrameBuilder::max_tcp_payload(true, 12);
  const std::uint8_t options[12] = {1, 1, 8, 10};
  TcpHeader tcp{40000, 443, 7, 9, tcp_flags::ack | tcp_flags::psh, 300, options};
  payload = builder.begin_tcp(link(120), ip("2400:4000::1", "2a01:4f8::2"), tcp, max);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i);
  const auto frame = builder.finish();
  EXPECT_EQ(frame.size(), 14u + 4 + kMaxIpPacket);
  f = parse_frame(frame);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.payload.size(), max);
  EXPECT_TRUE(verifies(f));
}

TEST(Frame, IcmpEchoBothFamilies) {
  FrameBuilder builder;
  for (const auto& [src, dst, protocol] :
       {std::tuple{"126.1.2.3", "8.8.8.8", 1}, std::tuple{"2400:4000::1", "2a01:4f8::2", 58}}) {
    for (const bool reply : {false, true}) {
      auto payload = builder.begin_echo(link(), ip(src, dst), reply, 0x4242, 7, 56);
      std::fill(payload.begin(), payload.end(), 0x5a);
      const auto f = parse_frame(builder.finish());
      ASSERT_TRUE(f.ok);
      EXPECT_EQ(f.protocol, protocol);
      const int type = protocol == 1 ? (reply ? 0 : 8) : (reply ? 129 : 128);
      EXPECT_EQ(f.l4[0], type);
      EXPECT_EQ(f.src_port, 0x4242);
      EXPECT_TRUE(verifies(f));
    }
  }
}

TEST(Frame, UdpChecksumIsNeverZero) {
  // Search for a payload whose checksum computes to zero: it must be sent as 0xffff.
  FrameBuilder builder;
  bool found = false;
  for (std::uint32_t value = 0; value < 0x10000 && !found; ++value) {
    auto payload = builder.begin_udp(link(), ip("126.1.2.3", "8.8.8.8"), 50000, 53, 2);
    payload[0] = static_cast<std::uint8_t>(value >> 8);
    payload[1] = static_cast<std::uint8_t>(value);
    const auto f = parse_frame(builder.finish());
    const std::uint16_t field = testing::be16(f.l4.data() + 6);
    ASSERT_NE(field, 0);
    if (field == 0xffff) {
      found = true;
      EXPECT_TRUE(verifies(f));
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace mamori::synth
