// IPFIX (RFC 7011) decoding: templates then data, field encodings, template lifecycle,
// options templates, sequence accounting and malformed messages. Messages are built byte by
// byte with flow_export_writer.h; addresses are documentation ranges (RFC 5737, RFC 3849).

#include <gtest/gtest.h>

#include "flow_export_writer.h"

namespace mamori::flowexport::testing {
namespace {

constexpr std::uint32_t kExportTime = 1'700'000'000;
const Timestamp kReceived = Timestamp::from_seconds(kExportTime);

// IE numbers used below (IANA IPFIX registry).
constexpr std::uint16_t kOctetDelta = 1, kPacketDelta = 2, kProtocol = 4, kTcpFlags = 6,
                        kSrcPort = 7, kSrcV4 = 8, kIngress = 10, kDstPort = 11, kDstV4 = 12,
                        kEgress = 14, kEndUptime = 21, kStartUptime = 22, kSrcV6 = 27, kDstV6 = 28,
                        kInterfaceName = 82, kOctetTotal = 85, kPacketTotal = 86, kIcmpV6 = 139,
                        kStartSeconds = 150, kEndSeconds = 151, kStartMillis = 152,
                        kEndMillis = 153, kSystemInit = 160, kObservationDomain = 149,
                        kExportedMessages = 41;

// Template 256: an IPv4 flow as many exporters send it.
MessageWriter& v4_template(MessageWriter& m) {
  return m.template_set(256, {{kSrcV4, 4},
                              {kDstV4, 4},
                              {kSrcPort, 2},
                              {kDstPort, 2},
                              {kProtocol, 1},
                              {kTcpFlags, 1},
                              {kOctetDelta, 8},
                              {kPacketDelta, 8},
                              {kStartMillis, 8},
                              {kEndMillis, 8},
                              {kIngress, 4},
                              {kEgress, 4}});
}

// One record of template 256: 192.0.2.<n> -> 198.51.100.<n>.
void v4_record(MessageWriter& m, std::uint8_t n) {
  m.w.u32(0xc0000200 | n).u32(0xc6336400 | n).u16(40000 + n).u16(443).u8(6).u8(0x1b);
  m.w.u64(std::uint64_t{1000} * n).u64(std::uint64_t{10} * n);
  m.w.u64(std::uint64_t{kExportTime} * 1000 - 5000).u64(std::uint64_t{kExportTime} * 1000 - 1);
  m.w.u32(3).u32(7);
}

MessageWriter& v4_data(MessageWriter& m, std::initializer_list<std::uint8_t> ns) {
  m.begin_set(256);
  for (const std::uint8_t n : ns) v4_record(m, n);
  return m.end_set();
}

TEST(Ipfix, TemplateThenIpv4DataInOneMessage) {
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  v4_template(m);
  v4_data(m, {1, 2});
  const DecodeResult r = decoder.decode(exporter(0xc0000201), m.finish(), kReceived);
  ASSERT_TRUE(r.problems.empty()) << r.problems[0].message;
  ASSERT_EQ(r.records.size(), 2u);
  const FlowExportRecord& a = r.records[0];
  EXPECT_EQ(a.protocol, FlowExportProtocol::ipfix);
  EXPECT_EQ(a.domain, 1u);
  EXPECT_EQ(a.template_id, 256);
  EXPECT_EQ(a.source.to_string(), "192.0.2.1");
  EXPECT_EQ(a.destination.to_string(), "198.51.100.1");
  EXPECT_EQ(a.source_port, 40001);
  EXPECT_EQ(a.destination_port, 443);
  EXPECT_EQ(a.ip_protocol, 6);
  EXPECT_EQ(a.tcp_flags, 0x1b);
  EXPECT_EQ(a.octets, 1000u);
  EXPECT_EQ(a.packets, 10u);
  ASSERT_TRUE(a.start && a.end);
  EXPECT_EQ(a.start->nanos, (std::int64_t{kExportTime} * 1000 - 5000) * 1'000'000);
  EXPECT_EQ(a.end->nanos, (std::int64_t{kExportTime} * 1000 - 1) * 1'000'000);
  EXPECT_EQ(a.ingress_interface, 3u);
  EXPECT_EQ(a.egress_interface, 7u);
  EXPECT_FALSE(a.icmp_type);
  EXPECT_EQ(a.exported, kReceived);
  EXPECT_EQ(r.records[1].source.to_string(), "192.0.2.2");
  EXPECT_EQ(r.records[1].octets, 2000u);

  const DecoderStats s = decoder.stats();
  EXPECT_EQ(s.messages, 1u);
  EXPECT_EQ(s.records, 2u);
  EXPECT_EQ(s.templates_learnt, 1u);
  EXPECT_EQ(s.templates, 1u);
  EXPECT_EQ(s.malformed, 0u);
}

TEST(Ipfix, Ipv6DataWithSecondsAndIcmp) {
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 7);
  m.template_set(300, {{kSrcV6, 16},
                       {kDstV6, 16},
                       {kProtocol, 1},
                       {kIcmpV6, 2},
                       {kPacketTotal, 4},
                       {kOctetTotal, 4},
                       {kStartSeconds, 4},
                       {kEndSeconds, 4}});
  m.begin_set(300);
  m.w.raw(v6_bytes(1)).raw(v6_bytes(2)).u8(58).u16(0x8000).u32(3).u32(312);
  m.w.u32(kExportTime - 10).u32(kExportTime - 2);
  m.end_set();
  const DecodeResult r = decoder.decode(exporter(0xc0000201), m.finish(), kReceived);
  ASSERT_TRUE(r.problems.empty()) << r.problems[0].message;
  ASSERT_EQ(r.records.size(), 1u);
  const FlowExportRecord& a = r.records[0];
  EXPECT_EQ(a.source.to_string(), "2001:db8::1");
  EXPECT_EQ(a.destination.to_string(), "2001:db8::2");
  EXPECT_EQ(a.ip_protocol, 58);
  EXPECT_EQ(a.icmp_type, 128);  // echo request
  EXPECT_EQ(a.icmp_code, 0);
  // Totals are used when no delta counts are present.
  EXPECT_EQ(a.packets, 3u);
  EXPECT_EQ(a.octets, 312u);
  EXPECT_EQ(a.start, Timestamp::from_seconds(kExportTime - 10));
  EXPECT_EQ(a.end, Timestamp::from_seconds(kExportTime - 2));
}

TEST(Ipfix, DataBeforeTemplateIsCountedThenDecodedOnceTheTemplateArrives) {
  FlowExportDecoder decoder;
  const ExporterId from = exporter(0xc0000201);
  MessageWriter data1 = MessageWriter::ipfix(kExportTime, 0, 1);
  v4_data(data1, {1});
  DecodeResult r = decoder.decode(from, data1.finish(), kReceived);
  EXPECT_TRUE(r.records.empty());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].kind, ProblemKind::unknown_template);
  EXPECT_EQ(r.problems[0].offset, 16u);
  EXPECT_EQ(r.problems[0].message,
            "ipfix message at byte 16: data set for template 256, which is not known (yet): "
            "54 bytes dropped");
  EXPECT_EQ(decoder.stats().unknown_template, 1u);

  MessageWriter t = MessageWriter::ipfix(kExportTime, 1, 1);
  v4_template(t);
  r = decoder.decode(from, t.finish(), kReceived);
  EXPECT_TRUE(r.problems.empty());

  MessageWriter data2 = MessageWriter::ipfix(kExportTime, 1, 1);
  v4_data(data2, {3, 4});
  r = decoder.decode(from, data2.finish(), kReceived);
  EXPECT_TRUE(r.problems.empty());
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].source.to_string(), "192.0.2.3");
  EXPECT_EQ(decoder.stats().records, 2u);
  EXPECT_EQ(decoder.stats().unknown_template, 1u);
}

