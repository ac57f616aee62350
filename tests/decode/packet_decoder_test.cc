#include "mamori/decode/packet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "frame_builder.h"

namespace mamori::decode {
namespace {

using capture::LinkType;
using namespace frames;  // NOLINT: the frame builder vocabulary

constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint16_t kIpv6 = 0x86dd;

// The decoded packet and the frame its payload points into, kept together so that a test
// can pass a temporary frame and still look at the payload afterwards.
struct Decoded : DecodedPacket {
  Bytes frame;
};

DecodeStatus decode(LinkType link, Bytes frame, Decoded& out) {
  out.frame = std::move(frame);
  return decode_packet(link, std::span<const std::uint8_t>(out.frame), out);
}

std::span<const std::uint8_t> span_of(const Bytes& bytes, std::size_t offset = 0) {
  return std::span<const std::uint8_t>(bytes).subspan(offset);
}

bool same_bytes(std::span<const std::uint8_t> a, const Bytes& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

Bytes ipv4_tcp(const Bytes& payload, std::uint8_t flags = tcp_flag::psh | tcp_flag::ack) {
  return ipv4({}, tcp(40000, 443, 0x01020304, flags, payload));
}

TEST(DecodePacket, EthernetIpv4Tcp) {
  const Bytes payload = text("GET");
  const Bytes frame = ethernet(kIpv4) + ipv4_tcp(payload);
  Decoded out;
  out.timestamp = Timestamp::from_seconds(7);
  out.wire_length = 1500;
  ASSERT_EQ(decode(LinkType::ethernet, frame, out), DecodeStatus::ok);
  EXPECT_EQ(out.timestamp, Timestamp::from_seconds(7));  // caller's fields untouched
  EXPECT_EQ(out.wire_length, 1500u);
  EXPECT_EQ(out.ip_version, 4);
  EXPECT_EQ(out.src.to_string(), "192.0.2.1");
  EXPECT_EQ(out.dst.to_string(), "198.51.100.7");
  EXPECT_EQ(out.protocol, ip_protocol::tcp);
  EXPECT_EQ(out.src_port, 40000);
  EXPECT_EQ(out.dst_port, 443);
  EXPECT_EQ(out.tcp_sequence, 0x01020304u);
  EXPECT_EQ(out.tcp_flags, tcp_flag::psh | tcp_flag::ack);
  EXPECT_EQ(out.ttl, 64);
  EXPECT_EQ(out.ip_length, 20u + 20u + 3u);
  EXPECT_TRUE(out.has_transport);
  EXPECT_FALSE(out.is_fragment);
  EXPECT_TRUE(same_bytes(out.payload, payload));
}

TEST(DecodePacket, RawPacketOverloadCopiesTimeAndWireLength) {
  const Bytes frame = ethernet(kIpv4) + ipv4_tcp(text("x"));
  capture::RawPacket raw;
  raw.timestamp = Timestamp::from_micros(123);
  raw.wire_length = 9000;
  raw.link_type = LinkType::ethernet;
  raw.data = span_of(frame);
  Decoded out;
  ASSERT_EQ(decode_packet(raw, out), DecodeStatus::ok);
  EXPECT_EQ(out.timestamp, Timestamp::from_micros(123));
  EXPECT_EQ(out.wire_length, 9000u);
  EXPECT_EQ(out.dst_port, 443);
}

TEST(DecodePacket, ResetsPreviousResult) {
  Decoded out;
  ASSERT_EQ(decode(LinkType::ethernet, ethernet(kIpv4) + ipv4_tcp(text("abc")), out),
            DecodeStatus::ok);
  const Bytes arp = ethernet(0x0806) + Bytes(28, 0);
  EXPECT_EQ(decode(LinkType::ethernet, arp, out), DecodeStatus::not_ip);
  EXPECT_EQ(out.ip_version, 0);
  EXPECT_EQ(out.src_port, 0);
  EXPECT_EQ(out.protocol, 0);
  EXPECT_FALSE(out.has_transport);
  EXPECT_TRUE(out.payload.empty());
  EXPECT_EQ(out.src, IpAddress{});
}

TEST(DecodePacket, EthernetPaddingIsNotPayload) {
  Bytes frame = ethernet(kIpv4) + ipv4({.protocol = 17}, udp(1234, 53, text("hi")));
  frame.resize(60, 0);  // minimum Ethernet frame without FCS
  Decoded out;
  ASSERT_EQ(decode(LinkType::ethernet, frame, out), DecodeStatus::ok);
  EXPECT_TRUE(same_bytes(out.payload, text("hi")));
}

TEST(DecodePacket, SnaplenShortensPayloadOnly) {
  Bytes frame = ethernet(kIpv4) + ipv4_tcp(Bytes(1000, 0x41));
  frame.resize(14 + 40 + 100);
  Decoded out;
  ASSERT_EQ(decode(LinkType::ethernet, frame, out), DecodeStatus::ok);
  EXPECT_EQ(out.payload.size(), 100u);
  EXPECT_EQ(out.ip_length, 1040u);
}

TEST(DecodePacket, VlanQinQAndPreStandardTags) {
  const Bytes inner = ipv4_tcp(text("p"));
  const Bytes dot1q = ethernet(0x8100) + vlan(100, kIpv4) + inner;
  const Bytes qinq = ethernet(0x88a8) + vlan(10, 0x8100) + vlan(20, kIpv4) + inner;
  const Bytes q9100 = ethernet(0x9100) + vlan(10, 0x8100) + vlan(20, kIpv4) + inner;
  const Bytes q9200 = ethernet(0x9200) + vlan(10, kIpv4) + inner;
  for (const Bytes* frame : {&dot1q, &qinq, &q9100, &q9200}) {
    Decoded out;
    ASSERT_EQ(decode(LinkType::ethernet, *frame, out), DecodeStatus::ok);
    EXPECT_EQ(out.dst_port, 443);
    EXPECT_TRUE(same_bytes(out.payload, text("p")));
  }
}

TEST(DecodePacket, VlanStackIsBounded) {
  auto stacked = [](int tags) {
    Bytes frame = ethernet(0x8100);
    for (int i = 0; i < tags; ++i) frame = frame + vlan(i, i + 1 < tags ? 0x8100 : kIpv4);
    return frame + ipv4_tcp(text("p"));
  };
  Decoded out;
  EXPECT_EQ(decode(LinkType::ethernet, stacked(8), out), DecodeStatus::ok);
  EXPECT_EQ(decode(LinkType::ethernet, stacked(9), out), DecodeStatus::too_many_tags);
  EXPECT_EQ(decode(LinkType::ethernet, ethernet(0x8100) + Bytes{0, 1, 8}, out),
            DecodeStatus::truncated_vlan);
}

TEST(DecodePacket, MplsLabelStacks) {
  Decoded out;
  const Bytes one = ethernet(0x8847) + mpls(16, true) + ipv4_tcp(text("m"));
  ASSERT_EQ(decode(LinkType::ethernet, one, out), DecodeStatus::ok);
  EXPECT_EQ(out.ip_version, 4);
  EXPECT_TRUE(same_bytes(out.payload, text("m")));

  const Bytes three = ethernet(0x8848) + mpls(16, false) + mpls(17, false) + mpls(18, true) +
                      ipv6(17, udp(5353, 5353, text("v6")));
  ASSERT_EQ(decode(LinkType::ethernet, three, out), DecodeStatus::ok);
  EXPECT_EQ(out.ip_version, 6);
  EXPECT_EQ(out.protocol, ip_protocol::udp);
  EXPECT_TRUE(same_bytes(out.payload, text("v6")));

  const Bytes over_vlan = ethernet(0x8100) + vlan(5, 0x8847) + mpls(16, true) + ipv4_tcp({});
  EXPECT_EQ(decode(LinkType::ethernet, over_vlan, out), DecodeStatus::ok);

  // RFC 4385 control word (first nibble 0) introduces an Ethernet pseudowire: not opened.
  const Bytes pseudowire =
      ethernet(0x8847) + mpls(16, true) + Bytes{0, 0, 0, 0} + ethernet(kIpv4) + ipv4_tcp({});
  EXPECT_EQ(decode(LinkType::ethernet, pseudowire, out), DecodeStatus::not_ip);
  EXPECT_EQ(out.ip_version, 0);

  Bytes deep = ethernet(0x8847);
  for (int i = 0; i < 17; ++i) deep = deep + mpls(16 + i, i == 16);
  EXPECT_EQ(decode(LinkType::ethernet, deep + ipv4_tcp({}), out), DecodeStatus::too_many_tags);

  const Bytes no_bottom = ethernet(0x8847) + mpls(16, false) + mpls(17, false);
  EXPECT_EQ(decode(LinkType::ethernet, no_bottom, out), DecodeStatus::truncated_mpls);
  EXPECT_EQ(decode(LinkType::ethernet, ethernet(0x8847) + mpls(16, true), out),
            DecodeStatus::truncated_mpls);
}

TEST(DecodePacket, PppoeSession) {
  Decoded out;
  const Bytes v4 = ipv4_tcp(text("ppp"));
  ASSERT_EQ(
      decode(LinkType::ethernet, ethernet(0x8864) + pppoe_session(0x0021, v4.size()) + v4, out),
      DecodeStatus::ok);
  EXPECT_TRUE(same_bytes(out.payload, text("ppp")));
  const Bytes v6 = ipv6(6, tcp(1, 2, 3, tcp_flag::syn, {}));
  EXPECT_EQ(
      decode(LinkType::ethernet, ethernet(0x8864) + pppoe_session(0x0057, v6.size()) + v6, out),
      DecodeStatus::ok);
  EXPECT_EQ(
      decode(LinkType::ethernet, ethernet(0x8864) + pppoe_session(0xc021, 4) + Bytes(4, 0), out),
      DecodeStatus::not_ip);  // LCP
  EXPECT_EQ(decode(LinkType::ethernet, ethernet(0x8864) + Bytes{0x11, 0, 0, 1}, out),
            DecodeStatus::truncated_pppoe);
}

TEST(DecodePacket, NonIpEthernet) {
  Decoded out;
  EXPECT_EQ(decode(LinkType::ethernet, ethernet(0x0806) + Bytes(28, 0), out), DecodeStatus::not_ip);
  // IEEE 802.3 length field followed by LLC (spanning tree).
  EXPECT_EQ(decode(LinkType::ethernet, ethernet(38) + Bytes{0x42, 0x42, 0x03} + Bytes(35, 0), out),
            DecodeStatus::not_ip);
  EXPECT_EQ(decode(LinkType::ethernet, ethernet(0x88cc) + Bytes(20, 0), out), DecodeStatus::not_ip);
  EXPECT_EQ(decode(LinkType::ethernet, Bytes(13, 0), out), DecodeStatus::truncated_ethernet);
}

TEST(DecodePacket, Ipv4OptionsAreSkipped) {
  for (std::size_t option_bytes : {4u, 12u, 40u}) {
    Ipv4Header header;
    header.options = Bytes(option_bytes, 0x01);  // NOPs
    header.options.back() = 0x00;                // end of option list
    const Bytes frame = ethernet(kIpv4) + ipv4(header, tcp(1, 2, 3, tcp_flag::syn, text("o")));
    Decoded out;
    ASSERT_EQ(decode(LinkType::ethernet, frame, out), DecodeStatus::ok) << option_bytes;
    EXPECT_EQ(out.src_port, 1);
    EXPECT_EQ(out.dst_port, 2);
    EXPECT_TRUE(same_bytes(out.payload, text("o")));
  }
}

TEST(DecodePacket, BadIpv4Headers) {
  Decoded out;
  EXPECT_EQ(decode(LinkType::ipv4, ipv4({.ihl_override = 4}, Bytes(20, 0)), out),
            DecodeStatus::bad_ipv4_header);
  // Total length 19 < 20-byte header.
  const Bytes short_total = ipv4({.total_length_delta = -1}, Bytes{});
  EXPECT_EQ(decode(LinkType::ipv4, short_total, out), DecodeStatus::bad_ipv4_header);
  // IHL 15 (60 bytes) but only 40 captured and the total length says 40.
  const Bytes long_ihl = ipv4({.ihl_override = 15}, Bytes(20, 0));
  EXPECT_EQ(decode(LinkType::ipv4, long_ihl, out), DecodeStatus::bad_ipv4_header);
  Bytes cut_options = ipv4({.options = Bytes(40, 1)}, tcp(1, 2, 3, 0, {}));
  cut_options.resize(30);
  EXPECT_EQ(decode(LinkType::ipv4, cut_options, out), DecodeStatus::truncated_ipv4);
  EXPECT_EQ(decode(LinkType::ipv4, ipv6(59, {}), out), DecodeStatus::bad_ip_version);
}

TEST(DecodePacket, Ipv4TotalLengthZeroMeansCaptured) {
  // TSO captures on the sending host carry total length 0.
  Bytes packet = ipv4_tcp(text("tso"));
  packet[2] = packet[3] = 0;
  Decoded out;
  ASSERT_EQ(decode(LinkType::raw, packet, out), DecodeStatus::ok);
  EXPECT_TRUE(same_bytes(out.payload, text("tso")));
  EXPECT_EQ(out.ip_length, packet.size());
}

TEST(DecodePacket, Ipv4Fragments) {
  const Bytes l4 = udp(5000, 53, Bytes(32, 0x55));
  Decoded out;
  // First fragment: MF set, offset 0: the transport header is decoded.
  const Bytes first = ipv4({.protocol = 17, .fragment = 0x2000}, l4);
  ASSERT_EQ(decode(LinkType::ipv4, first, out), DecodeStatus::ok);
  EXPECT_TRUE(out.is_fragment);
  EXPECT_TRUE(out.has_transport);
  EXPECT_EQ(out.dst_port, 53);

  // Middle and last fragments: L3 only, the fragment data as payload.
  for (std::uint16_t field : {std::uint16_t{0x2000 | 5}, std::uint16_t{185}}) {
    const Bytes later = ipv4({.protocol = 17, .fragment = field}, Bytes(24, 0x66));
    ASSERT_EQ(decode(LinkType::ipv4, later, out), DecodeStatus::non_first_fragment);
    EXPECT_TRUE(out.is_fragment);
    EXPECT_FALSE(out.has_transport);
    EXPECT_EQ(out.ip_version, 4);
    EXPECT_EQ(out.protocol, ip_protocol::udp);
    EXPECT_EQ(out.src.to_string(), "192.0.2.1");
    EXPECT_EQ(out.src_port, 0);
    EXPECT_TRUE(same_bytes(out.payload, Bytes(24, 0x66)));
  }
  // DF alone is not a fragment.
  ASSERT_EQ(decode(LinkType::ipv4, ipv4({.protocol = 17, .fragment = 0x4000}, l4), out),
            DecodeStatus::ok);
  EXPECT_FALSE(out.is_fragment);
}

TEST(DecodePacket, Ipv4AuthenticationHeader) {
  const Bytes packet =
      ipv4({.protocol = 51}, auth_header(6) + tcp(7, 8, 9, tcp_flag::ack, text("ah")));
  Decoded out;
  ASSERT_EQ(decode(LinkType::ipv4, packet, out), DecodeStatus::ok);
  EXPECT_EQ(out.protocol, ip_protocol::tcp);
  EXPECT_EQ(out.dst_port, 8);
  EXPECT_TRUE(same_bytes(out.payload, text("ah")));
}

TEST(DecodePacket, TunnelsAreNotOpened) {
  Decoded out;
  const Bytes inner = ipv4_tcp(text("inner"));
  // IP-in-IP (4), IPv6-in-IPv4 (41), GRE (47): the outer header is the machine information.
  for (std::uint8_t protocol : {4, 41, 47, 50}) {
    ASSERT_EQ(decode(LinkType::ipv4, ipv4({.protocol = protocol}, inner), out),
              DecodeStatus::unknown_transport);
    EXPECT_EQ(out.protocol, protocol);
    EXPECT_EQ(out.ip_version, 4);
    EXPECT_FALSE(out.has_transport);
    EXPECT_TRUE(same_bytes(out.payload, inner));
  }
}

TEST(DecodePacket, Ipv6Plain) {
  const Bytes frame = ethernet(kIpv6) + ipv6(17, udp(5353, 53, text("q")), 255);
  Decoded out;
  ASSERT_EQ(decode(LinkType::ethernet, frame, out), DecodeStatus::ok);
  EXPECT_EQ(out.ip_version, 6);
  EXPECT_EQ(out.src.to_string(), "2001:db8::1");
  EXPECT_EQ(out.dst.to_string(), "2001:db8:ff00::2");
  EXPECT_EQ(out.ttl, 255);
  EXPECT_EQ(out.ip_length, 40u + 9u);
  EXPECT_TRUE(same_bytes(out.payload, text("q")));
}

TEST(DecodePacket, Ipv6ExtensionChain) {
  // hop-by-hop → routing → destination options → AH → TCP
  const Bytes chain = ipv6_ext(43) + ipv6_ext(60, 1) + ipv6_ext(51, 2) + auth_header(6) +
                      tcp(80, 8080, 1, tcp_flag::syn, text("x"));
  Decoded out;
  ASSERT_EQ(decode(LinkType::ipv6, ipv6(0, chain), out), DecodeStatus::ok);
  EXPECT_EQ(out.protocol, ip_protocol::tcp);
  EXPECT_EQ(out.src_port, 80);
  EXPECT_TRUE(same_bytes(out.payload, text("x")));

  // ESP and "no next header" end the chain without a transport.
  ASSERT_EQ(decode(LinkType::ipv6, ipv6(60, ipv6_ext(50) + Bytes(16, 0)), out),
            DecodeStatus::unknown_transport);
  EXPECT_EQ(out.protocol, 50);
  ASSERT_EQ(decode(LinkType::ipv6, ipv6(59, {}), out), DecodeStatus::unknown_transport);
  EXPECT_EQ(out.protocol, 59);
}

TEST(DecodePacket, Ipv6ExtensionChainIsBounded) {
  auto chain_of = [](int count) {
    Bytes rest;
    for (int i = 0; i < count; ++i) rest = rest + ipv6_ext(i + 1 < count ? 60 : 17);
    return ipv6(60, rest + udp(1, 2, {}));
  };
  Decoded out;
  EXPECT_EQ(decode(LinkType::ipv6, chain_of(8), out), DecodeStatus::ok);
  EXPECT_EQ(decode(LinkType::ipv6, chain_of(9), out), DecodeStatus::bad_ipv6_extension);
  // Hop-by-hop after the first position is invalid (RFC 8200 §4.1).
  EXPECT_EQ(decode(LinkType::ipv6, ipv6(60, ipv6_ext(0) + ipv6_ext(17) + udp(1, 2, {})), out),
            DecodeStatus::bad_ipv6_extension);
}

TEST(DecodePacket, Ipv6ExtensionLengths) {
  Decoded out;
  // The header claims 24 bytes but the payload length leaves only 8: malformed.
  Bytes lying = ipv6(60, ipv6_ext(17, 2) + udp(1, 2, {}));
  lying[4] = 0;
  lying[5] = 8;
  EXPECT_EQ(decode(LinkType::ipv6, lying, out), DecodeStatus::bad_ipv6_extension);
  // Well-formed but cut by the snaplen inside the extension header.
  Bytes cut = ipv6(60, ipv6_ext(17, 2) + udp(1, 2, {}));
  cut.resize(40 + 10);
  EXPECT_EQ(decode(LinkType::ipv6, cut, out), DecodeStatus::truncated_ipv6);
  EXPECT_EQ(decode(LinkType::ipv6, Bytes{0x60, 0, 0}, out), DecodeStatus::truncated_ipv6);
  EXPECT_EQ(decode(LinkType::ipv6, ipv4_tcp({}), out), DecodeStatus::bad_ip_version);
}

TEST(DecodePacket, Ipv6Fragments) {
  Decoded out;
  const Bytes first = ipv6(44, ipv6_fragment(17, 0, true) + udp(4000, 53, Bytes(16, 1)));
  ASSERT_EQ(decode(LinkType::ipv6, first, out), DecodeStatus::ok);
  EXPECT_TRUE(out.is_fragment);
  EXPECT_EQ(out.dst_port, 53);

  const Bytes later = ipv6(0, ipv6_ext(44) + ipv6_fragment(17, 181, false) + Bytes(12, 7));
  ASSERT_EQ(decode(LinkType::ipv6, later, out), DecodeStatus::non_first_fragment);
  EXPECT_TRUE(out.is_fragment);
  EXPECT_FALSE(out.has_transport);
  EXPECT_EQ(out.protocol, ip_protocol::udp);
  EXPECT_EQ(out.ip_version, 6);
  EXPECT_TRUE(same_bytes(out.payload, Bytes(12, 7)));

  // RFC 6946 atomic fragment: offset 0, M clear: a whole datagram.
  const Bytes atomic = ipv6(44, ipv6_fragment(6, 0, false) + tcp(1, 2, 3, 0, {}));
  ASSERT_EQ(decode(LinkType::ipv6, atomic, out), DecodeStatus::ok);
  EXPECT_FALSE(out.is_fragment);
}

TEST(DecodePacket, Ipv6MappedSourceKeepsVersion) {
  Bytes packet = ipv6(17, udp(1, 2, {}));
  const std::uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 9};
  std::copy(std::begin(mapped), std::end(mapped), packet.begin() + 8);
  Decoded out;
  ASSERT_EQ(decode(LinkType::ipv6, packet, out), DecodeStatus::ok);
  EXPECT_EQ(out.ip_version, 6);
  EXPECT_EQ(out.src.to_string(), "192.0.2.9");
}

TEST(DecodePacket, TcpHeaderValidation) {
  Decoded out;
  EXPECT_EQ(decode(LinkType::ipv4, ipv4({}, tcp(1, 2, 3, 0, {}, 0, 4)), out),
            DecodeStatus::bad_tcp_offset);
  // Data offset 15 (60 bytes) in a 20-byte segment: past the datagram.
  EXPECT_EQ(decode(LinkType::ipv4, ipv4({}, tcp(1, 2, 3, 0, {}, 0, 15)), out),
            DecodeStatus::bad_tcp_offset);
  EXPECT_EQ(out.ip_version, 4);  // L3 stays valid for transport-level statuses
  EXPECT_FALSE(out.has_transport);
  // Options present but cut by the snaplen.
  Bytes cut = ipv4({}, tcp(1, 2, 3, 0, {}, 20));
  cut.resize(20 + 30);
  EXPECT_EQ(decode(LinkType::ipv4, cut, out), DecodeStatus::truncated_tcp);
  // Options are not payload.
  ASSERT_EQ(decode(LinkType::ipv4, ipv4({}, tcp(1, 2, 3, 0xff, text("d"), 12)), out),
            DecodeStatus::ok);
  EXPECT_EQ(out.tcp_flags, 0xff);
  EXPECT_TRUE(same_bytes(out.payload, text("d")));
}

TEST(DecodePacket, UdpLengthField) {
  Decoded out;
  EXPECT_EQ(decode(LinkType::ipv4, ipv4({.protocol = 17}, udp(1, 2, Bytes(4, 0), 5)), out),
            DecodeStatus::bad_udp_length);
  // UDP length shorter than the IP payload: the UDP length wins.
  ASSERT_EQ(decode(LinkType::ipv4, ipv4({.protocol = 17}, udp(1, 2, text("abcd"), 10)), out),
            DecodeStatus::ok);
  EXPECT_TRUE(same_bytes(out.payload, text("ab")));
  // UDP length longer than the IP payload: clamped to what is there.
  ASSERT_EQ(decode(LinkType::ipv4, ipv4({.protocol = 17}, udp(1, 2, text("abcd"), 400)), out),
            DecodeStatus::ok);
  EXPECT_TRUE(same_bytes(out.payload, text("abcd")));
  // Length 0 (IPv6 jumbogram convention): the IP length governs.
  ASSERT_EQ(decode(LinkType::ipv6, ipv6(17, udp(1, 2, text("jumbo"), 0)), out), DecodeStatus::ok);
  EXPECT_TRUE(same_bytes(out.payload, text("jumbo")));
  EXPECT_EQ(decode(LinkType::ipv4, ipv4({.protocol = 17}, Bytes(7, 0)), out),
            DecodeStatus::truncated_udp);
}

TEST(DecodePacket, IcmpTypeAndCodeInPorts) {
  Decoded out;
  ASSERT_EQ(decode(LinkType::ipv4, ipv4({.protocol = 1}, icmp(3, 13, Bytes(28, 0))), out),
            DecodeStatus::ok);
  EXPECT_EQ(out.protocol, ip_protocol::icmp);
  EXPECT_EQ(out.src_port, 3);
  EXPECT_EQ(out.dst_port, 13);
  EXPECT_EQ(out.payload.size(), 28u);
  ASSERT_EQ(decode(LinkType::ipv6, ipv6(58, icmp(128, 0, text("ping"))), out), DecodeStatus::ok);
  EXPECT_EQ(out.protocol, ip_protocol::icmpv6);
  EXPECT_EQ(out.src_port, 128);
  EXPECT_TRUE(same_bytes(out.payload, text("ping")));
  EXPECT_EQ(decode(LinkType::ipv4, ipv4({.protocol = 1}, Bytes{8, 0, 0, 0}), out),
            DecodeStatus::truncated_icmp);
}

TEST(DecodePacket, OtherLinkTypes) {
  Decoded out;
  const Bytes v4 = ipv4_tcp(text("a"));
  const Bytes v6 = ipv6(6, tcp(1, 2, 3, 0, text("b")));
  EXPECT_EQ(decode(LinkType::raw, v4, out), DecodeStatus::ok);
  EXPECT_EQ(decode(LinkType::raw, v6, out), DecodeStatus::ok);
  EXPECT_EQ(out.ip_version, 6);
  EXPECT_EQ(decode(LinkType::raw, Bytes{0x50, 0, 0, 0}, out), DecodeStatus::bad_ip_version);
  EXPECT_EQ(decode(LinkType::ipv4, v6, out), DecodeStatus::bad_ip_version);
  EXPECT_EQ(decode(LinkType::ipv6, v4, out), DecodeStatus::bad_ip_version);
  EXPECT_EQ(decode(LinkType::linux_sll, sll(kIpv4) + v4, out), DecodeStatus::ok);
  EXPECT_EQ(decode(LinkType::linux_sll, sll(kIpv6) + v6, out), DecodeStatus::ok);
  EXPECT_EQ(decode(LinkType::linux_sll, sll(0x8100) + vlan(3, kIpv4) + v4, out), DecodeStatus::ok);
  EXPECT_EQ(decode(LinkType::linux_sll, sll(0x0806) + Bytes(28, 0), out), DecodeStatus::not_ip);
  EXPECT_EQ(decode(LinkType::linux_sll2, sll2(kIpv6) + v6, out), DecodeStatus::ok);
  EXPECT_TRUE(same_bytes(out.payload, text("b")));
  EXPECT_EQ(decode(LinkType::linux_sll, Bytes(15, 0), out), DecodeStatus::truncated_sll);
  EXPECT_EQ(decode(LinkType::linux_sll2, Bytes(19, 0), out), DecodeStatus::truncated_sll);
  EXPECT_EQ(decode(static_cast<LinkType>(147), v4, out), DecodeStatus::unsupported_link);
  EXPECT_EQ(decode(LinkType::raw, Bytes{}, out), DecodeStatus::truncated_ipv4);
}

// Cuts a frame at every length and checks the status names the layer where the cut is.
struct Cut {
  std::size_t up_to;    // prefixes shorter than this ...
  DecodeStatus status;  // ... decode to this
};

void expect_truncations(LinkType link, const Bytes& frame, std::initializer_list<Cut> cuts,
                        std::size_t payload_offset) {
  for (std::size_t length = 0; length <= frame.size(); ++length) {
    const Bytes prefix(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(length));
    DecodedPacket out;
    const DecodeStatus status = decode_packet(link, std::span<const std::uint8_t>(prefix), out);
    DecodeStatus expected = DecodeStatus::ok;
    for (const Cut& cut : cuts) {
      if (length < cut.up_to) {
        expected = cut.status;
        break;
      }
    }
    ASSERT_EQ(status, expected) << "prefix length " << length;
    if (status == DecodeStatus::ok) {
      EXPECT_EQ(out.payload.size(), length - payload_offset) << "prefix length " << length;
    }
    // Whatever the status, the payload is a view inside the frame.
    if (!out.payload.empty()) {
      EXPECT_GE(out.payload.data(), prefix.data());
      EXPECT_LE(out.payload.data() + out.payload.size(), prefix.data() + prefix.size());
    }
  }
}

TEST(DecodePacket, TruncatedAtEveryLengthEthernetIpv4Tcp) {
  const Bytes frame = ethernet(kIpv4) + ipv4_tcp(text("payload"));
  expect_truncations(LinkType::ethernet, frame,
                     {{14, DecodeStatus::truncated_ethernet},
                      {34, DecodeStatus::truncated_ipv4},
                      {54, DecodeStatus::truncated_tcp}},
                     54);
}

TEST(DecodePacket, TruncatedAtEveryLengthQinQIpv6Udp) {
  const Bytes frame =
      ethernet(0x88a8) + vlan(1, 0x8100) + vlan(2, kIpv6) + ipv6(17, udp(1, 2, text("udp")));
  expect_truncations(LinkType::ethernet, frame,
                     {{14, DecodeStatus::truncated_ethernet},
                      {22, DecodeStatus::truncated_vlan},
                      {62, DecodeStatus::truncated_ipv6},
                      {70, DecodeStatus::truncated_udp}},
                     70);
}

TEST(DecodePacket, TruncatedAtEveryLengthMplsIpv4Icmp) {
  const Bytes frame = ethernet(0x8847) + mpls(1, false) + mpls(2, true) +
                      ipv4({.protocol = 1}, icmp(8, 0, text("echo")));
  expect_truncations(LinkType::ethernet, frame,
                     {{14, DecodeStatus::truncated_ethernet},
                      {23, DecodeStatus::truncated_mpls},
                      {42, DecodeStatus::truncated_ipv4},
                      {50, DecodeStatus::truncated_icmp}},
                     50);
}

TEST(DecodePacket, TruncatedAtEveryLengthIpv6ExtensionsTcp) {
  const Bytes frame =
      sll2(kIpv6) + ipv6(0, ipv6_ext(60) + ipv6_ext(44) + ipv6_fragment(6, 0, true) +
                                tcp(1, 2, 3, 0, text("frag"), 8));
  expect_truncations(LinkType::linux_sll2, frame,
                     {{20, DecodeStatus::truncated_sll},
                      {84, DecodeStatus::truncated_ipv6},
                      {112, DecodeStatus::truncated_tcp}},
                     112);
}

TEST(DecodeStatusNames, StableUniqueSnakeCase) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < static_cast<std::size_t>(DecodeStatus::kCount); ++i) {
    const std::string name(to_string(static_cast<DecodeStatus>(i)));
    EXPECT_NE(name, "invalid");
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(DecodeStatus::kCount));
  EXPECT_EQ(to_string(DecodeStatus::non_first_fragment), "non_first_fragment");
  EXPECT_EQ(to_string(DecodeStatus::kCount), "invalid");
}

