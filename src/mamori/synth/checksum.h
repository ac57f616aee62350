#pragma once
// synth/checksum: the Internet checksum (RFC 1071) for IPv4 headers and the TCP/UDP/ICMPv6
// pseudo-header sums of RFC 793, RFC 768 and RFC 8200 §8.1.

#include <cstdint>
#include <span>

#include "mamori/core/ip.h"

namespace mamori::synth {

// Ones'-complement sum of the big-endian 16-bit words of `bytes` (an odd last byte is padded
// with zero), folded to 16 bits but not complemented.
std::uint16_t ones_sum(std::span<const std::uint8_t> bytes);

// Adds two folded sums in ones'-complement arithmetic.
std::uint16_t ones_add(std::uint16_t a, std::uint16_t b);

// Folded sum of the pseudo-header for an upper-layer packet of `length` bytes. IPv4 addresses
// (IpAddress::is_v4) use the 12-byte IPv4 form, others the 40-byte IPv6 form.
std::uint16_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                std::uint32_t length);

// The value to store in a checksum field: the complement of the folded sum.
inline std::uint16_t checksum_field(std::uint16_t folded_sum) {
  return static_cast<std::uint16_t>(~folded_sum);
}

}  // namespace mamori::synth
