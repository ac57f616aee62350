// Append throughput of the central PostgreSQL store against the SQLite store, in one run
// (items_per_second = records/s). PostgreSQL runs as a private server started by the test
// fixture (tests/support/postgres_server.h: fsync off, so this measures the store's COPY path
// and the server's CPU work, not the disk's fsync latency; synchronous_commit stays on).
//  - BM_AppendPostgres/<batch>: append `batch` records, flush() (one COPY transaction), over
//    TCP on 127.0.0.1, into one growing table (sustained ingest).
//  - BM_ImportBatchPostgres/<batch>: the central consumer's path, import_batch() with a fresh
//    key each time (key row + COPY in one transaction).
//  - BM_AppendSqlite/<batch>: the same records into an SQLite file in /tmp.
// Run: build-*/bench/postgres_store_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_random.h"
#include "mamori/store/store.h"
#include "support/postgres_server.h"

namespace {

using namespace mamori;

constexpr std::int64_t kBaseMicros = 1795305600'000'000;  // 2026-11-22T00:00:00Z

using Random = mamori::bench::SplitMix64;

// A typical selected flow (the shape of store_bench.cc's records).
sieve::Record make_record(std::uint64_t sequence, Random& random) {
  sieve::Record r;
  r.sensor = "gw-bench";
  r.flow_id = fmt::format("{:032x}", sequence);
  r.category = static_cast<scope::Category>(random.next() % 3);
  r.first_seen = Timestamp::from_micros(kBaseMicros + static_cast<std::int64_t>(sequence) * 1000);
  r.last_seen = r.first_seen + Duration::seconds(static_cast<std::int64_t>(random.next() % 60));
  r.protocol = random.next() % 4 == 0 ? 17 : 6;
  r.src.ip = IpAddress::v4(0xc6330000u | static_cast<std::uint32_t>(random.next() & 0xffff));
  r.dst.ip = IpAddress::v4(0x85f20000u | static_cast<std::uint32_t>(random.next() & 0xffff));
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
  const std::size_t matches = 1 + random.next() % 2;
  for (std::size_t i = 0; i < matches; ++i) {
    r.matches.push_back({fmt::format("rule-{:03}", random.next() % 100), sieve::RuleKind::ip, {}});
  }
  return r;
}

std::vector<sieve::Record> make_records(std::size_t count) {
  Random random{1};
  std::vector<sieve::Record> records;
  records.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) records.push_back(make_record(i, random));
  return records;
}

test_support::PostgresServer& server() {
  static test_support::PostgresServer instance;
  return instance;
}

std::unique_ptr<store::Store> open_or_die(const std::string& url) {
  auto opened = store::open_store(url);
  if (!opened) {
    std::fprintf(stderr, "postgres_store_bench: %s\n", opened.error().message.c_str());
    std::exit(1);
  }
  return std::move(*opened);
}

store::RunInfo bench_run() {
  return {.sensor = "gw-bench",
          .started_at = Timestamp::from_micros(kBaseMicros),
          .config_hash = "c",
          .ruleset_hash = "r",
          .input = "bench"};
}

void append_loop(benchmark::State& state, store::Store& store) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const auto records = make_records(batch);
  auto run = store.begin_run(bench_run());
  if (!run) {
    state.SkipWithError(run.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    auto appended = store.append(*run, records);
    auto flushed = appended ? store.flush() : appended;
    if (!flushed) {
      state.SkipWithError(flushed.error().message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

void BM_AppendPostgres(benchmark::State& state) {
  const std::string database = server().create_database();
  auto store = open_or_die("postgres:" + server().conninfo(database));
  append_loop(state, *store);
}
BENCHMARK(BM_AppendPostgres)->Arg(1000)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_ImportBatchPostgres(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const std::string database = server().create_database();
  auto store = open_or_die("postgres:" + server().conninfo(database));
  const auto records = make_records(batch);
  auto run = store->import_run("gw-bench/1", bench_run());
  if (!run) {
    state.SkipWithError(run.error().message.c_str());
    return;
  }
  std::uint64_t key = 0;
  for (auto _ : state) {
    auto imported = store->import_batch(*run, fmt::format("batch-{}", ++key), records);
    if (!imported || !*imported) {
      state.SkipWithError("import_batch failed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_ImportBatchPostgres)
    ->Arg(1000)
    ->Arg(10000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_AppendSqlite(benchmark::State& state) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "mamori-pg-bench-sqlite.db").string();
  auto remove = [&path] {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  };
  remove();
  {
    auto store = open_or_die("sqlite:" + path);
    append_loop(state, *store);
  }
  remove();
}
BENCHMARK(BM_AppendSqlite)->Arg(1000)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