TEST(DecodeCounters, CountsByKind) {
  DecodeCounters counters;
  Decoded out;
  for (const Bytes& frame : {ethernet(kIpv4) + ipv4_tcp({}), ethernet(0x0806) + Bytes(28, 0),
                             Bytes(3, 0), ethernet(0x0806) + Bytes(28, 0)}) {
    counters.count(decode(LinkType::ethernet, frame, out));
  }
  EXPECT_EQ(counters[DecodeStatus::ok], 1u);
  EXPECT_EQ(counters[DecodeStatus::not_ip], 2u);
  EXPECT_EQ(counters[DecodeStatus::truncated_ethernet], 1u);
}

// I1: the decoder hands the sieve a view into the capture buffer; nothing is copied out.
TEST(Invariant_I1, DecoderPayloadIsAViewIntoTheFrame) {
  const Bytes canary = text("CANARY-PAYLOAD-BYTES");
  const Bytes frame = ethernet(kIpv4) + ipv4_tcp(canary);
  DecodedPacket out;
  ASSERT_EQ(decode_packet(LinkType::ethernet, span_of(frame), out), DecodeStatus::ok);
  EXPECT_EQ(out.payload.data(), frame.data() + 54);
  EXPECT_EQ(out.payload.size(), canary.size());
}

}  // namespace
}  // namespace mamori::decode
