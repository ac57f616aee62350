// Transport pieces without a server: URL parsing, the message format, the spool.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "mamori/sieve/record_json.h"
#include "mamori/transport/batch_message.h"
#include "mamori/transport/spool.h"
#include "mamori/transport/transport_url.h"
#include "store/test_records.h"
#include "support/temp_dir.h"

namespace mamori::transport {
namespace {

using test_support::TempDir;

TEST(TransportUrl, PublisherUrlParsesEveryParameter) {
  auto options = parse_publisher_url(
      "nats://127.0.0.1:4222,nats://127.0.0.1:4223?stream=S&subject=a.b&spool=/tmp/s&"
      "spool_key=/tmp/k&spool_max_mb=7&batch=10&batch_kb=64&ack_timeout_ms=250");
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_EQ(options->nats.servers,
            (std::vector<std::string>{"nats://127.0.0.1:4222", "nats://127.0.0.1:4223"}));
  EXPECT_EQ(options->nats.stream, "S");
  EXPECT_EQ(options->nats.subject, "a.b");
  EXPECT_EQ(options->spool_dir, "/tmp/s");
  EXPECT_EQ(options->spool_key, "/tmp/k");
  EXPECT_EQ(options->spool_max_bytes, 7u << 20);
  EXPECT_EQ(options->batch_records, 10u);
  EXPECT_EQ(options->batch_bytes, 64u << 10);
  EXPECT_EQ(options->ack_timeout_ms, 250);
}

TEST(TransportUrl, ErrorsNameTheParameter) {
  const std::string base = "nats://127.0.0.1:4222?spool=/s&spool_key=/k";
  auto expect_error = [](const std::string& url, const std::string& needle) {
    auto options = parse_publisher_url(url);
    ASSERT_FALSE(options) << url;
    EXPECT_NE(options.error().message.find(needle), std::string::npos) << options.error().message;
  };
  expect_error(base + "&spool_max_mb=0", "'spool_max_mb'");
  expect_error(base + "&spool_max_mb=x", "'spool_max_mb'");
  expect_error(base + "&batch=0", "'batch'");
  expect_error(base + "&colour=blue", "unknown parameter 'colour'");
  expect_error(base + "&stream=a.b", "'stream'");
  expect_error(base + "&subject=a.*", "'subject'");
  expect_error("nats://127.0.0.1:4222?spool_key=/k", "'spool'");
  expect_error("nats://127.0.0.1:4222?spool=/s", "'spool_key'");
  expect_error("http://127.0.0.1:4222?spool=/s&spool_key=/k", "nats://");
  expect_error("nats://127.0.0.1?spool=/s&spool_key=/k", "HOST:PORT");
  expect_error("nats://127.0.0.1:99999?spool=/s&spool_key=/k", "port");
  expect_error(base + "&batch=1&batch=2", "'batch' given twice");

  auto consumer = parse_consumer_url("nats://127.0.0.1:1?replicas=9");
  ASSERT_FALSE(consumer);
  EXPECT_NE(consumer.error().message.find("'replicas'"), std::string::npos);
  auto good = parse_consumer_url("nats://127.0.0.1:1?replicas=3&durable=c1&fetch=10");
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->replicas, 3);
  EXPECT_EQ(good->durable, "c1");
}

store::RunInfo test_info() {
  store::RunInfo info;
  info.sensor = "gw-1";
  info.started_at = Timestamp::from_seconds(1795305600);
  info.config_hash = "c0ffee";
  info.ruleset_hash = "beef";
  info.input = "live:eth1";
  info.approval_id = "ap-1";
  info.legal_basis = "art-60";
  return info;
}

TEST(BatchMessage, RoundTripsEveryKind) {
  BatchMessage batch;
  batch.run_key = make_run_key("gw/1");
  EXPECT_TRUE(batch.run_key.starts_with("gw_1-")) << batch.run_key;
  EXPECT_EQ(batch.run_key.size(), 5u + 32u);
  EXPECT_NE(make_run_key("gw-1"), make_run_key("gw-1"));
  batch.info = test_info();
  batch.seq = 7;
  batch.records = store::testing::make_records(1, 50, 3);
  auto decoded = decode_message(encode_message(batch));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->kind, MessageKind::kBatch);
  EXPECT_EQ(decoded->run_key, batch.run_key);
  EXPECT_EQ(decoded->seq, 7u);
  EXPECT_EQ(decoded->info.input, "live:eth1");
  EXPECT_EQ(decoded->info.started_at, batch.info.started_at);
  EXPECT_EQ(decoded->info.retention, batch.info.retention);
  ASSERT_EQ(decoded->records.size(), 50u);
  for (std::size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(sieve::record_to_json_line(decoded->records[i]),
              sieve::record_to_json_line(batch.records[i]));
  }

  BatchMessage end;
  end.kind = MessageKind::kEnd;
  end.run_key = batch.run_key;
  end.info = batch.info;
  end.summary = {{"flows", 12}};
  end.ended_at = Timestamp::from_micros(1795305600123456);
  auto decoded_end = decode_message(encode_message(end));
  ASSERT_TRUE(decoded_end) << decoded_end.error().message;
  EXPECT_EQ(decoded_end->kind, MessageKind::kEnd);
  EXPECT_EQ(decoded_end->summary, end.summary);
  EXPECT_EQ(decoded_end->ended_at, end.ended_at);
  EXPECT_EQ(message_id(MessageKind::kBatch, "k", 3), "k/3");
  EXPECT_EQ(message_id(MessageKind::kEnd, "k", 0), "k/end");
}

