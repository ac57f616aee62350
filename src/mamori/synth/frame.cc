#include "mamori/synth/frame.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "mamori/synth/byte_writer.h"
#include "mamori/synth/checksum.h"

namespace mamori::synth {
namespace {

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint8_t kIcmpv6 = 58;
constexpr std::size_t kIpv4Header = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kTcpHeader = 20;
constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kEchoHeader = 8;

}  // namespace

std::size_t FrameBuilder::max_tcp_payload(bool v6, std::size_t option_bytes) {
  return kMaxIpPacket - (v6 ? kIpv6Header : kIpv4Header) - kTcpHeader - option_bytes;
}

std::size_t FrameBuilder::max_udp_payload(bool v6) {
  return kMaxIpPacket - (v6 ? kIpv6Header : kIpv4Header) - kUdpHeader;
}

std::size_t FrameBuilder::write_link_and_ip(const LinkHeader& link, const IpHeader& ip,
                                            std::uint8_t protocol, std::size_t l4_size) {
  v6_ = !ip.src.is_v4();
  protocol_ = protocol;
  src_ = ip.src;
  dst_ = ip.dst;
  std::uint8_t* p = buffer_.data();
  std::memcpy(p, link.dst.data(), 6);
  std::memcpy(p + 6, link.src.data(), 6);
  std::size_t at = 12;
  if (link.vlan != 0) {
    store_u16(p + at, 0x8100);
    store_u16(p + at + 2, static_cast<std::uint16_t>(link.vlan & 0x0fff));
    at += 4;
  }
  store_u16(p + at, v6_ ? 0x86dd : 0x0800);
  at += 2;
  l3_ = at;
  if (!v6_) {
    std::uint8_t* h = p + at;
    h[0] = 0x45;
    h[1] = ip.traffic_class;
    store_u16(h + 2, static_cast<std::uint16_t>(kIpv4Header + l4_size));
    store_u16(h + 4, ip.id);
    store_u16(h + 6, ip.dont_fragment ? 0x4000 : 0);
    h[8] = ip.ttl;
    h[9] = protocol;
    store_u16(h + 10, 0);
    std::memcpy(h + 12, ip.src.bytes().data() + 12, 4);
    std::memcpy(h + 16, ip.dst.bytes().data() + 12, 4);
    store_u16(h + 10, checksum_field(ones_sum({h, kIpv4Header})));
    l4_ = at + kIpv4Header;
  } else {
    std::uint8_t* h = p + at;
    store_u32(h, (6u << 28) | (std::uint32_t{ip.traffic_class} << 20) | (ip.flow_label & 0xfffff));
    store_u16(h + 4, static_cast<std::uint16_t>(l4_size));
    h[6] = protocol;
    h[7] = ip.ttl;
    std::memcpy(h + 8, ip.src.bytes().data(), 16);
    std::memcpy(h + 24, ip.dst.bytes().data(), 16);
    l4_ = at + kIpv6Header;
  }
  end_ = l4_ + l4_size;
  return l4_;
}

std::span<std::uint8_t> FrameBuilder::begin_tcp(const LinkHeader& link, const IpHeader& ip,
                                                const TcpHeader& tcp, std::size_t payload_size) {
  assert(tcp.options.size() % 4 == 0 && tcp.options.size() <= 40);
  assert(payload_size <= max_tcp_payload(!ip.src.is_v4(), tcp.options.size()));
  const std::size_t header = kTcpHeader + tcp.options.size();
  const std::size_t at = write_link_and_ip(link, ip, kTcp, header + payload_size);
  std::uint8_t* h = buffer_.data() + at;
  store_u16(h, tcp.src_port);
  store_u16(h + 2, tcp.dst_port);
  store_u32(h + 4, tcp.seq);
  store_u32(h + 8, tcp.ack);
  h[12] = static_cast<std::uint8_t>((header / 4) << 4);
  h[13] = tcp.flags;
  store_u16(h + 14, tcp.window);
  store_u16(h + 16, 0);
  store_u16(h + 18, 0);
  if (!tcp.options.empty()) std::memcpy(h + kTcpHeader, tcp.options.data(), tcp.options.size());
  return {h + header, payload_size};
}

std::span<std::uint8_t> FrameBuilder::begin_udp(const LinkHeader& link, const IpHeader& ip,
                                                std::uint16_t src_port, std::uint16_t dst_port,
                                                std::size_t payload_size) {
  assert(payload_size <= max_udp_payload(!ip.src.is_v4()));
  const std::size_t at = write_link_and_ip(link, ip, kUdp, kUdpHeader + payload_size);
  std::uint8_t* h = buffer_.data() + at;
  store_u16(h, src_port);
  store_u16(h + 2, dst_port);
  store_u16(h + 4, static_cast<std::uint16_t>(kUdpHeader + payload_size));
  store_u16(h + 6, 0);
  return {h + kUdpHeader, payload_size};
}

std::span<std::uint8_t> FrameBuilder::begin_echo(const LinkHeader& link, const IpHeader& ip,
                                                 bool reply, std::uint16_t identifier,
                                                 std::uint16_t sequence, std::size_t payload_size) {
  const bool v6 = !ip.src.is_v4();
  const std::size_t at =
      write_link_and_ip(link, ip, v6 ? kIcmpv6 : kIcmp, kEchoHeader + payload_size);
  std::uint8_t* h = buffer_.data() + at;
  h[0] = v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
  h[1] = 0;
  store_u16(h + 2, 0);
  store_u16(h + 4, identifier);
  store_u16(h + 6, sequence);
  return {h + kEchoHeader, payload_size};
}

std::span<const std::uint8_t> FrameBuilder::finish() {
  std::uint8_t* l4 = buffer_.data() + l4_;
  const std::size_t l4_size = end_ - l4_;
  const std::uint16_t body = ones_sum({l4, l4_size});
  std::uint16_t sum = body;
  if (protocol_ != kIcmp) {  // ICMPv4 has no pseudo-header; TCP, UDP and ICMPv6 do
    sum = ones_add(body,
                   pseudo_header_sum(src_, dst_, protocol_, static_cast<std::uint32_t>(l4_size)));
  }
  std::uint16_t field = checksum_field(sum);
  std::size_t offset = 16;  // TCP
  if (protocol_ == kUdp) {
    offset = 6;
    if (field == 0) field = 0xffff;  // RFC 768: zero means "no checksum"
  } else if (protocol_ == kIcmp || protocol_ == kIcmpv6) {
    offset = 2;
  }
  store_u16(l4 + offset, field);
  std::size_t size = end_;
  if (size < kMinEthernetFrame) {
    std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(size),
              buffer_.begin() + static_cast<std::ptrdiff_t>(kMinEthernetFrame), 0);
    size = kMinEthernetFrame;
  }
  return {buffer_.data(), size};
}

}  // namespace mamori::synth
