// The sieve on every core ([sieve] workers = N, sieve/shard.h): N shards select what one
// sieve selects, count what one sieve counts, keep stop_selection's line, never lose a packet
// when a worker falls behind, and keep every behaviour subject in one shard.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "mamori/capture/capture_file.h"
#include "mamori/core/config.h"
#include "mamori/scope/classifier.h"
#include "mamori/scope/country_table.h"
#include "mamori/sieve/record_json.h"
#include "mamori/sieve/ruleset.h"
#include "mamori/sieve/shard.h"
#include "mamori/sieve/sieve.h"
#include "mamori/synth/frame.h"
#include "mamori/synth/synth.h"

namespace mamori::sieve {
namespace {

using detail::ShardedSieve;
using detail::ShardRouter;
using detail::ShardWorker;
using scope::Category;

class CollectingSink final : public RecordSink {
 public:
  void emit(Record&& record) override { records.push_back(std::move(record)); }
  std::vector<Record> records;
};

// Packets held in memory; RawPacket::data points into `bytes`.
struct Capture {
  std::vector<std::uint8_t> bytes;
  std::vector<capture::RawPacket> packets;
};

void read_capture(const std::string& path, Capture& out) {
  auto source = capture::open_capture_file(path);
  ASSERT_TRUE(source) << source.error().message;
  struct Slice {
    capture::RawPacket packet;
    std::size_t offset;
  };
  std::vector<Slice> slices;
  capture::RawPacket packet;
  while ((*source)->next(packet) == capture::NextStatus::packet) {
    slices.push_back({packet, out.bytes.size()});
    out.bytes.insert(out.bytes.end(), packet.data.begin(), packet.data.end());
  }
  for (auto& slice : slices) {
    slice.packet.data = std::span(out.bytes.data() + slice.offset, slice.packet.data.size());
    out.packets.push_back(slice.packet);
  }
}

// The records as an order-insensitive set: JSON lines without the flow id (keyed per run, so
// it differs between any two runs, sharded or not), sorted.
std::vector<std::string> record_set(std::vector<Record> records) {
  std::vector<std::string> lines;
  lines.reserve(records.size());
  for (auto& record : records) {
    record.flow_id.clear();
    lines.push_back(record_to_json_line(record));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The summary without what depends on the machine (time taken) or on how the behaviour
// memory divides (per-shard capacities round down).
nlohmann::json comparable(const RunSummary& summary) {
  auto json = summary.to_json();
  json.erase("wall_seconds");
  json.erase("gbit_per_second");
  if (json.contains("behaviour")) {
    json["behaviour"].erase("memory_bytes");
    for (auto& rule : json["behaviour"]["rules"]) rule.erase("capacity");
  }
  return json;
}

struct Outcome {
  std::vector<Record> records;
  RunSummary summary;
};

// The detection profile (scans, amplification, beacons, decoys) with its behaviour ruleset,
// synthesized once for the suite.
class ShardedSieveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        std::filesystem::temp_directory_path() / ("mamori-sharded-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    synth::SynthOptions options;
    options.out_path = (dir_ / "det.pcap").string();
    options.seed = 7;
    options.size_mb = synth::kDetectionMinSizeMb;
    options.profile = synth::Profile::detection;
    auto summary = synth::synthesize(options);
    ASSERT_TRUE(summary) << summary.error().message;
    capture_ = new Capture;
    read_capture(summary->pcap_path, *capture_);
    auto text = read_file_bytes(summary->rules_path);
    ASSERT_TRUE(text) << text.error().message;
    auto ruleset = parse_ruleset(*text, summary->rules_path, dir_);
    ASSERT_TRUE(ruleset) << ruleset.error().message;
    auto compiled = CompiledRuleset::compile(*ruleset);
    ASSERT_TRUE(compiled) << compiled.error().message;
    rules_ = new CompiledRuleset(std::move(*compiled));
    auto table = scope::CountryTable::load(MAMORI_SOURCE_DIR "/data/iptoasn-country.mmdb");
    ASSERT_TRUE(table) << table.error().message;
    scope::ClassifierOptions classifier_options;
    classifier_options.authorized.add(Category::FF);
    classifier_options.authorized.add(Category::FD);
    classifier_options.authorized.add(Category::DF);
    classifier_ =
        new scope::Classifier(std::make_shared<const scope::CountryTable>(std::move(*table)),
                              scope::Overrides{}, classifier_options);
  }
  static void TearDownTestSuite() {
    delete capture_;
    delete rules_;
    delete classifier_;
    std::filesystem::remove_all(dir_);
  }

  static SieveConfig config(std::uint32_t workers) {
    SieveConfig config;
    config.sensor = "gw-shard";
    config.categories.add(Category::FF);
    config.categories.add(Category::FD);
    config.categories.add(Category::DF);
    config.workers = workers;
    config.seed = 1234;  // every run hashes alike: differences come from sharding alone
    return config;
  }

  // Every packet through a sieve of `workers`; stop_selection after `stop_after` packets.
  static Outcome run(std::uint32_t workers, std::size_t stop_after = SIZE_MAX) {
    CollectingSink sink;
    auto sieve = Sieve::create(config(workers), *classifier_, *rules_, sink);
    EXPECT_TRUE(sieve) << sieve.error().message;
    if (!sieve) return {};
    for (std::size_t i = 0; i < capture_->packets.size(); ++i) {
      if (i == stop_after) (*sieve)->stop_selection();
      (*sieve)->process(capture_->packets[i]);
    }
    (*sieve)->finish();
    return {std::move(sink.records), (*sieve)->summary()};
  }

  static const Outcome& single() {
    static const Outcome instance = run(1);
    return instance;
  }

  static inline std::filesystem::path dir_;
  static inline Capture* capture_ = nullptr;
  static inline CompiledRuleset* rules_ = nullptr;
  static inline scope::Classifier* classifier_ = nullptr;
};

// What a beacon selection measures of its server's popularity: the one value a shard sees only
// its share of.
constexpr std::string_view kServerClients = "server_clients";

const Measure* measure(const Match& match, std::string_view name) {
  for (const auto& m : match.measured) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// Records without their beacon server_clients, as an order-insensitive set.
std::vector<std::string> without_server_clients(std::vector<Record> records) {
  for (auto& record : records) {
    for (auto& match : record.matches) {
      std::erase_if(match.measured, [](const Measure& m) { return m.name == kServerClients; });
    }
  }
  return record_set(std::move(records));
}

std::vector<std::string> minus(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// A server: (address, port, protocol), as the beacon rule keys popularity.
using Server = std::tuple<std::string, std::uint16_t, std::uint8_t>;

// Distinct clients (senders toward it) of every server endpoint in the capture.
std::map<Server, std::set<std::string>> clients_by_server(const Capture& capture) {
  std::map<Server, std::set<std::string>> out;
  for (const auto& raw : capture.packets) {
    decode::DecodedPacket packet;
    if (decode::decode_packet(raw, packet) != decode::DecodeStatus::ok) continue;
    out[{packet.dst.to_string(), packet.dst_port, packet.protocol}].insert(packet.src.to_string());
  }
  return out;
}

// Compares a sharded run with one sieve's over the same packets. The records are the same
// except for beacon server popularity (sieve/shard.h): the shards count a server's clients
// together (SharedServerClients), but a shard can see clients that another shard, further on in
// the packet stream, has counted already. So the measured server_clients of a beacon selection
// can differ from one sieve's, and a pair of a server that has more than max_server_clients
// clients on the link can be selected by one run and not the other (judged popular a little
// earlier or later). Checked here: every record that differs is such a beacon selection, and
// everything else (scan, amplification, indicators, beacons of servers with few clients, every
// other counter) is equal. Returns the number of records that differ.
std::size_t expect_same_but_beacon_popularity(
    const Outcome& one, const Outcome& sharded,
    const std::map<Server, std::set<std::string>>& clients) {
  const auto expected = without_server_clients(one.records);
  const auto got = without_server_clients(sharded.records);
  std::multiset<std::string> extra_lines;
  for (const auto& line : minus(got, expected)) extra_lines.insert(line);
  std::multiset<std::string> missing_lines;
  for (const auto& line : minus(expected, got)) missing_lines.insert(line);

  // Each differing record: a beacon selection of a server with many clients on the link.
  const auto check_differing = [&](const std::vector<Record>& records,
                                   std::multiset<std::string>& lines) {
    std::size_t found_count = 0;
    for (const auto& record : records) {
      const auto line = without_server_clients({record}).front();
      auto found = lines.find(line);
      if (found == lines.end()) continue;
      lines.erase(found);
      ++found_count;
      EXPECT_EQ(record.matches.size(), 1u) << line;
      if (record.matches.size() != 1) continue;
      const Match& match = record.matches.front();
      EXPECT_EQ(match.kind, RuleKind::beacon) << line;
      const Measure* limit = measure(match, "max_server_clients");
      if (limit == nullptr) {
        ADD_FAILURE() << "not a beacon selection: " << line;
        continue;
      }
      const auto& seen = clients.at({record.dst.ip.to_string(), record.dst.port, record.protocol});
      EXPECT_GT(static_cast<double>(seen.size()), limit->value) << line;
    }
    EXPECT_TRUE(lines.empty());
    return found_count;
  };
  const std::size_t extra = check_differing(sharded.records, extra_lines);
  const std::size_t missing = check_differing(one.records, missing_lines);
  EXPECT_EQ(sharded.records.size() + missing, one.records.size() + extra);

  // Summaries: equal but for the beacon rule's counts and the selections that differ.
  // (`admitted` too: a pair is admitted on its sketch estimate, and a shard's admission sketch
  // is sized from its share of the memory, so a collision can admit a pair a start earlier or
  // later; seen as ±1 of ~170 on some seeds.)
  auto want = comparable(one.summary);
  auto have = comparable(sharded.summary);
  for (auto* json : {&want, &have}) {
    for (auto& rule : (*json)["behaviour"]["rules"]) {
      if (rule["kind"] == "beacon") {
        rule.erase("flagged");
        rule.erase("selections");
        rule.erase("admitted");
      }
    }
    json->erase("records");
    json->erase("selected_flows");
    for (auto& [name, category] : (*json)["categories"].items()) category.erase("selected_flows");
  }
  EXPECT_EQ(have.dump(1), want.dump(1));
  EXPECT_EQ(sharded.summary.records + missing, one.summary.records + extra);
  EXPECT_EQ(sharded.summary.selected_flows + missing, one.summary.selected_flows + extra);
  EXPECT_EQ(sharded.summary.records, sharded.records.size());
  return extra + missing;
}

TEST_F(ShardedSieveTest, ShardsSelectWhatOneSieveDoesButBeaconsOfPopularServers) {
  const Outcome& one = single();
  ASSERT_GT(one.records.size(), 100u);
  ASSERT_FALSE(one.summary.behaviour.empty());
  for (const auto& rule : one.summary.behaviour) {
    EXPECT_GT(rule.flagged, 0u) << rule.rule << ": the detection profile exercises every kind";
  }
  const auto clients = clients_by_server(*capture_);
  for (const std::uint32_t workers : {2u, 4u}) {
    SCOPED_TRACE(workers);
    const std::size_t differing = expect_same_but_beacon_popularity(one, run(workers), clients);
    // The detection profile's periodic decoys (update checks, health checks) reach servers
    // shared by many clients: a few of their pairs can be judged a moment earlier or later.
    RecordProperty(fmt::format("differing_beacon_records_{}", workers),
                   static_cast<int>(differing));
    EXPECT_LT(differing, one.records.size() / 100) << "popularity changes a few pairs at most";
  }
}

TEST_F(ShardedSieveTest, StopSelectionMidStreamDrawsTheSameLineInEveryShard) {
  const std::size_t half = capture_->packets.size() / 2;
  const Outcome one = run(1, half);
  const Outcome two = run(2, half);
  ASSERT_GT(one.records.size(), 0u);
  ASSERT_LT(one.records.size(), single().records.size());
  expect_same_but_beacon_popularity(one, two, clients_by_server(*capture_));
  for (const auto& record : two.records) {
    EXPECT_LT(record.first_seen, capture_->packets[half].timestamp);
  }
}

// Hand-built frames (like sieve_test.cc) for the small cases.
class ShardedSieveFramesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::pair<Prefix, scope::CountryCode> networks[] = {
        {*Prefix::parse("133.242.0.0/16"), scope::CountryCode::from("JP")},
        {*Prefix::parse("8.8.0.0/16"), scope::CountryCode::from("US")},
    };
    countries_ =
        std::make_shared<const scope::CountryTable>(scope::CountryTable::from_networks(networks));
    config_.sensor = "gw-test";
    config_.max_flows = 1024;
    config_.categories.add(Category::FF);
    config_.categories.add(Category::FD);
    config_.categories.add(Category::DF);
    auto ruleset = parse_ruleset(R"(
[[rule]]
id = "c2-ip"
kind = "ip"
value = "8.8.4.4"
)",
                                 "test.rules.toml", ".");
    ASSERT_TRUE(ruleset) << ruleset.error().message;
    auto compiled = CompiledRuleset::compile(*ruleset);
    ASSERT_TRUE(compiled) << compiled.error().message;
    rules_.emplace(std::move(*compiled));
    scope::ClassifierOptions options;
    options.authorized = config_.categories;
    classifier_ = std::make_unique<scope::Classifier>(countries_, scope::Overrides{}, options);
  }

  std::unique_ptr<Sieve> make(std::uint32_t workers) {
    config_.workers = workers;
    auto sieve = Sieve::create(config_, *classifier_, *rules_, sink_);
    EXPECT_TRUE(sieve) << sieve.error().message;
    return sieve ? std::move(*sieve) : nullptr;
  }

  void feed(Sieve& sieve, std::span<const std::uint8_t> frame) {
    capture::RawPacket packet;
    packet.timestamp = now_;
    packet.wire_length = static_cast<std::uint32_t>(frame.size());
    packet.data = frame;
    sieve.process(packet);
    now_ = now_ + Duration::millis(10);
  }

  void syn(Sieve& sieve, const IpAddress& src, std::uint16_t sport, const IpAddress& dst,
           std::uint16_t dport) {
    synth::IpHeader ip{.src = src, .dst = dst};
    synth::TcpHeader header{.src_port = sport,
                            .dst_port = dport,
                            .seq = 1,
                            .ack = 0,
                            .flags = synth::tcp_flags::syn,
                            .window = 1024,
                            .options = {}};
    builder_.begin_tcp({}, ip, header, 0);
    feed(sieve, builder_.finish());
  }

  SieveConfig config_;
  std::shared_ptr<const scope::CountryTable> countries_;
  std::unique_ptr<scope::Classifier> classifier_;
  std::optional<CompiledRuleset> rules_;
  CollectingSink sink_;
  synth::FrameBuilder builder_;
  Timestamp now_ = Timestamp::from_seconds(1'800'000'000);
};

TEST_F(ShardedSieveFramesTest, FinishRecordsOpenSelectedFlowsOfEveryShard) {
  auto sieve = make(4);
  ASSERT_NE(sieve, nullptr);
  // 64 Japanese clients open a connection each to the C2 address; none is closed.
  for (std::uint32_t i = 0; i < 64; ++i) {
    syn(*sieve, IpAddress::v4((133u << 24) | (242u << 16) | i), 40000, *IpAddress::parse("8.8.4.4"),
        443);
  }
  sieve->finish();
  EXPECT_EQ(sink_.records.size(), 64u);
  EXPECT_EQ(sieve->summary().records, 64u);
  EXPECT_EQ(sieve->summary().selected_flows, 64u);
  EXPECT_EQ(sieve->summary().packets, 64u);
}

TEST_F(ShardedSieveFramesTest, UndecodablePacketIsCountedOnce) {
  auto sieve = make(2);
  ASSERT_NE(sieve, nullptr);
  const std::uint8_t runt[] = {0x00, 0x01, 0x02};
  feed(*sieve, runt);
  sieve->finish();
  const RunSummary& summary = sieve->summary();
  EXPECT_EQ(summary.packets, 1u);
  EXPECT_EQ(summary.bytes, 3u);
  EXPECT_EQ(summary.dropped_undecodable_packets, 1u);
  EXPECT_EQ(summary.decode[decode::DecodeStatus::truncated_ethernet], 1u);
  EXPECT_EQ(summary.first_packet, summary.last_packet);
}

TEST_F(ShardedSieveFramesTest, WorkersOutOfRangeAreRefusedByCreate) {
  config_.workers = 0;
  EXPECT_FALSE(Sieve::create(config_, *classifier_, *rules_, sink_));
  config_.workers = kMaxSieveWorkers + 1;
  EXPECT_FALSE(Sieve::create(config_, *classifier_, *rules_, sink_));
}

TEST_F(ShardedSieveFramesTest, DestroyingAnUnfinishedShardedSieveEmitsNothing) {
  {
    auto sieve = make(2);
    ASSERT_NE(sieve, nullptr);
    for (std::uint32_t i = 0; i < 64; ++i) {
      syn(*sieve, IpAddress::v4((133u << 24) | (242u << 16) | i), 40000,
          *IpAddress::parse("8.8.4.4"), 443);
    }
  }
  EXPECT_TRUE(sink_.records.empty());
}

// --- the router -------------------------------------------------------------------------------

decode::DecodedPacket packet_of(const IpAddress& src, std::uint16_t sport, const IpAddress& dst,
                                std::uint16_t dport, std::uint8_t protocol) {
  decode::DecodedPacket packet;
  packet.src = src;
  packet.dst = dst;
  packet.src_port = sport;
  packet.dst_port = dport;
  packet.protocol = protocol;
  packet.has_transport = true;
  return packet;
}

IpAddress v4(std::uint32_t value) { return IpAddress::v4(value); }

TEST(ShardRouter, BothDirectionsOfAFlowGoToOneShard) {
  const std::uint16_t amplification[] = {53, 123, 1900, 11211};
  const ShardRouter router(8, amplification, 99);
  for (std::uint32_t i = 0; i < 2000; ++i) {
    const auto a = v4(0x0a000000 + i * 7919);
    const auto b = v4(0x85f20000 + i * 104729);
    const auto sport = static_cast<std::uint16_t>(i * 31);
    const auto dport = static_cast<std::uint16_t>(i * 17 + 5);
    for (const std::uint8_t protocol : {decode::ip_protocol::tcp, decode::ip_protocol::udp}) {
      EXPECT_EQ(router.shard_of(packet_of(a, sport, b, dport, protocol)),
                router.shard_of(packet_of(b, dport, a, sport, protocol)));
    }
  }
  // ICMP echo and its reply (type in src_port, code in dst_port).
  const auto requester = v4(0x0a000001);
  const auto target = v4(0x85f20001);
  const auto echo = packet_of(requester, 8, target, 0, decode::ip_protocol::icmp);
  const auto reply = packet_of(target, 0, requester, 0, decode::ip_protocol::icmp);
  EXPECT_EQ(router.shard_of(echo), router.shard_of(reply));
  EXPECT_EQ(router.client_of(echo), requester);
  EXPECT_EQ(router.client_of(reply), requester);
}

TEST(ShardRouter, BehaviourSubjectsStayInOneShard) {
  const std::uint16_t amplification[] = {53, 123, 1900, 11211};
  const ShardRouter router(8, amplification, 5);
  const auto subject = v4(0x85f20042);
  const std::uint32_t shard = router.shard_of(packet_of(subject, 50000, v4(1), 80, 6));
  for (std::uint32_t i = 0; i < 500; ++i) {
    const auto other = v4(0x08080000 + i * 65537);
    // Scanner: SYNs from its ephemeral port to service ports of many targets.
    EXPECT_EQ(router.shard_of(packet_of(subject, 50000, other, (i % 1023) + 1, 6)), shard);
    // Beacon client: connections from changing ephemeral ports to one server port.
    EXPECT_EQ(router.shard_of(packet_of(subject, 32768 + i, other, 8443, 6)), shard);
    // Amplification victim: reflector replies from a service port, even to a victim port
    // lower than it (SSDP 1900, memcached 11211 toward port 80).
    EXPECT_EQ(router.shard_of(packet_of(other, 1900, subject, 80, 17)), shard);
    EXPECT_EQ(router.shard_of(packet_of(other, 11211, subject, 80, 17)), shard);
    EXPECT_EQ(router.shard_of(packet_of(other, 53, subject, 40000 + i, 17)), shard);
    // Ping sweep.
    EXPECT_EQ(router.shard_of(packet_of(subject, 8, other, 0, decode::ip_protocol::icmp)), shard);
  }
}

TEST(ShardRouter, ClientsSpreadOverTheShards) {
  const ShardRouter router(4, {}, 11);
  std::array<int, 4> count{};
  for (std::uint32_t i = 0; i < 4000; ++i) {
    ++count[router.shard_of(packet_of(v4(0x85f20000 + i), 40000, v4(0x08080808), 443, 6))];
  }
  for (const int n : count) EXPECT_NEAR(n, 1000, 150);
}

// --- the batches in flight, with a worker that can be held
// ------------------------------------------------

// A TCP frame from client:40000 to 8.8.8.8:443 (the builder's, valid until its next frame).
std::span<const std::uint8_t> tcp_frame(synth::FrameBuilder& builder, const IpAddress& client,
                                        std::uint32_t seq, std::uint8_t flags,
                                        std::span<const std::uint8_t> payload) {
  const synth::IpHeader ip{.src = client, .dst = v4(0x08080808)};
  const synth::TcpHeader tcp{.src_port = 40000,
                             .dst_port = 443,
                             .seq = seq,
                             .ack = 0,
                             .flags = flags,
                             .window = 1024,
                             .options = {}};
  const auto room = builder.begin_tcp({}, ip, tcp, payload.size());
  std::copy(payload.begin(), payload.end(), room.begin());
  return builder.finish();
}

// Counts its packets and checks they arrive in order; the first one waits until released.
class HeldWorker final : public ShardWorker {
 public:
  HeldWorker(std::atomic<std::uint64_t>& fed, std::uint64_t hold_until)
      : fed_(fed), hold_until_(hold_until) {}
  void shard_process(const capture::RawPacket&, const decode::DecodedPacket& packet,
                     decode::DecodeStatus) override {
    if (processed == 0) {
      // Released once the feeder has filled every batch in flight.
      for (std::uint64_t seen = fed_.load(); seen < hold_until_; seen = fed_.load()) {
        fed_.wait(seen);
      }
    }
    std::uint32_t sequence = 0;
    if (packet.payload.size() >= 4) std::memcpy(&sequence, packet.payload.data(), 4);
    if (sequence != processed) ++out_of_order;
    // The feeder is never further ahead than the batches in flight hold (+1: the packet it is
    // handing in).
    max_lag = std::max(max_lag, fed_.load() - processed);
    ++processed;
    summary.packets = processed;
  }
  void shard_expire(Timestamp) override {}
  void shard_stop_selection() override {}
  void shard_finish() override {}
  const RunSummary& shard_summary() const override { return summary; }

  std::uint64_t processed = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t max_lag = 0;
  RunSummary summary;

 private:
  std::atomic<std::uint64_t>& fed_;
  std::uint64_t hold_until_;
};

class CountingWorker final : public ShardWorker {
 public:
  void shard_process(const capture::RawPacket&, const decode::DecodedPacket&,
                     decode::DecodeStatus) override {
    ++summary.packets;
  }
  void shard_expire(Timestamp) override {}
  void shard_stop_selection() override {}
  void shard_finish() override {}
  const RunSummary& shard_summary() const override { return summary; }
  RunSummary summary;
};

TEST(ShardBatches, FullBatchesHoldTheCallerBackAndLoseNothing) {
  constexpr std::uint64_t kLaneCapacity =
      ShardedSieve::kBatchesInFlight * ShardedSieve::kBatchPackets;
  constexpr std::uint64_t kPackets = 10 * kLaneCapacity + 123;
  const ShardRouter router(2, {}, 3);
  // A client whose flows the router gives to shard 1 (a worker thread).
  IpAddress client = v4(0x85f20000);
  for (std::uint32_t i = 1; router.shard_of(packet_of(client, 40000, v4(0x08080808), 443, 6)) != 1;
       ++i) {
    client = v4(0x85f20000 + i);
  }
  std::atomic<std::uint64_t> fed{0};
  HeldWorker* held = nullptr;
  CollectingSink sink;
  auto sharded = ShardedSieve::create(
      router, sink, [&](std::uint32_t index, RecordSink&) -> Result<std::unique_ptr<ShardWorker>> {
        if (index == 0) return std::unique_ptr<ShardWorker>(new CountingWorker);
        // Released a little short of what the batches in flight hold.
        auto worker = std::make_unique<HeldWorker>(fed, kLaneCapacity - 16);
        held = worker.get();
        return std::unique_ptr<ShardWorker>(std::move(worker));
      });
  ASSERT_TRUE(sharded) << sharded.error().message;
  synth::FrameBuilder builder;
  Timestamp now = Timestamp::from_seconds(1'800'000'000);
  for (std::uint32_t i = 0; i < kPackets; ++i) {
    std::array<std::uint8_t, 4> sequence{};  // checked by the worker
    std::memcpy(sequence.data(), &i, 4);
    const auto frame = tcp_frame(builder, client, i, synth::tcp_flags::ack, sequence);
    (*sharded)->process({.timestamp = now,
                         .wire_length = static_cast<std::uint32_t>(frame.size()),
                         .link_type = capture::LinkType::ethernet,
                         .data = frame});
    fed.fetch_add(1);
    fed.notify_all();
    now = now + Duration::millis(1);
  }
  (*sharded)->finish();
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->processed, kPackets);
  EXPECT_EQ(held->out_of_order, 0u);
  EXPECT_LE(held->max_lag, kLaneCapacity + 1);
  EXPECT_EQ((*sharded)->summary().packets, kPackets);
}

// Remembers where each packet's bytes were and what they said.
class AddressWorker final : public ShardWorker {
 public:
  void shard_process(const capture::RawPacket& raw, const decode::DecodedPacket&,
                     decode::DecodeStatus) override {
    addresses.push_back(raw.data.data());
    contents.emplace_back(raw.data.begin(), raw.data.end());
    stable.push_back(raw.stable);
    ++summary.packets;
  }
  void shard_expire(Timestamp) override {}
  void shard_stop_selection() override {}
  void shard_finish() override {}
  const RunSummary& shard_summary() const override { return summary; }
  std::vector<const std::uint8_t*> addresses;
  std::vector<std::vector<std::uint8_t>> contents;
  std::vector<bool> stable;
  RunSummary summary;
};

TEST(ShardBatches, StablePacketsReachEveryShardUncopiedAndOthersAsCopies) {
  const ShardRouter router(2, {}, 5);
  // Frames of 200 clients, held by the test for the whole run as a capture file's mapping is.
  synth::FrameBuilder builder;
  std::vector<std::vector<std::uint8_t>> frames;
  for (std::uint32_t i = 0; i < 200; ++i) {
    const auto frame = tcp_frame(builder, v4(0x85f20000 + i), i, synth::tcp_flags::syn, {});
    frames.emplace_back(frame.begin(), frame.end());
  }
  for (const bool stable : {true, false}) {
    SCOPED_TRACE(stable ? "stable" : "not stable");
    std::array<AddressWorker*, 2> shards{};
    CollectingSink sink;
    auto sharded = ShardedSieve::create(
        router, sink,
        [&](std::uint32_t index, RecordSink&) -> Result<std::unique_ptr<ShardWorker>> {
          auto worker = std::make_unique<AddressWorker>();
          shards[index] = worker.get();
          return std::unique_ptr<ShardWorker>(std::move(worker));
        });
    ASSERT_TRUE(sharded) << sharded.error().message;
    Timestamp now = Timestamp::from_seconds(1'800'000'000);
    std::set<const std::uint8_t*> originals;
    for (const auto& frame : frames) {
      originals.insert(frame.data());
      (*sharded)->process({.timestamp = now,
                           .wire_length = static_cast<std::uint32_t>(frame.size()),
                           .link_type = capture::LinkType::ethernet,
                           .data = frame,
                           .stable = stable});
      now = now + Duration::millis(1);
    }
    (*sharded)->finish();
    EXPECT_EQ((*sharded)->summary().packets, frames.size());
    std::multiset<std::vector<std::uint8_t>> seen;
    std::size_t total = 0;
    for (const AddressWorker* shard : shards) {
      ASSERT_NE(shard, nullptr);
      EXPECT_GT(shard->addresses.size(), 50u);  // both shards have clients
      total += shard->addresses.size();
      for (std::size_t i = 0; i < shard->addresses.size(); ++i) {
        EXPECT_EQ(originals.contains(shard->addresses[i]), stable);
        EXPECT_EQ(shard->stable[i], stable);
        seen.insert(shard->contents[i]);
      }
    }
    EXPECT_EQ(total, frames.size());
    EXPECT_EQ(seen, std::multiset<std::vector<std::uint8_t>>(frames.begin(), frames.end()));
  }
}

// Checks that each packet it gets is its own by the router's rule, and notes the expiry
// schedule and the undecodable packets it was given. Emits a record for every 64th packet (its
// sequence number as the flow id), and spins `work` per packet (a shard that costs more).
class RouteCheckingWorker final : public ShardWorker {
 public:
  RouteCheckingWorker(const ShardRouter& router, std::uint32_t index, RecordSink& sink,
                      std::chrono::nanoseconds work)
      : router_(router), index_(index), sink_(sink), work_(work) {}
  void shard_process(const capture::RawPacket&, const decode::DecodedPacket& packet,
                     decode::DecodeStatus status) override {
    ++summary.packets;
    if (!detail::processable(status)) {
      ++undecodable;
      return;
    }
    if (router_.shard_of(packet) != index_) ++not_mine;
    std::uint32_t sequence = 0;
    if (packet.payload.size() >= 4) std::memcpy(&sequence, packet.payload.data(), 4);
    sequences.push_back(sequence);
    if (sequence % 64 == 0) {
      Record record;
      record.flow_id = std::to_string(sequence);
      sink_.emit(std::move(record));
    }
    if (work_.count() > 0) {
      const auto until = std::chrono::steady_clock::now() + work_;
      while (std::chrono::steady_clock::now() < until) {
      }
    }
  }
  void shard_expire(Timestamp now) override { expiries.push_back(now); }
  void shard_stop_selection() override { stopped_after = sequences.size(); }
  void shard_finish() override { ++finished; }
  const RunSummary& shard_summary() const override { return summary; }

  std::vector<std::uint32_t> sequences;
  std::vector<Timestamp> expiries;
  std::uint64_t undecodable = 0;
  std::uint64_t not_mine = 0;
  std::size_t stopped_after = 0;
  int finished = 0;
  RunSummary summary;

 private:
  const ShardRouter& router_;
  std::uint32_t index_;
  RecordSink& sink_;
  std::chrono::nanoseconds work_;
};

struct RouteRun {
  std::uint32_t shards = 5;
  std::uint32_t threads = 5;
  std::uint32_t batches = 20;
  // Shards that cost more per packet: those the lane `slow_lane` starts with.
  std::uint32_t slow_lane = UINT32_MAX;
  std::chrono::nanoseconds slow_work{0};
};

// Runs numbered packets of 300 clients (with runts, and a stop_selection mid-stream) through
// a sharded sieve of RouteCheckingWorkers and checks that each packet reached exactly the
// shard the router names, in order; that every shard expired at the same packets; that a runt
// was counted by shard 0 alone; that the stop cut every shard at the same packet; and that
// every record arrived once. Returns the moves the sieve made.
std::uint64_t expect_every_packet_reaches_its_shard_once(const RouteRun& run) {
  const std::uint32_t packets = run.batches * ShardedSieve::kBatchPackets + 77;
  const std::uint32_t stop_at = packets / 3 + 3;
  const ShardRouter router(run.shards, {}, 17);
  std::vector<RouteCheckingWorker*> shards(run.shards, nullptr);
  CollectingSink sink;
  auto sharded = ShardedSieve::create(
      router, run.threads, sink,
      [&](std::uint32_t index, RecordSink& shard_sink) -> Result<std::unique_ptr<ShardWorker>> {
        // Sieve::create's first assignment: shard s on lane s % threads.
        const auto work =
            index % run.threads == run.slow_lane ? run.slow_work : std::chrono::nanoseconds{0};
        auto worker = std::make_unique<RouteCheckingWorker>(router, index, shard_sink, work);
        shards[index] = worker.get();
        return std::unique_ptr<ShardWorker>(std::move(worker));
      });
  EXPECT_TRUE(sharded) << sharded.error().message;
  if (!sharded) return 0;
  synth::FrameBuilder builder;
  const std::uint8_t runt[] = {0x00, 0x01, 0x02};
  Timestamp now = Timestamp::from_seconds(1'800'000'000);
  std::uint32_t runts = 0;
  for (std::uint32_t i = 0; i < packets; ++i) {
    if (i == stop_at) (*sharded)->stop_selection();
    if (i % 97 == 0) {
      (*sharded)->process({.timestamp = now,
                           .wire_length = sizeof runt,
                           .link_type = capture::LinkType::ethernet,
                           .data = runt});
      ++runts;
    }
    std::array<std::uint8_t, 4> sequence{};
    std::memcpy(sequence.data(), &i, 4);
    const auto frame =
        tcp_frame(builder, v4(0x85f20000 + i % 300), i, synth::tcp_flags::ack, sequence);
    (*sharded)->process({.timestamp = now,
                         .wire_length = static_cast<std::uint32_t>(frame.size()),
                         .link_type = capture::LinkType::ethernet,
                         .data = frame});
    now = now + Duration::millis(7);
  }
  (*sharded)->finish();
  std::uint64_t total = 0;
  std::multiset<std::string> expected_records;
  for (std::uint32_t index = 0; index < run.shards; ++index) {
    SCOPED_TRACE(fmt::format("shard {}", index));
    const RouteCheckingWorker* shard = shards[index];
    EXPECT_NE(shard, nullptr);
    if (shard == nullptr) continue;
    EXPECT_EQ(shard->not_mine, 0u);
    EXPECT_EQ(shard->undecodable, index == 0 ? runts : 0u);
    EXPECT_GT(shard->sequences.size(), packets / run.shards / 2);  // every shard has clients
    EXPECT_TRUE(std::is_sorted(shard->sequences.begin(), shard->sequences.end()));
    EXPECT_EQ(shard->expiries, shards[0]->expiries);
    EXPECT_GE(shard->expiries.size(), packets * 7 / 1000);  // one per second of packet time
    const auto before_stop = std::count_if(shard->sequences.begin(), shard->sequences.end(),
                                           [&](std::uint32_t n) { return n < stop_at; });
    EXPECT_EQ(shard->stopped_after, static_cast<std::size_t>(before_stop));
    EXPECT_EQ(shard->finished, 1);
    total += shard->sequences.size() + shard->undecodable;
    for (const std::uint32_t n : shard->sequences) {
      if (n % 64 == 0) expected_records.insert(std::to_string(n));
    }
  }
  EXPECT_EQ(total, packets + runts);
  EXPECT_EQ((*sharded)->summary().packets, packets + runts);
  std::multiset<std::string> delivered;
  for (const Record& record : sink.records) delivered.insert(record.flow_id);
  EXPECT_EQ(delivered, expected_records);
  EXPECT_EQ(delivered.size(), (packets + 63) / 64);
  return (*sharded)->moves();
}

// Five shards on five threads (more than this machine's cores, so they are preempted
// mid-batch). One shard per thread: none moves.
TEST(ShardBatches, EveryPacketReachesTheShardItsRouteNamesOnce) {
  EXPECT_EQ(expect_every_packet_reaches_its_shard_once({}), 0u);
}

// Twelve shards on three threads, the shards of one lane far costlier than the rest: that lane
// falls behind (a worker) or keeps the workers waiting (the caller), so shards move, and every
// packet, expiry, stop and record still reaches its shard exactly once and in order.
TEST(ShardBatches, ShardsMoveOffASlowLaneAndEveryPacketStillReachesItsShardOnce) {
  for (const std::uint32_t slow_lane : {0u, 1u}) {
    SCOPED_TRACE(fmt::format("slow lane {}", slow_lane));
    const std::uint64_t moves =
        expect_every_packet_reaches_its_shard_once({.shards = 12,
                                                    .threads = 3,
                                                    .batches = 150,
                                                    .slow_lane = slow_lane,
                                                    .slow_work = std::chrono::microseconds(3)});
    EXPECT_GT(moves, 0u);
    RecordProperty(fmt::format("moves_slow_lane_{}", slow_lane), static_cast<int>(moves));
  }
}

TEST(ShardBatches, ThreadsMustBeBetweenOneAndTheShards) {
  const ShardRouter router(4, {}, 1);
  CollectingSink sink;
  const auto factory = [](std::uint32_t, RecordSink&) -> Result<std::unique_ptr<ShardWorker>> {
    return std::unique_ptr<ShardWorker>(new CountingWorker);
  };
  for (const std::uint32_t threads : {0u, 5u}) {
    auto sharded = ShardedSieve::create(router, threads, sink, factory);
    ASSERT_FALSE(sharded);
    EXPECT_NE(sharded.error().message.find("threads"), std::string::npos);
  }
  auto one = ShardedSieve::create(router, 1, sink, factory);
  ASSERT_TRUE(one) << one.error().message;
  (*one)->finish();
}

// --- configuration ----------------------------------------------------------------------------

constexpr std::string_view kConfigTop = R"(
sensor = "gw-1"
country_db = "c.mmdb"
categories = ["FF"]
ruleset = "r.toml"
)";

TEST(SieveConfigWorkers, DefaultsToOneAndReadsTheSieveSection) {
  auto plain = ConfigFile::parse(kConfigTop, "m.toml");
  ASSERT_TRUE(plain) << plain.error().message;
  auto config = load_sieve_config(*plain);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->workers, 1u);
  auto sharded = ConfigFile::parse(std::string(kConfigTop) + "[sieve]\nworkers = 4\n", "m.toml");
  ASSERT_TRUE(sharded) << sharded.error().message;
  config = load_sieve_config(*sharded);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->workers, 4u);
}

TEST(SieveConfigWorkers, OutOfRangeOrUnknownKeysNameTheKey) {
  for (const char* bad : {"workers = 0", "workers = 65", "workers = \"two\"", "threads = 2"}) {
    auto file = ConfigFile::parse(std::string(kConfigTop) + "[sieve]\n" + bad + "\n", "m.toml");
    ASSERT_TRUE(file) << file.error().message;
    auto config = load_sieve_config(*file);
    ASSERT_FALSE(config) << bad;
    EXPECT_NE(config.error().message.find("m.toml:7"), std::string::npos) << config.error().message;
    EXPECT_NE(config.error().message.find("sieve."), std::string::npos) << config.error().message;
  }
}

}  // namespace
}  // namespace mamori::sieve
