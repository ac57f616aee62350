// The ledger as the system uses it: Ledger::append / append_batch over the SQLite ledger
// storage (one transaction, synchronous=FULL, and one Ed25519-signed tree head per call).
//  - BM_LedgerAppendOne: one event per call (what a CLI command does), events/s.
//  - BM_LedgerAppendBatch/N: N events per call (what a busy server batches), events/s.
//  - BM_LedgerOpen/N: opening (and fully verifying) a stored ledger of N entries.
// Run short: --benchmark_min_time=0.5

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "mamori/ledger/keys.h"
#include "mamori/ledger/ledger.h"
#include "mamori/store/ledger_storage.h"

namespace {

using namespace mamori;

struct TempStore {
  TempStore() {
    char pattern[] = "/tmp/mamori-ledger-bench-XXXXXX";
    dir = mkdtemp(pattern);
    url = "sqlite:" + (dir / "ledger.db").string();
  }
  ~TempStore() { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
  std::string url;
};

nlohmann::json access_event(std::int64_t i) {
  return {{"user", "analyst-07"},         {"role", "analyst"},
          {"purpose", "attack-analysis"}, {"query", {{"rule", "c2-beacon-17"}, {"limit", 25}}},
          {"records", i % 100},           {"consents", nlohmann::json::array()}};
}

void BM_LedgerAppendOne(benchmark::State& state) {
  TempStore temp;
  auto storage = store::open_ledger_storage(temp.url);
  const auto key = ledger::SigningKey::generate(ledger::KeyRole::sensor);
  auto ledger = ledger::Ledger::open(**storage, key);
  std::int64_t i = 0;
  for (auto _ : state) {
    auto entry =
        ledger->append("access.read", access_event(i), Timestamp::from_seconds(1'800'000'000 + i));
    if (!entry) state.SkipWithError(entry.error().message.c_str());
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LedgerAppendOne)->Unit(benchmark::kMicrosecond);

void BM_LedgerAppendBatch(benchmark::State& state) {
  TempStore temp;
  auto storage = store::open_ledger_storage(temp.url);
  const auto key = ledger::SigningKey::generate(ledger::KeyRole::sensor);
  auto ledger = ledger::Ledger::open(**storage, key);
  const auto batch = static_cast<std::int64_t>(state.range(0));
  std::int64_t i = 0;
  for (auto _ : state) {
    std::vector<ledger::NewEntry> entries;
    entries.reserve(static_cast<std::size_t>(batch));
    for (std::int64_t k = 0; k < batch; ++k, ++i) {
      entries.push_back(
          {"access.read", access_event(i), Timestamp::from_seconds(1'800'000'000 + i)});
    }
    auto written = ledger->append_batch(std::move(entries));
    if (!written) state.SkipWithError(written.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_LedgerAppendBatch)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_LedgerOpen(benchmark::State& state) {
  TempStore temp;
  auto storage = store::open_ledger_storage(temp.url);
  const auto key = ledger::SigningKey::generate(ledger::KeyRole::sensor);
  {
    auto ledger = ledger::Ledger::open(**storage, key);
    const auto total = state.range(0);
    for (std::int64_t i = 0; i < total; i += 1000) {
      std::vector<ledger::NewEntry> entries;
      for (std::int64_t k = i; k < std::min<std::int64_t>(i + 1000, total); ++k) {
        entries.push_back(
            {"access.read", access_event(k), Timestamp::from_seconds(1'800'000'000 + k)});
      }
      (void)ledger->append_batch(std::move(entries));
    }
  }
  for (auto _ : state) {
    auto ledger = ledger::Ledger::open(**storage, key);
    if (!ledger) state.SkipWithError(ledger.error().message.c_str());
    benchmark::DoNotOptimize(ledger);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LedgerOpen)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
BENCHMARK_MAIN();
