#pragma once
// decode/packet: the machine information of one packet as the decoder sees it, and the
// decoder contract. The payload span points into the capture buffer: it is read in memory
// by the sieve's matchers and never copied anywhere (I1).

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "mamori/capture/link_type.h"
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
  Timestamp timestamp;
  std::uint32_t wire_length = 0;  // frame length on the wire, for volume counters
  IpAddress src;
  IpAddress dst;
  std::uint8_t ip_version = 0;  // 4 or 6
  std::uint8_t protocol = 0;    // IP protocol number of the transport (after IPv6 ext headers)
  std::uint16_t src_port = 0;   // TCP/UDP ports; ICMP: type in src_port, code in dst_port
  std::uint16_t dst_port = 0;
  std::uint8_t tcp_flags = 0;
  bool is_fragment = false;     // any IPv4/IPv6 fragment (first or later)
  bool has_transport = false;   // transport header decoded (false for non-first fragments)
  std::uint32_t tcp_sequence = 0;
  // Transport payload as captured (may be shorter than on the wire because of snaplen).
  std::span<const std::uint8_t> payload;
};

// Why a frame was not decoded to a transport header. `ok` and `fragment` are not errors.
enum class DecodeStatus : std::uint8_t {
  ok,
  non_first_fragment,   // IPv4/IPv6 fragment without the transport header: counted, L3 only
  not_ip,               // ARP, LLDP, ...: counted, not an error
  unsupported_link,
  truncated_ethernet,
  truncated_vlan,
  truncated_mpls,
  truncated_sll,
  bad_ip_version,
  truncated_ipv4,
  bad_ipv4_header,      // IHL < 5, total length < header length
  truncated_ipv6,
  bad_ipv6_extension,   // truncated or looping extension header chain
  truncated_tcp,
  bad_tcp_offset,
  truncated_udp,
  truncated_icmp,
  unknown_transport,    // IP protocol without a decoder (GRE, ESP, ...): L3 machine info only
  kCount
};

std::string_view to_string(DecodeStatus status);

// Per-kind counters for the run summary.
struct DecodeCounters {
  std::array<std::uint64_t, static_cast<std::size_t>(DecodeStatus::kCount)> by_status{};
  void count(DecodeStatus status) { ++by_status[static_cast<std::size_t>(status)]; }
  std::uint64_t operator[](DecodeStatus status) const {
    return by_status[static_cast<std::size_t>(status)];
  }
};

// Decodes link, network and transport headers. Never reads past `frame`, never throws.
// On `ok`, `non_first_fragment` and `unknown_transport` the L3 fields of `out` are valid.
DecodeStatus decode_packet(capture::LinkType link_type, std::span<const std::uint8_t> frame,
                           DecodedPacket& out);

}  // namespace mamori::decode
