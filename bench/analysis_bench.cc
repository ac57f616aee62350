// Analysis throughput (analysis/analyzer.h, analyze_store.h).
//  - BM_GenerateOnly: the in-memory record generator alone (subtract it from the next two).
//  - BM_AnalyzerAdd/<n>: Analyzer::add of n records of a realistic mix, then finish().
//  - BM_Analyze10M: the same for 10,000,000 records, once (the acceptance figure: < 60 s).
//  - BM_AnalyzeStore/<window>: analyze_store over an SQLite store of MAMORI_BENCH_RECORDS
//    records (default 1,000,000), written through the Store API in the setup, built once in
//    /tmp and removed at exit unless MAMORI_BENCH_KEEP=1 (a kept file is reused). Counters
//    read_s / analyze_s split the time between Store::scan (SQLite + record JSON decoding) and
//    the Analyzer. window=0: all records; 1: with a since/until window over all of them.
//
// The mix (per record, by a hash of its number): 40 % beacons of 2,000 infected hosts to 200
// C2 servers over TLS (20 JA3s, half without SNI), ip or beacon matches; 25 % benign periodic
// traffic of 50,000 hosts to 100 popular servers (NTP, update checks), beacon matches; 15 %
// scan records from 200 scanners; 5 % amplification answers from 5,000 reflectors to 50
// victims; 15 % a long tail of port-rule matches (1 in 64 a domain rule) between 200,000
// hosts and 1,000,000 servers with 100,000 names.
// Run: ./build-analysis/bench/analysis_bench --benchmark_min_time=0.5

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mamori/analysis/analyze_store.h"
#include "mamori/analysis/analyzer.h"
#include "mamori/store/store.h"

