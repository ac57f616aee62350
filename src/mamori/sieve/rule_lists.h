#pragma once
// sieve/rule_lists: the lists of rules a matcher key stands for ("this prefix: rules 3 and
// 17"), interned in one pool so that every matcher maps a key to a single 32-bit list id.
// Built once with the compiled ruleset and read-only afterwards.

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "mamori/sieve/match_set.h"

namespace mamori::sieve {

class RuleLists {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  // Returns the id of the list holding `rules` (sorted and deduplicated here); equal lists
  // share one id.
  std::uint32_t intern(std::vector<RuleIndex> rules);
  // Drops the build-time index; intern() must not be called afterwards.
  void finish();

  std::span<const RuleIndex> get(std::uint32_t id) const {
    return {pool_.data() + offsets_[id], pool_.data() + offsets_[id + 1]};
  }
  std::size_t size() const { return offsets_.size() - 1; }
  std::size_t memory_bytes() const {
    return pool_.capacity() * sizeof(RuleIndex) + offsets_.capacity() * sizeof(std::uint32_t);
  }

 private:
  std::vector<RuleIndex> pool_;
  std::vector<std::uint32_t> offsets_{0};
  std::map<std::vector<RuleIndex>, std::uint32_t> index_;
};

}  // namespace mamori::sieve
