// core/utf8: the decoder every module shares, on well-formed and hostile input.

#include "mamori/core/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mamori {
namespace {

std::vector<char32_t> decode_all(std::string_view text) {
  std::vector<char32_t> out;
  std::size_t pos = 0;
  while (pos < text.size()) out.push_back(decode_utf8(text, pos).value_or(kReplacementCharacter));
  return out;
}

TEST(Utf8, DecodesAndEncodesEveryLength) {
  const std::string text = "a\u00e9\u65e5\U0001F600";  // 1, 2, 3 and 4 bytes
  EXPECT_EQ(decode_all(text), (std::vector<char32_t>{U'a', 0xE9, 0x65E5, 0x1F600}));
  std::string encoded;
  for (char32_t code : decode_all(text)) append_utf8(encoded, code);
  EXPECT_EQ(encoded, text);
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_EQ(first_invalid_utf8(text), std::string_view::npos);
}

// RFC 3629 §3: overlong forms, surrogates and code points above U+10FFFF are ill-formed.
TEST(Utf8, IllFormedSequencesConsumeOneByteEach) {
  const struct {
    std::string text;
    std::size_t first_invalid;
  } cases[] = {
      {"ab\x80", 2},            // stray continuation byte
      {"\xC0\xAF", 0},          // overlong '/'
      {"\xE0\x80\xAF", 0},      // overlong, three bytes
      {"\xED\xA0\x80", 0},      // surrogate U+D800
      {"\xF4\x90\x80\x80", 0},  // U+110000
      {"x\xE6\x97", 1},         // truncated at the end
      {"\xE6\x97"
       "a",
       0},  // truncated before a character
      {"\xFF", 0},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(first_invalid_utf8(c.text), c.first_invalid) << c.text.size();
    EXPECT_FALSE(is_valid_utf8(c.text));
  }
  // The character after a bad byte is never swallowed.
  EXPECT_EQ(decode_all("\xE6\x97"
                       "a"),
            (std::vector<char32_t>{kReplacementCharacter, kReplacementCharacter, U'a'}));
}

TEST(Utf8, FoldsFullWidthAsciiAndTheIdeographicSpace) {
  EXPECT_EQ(fold_fullwidth_ascii(0xFF21), U'A');  // Ａ
  EXPECT_EQ(fold_fullwidth_ascii(0xFF5E), U'~');
  EXPECT_EQ(fold_fullwidth_ascii(0x3000), U' ');
  EXPECT_EQ(fold_fullwidth_ascii(0x65E5), char32_t{0x65E5});  // 日 unchanged
  EXPECT_EQ(fold_fullwidth_ascii(0xFF61), char32_t{0xFF61});  // half-width kana: not ASCII
}

}  // namespace
}  // namespace mamori
