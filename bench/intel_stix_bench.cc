// STIX 2.1 export and import throughput (issue 7: "export of 100k indicators to STIX").
// Run: build-*/bench/intel_stix_bench --benchmark_min_time=1
//
// Build: making 100k indicators (UUIDv4 from libsodium, IPv4 pattern rendered and checked).
// Export: write_bundle over them, one TLP:AMBER definition added (items = objects written).
// Import: read_bundle of that bundle text, patterns parsed back (items = objects accepted).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "mamori/intel/stix.h"
#include "mamori/intel/stix_pattern.h"
#include "mamori/intel/stix_reader.h"
#include "mamori/intel/stix_writer.h"

namespace {

using namespace mamori::intel::stix;

constexpr std::int64_t kStart = 1'795'315'039;  // 2026-11-22T02:37:19Z

std::vector<StixObject> make_indicators(std::size_t count) {
  static const mamori::ManualClock clock(mamori::Timestamp::from_seconds(kStart));
  static const std::string org = new_id("identity");
  const ObjectFactory factory(clock, org, {Tlp::kAmber});
  std::vector<StixObject> objects;
  objects.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    Indicator indicator;
    indicator.common = factory.common("indicator");
    indicator.name = "C2 address";
    indicator.indicator_types = {"malicious-activity"};
    const auto address = static_cast<std::uint32_t>(0xCB007100U + (i % 256)) + ((i / 256) << 8);
    const std::string text =
        std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xFF) + "." +
        std::to_string((address >> 8) & 0xFF) + "." + std::to_string(address & 0xFF);
    auto pattern = render_pattern(any_of(ObservableProperty::kIpv4, {text}));
    if (!pattern) std::abort();
    indicator.pattern = std::move(*pattern);
    indicator.valid_from = clock.now();
    indicator.kill_chain_phases = {attack_phase("command-and-control")};
    objects.emplace_back(std::move(indicator));
  }
  return objects;
}

void BM_StixBuildIndicators(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto objects = make_indicators(count);
    benchmark::DoNotOptimize(objects.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_StixBuildIndicators)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_StixExportBundle(benchmark::State& state) {
  const auto objects = make_indicators(static_cast<std::size_t>(state.range(0)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto bundle = write_bundle(objects);
    if (!bundle) std::abort();
    bytes = bundle->size();
    benchmark::DoNotOptimize(bundle->data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["bundle_MB"] = static_cast<double>(bytes) / 1e6;
}
BENCHMARK(BM_StixExportBundle)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_StixImportBundle(benchmark::State& state) {
  const auto bundle = write_bundle(make_indicators(static_cast<std::size_t>(state.range(0))));
  if (!bundle) std::abort();
  for (auto _ : state) {
    auto imported = read_bundle(*bundle, "council-member");
    if (!imported || !imported->errors.empty() || imported->opaque_patterns != 0) std::abort();
    benchmark::DoNotOptimize(imported->objects.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bundle->size()));
}
BENCHMARK(BM_StixImportBundle)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
