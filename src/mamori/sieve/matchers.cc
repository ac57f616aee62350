#include "mamori/sieve/matchers.h"

#include <hs/hs.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <map>
#include <utility>
#include <vector>

#include "mamori/sieve/behaviour_rule.h"
#include "mamori/sieve/digest.h"
#include "mamori/sieve/domain_matcher.h"
#include "mamori/sieve/ip_matcher.h"
#include "mamori/sieve/port_matcher.h"
#include "mamori/sieve/rule_lists.h"
#include "mamori/sieve/rule_value.h"
#include "mamori/sieve/string_table.h"

namespace mamori::sieve {

MatchScratch::MatchScratch(MatchScratch&& other) noexcept
    : scratch_(std::exchange(other.scratch_, nullptr)) {}

MatchScratch& MatchScratch::operator=(MatchScratch&& other) noexcept {
  if (this != &other) {
    hs_free_scratch(scratch_);
    scratch_ = std::exchange(other.scratch_, nullptr);
  }
  return *this;
}

MatchScratch::~MatchScratch() { hs_free_scratch(scratch_); }

struct CompiledRuleset::Impl {
  std::string hash;
  std::vector<std::string> ids;
  std::vector<RuleKind> kinds;
  std::vector<std::vector<std::string>> behaviour_values;  // per rule; empty unless behaviour
  std::uint32_t kind_mask = 0;
  RuleLists lists;
  IpMatcher ip;
  DomainMatcher domain;
  PortMatcher port;
  StringTable ja3;
  StringTable ja4;
  BytesMatcher bytes;
  CompileStats stats;
};

namespace {

std::uint32_t kind_bit(RuleKind kind) { return 1u << static_cast<unsigned>(kind); }

// Values of one kind as (key, rule) pairs.
struct ByKind {
  std::vector<std::pair<Prefix, RuleIndex>> ip;
  std::vector<std::pair<std::string_view, RuleIndex>> domain;
  std::vector<std::pair<PortRange, RuleIndex>> port;
  std::map<std::string, std::vector<RuleIndex>> ja3;  // keyed by the MD5
  std::map<std::string_view, std::vector<RuleIndex>> ja4;
  std::vector<BytesMatcher::Pattern> bytes;
  std::vector<std::string> bytes_where;  // backing store of Pattern::where
};

void collect(const Ruleset& ruleset, ByKind& by) {
  for (RuleIndex index = 0; index < ruleset.rules.size(); ++index) {
    const Rule& rule = ruleset.rules[index];
    for (std::size_t v = 0; v < rule.values.size(); ++v) {
      const std::string& value = rule.values[v];
      // Values are canonical (the loader normalized them), so parsing here cannot fail; a
      // Ruleset built by hand with bad values loses those values rather than crashing.
      switch (rule.kind) {
        case RuleKind::ip:
          if (auto prefix = Prefix::parse(value)) by.ip.emplace_back(*prefix, index);
          break;
        case RuleKind::domain:
          by.domain.emplace_back(value, index);
          break;
        case RuleKind::port:
          if (auto range = parse_port_range(value)) by.port.emplace_back(*range, index);
          break;
        case RuleKind::ja3:
          by.ja3[is_ja3_hash(value) ? value : md5_hex(value)].push_back(index);
          break;
        case RuleKind::ja4:
          by.ja4[value].push_back(index);
          break;
        case RuleKind::bytes:
          by.bytes_where.push_back(
              fmt::format("{}:{}: rule '{}': field '{}'", rule.file,
                          v < rule.value_lines.size() ? rule.value_lines[v] : 0, rule.id,
                          rule.values_file.empty() ? "value" : "values_file"));
          by.bytes.push_back({value, index, {}});
          break;
        case RuleKind::scan:
        case RuleKind::amplification:
        case RuleKind::beacon:
          break;  // thresholds, not values: compiled by sieve/behaviour.h
      }
    }
  }
  // Pattern::where views into bytes_where only once that vector stops growing.
  for (std::size_t i = 0; i < by.bytes.size(); ++i) by.bytes[i].where = by.bytes_where[i];
}

template <class Key>
void build_table(const std::map<Key, std::vector<RuleIndex>>& groups, RuleLists& lists,
                 StringTable& table) {
  std::vector<std::pair<std::string, std::uint32_t>> entries;
  for (const auto& [key, rules] : groups)
    entries.emplace_back(std::string(key), lists.intern(rules));
  table.build(entries);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<CompiledRuleset> CompiledRuleset::compile(const Ruleset& ruleset) {
  const auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  impl->hash = ruleset.hash;
  for (const Rule& rule : ruleset.rules) {
    impl->ids.push_back(rule.id);
    impl->kinds.push_back(rule.kind);
    impl->kind_mask |= kind_bit(rule.kind);
    impl->behaviour_values.emplace_back();
    if (!is_behaviour(rule.kind)) continue;
    // The loader wrote these; a Ruleset built by hand is checked here, before any traffic.
    const auto valid = rule.kind == RuleKind::scan ? scan_thresholds(rule.values).has_value()
                       : rule.kind == RuleKind::amplification
                           ? amplification_thresholds(rule.values).has_value()
                           : beacon_thresholds(rule.values).has_value();
    if (!valid || check_params(rule.kind, rule.values)) {
      return fail("{}:{}: rule '{}': thresholds are not canonical (load the ruleset file)",
                  rule.file, rule.line, rule.id);
    }
    impl->behaviour_values.back() = rule.values;
    ++impl->stats.behaviour_rules;
  }
  ByKind by;
  collect(ruleset, by);
  CompileStats& stats = impl->stats;
  stats.rules = ruleset.rules.size();
  stats.ports = by.port.size();
  stats.bytes_patterns = by.bytes.size();
  impl->ip.build(std::move(by.ip), impl->lists);
  impl->domain.build(by.domain, impl->lists);
  impl->port.build(by.port, impl->lists);
  build_table(by.ja3, impl->lists, impl->ja3);
  build_table(by.ja4, impl->lists, impl->ja4);
  const auto bytes_start = std::chrono::steady_clock::now();
  if (auto built = impl->bytes.build(by.bytes); !built) return fail(built.error());
  stats.bytes_compile_seconds = seconds_since(bytes_start);
  impl->lists.finish();

  stats.ip_prefixes = impl->ip.prefix_count();
  stats.domains_exact = impl->domain.exact_count();
  stats.domains_suffix = impl->domain.suffix_count();
  stats.ja3 = impl->ja3.size();
  stats.ja4 = impl->ja4.size();
  stats.memory_bytes = impl->lists.memory_bytes() + impl->ip.memory_bytes() +
                       impl->domain.memory_bytes() + impl->port.memory_bytes() +
                       impl->ja3.memory_bytes() + impl->ja4.memory_bytes() +
                       impl->bytes.memory_bytes();
  stats.compile_seconds = seconds_since(start);
  return CompiledRuleset(std::move(impl));
}

CompiledRuleset::CompiledRuleset(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledRuleset::CompiledRuleset(CompiledRuleset&&) noexcept = default;
CompiledRuleset& CompiledRuleset::operator=(CompiledRuleset&&) noexcept = default;
CompiledRuleset::~CompiledRuleset() = default;

const std::string& CompiledRuleset::hash() const { return impl_->hash; }
std::size_t CompiledRuleset::rule_count() const { return impl_->ids.size(); }
std::string_view CompiledRuleset::rule_id(RuleIndex rule) const {
  assert(rule < impl_->ids.size());
  return impl_->ids[rule];
}
RuleKind CompiledRuleset::rule_kind(RuleIndex rule) const {
  assert(rule < impl_->kinds.size());
  return impl_->kinds[rule];
}
bool CompiledRuleset::has(RuleKind kind) const { return (impl_->kind_mask & kind_bit(kind)) != 0; }
std::span<const std::string> CompiledRuleset::behaviour_values(RuleIndex rule) const {
  assert(rule < impl_->behaviour_values.size());
  return impl_->behaviour_values[rule];
}
std::optional<RuleIndex> CompiledRuleset::find_rule(std::string_view id) const {
  const auto it = std::find(impl_->ids.begin(), impl_->ids.end(), id);
  if (it == impl_->ids.end()) return std::nullopt;
  return static_cast<RuleIndex>(it - impl_->ids.begin());
}
const CompileStats& CompiledRuleset::stats() const { return impl_->stats; }

void CompiledRuleset::match_ip(const IpAddress& address, MatchSet& out) const {
  const auto id = impl_->ip.find(address);
  if (id != RuleLists::kNone) out.add_all(impl_->lists.get(id));
}

void CompiledRuleset::match_ip_v4(std::uint32_t host_order, MatchSet& out) const {
  const auto id = impl_->ip.find_v4(host_order);
  if (id != RuleLists::kNone) out.add_all(impl_->lists.get(id));
}

void CompiledRuleset::match_port(std::uint8_t ip_protocol, std::uint16_t service_port,
                                 MatchSet& out) const {
  const auto id = impl_->port.find(ip_protocol, service_port);
  if (id != RuleLists::kNone) out.add_all(impl_->lists.get(id));
}

void CompiledRuleset::match_domain(std::string_view name, MatchSet& out) const {
  impl_->domain.match(name, impl_->lists, out);
}

void CompiledRuleset::match_ja3(std::string_view ja3_hash, MatchSet& out) const {
  const auto id = impl_->ja3.find(ja3_hash);
  if (id != StringTable::kNotFound) out.add_all(impl_->lists.get(id));
}

void CompiledRuleset::match_ja4(std::string_view ja4, MatchSet& out) const {
  const auto id = impl_->ja4.find(ja4);
  if (id != StringTable::kNotFound) out.add_all(impl_->lists.get(id));
}

bool CompiledRuleset::scan_bytes(std::span<const std::uint8_t> data, MatchScratch& scratch,
                                 BytesHitFn on_hit, void* context) const {
  return impl_->bytes.scan(data, scratch.scratch_, on_hit, context);
}

bool CompiledRuleset::match_bytes(std::span<const std::uint8_t> data, MatchScratch& scratch,
                                  MatchSet& out) const {
  return scan_bytes(data, scratch, [&out](const BytesHit& hit) {
    out.add(hit.rule);
    return true;
  });
}

std::span<const std::uint8_t> CompiledRuleset::command_bytes(std::span<const std::uint8_t> data,
                                                             const BytesHit& hit) {
  if (hit.from > hit.to || hit.to > data.size()) return {};
  return data.subspan(hit.from, std::min<std::size_t>(hit.to - hit.from, kMaxCommandBytes));
}

Match CompiledRuleset::to_match(RuleIndex rule, std::span<const std::uint8_t> command) const {
  Match match;
  match.rule = std::string(rule_id(rule));
  match.kind = rule_kind(rule);
  const auto kept = command.first(std::min(command.size(), kMaxCommandBytes));
  match.command.assign(kept.begin(), kept.end());
  return match;
}

Result<void> MatchScratch::prepare(const CompiledRuleset& rules) {
  return rules.impl_->bytes.prepare(&scratch_);
}

}  // namespace mamori::sieve
