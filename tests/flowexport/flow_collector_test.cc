// FlowCollector over loopback: IPFIX and NetFlow v9 datagrams crafted byte by byte are sent to
// the bound port on 127.0.0.1 only; nothing leaves the host. The sender sends everything
// before stop(), and run() decodes what is queued when it sees the stop, so no test sleeps.

#include "mamori/flowexport/flow_collector.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "flow_export_writer.h"

namespace mamori::flowexport::testing {
namespace {

constexpr std::uint32_t kExportTime = 1'700'000'000;
constexpr std::uint16_t kOctetDelta = 1, kPacketDelta = 2, kProtocol = 4, kTcpFlags = 6,
                        kSrcPort = 7, kSrcV4 = 8, kDstPort = 11, kDstV4 = 12, kStartMillis = 152,
                        kEndMillis = 153, kFirstSwitched = 22, kLastSwitched = 21;

// Sends datagrams to 127.0.0.1:port from one socket (one exporter address/port).
class Exporter {
 public:
  explicit Exporter(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    to_.sin_family = AF_INET;
    to_.sin_port = htons(port);
    to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~Exporter() { ::close(fd_); }
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;
  void send(const std::vector<std::uint8_t>& datagram) const {
    ASSERT_EQ(::sendto(fd_, datagram.data(), datagram.size(), 0,
                       reinterpret_cast<const sockaddr*>(&to_), sizeof(to_)),
              static_cast<ssize_t>(datagram.size()));
  }

 private:
  int fd_;
  sockaddr_in to_{};
};

std::vector<std::uint8_t> ipfix_template(std::uint32_t sequence, std::uint32_t domain = 1) {
  MessageWriter m = MessageWriter::ipfix(kExportTime, sequence, domain);
  m.template_set(256, {{kSrcV4, 4},
                       {kDstV4, 4},
                       {kSrcPort, 2},
                       {kDstPort, 2},
                       {kProtocol, 1},
                       {kTcpFlags, 1},
                       {kOctetDelta, 8},
                       {kPacketDelta, 8},
                       {kStartMillis, 8},
                       {kEndMillis, 8}});
  return m.finish();
}

// Records 192.0.2.<n>:40000+n -> 198.51.100.<n>:443 of template `id`.
std::vector<std::uint8_t> ipfix_data(std::uint32_t sequence, std::initializer_list<std::uint8_t> ns,
                                     std::uint16_t id = 256, std::uint32_t domain = 1) {
  MessageWriter m = MessageWriter::ipfix(kExportTime, sequence, domain);
  m.begin_set(id);
  for (const std::uint8_t n : ns) {
    m.w.u32(0xc0000200 | n).u32(0xc6336400 | n).u16(40000 + n).u16(443).u8(6).u8(0x02);
    m.w.u64(std::uint64_t{100} * n).u64(n);
    m.w.u64(std::uint64_t{kExportTime} * 1000 - 2000).u64(std::uint64_t{kExportTime} * 1000 - 1000);
  }
  m.end_set();
  return m.finish();
}

std::vector<std::uint8_t> v9_template_and_data(std::uint32_t sequence) {
  MessageWriter m = MessageWriter::netflow_v9(60'000, kExportTime, sequence, 7, 2);
  m.template_set(300, {{kSrcV4, 4},
                       {kDstV4, 4},
                       {kSrcPort, 2},
                       {kDstPort, 2},
                       {kProtocol, 1},
                       {kOctetDelta, 4},
                       {kPacketDelta, 4},
                       {kFirstSwitched, 4},
                       {kLastSwitched, 4}});
  m.begin_set(300);
  m.w.u32(0xc0000209).u32(0xc6336409).u16(5353).u16(53).u8(17).u32(900).u32(3);
  m.w.u32(50'000).u32(55'000);
  m.end_set(1);  // v9 flowsets are padded to 4 bytes
  return m.finish();
}

struct Collected {
  std::vector<FlowExportRecord> records;
  RecordHandler handler() {
    return [this](std::span<const FlowExportRecord> r) {
      records.insert(records.end(), r.begin(), r.end());
    };
  }
};

std::unique_ptr<FlowCollector> open_loopback(CollectorConfig config = {}) {
  config.address = "127.0.0.1";
  config.port = 0;
  auto collector = FlowCollector::open(config);
  EXPECT_TRUE(collector) << collector.error().message;
  return collector ? std::move(*collector) : nullptr;
}

// Runs the collector on a thread while `send` runs here, then stops it.
template <class Send>
StopReason run_with(FlowCollector& collector, Collected& out, Send&& send) {
  const SystemClock clock;
  Result<StopReason> reason = fail("not run");
  std::thread receiver([&] { reason = collector.run(out.handler(), clock); });
  send();
  collector.stop();
  receiver.join();
  EXPECT_TRUE(reason) << reason.error().message;
  return reason ? *reason : StopReason::socket_error;
}

TEST(FlowCollector, BindsLoopbackAndReportsThePortTheKernelChose) {
  auto collector = open_loopback();
  ASSERT_TRUE(collector);
  EXPECT_NE(collector->port(), 0);
  EXPECT_EQ(collector->address(), "127.0.0.1");
  EXPECT_EQ(collector->endpoint(), "127.0.0.1:" + std::to_string(collector->port()));
}

TEST(FlowCollector, RefusesAnAddressThatIsNotNumeric) {
  auto collector = FlowCollector::open(CollectorConfig{.address = "collector.example"});
  ASSERT_FALSE(collector);
  EXPECT_NE(collector.error().message.find("not a numeric"), std::string::npos);
}

TEST(FlowCollector, IpfixTemplateThenDataOverLoopback) {
  auto collector = open_loopback();
  ASSERT_TRUE(collector);
  Collected out;
  const StopReason reason = run_with(*collector, out, [&] {
    const Exporter exporter(collector->port());
    exporter.send(ipfix_template(0));
    exporter.send(ipfix_data(0, {1, 2, 3}));
  });
  EXPECT_EQ(reason, StopReason::stopped);
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_EQ(out.records[1].source, IpAddress::v4(0xc0000202));
  EXPECT_EQ(out.records[1].destination, IpAddress::v4(0xc6336402));
  EXPECT_EQ(out.records[1].destination_port, 443);
  EXPECT_EQ(out.records[1].octets, 200u);
  EXPECT_EQ(out.records[1].packets, 2u);
  EXPECT_EQ(out.records[1].exporter.address, IpAddress::v4(0x7f000001));
  const CollectorStats stats = collector->stats();
  EXPECT_EQ(stats.datagrams, 2u);
  EXPECT_EQ(stats.records, 3u);
  EXPECT_EQ(stats.malformed_datagrams, 0u);
  EXPECT_EQ(stats.unknown_template_sets, 0u);
  EXPECT_EQ(stats.templates, 1u);
}

TEST(FlowCollector, NetflowV9OverLoopback) {
  auto collector = open_loopback();
  ASSERT_TRUE(collector);
  Collected out;
  run_with(*collector, out, [&] {
    const Exporter exporter(collector->port());
    exporter.send(v9_template_and_data(0));
  });
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].protocol, FlowExportProtocol::netflow_v9);
  EXPECT_EQ(out.records[0].domain, 7u);
  EXPECT_EQ(out.records[0].ip_protocol, 17);
  EXPECT_EQ(out.records[0].octets, 900u);
  ASSERT_TRUE(out.records[0].start);
}

TEST(FlowCollector, DataBeforeItsTemplateIsCountedThenDecodedOnceTheTemplateArrives) {
  auto collector = open_loopback();
  ASSERT_TRUE(collector);
  Collected out;
  run_with(*collector, out, [&] {
    const Exporter exporter(collector->port());
    exporter.send(ipfix_data(0, {1}));  // template not known yet: dropped, counted
    exporter.send(ipfix_template(1));
    exporter.send(ipfix_data(1, {2}));
  });
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].source, IpAddress::v4(0xc0000202));
  const CollectorStats stats = collector->stats();
  EXPECT_EQ(stats.unknown_template_sets, 1u);
  EXPECT_EQ(stats.malformed_datagrams, 0u);
}

