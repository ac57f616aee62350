#include "mamori/sieve/port_matcher.h"

#include <algorithm>

namespace mamori::sieve {

void PortMatcher::build(const std::vector<std::pair<PortRange, RuleIndex>>& ranges,
                        RuleLists& lists) {
  entries_ = ranges.size();
  for (std::size_t cls = 0; cls < tables_.size(); ++cls) {
    // (port, rule) pairs of this class; a range expands to one pair per port.
    std::vector<std::pair<std::uint16_t, RuleIndex>> pairs;
    for (const auto& [range, rule] : ranges) {
      const bool applies = range.protocol == PortProtocol::any ||
                           (cls == 0 && range.protocol == PortProtocol::tcp) ||
                           (cls == 1 && range.protocol == PortProtocol::udp);
      if (!applies) continue;
      for (std::uint32_t port = range.first; port <= range.last; ++port) {
        pairs.emplace_back(static_cast<std::uint16_t>(port), rule);
      }
    }
    Table& table = tables_[cls];
    table = Table{};
    if (pairs.empty()) continue;
    std::sort(pairs.begin(), pairs.end());
    table.bits.assign(65536 / 64, 0);
    table.lists.assign(65536, RuleLists::kNone);
    for (std::size_t i = 0; i < pairs.size();) {
      const std::uint16_t port = pairs[i].first;
      std::vector<RuleIndex> rules;
      for (; i < pairs.size() && pairs[i].first == port; ++i) rules.push_back(pairs[i].second);
      table.bits[port >> 6] |= std::uint64_t{1} << (port & 63);
      table.lists[port] = lists.intern(std::move(rules));
    }
  }
}

std::size_t PortMatcher::memory_bytes() const {
  std::size_t total = 0;
  for (const auto& table : tables_) {
    total += table.bits.capacity() * sizeof(std::uint64_t) +
             table.lists.capacity() * sizeof(std::uint32_t);
  }
  return total;
}

}  // namespace mamori::sieve
