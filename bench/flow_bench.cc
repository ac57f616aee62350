// Flow table throughput on one core, at the sizes the sieve runs with (issue "The sieve"):
//   lookup   packets of flows already in a table of 1M flows, each drawn uniformly at random
//            (no locality at all: the worst case), alternating direction: the cost of a packet
//            of an already decided flow (goal >= 10 Mpps).
//   create   new flows into a full table of 1M flows: every packet creates an entry, evicts the
//            least recently seen flow and remembers its verdict (goal >= 5 M flows/s).
//   memory   sizeof(FlowEntry) (goal <= 128 B) and memory_bytes() / resident growth at 1M flows.
// The arrival sequence is laid out before timing, as packets sit in a capture buffer; the
// timed loop builds each DecodedPacket from it, as the sieve gets it from the decoder.
// Arguments:
//   prefetch 1: the look-ahead pipeline documented in flow_table.h (hash once, prefetch the
//            index chunk 2d packets ahead and the entry d packets ahead); 0: plain calls.
//   lru_ms   FlowTableConfig::lru_granularity (0: exact LRU, a relink per packet).
//   flows    table size; 4096 is a cache-resident contrast (the cost of the code alone).
// On a shared or virtualised machine the memory-bound figures move a lot between runs.
// Fixed iteration counts keep runs short and the 1M-flow setup to one per benchmark.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "mamori/flow/flow_table.h"

namespace {

using namespace mamori;
using namespace mamori::flow;

constexpr std::uint32_t kFlows = 1'000'000;
// Packets are processed in batches of kBatch per benchmark iteration, with the loop written as
// a sieve would write it; a benchmark-framework step per packet distorts memory-bound loops.
constexpr std::size_t kBatch = 1024;
constexpr std::size_t kAhead = 8;          // look-ahead distance d of flow_table.h
constexpr std::size_t kRing = 4 * kAhead;  // power of two, > 2d

FlowTableConfig bench_config(std::uint32_t max_flows, Duration lru_granularity = {}) {
  FlowTableConfig config;
  config.lru_granularity = lru_granularity;
  config.max_flows = max_flows;
  config.idle_timeout = Duration::seconds(300);  // nothing times out during a run
  config.active_timeout = Duration::seconds(3600);
  config.hash_seed = 0x5eed;
  return config;
}

// Distinct keys: IPv4 client/server pairs with random ports, one in eight IPv6.
std::vector<FlowKey> make_keys(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<FlowKey> keys(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto n = static_cast<std::uint32_t>(i);
    FlowKey& k = keys[i];
    if (i % 8 == 7) {
      std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
      std::memcpy(a.data() + 8, &n, sizeof n);
      k.src = IpAddress::v6(a);
      a[15] ^= 0xff;
      k.dst = IpAddress::v6(a);
    } else {
      k.src = IpAddress::v4(0x0a000000u | n);  // unique per flow
      k.dst = IpAddress::v4(static_cast<std::uint32_t>(rng()));
    }
    k.src_port = static_cast<std::uint16_t>(1024 + rng() % 60000);
    k.dst_port = static_cast<std::uint16_t>(i % 3 == 0 ? 53 : 443);
    k.protocol = i % 3 == 0 ? decode::ip_protocol::udp : decode::ip_protocol::tcp;
  }
  return keys;
}

decode::DecodedPacket packet_of(const FlowKey& key, bool reverse, Timestamp t) {
  decode::DecodedPacket p;
  p.timestamp = t;
  p.wire_length = 200;
  p.src = reverse ? key.dst : key.src;
  p.dst = reverse ? key.src : key.dst;
  p.src_port = reverse ? key.dst_port : key.src_port;
  p.dst_port = reverse ? key.src_port : key.dst_port;
  p.protocol = key.protocol;
  p.has_transport = true;
  p.tcp_flags = key.protocol == decode::ip_protocol::tcp ? decode::tcp_flag::ack : 0;
  return p;
}

// AnonHugePages of this process (transparent huge pages actually granted), -1 if unknown.
long huge_kib() {
  std::FILE* f = std::fopen("/proc/self/smaps_rollup", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "AnonHugePages: %ld kB", &kib) == 1) break;
  }
  std::fclose(f);
  return kib;
}

long resident_kib() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long pages = 0;
  long resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return n == 2 ? resident * 4 : -1;
}

// `count` keys drawn uniformly (independently per packet) from `keys`, plus look-ahead slack.
std::vector<FlowKey> random_arrivals(const std::vector<FlowKey>& keys, std::size_t count,
                                     std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<FlowKey> arrivals(count + 2 * kAhead);
  for (FlowKey& key : arrivals) key = keys[rng() % keys.size()];
  return arrivals;
}