TEST(Ipfix, VariableLengthAndEnterpriseFieldsAreSkipped) {
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  m.template_set(256, {{kSrcV4, 4},
                       {kInterfaceName, 65535},  // variable length
                       {kDstV4, 4},
                       {100, 4, 9},              // enterprise 9, fixed
                       {kOctetDelta, 4, 29305},  // enterprise IE numbered 1: not octets
                       {7, 65535, 6876},         // enterprise, variable length
                       {kOctetDelta, 4}});
  m.begin_set(256);
  // Record 1: short varlen forms.
  m.w.u32(0xc0000201).u8(3).u8('e').u8('t').u8('h').u32(0xc6336401);
  m.w.u32(0xdeadbeef).u32(999999).u8(0).u32(1500);
  // Record 2: the 3-byte form (255, then a 2-byte length) with 300 bytes.
  m.w.u32(0xc0000202).u8(255).u16(300).zeros(300).u32(0xc6336402);
  m.w.u32(1).u32(2).u8(255).u16(2).u16(0).u32(60);
  m.end_set();
  const DecodeResult r = decoder.decode(exporter(0xc0000201), m.finish(), kReceived);
  ASSERT_TRUE(r.problems.empty()) << r.problems[0].message;
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].source.to_string(), "192.0.2.1");
  EXPECT_EQ(r.records[0].destination.to_string(), "198.51.100.1");
  EXPECT_EQ(r.records[0].octets, 1500u);
  EXPECT_EQ(r.records[1].destination.to_string(), "198.51.100.2");
  EXPECT_EQ(r.records[1].octets, 60u);
}

