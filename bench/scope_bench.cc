// scope: country lookups, classify() and the start-up load of the vendored .mmdb. Goal (issue
// "The sieve"): a country lookup in <= 10 ns. Run short: --benchmark_min_time=0.2.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include "mamori/scope/classifier.h"
#include "mamori/scope/country_table.h"
#include "mamori/scope/overrides.h"

namespace {

using mamori::IpAddress;
using namespace mamori::scope;

constexpr std::size_t kProbeCount = 1 << 20;

// The vendored database, found from this file's path (benchmarks get no source-dir define);
// MAMORI_COUNTRY_MMDB overrides it.
std::filesystem::path country_database() {
  if (const char* path = std::getenv("MAMORI_COUNTRY_MMDB")) return path;
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "data" /
         "iptoasn-country.mmdb";
}

std::shared_ptr<const CountryTable> table() {
  static const auto loaded = []() -> std::shared_ptr<const CountryTable> {
    auto result = CountryTable::load(country_database());
    if (!result) return nullptr;
    return std::make_shared<const CountryTable>(std::move(*result));
  }();
  return loaded;
}

// Random IPv4 addresses, and IPv6 addresses in the RIRs' busiest /12s (about a quarter of
// them fall in some network of the table).
std::vector<IpAddress> probes(bool v6, std::uint64_t seed = 0) {
  std::mt19937_64 rng((v6 ? 66 : 44) + seed);
  std::vector<IpAddress> out(kProbeCount);
  constexpr std::uint8_t kTops[][2] = {{0x20, 0x01}, {0x24, 0x00}, {0x24, 0x04}, {0x26, 0x00},
                                       {0x26, 0x04}, {0x2a, 0x00}, {0x2a, 0x01}, {0x2a, 0x02}};
  for (auto& address : out) {
    if (!v6) {
      address = IpAddress::v4(static_cast<std::uint32_t>(rng()));
      continue;
    }
    std::array<std::uint8_t, 16> bytes;
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
    const auto& top = kTops[rng() % std::size(kTops)];
    bytes[0] = top[0];
    bytes[1] = static_cast<std::uint8_t>(top[1] | (bytes[1] & 0x0f));
    address = IpAddress::v6(bytes);
  }
  return out;
}

void BM_Load(benchmark::State& state) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto loaded = CountryTable::load(country_database());
    if (!loaded) return state.SkipWithError(loaded.error().message.c_str());
    bytes = loaded->memory_bytes();
    benchmark::DoNotOptimize(loaded);
  }
  state.counters["memory_MiB"] = static_cast<double>(bytes) / (1 << 20);
}
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond)->Iterations(3);

void lookup(benchmark::State& state, bool v6) {
  const auto countries = table();
  if (!countries) return state.SkipWithError("cannot load the country database");
  const auto addresses = probes(v6);
  std::size_t i = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    sink += countries->lookup(addresses[i]).packed;
    i = (i + 1) & (kProbeCount - 1);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}
void BM_CountryLookupV4(benchmark::State& state) { lookup(state, false); }
void BM_CountryLookupV6(benchmark::State& state) { lookup(state, true); }
BENCHMARK(BM_CountryLookupV4);
BENCHMARK(BM_CountryLookupV6);

// Traffic goes to announced space: IPv6 addresses that have a country (kept out of random
// ones), where the lookup walks the deepest paths of the table.
void BM_CountryLookupV6Known(benchmark::State& state) {
  const auto countries = table();
  if (!countries) return state.SkipWithError("cannot load the country database");
  constexpr std::size_t kKnown = 1 << 18;
  std::vector<IpAddress> known;
  while (known.size() < kKnown) {
    for (const auto& address : probes(true, known.size())) {
      if (countries->lookup(address).known() && known.size() < kKnown) known.push_back(address);
    }
  }
  std::size_t i = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    sink += countries->lookup(known[i]).packed;
    i = (i + 1) & (kKnown - 1);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CountryLookupV6Known);

// Packets come in flows, so real lookups repeat addresses; 4096 hot addresses stay in cache.
void BM_CountryLookupV4Hot(benchmark::State& state) {
  const auto countries = table();
  if (!countries) return state.SkipWithError("cannot load the country database");
  const auto addresses = probes(false);
  std::size_t i = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    sink += countries->lookup(addresses[i]).packed;
    i = (i + 1) & 4095;
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CountryLookupV4Hot);

// Both endpoints of a packet are of one family; addresses are read in sequence, so the
// probes themselves stay out of the way of the table's cache misses.
void classify(benchmark::State& state, bool v6, bool with_overrides) {
  const auto countries = table();
  if (!countries) return state.SkipWithError("cannot load the country database");
  Overrides overrides;
  if (with_overrides) {
    // A realistic handful: carrier blocks counted one way or the other.
    std::mt19937_64 rng(7);
    for (int i = 0; i < 200; ++i) {
      overrides.add(mamori::Prefix(IpAddress::v4(static_cast<std::uint32_t>(rng())), 16 + i % 9),
                    i % 2 == 0);
    }
  }
  ClassifierOptions options;
  options.authorized.add(Category::FD);
  options.authorized.add(Category::DF);
  const Classifier classifier(countries, overrides, options);
  const auto sources = probes(v6);
  auto destinations = sources;
  std::shuffle(destinations.begin(), destinations.end(), std::mt19937_64(9));
  std::size_t i = 0;
  std::uint64_t admitted = 0;
  for (auto _ : state) {
    const auto result = classifier.classify(sources[i], destinations[i]);
    admitted += classifier.admits(result.category) ? 1 : 0;
    i = (i + 1) & (kProbeCount - 1);
  }
  benchmark::DoNotOptimize(admitted);
  state.SetItemsProcessed(state.iterations());
}
void BM_ClassifyV4(benchmark::State& state) { classify(state, false, false); }
void BM_ClassifyV6(benchmark::State& state) { classify(state, true, false); }
void BM_ClassifyV4WithOverrides(benchmark::State& state) { classify(state, false, true); }
BENCHMARK(BM_ClassifyV4);
BENCHMARK(BM_ClassifyV6);
BENCHMARK(BM_ClassifyV4WithOverrides);

}  // namespace

BENCHMARK_MAIN();
