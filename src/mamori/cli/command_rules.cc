// `mamori rules check`: compiles a ruleset the way the sieve would and reports every error
// with its file:line, or what the ruleset contains and its hash (the value an approval names).

#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mamori/cli/commands.h"
#include "mamori/sieve/matchers.h"
#include "mamori/sieve/ruleset.h"

namespace mamori::cli {

int run_rules_check(const RulesCheckArgs& args) {
  auto ruleset = sieve::load_ruleset(args.ruleset);
  if (!ruleset) {
    std::fprintf(stderr, "%s\n", ruleset.error().message.c_str());
    std::fprintf(stderr, "mamori rules check: %s: invalid / 選別条件に誤りがあります\n",
                 args.ruleset.c_str());
    return 1;
  }
  auto compiled = sieve::CompiledRuleset::compile(*ruleset);
  if (!compiled) {
    std::fprintf(stderr, "%s\n", compiled.error().message.c_str());
    std::fprintf(stderr, "mamori rules check: %s: does not compile / コンパイルできません\n",
                 args.ruleset.c_str());
    return 1;
  }
  const auto& stats = compiled->stats();
  fmt::print("{}: ok / 正常\n", args.ruleset);
  fmt::print("  rules / 条件数            {}\n", stats.rules);
  fmt::print("  ip prefixes               {}\n", stats.ip_prefixes);
  fmt::print("  domains (exact, suffix)   {}, {}\n", stats.domains_exact, stats.domains_suffix);
  fmt::print("  ports                     {}\n", stats.ports);
  fmt::print("  ja3, ja4                  {}, {}\n", stats.ja3, stats.ja4);
  fmt::print("  byte patterns             {}\n", stats.bytes_patterns);
  fmt::print("  behaviour rules / 挙動条件 {}\n", stats.behaviour_rules);
  for (const auto& rule : ruleset->rules) {
    if (!sieve::is_behaviour(rule.kind)) continue;
    fmt::print("    {} ({}): {}\n", rule.id, sieve::to_string(rule.kind),
               fmt::join(rule.values, " "));
  }
  fmt::print("  compiled size             {:.1f} MiB\n",
             static_cast<double>(stats.memory_bytes) / (1024.0 * 1024.0));
  fmt::print("  compile time              {:.3f} s\n", stats.compile_seconds);
  fmt::print("  sha256 / ハッシュ         {}\n", compiled->hash());
  return 0;
}

}  // namespace mamori::cli
