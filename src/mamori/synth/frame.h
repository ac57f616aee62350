#pragma once
// synth/frame: builds one Ethernet frame at a time (optional 802.1Q tag, IPv4 or IPv6,
// TCP/UDP/ICMP/ICMPv6) into a buffer reused for every packet, with correct lengths and
// checksums. Two-phase so that payloads are written in place: begin_*() writes the headers
// and returns the payload area, the caller fills it, finish() completes lengths, checksums
// and the 60-byte Ethernet minimum (padding is not counted in the IP length).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "mamori/core/ip.h"

namespace mamori::synth {

using MacAddress = std::array<std::uint8_t, 6>;

struct LinkHeader {
  MacAddress src{};
  MacAddress dst{};
  std::uint16_t vlan = 0;  // 802.1Q VLAN id; 0 means untagged
};

struct IpHeader {
  IpAddress src;
  IpAddress dst;
  std::uint8_t ttl = 64;  // hop limit for IPv6
  std::uint16_t id = 0;   // IPv4 identification
  bool dont_fragment = true;
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;  // IPv6, 20 bits
};

struct TcpHeader {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::span<const std::uint8_t> options;  // a multiple of 4 bytes, at most 40
};

namespace tcp_flags {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flags

inline constexpr std::size_t kMaxIpPacket = 1500;  // Ethernet MTU: synth never fragments
inline constexpr std::size_t kMinEthernetFrame = 60;

class FrameBuilder {
 public:
  // Largest payload that fits the MTU for these headers.
  static std::size_t max_tcp_payload(bool v6, std::size_t option_bytes);
  static std::size_t max_udp_payload(bool v6);

  // The payload span is valid until the next begin_*(); payload_size must fit the MTU.
  std::span<std::uint8_t> begin_tcp(const LinkHeader& link, const IpHeader& ip,
                                    const TcpHeader& tcp, std::size_t payload_size);
  std::span<std::uint8_t> begin_udp(const LinkHeader& link, const IpHeader& ip,
                                    std::uint16_t src_port, std::uint16_t dst_port,
                                    std::size_t payload_size);
  // ICMP echo (IPv4) or ICMPv6 echo (IPv6) request or reply.
  std::span<std::uint8_t> begin_echo(const LinkHeader& link, const IpHeader& ip, bool reply,
                                     std::uint16_t identifier, std::uint16_t sequence,
                                     std::size_t payload_size);
  std::span<const std::uint8_t> finish();

 private:
  std::size_t write_link_and_ip(const LinkHeader& link, const IpHeader& ip, std::uint8_t protocol,
                                std::size_t l4_size);

  alignas(8) std::array<std::uint8_t, 2048> buffer_{};
  std::size_t l3_ = 0;
  std::size_t l4_ = 0;
  std::size_t end_ = 0;
  std::uint8_t protocol_ = 0;
  bool v6_ = false;
  IpAddress src_;
  IpAddress dst_;
};

}  // namespace mamori::synth
