#pragma once
// tests/decode/frame_builder: hand-built frames for the decoder tests. Every length field is
// computed from the bytes actually appended, so a test states only what it wants to vary.
// Layouts from IEEE 802.3 / 802.1Q, RFC 3032 (MPLS), RFC 2516 (PPPoE), RFC 791 (IPv4),
// RFC 8200 (IPv6), RFC 4302 (AH), RFC 9293 (TCP), RFC 768 (UDP), RFC 792 / RFC 4443 (ICMP).

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace mamori::decode::frames {

using Bytes = std::vector<std::uint8_t>;

inline Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline void put16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}
inline void put32(Bytes& out, std::uint32_t value) {
  put16(out, static_cast<std::uint16_t>(value >> 16));
  put16(out, static_cast<std::uint16_t>(value));
}
inline void set16(Bytes& out, std::size_t offset, std::uint16_t value) {
  out[offset] = static_cast<std::uint8_t>(value >> 8);
  out[offset + 1] = static_cast<std::uint8_t>(value);
}

inline Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Destination and source MAC (locally administered), then the EtherType.
inline Bytes ethernet(std::uint16_t type) {
  Bytes out{0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
  put16(out, type);
  return out;
}
// A tag's TCI and the EtherType that follows it (the tag's own TPID is the previous type).
inline Bytes vlan(std::uint16_t vlan_id, std::uint16_t next_type) {
  Bytes out;
  put16(out, vlan_id & 0x0fff);
  put16(out, next_type);
  return out;
}
inline Bytes mpls(std::uint32_t label, bool bottom_of_stack, std::uint8_t ttl = 64) {
  Bytes out;
  put32(out, (label << 12) | (bottom_of_stack ? 0x100u : 0u) | ttl);
  return out;
}
inline Bytes pppoe_session(std::uint16_t ppp_protocol, std::size_t payload_size) {
  Bytes out{0x11, 0x00};
  put16(out, 0x1234);                                        // session id
  put16(out, static_cast<std::uint16_t>(payload_size + 2));  // includes the PPP protocol
  put16(out, ppp_protocol);
  return out;
}
// Linux cooked capture v1 (16 bytes) and v2 (20 bytes) headers.
inline Bytes sll(std::uint16_t protocol) {
  Bytes out{0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 2, 0, 0, 0, 0, 1, 0, 0};
  put16(out, protocol);
  return out;
}
inline Bytes sll2(std::uint16_t protocol) {
  Bytes out;
  put16(out, protocol);
  put16(out, 0);
  put32(out, 1);                                                // interface index
  put16(out, 1);                                                // ARPHRD_ETHER
  out.insert(out.end(), {0x00, 0x06, 2, 0, 0, 0, 0, 1, 0, 0});  // type, address len, address
  return out;
}

struct Ipv4Header {
  std::array<std::uint8_t, 4> src{192, 0, 2, 1};
  std::array<std::uint8_t, 4> dst{198, 51, 100, 7};
  std::uint8_t protocol = 6;
  std::uint8_t ttl = 64;
  std::uint16_t fragment = 0x4000;  // flags + offset field; default DF
  Bytes options{};                  // must be a multiple of 4 bytes
  int total_length_delta = 0;       // added to the computed total length (malformation)
  int ihl_override = -1;            // -1: computed
};

inline Bytes ipv4(const Ipv4Header& h, const Bytes& payload) {
  const std::size_t header = 20 + h.options.size();
  Bytes out;
  const int ihl = h.ihl_override >= 0 ? h.ihl_override : static_cast<int>(header / 4);
  out.push_back(static_cast<std::uint8_t>(0x40 | ihl));
  out.push_back(0);
  put16(out, static_cast<std::uint16_t>(static_cast<int>(header + payload.size()) +
                                        h.total_length_delta));
  put16(out, 0x1c46);  // identification
  put16(out, h.fragment);
  out.push_back(h.ttl);
  out.push_back(h.protocol);
  put16(out, 0);  // checksum: the decoder does not verify it
  out.insert(out.end(), h.src.begin(), h.src.end());
  out.insert(out.end(), h.dst.begin(), h.dst.end());
  out.insert(out.end(), h.options.begin(), h.options.end());
  return out + payload;
}

inline constexpr std::array<std::uint8_t, 16> kV6Src{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                                     0,    0,    0,    0,    0, 0, 0, 0x01};
inline constexpr std::array<std::uint8_t, 16> kV6Dst{0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0,
                                                     0,    0,    0,    0,    0,    0, 0, 0x02};

// `rest` is everything after the fixed header: extension headers and the transport.
inline Bytes ipv6(std::uint8_t next_header, const Bytes& rest, std::uint8_t hop_limit = 64,
                  int payload_length_delta = 0) {
  Bytes out{0x60, 0x00, 0x00, 0x00};
  put16(out, static_cast<std::uint16_t>(static_cast<int>(rest.size()) + payload_length_delta));
  out.push_back(next_header);
  out.push_back(hop_limit);
  out.insert(out.end(), kV6Src.begin(), kV6Src.end());
  out.insert(out.end(), kV6Dst.begin(), kV6Dst.end());
  return out + rest;
}
// Hop-by-hop, routing, destination options: (units + 1) * 8 bytes, padded with PadN.
inline Bytes ipv6_ext(std::uint8_t next_header, std::uint8_t units = 0) {
  Bytes out(std::size_t{units + 1u} * 8, 0);
  out[0] = next_header;
  out[1] = units;
  out[2] = 1;  // PadN
  out[3] = static_cast<std::uint8_t>(out.size() - 4);
  return out;
}
inline Bytes ipv6_fragment(std::uint8_t next_header, std::uint16_t offset_units, bool more) {
  Bytes out{next_header, 0};
  put16(out, static_cast<std::uint16_t>((offset_units << 3) | (more ? 1 : 0)));
  put32(out, 0xdeadbeef);
  return out;
}
// AH with a 12-byte ICV: payload length field (3 + 12/4) - 2 = 4.
inline Bytes auth_header(std::uint8_t next_header) {
  Bytes out{next_header, 4, 0, 0};
  put32(out, 0x100);  // SPI
  put32(out, 1);      // sequence
  out.resize(24, 0xaa);
  return out;
}

inline Bytes tcp(std::uint16_t src_port, std::uint16_t dst_port, std::uint32_t sequence,
                 std::uint8_t flags, const Bytes& payload, std::size_t option_bytes = 0,
                 int data_offset_override = -1) {
  Bytes out;
  put16(out, src_port);
  put16(out, dst_port);
  put32(out, sequence);
  put32(out, 0);  // ack
  const int offset =
      data_offset_override >= 0 ? data_offset_override : static_cast<int>((20 + option_bytes) / 4);
  out.push_back(static_cast<std::uint8_t>(offset << 4));
  out.push_back(flags);
  put16(out, 65535);
  put32(out, 0);                                // checksum, urgent pointer
  out.resize(out.size() + option_bytes, 0x01);  // NOPs
  return out + payload;
}

inline Bytes udp(std::uint16_t src_port, std::uint16_t dst_port, const Bytes& payload,
                 int length_override = -1) {
  Bytes out;
  put16(out, src_port);
  put16(out, dst_port);
  put16(out, static_cast<std::uint16_t>(
                 length_override >= 0 ? length_override : static_cast<int>(8 + payload.size())));
  put16(out, 0);
  return out + payload;
}

inline Bytes icmp(std::uint8_t type, std::uint8_t code, const Bytes& body) {
  Bytes out{type, code, 0, 0, 0, 1, 0, 1};  // checksum, identifier, sequence
  return out + body;
}

}  // namespace mamori::decode::frames
