// De-identification cost (issue 4, acceptance): the sieve's end-to-end throughput with
// de-identification off vs on (goal: on is < 5 % slower), and FieldPolicy::apply per record.
// Run: --benchmark_min_time=1 --benchmark_repetitions=3
// --benchmark_enable_random_interleaving=true (about 2.5 minutes; docs/benchmarks.md).
//
// One iteration is one run of `mamori sieve` minus the capture reader and the store: a fresh
// Sieve over every packet of a synthetic capture held in memory, then finish(). Records go to
// a counting sink ("off") or through DeidentifyingSink to the same sink ("on"). Creating the
// FieldPolicy is a once-per-run set-up cost (like compiling the ruleset), so it is kept out of
// the timed loop and measured on its own (BM_FieldPolicyCreate). The capture is synthesized
// once (fixed seed) and copied into memory, so disk is out of the measurement.
//
// Inputs:
//   demo      the capture's demo ruleset, clear = "infrastructure" (the default); the
//             synthetic capture is attack-dense, so this selects most admitted flows;
//   bench     the large benchmark ruleset (100k ip rules, 10k domains, 1k byte patterns, as
//             bench/sieve-e2e), clear = "infrastructure": a big rule index to consult;
//   all       the demo ruleset plus an ip rule 0.0.0.0/0 and ::/0, clear = "none": every flow
//             is selected and every address pseudonymized, the worst case.
// The machine is shared and noisy, so the off/on cases are registered interleaved (off, on,
// off, on) and the "paired" cases run off and on back to back inside every iteration
// (alternating the order) and report the ratio of their summed times as slowdown_pct.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mamori/capture/capture_file.h"
#include "mamori/privacy/field_policy.h"
#include "mamori/privacy/pseudonymizer.h"
#include "mamori/scope/classifier.h"
#include "mamori/scope/country_table.h"
#include "mamori/sieve/matchers.h"
#include "mamori/sieve/ruleset.h"
#include "mamori/sieve/sieve.h"
#include "mamori/synth/synth.h"
#include "sieve_corpus.h"

#ifndef MAMORI_SOURCE_DIR
#error "bench/CMakeLists.txt defines MAMORI_SOURCE_DIR (the country table lives in data/)"
#endif