TEST(BatchMessage, RejectsMalformedWithoutEchoingValues) {
  BatchMessage batch;
  batch.run_key = "k";
  batch.info = test_info();
  batch.seq = 1;
  batch.records = store::testing::make_records(1, 3, 3);
  std::string payload = encode_message(batch);
  EXPECT_FALSE(decode_message("not json"));
  // Fewer records than announced.
  auto cut = decode_message(payload.substr(0, payload.rfind('\n')));
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message.find("3 records announced"), std::string::npos)
      << cut.error().message;
  // A corrupted record names its line, never the value.
  const std::size_t at = payload.find("\"sensor\":\"gw-", payload.find('\n'));
  ASSERT_NE(at, std::string::npos);
  payload.replace(at, 10, "\"sensXr\":\"");
  auto bad = decode_message(payload);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("line 2"), std::string::npos) << bad.error().message;
  EXPECT_EQ(bad.error().message.find("198.51.100"), std::string::npos);
}

TEST(Spool, KeepsOrderAcrossReopenAndDeletesDrainedSegments) {
  TempDir dir("mamori-spool");
  const std::string spool_dir = dir.file("spool");
  const std::string key = dir.file("spool.key");
  {
    auto spool = Spool::open(spool_dir, key, 1 << 20);
    ASSERT_TRUE(spool) << spool.error().message;
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE((*spool)->push(fmt::format("id{}", i), fmt::format("payload {}", i)));
    }
    auto front = (*spool)->front();
    ASSERT_TRUE(front && *front);
    EXPECT_EQ((*front)->id, "id0");
    ASSERT_TRUE((*spool)->pop());
  }
  struct stat info {};
  ASSERT_EQ(::stat(key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto spool = Spool::open(spool_dir, key, 1 << 20);
  ASSERT_TRUE(spool) << spool.error().message;
  // A pop without the segment's deletion is re-sent after a restart (JetStream de-duplicates).
  EXPECT_EQ((*spool)->entries(), 10u);
  for (int i = 0; i < 10; ++i) {
    auto front = (*spool)->front();
    ASSERT_TRUE(front && *front) << i;
    EXPECT_EQ((*front)->id, fmt::format("id{}", i));
    EXPECT_EQ((*front)->payload, fmt::format("payload {}", i));
    ASSERT_TRUE((*spool)->pop());
  }
  EXPECT_TRUE((*spool)->empty());
  auto front = (*spool)->front();
  ASSERT_TRUE(front);
  EXPECT_EQ(*front, nullptr);
  EXPECT_TRUE(std::filesystem::is_empty(spool_dir));
}

TEST(Spool, TornTailIsIgnoredAndWrongKeyFailsAuthentication) {
  TempDir dir("mamori-spool");
  const std::string spool_dir = dir.file("spool");
  {
    auto spool = Spool::open(spool_dir, dir.file("k1"), 1 << 20);
    ASSERT_TRUE(spool);
    ASSERT_TRUE((*spool)->push("a", "first"));
    ASSERT_TRUE((*spool)->push("b", "second"));
  }
  const auto segment = std::filesystem::directory_iterator(spool_dir)->path();
  std::filesystem::resize_file(segment, std::filesystem::file_size(segment) - 5);
  {
    auto spool = Spool::open(spool_dir, dir.file("k1"), 1 << 20);
    ASSERT_TRUE(spool);
    EXPECT_EQ((*spool)->entries(), 1u);
  }
  auto other = Spool::open(spool_dir, dir.file("k2"), 1 << 20);
  ASSERT_TRUE(other);
  auto front = (*other)->front();
  ASSERT_FALSE(front);
  EXPECT_NE(front.error().message.find("fails authentication"), std::string::npos)
      << front.error().message;
}

TEST(Spool, RefusesKeyFileReadableByOthers) {
  TempDir dir("mamori-spool");
  const std::string key = dir.file("k");
  ASSERT_TRUE(Spool::open(dir.file("s"), key, 1 << 20));
  ::chmod(key.c_str(), 0644);
  auto spool = Spool::open(dir.file("s"), key, 1 << 20);
  ASSERT_FALSE(spool);
  EXPECT_NE(spool.error().message.find("chmod 600"), std::string::npos);
}

TEST(Spool, FullSpoolFailsNamingTheBound) {
  TempDir dir("mamori-spool");
  auto spool = Spool::open(dir.file("s"), dir.file("k"), 1 << 20);
  ASSERT_TRUE(spool);
  const std::string payload(100'000, 'x');
  int pushed = 0;
  Result<void> last;
  while ((last = (*spool)->push("id", payload))) ++pushed;
  EXPECT_EQ(pushed, 10);
  EXPECT_NE(last.error().message.find("full"), std::string::npos);
  EXPECT_NE(last.error().message.find("spool_max_mb=1"), std::string::npos);
  EXPECT_LE((*spool)->bytes(), 1u << 20);
  EXPECT_EQ((*spool)->entries(), 10u);
}

}  // namespace
}  // namespace mamori::transport
