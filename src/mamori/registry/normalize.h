#pragma once
// registry/normalize: the text forms operators file names in, folded so that the same vendor,
// product or version matches however it was typed: full-width ASCII (ＦｏｒｔｉＯＳ) and the
// ideographic space become ASCII, half-width katakana (ﾌｫｰﾃｨﾈｯﾄ) becomes full-width (with
// dakuten/handakuten joined), case is folded, runs of blanks become one space, and a fixed
// list of corporate suffixes and punctuation is dropped for vendor names ("Cisco Systems,
// Inc." ~ "cisco"; "株式会社日立製作所" ~ "日立製作所").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::registry {

// Width folding only (NFKC for the ranges above); invalid UTF-8 bytes become U+FFFD.
std::string fold_width(std::string_view text);
// fold_width, then ASCII lower case, trimmed, inner blanks collapsed to one space.
std::string normalize_text(std::string_view text);
// normalize_text, then corporate suffixes and punctuation removed: a matching key.
std::string vendor_key(std::string_view vendor);
// normalize_text with '_' and '-' read as spaces: "FortiOS" ~ "fortios", "PAN-OS" ~ "pan os".
std::string product_key(std::string_view product);

// A dotted version such as "7.2.4", "17.3.2a", "10.0 build 1234" split into comparable parts
// (numbers compare numerically, text lexically). nullopt for text with no digit.
struct Version {
  std::vector<std::string> parts;
  // <0, 0, >0 like strcmp; missing trailing parts count as 0 ("7.2" == "7.2.0").
  int compare(const Version& other) const;
};
std::optional<Version> parse_version(std::string_view text);

}  // namespace mamori::registry
