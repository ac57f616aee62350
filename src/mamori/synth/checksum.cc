#include "mamori/synth/checksum.h"

#include <bit>
#include <cstring>

namespace mamori::synth {
namespace {

std::uint16_t fold(std::uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

}  // namespace

std::uint16_t ones_sum(std::span<const std::uint8_t> bytes) {
  // RFC 1071 §2: the sum is byte-order independent, so add native 32-bit words into a wide
  // accumulator (fast) and swap the folded result once at the end on little-endian hosts.
  std::uint64_t sum = 0;
  const std::uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  while (n >= 32) {
    std::uint32_t w[8];
    std::memcpy(w, p, 32);
    sum += std::uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
    p += 32;
    n -= 32;
  }
  while (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    sum += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    sum += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    // In memory order the odd byte is the high half of a word padded with zero.
    const std::uint8_t pad[2] = {*p, 0};
    std::uint16_t w;
    std::memcpy(&w, pad, 2);
    sum += w;
  }
  std::uint16_t folded = fold(sum);
  if constexpr (std::endian::native == std::endian::little) folded = std::byteswap(folded);
  return folded;
}

std::uint16_t ones_add(std::uint16_t a, std::uint16_t b) {
  return fold(std::uint32_t{a} + std::uint32_t{b});
}

std::uint16_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                std::uint32_t length) {
  std::uint64_t sum = 0;
  const auto add_address = [&sum](const IpAddress& address, bool v4) {
    const auto& b = address.bytes();
    for (std::size_t i = v4 ? 12 : 0; i < 16; i += 2) sum += (std::uint32_t{b[i]} << 8) | b[i + 1];
  };
  const bool v4 = src.is_v4();
  add_address(src, v4);
  add_address(dst, v4);
  sum += protocol;
  sum += length >> 16;
  sum += length & 0xffff;
  return fold(sum);
}

}  // namespace mamori::synth
