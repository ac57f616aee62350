// Store throughput and query latency (SQLite backend).
//  - BM_Append/<batch>: records/s appending `batch` records then flush(), into a fresh file.
//  - BM_Query*: latency of the first page (and a deep page) by rule and by address prefix over
//    a database of MAMORI_BENCH_RECORDS records (default 1,000,000), built once in /tmp and
//    removed at exit unless MAMORI_BENCH_KEEP=1 (a kept file is reused by the next run).
//  - BM_RecordToJsonLine / BM_RecordFromJsonLine: the record codec alone (…Reference: the
//    nlohmann ordered_json writer and DOM reader; …Reused: the fast reader into one reused
//    Record).
//  - BM_ReadAll/<0|1>: every record of the large database, by pages of query() or by scan().
// Run short: --benchmark_min_time=0.2

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_random.h"
#include "mamori/sieve/record_json.h"
#include "mamori/store/store.h"

namespace {

using namespace mamori;

constexpr int kRules = 100;
constexpr std::int64_t kBaseMicros = 1795305600'000'000;  // 2026-11-22T00:00:00Z

using Random = mamori::bench::SplitMix64;

std::string rule_name(std::uint64_t index) { return fmt::format("rule-{:03}", index); }

// A typical selected flow: IPv4 (80 %) or IPv6, 1-2 matches over kRules rules, TLS half the
// time, DNS or HTTP now and then.
sieve::Record make_record(std::uint64_t sequence, Random& random) {
  sieve::Record r;
  r.sensor = "gw-bench";
  r.flow_id = fmt::format("{:032x}", sequence);
  r.category = static_cast<scope::Category>(random.next() % 3);
  r.first_seen = Timestamp::from_micros(kBaseMicros + static_cast<std::int64_t>(sequence) * 1000);
  r.last_seen = r.first_seen + Duration::seconds(static_cast<std::int64_t>(random.next() % 60));
  r.protocol = random.next() % 4 == 0 ? 17 : 6;
  if (random.next() % 5 == 0) {
    std::array<std::uint8_t, 16> src = {0x20, 0x01, 0x0d, 0xb8};
    std::array<std::uint8_t, 16> dst = {0x24, 0x04, 0x68, 0x00};
    for (int i = 8; i < 16; ++i) {
      src[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(random.next());
      dst[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(random.next());
    }
    r.src.ip = IpAddress::v6(src);
    r.dst.ip = IpAddress::v6(dst);
  } else {
    // 198.51.0.0/16 initiators, 133.242.0.0/16 responders.
    r.src.ip = IpAddress::v4(0xc6330000u | static_cast<std::uint32_t>(random.next() & 0xffff));
    r.dst.ip = IpAddress::v4(0x85f20000u | static_cast<std::uint32_t>(random.next() & 0xffff));
  }
  r.src.port = static_cast<std::uint16_t>(1024 + random.next() % 60000);
  r.src.country = scope::CountryCode::from("US");
  r.dst.port = 443;
  r.dst.country = scope::kJapan;
  r.packets = {random.next() % 100, random.next() % 100};
  r.bytes = {random.next() % 100000, random.next() % 1000000};
  r.tcp_flags = r.protocol == 6 ? 0x1b : 0;
  if (random.next() % 2 == 0) {
    r.tls = sieve::TlsInfo{"c2.example.net",
                           {"h2", "http/1.1"},
                           "1.3",
                           "771,4865-4866-4867,0-23-65281-10-11-35-16-5-13-18-51-45-43,29-23-24,0",
                           "3a366762f6c191d06acf4daf46ecd6ca",
                           "t13d1516h2_8daaf6152771_e5627efa2ab1"};
  }
  if (random.next() % 8 == 0) r.dns.push_back({"c2.example.net", 1, 0, {r.dst.ip}});
  if (random.next() % 8 == 0) r.http.push_back({"GET", "c2.example.net", "Mozilla/5.0"});
  const std::size_t matches = 1 + random.next() % 2;
  for (std::size_t i = 0; i < matches; ++i) {
    r.matches.push_back({rule_name(random.next() % kRules), sieve::RuleKind::ip, {}});
  }
  return r;
}

std::vector<sieve::Record> make_records(std::uint64_t first, std::size_t count) {
  Random random{first * 7919 + 1};
  std::vector<sieve::Record> records;
  records.reserve(count);
  for (std::uint64_t i = first; i < first + count; ++i) records.push_back(make_record(i, random));
  return records;
}

std::unique_ptr<store::Store> open_or_die(const std::string& url) {
  auto opened = store::open_store(url);
  if (!opened) {
    std::fprintf(stderr, "store_bench: %s\n", opened.error().message.c_str());
    std::exit(1);
  }
  return std::move(*opened);
}

std::string bench_path(const char* name) {
  return (std::filesystem::temp_directory_path() / fmt::format("mamori-store-bench-{}", name))
      .string();
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

void BM_Append(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const std::string path = bench_path("append.db");
  remove_db(path);
  const auto records = make_records(0, batch);
  {
    auto store = open_or_die("sqlite:" + path);
    auto run =
        store->begin_run({"gw-bench", Timestamp::from_micros(kBaseMicros), "c", "r", "bench"});
    for (auto _ : state) {
      if (!store->append(*run, records) || !store->flush()) state.SkipWithError("append failed");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  }
  remove_db(path);
}
BENCHMARK(BM_Append)->Arg(100)->Arg(1000)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);

// The codec alone, to tell serialization cost from database cost.
void BM_RecordToJsonLine(benchmark::State& state) {
  const auto records = make_records(0, 1000);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sieve::record_to_json_line(records[i++ % records.size()]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RecordToJsonLine);

void BM_RecordToJsonLineReference(benchmark::State& state) {
  const auto records = make_records(0, 1000);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sieve::record_to_json_line_reference(records[i++ % records.size()]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RecordToJsonLineReference);

void BM_RecordFromJsonLine(benchmark::State& state) {
  std::vector<std::string> lines;
  for (const auto& record : make_records(0, 1000))
    lines.push_back(sieve::record_to_json_line(record));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sieve::record_from_json_line(lines[i++ % lines.size()]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RecordFromJsonLine);

// The reference reader over the nlohmann DOM (what every line cost before the fast reader).
void BM_RecordFromJsonLineReference(benchmark::State& state) {
  std::vector<std::string> lines;
  for (const auto& record : make_records(0, 1000))
    lines.push_back(sieve::record_to_json_line(record));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sieve::record_from_json_line_reference(lines[i++ % lines.size()]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RecordFromJsonLineReference);

// The fast reader into one reused Record (what Store::scan does per row).
void BM_RecordFromJsonLineReused(benchmark::State& state) {
  std::vector<std::string> lines;
  for (const auto& record : make_records(0, 1000))
    lines.push_back(sieve::record_to_json_line(record));
  sieve::Record record;
  std::size_t i = 0;
  for (auto _ : state) {
    if (!sieve::record_from_json_line(lines[i++ % lines.size()], record)) {
      state.SkipWithError("unreadable");
      break;
    }
    benchmark::DoNotOptimize(record.first_seen);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RecordFromJsonLineReused);

std::size_t large_size() {
  const char* text = std::getenv("MAMORI_BENCH_RECORDS");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 1'000'000;
}

std::string large_path() { return bench_path(fmt::format("{}.db", large_size()).c_str()); }

std::uint64_t file_bytes(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

std::unique_ptr<store::Store> build_large_store() {
  const std::size_t size = large_size();
  const std::string url = "sqlite:" + large_path();
  auto existing = open_or_die(url);
  auto count = existing->count({});
  if (count && *count == size) return existing;
  existing.reset();
  remove_db(large_path());
  auto created = open_or_die(url);
  auto run =
      created->begin_run({"gw-bench", Timestamp::from_micros(kBaseMicros), "c", "r", "bench"});
  const auto start = std::chrono::steady_clock::now();
  constexpr std::size_t kChunk = 10000;
  for (std::size_t first = 0; first < size; first += kChunk) {
    const auto records = make_records(first, std::min(kChunk, size - first));
    if (!created->append(*run, records) || !created->flush()) std::exit(1);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(
      stderr, "store_bench: built %zu records in %.1f s (%.0f records/s), %.0f MB\n", size, seconds,
      static_cast<double>(size) / seconds,
      static_cast<double>(file_bytes(large_path()) + file_bytes(large_path() + "-wal")) / 1e6);
  return created;
}

// The large database, built on first use (or reused when a kept one has the right size);
// main() closes it before removing the file.
std::unique_ptr<store::Store>& large_store_holder() {
  static std::unique_ptr<store::Store> store;
  return store;
}

store::Store& large_store() {
  auto& holder = large_store_holder();
  if (!holder) holder = build_large_store();
  return *holder;
}

void run_query(benchmark::State& state, const store::RecordQuery& query) {
  store::Store& store = large_store();
  std::size_t rows = 0;
  for (auto _ : state) {
    auto result = store.query(query);
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      break;
    }
    rows = result->size();
    benchmark::DoNotOptimize(result->data());
  }
  state.counters["rows"] = static_cast<double>(rows);
}

void BM_QueryByRule(benchmark::State& state) {
  run_query(state, {.rule = rule_name(42), .limit = static_cast<std::size_t>(state.range(0))});
}
BENCHMARK(BM_QueryByRule)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_QueryByRuleDeepPage(benchmark::State& state) {
  const auto middle = static_cast<store::RecordId>(large_size() / 2);
  run_query(state, {.rule = rule_name(42), .after = middle, .limit = 100});
}
BENCHMARK(BM_QueryByRuleDeepPage)->Unit(benchmark::kMicrosecond);

void BM_QueryByPrefix(benchmark::State& state) {
  // /24 inside the initiators' /16 (≈0.3 % of records), /16 (≈80 %), and a /20 of responders.
  const char* prefixes[] = {"198.51.7.0/24", "198.51.0.0/16", "133.242.16.0/20"};
  run_query(state, {.address = *Prefix::parse(prefixes[state.range(0)]), .limit = 100});
  state.SetLabel(prefixes[state.range(0)]);
}
BENCHMARK(BM_QueryByPrefix)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);

void BM_QueryRuleAndPrefix(benchmark::State& state) {
  run_query(state,
            {.rule = rule_name(7), .address = *Prefix::parse("198.51.0.0/18"), .limit = 100});
}
BENCHMARK(BM_QueryRuleAndPrefix)->Unit(benchmark::kMicrosecond);

void BM_CountByRule(benchmark::State& state) {
  store::Store& store = large_store();
  for (auto _ : state) {
    auto count = store.count({.rule = rule_name(42)});
    benchmark::DoNotOptimize(count);
  }
}
BENCHMARK(BM_CountByRule)->Unit(benchmark::kMicrosecond);

// Reading every record of the large database back, as an analysis does: pages of 10,000 by
// query() (arg 0) or one scan() (arg 1). us_per_record is wall time per record.
void BM_ReadAll(benchmark::State& state) {
  store::Store& store = large_store();
  std::uint64_t records = 0;
  for (auto _ : state) {
    records = 0;
    if (state.range(0) == 0) {
      store::RecordQuery query{.limit = 10'000};
      for (;;) {
        auto page = store.query(query);
        if (!page) {
          state.SkipWithError(page.error().message.c_str());
          return;
        }
        records += page->size();
        if (page->size() < query.limit) break;
        query.after = page->back().id;
      }
    } else {
      auto visited =
          store.scan({.limit = 0}, [](const store::StoredRecord& stored) -> Result<void> {
            benchmark::DoNotOptimize(stored.record.first_seen);
            return {};
          });
      if (!visited) {
        state.SkipWithError(visited.error().message.c_str());
        return;
      }
      records = *visited;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
  state.counters["records"] = static_cast<double>(records);
  state.counters["us_per_record"] =
      benchmark::Counter(static_cast<double>(state.iterations() * records) * 1e-6,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ReadAll)->Arg(0)->Arg(1)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  large_store_holder().reset();
  const char* keep = std::getenv("MAMORI_BENCH_KEEP");
  if (keep == nullptr || std::string(keep) != "1") remove_db(large_path());
  return 0;
}