namespace {

using namespace mamori;

using bench::CountingSink;
using bench::must;

constexpr std::uint64_t kDefaultCaptureMiB = 64;
constexpr std::uint64_t kSeed = 42;
constexpr int kRounds = 2;

struct Selection {
  sieve::Ruleset ruleset;
  std::optional<sieve::CompiledRuleset> rules;
  privacy::ClearAddresses clear = privacy::ClearAddresses::infrastructure;
};

// Everything built once: the packets in memory, the classifier, the rulesets, the key.
struct Corpus {
  bench::Packets capture;
  std::unique_ptr<scope::Classifier> classifier;
  sieve::SieveConfig config;
  privacy::PseudonymKeys keys;
  Selection demo;
  Selection bench;
  Selection all;
};

Selection make_selection(sieve::Ruleset ruleset, privacy::ClearAddresses clear) {
  Selection selection{.ruleset = std::move(ruleset), .rules = std::nullopt, .clear = clear};
  selection.rules.emplace(must(sieve::CompiledRuleset::compile(selection.ruleset), "compile"));
  return selection;
}

Corpus build_corpus() {
  const bench::TempDir dir;
  Corpus corpus;
  const auto summary = bench::synthesize_into(dir, kSeed, bench::capture_mib(kDefaultCaptureMiB),
                                              /*bench_rules=*/true, corpus.capture);
  auto demo = must(sieve::load_ruleset(summary.rules_path), "demo ruleset");
  auto bench = must(sieve::load_ruleset(*summary.bench_rules_path), "bench ruleset");
  // Every flow selected: the demo rules plus one rule listing every address.
  const std::string all_text =
      must(sieve::read_file_bytes(summary.rules_path), "read demo ruleset") +
      "\n[[rule]]\nid = \"bench-every-flow\"\nkind = \"ip\"\n"
      "value = [\"0.0.0.0/0\", \"::/0\"]\n";
  auto all =
      must(sieve::parse_ruleset(all_text, "all.rules.toml", dir.path()), "all-flows ruleset");
  corpus.demo = make_selection(std::move(demo), privacy::ClearAddresses::infrastructure);
  corpus.bench = make_selection(std::move(bench), privacy::ClearAddresses::infrastructure);
  corpus.all = make_selection(std::move(all), privacy::ClearAddresses::none);
  // The defaults of mamori.toml (sieve_config.h), as `mamori sieve` runs them.
  auto scope = bench::default_scope();
  corpus.classifier = std::move(scope.classifier);
  corpus.config = scope.config;

  privacy::PseudonymKey key;
  key.epoch = 1;
  std::random_device random;
  for (auto& byte : key.key) byte = static_cast<std::uint8_t>(random());
  corpus.keys.epochs.push_back(key);
  corpus.keys.current = 1;
  return corpus;
}

const Corpus& corpus() {
  static const Corpus instance = build_corpus();
  return instance;
}

privacy::FieldPolicy make_policy(const Corpus& corpus, const Selection& selection) {
  auto pseudonymizer = must(privacy::Pseudonymizer::create(corpus.keys), "pseudonymizer");
  return privacy::FieldPolicy::create(selection.clear, *selection.rules, *corpus.classifier,
                                      std::move(pseudonymizer));
}

struct RunResult {
  std::uint64_t flows = 0;
  std::uint64_t records = 0;
  std::uint64_t pseudonymized = 0;
};

// One run of the sieve over the whole capture; de-identifying when `policy` is given.
RunResult run_once(const Corpus& corpus, const Selection& selection, privacy::FieldPolicy* policy) {
  CountingSink sink;
  std::optional<privacy::DeidentifyingSink> deidentifying;
  sieve::RecordSink* target = &sink;
  if (policy != nullptr) target = &deidentifying.emplace(*policy, sink);
  auto sieve = must(
      sieve::Sieve::create(corpus.config, *corpus.classifier, *selection.rules, *target), "sieve");
  for (const auto& packet : corpus.capture.packets) sieve->process(packet);
  sieve->finish();
  return {sieve->summary().flows, sink.records, policy ? policy->stats().pseudonymized : 0};
}

void report(benchmark::State& state, const Corpus& corpus, const RunResult& result,
            std::int64_t runs) {
  bench::report_packets(state, corpus.capture, runs);
  state.counters["flows"] = static_cast<double>(result.flows);
  state.counters["records"] = static_cast<double>(result.records);
  state.counters["pseudonymized"] = static_cast<double>(result.pseudonymized);
}

// The FieldPolicy is made with the clock stopped: it is a once-per-run set-up cost like
// compiling the ruleset, measured on its own by BM_FieldPolicyCreate.
void BM_Sieve(benchmark::State& state, const Selection Corpus::*which, bool deidentify) {
  const Corpus& data = corpus();
  const Selection& selection = data.*which;
  RunResult result;
  for (auto _ : state) {
    std::optional<privacy::FieldPolicy> policy;
    if (deidentify) {
      state.PauseTiming();
      policy.emplace(make_policy(data, selection));
      state.ResumeTiming();
    }
    result = run_once(data, selection, policy ? &*policy : nullptr);
    benchmark::DoNotOptimize(result);
  }
  report(state, data, result, static_cast<std::int64_t>(state.iterations()));
}

// Off and on back to back in every iteration (bench::run_paired). Making the FieldPolicy
// (≈ 9 µs, BM_FieldPolicyCreate) falls inside the "on" run here.
void BM_SievePaired(benchmark::State& state, const Selection Corpus::*which) {
  const Corpus& data = corpus();
  const Selection& selection = data.*which;
  RunResult result;
  bench::run_paired(
      state,
      [&] {
        return bench::seconds_of(
            [&] { benchmark::DoNotOptimize(run_once(data, selection, nullptr)); });
      },
      [&] {
        return bench::seconds_of([&] {
          privacy::FieldPolicy policy = make_policy(data, selection);
          result = run_once(data, selection, &policy);
        });
      });
  report(state, data, result, 2 * static_cast<std::int64_t>(state.iterations()));
}

// Creating the FieldPolicy: the pseudonymizer (key schedule, caches) and the rule index of
// the approved ruleset's ip prefixes and domains.
void BM_FieldPolicyCreate(benchmark::State& state, const Selection Corpus::*which) {
  const Corpus& data = corpus();
  for (auto _ : state) {
    privacy::FieldPolicy policy = make_policy(data, data.*which);
    benchmark::DoNotOptimize(policy);
  }
}

// FieldPolicy::apply alone, on the records the demo (or every-flow) run selects, in their
// order. Fresh copies are made outside the timed region a batch at a time (apply is
// idempotent, so a record must not be de-identified twice). `cold`: a new policy per batch,
// so every distinct address pays the full Crypto-PAn once, as in one run of the command;
// otherwise the pseudonymizer's cache is warm, as deep into a long run.
void BM_FieldPolicyApply(benchmark::State& state, const Selection Corpus::*which, bool cold) {
  const Corpus& data = corpus();
  const Selection& selection = data.*which;
  CountingSink sink;
  sink.keep = true;
  {
    auto sieve =
        must(sieve::Sieve::create(data.config, *data.classifier, *selection.rules, sink), "sieve");
    for (const auto& packet : data.capture.packets) sieve->process(packet);
    sieve->finish();
  }
  const std::vector<sieve::Record>& records = sink.kept;
  if (records.empty()) {
    state.SkipWithError("no records selected");
    return;
  }
  std::set<IpAddress> v4;
  std::set<IpAddress> v6;
  for (const auto& record : records) {
    for (const auto* endpoint : {&record.src, &record.dst}) {
      (endpoint->ip.is_v4() ? v4 : v6).insert(endpoint->ip);
    }
    for (const auto& entry : record.dns) {
      for (const auto& answer : entry.answers) (answer.is_v4() ? v4 : v6).insert(answer);
    }
  }
  std::optional<privacy::FieldPolicy> policy = make_policy(data, selection);
  std::vector<sieve::Record> batch;
  std::int64_t applied = 0;
  std::uint64_t pseudonymized = 0;
  for (auto _ : state) {
    state.PauseTiming();
    batch = records;
    if (cold) {
      pseudonymized += policy->stats().pseudonymized;
      policy.emplace(make_policy(data, selection));
    }
    state.ResumeTiming();
    for (auto& record : batch) policy->apply(record);
    applied += static_cast<std::int64_t>(batch.size());
  }
  pseudonymized += policy->stats().pseudonymized;
  state.SetItemsProcessed(applied);
  state.counters["records"] = static_cast<double>(records.size());
  state.counters["addresses_v4"] = static_cast<double>(v4.size());
  state.counters["addresses_v6"] = static_cast<double>(v6.size());
  state.counters["pseudonymized_per_record"] =
      static_cast<double>(pseudonymized) / static_cast<double>(applied);
  state.counters["ns_per_record"] = benchmark::Counter(
      static_cast<double>(applied), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void register_benchmarks() {
  struct Input {
    const char* name;
    const Selection Corpus::*which;
  };
  const Input inputs[] = {
      {"demo", &Corpus::demo}, {"bench", &Corpus::bench}, {"all", &Corpus::all}};
  for (int round = 1; round <= kRounds; ++round) {
    for (const Input& input : inputs) {
      for (const bool on : {false, true}) {
        benchmark::RegisterBenchmark(
            fmt::format("BM_Sieve/{}/{}/round:{}", input.name, on ? "on" : "off", round).c_str(),
            BM_Sieve, input.which, on)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  for (const Input& input : inputs) {
    benchmark::RegisterBenchmark(fmt::format("BM_SievePaired/{}", input.name).c_str(),
                                 BM_SievePaired, input.which)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (const Input& input : inputs) {
    benchmark::RegisterBenchmark(fmt::format("BM_FieldPolicyCreate/{}", input.name).c_str(),
                                 BM_FieldPolicyCreate, input.which)
        ->Unit(benchmark::kMillisecond);
  }
  for (const bool cold : {false, true}) {
    for (const Input& input : {inputs[0], inputs[2]}) {
      benchmark::RegisterBenchmark(
          fmt::format("BM_FieldPolicyApply/{}/{}", input.name, cold ? "cold" : "warm").c_str(),
          BM_FieldPolicyApply, input.which, cold)
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
