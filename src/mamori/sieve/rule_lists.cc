#include "mamori/sieve/rule_lists.h"

#include <algorithm>

namespace mamori::sieve {

std::uint32_t RuleLists::intern(std::vector<RuleIndex> rules) {
  std::sort(rules.begin(), rules.end());
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
  const auto [it, fresh] = index_.emplace(std::move(rules), static_cast<std::uint32_t>(size()));
  if (fresh) {
    pool_.insert(pool_.end(), it->first.begin(), it->first.end());
    offsets_.push_back(static_cast<std::uint32_t>(pool_.size()));
  }
  return it->second;
}

void RuleLists::finish() {
  index_.clear();
  pool_.shrink_to_fit();
  offsets_.shrink_to_fit();
}

}  // namespace mamori::sieve