TEST(Ipfix, ReducedSizeIntegersAreAccepted) {
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  m.template_set(256, {{kSrcV4, 4},
                       {kDstV4, 4},
                       {kSrcPort, 1},
                       {kDstPort, 2},
                       {kOctetDelta, 3},
                       {kPacketDelta, 1},
                       {kIngress, 2}});
  m.begin_set(256);
  m.w.u32(0xc0000201).u32(0xc6336401).u8(53).u16(53).uint(0x123456, 3).u8(200).u16(0x0102);
  m.end_set(3);  // padding after the last record
  const DecodeResult r = decoder.decode(exporter(0xc0000201), m.finish(), kReceived);
  ASSERT_TRUE(r.problems.empty()) << r.problems[0].message;
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].source_port, 53);
  EXPECT_EQ(r.records[0].octets, 0x123456u);
  EXPECT_EQ(r.records[0].packets, 200u);
  EXPECT_EQ(r.records[0].ingress_interface, 0x0102u);
}

TEST(Ipfix, FieldLengthsOutsideTheTypeMakeTheTemplateInvalid) {
  FlowExportDecoder decoder;
  const ExporterId from = exporter(0xc0000201);
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  m.begin_set(2);
  m.template_record(256, {{kSrcV4, 5}, {kDstV4, 4}});                 // address of 5 bytes
  m.template_record(257, {{kSrcV4, 4}, {kDstV4, 4}, {kSrcPort, 3}});  // port of 3 bytes
  m.template_record(258, {{kSrcV4, 4}, {kDstV4, 4}, {kOctetDelta, 9}});
  m.template_record(259, {{kSrcV4, 4}, {kDstV4, 4}, {kOctetDelta, 65535}});
  m.template_record(260, {{kSrcV4, 4}, {kDstV4, 4}, {kStartMillis, 4}});
  m.template_record(261, {{kSrcV4, 4}, {kDstV4, 4}, {kOctetDelta, 4}});  // fine
  m.end_set();
  m.begin_set(257).w.u32(0xc0000201).u32(0xc6336401).uint(80, 3);
  m.end_set();
  m.begin_set(261).w.u32(0xc0000201).u32(0xc6336401).u32(77);
  m.end_set();
  const DecodeResult r = decoder.decode(from, m.finish(), kReceived);
  EXPECT_EQ(count_kind(r, ProblemKind::invalid_template), 6u);
  EXPECT_EQ(count_kind(r, ProblemKind::malformed), 0u);
  EXPECT_EQ(r.problems[0].message,
            "ipfix message at byte 20: template 256 refused: field 0 (information element 8) "
            "has fixed length 5, which its type does not allow");
  // The data set of the refused template is dropped as such, the valid one decoded.
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].octets, 77u);
  const DecoderStats s = decoder.stats();
  EXPECT_EQ(s.invalid_template, 5u);
  EXPECT_EQ(s.invalid_template_sets, 1u);
  EXPECT_EQ(s.unknown_template, 0u);
}

