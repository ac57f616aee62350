#pragma once
// sieve/ip_matcher: `ip` rules as one longest-prefix-match table. Each stored prefix maps to
// the list of rules of that prefix *and of every prefix covering it*, so one lookup yields
// all rules whose prefix contains the address (nested rules are all reported).

#include <cstdint>
#include <utility>
#include <vector>

#include "mamori/core/ip.h"
#include "mamori/core/prefix_map.h"
#include "mamori/sieve/rule_lists.h"

namespace mamori::sieve {

class IpMatcher {
 public:
  void build(std::vector<std::pair<Prefix, RuleIndex>> entries, RuleLists& lists);

  // The rule list id for the address, or RuleLists::kNone.
  std::uint32_t find(const IpAddress& address) const {
    return prefixes_ == 0 ? RuleLists::kNone : map_.lookup(address);
  }
  std::uint32_t find_v4(std::uint32_t host_order) const {
    return prefixes_ == 0 ? RuleLists::kNone : map_.lookup_v4(host_order);
  }

  bool empty() const { return prefixes_ == 0; }
  std::size_t prefix_count() const { return prefixes_; }
  std::size_t memory_bytes() const { return map_.memory_bytes(); }

 private:
  PrefixMap map_;
  std::size_t prefixes_ = 0;
};

}  // namespace mamori::sieve
