#pragma once
// scope/country: ISO 3166-1 alpha-2 codes packed in 16 bits ("JP" = 'J'<<8|'P'); 0 = unknown.

#include <cstdint>
#include <string>
#include <string_view>

namespace mamori::scope {

struct CountryCode {
  std::uint16_t packed = 0;

  static constexpr CountryCode from(std::string_view code) {
    if (code.size() != 2) return {};
    return {static_cast<std::uint16_t>((static_cast<unsigned char>(code[0]) << 8) |
                                       static_cast<unsigned char>(code[1]))};
  }
  constexpr bool known() const { return packed != 0; }
  // "JP", or "" when unknown.
  std::string to_string() const {
    if (!known()) return {};
    return {static_cast<char>(packed >> 8), static_cast<char>(packed & 0xff)};
  }
  constexpr bool operator==(const CountryCode&) const = default;
};

inline constexpr CountryCode kJapan = CountryCode::from("JP");

}  // namespace mamori::scope