TEST(FlowCollector, TemplatesAreKeptPerExporter) {
  // The second exporter (another source port) never sent template 256: its data is unknown.
  auto collector = open_loopback();
  ASSERT_TRUE(collector);
  Collected out;
  run_with(*collector, out, [&] {
    const Exporter first(collector->port());
    const Exporter second(collector->port());
    first.send(ipfix_template(0));
    second.send(ipfix_data(0, {1}));
    first.send(ipfix_data(0, {2}));
  });
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].source, IpAddress::v4(0xc0000202));
  EXPECT_EQ(collector->stats().unknown_template_sets, 1u);
}

TEST(FlowCollector, GarbageIsCountedAndNeverFatal) {
  auto collector = open_loopback();
  ASSERT_TRUE(collector);
  Collected out;
  const StopReason reason = run_with(*collector, out, [&] {
    const Exporter exporter(collector->port());
    exporter.send({0xde, 0xad, 0xbe, 0xef, 0x00});  // version 0xdead
    exporter.send({0x00});                          // too short for a version
    auto truncated = ipfix_template(0);
    truncated[3] = 200;  // message length beyond the datagram
    exporter.send(truncated);
    exporter.send(ipfix_template(1));
    exporter.send(ipfix_data(1, {4}));
  });
  EXPECT_EQ(reason, StopReason::stopped);
  ASSERT_EQ(out.records.size(), 1u);
  const CollectorStats stats = collector->stats();
  EXPECT_EQ(stats.datagrams, 5u);
  EXPECT_EQ(stats.malformed_datagrams, 3u);
  EXPECT_EQ(stats.unknown_version_datagrams, 1u);
  ASSERT_FALSE(stats.problems.empty());
  for (const auto& problem : stats.problems) {
    EXPECT_EQ(problem.find("127.0.0.1"), std::string::npos) << problem;
  }
}

