#include "mamori/privacy/rule_index.h"

#include "mamori/sieve/rule_value.h"

namespace mamori::privacy {
namespace {

std::string normalize_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Calls `found` with each rule value `observed` matches; stops when it returns false.
template <class Found>
void each_domain_value(const RuleIndex::Rule& rule, std::string_view observed, Found found) {
  const std::string name = normalize_name(observed);
  if (name.empty()) return;
  if (auto exact = rule.exact.find(name); exact != rule.exact.end()) {
    if (!found(*exact)) return;
  }
  // Suffix rules match strictly below them, on a label boundary.
  for (std::size_t dot = name.find('.', 1); dot != std::string::npos;
       dot = name.find('.', dot + 1)) {
    const std::string_view tail = std::string_view(name).substr(dot);
    if (auto suffix = rule.suffix.find(tail); suffix != rule.suffix.end()) {
      if (!found(*suffix)) return;
    }
  }
}

}  // namespace

Result<RuleIndex> RuleIndex::create(const sieve::Ruleset& ruleset) {
  RuleIndex index;
  for (const sieve::Rule& rule : ruleset.rules) {
    Rule info;
    info.kind = rule.kind;
    if (rule.kind == sieve::RuleKind::ip) {
      PrefixMap::Builder prefixes;
      for (std::size_t i = 0; i < rule.values.size(); ++i) {
        auto prefix = Prefix::parse(rule.values[i]);
        if (!prefix) {
          return fail("ruleset {}: rule '{}': values[{}] is not an address prefix", ruleset.path,
                      rule.id, i);
        }
        prefixes.insert(*prefix, 0);
      }
      info.prefixes = std::move(prefixes).build();
    } else if (rule.kind == sieve::RuleKind::domain) {
      for (const std::string& value : rule.values) {
        (sieve::is_domain_suffix(value) ? info.suffix : info.exact).insert(value);
      }
    }
    index.rules_.insert_or_assign(rule.id, std::move(info));
  }
  return index;
}

const RuleIndex::Rule* RuleIndex::find(std::string_view id, sieve::RuleKind kind) const {
  const auto found = rules_.find(id);
  if (found == rules_.end() || found->second.kind != kind) return nullptr;
  return &found->second;
}

bool RuleIndex::lists(const Rule& rule, const IpAddress& address) {
  return rule.prefixes.lookup(address) != PrefixMap::kNoValue;
}

void RuleIndex::domain_values(const Rule& rule, std::string_view observed,
                              std::set<std::string>& values) {
  each_domain_value(rule, observed, [&](const std::string& value) {
    values.insert(value);
    return true;
  });
}

bool RuleIndex::matches_domain(const Rule& rule, std::string_view observed) {
  bool matched = false;
  each_domain_value(rule, observed, [&](const std::string&) {
    matched = true;
    return false;
  });
  return matched;
}

}  // namespace mamori::privacy
