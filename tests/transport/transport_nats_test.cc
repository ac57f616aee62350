// Acceptance tests of issue 9 item 4 against real nats-server processes (nats_cluster.h):
// exactly-once delivery through a node loss and a consumer crash, the offline spool and its
// drain, the spool bound, and encryption at rest. The central store is `sqlite:`, or
// PostgreSQL where the test says so.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nats/nats.h>

#include "mamori/sieve/record_json.h"
#include "mamori/transport/consumer.h"
#include "mamori/transport/publisher.h"
#include "nats_cluster.h"
#include "store/test_records.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace mamori::transport {
namespace {

using test_support::NatsCluster;
using test_support::TempDir;

store::RunInfo run_info() {
  store::RunInfo info;
  info.sensor = "gw-1";
  info.started_at = Timestamp::from_seconds(1795305600);
  info.config_hash = "cfg";
  info.ruleset_hash = "rules";
  info.input = "live:eth1";
  info.approval_id = "ap-1";
  info.legal_basis = "art-60";
  return info;
}

std::string publisher_url(const std::string& servers, const TempDir& dir,
                          const std::string& extra = {}) {
  return fmt::format("{}?spool={}&spool_key={}{}", servers, dir.file("spool"),
                     dir.file("spool.key"), extra);
}

ConsumerOptions consumer_options(const std::string& servers, int replicas) {
  auto options = parse_consumer_url(fmt::format(
      "{}?replicas={}&ack_wait_s=2&fetch=32&fetch_timeout_ms=300&connect_timeout_ms=60000", servers,
      replicas));
  EXPECT_TRUE(options) << options.error().message;
  return *options;
}

// Every record of the store, checked to be distinct; returns how many.
std::size_t distinct_records(store::Store& central) {
  auto stored = central.query(store::RecordQuery{.limit = 0});
  EXPECT_TRUE(stored) << stored.error().message;
  std::set<std::string> flows;
  for (const auto& record : *stored) flows.insert(record.record.flow_id);
  EXPECT_EQ(flows.size(), stored->size()) << "a record was stored twice";
  return stored->size();
}

// The central store the consumers import into; fails the test (null) when it cannot open.
std::unique_ptr<store::Store> open_central_store(const std::string& url) {
  auto opened = store::open_store(url);
  EXPECT_TRUE(opened) << opened.error().message;
  return opened ? std::move(*opened) : nullptr;
}

// Publishes until drain() reports nothing left, failing the test after `seconds`.
void drain_all(Publisher& publisher, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    auto done = publisher.drain(1000);
    ASSERT_TRUE(done) << done.error().message;
    if (*done) return;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "spool did not drain";
  }
}

