#pragma once
// synth/rules: the selection rules that go with a synthetic capture: the demo ruleset
// (built from the seed's attack infrastructure, see scenarios.h), the large benchmark
// ruleset, writing them in the sieve's TOML format (sieve/ruleset.h) with values_file lists
// beside it, and a small reference matcher that computes which rules select a flow from its
// facts: the ground truth. The matcher is deliberately simple and independent of the sieve.
//
// Reference semantics (what the truth file assumes):
//   ip      either endpoint inside the prefix
//   domain  exact name, or for ".x"/"*.x" any name ending in ".x" (the apex is never
//           generated, so its treatment does not matter); compared on TLS SNI, HTTP Host and
//           DNS question names
//   port    either endpoint's port ("tcp/N", "udp/N" restrict the transport)
//   ja3     MD5 or full JA3 string of the ClientHello; ja4: the JA4 string
//   bytes   the pattern occurs in the leading payload bytes of either direction
//   scan, amplification, beacon   behaviour rules select by what hosts do across flows: the
//           matcher never reports them (the detection profile's truth has actors instead)

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/synth/flow_facts.h"

namespace mamori::synth {

struct SynthRule {
  std::string id;
  std::string kind;  // ip | domain | port | ja3 | ja4 | bytes
  std::string description;
  std::vector<std::string> values;  // as written ("hex:..." or literal for bytes)
  // When set, the values go to this file (a name beside the ruleset) instead of inline.
  std::string values_file;
  // Behaviour rules (scan, amplification, beacon): parameters as name and TOML value text
  // (`min_targets` = "64", `window` = "\"5m\""), written instead of values.
  std::vector<std::pair<std::string, std::string>> params = {};
};

class RuleMatcher {
 public:
  explicit RuleMatcher(std::span<const SynthRule> rules);

  // Ids of the rules that select the flow, in ruleset order.
  std::vector<std::string> match(const FlowFacts& facts) const;
  // Whether any ip rule covers the address / any domain rule covers the name: generators
  // use these to keep benign traffic clear of the rules.
  bool covers_address(const IpAddress& address) const;
  bool covers_domain(std::string_view name) const;

 private:
  struct Compiled {
    std::string id;
    std::string kind;
    std::vector<Prefix> prefixes;
    std::vector<std::string> domains;  // exact, or starting with '.' for suffix
    std::vector<std::pair<std::uint8_t, std::uint16_t>> ports;  // (protocol or 0, port)
    std::vector<std::string> strings;  // ja3/ja4 values, decoded byte patterns
  };
  static bool domain_matches(const Compiled& rule, std::string_view name);
  std::vector<Compiled> rules_;
};

// Decodes a `bytes` rule value: "hex:..." or the literal bytes.
std::string decode_pattern(std::string_view value);

struct RulesetFiles {
  std::filesystem::path ruleset;
  std::vector<std::filesystem::path> lists;
};

// Writes `<dir>/<name>` and each rule's values_file beside it.
Result<RulesetFiles> write_ruleset(const std::filesystem::path& path, std::string_view title,
                                   std::string_view header_comment,
                                   std::span<const SynthRule> rules);

// The benchmark lists: `ip_count` ip values (host and network prefixes, IPv4 and IPv6),
// `domain_count` domains (exact and suffix), `pattern_count` byte patterns (literal and hex),
// all chosen so that they match no generated traffic. `file_stem` prefixes the list names.
std::vector<SynthRule> make_bench_rules(std::uint64_t seed, std::string_view file_stem,
                                        std::size_t ip_count, std::size_t domain_count,
                                        std::size_t pattern_count);

// TOML basic-string literal for arbitrary text.
std::string toml_string(std::string_view text);

}  // namespace mamori::synth
