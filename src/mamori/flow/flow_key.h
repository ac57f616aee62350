#pragma once
// flow/flow_key: the 5-tuple a packet is keyed by in the flow table, and the seeded,
// direction-symmetric hash over it. Contract:
//   - TCP/UDP: (src, dst, src_port, dst_port, protocol) as decoded.
//   - ICMP/ICMPv6: the port fields carry (type, code). A reply type (echo reply, timestamp
//     reply, information reply, address mask reply; ICMPv6 echo reply, node information reply)
//     is keyed as the reverse of its request, so a request and its reply are one flow. ICMP has
//     no identifier in the key: all pings between two hosts in one direction are one flow.
//   - Packets without a decoded transport header (has_transport == false: non-first fragments,
//     GRE, ESP, ...) are keyed with ports 0, i.e. by the 3-tuple (src, dst, protocol).
//   - flow_hash(k) == flow_hash(k.reversed()) for every key: both directions find one entry.

#include <cstdint>
#include <cstring>

#include "mamori/core/ip.h"
#include "mamori/decode/packet.h"

namespace mamori::flow {

struct FlowKey {
  IpAddress src;
  IpAddress dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint8_t protocol = 0;

  constexpr FlowKey reversed() const { return {dst, src, dst_port, src_port, protocol}; }
  constexpr bool operator==(const FlowKey&) const = default;
};

namespace detail {

// ICMP reply types and the request each answers (RFC 792, RFC 4443 §4, RFC 4620 §4).
constexpr int icmp_request_of(std::uint8_t protocol, std::uint16_t type) {
  if (protocol == decode::ip_protocol::icmp) {
    switch (type) {
      case 0:
        return 8;  // echo reply → echo
      case 14:
        return 13;  // timestamp reply
      case 16:
        return 15;  // information reply
      case 18:
        return 17;  // address mask reply
      default:
        return -1;
    }
  }
  switch (type) {
    case 129:
      return 128;  // ICMPv6 echo reply
    case 140:
      return 139;  // node information reply
    default:
      return -1;
  }
}

inline std::uint64_t load64(const std::uint8_t* bytes) {
  std::uint64_t value;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

__extension__ typedef unsigned __int128 Uint128;

// The 64×64→128 multiply folded to 64 bits (the wyhash/mum mixing step).
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  const Uint128 product = static_cast<Uint128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

}  // namespace detail

// The key of a decoded packet (see the contract above).
inline FlowKey key_of(const decode::DecodedPacket& packet) {
  FlowKey key{packet.src, packet.dst, 0, 0, packet.protocol};
  if (!packet.has_transport) return key;
  if (packet.protocol == decode::ip_protocol::icmp ||
      packet.protocol == decode::ip_protocol::icmpv6) {
    const int request = detail::icmp_request_of(packet.protocol, packet.src_port);
    if (request >= 0) {
      // (code, request type) reversed is (request type, code): the request's own key.
      key.src_port = packet.dst_port;
      key.dst_port = static_cast<std::uint16_t>(request);
      return key;
    }
  }
  key.src_port = packet.src_port;
  key.dst_port = packet.dst_port;
  return key;
}

// True when `a` and `b` are the same address; two 8-byte compares.
inline bool same_address(const IpAddress& a, const IpAddress& b) {
  const std::uint8_t* x = a.bytes().data();
  const std::uint8_t* y = b.bytes().data();
  return ((detail::load64(x) ^ detail::load64(y)) |
          (detail::load64(x + 8) ^ detail::load64(y + 8))) == 0;
}

// Whether the key's source endpoint sorts first in the canonical (direction-free) order. Any
// fixed total order works; it only has to agree for a key and its reverse.
inline bool source_is_canonical_first(const FlowKey& key) {
  const std::uint64_t s0 = detail::load64(key.src.bytes().data());
  const std::uint64_t d0 = detail::load64(key.dst.bytes().data());
  if (s0 != d0) return s0 < d0;
  const std::uint64_t s1 = detail::load64(key.src.bytes().data() + 8);
  const std::uint64_t d1 = detail::load64(key.dst.bytes().data() + 8);
  if (s1 != d1) return s1 < d1;
  return key.src_port <= key.dst_port;
}

// Seeded symmetric hash. The secrets are derived from the seed once; pass a random seed in
// production so that crafted traffic cannot aim at one index chunk.
class FlowHasher {
 public:
  explicit FlowHasher(std::uint64_t seed = 0) {
    std::uint64_t state = seed;
    for (auto& secret : secrets_) {
      state += 0x9e3779b97f4a7c15ull;  // splitmix64 step
      std::uint64_t z = state;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      secret = (z ^ (z >> 31)) | 1;
    }
  }

  std::uint64_t operator()(const FlowKey& key) const {
    const bool forward = source_is_canonical_first(key);
    const IpAddress& first = forward ? key.src : key.dst;
    const IpAddress& second = forward ? key.dst : key.src;
    const std::uint64_t first_port = forward ? key.src_port : key.dst_port;
    const std::uint64_t second_port = forward ? key.dst_port : key.src_port;
    const std::uint64_t ports = (first_port << 32) | (second_port << 16) | key.protocol;
    // Two independent multiplies for the addresses, then one to combine: short dependency chain.
    const std::uint64_t a = detail::mix(detail::load64(first.bytes().data()) ^ secrets_[0],
                                        detail::load64(first.bytes().data() + 8) ^ secrets_[1]);
    const std::uint64_t b = detail::mix(detail::load64(second.bytes().data()) ^ secrets_[2],
                                        detail::load64(second.bytes().data() + 8) ^ secrets_[3]);
    return detail::mix(a ^ ports ^ secrets_[4], b ^ secrets_[5]);
  }

 private:
  std::uint64_t secrets_[6];
};

}  // namespace mamori::flow
