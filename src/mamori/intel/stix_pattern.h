#pragma once
// intel/stix_pattern: the subset of STIX 2.1 patterning (spec section 9) that mamori's
// indicators use: equality comparisons on an address, domain name, URL or file hash, grouped in
// observation expressions ("[...]") and joined by one operator (all AND or all OR) at each
// level, e.g.  [ipv4-addr:value = '203.0.113.7'] OR [domain-name:value = 'c2.example'].
// Rendering escapes string literals (\' and \\), so any value round-trips. Imported patterns
// outside this subset stay opaque text; parse_pattern says why they are not ours.

#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"

namespace mamori::intel::stix {

enum class ObservableProperty {
  kIpv4,        // ipv4-addr:value (address or CIDR)
  kIpv6,        // ipv6-addr:value (address or CIDR)
  kDomainName,  // domain-name:value
  kUrl,         // url:value
  kFileMd5,     // file:hashes.MD5
  kFileSha1,    // file:hashes.'SHA-1'
  kFileSha256,  // file:hashes.'SHA-256'
  kFileSha512,  // file:hashes.'SHA-512'
};

// The object path as rendered: "ipv4-addr:value", "file:hashes.'SHA-256'".
std::string_view object_path(ObservableProperty property);

enum class PatternJoin { kOr, kAnd };

struct PatternComparison {
  ObservableProperty property = ObservableProperty::kIpv4;
  std::string value;
  bool operator==(const PatternComparison&) const = default;
};

// One "[...]": comparisons joined by `join`.
struct PatternObservation {
  std::vector<PatternComparison> comparisons;
  PatternJoin join = PatternJoin::kOr;
  bool operator==(const PatternObservation&) const = default;
};

// Observation expressions joined by `join`.
struct Pattern {
  std::vector<PatternObservation> observations;
  PatternJoin join = PatternJoin::kOr;
  bool operator==(const Pattern&) const = default;
};

// A pattern of one observation per value, joined by OR: the usual shape of an indicator.
Pattern any_of(ObservableProperty property, const std::vector<std::string>& values);

// Checks every value (IPv4/IPv6 address or prefix, non-empty valid UTF-8 domain/URL, hash hex
// of the right length) and renders the pattern text.
Result<std::string> render_pattern(const Pattern& pattern);
// 'value' with \ and ' escaped.
std::string quote_pattern_string(std::string_view value);
// Parses a pattern of the subset above; fails (with the byte offset) on anything else.
Result<Pattern> parse_pattern(std::string_view text);

}  // namespace mamori::intel::stix
