// Sustained throughput of the issue 9 pipeline: sensor Publisher → NATS JetStream (one local
// nats-server, file storage) → central Consumer → Store. One iteration publishes a run of
// kRecords records in batch messages of 1000 and ends when the consumer has imported them all
// (publisher and consumer run concurrently, as at a real site).
//
//   build-*/bench/transport_bench                       # central store: SQLite in a temp dir
//   MAMORI_BENCH_STORE='postgres:host=127.0.0.1 port=5432 dbname=x' build-*/bench/transport_bench
//
// Goal (issue 9): ≥ 50k records/s into PostgreSQL.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <thread>

#include "../tests/support/temp_dir.h"
#include "../tests/transport/nats_cluster.h"
#include "mamori/sieve/record.h"
#include "mamori/transport/consumer.h"
#include "mamori/transport/publisher.h"

namespace {

using namespace mamori;

constexpr std::size_t kRecords = 100'000;

// Records like the store fixtures: distinct flows, one match, documentation addresses.
std::vector<sieve::Record> make_records(std::uint64_t first, std::size_t count) {
  std::vector<sieve::Record> records(count);
  for (std::size_t i = 0; i < count; ++i) {
    sieve::Record& r = records[i];
    const std::uint64_t n = first + i;
    r.sensor = "gw-1";
    r.flow_id = fmt::format("{:032x}", n);
    r.category = scope::Category::FD;
    r.first_seen = Timestamp::from_micros(1795305600000000 + static_cast<std::int64_t>(n) * 1000);
    r.last_seen = r.first_seen;
    r.protocol = 6;
    r.src.ip = IpAddress::v4(0xc6336400 | static_cast<std::uint32_t>(n % 250 + 1));
    r.src.port = static_cast<std::uint16_t>(1024 + n % 60000);
    r.dst.ip = IpAddress::v4(0xcb007100 | static_cast<std::uint32_t>(n % 200 + 1));
    r.dst.port = 443;
    r.packets = {10, 8};
    r.bytes = {1200, 5400};
    r.tcp_flags = 0x1b;
    r.matches.push_back(sieve::Match{.rule = "c2-ip-1", .kind = sieve::RuleKind::ip});
  }
  return records;
}

void BM_PublishConsumeStore(benchmark::State& state) {
  mamori::test_support::NatsCluster server(1);
  server.start_all();
  mamori::test_support::TempDir dir("mamori-transport-bench");
  const char* store_url = std::getenv("MAMORI_BENCH_STORE");
  auto central =
      store::open_store(store_url != nullptr ? store_url : "sqlite:" + dir.file("central.db"));
  if (!central) {
    state.SkipWithError(central.error().message.c_str());
    return;
  }
  state.SetLabel(store_url != nullptr ? "given store" : "sqlite");

  auto options = transport::parse_consumer_url(server.url() + "?fetch=64&fetch_timeout_ms=200");
  auto consumer = transport::Consumer::open(*options, **central);
  if (!consumer) {
    state.SkipWithError(consumer.error().message.c_str());
    return;
  }
  mamori::Result<void> consumed;
  std::thread consumer_thread([&] { consumed = (*consumer)->run(); });

  auto publisher = transport::open_publisher_from_url(
      fmt::format("{}?spool={}&spool_key={}&batch=1000", server.url(), dir.file("spool"),
                  dir.file("spool.key")));
  if (!publisher) {
    state.SkipWithError(publisher.error().message.c_str());
    (*consumer)->stop();
    consumer_thread.join();
    return;
  }
  store::RunInfo info;
  info.sensor = "gw-1";
  info.started_at = Timestamp::from_seconds(1795305600);
  info.legal_basis = "art-60";
  std::uint64_t first = 1;
  std::uint64_t target = 0;
  for (auto _ : state) {
    auto run = (*publisher)->begin_run(info);
    for (std::size_t done = 0; done < kRecords; done += 1000) {
      state.PauseTiming();
      const auto records = make_records(first, 1000);
      state.ResumeTiming();
      first += 1000;
      if (!(*publisher)->append(*run, records)) state.SkipWithError("append failed");
    }
    if (!(*publisher)->end_run(*run, {}, Timestamp::from_seconds(1795309200))) {
      state.SkipWithError("end_run failed");
    }
    target += kRecords;
    while ((*consumer)->counters().records_imported < target && consumed) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  (*consumer)->stop();
  consumer_thread.join();
  if (!consumed) state.SkipWithError(consumed.error().message.c_str());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kRecords));
  const auto sent = (*publisher)->counters();
  state.counters["spooled"] = static_cast<double>(sent.records_spooled);
}
BENCHMARK(BM_PublishConsumeStore)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