// Acceptance (a): a 3-node cluster, stream replicas 3, a run of 20k records; the node every
// client is connected to is killed a quarter of the way, the consumer crashes (between the
// store's commit and its ack) and a new one takes over halfway; every record arrives once.
void cluster_exactly_once(const std::string& store_url) {
  NatsCluster cluster(3);
  cluster.start_all();
  TempDir dir("mamori-transport");
  auto central =
      open_central_store(store_url.empty() ? "sqlite:" + dir.file("central.db") : store_url);
  ASSERT_TRUE(central);

  // Consumer 1 crashes after applying 15 messages: its last one is in the store but unacked.
  ConsumerOptions first_options = consumer_options(cluster.url(), 3);
  first_options.crash_after_messages = 15;
  auto first = Consumer::open(first_options, *central);
  ASSERT_TRUE(first) << first.error().message;
  Result<void> first_result;
  std::thread first_thread([&] { first_result = (*first)->run(); });

  auto publisher =
      open_publisher_from_url(publisher_url(cluster.url(), dir, "&batch=250&ack_timeout_ms=2000"));
  ASSERT_TRUE(publisher) << publisher.error().message;
  auto run = (*publisher)->begin_run(run_info());
  ASSERT_TRUE(run) << run.error().message;

  constexpr std::size_t kTotal = 20'000;
  constexpr std::size_t kChunk = 250;
  std::unique_ptr<Consumer> second;
  std::thread second_thread;
  Result<void> second_result;
  for (std::size_t done = 0; done < kTotal; done += kChunk) {
    const auto records = store::testing::make_records(done + 1, kChunk, 11);
    ASSERT_TRUE((*publisher)->append(*run, records));
    if (done == 5'000) {
      // The node every client connected to first (servers are tried in order) dies.
      cluster.kill(0);
    }
    if (done == 10'000) {
      first_thread.join();
      ASSERT_TRUE(first_result) << first_result.error().message;
      // The consumer restarts (same durable name) on the surviving nodes.
      const auto opening = std::chrono::steady_clock::now();
      auto opened = Consumer::open(consumer_options(cluster.url(), 3), *central);
      std::cout << fmt::format("[ note ] consumer 2 opened after {} ms\n",
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - opening)
                                   .count());
      ASSERT_TRUE(opened) << opened.error().message;
      second = std::move(*opened);
      second_thread = std::thread([&] { second_result = second->run(); });
    }
    if (done % 1000 == 0) {
      ASSERT_TRUE((*publisher)->flush());
    }
  }
  ASSERT_TRUE(
      (*publisher)->end_run(*run, {{"records", kTotal}}, Timestamp::from_seconds(1795309200)));
  drain_all(**publisher, 120);

  const PublisherCounters sent = (*publisher)->counters();
  EXPECT_EQ(sent.records_appended, kTotal);
  EXPECT_EQ(sent.records_published + sent.records_drained, kTotal);
  EXPECT_EQ(sent.spool_batches, 0u);

  const std::uint64_t first_imported = (*first)->counters().records_imported;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (second->counters().records_imported + first_imported < kTotal ||
         second->counters().runs_ended == 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "consumer did not catch up";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  second->stop();
  second_thread.join();
  ASSERT_TRUE(second_result) << second_result.error().message;

  const ConsumerCounters got = second->counters();
  EXPECT_EQ(first_imported + got.records_imported, kTotal);
  // The crashed consumer's unacked batch came again and was recognised.
  EXPECT_GE(got.batches_duplicate, 1u);
  EXPECT_EQ(got.rejected, 0u);
  EXPECT_EQ(distinct_records(*central), kTotal);
  std::cout << fmt::format(
      "[ note ] published {} drained {} publish failures {}; consumer 2 duplicates {}\n",
      sent.records_published, sent.records_drained, sent.publish_failures, got.batches_duplicate);
}

TEST(TransportNats, ClusterNodeLossAndConsumerCrashDeliverEveryRecordExactlyOnce) {
  cluster_exactly_once("");
}

TEST(TransportNats, ClusterNodeLossAndConsumerCrashExactlyOnceIntoPostgres) {
  auto& server = test_support::PostgresServer::shared();
  cluster_exactly_once("postgres:" + server.conninfo(server.create_database()));
}

