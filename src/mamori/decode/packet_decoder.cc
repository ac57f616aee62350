#include "mamori/decode/packet.h"

#include <algorithm>
#include <cstddef>

// One translation unit on purpose: the per-layer functions are small and called once per
// packet, so keeping them together lets the compiler inline the whole Ethernet→IPv4→TCP path
// (a few ns per packet; no LTO needed). Every read is preceded by a length check against the
// bytes that are actually there; lengths announced by headers only ever shrink the window.

namespace mamori::decode {
namespace {

using Status = DecodeStatus;

namespace ethertype {
constexpr std::uint16_t ipv4 = 0x0800;
constexpr std::uint16_t ipv6 = 0x86dd;
constexpr std::uint16_t vlan = 0x8100;       // 802.1Q C-tag
constexpr std::uint16_t qinq = 0x88a8;       // 802.1ad S-tag
constexpr std::uint16_t qinq_9100 = 0x9100;  // pre-standard QinQ
constexpr std::uint16_t qinq_9200 = 0x9200;  // pre-standard QinQ
constexpr std::uint16_t mpls_unicast = 0x8847;
constexpr std::uint16_t mpls_multicast = 0x8848;
constexpr std::uint16_t pppoe_session = 0x8864;
}  // namespace ethertype

namespace ppp_protocol {
constexpr std::uint16_t ipv4 = 0x0021;
constexpr std::uint16_t ipv6 = 0x0057;
}  // namespace ppp_protocol

namespace ipv6_header {
constexpr std::uint8_t hop_by_hop = 0;
constexpr std::uint8_t routing = 43;
constexpr std::uint8_t fragment = 44;
constexpr std::uint8_t auth = 51;  // AH, also valid inside IPv4
constexpr std::uint8_t destination = 60;
constexpr std::uint8_t mobility = 135;
constexpr std::uint8_t hip = 139;
constexpr std::uint8_t shim6 = 140;
}  // namespace ipv6_header

constexpr int kMaxVlanTags = 8;
constexpr int kMaxMplsLabels = 16;
constexpr int kMaxIpv6Extensions = 8;
constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kSllHeader = 16;
constexpr std::size_t kSll2Header = 20;
constexpr std::size_t kPppoeHeader = 8;  // 6 bytes PPPoE + 2 bytes PPP protocol

inline std::uint16_t load16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// The bytes of one layer: `captured` bytes are readable; `declared` is what the enclosing
// header says the layer is long (>= captured when snaplen cut the frame, may be < the
// readable bytes when the link layer padded the frame; callers pass min() as captured).
struct Window {
  const std::uint8_t* data;
  std::size_t captured;
  std::size_t declared;
};

inline std::span<const std::uint8_t> bytes_of(const std::uint8_t* data, std::size_t size) {
  return {data, size};
}

// Inlined into both IP decoders: as a call, the Window travelled through the stack.
[[gnu::always_inline]] inline Status decode_transport(std::uint8_t protocol, Window l4,
                                                      DecodedPacket& out) {
  out.protocol = protocol;
  switch (protocol) {
    case ip_protocol::tcp: {
      if (l4.captured < 20) return Status::truncated_tcp;
      const std::size_t header = (std::size_t{l4.data[12]} >> 4) * 4;
      if (header < 20 || header > l4.declared) return Status::bad_tcp_offset;
      if (header > l4.captured) return Status::truncated_tcp;
      out.src_port = load16(l4.data);
      out.dst_port = load16(l4.data + 2);
      out.tcp_sequence = load32(l4.data + 4);
      out.tcp_flags = l4.data[13];
      out.has_transport = true;
      out.payload = bytes_of(l4.data + header, l4.captured - header);
      return Status::ok;
    }
    case ip_protocol::udp: {
      if (l4.captured < 8) return Status::truncated_udp;
      const std::size_t length = load16(l4.data + 4);
      // 0 is legal only for IPv6 jumbograms (RFC 2675); the IP length governs then.
      if (length != 0 && length < 8) return Status::bad_udp_length;
      const std::size_t end = length == 0 ? l4.captured : std::min(length, l4.captured);
      out.src_port = load16(l4.data);
      out.dst_port = load16(l4.data + 2);
      out.has_transport = true;
      out.payload = bytes_of(l4.data + 8, end - 8);
      return Status::ok;
    }
    case ip_protocol::icmp:
    case ip_protocol::icmpv6: {
      // Every ICMP/ICMPv6 message starts with 8 bytes: type, code, checksum, 4 type-specific.
      if (l4.captured < 8) return Status::truncated_icmp;
      out.src_port = l4.data[0];
      out.dst_port = l4.data[1];
      out.has_transport = true;
      out.payload = bytes_of(l4.data + 8, l4.captured - 8);
      return Status::ok;
    }
    default:
      out.payload = bytes_of(l4.data, l4.captured);
      return Status::unknown_transport;
  }
}

// Skips one AH header (RFC 4302: length in 4-byte units, minus 2). On success `l4` starts
// after it and `protocol` is AH's next header.
bool skip_auth_header(Window& l4, std::uint8_t& protocol) {
  if (l4.captured < 2) return false;
  const std::size_t length = (std::size_t{l4.data[1]} + 2) * 4;
  if (length > l4.captured) return false;
  protocol = l4.data[0];
  l4 = {l4.data + length, l4.captured - length, l4.declared - length};
  return true;
}

Status decode_ipv4(const std::uint8_t* p, std::size_t size, DecodedPacket& out) {
  if (size < 1) return Status::truncated_ipv4;
  if ((p[0] >> 4) != 4) return Status::bad_ip_version;
  if (size < 20) return Status::truncated_ipv4;
  const std::size_t header = std::size_t{p[0] & 0x0fu} * 4;
  std::size_t total = load16(p + 2);
  // Total length 0 is what TCP segmentation offload leaves in locally captured packets.
  if (total == 0) total = size;
  if (header < 20 || total < header) return Status::bad_ipv4_header;
  if (header > size) return Status::truncated_ipv4;

  out.ip_version = 4;
  out.ttl = p[8];
  out.ip_length = static_cast<std::uint32_t>(total);
  out.src = IpAddress::v4(load32(p + 12));
  out.dst = IpAddress::v4(load32(p + 16));
  std::uint8_t protocol = p[9];
  out.protocol = protocol;

  const std::size_t end = std::min(total, size);
  Window l4{p + header, end - header, total - header};
  const std::uint16_t fragment = load16(p + 6);
  const bool more_fragments = (fragment & 0x2000) != 0;
  const std::uint16_t offset = fragment & 0x1fff;
  out.is_fragment = more_fragments || offset != 0;
  if (offset != 0) {
    out.payload = bytes_of(l4.data, l4.captured);
    return Status::non_first_fragment;
  }
  if (protocol == ipv6_header::auth && !skip_auth_header(l4, protocol)) {
    return l4.captured < l4.declared ? Status::truncated_ipv4 : Status::bad_ipv4_header;
  }
  return decode_transport(protocol, l4, out);
}

// Walks the IPv6 extension header chain up to the transport header.
Status decode_ipv6(const std::uint8_t* p, std::size_t size, DecodedPacket& out) {
  if (size < 1) return Status::truncated_ipv6;
  if ((p[0] >> 4) != 6) return Status::bad_ip_version;
  if (size < 40) return Status::truncated_ipv6;
  const std::size_t payload_length = load16(p + 4);
  // Payload length 0: a jumbogram (RFC 2675) or a TSO capture; the captured bytes govern.
  const std::size_t total = payload_length == 0 ? size : 40 + payload_length;

  out.ip_version = 6;
  out.ttl = p[7];
  out.ip_length = static_cast<std::uint32_t>(total);
  out.src = IpAddress::v6(std::span<const std::uint8_t, 16>(p + 8, 16));
  out.dst = IpAddress::v6(std::span<const std::uint8_t, 16>(p + 24, 16));
  std::uint8_t next = p[6];
  out.protocol = next;

  const std::size_t end = std::min(total, size);
  std::size_t offset = 40;
  // Header length beyond the readable bytes: cut by snaplen, or longer than the datagram.
  auto overrun = [&](std::size_t length) {
    return offset + length > total ? Status::bad_ipv6_extension : Status::truncated_ipv6;
  };
  for (int count = 0;; ++count) {
    std::size_t length = 0;
    switch (next) {
      case ipv6_header::hop_by_hop:
        if (count != 0) return Status::bad_ipv6_extension;  // RFC 8200 4.1: first only
        [[fallthrough]];
      case ipv6_header::routing:
      case ipv6_header::destination:
      case ipv6_header::mobility:
      case ipv6_header::hip:
      case ipv6_header::shim6:
        if (offset + 2 > end) return overrun(2);
        length = (std::size_t{p[offset + 1]} + 1) * 8;
        break;
      case ipv6_header::auth:
        if (offset + 2 > end) return overrun(2);
        length = (std::size_t{p[offset + 1]} + 2) * 4;
        break;
      case ipv6_header::fragment: {
        if (offset + 8 > end) return overrun(8);
        const std::uint16_t field = load16(p + offset + 2);
        const bool more_fragments = (field & 0x0001) != 0;
        const std::uint16_t fragment_offset = field & 0xfff8;
        out.is_fragment = out.is_fragment || more_fragments || fragment_offset != 0;
        if (fragment_offset != 0) {
          out.protocol = p[offset];
          out.payload = bytes_of(p + offset + 8, end - offset - 8);
          return Status::non_first_fragment;
        }
        length = 8;
        break;
      }
      default: {
        Window l4{p + offset, end - offset, total - offset};
        return decode_transport(next, l4, out);
      }
    }
    if (count + 1 > kMaxIpv6Extensions) return Status::bad_ipv6_extension;
    if (offset + length > end) return overrun(length);
    next = p[offset];
    out.protocol = next;
    offset += length;
  }
}

Status decode_ip_by_version(const std::uint8_t* p, std::size_t size, DecodedPacket& out) {
  if (size < 1) return Status::truncated_ipv4;
  switch (p[0] >> 4) {
    case 4:
      return decode_ipv4(p, size, out);
    case 6:
      return decode_ipv6(p, size, out);
    default:
      return Status::bad_ip_version;
  }
}

Status decode_mpls(const std::uint8_t* p, std::size_t size, DecodedPacket& out) {
  for (int label = 0; label < kMaxMplsLabels; ++label) {
    if (size < 4) return Status::truncated_mpls;
    const bool bottom_of_stack = (p[2] & 0x01) != 0;
    p += 4;
    size -= 4;
    if (!bottom_of_stack) continue;
    // RFC 4385: the first nibble after the stack tells IP (4, 6) from a pseudowire control
    // word (0) or anything else; pseudowires are not opened.
    if (size < 1) return Status::truncated_mpls;
    const int nibble = p[0] >> 4;
    if (nibble == 4) return decode_ipv4(p, size, out);
    if (nibble == 6) return decode_ipv6(p, size, out);
    return Status::not_ip;
  }
  return Status::too_many_tags;
}

Status decode_pppoe(const std::uint8_t* p, std::size_t size, DecodedPacket& out) {
  if (size < kPppoeHeader) return Status::truncated_pppoe;
  switch (load16(p + 6)) {
    case ppp_protocol::ipv4:
      return decode_ipv4(p + kPppoeHeader, size - kPppoeHeader, out);
    case ppp_protocol::ipv6:
      return decode_ipv6(p + kPppoeHeader, size - kPppoeHeader, out);
    default:
      return Status::not_ip;  // LCP, IPCP, ...
  }
}

// `type` is the EtherType (or SLL protocol) announcing the bytes at `p`.
Status decode_ethertype(std::uint16_t type, const std::uint8_t* p, std::size_t size,
                        DecodedPacket& out) {
  for (int tags = 0;; ++tags) {
    switch (type) {
      case ethertype::ipv4:
        return decode_ipv4(p, size, out);
      case ethertype::ipv6:
        return decode_ipv6(p, size, out);
      case ethertype::vlan:
      case ethertype::qinq:
      case ethertype::qinq_9100:
      case ethertype::qinq_9200:
        if (tags == kMaxVlanTags) return Status::too_many_tags;
        if (size < 4) return Status::truncated_vlan;
        type = load16(p + 2);
        p += 4;
        size -= 4;
        break;
      case ethertype::mpls_unicast:
      case ethertype::mpls_multicast:
        return decode_mpls(p, size, out);
      case ethertype::pppoe_session:
        return decode_pppoe(p, size, out);
      default:
        // ARP, LLDP, ..., and IEEE 802.3 length fields (< 0x0600) with LLC/SNAP after them.
        return Status::not_ip;
    }
  }
}

Status decode_frame(capture::LinkType link_type, const std::uint8_t* p, std::size_t size,
                    DecodedPacket& out) {
  switch (link_type) {
    case capture::LinkType::ethernet:
      if (size < kEthernetHeader) return Status::truncated_ethernet;
      return decode_ethertype(load16(p + 12), p + kEthernetHeader, size - kEthernetHeader, out);
    case capture::LinkType::raw:
      return decode_ip_by_version(p, size, out);
    case capture::LinkType::ipv4:
      return decode_ipv4(p, size, out);
    case capture::LinkType::ipv6:
      return decode_ipv6(p, size, out);
    case capture::LinkType::linux_sll:
      // packet type, ARPHRD type, address length, 8 address bytes, protocol.
      if (size < kSllHeader) return Status::truncated_sll;
      return decode_ethertype(load16(p + 14), p + kSllHeader, size - kSllHeader, out);
    case capture::LinkType::linux_sll2:
      // protocol, reserved, interface index, ARPHRD type, packet type, address length/bytes.
      if (size < kSll2Header) return Status::truncated_sll;
      return decode_ethertype(load16(p), p + kSll2Header, size - kSll2Header, out);
  }
  return Status::unsupported_link;
}

// Field by field rather than `out = DecodedPacket{}`: GCC lowers the aggregate form to
// `rep stos`, whose start-up cost alone exceeded the rest of an Ethernet/IPv4/TCP decode.
void reset(DecodedPacket& out) {
  static_assert(sizeof(DecodedPacket) == 88,
                "DecodedPacket changed: reset the new field here, then update the size");
  out.src = IpAddress{};
  out.dst = IpAddress{};
  out.ip_version = 0;
  out.protocol = 0;
  out.src_port = 0;
  out.dst_port = 0;
  out.tcp_flags = 0;
  out.is_fragment = false;
  out.has_transport = false;
  out.tcp_sequence = 0;
  out.ttl = 0;
  out.ip_length = 0;
  out.payload = {};
}

}  // namespace

DecodeStatus decode_packet(capture::LinkType link_type, std::span<const std::uint8_t> frame,
                           DecodedPacket& out) {
  reset(out);
  return decode_frame(link_type, frame.data(), frame.size(), out);
}

DecodeStatus decode_packet(const capture::RawPacket& packet, DecodedPacket& out) {
  out.timestamp = packet.timestamp;
  out.wire_length = packet.wire_length;
  return decode_packet(packet.link_type, packet.data, out);
}

std::string_view to_string(DecodeStatus status) {
  switch (status) {
    case Status::ok:
      return "ok";
    case Status::non_first_fragment:
      return "non_first_fragment";
    case Status::not_ip:
      return "not_ip";
    case Status::unsupported_link:
      return "unsupported_link";
    case Status::truncated_ethernet:
      return "truncated_ethernet";
    case Status::truncated_vlan:
      return "truncated_vlan";
    case Status::truncated_mpls:
      return "truncated_mpls";
    case Status::truncated_sll:
      return "truncated_sll";
    case Status::bad_ip_version:
      return "bad_ip_version";
    case Status::truncated_ipv4:
      return "truncated_ipv4";
    case Status::bad_ipv4_header:
      return "bad_ipv4_header";
    case Status::truncated_ipv6:
      return "truncated_ipv6";
    case Status::bad_ipv6_extension:
      return "bad_ipv6_extension";
    case Status::truncated_tcp:
      return "truncated_tcp";
    case Status::bad_tcp_offset:
      return "bad_tcp_offset";
    case Status::truncated_udp:
      return "truncated_udp";
    case Status::truncated_icmp:
      return "truncated_icmp";
    case Status::unknown_transport:
      return "unknown_transport";
    case Status::truncated_pppoe:
      return "truncated_pppoe";
    case Status::too_many_tags:
      return "too_many_tags";
    case Status::bad_udp_length:
      return "bad_udp_length";
    case Status::kCount:
      break;
  }
  return "invalid";
}

std::string ip_protocol_name(std::uint8_t protocol) {
  switch (protocol) {
    case ip_protocol::icmp:
      return "icmp";
    case ip_protocol::tcp:
      return "tcp";
    case ip_protocol::udp:
      return "udp";
    case ip_protocol::icmpv6:
      return "icmpv6";
    default:
      return std::to_string(protocol);
  }
}

}  // namespace mamori::decode
