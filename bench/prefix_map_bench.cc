// PrefixMap lookup throughput and size. Goal (issue "The sieve"): >= 100 M IPv4 lookups/s per
// core over 1M prefixes. Run short: --benchmark_min_time=0.2.
//
// Synthetic tables draw prefix lengths from a BGP-like mix (most prefixes /24, a long tail of
// shorter ones) at random places; the "country" cases use the vendored .mmdb through
// scope::CountryTable, which is a PrefixMap underneath.

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include "mamori/core/prefix_map.h"
#include "mamori/scope/country_table.h"

namespace {

using mamori::IpAddress;
using mamori::Prefix;
using mamori::PrefixMap;

constexpr std::size_t kProbeCount = 1 << 20;  // random addresses, cycled

int bgp_like_v4_length(std::mt19937_64& rng) {
  // Roughly the shape of a 2024 IPv4 default-free table.
  const int roll = static_cast<int>(rng() % 1000);
  if (roll < 600) return 24;
  if (roll < 700) return 23;
  if (roll < 820) return 22;
  if (roll < 870) return 21;
  if (roll < 910) return 20;
  if (roll < 940) return 19;
  if (roll < 955) return 18;
  if (roll < 965) return 17;
  if (roll < 980) return 16;
  if (roll < 990) return 8 + static_cast<int>(rng() % 8);
  return 25 + static_cast<int>(rng() % 8);
}

int bgp_like_v6_length(std::mt19937_64& rng) {
  const int roll = static_cast<int>(rng() % 100);
  if (roll < 50) return 48;
  if (roll < 65) return 32;
  if (roll < 80) return 44;
  if (roll < 90) return 40;
  if (roll < 95) return 36;
  return 49 + static_cast<int>(rng() % 16);
}

IpAddress random_v6(std::mt19937_64& rng) {
  std::array<std::uint8_t, 16> bytes;
  const std::uint64_t high = rng();
  const std::uint64_t low = rng();
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<std::uint8_t>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<std::uint8_t>(low >> (56 - 8 * i));
  }
  // 2000::/3 with the top 20 bits drawn from 64 /20s, where a real table clusters.
  bytes[0] = static_cast<std::uint8_t>(0x20 | (bytes[0] & 0x03));
  bytes[1] = static_cast<std::uint8_t>(bytes[1] & 0x0f);
  bytes[2] = static_cast<std::uint8_t>(bytes[2] & 0xf0);
  return IpAddress::v6(bytes);
}

struct V4Table {
  PrefixMap map;
  double build_seconds = 0;
};

const V4Table& synthetic_v4(std::size_t count) {
  static std::vector<std::pair<std::size_t, std::unique_ptr<V4Table>>> cache;
  for (const auto& [size, table] : cache) {
    if (size == count) return *table;
  }
  std::mt19937_64 rng(count);
  PrefixMap::Builder builder;
  for (std::size_t i = 0; i < count; ++i) {
    const auto address = IpAddress::v4(static_cast<std::uint32_t>(rng()));
    builder.insert(Prefix(address, bgp_like_v4_length(rng)), static_cast<std::uint32_t>(i));
  }
  auto table = std::make_unique<V4Table>();
  const auto start = std::chrono::steady_clock::now();
  table->map = std::move(builder).build();
  table->build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  cache.emplace_back(count, std::move(table));
  return *cache.back().second;
}

const PrefixMap& synthetic_v6(std::size_t count) {
  static std::vector<std::pair<std::size_t, std::unique_ptr<PrefixMap>>> cache;
  for (const auto& [size, map] : cache) {
    if (size == count) return *map;
  }
  std::mt19937_64 rng(count + 6);
  PrefixMap::Builder builder;
  for (std::size_t i = 0; i < count; ++i) {
    builder.insert(Prefix(random_v6(rng), bgp_like_v6_length(rng)), static_cast<std::uint32_t>(i));
  }
  cache.emplace_back(count, std::make_unique<PrefixMap>(std::move(builder).build()));
  return *cache.back().second;
}

// The vendored database, found from this file's path (benchmarks get no source-dir define);
// MAMORI_COUNTRY_MMDB overrides it.
std::filesystem::path country_database() {
  if (const char* path = std::getenv("MAMORI_COUNTRY_MMDB")) return path;
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "data" /
         "iptoasn-country.mmdb";
}

const mamori::scope::CountryTable* country_table() {
  static const auto table = [] {
    auto loaded = mamori::scope::CountryTable::load(country_database());
    return loaded ? std::make_unique<mamori::scope::CountryTable>(std::move(*loaded)) : nullptr;
  }();
  return table.get();
}

const std::vector<std::uint32_t>& v4_probes() {
  static const auto probes = [] {
    std::mt19937_64 rng(4);
    std::vector<std::uint32_t> out(kProbeCount);
    for (auto& p : out) p = static_cast<std::uint32_t>(rng());
    return out;
  }();
  return probes;
}

