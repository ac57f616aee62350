#pragma once
// decode/app_text: turning untrusted protocol bytes (SNI, ALPN names, Host, User-Agent) into
// record text. Internal to decode. Output is always printable ASCII and bounded, so a record
// can be written as JSON or to a terminal without escaping surprises.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace mamori::decode::text {

constexpr bool is_printable(std::uint8_t c) { return c >= 0x20 && c <= 0x7e; }

constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Appends at most `cap` bytes of `bytes`, each byte outside 0x20..0x7e replaced by '?',
// letters lower-cased when `lower`.
inline void append_printable(std::string& out, std::span<const std::uint8_t> bytes, std::size_t cap,
                             bool lower) {
  const std::size_t count = bytes.size() < cap ? bytes.size() : cap;
  out.reserve(out.size() + count);
  for (std::size_t i = 0; i < count; ++i) {
    const char c = is_printable(bytes[i]) ? static_cast<char>(bytes[i]) : '?';
    out.push_back(lower ? to_lower(c) : c);
  }
}

}  // namespace mamori::decode::text
