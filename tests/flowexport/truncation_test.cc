// Damaged datagrams: every prefix of valid IPFIX messages and NetFlow v9 packets, and every
// single-byte corruption. Each cut is copied into a buffer of exactly that size, so a read past
// the end is a heap overflow that the sanitizer build catches.

#include <gtest/gtest.h>

#include <algorithm>

#include "flow_export_writer.h"

namespace mamori::flowexport::testing {
namespace {

const Timestamp kReceived = Timestamp::from_seconds(1'700'000'000);

struct Built {
  std::vector<std::uint8_t> bytes;
  // (offset where a data set ends, flow records it holds)
  std::vector<std::pair<std::size_t, std::size_t>> data_sets;
};

Built ipfix_message() {
  MessageWriter m = MessageWriter::ipfix(1'700'000'000, 5, 3);
  m.begin_set(2);
  m.template_record(256, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {1, 8}});
  m.template_record(257, {{27, 16}, {28, 16}, {82, 65535}, {2, 4}, {5, 1, 9}});
  m.end_set();
  m.begin_set(3).options_template_record(400, 1, {{149, 4}, {160, 8}});
  m.end_set(2);
  Built b;
  m.begin_set(256).w.u32(0xc0000201).u32(0xc6336401).u16(1).u16(2).u64(10);
  m.w.u32(0xc0000202).u32(0xc6336402).u16(3).u16(4).u64(20);
  m.end_set();
  b.data_sets.emplace_back(m.w.size(), 2);
  m.begin_set(400).w.u32(3).u64(1'699'000'000'000);
  m.end_set();
  b.data_sets.emplace_back(m.w.size(), 0);
  m.begin_set(257).w.raw(v6_bytes(1)).raw(v6_bytes(2)).u8(4).u32(0x65746830).u32(7).u8(1);
  m.end_set(1);
  b.data_sets.emplace_back(m.w.size(), 1);
  b.bytes = m.finish();
  return b;
}

std::size_t expected_records(const Built& b, std::size_t cut) {
  std::size_t n = 0;
  for (const auto& [end, records] : b.data_sets) {
    if (end <= cut) n += records;
  }
  return n;
}

void expect_same(const FlowExportRecord& a, const FlowExportRecord& b) {
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.destination, b.destination);
  EXPECT_EQ(a.octets, b.octets);
  EXPECT_EQ(a.packets, b.packets);
  EXPECT_EQ(a.template_id, b.template_id);
}

TEST(Truncation, EveryPrefixOfAnIpfixMessage) {
  const Built built = ipfix_message();
  FlowExportDecoder reference;
  const DecodeResult full = reference.decode(exporter(1), built.bytes, kReceived);
  ASSERT_TRUE(full.problems.empty()) << full.problems[0].message;
  ASSERT_EQ(full.records.size(), 3u);

  for (std::size_t cut = 0; cut < built.bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    const std::vector<std::uint8_t> prefix(built.bytes.begin(),
                                           built.bytes.begin() + static_cast<long>(cut));
    FlowExportDecoder decoder;
    const DecodeResult r = decoder.decode(exporter(1), prefix, kReceived);
    ASSERT_TRUE(r.malformed());
    for (const DecodeProblem& p : r.problems) {
      EXPECT_LE(p.offset, cut);
      EXPECT_NE(p.message.find(fmt::format(" at byte {}: ", p.offset)), std::string::npos)
          << p.message;
    }
    ASSERT_EQ(r.records.size(), expected_records(built, cut));
    for (std::size_t i = 0; i < r.records.size(); ++i) expect_same(r.records[i], full.records[i]);
    EXPECT_EQ(decoder.stats().malformed, 1u);
  }
}

TEST(Truncation, EveryPrefixWithTemplatesAlreadyKnown) {
  const Built built = ipfix_message();
  FlowExportDecoder decoder;
  decoder.decode(exporter(1), built.bytes, kReceived);
  for (std::size_t cut = 0; cut < built.bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    const std::vector<std::uint8_t> prefix(built.bytes.begin(),
                                           built.bytes.begin() + static_cast<long>(cut));
    const DecodeResult r = decoder.decode(exporter(1), prefix, kReceived);
    ASSERT_TRUE(r.malformed());
    ASSERT_EQ(r.records.size(), expected_records(built, cut));
  }
}

TEST(Truncation, EveryPrefixOfANetflowV9Packet) {
  MessageWriter m = MessageWriter::netflow_v9(100'000, 1'700'000'000, 9, 1);
  m.template_set(260, {{8, 4}, {12, 4}, {1, 4}, {22, 4}, {21, 4}});
  m.begin_set(260).w.u32(0xc0000201).u32(0xcb007101).u32(10).u32(1).u32(2);
  m.end_set();
  m.begin_set(260).w.u32(0xc0000202).u32(0xcb007102).u32(20).u32(1).u32(2);
  m.w.u32(0xc0000203).u32(0xcb007103).u32(30).u32(1).u32(2);
  m.end_set(2);
  const std::vector<std::uint8_t> bytes = m.finish();
  const std::vector<std::size_t>& ends = m.set_ends();
  ASSERT_EQ(ends.size(), 3u);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    const std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    FlowExportDecoder decoder;
    const DecodeResult r = decoder.decode(exporter(1), prefix, kReceived);
    // A v9 packet has no length field: a cut on a flowset boundary looks complete.
    const bool boundary = cut == 20 || std::find(ends.begin(), ends.end(), cut) != ends.end();
    EXPECT_EQ(r.malformed(), !boundary);
    const std::size_t records = cut >= ends[2] ? 3 : cut >= ends[1] ? 1 : 0;
    ASSERT_EQ(r.records.size(), records);
    for (const DecodeProblem& p : r.problems) {
      EXPECT_NE(p.message.find(fmt::format(" at byte {}: ", p.offset)), std::string::npos);
    }
  }
}

// Every byte replaced by a few hostile values, decoded by a decoder that knows the templates
// (so corrupted data sets are decoded, not just dropped): no crash, bounded output, problems
// that name an offset inside the datagram.
TEST(Truncation, EverySingleByteCorruption) {
  const Built built = ipfix_message();
  for (const std::uint8_t value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
    FlowExportDecoder decoder;
    decoder.decode(exporter(1), built.bytes, kReceived);
    for (std::size_t at = 0; at < built.bytes.size(); ++at) {
      std::vector<std::uint8_t> bytes = built.bytes;
      bytes[at] = value;
      const DecodeResult r = decoder.decode(exporter(1), bytes, kReceived);
      EXPECT_LE(r.records.size(), bytes.size() / 8) << at;
      for (const DecodeProblem& p : r.problems) {
        EXPECT_LE(p.offset, bytes.size()) << at;
        EXPECT_FALSE(p.message.empty());
      }
    }
  }
}

}  // namespace
}  // namespace mamori::flowexport::testing
