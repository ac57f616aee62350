#include "mamori/core/ip.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace mamori {

IpAddress IpAddress::v4_bytes(std::span<const std::uint8_t, 4> network_order) {
  return v4((std::uint32_t{network_order[0]} << 24) | (std::uint32_t{network_order[1]} << 16) |
            (std::uint32_t{network_order[2]} << 8) | std::uint32_t{network_order[3]});
}

IpAddress IpAddress::v6(std::span<const std::uint8_t, 16> network_order) {
  IpAddress address;
  std::copy(network_order.begin(), network_order.end(), address.bytes_.begin());
  return address;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a terminated string; addresses are at most 45 characters.
  if (text.empty() || text.size() > 45) return std::nullopt;
  // inet_pton would stop at an embedded NUL and accept "1.2.3.4\0junk".
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  char buffer[46];
  std::copy(text.begin(), text.end(), buffer);
  buffer[text.size()] = '\0';
  std::uint8_t raw[16];
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buffer, raw) != 1) return std::nullopt;
    return v4_bytes(std::span<const std::uint8_t, 4>(raw, 4));
  }
  if (inet_pton(AF_INET6, buffer, raw) != 1) return std::nullopt;
  return v6(std::span<const std::uint8_t, 16>(raw, 16));
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, bytes_.data() + 12, buffer, sizeof buffer);
  } else {
    inet_ntop(AF_INET6, bytes_.data(), buffer, sizeof buffer);
  }
  return buffer;
}

Prefix::Prefix(IpAddress address, int length) {
  const int width = address.family_bits();
  length = std::clamp(length, 0, width);
  auto bytes = address.bytes();
  const int offset = 128 - width;  // IPv4 bits start at bit 96 of the mapped form
  for (int bit = offset + length; bit < 128; ++bit) {
    bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  address_ = IpAddress::v6(std::span<const std::uint8_t, 16>(bytes));
  length_ = static_cast<std::uint8_t>(length);
}

Result<Prefix> Prefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return fail("'{}' is not an IP address", text.substr(0, slash));
  if (slash == std::string_view::npos) return Prefix(*address, address->family_bits());
  const auto length_text = text.substr(slash + 1);
  // IPv4-mapped text (::ffff:a.b.c.d/len) counts its length in IPv6 bits.
  const bool mapped = address->is_v4() && text.substr(0, slash).find(':') != std::string_view::npos;
  const int max_length = mapped ? 128 : address->family_bits();
  int length = -1;
  const auto [end, error] =
      std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  if (error != std::errc{} || end != length_text.data() + length_text.size() || length < 0 ||
      length > max_length) {
    return fail("'{}' is not a valid prefix length for {}", length_text,
                max_length == 32 ? "IPv4" : "IPv6");
  }
  if (mapped) {
    if (length < 96) {
      return fail("prefix '{}' reaches outside the IPv4-mapped block ::ffff:0:0/96", text);
    }
    length -= 96;
  }
  Prefix prefix(*address, length);
  if (prefix.address() != *address) {
    return fail("prefix '{}' has host bits set (did you mean {}?)", text, prefix.to_string());
  }
  return prefix;
}

bool Prefix::contains(const IpAddress& address) const {
  if (address.is_v4() != address_.is_v4()) return false;
  return Prefix(address, length_).address_ == address_;
}

std::string Prefix::to_string() const {
  return address_.to_string() + "/" + std::to_string(length_);
}

}  // namespace mamori
