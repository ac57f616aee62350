// Fuzzes the ruleset parser, value normalization and matcher compilation. Input: ruleset
// TOML, optionally followed by a line "#--list--" and the content every values_file reads as
// (no file system access). Checks, besides "no crash": canonical values are fixed points of
// normalization, the hash is deterministic, and compiled matchers accept arbitrary queries.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mamori/sieve/matchers.h"
#include "mamori/sieve/rule_value.h"
#include "mamori/sieve/ruleset.h"

namespace {

using namespace mamori;
using namespace mamori::sieve;

void check_fixed_points(const Ruleset& ruleset) {
  for (const auto& rule : ruleset.rules) {
    if (rule.kind == RuleKind::bytes) continue;  // canonical bytes are raw, not input syntax
    for (const auto& value : rule.values) {
      auto again = normalize_value(rule.kind, value);
      if (!again || *again != value) std::abort();
    }
  }
}

void exercise(const CompiledRuleset& rules, std::string_view query) {
  MatchSet set;
  rules.match_domain(query, set);
  rules.match_ja3(query, set);
  rules.match_ja4(query, set);
  if (auto address = IpAddress::parse(query)) rules.match_ip(*address, set);
  for (std::uint16_t port : {53, 80, 443, 4444}) {
    rules.match_port(6, port, set);
    rules.match_port(17, port, set);
  }
  MatchScratch scratch;
  if (!scratch.prepare(rules)) std::abort();
  const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(query.data()),
                                           query.size());
  const bool ran = rules.scan_bytes(data, scratch, [&](const BytesHit& hit) {
    if (hit.from > hit.to || hit.to > data.size()) std::abort();
    if (CompiledRuleset::command_bytes(data, hit).size() > kMaxCommandBytes) std::abort();
    return true;
  });
  if (!ran) std::abort();
  for (RuleIndex rule : set.rules()) {
    if (rule >= rules.rule_count()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSeparator = "#--list--\n";
  const auto split = input.find(kSeparator);
  const std::string_view text = input.substr(0, split);
  const bool has_list = split != std::string_view::npos;
  const std::string list(has_list ? input.substr(split + kSeparator.size()) : "");
  const ReadFile read = [&](const std::filesystem::path&) -> Result<std::string> {
    if (!has_list) return fail("no such file");
    return list;
  };
  auto ruleset = parse_ruleset(text, "fuzz.toml", "/nonexistent", read);
  if (!ruleset) {
    if (ruleset.error().message.empty()) std::abort();
    return 0;
  }
  check_fixed_points(*ruleset);
  if (ruleset_hash(*ruleset) != ruleset->hash) std::abort();
  auto compiled = CompiledRuleset::compile(*ruleset);
  if (!compiled) return 0;
  exercise(*compiled, list.empty() ? std::string_view(text).substr(0, 300) : list);
  exercise(*compiled, "a.b.example.net");
  return 0;
}
