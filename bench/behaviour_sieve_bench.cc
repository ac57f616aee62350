// Behaviour rules in the sieve (issue 5, acceptance): end-to-end throughput with the behaviour
// rules on vs off (goal: < 15 % slower), on a synthetic capture and on an adversarial flood of
// spoofed one-packet sources, whose state must stay within the configured bound.
// Run: --benchmark_min_time=1 (docs/benchmarks.md).
//
// One iteration is one run of `mamori sieve` minus the capture reader and the store: a fresh
// Sieve over every packet held in memory, then finish(). Creating the sieve (flow table and the
// behaviour state, made resident: 64 MiB by default) is a once-per-run cost reported apart as
// setup_on_ms / setup_off_ms; the timed part is processing. "off" runs the capture's demo
// ruleset; "on" the same plus one rule of each behaviour kind at its default thresholds.
// Inputs:
//   capture  the synthetic capture (MAMORI_BENCH_CAPTURE_MB, default 64 MiB);
//   flood    2^20 TCP SYNs from distinct spoofed foreign sources to Japanese addresses, one
//            packet each (every one a new flow, a new scan subject and a new beacon pair: the
//            worst case for the behaviour state), 10 µs apart.

#include <benchmark/benchmark.h>

#include <optional>
#include <string>

#include <fmt/format.h>

#include "mamori/sieve/matchers.h"
#include "mamori/sieve/ruleset.h"
#include "mamori/sieve/sieve.h"
#include "mamori/synth/frame.h"
#include "sieve_corpus.h"

namespace {

using namespace mamori;
using bench::must;

constexpr std::uint64_t kDefaultCaptureMiB = 64;
constexpr std::uint64_t kSeed = 42;
constexpr std::uint32_t kFloodPackets = 1u << 20;

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

struct Input {
  bench::Packets packets;
  std::optional<sieve::CompiledRuleset> off;
  std::optional<sieve::CompiledRuleset> on;
};

struct Corpus {
  bench::Scope scope = bench::default_scope();
  Input capture;
  Input flood;
};

void compile_pair(const std::string& demo_text, const std::filesystem::path& dir, Input& input) {
  const auto off = must(sieve::parse_ruleset(demo_text, "demo.rules.toml", dir), "demo rules");
  const auto on = must(
      sieve::parse_ruleset(demo_text + std::string(kBehaviourRules), "behaviour.rules.toml", dir),
      "behaviour rules");
  input.off.emplace(must(sieve::CompiledRuleset::compile(off), "compile off"));
  input.on.emplace(must(sieve::CompiledRuleset::compile(on), "compile on"));
}

// Spoofed SYNs: source 5.0.0.0/8 + i (foreign), destination 133.242.0.0/16 (Japan).
void build_flood(bench::Packets& out) {
  synth::FrameBuilder builder;
  const Timestamp start = Timestamp::from_seconds(1'800'000'000);
  std::vector<std::pair<std::size_t, std::size_t>> slices;
  for (std::uint32_t i = 0; i < kFloodPackets; ++i) {
    synth::IpHeader ip{.src = IpAddress::v4((5u << 24) | i),
                       .dst = IpAddress::v4((133u << 24) | (242u << 16) | (i & 0xffff))};
    synth::TcpHeader tcp{.src_port = static_cast<std::uint16_t>(1024 + (i % 60000)),
                         .dst_port = 443,
                         .seq = i,
                         .ack = 0,
                         .flags = synth::tcp_flags::syn,
                         .window = 1024,
                         .options = {}};
    builder.begin_tcp({}, ip, tcp, 0);
    const auto frame = builder.finish();
    slices.emplace_back(out.bytes.size(), frame.size());
    out.bytes.insert(out.bytes.end(), frame.begin(), frame.end());
  }
  for (std::uint32_t i = 0; i < kFloodPackets; ++i) {
    const auto [offset, length] = slices[i];
    out.packets.push_back({.timestamp = start + Duration{std::int64_t{i} * 10'000},
                           .wire_length = static_cast<std::uint32_t>(length),
                           .link_type = capture::LinkType::ethernet,
                           .data = std::span(out.bytes.data() + offset, length)});
    out.data_bytes += length;
  }
}

Corpus build_corpus() {
  Corpus corpus;
  const bench::TempDir dir;
  const auto summary = bench::synthesize_into(dir, kSeed, bench::capture_mib(kDefaultCaptureMiB),
                                              /*bench_rules=*/false, corpus.capture.packets);
  const std::string demo = must(sieve::read_file_bytes(summary.rules_path), "read demo rules");
  compile_pair(demo, dir.path(), corpus.capture);
  build_flood(corpus.flood.packets);
  compile_pair(demo, dir.path(), corpus.flood);
  return corpus;
}

const Corpus& corpus() {
  static const Corpus instance = build_corpus();
  return instance;
}

struct Run {
  sieve::RunSummary summary;
  double seconds = 0;        // processing the packets, finish() included
  double setup_seconds = 0;  // Sieve::create: flow table and behaviour state made resident
};

// One run; set-up is timed apart from processing (a once-per-run cost, like compiling).
Run run_once(const Corpus& corpus, const bench::Packets& packets,
             const sieve::CompiledRuleset& rules) {
  bench::CountingSink sink;
  Run run;
  std::unique_ptr<sieve::Sieve> sieve;
  run.setup_seconds = bench::seconds_of([&] {
    sieve = must(sieve::Sieve::create(corpus.scope.config, *corpus.scope.classifier, rules, sink),
                 "sieve");
  });
  run.seconds = bench::seconds_of([&] {
    for (const auto& packet : packets.packets) sieve->process(packet);
    sieve->finish();
  });
  run.summary = sieve->summary();
  return run;
}

void BM_BehaviourPaired(benchmark::State& state, Input Corpus::*which) {
  const Corpus& data = corpus();
  const Input& input = data.*which;
  Run on;
  Run off;
  bench::run_paired(
      state,
      [&] {
        off = run_once(data, input.packets, *input.off);
        return off.seconds;
      },
      [&] {
        on = run_once(data, input.packets, *input.on);
        return on.seconds;
      });
  const sieve::RunSummary& on_summary = on.summary;
  const sieve::RunSummary& off_summary = off.summary;
  state.counters["setup_off_ms"] = off.setup_seconds * 1e3;
  state.counters["setup_on_ms"] = on.setup_seconds * 1e3;
  bench::report_packets(state, input.packets, 2 * static_cast<std::int64_t>(state.iterations()));
  state.counters["flows"] = static_cast<double>(on_summary.flows);
  state.counters["records_off"] = static_cast<double>(off_summary.records);
  state.counters["records_on"] = static_cast<double>(on_summary.records);
  state.counters["behaviour_MiB"] =
      static_cast<double>(on_summary.behaviour_memory_bytes) / (1 << 20);
  std::uint64_t refused = 0;
  std::uint64_t evicted = 0;
  std::uint64_t flagged = 0;
  for (const auto& rule : on_summary.behaviour) {
    refused += rule.refused;
    evicted += rule.evicted;
    flagged += rule.flagged;
  }
  state.counters["refused"] = static_cast<double>(refused);
  state.counters["evicted"] = static_cast<double>(evicted);
  state.counters["flagged"] = static_cast<double>(flagged);
}

}  // namespace

BENCHMARK_CAPTURE(BM_BehaviourPaired, capture, &Corpus::capture)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BehaviourPaired, flood, &Corpus::flood)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
