// Behaviour engine cost per event on one core (issue 5: sieve throughput with the behaviour rules
// on vs off, goal < 15 % slower). All three rules (scan, amplification, beacon, default
// thresholds) in a budget of budget_MiB (64: mostly in DRAM; 8: mostly in the last-level cache).
//   flow_start  on_flow_start + selections for a new TCP flow: what the sieve adds per new flow.
//               sources 1000: a few busy sources, cache-resident state, some of them flagged
//               scanners (selections build hits); sources 0: every flow from a different
//               address (a spoofed flood: the admission sketches and directories miss cache).
//   udp_bytes   on_udp_bytes + selections for a DNS response datagram (port 53): what the sieve
//               adds per packet on an amplification port; victims 1000 or all distinct.
//   no_rules    on_flow_start + selections with no behaviour rule: the floor.
//   short_windows  flow_start with every rule at its shortest window (scan and amplification
//               2 s, beacon max_interval 1 s), new flows gap_us apart: the sketches age every
//               second of packet time (every 50 k or 1 k events), which costs O(1) per epoch
//               (core/sketch.h, lazy aging), not a pass over every sketch.
// Events are laid out before timing; each iteration runs a batch of kBatch events.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "mamori/sieve/behaviour.h"

namespace {

using namespace mamori;
using namespace mamori::sieve;

constexpr std::size_t kBatch = 1024;
constexpr std::size_t kEvents = 1u << 20;  // laid out per benchmark, replayed cyclically

BehaviourEngine make_engine(bool with_rules, std::size_t budget_mib = 64,
                            bool short_windows = false) {
  std::vector<BehaviourRule> rules;
  if (with_rules) rules = {{0, ScanParams{}}, {1, AmplificationParams{}}, {2, BeaconParams{}}};
  if (short_windows) {
    ScanParams scan;
    scan.window = Duration::seconds(2);
    scan.reply_grace = Duration::millis(500);
    AmplificationParams amplification;
    amplification.window = Duration::seconds(2);
    BeaconParams beacon;
    beacon.min_interval = Duration::millis(100);
    beacon.max_interval = Duration::seconds(1);
    rules = {{0, scan}, {1, amplification}, {2, beacon}};
  }
  return std::move(*BehaviourEngine::create(std::move(rules), budget_mib << 20, 0x5eed));
}

// Flows from `sources` sources (0: each flow from its own address) to random targets.
std::vector<BehaviourFlow> make_flows(std::uint32_t sources, std::uint8_t protocol,
                                      std::uint16_t service_port) {
  std::mt19937_64 rng(1);
  std::vector<BehaviourFlow> flows(kEvents);
  for (std::size_t i = 0; i < kEvents; ++i) {
    const auto n = static_cast<std::uint32_t>(i);
    const std::uint32_t source = sources == 0 ? n * 2654435761u : n % sources;
    BehaviourFlow& f = flows[i];
    if (protocol == 6) {
      f = {IpAddress::v4(0x0a000000u + source), IpAddress::v4(static_cast<std::uint32_t>(rng())),
           static_cast<std::uint16_t>(rng() | 1024), static_cast<std::uint16_t>(rng() % 1024), 6};
    } else {  // a response from a reflector to the victim
      f = {IpAddress::v4(static_cast<std::uint32_t>(rng())), IpAddress::v4(0x0a000000u + source),
           service_port, static_cast<std::uint16_t>(rng() | 1024), 17};
    }
  }
  return flows;
}

void run_flow_starts(benchmark::State& state, BehaviourEngine& engine,
                     const std::vector<BehaviourFlow>& flows, std::int64_t gap_nanos = 20'000) {
  std::vector<BehaviourHit> hits;
  std::size_t next = 0;
  std::int64_t nanos = 1'800'000'000LL * 1'000'000'000;
  std::size_t selected = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      const BehaviourFlow& flow = flows[next];
      next = (next + 1) & (kEvents - 1);
      nanos += gap_nanos;  // default: 50 k new flows/s of packet time
      engine.on_flow_start(flow, 0x02, Timestamp{nanos});
      hits.clear();
      engine.selections(flow, Timestamp{nanos}, hits);
      selected += hits.size();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["selected_per_event"] =
      static_cast<double>(selected) / static_cast<double>(state.iterations() * kBatch);
  state.counters["memory_MiB"] = static_cast<double>(engine.memory_bytes()) / (1 << 20);
  const auto stats = engine.stats();
  if (stats.rules.size() < 3) return;
  const double events = static_cast<double>(state.iterations() * kBatch);
  state.counters["scan_admitted_per_event"] = static_cast<double>(stats.rules[0].admitted) / events;
  state.counters["beacon_admitted_per_event"] =
      static_cast<double>(stats.rules[2].admitted) / events;
}

void BM_flow_start(benchmark::State& state) {
  auto engine = make_engine(true, static_cast<std::size_t>(state.range(1)));
  const auto flows = make_flows(static_cast<std::uint32_t>(state.range(0)), 6, 0);
  run_flow_starts(state, engine, flows);
}
BENCHMARK(BM_flow_start)
    ->ArgNames({"sources", "budget_MiB"})
    ->Args({1000, 64})
    ->Args({0, 64})
    ->Args({0, 8})
    ->Iterations(4000);

void BM_short_windows(benchmark::State& state) {
  auto engine = make_engine(true, 64, true);
  const auto flows = make_flows(static_cast<std::uint32_t>(state.range(0)), 6, 0);
  run_flow_starts(state, engine, flows, state.range(1) * 1000);
}
BENCHMARK(BM_short_windows)
    ->ArgNames({"sources", "gap_us"})
    ->Args({1000, 20})
    ->Args({0, 20})
    ->Args({1000, 1000})
    ->Iterations(400);

void BM_no_rules(benchmark::State& state) {
  auto engine = make_engine(false);
  const auto flows = make_flows(0, 6, 0);
  run_flow_starts(state, engine, flows);
}
BENCHMARK(BM_no_rules)->Iterations(4000);

void BM_udp_bytes(benchmark::State& state) {
  auto engine = make_engine(true, static_cast<std::size_t>(state.range(1)));
  const auto flows = make_flows(static_cast<std::uint32_t>(state.range(0)), 17, 53);
  std::vector<BehaviourHit> hits;
  std::size_t next = 0;
  std::int64_t nanos = 1'800'000'000LL * 1'000'000'000;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      const BehaviourFlow& flow = flows[next];
      next = (next + 1) & (kEvents - 1);
      nanos += 1000;
      engine.on_udp_bytes(flow, 0, 512, Timestamp{nanos});
      hits.clear();
      engine.selections(flow, Timestamp{nanos}, hits);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_udp_bytes)
    ->ArgNames({"victims", "budget_MiB"})
    ->Args({1000, 64})
    ->Args({0, 64})
    ->Args({0, 8})
    ->Iterations(4000);

}  // namespace

BENCHMARK_MAIN();
