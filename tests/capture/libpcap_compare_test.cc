// mamori's readers against libpcap on the same files: every packet must have the same
// timestamp (ns), wire length, link type and bytes, and both must agree on whether the file
// ends cleanly. Files: tcpdump captures, editcap conversions, generated variants (see
// tests/data/capture/README.md) and files written here by PcapWriter.

#include <gtest/gtest.h>

#include <random>

#include "capture_test_util.h"
#include "mamori/capture/pcap_writer.h"

namespace mamori::capture::testing {
namespace {

void expect_same_as_libpcap(const std::string& path, std::size_t min_packets = 1) {
  SCOPED_TRACE(path);
  const Reading ours = read_mamori(path);
  const Reading theirs = read_libpcap(path);
  ASSERT_TRUE(theirs.opened) << "libpcap: " << theirs.error;
  ASSERT_TRUE(ours.opened) << ours.error;
  EXPECT_EQ(ours.failed, theirs.failed) << "ours: " << ours.error << " libpcap: " << theirs.error;
  ASSERT_EQ(ours.packets.size(), theirs.packets.size());
  EXPECT_GE(ours.packets.size(), min_packets);
  for (std::size_t i = 0; i < ours.packets.size(); ++i) {
    const Packet& a = ours.packets[i];
    const Packet& b = theirs.packets[i];
    EXPECT_EQ(a.timestamp, b.timestamp) << "packet " << i;
    EXPECT_EQ(a.wire_length, b.wire_length) << "packet " << i;
    EXPECT_EQ(a.link_type, b.link_type) << "packet " << i;
    EXPECT_EQ(a.data, b.data) << "packet " << i;
    if (::testing::Test::HasFailure()) return;  // one broken packet is enough to read
  }
}

TEST(LibpcapAgreement, TcpdumpCaptures) {
  for (const char* name : {"lo_eth_us.pcap", "lo_eth_ns.pcap", "lo_eth_snap96.pcap",
                           "any_sll_us.pcap", "any_sll2_us.pcap"}) {
    expect_same_as_libpcap(fixture(name), 40);
  }
}

TEST(LibpcapAgreement, EditcapConversions) {
  for (const char* name :
       {"lo_eth_us.pcapng", "lo_eth_ns.pcapng", "any_sll2_us.pcapng", "any_sll_ns.pcap"}) {
    expect_same_as_libpcap(fixture(name), 40);
  }
}

TEST(LibpcapAgreement, GeneratedVariants) {
  for (const char* name :
       {"lo_eth_us_be.pcap", "lo_eth_ns_be.pcap", "raw_ns.pcap", "ipv4_us.pcap", "ipv6_us_be.pcap",
        "lo_eth_be.pcapng", "lo_eth_bin_be.pcapng", "lo_eth_spb.pcapng"}) {
    expect_same_as_libpcap(fixture(name), 10);
  }
}

TEST(LibpcapAgreement, SnapLengthFixtureReallyIsSnapped) {
  // Guards the fixture: without snapped packets the comparison above would prove less.
  const Reading r = read_mamori(fixture("lo_eth_snap96.pcap"));
  std::size_t snapped = 0;
  for (const Packet& p : r.packets) snapped += p.data.size() == 96 && p.wire_length > 96;
  EXPECT_GT(snapped, 5u);
}

// Frames of every size from 14 to 1514 bytes with deterministic content and timestamps.
void write_frames(PcapWriter& writer, std::size_t count, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::int64_t nanos = 1'795'000'000'000'000'000;
  std::vector<std::uint8_t> frame;
  for (std::size_t i = 0; i < count; ++i) {
    frame.resize(14 + random() % 1501);
    for (auto& byte : frame) byte = static_cast<std::uint8_t>(random());
    nanos += random() % 2'000'000'000;
    const std::uint32_t wire = i % 5 == 0 ? static_cast<std::uint32_t>(frame.size()) + 100 : 0;
    ASSERT_TRUE(writer.write(Timestamp{nanos}, frame, wire));
  }
}

TEST(LibpcapAgreement, FilesWrittenByPcapWriter) {
  TempDir dir;
  struct Variant {
    const char* name;
    LinkType link;
    TimestampPrecision precision;
    std::uint32_t snaplen;
  };
  for (const Variant& v :
       {Variant{"eth_us.pcap", LinkType::ethernet, TimestampPrecision::micro, 262144},
        Variant{"eth_ns.pcap", LinkType::ethernet, TimestampPrecision::nano, 262144},
        Variant{"raw_ns_snap.pcap", LinkType::raw, TimestampPrecision::nano, 200},
        Variant{"sll2_us.pcap", LinkType::linux_sll2, TimestampPrecision::micro, 65535}}) {
    auto writer = PcapWriter::create(dir.file(v.name), v.link, v.precision, v.snaplen);
    ASSERT_TRUE(writer) << writer.error().message;
    write_frames(*writer, 300, 7);
    ASSERT_TRUE(writer->close());
    expect_same_as_libpcap(dir.file(v.name), 300);
  }
}

TEST(LibpcapAgreement, ReadsWhatPcapWriterWrote) {
  // The writer is the source of truth here, not libpcap: timestamps survive exactly in
  // nanosecond files and are cut to microseconds in microsecond files.
  TempDir dir;
  const std::vector<std::uint8_t> frame = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
  for (const auto precision : {TimestampPrecision::micro, TimestampPrecision::nano}) {
    auto writer = PcapWriter::create(dir.file("w.pcap"), LinkType::ethernet, precision, 10);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->write(Timestamp{1'795'000'000'123'456'789}, frame));
    ASSERT_TRUE(writer->close());
    const Reading r = read_mamori(dir.file("w.pcap"));
    ASSERT_EQ(r.packets.size(), 1u) << r.error;
    EXPECT_EQ(r.packets[0].timestamp, precision == TimestampPrecision::nano
                                          ? 1'795'000'000'123'456'789
                                          : 1'795'000'000'123'456'000);
    EXPECT_EQ(r.packets[0].wire_length, 14u);
    EXPECT_EQ(r.packets[0].data, std::vector<std::uint8_t>(frame.begin(), frame.begin() + 10));
  }
}

// Cut files: both readers return the same packets before the cut and both report an error
// unless the cut falls on a record boundary. (libpcap reads pcapng interface blocks when it
// opens the file, so a cut inside them fails its open where ours fails on the first next().)
TEST(LibpcapAgreement, TruncatedFiles) {
  TempDir dir;
  for (const char* name :
       {"lo_eth_ns.pcap", "lo_eth_us_be.pcap", "lo_eth_us.pcapng", "lo_eth_be.pcapng"}) {
    const std::vector<std::uint8_t> whole = load_file(fixture(name));
    for (std::size_t cut = 24; cut < whole.size(); cut += 37) {
      SCOPED_TRACE(fmt::format("{} cut at {}", name, cut));
      const std::string path = dir.file("cut");
      save_file(path, std::span(whole).first(cut));
      const Reading ours = read_mamori(path);
      const Reading theirs = read_libpcap(path);
      EXPECT_EQ(ours.failed, theirs.failed) << ours.error << " / " << theirs.error;
      EXPECT_EQ(ours.packets, theirs.packets);
    }
  }
}

}  // namespace
}  // namespace mamori::capture::testing