TEST(Ipfix, TemplateWithdrawal) {
  FlowExportDecoder decoder;
  const ExporterId from = exporter(0xc0000201);
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  v4_template(m);
  m.template_set(257, {{kSrcV4, 4}, {kDstV4, 4}});
  ASSERT_TRUE(decoder.decode(from, m.finish(), kReceived).problems.empty());
  EXPECT_EQ(decoder.stats().templates, 2u);

  // Withdraw 256 alone: its data is unknown afterwards, 257 still decodes.
  MessageWriter w = MessageWriter::ipfix(kExportTime, 0, 1);
  w.begin_set(2).w.u16(256).u16(0);
  w.end_set();
  v4_data(w, {1});
  w.begin_set(257).w.u32(1).u32(2);
  w.end_set();
  DecodeResult r = decoder.decode(from, w.finish(), kReceived);
  EXPECT_EQ(count_kind(r, ProblemKind::unknown_template), 1u);
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_EQ(decoder.stats().templates_withdrawn, 1u);

  // Template id 2 with field count 0 withdraws every template of the domain (RFC 7011 §8.1).
  MessageWriter all = MessageWriter::ipfix(kExportTime, 0, 1);
  all.begin_set(2).w.u16(2).u16(0);
  all.end_set();
  r = decoder.decode(from, all.finish(), kReceived);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(decoder.stats().templates, 0u);
  EXPECT_EQ(decoder.stats().templates_withdrawn, 2u);
}