// Fills the table with every key (forward packet), all decided.
void fill(FlowTable& table, const std::vector<FlowKey>& keys, Timestamp& t) {
  for (const FlowKey& key : keys) {
    t = t + Duration{100};
    const auto r = table.find_or_create(packet_of(key, false, t), [](FlowEntry&, EndReason) {});
    r.entry->verdict = Verdict::not_selected;
  }
}

// Builds ("decodes") packets 2d ahead of the one being processed and, with look-ahead, hashes
// each once and prefetches its index chunk; prefetches entries d ahead.
class PacketPipeline {
 public:
  PacketPipeline(FlowTable& table, bool prefetch) : table_(table), prefetch_(prefetch) {}

  template <typename NextPacket>
  void start(NextPacket&& next) {
    for (std::size_t i = 0; i < 2 * kAhead; ++i) decode(i, next);
  }

  template <typename NextPacket, typename OnEnd>
  FlowLookup step(std::size_t i, NextPacket&& next, OnEnd&& on_end) {
    decode(i + 2 * kAhead, next);
    const std::size_t at = i % kRing;
    if (!prefetch_) return table_.find_or_create(packets_[at], on_end);
    table_.prefetch_entry(hashes_[(i + kAhead) % kRing]);
    return table_.find_or_create(packets_[at], hashes_[at], on_end);
  }

 private:
  template <typename NextPacket>
  void decode(std::size_t i, NextPacket& next) {
    const std::size_t at = i % kRing;
    packets_[at] = next(i);
    if (prefetch_) {
      hashes_[at] = table_.hash_of(packets_[at]);
      table_.prefetch_index(hashes_[at]);
    }
  }

  FlowTable& table_;
  bool prefetch_;
  std::array<decode::DecodedPacket, kRing> packets_;
  std::array<std::uint64_t, kRing> hashes_{};
};

// Packets of the 1M flows in uniformly random order (drawn independently per packet, so the
// LRU neighbours a packet relinks are random too), alternating direction.
void BM_FlowLookup(benchmark::State& state) {
  const bool prefetch = state.range(0) != 0;
  const Duration granularity = Duration::millis(state.range(1));
  FlowTable table = FlowTable::create(bench_config(kFlows, granularity)).value();
  const std::vector<FlowKey> keys = make_keys(kFlows, 1);
  Timestamp t = Timestamp::from_seconds(1'700'000'000);
  fill(table, keys, t);
  // The arrival sequence is laid out in advance, as packets sit in a capture buffer: reading
  // it is sequential, only the table is accessed at random.
  const std::vector<FlowKey> arrivals =
      random_arrivals(keys, static_cast<std::size_t>(state.max_iterations) * kBatch, 2);
  auto next = [&](std::size_t i) {
    t = t + Duration{100};
    return packet_of(arrivals[i], (i & 1) != 0, t);
  };
  auto on_end = [](FlowEntry&, EndReason) {};
  PacketPipeline pipeline(table, prefetch);
  pipeline.start(next);
  std::uint64_t selected = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    for (std::size_t n = 0; n < kBatch; ++n, ++i) {
      const FlowLookup r = pipeline.step(i, next, on_end);
      selected += r.entry->verdict == Verdict::selected;  // what the sieve reads first
    }
  }
  benchmark::DoNotOptimize(selected);
  if (table.counters().created != kFlows) state.SkipWithError("lookups created flows");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["huge_pages_MiB"] = static_cast<double>(huge_kib()) / 1024;
}
// lru_ms: lru_granularity. The loop advances packet time 100 ns per packet, so each of the 1M
// flows is seen every 0.1 s on average: with 1000 ms, about one packet in ten relinks.
BENCHMARK(BM_FlowLookup)
    ->ArgsProduct({{0, 1}, {0, 1000}})
    ->ArgNames({"prefetch", "lru_ms"})
    ->Iterations(2000);

