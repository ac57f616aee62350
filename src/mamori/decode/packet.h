#pragma once
// decode/packet: the machine information of one packet as the decoder sees it, and the
// decoder contract. The payload span points into the capture buffer: it is read in memory
// by the sieve's matchers and never copied anywhere (I1).
//
// Link layers: Ethernet (802.1Q / 802.1ad / 0x9100 / 0x9200 tags, stacked; MPLS label stacks;
// PPPoE session), raw IP, LINKTYPE_IPV4/IPV6, Linux cooked SLL and SLL2. Network: IPv4 (options
// skipped, fragments), IPv6 (hop-by-hop, routing, destination options, fragment, AH, mobility,
// HIP and shim6 headers). Transport: TCP, UDP, ICMP, ICMPv6. Tunnels (GRE, IP-in-IP, VXLAN,
// GTP, Ethernet pseudowires over MPLS) are not opened: the outer header is what is decoded.
// The full behaviour is written down in decode/README.md.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mamori/capture/link_type.h"
#include "mamori/capture/packet_source.h"
#include "mamori/core/ip.h"
#include "mamori/core/time.h"

namespace mamori::decode {

namespace ip_protocol {
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t tcp = 6;
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t icmpv6 = 58;
}  // namespace ip_protocol

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
inline constexpr std::uint8_t urg = 0x20;
inline constexpr std::uint8_t ece = 0x40;
inline constexpr std::uint8_t cwr = 0x80;
}  // namespace tcp_flag

struct DecodedPacket {
  // timestamp and wire_length belong to the caller: decode_packet(link, frame, out) leaves
  // them untouched, decode_packet(RawPacket, out) copies them from the capture record.
  Timestamp timestamp;
  std::uint32_t wire_length = 0;  // frame length on the wire, for volume counters
  IpAddress src;
  IpAddress dst;
  std::uint8_t ip_version = 0;  // 4 or 6
  std::uint8_t protocol = 0;    // IP protocol number of the transport (after IPv6 ext headers)
  std::uint16_t src_port = 0;   // TCP/UDP ports; ICMP: type in src_port, code in dst_port
  std::uint16_t dst_port = 0;
  std::uint8_t tcp_flags = 0;
  bool is_fragment = false;    // any IPv4/IPv6 fragment (first or later)
  bool has_transport = false;  // transport header decoded (false for non-first fragments)
  std::uint32_t tcp_sequence = 0;
  std::uint8_t ttl = 0;  // IPv4 TTL or IPv6 hop limit (OS hints, scan detection)
  // IP datagram length as the header declares it (IPv4 total length, IPv6 40 + payload
  // length; the captured length when the header says 0: TSO captures, jumbograms). This is
  // the byte count IPFIX/NetFlow exporters report, without link headers and padding.
  std::uint32_t ip_length = 0;
  // Transport payload as captured (may be shorter than on the wire because of snaplen). For
  // non_first_fragment and unknown_transport: the IP payload after the network headers.
  std::span<const std::uint8_t> payload;
};

// Why a frame was not decoded to a transport header. `ok`, `non_first_fragment`, `not_ip` and
// `unknown_transport` are not errors. Names (to_string) are stable: they key the run summary.
enum class DecodeStatus : std::uint8_t {
  ok,
  non_first_fragment,  // IPv4/IPv6 fragment without the transport header: counted, L3 only
  not_ip,              // ARP, LLDP, 802.3 LLC, MPLS pseudowires, PPPoE control: not an error
  unsupported_link,
  truncated_ethernet,
  truncated_vlan,
  truncated_mpls,
  truncated_sll,
  bad_ip_version,  // version nibble is not what the link layer announced (or not 4/6)
  truncated_ipv4,
  bad_ipv4_header,  // IHL < 5, total length < header length
  truncated_ipv6,
  bad_ipv6_extension,  // extension header chain longer than the datagram, misplaced or too long
  truncated_tcp,
  bad_tcp_offset,  // data offset < 5 or past the end of the IP datagram
  truncated_udp,
  truncated_icmp,
  unknown_transport,  // IP protocol without a decoder (GRE, ESP, ...): L3 machine info only
  // Added with the decoder implementation:
  truncated_pppoe,
  too_many_tags,   // more than 8 VLAN tags or 16 MPLS labels: refused, not walked further
  bad_udp_length,  // UDP length field 1..7
  kCount
};

std::string_view to_string(DecodeStatus status);

// "tcp", "udp", "icmp", "icmpv6", or the protocol number as decimal text.
std::string ip_protocol_name(std::uint8_t protocol);

// Per-kind counters for the run summary.
struct DecodeCounters {
  std::array<std::uint64_t, static_cast<std::size_t>(DecodeStatus::kCount)> by_status{};
  void count(DecodeStatus status) { ++by_status[static_cast<std::size_t>(status)]; }
  std::uint64_t operator[](DecodeStatus status) const {
    return by_status[static_cast<std::size_t>(status)];
  }
};

// Decodes link, network and transport headers. Never reads past `frame`, never throws, never
// allocates. Every field of `out` except timestamp and wire_length is reset first.
// The L3 fields (src, dst, ip_version, protocol, ttl, ip_length, is_fragment) are valid for
// `ok`, `non_first_fragment`, `unknown_transport` and every transport-level status
// (truncated_tcp, bad_tcp_offset, truncated_udp, bad_udp_length, truncated_icmp);
// ip_version == 0 otherwise. Ports, flags and sequence are valid when has_transport.
DecodeStatus decode_packet(capture::LinkType link_type, std::span<const std::uint8_t> frame,
                           DecodedPacket& out);

// Same, and copies the timestamp and on-wire length from the capture record.
DecodeStatus decode_packet(const capture::RawPacket& packet, DecodedPacket& out);

}  // namespace mamori::decode