TEST(TransportNats, OfflineSensorSpoolsThenDrainsWithNothingLostOrDoubled) {
  NatsCluster server(1);  // not started during the run
  TempDir dir("mamori-transport");
  auto publisher = open_publisher_from_url(publisher_url(server.url(), dir, "&batch=250"));
  ASSERT_TRUE(publisher) << publisher.error().message;
  auto run = (*publisher)->begin_run(run_info());
  ASSERT_TRUE(run) << run.error().message;
  constexpr std::size_t kTotal = 5'000;
  for (std::size_t done = 0; done < kTotal; done += 500) {
    ASSERT_TRUE((*publisher)->append(*run, store::testing::make_records(done + 1, 500, 5)));
    ASSERT_TRUE((*publisher)->flush());
  }
  ASSERT_TRUE(
      (*publisher)->end_run(*run, {{"records", kTotal}}, Timestamp::from_seconds(1795309200)));
  PublisherCounters offline = (*publisher)->counters();
  EXPECT_EQ(offline.records_spooled, kTotal);
  EXPECT_EQ(offline.records_published, 0u);
  EXPECT_EQ(offline.spool_batches, 1u + kTotal / 250 + 1u);  // begin, batches, end

  server.start_all();
  auto central = open_central_store("sqlite:" + dir.file("central.db"));
  ASSERT_TRUE(central);
  ConsumerOptions options = consumer_options(server.url(), 1);
  auto consumer = Consumer::open(options, *central);  // creates the stream
  ASSERT_TRUE(consumer) << consumer.error().message;
  drain_all(**publisher, 60);
  EXPECT_EQ((*publisher)->counters().records_drained, kTotal);
  EXPECT_TRUE(std::filesystem::is_empty(dir.file("spool")));

  // Everything is in the stream now: apply it, then stop after two empty fetches.
  options.max_idle_fetches = 2;
  auto applier = Consumer::open(options, *central);
  ASSERT_TRUE(applier) << applier.error().message;
  ASSERT_TRUE((*applier)->run());
  EXPECT_EQ((*applier)->counters().records_imported, kTotal);
  // A redelivered end message is applied again (counted again) and changes nothing: the
  // central store holds one run, ended once, with the sensor's summary.
  EXPECT_GE((*applier)->counters().runs_ended, 1u);
  EXPECT_EQ(distinct_records(*central), kTotal);
  auto runs = central->runs();
  ASSERT_TRUE(runs) << runs.error().message;
  ASSERT_EQ(runs->size(), 1u);
  ASSERT_TRUE(runs->front().ended_at.has_value());
  EXPECT_EQ(*runs->front().ended_at, Timestamp::from_seconds(1795309200));
  EXPECT_EQ(runs->front().summary.value("records", std::size_t{0}), kTotal);
  EXPECT_EQ(runs->front().records, kTotal);
}

// Publishes `payload` on the records subject as a stranger would: no message id, no format.
void publish_raw(const std::string& servers, const std::string& subject,
                 const std::string& payload) {
  natsConnection* connection = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&connection, servers.c_str()), NATS_OK);
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, connection, nullptr), NATS_OK);
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  EXPECT_EQ(js_Publish(&ack, js, subject.c_str(), payload.data(), static_cast<int>(payload.size()),
                       nullptr, &code),
            NATS_OK)
      << "JetStream code " << static_cast<int>(code);
  jsPubAck_Destroy(ack);
  jsCtx_Destroy(js);
  natsConnection_Destroy(connection);
}

// Messages the consumer cannot decode, before and after a good run, are terminated (never
// redelivered) and counted; every message between them is applied.
TEST(TransportNats, UndecodableMessagesAreTerminatedAndTheRestApplied) {
  NatsCluster server(1);
  server.start_all();
  TempDir dir("mamori-transport");
  auto central = open_central_store("sqlite:" + dir.file("central.db"));
  ASSERT_TRUE(central);
  ConsumerOptions options = consumer_options(server.url(), 1);
  options.max_idle_fetches = 2;
  auto consumer = Consumer::open(options, *central);  // creates the stream
  ASSERT_TRUE(consumer) << consumer.error().message;

  publish_raw(server.url(), options.nats.subject, "not a batch message");
  constexpr std::size_t kTotal = 1200;
  auto publisher = open_publisher_from_url(publisher_url(server.url(), dir, "&batch=100"));
  ASSERT_TRUE(publisher) << publisher.error().message;
  auto run = (*publisher)->begin_run(run_info());
  ASSERT_TRUE(run);
  ASSERT_TRUE((*publisher)->append(*run, store::testing::make_records(1, kTotal, 5)));
  ASSERT_TRUE(
      (*publisher)->end_run(*run, {{"records", kTotal}}, Timestamp::from_seconds(1795309200)));
  publish_raw(server.url(), options.nats.subject, "{\"mamori\":\"batch\",\"v\":1}\n{}");

  ASSERT_TRUE((*consumer)->run());
  const ConsumerCounters counters = (*consumer)->counters();
  EXPECT_EQ(counters.rejected, 2u);
  EXPECT_EQ(counters.records_imported, kTotal);
  EXPECT_EQ(counters.runs_ended, 1u);
  EXPECT_EQ(distinct_records(*central), kTotal);

  // Past the ack wait (2 s) nothing comes back: the two were terminated, the rest acked.
  options.max_idle_fetches = 12;  // 12 × 300 ms
  auto later = Consumer::open(options, *central);
  ASSERT_TRUE(later) << later.error().message;
  ASSERT_TRUE((*later)->run());
  EXPECT_EQ((*later)->counters().messages, 0u);
}