// A cache-resident table for contrast: the cost of the code without memory misses.
void BM_FlowLookupSmallTable(benchmark::State& state) {
  constexpr std::uint32_t kSmall = 4096;
  FlowTable table = FlowTable::create(bench_config(kSmall)).value();
  const std::vector<FlowKey> keys = make_keys(kSmall, 3);
  Timestamp t = Timestamp::from_seconds(1'700'000'000);
  fill(table, keys, t);
  const std::vector<FlowKey> arrivals =
      random_arrivals(keys, static_cast<std::size_t>(state.max_iterations) * kBatch, 4);
  auto next = [&](std::size_t i) {
    t = t + Duration{100};
    return packet_of(arrivals[i], (i & 1) != 0, t);
  };
  auto on_end = [](FlowEntry&, EndReason) {};
  PacketPipeline pipeline(table, false);
  pipeline.start(next);
  std::size_t i = 0;
  for (auto _ : state) {
    for (std::size_t n = 0; n < kBatch; ++n, ++i) {
      benchmark::DoNotOptimize(pipeline.step(i, next, on_end).entry);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_FlowLookupSmallTable)->Iterations(2000);

// New flows into a full table: each creation evicts the least recently seen flow, which was
// decided, so its verdict is remembered too. flows 4096: cache-resident contrast.
void BM_FlowCreateWithEviction(benchmark::State& state) {
  const bool prefetch = state.range(0) != 0;
  const auto flows = static_cast<std::uint32_t>(state.range(1));
  FlowTable table = FlowTable::create(bench_config(flows)).value();
  Timestamp t = Timestamp::from_seconds(1'700'000'000);
  fill(table, make_keys(flows, 5), t);
  // New keys: a source range the fill did not use.
  std::vector<FlowKey> fresh =
      make_keys(static_cast<std::size_t>(state.max_iterations) * kBatch + 2 * kAhead, 6);
  for (FlowKey& k : fresh) k.src = IpAddress::v4(k.src.v4_value() ^ 0x60000000u);
  auto next = [&](std::size_t i) {
    t = t + Duration{100};
    return packet_of(fresh[i], false, t);
  };
  std::uint64_t evicted = 0;
  auto on_end = [&](FlowEntry&, EndReason reason) { evicted += reason == EndReason::evicted; };
  PacketPipeline pipeline(table, prefetch);
  pipeline.start(next);
  std::size_t i = 0;
  for (auto _ : state) {
    for (std::size_t n = 0; n < kBatch; ++n, ++i) {
      // Decided at once (as a port rule would): its eviction is remembered.
      pipeline.step(i, next, on_end).entry->verdict = Verdict::not_selected;
    }
  }
  if (evicted != i) state.SkipWithError("not every creation evicted");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["remembered"] = static_cast<double>(table.counters().remembered);
}
BENCHMARK(BM_FlowCreateWithEviction)
    ->ArgsProduct({{0, 1}, {kFlows}})
    ->Args({0, 4096})
    ->ArgNames({"prefetch", "flows"})
    ->Iterations(3000);

// Creation into an empty table (no eviction): the first million flows of a run. The table
// was filled and drained once before timing, so first-touch page faults are not timed.
void BM_FlowCreateIntoEmptyTable(benchmark::State& state) {
  const bool prefetch = state.range(0) != 0;
  FlowTable table = FlowTable::create(bench_config(kFlows)).value();
  const std::vector<FlowKey> keys = make_keys(kFlows + 2 * kAhead, 7);
  Timestamp t = Timestamp::from_seconds(1'700'000'000);
  fill(table, keys, t);
  table.drain([](FlowEntry&, EndReason) {});
  auto next = [&](std::size_t i) {
    t = t + Duration{100};
    return packet_of(keys[i], false, t);
  };
  auto on_end = [](FlowEntry&, EndReason) {};
  PacketPipeline pipeline(table, prefetch);
  pipeline.start(next);
  std::size_t i = 0;
  for (auto _ : state) {
    for (std::size_t n = 0; n < kBatch; ++n, ++i) {
      benchmark::DoNotOptimize(pipeline.step(i, next, on_end).entry);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_FlowCreateIntoEmptyTable)->Arg(0)->Arg(1)->ArgName("prefetch")->Iterations(960);

void BM_FlowMemory(benchmark::State& state) {
  for (auto _ : state) {
    const long before = resident_kib();
    FlowTable table = FlowTable::create(bench_config(kFlows)).value();
    Timestamp t = Timestamp::from_seconds(1'700'000'000);
    fill(table, make_keys(kFlows, 8), t);
    const long after = resident_kib();
    state.counters["entry_bytes"] = sizeof(FlowEntry);
    state.counters["memory_bytes"] = static_cast<double>(table.memory_bytes());
    state.counters["memory_MiB"] = static_cast<double>(table.memory_bytes()) / (1 << 20);
    state.counters["bytes_per_flow"] = static_cast<double>(table.memory_bytes()) / kFlows;
    // The key vector is freed (unmapped) by then: this is the table's own resident memory.
    state.counters["rss_growth_MiB"] = static_cast<double>(after - before) / 1024;
    state.counters["huge_pages_MiB"] = static_cast<double>(huge_kib()) / 1024;
  }
}
BENCHMARK(BM_FlowMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
