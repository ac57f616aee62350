// Classic pcap reader: header and record handling on crafted files, and the fixtures.
// Format facts from draft-ietf-opsawg-pcap (header layout, magic numbers, FCS bits).

#include <gtest/gtest.h>

#include "capture_test_util.h"
#include "mamori/capture/capture_file.h"
#include "mamori/capture/pcap_writer.h"

namespace mamori::capture::testing {
namespace {

constexpr std::uint32_t kMicro = 0xa1b2c3d4;
constexpr std::uint32_t kNano = 0xa1b23c4d;

Bytes pcap_header(bool big, std::uint32_t magic = kMicro, std::uint32_t link = 1,
                  std::uint32_t snaplen = 65535, std::uint16_t major = 2, std::uint16_t minor = 4) {
  Bytes b(big);
  b.u32(magic).u16(major).u16(minor).u32(0).u32(0).u32(snaplen).u32(link);
  return b;
}

void add_record(Bytes& b, std::uint32_t sec, std::uint32_t frac, std::uint32_t caplen,
                std::uint32_t wire, std::uint8_t fill = 0xab) {
  b.u32(sec).u32(frac).u32(caplen).u32(wire);
  for (std::uint32_t i = 0; i < caplen; ++i) b.u8(static_cast<std::uint8_t>(fill + i));
}

TEST(PcapFile, ReadsMicrosecondsInBothByteOrders) {
  for (const bool big : {false, true}) {
    Bytes b = pcap_header(big);
    add_record(b, 1'700'000'000, 123'456, 3, 60, 1);
    add_record(b, 1'700'000'001, 999'999, 2, 2, 7);
    const Reading r = read_buffer(b.vec(), "t.pcap");
    ASSERT_TRUE(r.opened) << r.error;
    EXPECT_FALSE(r.failed) << r.error;
    ASSERT_EQ(r.packets.size(), 2u) << "big=" << big;
    EXPECT_EQ(r.packets[0], (Packet{1'700'000'000'123'456'000, 60, 1, {1, 2, 3}}));
    EXPECT_EQ(r.packets[1], (Packet{1'700'000'001'999'999'000, 2, 1, {7, 8}}));
  }
}

TEST(PcapFile, ReadsNanosecondsInBothByteOrders) {
  for (const bool big : {false, true}) {
    Bytes b = pcap_header(big, kNano, 101);
    add_record(b, 4'294'967'295u, 999'999'999, 1, 40, 0x45);
    const Reading r = read_buffer(b.vec(), "t.pcap");
    ASSERT_EQ(r.packets.size(), 1u) << r.error;
    // Seconds are unsigned 32-bit: the last representable second, 2106-02-07.
    EXPECT_EQ(r.packets[0].timestamp, 4'294'967'295LL * 1'000'000'000 + 999'999'999);
    EXPECT_EQ(r.packets[0].link_type, 101u);
    EXPECT_EQ(r.packets[0].wire_length, 40u);
  }
}

TEST(PcapFile, AcceptsEveryDecodedLinkType) {
  for (const std::uint32_t link : {1u, 101u, 113u, 228u, 229u, 276u}) {
    Bytes b = pcap_header(false, kMicro, link);
    add_record(b, 1, 0, 4, 4);
    const Reading r = read_buffer(b.vec(), "t.pcap");
    ASSERT_EQ(r.packets.size(), 1u) << link << ": " << r.error;
    EXPECT_EQ(r.packets[0].link_type, link);
  }
}

TEST(PcapFile, EndAndErrorAreSticky) {
  Bytes b = pcap_header(false);
  add_record(b, 1, 0, 4, 4);
  auto source = open_capture_buffer(b.vec(), "t.pcap");
  ASSERT_TRUE(source) << source.error().message;
  RawPacket raw;
  EXPECT_EQ((*source)->bytes_total(), b.size());
  EXPECT_EQ((*source)->next(raw), NextStatus::packet);
  EXPECT_EQ((*source)->next(raw), NextStatus::end);
  EXPECT_EQ((*source)->next(raw), NextStatus::end);
  EXPECT_EQ((*source)->bytes_read(), b.size());

  b.u8(0);  // one stray byte: a truncated record header
  auto broken = open_capture_buffer(b.vec(), "t.pcap");
  ASSERT_TRUE(broken);
  EXPECT_EQ((*broken)->next(raw), NextStatus::packet);
  EXPECT_EQ((*broken)->next(raw), NextStatus::error);
  EXPECT_EQ((*broken)->next(raw), NextStatus::error);
  EXPECT_EQ((*broken)->error().message,
            "t.pcap: byte offset 44: truncated packet record header (16 bytes needed, 1 remain)");
}

TEST(PcapFile, TruncatedRecordNamesOffsetAndLengths) {
  Bytes b = pcap_header(false);
  add_record(b, 1, 0, 10, 10);
  b.u32(2).u32(0).u32(1514).u32(1514);
  for (int i = 0; i < 212; ++i) b.u8(0);
  const Reading r = read_buffer(b.vec(), "capture.pcap");
  EXPECT_EQ(r.packets.size(), 1u);
  EXPECT_TRUE(r.failed);
  EXPECT_EQ(r.error,
            "capture.pcap: byte offset 50: truncated packet record (header says 1514 bytes, 212 "
            "remain)");
}

TEST(PcapFile, CaptureLengthAboveSnaplenIsCorrupt) {
  Bytes b = pcap_header(false, kMicro, 1, 64);
  add_record(b, 1, 0, 64, 100);
  add_record(b, 2, 0, 65, 100);
  const Reading r = read_buffer(b.vec(), "t.pcap");
  EXPECT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.error,
            "t.pcap: byte offset 104: corrupt packet record (captured length 65 exceeds the "
            "snaplen 64)");
}

TEST(PcapFile, AbsurdCaptureLengthIsCorruptWhateverTheSnaplen) {
  for (const std::uint32_t snaplen : {0u, 262144u, 0xffffffffu}) {
    Bytes b = pcap_header(false, kMicro, 1, snaplen);
    add_record(b, 1, 0, 70'000, 70'000);  // above 65535, below the maximum: fine
    b.u32(2).u32(0).u32(262'145).u32(262'145);
    const Reading r = read_buffer(b.vec(), "t.pcap");
    EXPECT_EQ(r.packets.size(), 1u) << snaplen;
    EXPECT_EQ(r.error,
              "t.pcap: byte offset 70040: corrupt packet record (captured length 262145 exceeds "
              "the 262144 byte maximum)");
  }
}

TEST(PcapFile, WireLengthIsNeverBelowCapturedLength) {
  Bytes b = pcap_header(false);
  add_record(b, 1, 0, 8, 5);
  const Reading r = read_buffer(b.vec(), "t.pcap");
  ASSERT_EQ(r.packets.size(), 1u);
  EXPECT_EQ(r.packets[0].wire_length, 8u);
  EXPECT_EQ(r.packets[0].data.size(), 8u);
}

TEST(PcapFile, OldVersionsHaveTheirLengthFieldsRepaired) {
  // Before 2.3 the record said len then caplen; 2.3 files exist in both orders.
  Bytes old = pcap_header(false, kMicro, 1, 65535, 2, 2);
  old.u32(1).u32(0).u32(100).u32(4).u32(0x01020304);  // len 100, caplen 4
  Reading r = read_buffer(old.vec(), "t.pcap");
  ASSERT_EQ(r.packets.size(), 1u) << r.error;
  EXPECT_EQ(r.packets[0].wire_length, 100u);
  EXPECT_EQ(r.packets[0].data.size(), 4u);

  Bytes maybe = pcap_header(false, kMicro, 1, 65535, 2, 3);
  maybe.u32(1).u32(0).u32(100).u32(4).u32(0x01020304);  // caplen > len: swapped
  add_record(maybe, 2, 0, 4, 100);                      // already in the 2.4 order
  r = read_buffer(maybe.vec(), "t.pcap");
  ASSERT_EQ(r.packets.size(), 2u) << r.error;
  for (const Packet& p : r.packets) {
    EXPECT_EQ(p.wire_length, 100u);
    EXPECT_EQ(p.data.size(), 4u);
  }
}

TEST(PcapFile, DeclaredFcsIsCutFromEveryPacket) {
  // Link-type field: Ethernet, bit 26 "FCS length known", bits 28-31 = 2 16-bit words.
  const std::uint32_t link = 1u | 0x0400'0000u | (2u << 28);
  Bytes b = pcap_header(false, kMicro, link, 96);
  add_record(b, 1, 0, 64, 64);   // whole frame with FCS: 60 bytes of frame remain
  add_record(b, 2, 0, 96, 200);  // snapped before the FCS: data kept, wire length without FCS
  add_record(b, 3, 0, 2, 2);     // shorter than an FCS: nothing left
  const Reading r = read_buffer(b.vec(), "t.pcap");
  ASSERT_EQ(r.packets.size(), 3u) << r.error;
  EXPECT_EQ(r.packets[0].data.size(), 60u);
  EXPECT_EQ(r.packets[0].wire_length, 60u);
  EXPECT_EQ(r.packets[1].data.size(), 96u);
  EXPECT_EQ(r.packets[1].wire_length, 196u);
  EXPECT_EQ(r.packets[2].data.size(), 0u);
  EXPECT_EQ(r.packets[2].link_type, 1u);
}

TEST(PcapFile, FcsFixtureReadsLikeTheFrameWithoutFcs) {
  const Reading with_fcs = read_mamori(fixture("lo_eth_fcs.pcap"));
  const Reading plain = read_mamori(fixture("lo_eth_us.pcap"));
  ASSERT_FALSE(with_fcs.failed) << with_fcs.error;
  ASSERT_EQ(with_fcs.packets.size(), 40u);
  EXPECT_EQ(with_fcs.packets, plain.packets);
}

TEST(PcapFile, ReservedLinkTypeBitsAreIgnored) {
  Bytes b = pcap_header(false, kMicro, 1u | 0x00ff'0000u);
  add_record(b, 1, 0, 4, 4);
  const Reading r = read_buffer(b.vec(), "t.pcap");
  ASSERT_EQ(r.packets.size(), 1u) << r.error;
  EXPECT_EQ(r.packets[0].link_type, 1u);
}

struct BadHeader {
  const char* what;
  std::vector<std::uint8_t> bytes;
  const char* error;
};

TEST(PcapFile, CorruptHeadersFailToOpenWithAClearError) {
  std::vector<BadHeader> cases;
  cases.push_back({"version 3", pcap_header(false, kMicro, 1, 65535, 3, 0).vec(),
                   "t.pcap: byte offset 4: unsupported pcap version 3.0 (expected 2.4)"});
  cases.push_back({"version 1 big-endian", pcap_header(true, kNano, 1, 65535, 1, 4).vec(),
                   "t.pcap: byte offset 4: unsupported pcap version 1.4 (expected 2.4)"});
  cases.push_back({"802.11", pcap_header(false, kMicro, 105).vec(),
                   "t.pcap: byte offset 20: unsupported link type 105 (mamori reads Ethernet 1, "
                   "raw IP 101, IPv4 228, IPv6 229, Linux SLL 113 and SLL2 276)"});
  cases.push_back({"short header",
                   {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0},
                   "t.pcap: byte offset 0: truncated pcap file header (24 bytes needed, 8 "
                   "present)"});
  cases.push_back({"unknown magic",
                   {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P'},
                   "t.pcap: byte offset 0: not a pcap or pcapng file (unknown magic number)"});
  cases.push_back({"modified pcap",
                   {0x34, 0xcd, 0xb2, 0xa1, 2, 0, 4, 0},
                   "t.pcap: byte offset 0: modified (Kuznetzov) pcap is not supported; convert "
                   "it with 'editcap -F pcap'"});
  cases.push_back(
      {"three bytes", {0xd4, 0xc3, 0xb2}, "t.pcap: 3 bytes are too few for a capture file"});
  cases.push_back({"empty", {}, "t.pcap: file is empty (0 bytes), not a capture file"});
  for (const BadHeader& c : cases) {
    auto source = open_capture_buffer(c.bytes, "t.pcap");
    ASSERT_FALSE(source) << c.what;
    EXPECT_EQ(source.error().message, c.error) << c.what;
  }
}

TEST(PcapFile, FixturesInBothPrecisionsAndByteOrdersAgree) {
  const Reading us = read_mamori(fixture("lo_eth_us.pcap"));
  const Reading us_be = read_mamori(fixture("lo_eth_us_be.pcap"));
  const Reading ns = read_mamori(fixture("lo_eth_ns.pcap"));
  const Reading ns_be = read_mamori(fixture("lo_eth_ns_be.pcap"));
  ASSERT_EQ(us.packets.size(), 40u) << us.error;
  EXPECT_EQ(us_be.packets, us.packets);
  EXPECT_EQ(ns_be.packets, ns.packets);
  // The two captures ran at the same time on the same traffic: the same frames, and
  // timestamps in whole microseconds vs nanoseconds.
  ASSERT_EQ(ns.packets.size(), us.packets.size());
  bool any_sub_micro = false;
  for (std::size_t i = 0; i < us.packets.size(); ++i) {
    EXPECT_EQ(us.packets[i].timestamp % 1000, 0);
    any_sub_micro |= ns.packets[i].timestamp % 1000 != 0;
    EXPECT_EQ(us.packets[i].data.size(), ns.packets[i].data.size());
  }
  EXPECT_TRUE(any_sub_micro);
}

TEST(PcapFile, RawIpFixturesAreTheEthernetFramesWithoutTheirHeader) {
  const Reading eth = read_mamori(fixture("lo_eth_ns.pcap"));
  const Reading raw = read_mamori(fixture("raw_ns.pcap"));
  const Reading v4 = read_mamori(fixture("ipv4_us.pcap"));
  const Reading v6 = read_mamori(fixture("ipv6_us_be.pcap"));
  ASSERT_EQ(raw.packets.size(), eth.packets.size());
  for (std::size_t i = 0; i < raw.packets.size(); ++i) {
    EXPECT_EQ(raw.packets[i].link_type, 101u);
    EXPECT_EQ(raw.packets[i].timestamp, eth.packets[i].timestamp);
    EXPECT_TRUE(std::equal(raw.packets[i].data.begin(), raw.packets[i].data.end(),
                           eth.packets[i].data.begin() + 14));
  }
  ASSERT_FALSE(v4.packets.empty());
  ASSERT_FALSE(v6.packets.empty());
  EXPECT_EQ(v4.packets.size() + v6.packets.size(), eth.packets.size());
  for (const Packet& p : v4.packets) EXPECT_EQ(p.data[0] >> 4, 4);
  for (const Packet& p : v6.packets) EXPECT_EQ(p.data[0] >> 4, 6);
  for (const Packet& p : v6.packets) EXPECT_EQ(p.link_type, 229u);
}

TEST(PcapWriter, RefusesTimestampsPcapCannotHold) {
  TempDir dir;
  auto writer = PcapWriter::create(dir.file("w.pcap"), LinkType::ethernet);
  ASSERT_TRUE(writer) << writer.error().message;
  const std::uint8_t frame[4] = {1, 2, 3, 4};
  EXPECT_FALSE(writer->write(Timestamp{-1}, frame));
  EXPECT_FALSE(writer->write(Timestamp::from_seconds(std::int64_t{1} << 32), frame));
  EXPECT_TRUE(writer->write(Timestamp{0}, frame));
  ASSERT_TRUE(writer->close());
  const Reading r = read_mamori(dir.file("w.pcap"));
  ASSERT_EQ(r.packets.size(), 1u) << r.error;
  EXPECT_EQ(r.packets[0].timestamp, 0);
}

}  // namespace
}  // namespace mamori::capture::testing
