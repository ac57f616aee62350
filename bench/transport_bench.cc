// Sustained throughput of the issue 9 pipeline: sensor Publisher → NATS JetStream (one local
// nats-server, file storage) → central Consumer → Store.
//  - BM_PublishConsumeStore: one iteration publishes a run of kRecords records in batch
//    messages of 1000 and ends when the consumer has imported them all (publisher and
//    consumer run concurrently, sharing this machine).
//  - BM_DrainIntoStore: the central site alone: the run is published with the timer stopped
//    (sensors publish from their own machines), then a consumer drains it into the store.
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

// One nats-server, the central store (MAMORI_BENCH_STORE or SQLite in a temp dir) and a
// sensor's publisher, for one benchmark.
struct Site {
  mamori::test_support::NatsCluster server{1};
  mamori::test_support::TempDir dir{"mamori-transport-bench"};
  std::unique_ptr<store::Store> central;
  std::unique_ptr<transport::Publisher> publisher;
  transport::ConsumerOptions consumer_options;
  std::uint64_t next_record = 1;

  // An error message, or empty.
  std::string open(benchmark::State& state) {
    server.start_all();
    const char* store_url = std::getenv("MAMORI_BENCH_STORE");
    auto opened =
        store::open_store(store_url != nullptr ? store_url : "sqlite:" + dir.file("central.db"));
    if (!opened) return opened.error().message;
    central = std::move(*opened);
    state.SetLabel(store_url != nullptr ? "given store" : "sqlite");
    auto options = transport::parse_consumer_url(server.url() + "?fetch=64&fetch_timeout_ms=200");
    if (!options) return options.error().message;
    consumer_options = *options;
    // The stream and the durable consumer exist before anything is published.
    auto consumer = transport::Consumer::open(consumer_options, *central);
    if (!consumer) return consumer.error().message;
    auto sensor = transport::open_publisher_from_url(
        fmt::format("{}?spool={}&spool_key={}&batch=1000", server.url(), dir.file("spool"),
                    dir.file("spool.key")));
    if (!sensor) return sensor.error().message;
    publisher = std::move(*sensor);
    return {};
  }

  // Publishes one run of kRecords records (begin, batches of 1000, end), making the records
  // with the timer paused.
  bool publish_run(benchmark::State& state, bool timed) {
    store::RunInfo info;
    info.sensor = "gw-1";
    info.started_at = Timestamp::from_seconds(1795305600);
    info.legal_basis = "art-60";
    auto run = publisher->begin_run(info);
    if (!run) return false;
    for (std::size_t done = 0; done < kRecords; done += 1000) {
      if (timed) state.PauseTiming();
      const auto records = make_records(next_record, 1000);
      if (timed) state.ResumeTiming();
      next_record += 1000;
      if (!publisher->append(*run, records)) return false;
    }
    return publisher->end_run(*run, {}, Timestamp::from_seconds(1795309200)).has_value();
  }
};

// Waits until `consumer` has imported `target` records or its run() failed.
void wait_imported(const transport::Consumer& consumer, std::uint64_t target,
                   const mamori::Result<void>& consumed) {
  while (consumer.counters().records_imported < target && consumed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// The sensor publishing and the central site consuming at once, on one machine.
void BM_PublishConsumeStore(benchmark::State& state) {
  Site site;
  if (const auto error = site.open(state); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  auto consumer = transport::Consumer::open(site.consumer_options, *site.central);
  if (!consumer) {
    state.SkipWithError(consumer.error().message.c_str());
    return;
  }
  mamori::Result<void> consumed;
  std::thread consumer_thread([&] { consumed = (*consumer)->run(); });
  std::uint64_t target = 0;
  for (auto _ : state) {
    if (!site.publish_run(state, true)) state.SkipWithError("publishing failed");
    target += kRecords;
    wait_imported(**consumer, target, consumed);
  }
  (*consumer)->stop();
  consumer_thread.join();
  if (!consumed) state.SkipWithError(consumed.error().message.c_str());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kRecords));
  state.counters["spooled"] = static_cast<double>(site.publisher->counters().records_spooled);
}
BENCHMARK(BM_PublishConsumeStore)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// The central site alone: a run already in the stream (published with the timer stopped, as
// sensors publish from their own machines) drained by the consumer into the store.
void BM_DrainIntoStore(benchmark::State& state) {
  Site site;
  if (const auto error = site.open(state); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    if (!site.publish_run(state, false)) state.SkipWithError("publishing failed");
    auto consumer = transport::Consumer::open(site.consumer_options, *site.central);
    if (!consumer) {
      state.SkipWithError(consumer.error().message.c_str());
      break;
    }
    mamori::Result<void> consumed;
    state.ResumeTiming();
    std::thread consumer_thread([&] { consumed = (*consumer)->run(); });
    wait_imported(**consumer, kRecords, consumed);  // a new consumer counts from 0
    state.PauseTiming();
    (*consumer)->stop();
    consumer_thread.join();
    if (!consumed) state.SkipWithError(consumed.error().message.c_str());
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kRecords));
}
BENCHMARK(BM_DrainIntoStore)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