TEST(Ipfix, OptionsTemplateDataIsSkippedCountedAndGivesTheExporterClock) {
  FlowExportDecoder decoder;
  const ExporterId from = exporter(0xc0000201);
  const std::uint64_t init_ms = std::uint64_t{kExportTime} * 1000 - 3'600'000;  // 1 h ago
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  m.begin_set(3);
  m.options_template_record(400, 1,
                            {{kObservationDomain, 4}, {kSystemInit, 8}, {kExportedMessages, 8}});
  m.end_set(2);  // options template records are 6 + 4n bytes: 2 bytes of padding
  m.template_set(256, {{kSrcV4, 4}, {kDstV4, 4}, {kStartUptime, 4}, {kEndUptime, 4}});
  m.begin_set(400).w.u32(1).u64(init_ms).u64(12);
  m.w.u32(1).u64(init_ms).u64(13);
  m.end_set();
  m.begin_set(256).w.u32(0xc0000201).u32(0xc6336401).u32(60'000).u32(61'500);
  m.end_set();
  const DecodeResult r = decoder.decode(from, m.finish(), kReceived);
  ASSERT_TRUE(r.problems.empty()) << r.problems[0].message;
  ASSERT_EQ(r.records.size(), 1u);  // the options records are not flows
  EXPECT_EQ(decoder.stats().options_records, 2u);
  EXPECT_EQ(decoder.stats().records, 1u);
  ASSERT_TRUE(r.records[0].start && r.records[0].end);
  EXPECT_EQ(r.records[0].start->nanos, static_cast<std::int64_t>(init_ms + 60'000) * 1'000'000);
  EXPECT_EQ(r.records[0].end->nanos, static_cast<std::int64_t>(init_ms + 61'500) * 1'000'000);
}

TEST(Ipfix, UptimeTimesWithoutASystemInitTimeAreLeftOpen) {
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  m.template_set(256, {{kSrcV4, 4}, {kDstV4, 4}, {kStartUptime, 4}});
  m.begin_set(256).w.u32(1).u32(2).u32(60'000);
  m.end_set();
  const DecodeResult r = decoder.decode(exporter(1), m.finish(), kReceived);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_FALSE(r.records[0].start);
}

TEST(Ipfix, SystemInitTimeInTheRecordConvertsUptimes) {
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  m.template_set(256, {{kSrcV4, 4}, {kDstV4, 4}, {kSystemInit, 8}, {kStartUptime, 4}});
  m.begin_set(256).w.u32(1).u32(2).u64(1'000'000'000'000).u32(500);
  m.end_set();
  const DecodeResult r = decoder.decode(exporter(1), m.finish(), kReceived);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].start, Timestamp{1'000'000'000'500 * std::int64_t{1'000'000}});
}

TEST(Ipfix, RecordsWithoutAddressesAreCountedNotReturned) {
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  m.template_set(256, {{kSrcV4, 4}, {kOctetDelta, 4}});
  m.begin_set(256).w.u32(1).u32(2);
  m.end_set();
  const DecodeResult r = decoder.decode(exporter(1), m.finish(), kReceived);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(decoder.stats().records_without_addresses, 1u);
}

TEST(Ipfix, TemplatesAreScopedToExporterPortAndDomain) {
  FlowExportDecoder decoder;
  MessageWriter t = MessageWriter::ipfix(kExportTime, 0, 1);
  v4_template(t);
  decoder.decode(exporter(0xc0000201, 4739), t.finish(), kReceived);
  const auto data = [](std::uint32_t domain) {
    MessageWriter m = MessageWriter::ipfix(kExportTime, 0, domain);
    v4_data(m, {1});
    return m.finish();
  };
  EXPECT_EQ(decoder.decode(exporter(0xc0000201, 4739), data(1), kReceived).records.size(), 1u);
  EXPECT_EQ(decoder.decode(exporter(0xc0000201, 4739), data(2), kReceived).records.size(), 0u);
  EXPECT_EQ(decoder.decode(exporter(0xc0000201, 4740), data(1), kReceived).records.size(), 0u);
  EXPECT_EQ(decoder.decode(exporter(0xc0000202, 4739), data(1), kReceived).records.size(), 0u);
  EXPECT_EQ(decoder.stats().unknown_template, 3u);
}

TEST(Ipfix, TemplatesExpireUnlessRefreshed) {
  DecoderLimits limits;
  limits.template_timeout = Duration::seconds(600);
  FlowExportDecoder decoder(limits);
  const ExporterId from = exporter(1);
  const auto tmpl = [] {
    MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
    v4_template(m);
    return m.finish();
  };
  const auto data = [] {
    MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
    v4_data(m, {1});
    return m.finish();
  };
  decoder.decode(from, tmpl(), kReceived);
  EXPECT_EQ(decoder.decode(from, data(), kReceived + Duration::seconds(599)).records.size(), 1u);
  // Refreshed at +500 s: still known at +1000 s, gone at +1101 s.
  decoder.decode(from, tmpl(), kReceived + Duration::seconds(500));
  EXPECT_EQ(decoder.decode(from, data(), kReceived + Duration::seconds(1000)).records.size(), 1u);
  const DecodeResult late = decoder.decode(from, data(), kReceived + Duration::seconds(1101));
  EXPECT_TRUE(late.records.empty());
  EXPECT_EQ(count_kind(late, ProblemKind::unknown_template), 1u);
  EXPECT_EQ(decoder.stats().templates_expired, 1u);
  EXPECT_EQ(decoder.stats().templates, 0u);
}

TEST(Ipfix, ExpiredTemplatesOfSilentExportersAreDropped) {
  DecoderLimits limits;
  limits.template_timeout = Duration::seconds(60);
  FlowExportDecoder decoder(limits);
  MessageWriter t = MessageWriter::ipfix(kExportTime, 0, 1);
  v4_template(t);
  decoder.decode(exporter(1), t.finish(), kReceived);
  // Another exporter's traffic later sweeps the stale template out.
  decoder.decode(exporter(2), std::vector<std::uint8_t>{0, 10}, kReceived + Duration::seconds(61));
  EXPECT_EQ(decoder.stats().templates, 0u);
  EXPECT_EQ(decoder.stats().templates_expired, 1u);
}

TEST(Ipfix, TheOldestTemplateIsEvictedAtTheBound) {
  DecoderLimits limits;
  limits.max_templates = 2;
  FlowExportDecoder decoder(limits);
  const ExporterId from = exporter(1);
  const auto learn = [&](std::uint16_t id) {
    MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
    m.template_set(id, {{kSrcV4, 4}, {kDstV4, 4}});
    decoder.decode(from, m.finish(), kReceived);
  };
  const auto decodes = [&](std::uint16_t id) {
    MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
    m.begin_set(id).w.u32(1).u32(2);
    m.end_set();
    return decoder.decode(from, m.finish(), kReceived).records.size() == 1;
  };
  learn(256);
  learn(257);
  learn(256);  // refreshed: 257 is now the oldest
  learn(258);
  EXPECT_EQ(decoder.stats().templates, 2u);
  EXPECT_EQ(decoder.stats().templates_evicted, 1u);
  EXPECT_TRUE(decodes(256));
  EXPECT_FALSE(decodes(257));
  EXPECT_TRUE(decodes(258));
}

TEST(Ipfix, SequenceGapsCountMissingDataRecords) {
  FlowExportDecoder decoder;
  const ExporterId from = exporter(1);
  const auto send = [&](std::uint32_t sequence, std::initializer_list<std::uint8_t> ns) {
    MessageWriter m = MessageWriter::ipfix(kExportTime, sequence, 1);
    v4_template(m);  // template records do not count
    v4_data(m, ns);
    return decoder.decode(from, m.finish(), kReceived);
  };
  EXPECT_EQ(send(100, {1, 2}).sequence_missing, 0u);
  EXPECT_EQ(send(102, {3}).sequence_missing, 0u);
  EXPECT_EQ(send(108, {4, 5}).sequence_missing, 5u);  // 103..107 lost
  EXPECT_EQ(send(105, {6}).sequence_missing, 0u);     // backwards: resynchronised
  EXPECT_EQ(send(106, {7}).sequence_missing, 0u);
  // Sequence numbers wrap modulo 2^32.
  EXPECT_EQ(send(0xffff'fffe, {8}).sequence_missing, 0u);  // backwards again: resynchronised
  EXPECT_EQ(send(0xffff'ffff, {8, 9}).sequence_missing, 0u);
  EXPECT_EQ(send(3, {1}).sequence_missing, 2u);  // 1 and 2 lost after the wrap
  const DecoderStats s = decoder.stats();
  EXPECT_EQ(s.sequence_gaps, 2u);
  EXPECT_EQ(s.sequence_missing, 7u);
  const std::vector<SequenceStatus> status = decoder.sequence_status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].exporter, from);
  EXPECT_EQ(status[0].domain, 1u);
  EXPECT_EQ(status[0].gaps, 2u);
}

TEST(Ipfix, SequenceIsNotJudgedAfterRecordsThatCouldNotBeCounted) {
  FlowExportDecoder decoder;
  const ExporterId from = exporter(1);
  MessageWriter unknown = MessageWriter::ipfix(kExportTime, 10, 1);
  v4_data(unknown, {1, 2});
  decoder.decode(from, unknown.finish(), kReceived);
  MessageWriter next = MessageWriter::ipfix(kExportTime, 12, 1);
  v4_template(next);
  v4_data(next, {1});
  EXPECT_EQ(decoder.decode(from, next.finish(), kReceived).sequence_missing, 0u);
  EXPECT_EQ(decoder.stats().sequence_gaps, 0u);
}

TEST(Ipfix, SetLengthBeyondTheMessageKeepsEarlierRecords) {
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  v4_template(m);
  v4_data(m, {1});
  const std::size_t bad_at = m.w.size();
  m.begin_set(256);
  v4_record(m, 2);
  m.end_set();
  m.w.patch_u16(bad_at + 2, 300);
  const std::vector<std::uint8_t> bytes = m.finish();
  const DecodeResult r = decoder.decode(exporter(1), bytes, kReceived);
  ASSERT_EQ(r.records.size(), 1u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].kind, ProblemKind::malformed);
  EXPECT_EQ(r.problems[0].offset, bad_at);
  EXPECT_EQ(r.problems[0].message,
            fmt::format("ipfix message at byte {}: set id 256 length 300 exceeds the message ({} "
                        "bytes)",
                        bad_at, bytes.size()));
  EXPECT_EQ(decoder.stats().malformed, 1u);
}

TEST(Ipfix, HeaderFaults) {
  FlowExportDecoder decoder;
  const auto first = [&](std::vector<std::uint8_t> bytes) {
    const DecodeResult r = decoder.decode(exporter(1), bytes, kReceived);
    return r.problems.empty() ? std::string("none") : r.problems[0].message;
  };
  EXPECT_EQ(first({}), "flow export datagram at byte 0: 0 bytes are too short for a version field");
  EXPECT_EQ(first({0, 5, 0, 0}),
            "flow export datagram at byte 0: version 5 is neither IPFIX (10) nor NetFlow v9 (9)");
  EXPECT_EQ(first({0, 10, 0, 16}),
            "ipfix message at byte 0: truncated header (16 bytes needed, 4 present)");
  MessageWriter short_length = MessageWriter::ipfix(kExportTime, 0, 1);
  std::vector<std::uint8_t> bytes = short_length.finish();
  bytes[3] = 8;
  EXPECT_EQ(first(bytes),
            "ipfix message at byte 2: message length 8 is shorter than the 16-byte header");
  MessageWriter trailing = MessageWriter::ipfix(kExportTime, 0, 1);
  bytes = trailing.finish();
  bytes.push_back(0);
  EXPECT_EQ(first(bytes), "ipfix message at byte 16: 1 bytes after the message ignored");
  MessageWriter zero_set = MessageWriter::ipfix(kExportTime, 0, 1);
  zero_set.w.u16(256).u16(0);
  EXPECT_EQ(first(zero_set.finish()),
            "ipfix message at byte 16: set id 256 length 0 is shorter than its 4-byte header");
  MessageWriter reserved = MessageWriter::ipfix(kExportTime, 0, 1);
  reserved.begin_set(5).w.u32(0);
  reserved.end_set();
  EXPECT_EQ(first(reserved.finish()),
            "ipfix message at byte 16: set id 5 is reserved; 8 bytes skipped");
}

TEST(Ipfix, RecordRunningPastItsSetIsMalformed) {
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  m.template_set(256, {{kSrcV4, 4}, {kInterfaceName, 65535}, {kDstV4, 4}});
  m.begin_set(256).w.u32(1).u8(1).u8('x').u32(2);  // a good record
  m.w.u32(1).u8(40).zeros(4);                      // claims 40 bytes, set ends first
  m.end_set();
  const DecodeResult r = decoder.decode(exporter(1), m.finish(), kReceived);
  ASSERT_EQ(r.records.size(), 1u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].message,
            "ipfix message at byte 50: record 1 of data set 256: field 1 runs past the end of "
            "the set");
}

TEST(Ipfix, Invariant_I1_ProblemsNeverCarryAddressesOrValues) {
  // Canary values in every field; every problem text must be free of them.
  FlowExportDecoder decoder;
  MessageWriter m = MessageWriter::ipfix(kExportTime, 0, 1);
  m.begin_set(2);
  m.template_record(256, {{kSrcV4, 4}, {kDstV4, 4}, {kOctetDelta, 4}});
  m.template_record(257, {{kSrcV4, 5}});
  m.end_set();
  m.begin_set(256).w.u32(0xc0000263).u32(0xc0000263).u32(987654321);
  m.end_set();
  m.begin_set(999).w.u32(0xc0000263);
  m.end_set();
  m.begin_set(256).w.u32(0xc0000263);
  m.end_set();
  m.w.u16(256).u16(5000).u32(0xc0000263);
  const DecodeResult r = decoder.decode(exporter(0xc0000263), m.finish(), kReceived);
  ASSERT_EQ(r.problems.size(), 3u);
  for (const DecodeProblem& p : r.problems) {
    EXPECT_EQ(p.message.find("192.0.2.99"), std::string::npos) << p.message;
    EXPECT_EQ(p.message.find("987654321"), std::string::npos) << p.message;
    EXPECT_EQ(p.message.find("c0000263"), std::string::npos) << p.message;
  }
}

// RFC 7011 Appendix A.2.1 ("Template Set Using IANA Information Elements", template 256:
// sourceIPv4Address, destinationIPv4Address, ipNextHopIPv4Address, packetDeltaCount,
// octetDeltaCount, each 4 bytes; set length 28) and A.3 ("Data Set Example": three records,
// set length 64). Reconstructed from the RFC's figures as remembered: the search tool did not
// return the appendix text to check each value against, so treat the numbers as unverified.
// The header values are our own. The test checks decoding of that shape, not conformance to
// the RFC's published bytes.
TEST(Ipfix, ThreeRecordDataSetShapedLikeRfc7011AppendixA) {
  Writer w;
  w.u16(10).u16(16 + 28 + 64).u32(kExportTime).u32(0).u32(0);
  w.u16(2).u16(28).u16(256).u16(5);
  w.u16(8).u16(4).u16(12).u16(4).u16(15).u16(4).u16(2).u16(4).u16(1).u16(4);
  w.u16(256).u16(64);
  w.u32(0xc000020c).u32(0xc00002fe).u32(0xc0000201).u32(5009).u32(5344385);
  w.u32(0xc000021b).u32(0xc0000217).u32(0xc0000202).u32(748).u32(388934);
  w.u32(0xc0000238).u32(0xc0000241).u32(0xc0000203).u32(5).u32(6534);
  FlowExportDecoder decoder;
  const DecodeResult r = decoder.decode(exporter(1), w.bytes(), kReceived);
  ASSERT_TRUE(r.problems.empty()) << r.problems[0].message;
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].source.to_string(), "192.0.2.12");
  EXPECT_EQ(r.records[0].destination.to_string(), "192.0.2.254");
  EXPECT_EQ(r.records[0].packets, 5009u);
  EXPECT_EQ(r.records[0].octets, 5344385u);
  EXPECT_EQ(r.records[1].source.to_string(), "192.0.2.27");
  EXPECT_EQ(r.records[1].destination.to_string(), "192.0.2.23");
  EXPECT_EQ(r.records[1].packets, 748u);
  EXPECT_EQ(r.records[1].octets, 388934u);
  EXPECT_EQ(r.records[2].source.to_string(), "192.0.2.56");
  EXPECT_EQ(r.records[2].destination.to_string(), "192.0.2.65");
  EXPECT_EQ(r.records[2].packets, 5u);
  EXPECT_EQ(r.records[2].octets, 6534u);
}

}  // namespace
}  // namespace mamori::flowexport::testing