TEST(FlowCollector, OversizeDatagramsAreDroppedAndCounted) {
  auto collector = open_loopback(CollectorConfig{.max_datagram = 64});
  ASSERT_TRUE(collector);
  Collected out;
  run_with(*collector, out, [&] {
    const Exporter exporter(collector->port());
    exporter.send(ipfix_template(0));  // 60 bytes: fits
    exporter.send(ipfix_data(0, {1, 2, 3}));
  });
  EXPECT_TRUE(out.records.empty());
  const CollectorStats stats = collector->stats();
  EXPECT_EQ(stats.datagrams, 2u);
  EXPECT_EQ(stats.oversize_datagrams, 1u);
  EXPECT_EQ(stats.templates, 1u);
}

TEST(FlowCollector, SequenceGapsAreCounted) {
  auto collector = open_loopback();
  ASSERT_TRUE(collector);
  Collected out;
  run_with(*collector, out, [&] {
    const Exporter exporter(collector->port());
    exporter.send(ipfix_template(0));
    exporter.send(ipfix_data(0, {1}));
    exporter.send(ipfix_data(5, {2}));  // 4 records missing
  });
  EXPECT_EQ(out.records.size(), 2u);
  const CollectorStats stats = collector->stats();
  EXPECT_EQ(stats.sequence_gaps, 1u);
  EXPECT_EQ(stats.sequence_missing, 4u);
}

TEST(FlowCollector, StopBeforeRunEndsRunAtOnce) {
  auto collector = open_loopback();
  ASSERT_TRUE(collector);
  collector->stop();
  Collected out;
  const SystemClock clock;
  auto reason = collector->run(out.handler(), clock);
  ASSERT_TRUE(reason);
  EXPECT_EQ(*reason, StopReason::stopped);
}

TEST(FlowCollector, IdleTimeoutEndsRun) {
  auto collector = open_loopback();
  ASSERT_TRUE(collector);
  // A clock already past the idle limit on its second reading.
  class Jumping final : public Clock {
   public:
    Timestamp now() const override {
      return Timestamp::from_seconds(kExportTime) + Duration::seconds(calls_++ == 0 ? 0 : 100);
    }

   private:
    mutable int calls_ = 0;
  } clock;
  Collected out;
  auto reason = collector->run(out.handler(), clock, Duration::seconds(5));
  ASSERT_TRUE(reason);
  EXPECT_EQ(*reason, StopReason::idle);
}

TEST(FlowCollector, ReceiveDecodesWithoutTheSocket) {
  auto collector = open_loopback();
  ASSERT_TRUE(collector);
  Collected out;
  const auto handler = out.handler();
  const Timestamp at = Timestamp::from_seconds(kExportTime);
  collector->receive(exporter(0xc0000201), ipfix_template(0), at, handler);
  collector->receive(exporter(0xc0000201), ipfix_data(0, {7}), at, handler);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0].received, at);
}

}  // namespace
}  // namespace mamori::flowexport::testing
