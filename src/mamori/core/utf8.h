#pragma once
// core/utf8: the one UTF-8 decoder, encoder and validator. Well-formed means RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF. Inputs (operators' files, ledger
// text, user names) are untrusted, so decoding never reads past the end and never throws.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mamori {

inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// Decodes the code point at `pos` and advances past it. Ill-formed input yields nullopt and
// advances one byte, so the next well-formed character is never swallowed.
std::optional<char32_t> decode_utf8(std::string_view text, std::size_t& pos);
// Appends `code` (≤ U+10FFFF, not a surrogate) as UTF-8.
void append_utf8(std::string& out, char32_t code);
// Offset of the first byte that is not part of well-formed UTF-8, or npos.
std::size_t first_invalid_utf8(std::string_view text);
inline bool is_valid_utf8(std::string_view text) {
  return first_invalid_utf8(text) == std::string_view::npos;
}
// Full-width ASCII (U+FF01–U+FF5E) as ASCII, U+3000 (ideographic space) as a space; any other
// code point unchanged. The part of NFKC every Japanese form needs.
constexpr char32_t fold_fullwidth_ascii(char32_t code) {
  if (code >= 0xFF01 && code <= 0xFF5E) return code - 0xFEE0;
  if (code == 0x3000) return U' ';
  return code;
}

}  // namespace mamori
