#pragma once
// privacy/rule_index: the approved ruleset's ip prefixes and domain values, by rule id. A
// record keeps which rules matched but not which endpoint or name a match was about; this
// answers that afterwards, exactly, for shareable aggregates, which must name the rule's value
// (not the observed name) and run where no compiled ruleset exists. (The field policy runs in
// the sieve and asks the sieve's compiled matchers instead.)

#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/core/prefix_map.h"
#include "mamori/sieve/ruleset.h"

namespace mamori::privacy {

class RuleIndex {
 public:
  struct Rule {
    sieve::RuleKind kind = sieve::RuleKind::ip;
    PrefixMap prefixes;                         // ip
    std::set<std::string, std::less<>> exact;   // domain
    std::set<std::string, std::less<>> suffix;  // domain, with the leading '.'
  };

  // Errors name the ruleset and rule when a value does not parse (a ruleset that compiled
  // never fails here).
  static Result<RuleIndex> create(const sieve::Ruleset& ruleset);

  // The rule with this id and kind; null when the ruleset has none (records of another ruleset).
  const Rule* find(std::string_view id, sieve::RuleKind kind) const;

  // Whether an ip rule lists the address.
  static bool lists(const Rule& rule, const IpAddress& address);
  // Adds to `values` the canonical values of a domain rule that `observed` matches: the exact
  // name, or a suffix strictly above it on a label boundary. Case and one trailing dot are
  // ignored, as in the sieve's domain matcher.
  static void domain_values(const Rule& rule, std::string_view observed,
                            std::set<std::string>& values);
  static bool matches_domain(const Rule& rule, std::string_view observed);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::unordered_map<std::string, Rule, Hash, std::equal_to<>> rules_;
};

}  // namespace mamori::privacy
