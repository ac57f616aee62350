// The sieve on every core (issue 9, item 3): end-to-end throughput of a sieve with workers = 1
// and workers = 2 over the same in-memory capture (goal on a 2-core machine: ≥ 1.8×).
// Run: --benchmark_min_time=1 --benchmark_repetitions=5 (docs/benchmarks.md); the machine is
// shared, so compare the paired ratio (speedup) of one run, not items_per_second across runs.
//
// One iteration is one run of `mamori sieve` minus the capture reader and the store: a fresh
// Sieve over every packet held in memory, then finish(). Creating the sieve (flow tables,
// behaviour state, worker threads) is a once-per-run cost left out of the timing. Rules: the
// synthetic capture's demo ruleset plus one behaviour rule of each kind (the engine on, as in a
// real deployment). Capture: MAMORI_BENCH_CAPTURE_MB (default 64 MiB).
//   BM_Workers/N   items_per_second of workers = N alone;
//   BM_Paired      workers 1 and 2 back to back in every iteration (order alternating):
//                  one_ms, two_ms and speedup = one_ms / two_ms; two_cpu_ms, the CPU time of
//                  the process during the runs with 2 workers (≈ 2 × two_ms when both
//                  threads kept their cores; less when another tenant of the machine took
//                  one); records_1 and records_2 (equal unless beacon server popularity
//                  differs, sieve/shard.h).

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <optional>
#include <string>

#include "mamori/sieve/matchers.h"
#include "mamori/sieve/ruleset.h"
#include "mamori/sieve/sieve.h"
#include "sieve_corpus.h"

namespace {

using namespace mamori;
using bench::must;

constexpr std::uint64_t kDefaultCaptureMiB = 64;
constexpr std::uint64_t kSeed = 42;

constexpr std::string_view kBehaviourRules = R"(
[[rule]]
id = "bench-scan"
kind = "scan"
[[rule]]
id = "bench-amplification"
kind = "amplification"
[[rule]]
id = "bench-beacon"
kind = "beacon"
)";

struct Corpus {
  bench::Scope scope = bench::default_scope();
  bench::Packets packets;
  std::optional<sieve::CompiledRuleset> rules;
};

Corpus build_corpus() {
  Corpus corpus;
  const bench::TempDir dir;
  const auto summary = bench::synthesize_into(dir, kSeed, bench::capture_mib(kDefaultCaptureMiB),
                                              /*bench_rules=*/false, corpus.packets);
  const std::string demo = must(sieve::read_file_bytes(summary.rules_path), "read demo rules");
  const auto parsed = must(
      sieve::parse_ruleset(demo + std::string(kBehaviourRules), "sharded.rules.toml", dir.path()),
      "rules");
  corpus.rules.emplace(must(sieve::CompiledRuleset::compile(parsed), "compile"));
  return corpus;
}

const Corpus& corpus() {
  static const Corpus instance = build_corpus();
  return instance;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Run {
  double seconds = 0;      // processing every packet, finish() included
  double cpu_seconds = 0;  // of the whole process, over the same span
  std::uint64_t records = 0;
  std::uint64_t packets = 0;
};

Run run_once(const Corpus& data, std::uint32_t workers) {
  sieve::SieveConfig config = data.scope.config;
  config.workers = workers;
  bench::CountingSink sink;
  auto sieve =
      must(sieve::Sieve::create(config, *data.scope.classifier, *data.rules, sink), "sieve");
  Run run;
  const double cpu_before = process_cpu_seconds();
  run.seconds = bench::seconds_of([&] {
    for (const auto& packet : data.packets.packets) sieve->process(packet);
    sieve->finish();
  });
  run.cpu_seconds = process_cpu_seconds() - cpu_before;
  run.records = sink.records;
  run.packets = sieve->summary().packets;
  return run;
}

void BM_Workers(benchmark::State& state) {
  const Corpus& data = corpus();
  const auto workers = static_cast<std::uint32_t>(state.range(0));
  Run last;
  for (auto _ : state) {
    last = run_once(data, workers);
    state.SetIterationTime(last.seconds);
  }
  bench::report_packets(state, data.packets, static_cast<std::int64_t>(state.iterations()));
  state.counters["records"] = static_cast<double>(last.records);
}

void BM_Paired(benchmark::State& state) {
  const Corpus& data = corpus();
  double one_seconds = 0;
  double two_seconds = 0;
  double two_cpu_seconds = 0;
  Run one;
  Run two;
  bool two_first = false;
  for (auto _ : state) {
    if (two_first) two = run_once(data, 2);
    one = run_once(data, 1);
    if (!two_first) two = run_once(data, 2);
    two_first = !two_first;
    one_seconds += one.seconds;
    two_seconds += two.seconds;
    two_cpu_seconds += two.cpu_seconds;
    state.SetIterationTime(one.seconds + two.seconds);
  }
  const auto iterations = static_cast<double>(state.iterations());
  bench::report_packets(state, data.packets, 2 * static_cast<std::int64_t>(state.iterations()));
  state.counters["one_ms"] = one_seconds * 1e3 / iterations;
  state.counters["two_ms"] = two_seconds * 1e3 / iterations;
  state.counters["two_cpu_ms"] = two_cpu_seconds * 1e3 / iterations;
  state.counters["speedup"] = two_seconds > 0 ? one_seconds / two_seconds : 0;
  state.counters["records_1"] = static_cast<double>(one.records);
  state.counters["records_2"] = static_cast<double>(two.records);
  if (one.packets != two.packets) state.SkipWithError("workers 1 and 2 counted different packets");
}

}  // namespace

BENCHMARK(BM_Workers)->Arg(1)->Arg(2)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Paired)->UseManualTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
