#include "mamori/registry/normalize.h"

#include "mamori/core/utf8.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace mamori::registry {
namespace {

// Ill-formed UTF-8 reads as U+FFFD, one byte at a time (core/utf8.h).
char32_t decode(std::string_view text, std::size_t& pos) {
  return decode_utf8(text, pos).value_or(kReplacementCharacter);
}

// Half-width katakana U+FF61..U+FF9F to their NFKC forms (Unicode compatibility mappings).
// ﾞ and ﾟ map to the combining marks U+3099/U+309A and are joined with the letter before them
// where a precomposed letter exists.
constexpr std::array<char16_t, 0x3F> kHalfWidthKana = {
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3,  // ｡｢｣､･ｦｧｨ
    0x30A5, 0x30A7, 0x30A9, 0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC,  // ｩｪｫｬｭｮｯｰ
    0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF,  // ｱｲｳｴｵｶｷｸ
    0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF,  // ｹｺｻｼｽｾｿﾀ
    0x30C1, 0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD,  // ﾁﾂﾃﾄﾅﾆﾇﾈ
    0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, 0x30DE, 0x30DF,  // ﾉﾊﾋﾌﾍﾎﾏﾐ
    0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9, 0x30EA,  // ﾑﾒﾓﾔﾕﾖﾗﾘ
    0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x3099, 0x309A,          // ﾙﾚﾛﾜﾝﾞﾟ
};

constexpr char32_t kCombiningVoiced = 0x3099;      // from ﾞ
constexpr char32_t kCombiningSemiVoiced = 0x309A;  // from ﾟ

// The precomposed voiced (dakuten) letter for a kana, or 0. Covers katakana and hiragana so that
// "カﾞ" composes as NFKC would.
char32_t voiced(char32_t cp) {
  for (char32_t base : {char32_t{0x30A0}, char32_t{0x3040}}) {  // katakana, hiragana
    const char32_t k = cp - base + 0x30A0;                      // the katakana equivalent
    if (cp < base || cp > base + 0x5F) continue;
    // カ..チ: every other code point, voiced = +1.
    if (k >= 0x30AB && k <= 0x30C1 && (k - 0x30AB) % 2 == 0) return cp + 1;
    // ツ テ ト
    if (k == 0x30C4 || k == 0x30C6 || k == 0x30C8) return cp + 1;
    // ハ ヒ フ ヘ ホ: voiced +1, semi-voiced +2.
    if (k >= 0x30CF && k <= 0x30DB && (k - 0x30CF) % 3 == 0) return cp + 1;
    if (k == 0x30A6) return base == 0x30A0 ? 0x30F4 : 0x3094;  // ウ → ヴ, う → ゔ
    if (base == 0x30A0) {
      if (cp == 0x30EF) return 0x30F7;  // ワ → ヷ
      if (cp == 0x30F0) return 0x30F8;  // ヰ → ヸ
      if (cp == 0x30F1) return 0x30F9;  // ヱ → ヹ
      if (cp == 0x30F2) return 0x30FA;  // ヲ → ヺ
    }
  }
  return 0;
}

char32_t semi_voiced(char32_t cp) {
  for (char32_t base : {char32_t{0x30A0}, char32_t{0x3040}}) {
    if (cp < base || cp > base + 0x5F) continue;
    const char32_t k = cp - base + 0x30A0;
    if (k >= 0x30CF && k <= 0x30DB && (k - 0x30CF) % 3 == 0) return cp + 2;
  }
  return 0;
}

bool is_blank(char32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' ||
         cp == 0xA0;  // no-break space, common in pasted spreadsheet cells
}

// Width folding and, with `lower`, ASCII lower case; code points, not yet re-encoded.
std::u32string fold_code_points(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = fold_fullwidth_ascii(decode(text, pos));
    if (cp >= 0xFF61 && cp <= 0xFF9F) cp = kHalfWidthKana[cp - 0xFF61];
    if ((cp == kCombiningVoiced || cp == kCombiningSemiVoiced) && !out.empty()) {
      const char32_t joined = cp == kCombiningVoiced ? voiced(out.back()) : semi_voiced(out.back());
      if (joined != 0) {
        out.back() = joined;
        continue;
      }
    }
    out.push_back(cp);
  }
  return out;
}

std::string encode_all(const std::u32string& cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) append_utf8(out, cp);
  return out;
}

// Lower-cases ASCII, trims and collapses blank runs to one space; `extra_blanks` are ASCII
// characters read as blanks too (product_key's '_' and '-').
std::string normalize_with(std::string_view text, std::string_view extra_blanks) {
  const std::u32string cps = fold_code_points(text);
  std::u32string out;
  out.reserve(cps.size());
  bool pending_space = false;
  for (char32_t cp : cps) {
    const bool blank = is_blank(cp) ||
                       (cp < 0x80 && extra_blanks.find(static_cast<char>(cp)) != extra_blanks.npos);
    if (blank) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    out.push_back(cp);
  }
  return encode_all(out);
}

