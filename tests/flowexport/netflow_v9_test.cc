// NetFlow v9 (RFC 3954) decoding: templates, uptime-relative times, options templates,
// sequence accounting per packet and flowset faults.

#include <gtest/gtest.h>

#include "flow_export_writer.h"

namespace mamori::flowexport::testing {
namespace {

constexpr std::uint32_t kUnixSecs = 1'700'000'000;
const Timestamp kReceived = Timestamp::from_seconds(kUnixSecs);

// RFC 3954 §8 field types.
constexpr std::uint16_t kInBytes = 1, kInPkts = 2, kProtocol = 4, kTcpFlags = 6, kL4SrcPort = 7,
                        kIpv4SrcAddr = 8, kInputSnmp = 10, kL4DstPort = 11, kIpv4DstAddr = 12,
                        kOutputSnmp = 14, kLastSwitched = 21, kFirstSwitched = 22, kIcmpType = 32,
                        kSamplingInterval = 34;

MessageWriter& v9_template(MessageWriter& m) {
  return m.template_set(260, {{kIpv4SrcAddr, 4},
                              {kIpv4DstAddr, 4},
                              {kL4SrcPort, 2},
                              {kL4DstPort, 2},
                              {kProtocol, 1},
                              {kTcpFlags, 1},
                              {kInBytes, 4},
                              {kInPkts, 4},
                              {kFirstSwitched, 4},
                              {kLastSwitched, 4},
                              {kInputSnmp, 2},
                              {kOutputSnmp, 2},
                              {kIcmpType, 2}});
}

void v9_record(MessageWriter& m, std::uint8_t n, std::uint32_t first, std::uint32_t last) {
  m.w.u32(0xc0000200 | n).u32(0xcb007100 | n).u16(1024 + n).u16(53).u8(17).u8(0);
  m.w.u32(std::uint64_t{100} * n).u32(n).u32(first).u32(last).u16(1).u16(2).u16(0);
}

TEST(NetflowV9, TemplateAndDataWithUptimeRelativeTimes) {
  FlowExportDecoder decoder;
  // The router has been up 100 s when it sends at kUnixSecs.
  MessageWriter m = MessageWriter::netflow_v9(100'000, kUnixSecs, 0, 42);
  v9_template(m);
  m.begin_set(260);
  v9_record(m, 1, 40'000, 99'000);
  v9_record(m, 2, 99'500, 100'000);
  m.end_set(2);
  const DecodeResult r = decoder.decode(exporter(0xc0000201, 2055), m.finish(), kReceived);
  ASSERT_TRUE(r.problems.empty()) << r.problems[0].message;
  ASSERT_EQ(r.records.size(), 2u);
  const FlowExportRecord& a = r.records[0];
  EXPECT_EQ(a.protocol, FlowExportProtocol::netflow_v9);
  EXPECT_EQ(a.domain, 42u);
  EXPECT_EQ(a.source.to_string(), "192.0.2.1");
  EXPECT_EQ(a.destination.to_string(), "203.0.113.1");
  EXPECT_EQ(a.source_port, 1025);
  EXPECT_EQ(a.destination_port, 53);
  EXPECT_EQ(a.ip_protocol, 17);
  EXPECT_EQ(a.octets, 100u);
  EXPECT_EQ(a.packets, 1u);
  EXPECT_EQ(a.start, kReceived - Duration::seconds(60));
  EXPECT_EQ(a.end, kReceived - Duration::seconds(1));
  EXPECT_EQ(a.ingress_interface, 1u);
  EXPECT_EQ(a.egress_interface, 2u);
  EXPECT_EQ(r.records[1].start, kReceived - Duration::millis(500));
  EXPECT_EQ(r.records[1].end, kReceived);
}

TEST(NetflowV9, UptimeWrapAroundIsHandled) {
  FlowExportDecoder decoder;
  // Uptime wrapped 2^32 ms after boot: now 1000 ms, the flow began 4096 ms before the wrap.
  MessageWriter m = MessageWriter::netflow_v9(1000, kUnixSecs, 0, 1);
  v9_template(m);
  m.begin_set(260);
  v9_record(m, 1, 0xffff'f000, 500);
  m.end_set();
  const DecodeResult r = decoder.decode(exporter(1), m.finish(), kReceived);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].start, kReceived - Duration::millis(4096 + 1000));
  EXPECT_EQ(r.records[0].end, kReceived - Duration::millis(500));
}

TEST(NetflowV9, DataBeforeTemplateThenDecoded) {
  FlowExportDecoder decoder;
  const ExporterId from = exporter(1);
  MessageWriter data = MessageWriter::netflow_v9(100'000, kUnixSecs, 0, 1);
  data.begin_set(260);
  v9_record(data, 1, 1, 2);
  data.end_set();
  const std::vector<std::uint8_t> bytes = data.finish();
  DecodeResult r = decoder.decode(from, bytes, kReceived);
  EXPECT_TRUE(r.records.empty());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].message,
            "netflow v9 packet at byte 20: data set for template 260, which is not known (yet): "
            "36 bytes dropped");
  MessageWriter t = MessageWriter::netflow_v9(100'000, kUnixSecs, 1, 1);
  v9_template(t);
  decoder.decode(from, t.finish(), kReceived);
  r = decoder.decode(from, bytes, kReceived);
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_EQ(decoder.stats().unknown_template, 1u);
  // An IPFIX template with the same id from the same exporter is a different template.
  MessageWriter ipfix = MessageWriter::ipfix(kUnixSecs, 0, 1);
  ipfix.begin_set(260);
  v9_record(ipfix, 1, 1, 2);
  ipfix.end_set();
  EXPECT_TRUE(decoder.decode(from, ipfix.finish(), kReceived).records.empty());
}

TEST(NetflowV9, OptionsTemplateDataIsSkippedAndCounted) {
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::netflow_v9(100'000, kUnixSecs, 0, 1);
  m.begin_set(1);
  m.v9_options_template(300, {{1, 4}}, {{kSamplingInterval, 4}, {kIpv4SrcAddr, 4}});
  m.end_set(2);
  v9_template(m);
  m.begin_set(300).w.u32(0).u32(100).u32(0xc0000201);
  m.w.u32(0).u32(100).u32(0xc0000202);
  m.end_set();
  m.begin_set(260);
  v9_record(m, 1, 1, 2);
  m.end_set();
  const DecodeResult r = decoder.decode(exporter(1), m.finish(), kReceived);
  ASSERT_TRUE(r.problems.empty()) << r.problems[0].message;
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_EQ(decoder.stats().options_records, 2u);
  EXPECT_EQ(decoder.stats().templates, 2u);
}

TEST(NetflowV9, SequenceCountsPackets) {
  FlowExportDecoder decoder;
  const ExporterId from = exporter(1);
  const auto send = [&](std::uint32_t sequence, std::uint32_t source_id) {
    MessageWriter m = MessageWriter::netflow_v9(100'000, kUnixSecs, sequence, source_id);
    v9_template(m);
    return decoder.decode(from, m.finish(), kReceived).sequence_missing;
  };
  EXPECT_EQ(send(10, 1), 0u);
  EXPECT_EQ(send(11, 1), 0u);
  EXPECT_EQ(send(15, 1), 3u);
  EXPECT_EQ(send(500, 2), 0u);  // another source id has its own counter
  EXPECT_EQ(send(16, 1), 0u);
  EXPECT_EQ(decoder.stats().sequence_gaps, 1u);
  EXPECT_EQ(decoder.stats().sequence_missing, 3u);
  EXPECT_EQ(decoder.sequence_status().size(), 2u);
}

TEST(NetflowV9, FlowsetFaults) {
  FlowExportDecoder decoder;
  const auto first = [&](const std::vector<std::uint8_t>& bytes) {
    const DecodeResult r = decoder.decode(exporter(1), bytes, kReceived);
    return r.problems.empty() ? std::string("none") : r.problems[0].message;
  };
  EXPECT_EQ(first({0, 9, 0, 0}),
            "netflow v9 packet at byte 0: truncated header (20 bytes needed, 4 present)");
  MessageWriter big = MessageWriter::netflow_v9(1, kUnixSecs, 0, 1);
  big.w.u16(0).u16(400).u32(0);
  EXPECT_EQ(first(big.finish()),
            "netflow v9 packet at byte 20: flowset id 0 length 400 exceeds the packet (28 "
            "bytes)");
  MessageWriter fields = MessageWriter::netflow_v9(1, kUnixSecs, 0, 1);
  fields.begin_set(0).w.u16(260).u16(3).u16(8).u16(4);
  fields.end_set();
  EXPECT_EQ(first(fields.finish()),
            "netflow v9 packet at byte 32: template 260 field 1 of 3 runs past the end of the "
            "flowset");
  MessageWriter options = MessageWriter::netflow_v9(1, kUnixSecs, 0, 1);
  options.begin_set(1).w.u16(300).u16(6).u16(4).u32(0).u32(0);
  options.end_set();
  EXPECT_EQ(first(options.finish()),
            "netflow v9 packet at byte 24: options template 300: scope length 6 and option "
            "length 4 are not multiples of 4");
}

}  // namespace
}  // namespace mamori::flowexport::testing
