#include "mamori/sieve/ip_matcher.h"

#include <algorithm>
#include <tuple>

namespace mamori::sieve {

void IpMatcher::build(std::vector<std::pair<Prefix, RuleIndex>> entries, RuleLists& lists) {
  static_assert(PrefixMap::kNoValue == RuleLists::kNone);
  // Family first, then address, then length: within a family that is a pre-order walk of the
  // prefix tree, so the prefixes covering the current one are exactly those on the stack.
  // (A v6 ::/0 must not be popped by IPv4 entries sorting between its v6 children.)
  const auto order = [](const Prefix& p) {
    return std::make_tuple(!p.address().is_v4(), p.address(), p.length());
  };
  std::sort(entries.begin(), entries.end(), [&](const auto& a, const auto& b) {
    return std::make_tuple(order(a.first), a.second) < std::make_tuple(order(b.first), b.second);
  });

  struct Open {
    Prefix prefix;
    std::vector<RuleIndex> rules;  // this prefix's rules and those of its covering prefixes
  };
  std::vector<Open> stack;
  PrefixMap::Builder builder;
  prefixes_ = 0;
  for (std::size_t i = 0; i < entries.size();) {
    const Prefix prefix = entries[i].first;
    const bool v4 = prefix.address().is_v4();
    while (!stack.empty() && (stack.back().prefix.address().is_v4() != v4 ||
                              !stack.back().prefix.contains(prefix.address()))) {
      stack.pop_back();
    }
    Open open{prefix, stack.empty() ? std::vector<RuleIndex>{} : stack.back().rules};
    for (; i < entries.size() && entries[i].first == prefix; ++i) {
      open.rules.push_back(entries[i].second);
    }
    builder.insert(prefix, lists.intern(open.rules));
    ++prefixes_;
    stack.push_back(std::move(open));
  }
  map_ = std::move(builder).build();
}

}  // namespace mamori::sieve