TEST(TransportNats, FullSpoolRefusesWithAClearErrorAndKeepsEverythingBefore) {
  NatsCluster server(1);
  TempDir dir("mamori-transport");
  auto publisher =
      open_publisher_from_url(publisher_url(server.url(), dir, "&batch=100&spool_max_mb=1"));
  ASSERT_TRUE(publisher) << publisher.error().message;
  auto run = (*publisher)->begin_run(run_info());
  ASSERT_TRUE(run);
  Result<void> appended;
  std::size_t offered = 0;
  while (offered < 50'000) {
    appended = (*publisher)->append(*run, store::testing::make_records(offered + 1, 100, 9));
    if (!appended) break;
    offered += 100;
  }
  ASSERT_FALSE(appended) << "1 MiB spool never filled";
  EXPECT_NE(appended.error().message.find("full"), std::string::npos) << appended.error().message;
  EXPECT_NE(appended.error().message.find("spool_max_mb=1"), std::string::npos);
  const PublisherCounters full = (*publisher)->counters();
  EXPECT_EQ(full.records_appended, offered);  // the refused call's records were not taken
  EXPECT_LE(full.spool_bytes, 1u << 20);
  EXPECT_FALSE((*publisher)->flush());  // still nowhere to put the held batch

  // Once the central site is back, every accepted record arrives.
  server.start_all();
  auto central = open_central_store("sqlite:" + dir.file("central.db"));
  ASSERT_TRUE(central);
  ConsumerOptions options = consumer_options(server.url(), 1);
  options.max_idle_fetches = 2;
  auto consumer = Consumer::open(options, *central);
  ASSERT_TRUE(consumer) << consumer.error().message;
  drain_all(**publisher, 60);
  ASSERT_TRUE((*consumer)->run());
  EXPECT_EQ(distinct_records(*central), offered);
}

TEST(TransportNats, SpoolHoldsNoRecordBytesInClear) {
  NatsCluster server(1);
  TempDir dir("mamori-transport");
  auto publisher = open_publisher_from_url(publisher_url(server.url(), dir, "&batch=100"));
  ASSERT_TRUE(publisher);
  auto run = (*publisher)->begin_run(run_info());
  ASSERT_TRUE(run);
  const auto records = store::testing::make_records(1, 1000, 4);
  ASSERT_TRUE((*publisher)->append(*run, records));
  ASSERT_TRUE((*publisher)->flush());
  EXPECT_EQ((*publisher)->counters().records_spooled, 1000u);

  // The needles are in the clear messages…
  std::string clear;
  for (const auto& record : records) clear += sieve::record_to_json_line(record);
  const std::vector<std::string> needles = {"198.51.100.", "203.0.113.", "c2-ip-1", "\"sensor\""};
  for (const auto& needle : needles) ASSERT_NE(clear.find(needle), std::string::npos) << needle;
  // …and in no spool file.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("spool"))) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++files;
    for (const auto& needle : needles) {
      EXPECT_EQ(bytes.find(needle), std::string::npos) << needle << " in " << entry.path();
    }
    // The run's header (input, approval) is sealed too.
    EXPECT_EQ(bytes.find("live:eth1"), std::string::npos);
  }
  EXPECT_GE(files, 1u);
}

}  // namespace
}  // namespace mamori::transport
