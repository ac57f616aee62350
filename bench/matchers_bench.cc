// Selection-condition matchers at realistic ruleset sizes: ip over 100k prefixes, domain
// exact/suffix over 10k names (goal ≤ 100 ns), bytes scan with 1k patterns over 1500-byte
// payloads, and load + compile of the whole big ruleset from files.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "mamori/sieve/matchers.h"
#include "mamori/sieve/ruleset.h"

namespace {

using namespace mamori;
using namespace mamori::sieve;

std::string random_label(std::mt19937_64& rng, std::size_t min, std::size_t max) {
  std::string label(min + rng() % (max - min + 1), 'a');
  for (char& c : label) c = static_cast<char>('a' + rng() % 26);
  return label;
}

Rule make_rule(std::string id, RuleKind kind) {
  Rule rule;
  rule.id = std::move(id);
  rule.kind = kind;
  return rule;
}

CompiledRuleset compile_or_die(const Ruleset& ruleset) {
  auto compiled = CompiledRuleset::compile(ruleset);
  if (!compiled) {
    fprintf(stderr, "%s\n", compiled.error().message.c_str());
    std::abort();
  }
  return std::move(*compiled);
}

// 100k IPv4 prefixes /16../32 in 1000 rules of 100 values each.
std::vector<Prefix> ip_prefixes(std::mt19937_64& rng) {
  std::vector<Prefix> out;
  for (int i = 0; i < 100'000; ++i) {
    out.emplace_back(IpAddress::v4(static_cast<std::uint32_t>(rng())),
                     16 + static_cast<int>(rng() % 17));
  }
  return out;
}

void BM_IpMatch100k(benchmark::State& state) {
  std::mt19937_64 rng(1);
  const auto prefixes = ip_prefixes(rng);
  Ruleset ruleset;
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    if (i % 100 == 0)
      ruleset.rules.push_back(make_rule("ip" + std::to_string(i / 100), RuleKind::ip));
    ruleset.rules.back().values.push_back(prefixes[i].to_string());
  }
  const auto compiled = compile_or_die(ruleset);
  std::vector<IpAddress> probes;
  for (int i = 0; i < 4096; ++i) {
    // Half inside a rule prefix, half random (mostly misses).
    probes.push_back(i % 2 ? prefixes[rng() % prefixes.size()].address()
                           : IpAddress::v4(static_cast<std::uint32_t>(rng())));
  }
  std::size_t i = 0;
  std::size_t hits = 0;
  for (auto _ : state) {
    MatchSet set;
    compiled.match_ip(probes[i++ & 4095], set);
    hits += set.size();
    benchmark::DoNotOptimize(set);
  }
  state.counters["hit_rate"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_IpMatch100k);

struct DomainSetup {
  CompiledRuleset compiled;
  std::vector<std::string> exact_hits;
  std::vector<std::string> suffix_hits;
  std::vector<std::string> misses;
};

// 10k domain values: 5k exact names, 5k suffixes, in 100 rules.
const DomainSetup& domain_setup() {
  static const DomainSetup setup = [] {
    std::mt19937_64 rng(2);
    Ruleset ruleset;
    std::vector<std::string> exact;
    std::vector<std::string> suffix;
    for (int i = 0; i < 10'000; ++i) {
      if (i % 100 == 0) {
        ruleset.rules.push_back(make_rule("dom" + std::to_string(i / 100), RuleKind::domain));
      }
      const std::string name = random_label(rng, 4, 12) + "." + random_label(rng, 2, 3);
      (i % 2 ? suffix : exact).push_back(name);
      ruleset.rules.back().values.push_back((i % 2 ? "." : "") + name);
    }
    DomainSetup s{compile_or_die(ruleset), {}, {}, {}};
    for (int i = 0; i < 1024; ++i) {
      s.exact_hits.push_back(exact[rng() % exact.size()]);
      s.suffix_hits.push_back("www." + random_label(rng, 3, 8) + "." +
                              suffix[rng() % suffix.size()]);
      s.misses.push_back("cdn-" + random_label(rng, 3, 8) + "." + random_label(rng, 5, 12) +
                         ".com");
    }
    return s;
  }();
  return setup;
}

void run_domains(benchmark::State& state, const std::vector<std::string>& names) {
  const auto& compiled = domain_setup().compiled;
  std::size_t i = 0;
  std::size_t hits = 0;
  for (auto _ : state) {
    MatchSet set;
    compiled.match_domain(names[i++ & 1023], set);
    hits += set.size();
    benchmark::DoNotOptimize(set);
  }
  state.counters["hit_rate"] = static_cast<double>(hits) / static_cast<double>(state.iterations());
}

void BM_DomainExactHit10k(benchmark::State& state) {
  run_domains(state, domain_setup().exact_hits);
}
void BM_DomainSuffixHit10k(benchmark::State& state) {
  run_domains(state, domain_setup().suffix_hits);
}
void BM_DomainMiss10k(benchmark::State& state) { run_domains(state, domain_setup().misses); }
BENCHMARK(BM_DomainExactHit10k);
BENCHMARK(BM_DomainSuffixHit10k);
BENCHMARK(BM_DomainMiss10k);

std::vector<std::string> bytes_patterns(std::mt19937_64& rng) {
  std::vector<std::string> out;
  for (int i = 0; i < 1000; ++i) out.push_back(random_label(rng, 8, 24));
  return out;
}

void BM_BytesScan1k(benchmark::State& state) {
  std::mt19937_64 rng(3);
  Ruleset ruleset;
  ruleset.rules.push_back(make_rule("cmds", RuleKind::bytes));
  ruleset.rules.back().values = bytes_patterns(rng);
  const auto compiled = compile_or_die(ruleset);
  MatchScratch scratch;
  if (!scratch.prepare(compiled)) std::abort();
  // Text-like payloads (letters and spaces), where literal prefilters work hardest.
  std::vector<std::string> payloads(64, std::string(1500, ' '));
  for (auto& payload : payloads) {
    for (char& c : payload) c = rng() % 6 ? static_cast<char>('a' + rng() % 26) : ' ';
  }
  std::size_t i = 0;
  for (auto _ : state) {
    MatchSet set;
    const auto& payload = payloads[i++ & 63];
    compiled.match_bytes({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()},
                         scratch, set);
    benchmark::DoNotOptimize(set);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 1500);
  state.counters["compile_s"] = compiled.stats().bytes_compile_seconds;
}
BENCHMARK(BM_BytesScan1k);

// The big ruleset from files: 100k ip prefixes, 10k domains, 1k bytes patterns.
void BM_LoadCompileBigRuleset(benchmark::State& state) {
  std::mt19937_64 rng(4);
  const auto dir =
      std::filesystem::temp_directory_path() / ("mamori-bench-" + std::to_string(rng()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream ips(dir / "ips.txt");
    for (const auto& prefix : ip_prefixes(rng)) ips << prefix.to_string() << '\n';
    std::ofstream domains(dir / "domains.txt");
    for (int i = 0; i < 10'000; ++i) {
      domains << (i % 2 ? "*." : "") << random_label(rng, 4, 12) << '.' << random_label(rng, 2, 3)
              << '\n';
    }
    std::ofstream bytes(dir / "bytes.txt");
    for (const auto& pattern : bytes_patterns(rng)) bytes << pattern << '\n';
    std::ofstream(dir / "r.toml")
        << "[[rule]]\nid='ips'\nkind='ip'\nvalues_file='ips.txt'\n"
           "[[rule]]\nid='doms'\nkind='domain'\nvalues_file='domains.txt'\n"
           "[[rule]]\nid='cmds'\nkind='bytes'\nvalues_file='bytes.txt'\n";
  }
  double load_seconds = 0;
  double compile_seconds = 0;
  std::size_t memory = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto ruleset = load_ruleset(dir / "r.toml");
    if (!ruleset) std::abort();
    load_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto compiled = compile_or_die(*ruleset);
    compile_seconds += compiled.stats().compile_seconds;
    memory = compiled.stats().memory_bytes;
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["load_s"] = load_seconds / n;
  state.counters["compile_s"] = compile_seconds / n;
  state.counters["memory_MB"] = static_cast<double>(memory) / 1e6;
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LoadCompileBigRuleset)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