namespace {

using namespace mamori;
using sieve::RuleKind;

constexpr std::int64_t kBaseNanos = 1'793'491'200'000'000'000;  // 2026-11-01T00:00:00Z

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

sieve::Endpoint endpoint(std::uint32_t v4, std::uint16_t port, bool domestic) {
  sieve::Endpoint e;
  e.ip = IpAddress::v4(v4);
  e.port = port;
  e.country = domestic ? scope::kJapan : scope::CountryCode::from("US");
  e.pseudonym_epoch = domestic ? 2 : 0;
  return e;
}

class MixGenerator {
 public:
  MixGenerator() {
    for (int i = 0; i < 20; ++i) ja3_.push_back(fmt::format("{:032x}", mix(i)));
    for (int i = 0; i < 100'000; ++i)
      names_.push_back(fmt::format("n{}.tail{}.example.net", i, i % 97));
    for (auto& t : templates_) {
      t.sensor = "gw-bench";
      t.flow_id = std::string(32, '0');
      t.protocol = 6;
      t.tcp_flags = 0x1b;
    }
    // 0 beacon to C2, 1 benign periodic, 2 scan, 3 amplification, 4 long tail.
    beacon_ = {"beacon",
               RuleKind::beacon,
               {},
               {{"connections", 12}, {"cv", 0.08}, {"mean_interval_s", 300}}};
    templates_[0].matches = {beacon_};
    templates_[0].tls = sieve::TlsInfo{};
    templates_[1].matches = {{"beacon",
                              RuleKind::beacon,
                              {},
                              {{"connections", 30}, {"cv", 0.01}, {"mean_interval_s", 64}}}};
    templates_[2].matches = {
        {"scan", RuleKind::scan, {}, {{"failed_ratio", 0.95}, {"targets", 80}}}};
    templates_[3].matches = {{"amp", RuleKind::amplification, {}, {{"ratio", 40}}}};
    templates_[3].protocol = 17;
    templates_[4].matches = {{"tail-domain", RuleKind::domain, {}, {}}};
    templates_[4].tls = sieve::TlsInfo{};
  }

  const sieve::Record& make(std::uint64_t i) {
    const std::uint64_t h = mix(i);
    const std::uint64_t pick = h % 100;
    const std::uint64_t a = h >> 8;
    const std::uint64_t b = h >> 32;
    const std::size_t kind = pick < 40 ? 0 : pick < 65 ? 1 : pick < 80 ? 2 : pick < 85 ? 3 : 4;
    sieve::Record& r = templates_[kind];
    r.first_seen = Timestamp{kBaseNanos + static_cast<std::int64_t>(i) * 1'000'000};
    r.last_seen = r.first_seen + Duration::millis(static_cast<std::int64_t>(a % 2000));
    r.bytes = {300 + a % 700, 900 + b % 3000};
    r.packets = {4 + a % 6, 4 + b % 8};
    switch (kind) {
      case 0:
        r.category = scope::Category::DF;
        r.src = endpoint(0x64400000u + static_cast<std::uint32_t>(a % 2000), 50000, true);
        r.dst = endpoint(0xcb007100u + static_cast<std::uint32_t>(b % 200), a % 4 == 0 ? 8443 : 443,
                         false);
        r.tls->ja3_hash = ja3_[b % 20];
        r.tls->sni = (b & 1) != 0 ? std::string() : names_[b % 50];
        if ((a & 7) == 0) {
          r.matches[0] = {"c2-ip", RuleKind::ip, {}, {}};
        } else {
          r.matches[0] = beacon_;
        }
        break;
      case 1:
        r.category = scope::Category::DF;
        r.src = endpoint(0x64500000u + static_cast<std::uint32_t>(a % 50'000), 40000, true);
        r.dst = endpoint(0xc6120000u + static_cast<std::uint32_t>(b % 100), b % 2 == 0 ? 123 : 443,
                         false);
        r.protocol = b % 2 == 0 ? 17 : 6;
        break;
      case 2:
        r.category = scope::Category::FD;
        r.src = endpoint(0xc0000200u + static_cast<std::uint32_t>(a % 200), 41000, false);
        r.dst = endpoint(0x64600000u + static_cast<std::uint32_t>(b % 65536), 22, true);
        break;
      case 3:
        r.category = scope::Category::FD;
        r.src = endpoint(0xc6336400u + static_cast<std::uint32_t>(a % 5000), 53, false);
        r.dst = endpoint(0x64700000u + static_cast<std::uint32_t>(b % 50), 33333, true);
        break;
      default:
        r.category = scope::Category::DF;
        r.src = endpoint(0x64800000u + static_cast<std::uint32_t>(a % 200'000), 51000, true);
        r.dst = endpoint(0x0b000000u + static_cast<std::uint32_t>(b % 1'000'000), 443, false);
        r.tls->sni = names_[b % names_.size()];
        r.tls->ja3_hash = ja3_[a % 20];
        r.matches[0].kind = b % 64 == 0 ? RuleKind::domain : RuleKind::port;
        break;
    }
    return r;
  }

 private:
  std::array<sieve::Record, 5> templates_;
  sieve::Match beacon_;
  std::vector<std::string> ja3_;
  std::vector<std::string> names_;
};

void BM_GenerateOnly(benchmark::State& state) {
  MixGenerator generator;
  std::uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(generator.make(i++).first_seen);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GenerateOnly);

void run_analyzer(benchmark::State& state, std::uint64_t records) {
  MixGenerator generator;
  for (auto _ : state) {
    analysis::Analyzer analyzer;
    for (std::uint64_t i = 0; i < records; ++i) {
      analyzer.add(static_cast<analysis::RecordId>(i + 1), generator.make(i));
    }
    const auto start = std::chrono::steady_clock::now();
    const analysis::AnalysisResult result = analyzer.finish();
    state.counters["finish_s"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.counters["findings"] = static_cast<double>(result.findings.size());
    state.counters["peak_MiB"] =
        static_cast<double>(result.stats.peak_memory_bytes) / (1024.0 * 1024.0);
    state.counters["evicted"] = static_cast<double>(result.stats.evicted);
    benchmark::DoNotOptimize(result.findings.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(records));
}

void BM_AnalyzerAdd(benchmark::State& state) {
  run_analyzer(state, static_cast<std::uint64_t>(state.range(0)));
}
BENCHMARK(BM_AnalyzerAdd)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_Analyze10M(benchmark::State& state) { run_analyzer(state, 10'000'000); }
BENCHMARK(BM_Analyze10M)->Iterations(1)->Unit(benchmark::kSecond);

std::uint64_t store_records() {
  const char* value = std::getenv("MAMORI_BENCH_RECORDS");
  return value != nullptr ? std::strtoull(value, nullptr, 10) : 1'000'000;
}

std::string store_path() {
  return (std::filesystem::temp_directory_path() /
          fmt::format("mamori-analysis-bench-{}.db", store_records()))
      .string();
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

// Builds the store once per process (or reuses a kept one).
std::unique_ptr<store::Store> bench_store() {
  static bool built = false;
  const std::string path = store_path();
  const bool keep = std::getenv("MAMORI_BENCH_KEEP") != nullptr;
  if (!built && !(keep && std::filesystem::exists(path))) {
    remove_db(path);
    auto opened = store::open_store("sqlite:" + path);
    if (!opened) {
      std::fprintf(stderr, "analysis_bench: %s\n", opened.error().message.c_str());
      std::exit(1);
    }
    store::RunInfo info;
    info.sensor = "gw-bench";
    info.started_at = Timestamp{kBaseNanos};
    auto run = (*opened)->begin_run(info);
    MixGenerator generator;
    std::vector<sieve::Record> batch;
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < store_records(); ++i) {
      batch.push_back(generator.make(i));
      batch.back().flow_id = fmt::format("{:032x}", i);
      if (batch.size() == 10'000 || i + 1 == store_records()) {
        if (auto ok = (*opened)->append(*run, batch); !ok) {
          std::fprintf(stderr, "analysis_bench: %s\n", ok.error().message.c_str());
          std::exit(1);
        }
        batch.clear();
      }
    }
    (void)(*opened)->end_run(*run, nlohmann::json::object(), Timestamp{kBaseNanos});
    std::fprintf(stderr, "analysis_bench: wrote %llu records in %.1f s\n",
                 static_cast<unsigned long long>(store_records()),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!keep) std::atexit([] { remove_db(store_path()); });
  }
  built = true;
  auto opened = store::open_store("sqlite:" + path);
  if (!opened) std::exit(1);
  return std::move(*opened);
}

void BM_AnalyzeStore(benchmark::State& state) {
  auto store = bench_store();
  analysis::StoreAnalysis request;
  if (state.range(0) == 1) {
    request.since = Timestamp{kBaseNanos};
    request.until = Timestamp{kBaseNanos + static_cast<std::int64_t>(store_records()) * 1'000'000};
  }
  for (auto _ : state) {
    auto result = analysis::analyze_store(*store, request);
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      return;
    }
    state.counters["read_s"] = result->stats.read_seconds;
    state.counters["analyze_s"] = result->stats.analyze_seconds;
    state.counters["records"] = static_cast<double>(result->stats.records);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(store_records()));
}
BENCHMARK(BM_AnalyzeStore)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