// Japanese corporate forms, removed wherever they stand (株式会社 comes before or after the
// name). Written in their normalize_text form: "（株）" has become "(株)".
constexpr std::array<std::string_view, 9> kJapaneseCorporateForms = {
    "株式会社", "(株)", "㈱", "有限会社", "(有)", "㈲", "合同会社", "合資会社", "合名会社",
};

// Latin corporate suffixes, compared with a word whose periods were removed and dropped only
// at the end of the name (repeatedly: "Co., Ltd."), never leaving an empty key. "Systems"
// is on the list because vendors file both "Cisco" and "Cisco Systems, Inc.".
constexpr std::array<std::string_view, 18> kLatinCorporateSuffixes = {
    "inc",  "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc",
    "gmbh", "ag",           "sa",   "plc",         "kk", "gk",      "se",  "system",  "systems",
};

bool is_latin_suffix(std::string_view word) {
  for (std::string_view suffix : kLatinCorporateSuffixes) {
    if (word == suffix) return true;
  }
  return false;
}

// A new string rather than in-place replace(): GCC 12 warns falsely (-Wrestrict) on that.
std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  std::size_t start = 0;
  for (std::size_t at = text.find(from); at != text.npos; at = text.find(from, start)) {
    out.append(text.substr(start, at - start));
    out.append(to);
    start = at + from.size();
  }
  out.append(text.substr(start));
  return out;
}

}  // namespace

std::string fold_width(std::string_view text) { return encode_all(fold_code_points(text)); }

std::string normalize_text(std::string_view text) { return normalize_with(text, {}); }

std::string product_key(std::string_view product) { return normalize_with(product, "_-"); }

std::string vendor_key(std::string_view vendor) {
  std::string text = normalize_text(vendor);
  for (std::string_view form : kJapaneseCorporateForms) text = replace_all(text, form, " ");
  // Words split at blanks and commas; periods inside a word are dropped ("S.A." → "sa").
  std::vector<std::string> words;
  std::string word;
  const auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (char c : text) {
    if (c == ' ' || c == ',') {
      flush();
    } else if (c != '.') {
      word.push_back(c);
    }
  }
  flush();
  // Japanese commas and full stops (、。) are punctuation too; remove them inside words.
  for (std::string& w : words) w = replace_all(replace_all(w, "、", ""), "。", "");
  std::erase_if(words, [](const std::string& w) { return w.empty(); });
  while (words.size() > 1 && is_latin_suffix(words.back())) words.pop_back();
  std::string key;
  for (const std::string& w : words) {
    if (!key.empty()) key.push_back(' ');
    key += w;
  }
  return key;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || static_cast<unsigned char>(c) >= 0x80; }

// Numbers compare by value (leading zeros ignored, any length), text by bytes; a number ranks
// before text at the same position, so that "17.3.2a" (a rebuild with a letter, as Cisco and
// others number them) sorts after "17.3.2" = "17.3.2.0".
int compare_part(std::string_view a, std::string_view b) {
  const bool a_num = is_digit(a.front());
  const bool b_num = is_digit(b.front());
  if (a_num != b_num) return a_num ? -1 : 1;
  if (a_num) {
    while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
    while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  }
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

int Version::compare(const Version& other) const {
  const std::size_t n = std::max(parts.size(), other.parts.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view a = i < parts.size() ? std::string_view(parts[i]) : "0";
    const std::string_view b = i < other.parts.size() ? std::string_view(other.parts[i]) : "0";
    if (const int c = compare_part(a, b); c != 0) return c;
  }
  return 0;
}

std::optional<Version> parse_version(std::string_view text) {
  std::string folded = normalize_text(text);
  std::string_view rest = folded;
  // "v7.2.4" and "V7.2.4" are 7.2.4.
  if (rest.size() > 1 && rest.front() == 'v' && is_digit(rest[1])) rest.remove_prefix(1);
  Version version;
  bool any_digit = false;
  std::string part;
  const auto flush = [&] {
    if (!part.empty()) version.parts.push_back(std::move(part));
    part.clear();
  };
  for (char c : rest) {
    if (is_digit(c)) {
      if (!part.empty() && !is_digit(part.back())) flush();
      part.push_back(c);
      any_digit = true;
    } else if (is_alpha(c)) {
      if (!part.empty() && is_digit(part.back())) flush();
      part.push_back(c);
    } else {
      flush();  // '.', '-', '_', '(', blanks: separators
    }
  }
  flush();
  if (!any_digit) return std::nullopt;
  return version;
}

}  // namespace mamori::registry
