#pragma once
// core/ip: IPv4 and IPv6 addresses and prefixes. An IPv4 address is held as the IPv4-mapped
// IPv6 address ::ffff:a.b.c.d so that every table can key on 16 bytes, while is_v4() and
// to_string() still present it as IPv4.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mamori/core/error.h"

namespace mamori {

class IpAddress {
 public:
  constexpr IpAddress() = default;

  // From an IPv4 address in host byte order (0x01020304 is 1.2.3.4).
  static constexpr IpAddress v4(std::uint32_t host_order) {
    IpAddress address;
    address.bytes_[10] = 0xff;
    address.bytes_[11] = 0xff;
    address.bytes_[12] = static_cast<std::uint8_t>(host_order >> 24);
    address.bytes_[13] = static_cast<std::uint8_t>(host_order >> 16);
    address.bytes_[14] = static_cast<std::uint8_t>(host_order >> 8);
    address.bytes_[15] = static_cast<std::uint8_t>(host_order);
    return address;
  }
  // From 4 bytes in network order.
  static IpAddress v4_bytes(std::span<const std::uint8_t, 4> network_order);
  // From 16 bytes in network order. An IPv4-mapped address becomes IPv4.
  static IpAddress v6(std::span<const std::uint8_t, 16> network_order);

  // Parses dotted-quad IPv4 or RFC 4291 text IPv6. No zone ids, no whitespace.
  static std::optional<IpAddress> parse(std::string_view text);

  constexpr bool is_v4() const {
    for (int i = 0; i < 10; ++i) {
      if (bytes_[i] != 0) return false;
    }
    return bytes_[10] == 0xff && bytes_[11] == 0xff;
  }
  // The IPv4 address in host byte order; meaningful only when is_v4().
  constexpr std::uint32_t v4_value() const {
    return (std::uint32_t{bytes_[12]} << 24) | (std::uint32_t{bytes_[13]} << 16) |
           (std::uint32_t{bytes_[14]} << 8) | std::uint32_t{bytes_[15]};
  }
  // The 16 bytes in network order (IPv4 as ::ffff:a.b.c.d).
  constexpr const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  // Address width of its family: 32 or 128.
  constexpr int family_bits() const { return is_v4() ? 32 : 128; }

  std::string to_string() const;

  constexpr auto operator<=>(const IpAddress&) const = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

// An address prefix. `length` counts bits of the address's own family (0..32 for IPv4,
// 0..128 for IPv6); bits past the length are always zero.
class Prefix {
 public:
  constexpr Prefix() = default;
  // Masks off the host bits; length is clamped to the family width.
  Prefix(IpAddress address, int length);

  // "192.0.2.0/24", "2001:db8::/32", or a bare address (a host prefix).
  static Result<Prefix> parse(std::string_view text);

  constexpr const IpAddress& address() const { return address_; }
  constexpr int length() const { return length_; }
  bool contains(const IpAddress& address) const;
  std::string to_string() const;

  constexpr auto operator<=>(const Prefix&) const = default;

 private:
  IpAddress address_;
  std::uint8_t length_ = 0;
};

}  // namespace mamori
