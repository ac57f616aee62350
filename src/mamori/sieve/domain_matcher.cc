#include "mamori/sieve/domain_matcher.h"

#include <map>

#include "mamori/sieve/rule_value.h"

namespace mamori::sieve {
namespace {

std::vector<std::pair<std::string, std::uint32_t>> intern_all(
    const std::map<std::string_view, std::vector<RuleIndex>>& groups, RuleLists& lists) {
  std::vector<std::pair<std::string, std::uint32_t>> entries;
  entries.reserve(groups.size());
  for (const auto& [key, rules] : groups) entries.emplace_back(key, lists.intern(rules));
  return entries;
}

}  // namespace

void DomainMatcher::build(const std::vector<std::pair<std::string_view, RuleIndex>>& values,
                          RuleLists& lists) {
  std::map<std::string_view, std::vector<RuleIndex>> exact;
  std::map<std::string_view, std::vector<RuleIndex>> suffix;
  for (const auto& [value, rule] : values) {
    (is_domain_suffix(value) ? suffix : exact)[value].push_back(rule);
  }
  suffix_lengths_ = {};
  for (const auto& [key, rules] : suffix) {
    suffix_lengths_[key.size() >> 6] |= std::uint64_t{1} << (key.size() & 63);
  }
  exact_.build(intern_all(exact, lists));
  suffix_.build(intern_all(suffix, lists));
}

void DomainMatcher::match(std::string_view name, const RuleLists& lists, MatchSet& out) const {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxDomainLength) return;
  std::uint64_t hash = StringTable::kSeed;
  if (!suffix_.empty()) {
    // A dot at position 0 would make an empty label: not a name below the suffix.
    for (std::size_t i = name.size(); i > 1; --i) {
      hash = StringTable::step(hash, name[i - 1]);
      if (name[i - 1] == '.' && suffix_length(name.size() - i + 1)) {
        const auto id = suffix_.find(name.substr(i - 1), hash);
        if (id != StringTable::kNotFound) out.add_all(lists.get(id));
      }
    }
    hash = StringTable::step(hash, name[0]);
  } else {
    hash = StringTable::hash(name);
  }
  if (!exact_.empty()) {
    const auto id = exact_.find(name, hash);
    if (id != StringTable::kNotFound) out.add_all(lists.get(id));
  }
}

}  // namespace mamori::sieve
