#pragma once
// sieve/domain_matcher: `domain` rules. An exact rule "example.net" matches that name only;
// a suffix rule ".example.net" matches names *below* it ("a.example.net", "x.y.example.net")
// on label boundaries — not "example.net" itself (add an exact rule for that: selection is
// kept as narrow as written) and never "badexample.net". Lookups fold ASCII case, ignore one
// trailing dot, and do not allocate: one right-to-left hashing pass, one probe per label.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mamori/sieve/rule_lists.h"
#include "mamori/sieve/string_table.h"

namespace mamori::sieve {

class DomainMatcher {
 public:
  // Canonical domain values (rule_value.h) with their rules.
  void build(const std::vector<std::pair<std::string_view, RuleIndex>>& values, RuleLists& lists);

  // Adds the rules of every exact or suffix rule matching `name`.
  void match(std::string_view name, const RuleLists& lists, MatchSet& out) const;

  bool empty() const { return exact_.empty() && suffix_.empty(); }
  std::size_t exact_count() const { return exact_.size(); }
  std::size_t suffix_count() const { return suffix_.size(); }
  std::size_t memory_bytes() const { return exact_.memory_bytes() + suffix_.memory_bytes(); }

 private:
  // Lengths (≤ 254) that some suffix key has: most label boundaries of a name (".com") are
  // then skipped without touching the table.
  bool suffix_length(std::size_t length) const {
    return (suffix_lengths_[length >> 6] >> (length & 63)) & 1;
  }

  StringTable exact_;
  StringTable suffix_;  // keys keep their leading '.'
  std::array<std::uint64_t, 4> suffix_lengths_{};
};

}  // namespace mamori::sieve
