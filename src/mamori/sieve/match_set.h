#pragma once
// sieve/match_set: the rules one flow matched, as indices into a CompiledRuleset. A fixed
// array, so the packet path never allocates; matches past kMaxMatches are counted, not kept
// (the record holds at most kMaxMatches anyway).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "mamori/sieve/record.h"

namespace mamori::sieve {

using RuleIndex = std::uint32_t;

class MatchSet {
 public:
  static constexpr std::size_t kCapacity = kMaxMatches;

  // Adds a rule unless present; returns true when it was added.
  bool add(RuleIndex rule) {
    if (contains(rule)) return false;
    if (size_ == kCapacity) {
      ++overflow_;
      return false;
    }
    rules_[size_++] = rule;
    return true;
  }
  void add_all(std::span<const RuleIndex> rules) {
    for (RuleIndex rule : rules) add(rule);
  }
  bool contains(RuleIndex rule) const {
    for (std::size_t i = 0; i < size_; ++i) {
      if (rules_[i] == rule) return true;
    }
    return false;
  }
  std::span<const RuleIndex> rules() const { return {rules_.data(), size_}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Distinct matches that did not fit (a rule may be counted more than once).
  std::uint32_t overflow() const { return overflow_; }
  void clear() {
    size_ = 0;
    overflow_ = 0;
  }

 private:
  std::array<RuleIndex, kCapacity> rules_{};
  std::size_t size_ = 0;
  std::uint32_t overflow_ = 0;
};

}  // namespace mamori::sieve