const std::vector<IpAddress>& v6_probes() {
  static const auto probes = [] {
    std::mt19937_64 rng(6);
    std::vector<IpAddress> out(kProbeCount);
    for (auto& p : out) p = random_v6(rng);
    return out;
  }();
  return probes;
}

void report_size(benchmark::State& state, const PrefixMap& map) {
  state.counters["memory_MiB"] = static_cast<double>(map.memory_bytes()) / (1 << 20);
  state.counters["bytes_per_prefix"] =
      static_cast<double>(map.memory_bytes()) / static_cast<double>(map.prefix_count());
}

// Independent lookups: the throughput a batch of packets sees.
void BM_LookupV4(benchmark::State& state) {
  const auto& table = synthetic_v4(static_cast<std::size_t>(state.range(0)));
  const auto& probes = v4_probes();
  std::size_t i = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    sink += table.map.lookup_v4(probes[i]);
    i = (i + 1) & (kProbeCount - 1);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
  report_size(state, table.map);
  state.counters["build_s"] = table.build_seconds;
}
BENCHMARK(BM_LookupV4)->Arg(100'000)->Arg(1'000'000);

// Each address depends on the previous result: the latency of one lookup.
void BM_LookupV4Dependent(benchmark::State& state) {
  const auto& table = synthetic_v4(static_cast<std::size_t>(state.range(0)));
  const auto& probes = v4_probes();
  std::uint32_t i = 0;
  for (auto _ : state) {
    const std::uint32_t value = table.map.lookup_v4(probes[i]);
    i = (i + 1 + (value & 1)) & (kProbeCount - 1);
  }
  benchmark::DoNotOptimize(i);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupV4Dependent)->Arg(1'000'000);

// The same lookups through lookup(IpAddress), the form the scope and the sieve use.
void BM_LookupV4ThroughIpAddress(benchmark::State& state) {
  const auto& table = synthetic_v4(1'000'000);
  const auto& probes = v4_probes();
  std::vector<IpAddress> addresses(kProbeCount);
  for (std::size_t k = 0; k < kProbeCount; ++k) addresses[k] = IpAddress::v4(probes[k]);
  std::size_t i = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    sink += table.map.lookup(addresses[i]);
    i = (i + 1) & (kProbeCount - 1);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupV4ThroughIpAddress);

void BM_LookupV6(benchmark::State& state) {
  const auto& map = synthetic_v6(static_cast<std::size_t>(state.range(0)));
  const auto& probes = v6_probes();
  std::size_t i = 0;
  std::uint32_t sink = 0;
  std::size_t found = 0;
  for (auto _ : state) {
    const std::uint32_t value = map.lookup(probes[i]);
    sink += value;
    found += value != PrefixMap::kNoValue;
    i = (i + 1) & (kProbeCount - 1);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
  state.counters["found_pct"] =
      100.0 * static_cast<double>(found) / static_cast<double>(state.iterations());
  report_size(state, map);
}
BENCHMARK(BM_LookupV6)->Arg(200'000);

void BM_CountryTableV4(benchmark::State& state) {
  const auto* table = country_table();
  if (table == nullptr) return state.SkipWithError("cannot load data/iptoasn-country.mmdb");
  const auto& probes = v4_probes();
  std::size_t i = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    sink += table->lookup_v4(probes[i]).packed;
    i = (i + 1) & (kProbeCount - 1);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
  state.counters["memory_MiB"] = static_cast<double>(table->memory_bytes()) / (1 << 20);
  state.counters["networks"] =
      static_cast<double>(table->stats().v4_networks + table->stats().v6_networks);
}
BENCHMARK(BM_CountryTableV4);

void BM_CountryTableV6(benchmark::State& state) {
  const auto* table = country_table();
  if (table == nullptr) return state.SkipWithError("cannot load data/iptoasn-country.mmdb");
  const auto& probes = v6_probes();
  std::size_t i = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    sink += table->lookup(probes[i]).packed;
    i = (i + 1) & (kProbeCount - 1);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CountryTableV6);

void BM_BuildV4(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(count);
  std::vector<Prefix> prefixes;
  for (std::size_t i = 0; i < count; ++i) {
    prefixes.emplace_back(IpAddress::v4(static_cast<std::uint32_t>(rng())),
                          bgp_like_v4_length(rng));
  }
  for (auto _ : state) {
    PrefixMap::Builder builder;
    for (std::size_t i = 0; i < count; ++i)
      builder.insert(prefixes[i], static_cast<std::uint32_t>(i));
    auto map = std::move(builder).build();
    benchmark::DoNotOptimize(map);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
}
BENCHMARK(BM_BuildV4)->Arg(1'000'000)->Iterations(2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
