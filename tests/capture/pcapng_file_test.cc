// pcapng reader: crafted files for each block type, option and corruption, and the mixed
// fixture (three sections, six interfaces) checked against the listing its generator wrote.
// Format facts from draft-ietf-opsawg-pcapng (block layouts, if_tsresol encoding).

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "capture_test_util.h"
#include "mamori/capture/capture_file.h"

namespace mamori::capture::testing {
namespace {

const std::vector<std::uint8_t> kFrame = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16};

// Appends opt_endofopt. (Options here are little-endian or all-zero, so order is moot.)
std::vector<std::uint8_t> end_options(const NgBuilder&, Bytes options) {
  options.u16(0).u16(0);
  return options.vec();
}

Bytes tsresol(const NgBuilder& ng, std::uint8_t value) {
  const std::uint8_t v[1] = {value};
  return ng.option(9, v);
}

Bytes tsoffset(const NgBuilder& ng, bool big, std::int64_t seconds) {
  Bytes value(big);
  value.u64(static_cast<std::uint64_t>(seconds));
  return ng.option(14, value.vec());
}

TEST(PcapngFile, ReadsEnhancedPacketsInBothByteOrders) {
  for (const bool big : {false, true}) {
    NgBuilder ng;
    ng.section(big);
    ng.interface(1, 0);
    ng.epb(0, 1'700'000'000'123'456ull, kFrame, 60);
    const Reading r = read_buffer(ng.bytes(), "t.pcapng");
    ASSERT_FALSE(r.failed) << r.error;
    ASSERT_EQ(r.packets.size(), 1u);
    EXPECT_EQ(r.packets[0], (Packet{1'700'000'000'123'456'000, 60, 1, kFrame}));
  }
}

TEST(PcapngFile, ConvertsEveryKindOfTimestampResolution) {
  struct Case {
    std::uint8_t resolution;
    std::int64_t offset_seconds;
    std::uint64_t units;
    std::int64_t nanos;
  };
  const Case cases[] = {
      {0, 0, 1'700'000'000, 1'700'000'000'000'000'000},  // 10^0: seconds
      {3, 0, 1'700'000'000'123, 1'700'000'000'123'000'000},
      {9, 0, 1'700'000'000'123'456'789, 1'700'000'000'123'456'789},
      {9, -3600, 1'700'003'600'000'000'001, 1'700'000'000'000'000'001},
      {12, 1'700'000'000, 123'456'789'999, 1'700'000'000'123'456'789},  // picoseconds round down
      {19, 0, 18'000'000'000'000'000'000u, 1'800'000'000},
      {0x80, 0, 1'700'000'000, 1'700'000'000'000'000'000},  // 2^0
      {0x80 | 10, 0, (1'700'000'000ull << 10) | 512, 1'700'000'000'500'000'000},
      {0x80 | 30, 0, (5ull << 30) | 1, 5'000'000'000},  // 2^-30 s = 0.93 ns, rounds down
      {0x80 | 63, 0, 1ull << 62, 500'000'000},          // half a second
      {0x80 | 63, 0, ~0ull, 1'999'999'999},             // 1 s + (2^63 - 1) / 2^63 s
  };
  for (const bool big : {false, true}) {
    for (const Case& c : cases) {
      NgBuilder ng;
      ng.section(big);
      Bytes options = tsresol(ng, c.resolution);
      if (c.offset_seconds != 0) options.raw(tsoffset(ng, big, c.offset_seconds).vec());
      ng.interface(101, 0, end_options(ng, options));
      ng.epb(0, c.units, kFrame, 7);
      const Reading r = read_buffer(ng.bytes(), "t.pcapng");
      ASSERT_EQ(r.packets.size(), 1u) << r.error;
      EXPECT_EQ(r.packets[0].timestamp, c.nanos) << "tsresol " << int{c.resolution};
    }
  }
}

TEST(PcapngFile, AbsurdTimestampsWrapInsteadOfOverflowing) {
  // UINT64_MAX microseconds is far outside int64 nanoseconds; the value is garbage, but
  // computing it must not be undefined behaviour (the sanitizer build checks that).
  NgBuilder ng;
  ng.section(false);
  ng.interface(1, 0, end_options(ng, tsoffset(ng, false, INT64_MAX)));
  ng.epb(0, ~0ull, kFrame, 7);
  const Reading r = read_buffer(ng.bytes(), "t.pcapng");
  EXPECT_EQ(r.packets.size(), 1u) << r.error;
}

TEST(PcapngFile, InterfacesKeepTheirOwnLinkTypeAndResolution) {
  NgBuilder ng;
  ng.section(false);
  ng.interface(1, 0);                                        // Ethernet, microseconds
  ng.interface(229, 0, end_options(ng, tsresol(ng, 9)));     // IPv6, nanoseconds
  ng.interface(147, 0, end_options(ng, tsresol(ng, 0x80)));  // not decoded, seconds
  ng.epb(1, 5, kFrame, 7);
  ng.epb(0, 5, kFrame, 7);
  ng.epb(2, 5, kFrame, 7);
  const Reading r = read_buffer(ng.bytes(), "t.pcapng");
  ASSERT_EQ(r.packets.size(), 3u) << r.error;
  EXPECT_EQ(r.packets[0].link_type, 229u);
  EXPECT_EQ(r.packets[0].timestamp, 5);
  EXPECT_EQ(r.packets[1].link_type, 1u);
  EXPECT_EQ(r.packets[1].timestamp, 5'000);
  EXPECT_EQ(r.packets[2].link_type, 147u);  // passed on: the decoder counts it
  EXPECT_EQ(r.packets[2].timestamp, 5'000'000'000);
}

TEST(PcapngFile, SimplePacketsUseInterfaceZeroAndThePreviousTimestamp) {
  NgBuilder ng;
  ng.section(false);
  ng.interface(113, 4);  // Linux SLL, snaplen 4
  ng.interface(1, 0);
  ng.spb(7, kFrame);  // before any timestamped packet: 0
  ng.epb(1, 42, kFrame, 7);
  ng.spb(3, std::span(kFrame).first(3));  // shorter than the snaplen
  const Reading r = read_buffer(ng.bytes(), "t.pcapng");
  ASSERT_EQ(r.packets.size(), 3u) << r.error;
  EXPECT_EQ(r.packets[0], (Packet{0, 7, 113, {0x10, 0x11, 0x12, 0x13}}));
  EXPECT_EQ(r.packets[2], (Packet{42'000, 3, 113, {0x10, 0x11, 0x12}}));
}

TEST(PcapngFile, ReadsTheObsoletePacketBlock) {
  for (const bool big : {false, true}) {
    NgBuilder ng;
    ng.section(big);
    ng.interface(1, 0);
    ng.interface(228, 0, end_options(ng, tsresol(ng, 9)));
    ng.obsolete_pb(1, 1'000'000'007, kFrame, 1500);
    const Reading r = read_buffer(ng.bytes(), "t.pcapng");
    ASSERT_EQ(r.packets.size(), 1u) << r.error;
    EXPECT_EQ(r.packets[0], (Packet{1'000'000'007, 1500, 228, kFrame}));
  }
}

TEST(PcapngFile, SkipsBlocksItDoesNotRead) {
  NgBuilder ng;
  ng.section(true);
  const std::uint8_t body[] = {1, 2, 3, 4, 5};
  ng.block(4, body);  // name resolution
  ng.interface(1, 0);
  ng.block(5, body);           // interface statistics
  ng.block(0x0a, body);        // decryption secrets
  ng.block(0xbad, body);       // custom
  ng.block(0x40000bad, body);  // custom, not to be copied
  ng.block(0x80001234, body);  // local use
  ng.block(0x00000009, {});    // systemd journal export, empty body
  ng.epb(0, 1, kFrame, 7);
  const Reading r = read_buffer(ng.bytes(), "t.pcapng");
  EXPECT_FALSE(r.failed) << r.error;
  EXPECT_EQ(r.packets.size(), 1u);
}

TEST(PcapngFile, EachSectionHasItsOwnByteOrderAndInterfaces) {
  NgBuilder ng;
  ng.section(false);
  ng.interface(1, 0);
  ng.interface(101, 0);
  ng.epb(1, 1, kFrame, 7);
  ng.section(true);
  ng.interface(229, 0);
  ng.epb(0, 2, kFrame, 7);
  const std::size_t bad = ng.epb(1, 3, kFrame, 7);  // interface 1 belonged to section one
  const Reading r = read_buffer(ng.bytes(), "t.pcapng");
  ASSERT_EQ(r.packets.size(), 2u);
  EXPECT_EQ(r.packets[0].link_type, 101u);
  EXPECT_EQ(r.packets[1].link_type, 229u);
  EXPECT_EQ(r.packets[1].timestamp, 2'000);
  EXPECT_EQ(r.error, fmt::format("t.pcapng: byte offset {}: enhanced packet block names "
                                 "interface 1 but the section has 1",
                                 bad));
}

// Builds a good file, lets `corrupt` damage it, and expects one packet then `error`.
void expect_fault(const std::string& what, const std::function<std::size_t(NgBuilder&)>& corrupt,
                  const std::string& error_suffix) {
  NgBuilder ng;
  ng.section(false);
  ng.interface(1, 0);
  ng.epb(0, 1, kFrame, 7);
  const std::size_t offset = corrupt(ng);
  const Reading r = read_buffer(ng.bytes(), "t.pcapng");
  EXPECT_EQ(r.packets.size(), 1u) << what;
  EXPECT_TRUE(r.failed) << what;
  EXPECT_EQ(r.error, fmt::format("t.pcapng: byte offset {}: {}", offset, error_suffix)) << what;
}

void put_u32(std::vector<std::uint8_t>& bytes, std::size_t at, std::uint32_t value) {
  std::memcpy(bytes.data() + at, &value, 4);
}

TEST(PcapngFile, CorruptBlocksStopWithTheBlockOffset) {
  expect_fault(
      "trailer differs",
      [](NgBuilder& ng) {
        const std::size_t at = ng.epb(0, 2, kFrame, 7);
        put_u32(ng.bytes(), ng.bytes().size() - 4, 44);
        return at;
      },
      "corrupt enhanced packet block (total length 40 at the start but 44 at the end)");
  expect_fault(
      "length not a multiple of 4",
      [](NgBuilder& ng) {
        const std::size_t at = ng.epb(0, 2, kFrame, 7);
        put_u32(ng.bytes(), at + 4, 34);
        return at;
      },
      "corrupt enhanced packet block (total length 34 is not a multiple of 4 of at least 12)");
  expect_fault(
      "length below 12",
      [](NgBuilder& ng) {
        const std::size_t at = ng.block(0x80000000, {});
        put_u32(ng.bytes(), at + 4, 8);
        return at;
      },
      "corrupt block (total length 8 is not a multiple of 4 of at least 12)");
  expect_fault(
      "length past the end",
      [](NgBuilder& ng) {
        const std::size_t at = ng.epb(0, 2, kFrame, 7);
        put_u32(ng.bytes(), at + 4, 44);
        return at;
      },
      "truncated enhanced packet block (total length says 44 bytes, 40 remain)");
  expect_fault(
      "stray bytes",
      [](NgBuilder& ng) {
        const std::size_t at = ng.bytes().size();
        ng.bytes().insert(ng.bytes().end(), {6, 0, 0});
        return at;
      },
      "truncated block header (8 bytes needed, 3 remain)");
  expect_fault(
      "interface out of range", [](NgBuilder& ng) { return ng.epb(1, 2, kFrame, 7); },
      "enhanced packet block names interface 1 but the section has 1");
  expect_fault(
      "obsolete block interface out of range",
      [](NgBuilder& ng) { return ng.obsolete_pb(9, 2, kFrame, 7); },
      "packet block names interface 9 but the section has 1");
  expect_fault(
      "captured length past the block", [](NgBuilder& ng) { return ng.epb(0, 2, kFrame, 7, 9); },
      "corrupt enhanced packet block (captured length 9 does not fit the total length 40)");
  expect_fault(
      "captured length absurd", [](NgBuilder& ng) { return ng.epb(0, 2, kFrame, 7, 300'000); },
      "corrupt enhanced packet block (captured length 300000 exceeds the 262144 byte maximum)");
  expect_fault(
      "enhanced packet block too short",
      [](NgBuilder& ng) {
        const std::uint8_t body[8] = {};
        return ng.block(6, body);
      },
      "corrupt enhanced packet block (total length 20 is below 32)");
  expect_fault(
      "simple packet larger than its block", [](NgBuilder& ng) { return ng.spb(100, kFrame); },
      "corrupt simple packet block (captured length 100 does not fit the total length 24)");
  expect_fault(
      "section header with an unknown byte order",
      [](NgBuilder& ng) {
        const std::size_t at = ng.section(false);
        put_u32(ng.bytes(), at + 8, 0x12345678);
        return at;
      },
      "corrupt section header block (unknown byte-order magic)");
  expect_fault(
      "section header of version 2", [](NgBuilder& ng) { return ng.section(true, 2); },
      "unsupported pcapng version 2.0 (expected 1.0)");
}

TEST(PcapngFile, CorruptInterfaceOptionsAreErrors) {
  struct Case {
    const char* what;
    std::function<Bytes(const NgBuilder&)> options;
    std::size_t option_at;  // offset of the bad option in the options list
    const char* error;
  };
  const std::uint8_t two[2] = {6, 6};
  const std::uint8_t huge_decimal[1] = {20};
  const std::uint8_t huge_binary[1] = {0x80 | 64};
  const std::vector<Case> cases = {
      {"tsresol of two bytes", [&](const NgBuilder& ng) { return ng.option(9, two); }, 0,
       "corrupt if_tsresol option (length 2, expected 1)"},
      {"tsresol 10^-20", [&](const NgBuilder& ng) { return ng.option(9, huge_decimal); }, 0,
       "unsupported if_tsresol 10^-20 (finest is 10^-19)"},
      {"tsresol 2^-64", [&](const NgBuilder& ng) { return ng.option(9, huge_binary); }, 0,
       "unsupported if_tsresol 2^-64 (finest is 2^-63)"},
      {"tsoffset of two bytes", [&](const NgBuilder& ng) { return ng.option(14, two); }, 0,
       "corrupt if_tsoffset option (length 2, expected 8)"},
      {"tsresol twice",
       [&](const NgBuilder& ng) {
         Bytes o = tsresol(ng, 6);
         o.raw(tsresol(ng, 9).vec());
         return o;
       },
       8, "corrupt interface description block (option 9 appears twice)"},
      {"option past the block",
       [&](const NgBuilder&) {
         Bytes o(false);
         o.u16(2).u16(200).u32(0);
         return o;
       },
       0, "corrupt interface description block (option 2 of length 200 runs past the block)"},
  };
  for (const Case& c : cases) {
    NgBuilder ng;
    ng.section(false);
    ng.interface(1, 0);
    ng.epb(0, 1, kFrame, 7);
    const std::size_t at = ng.interface(1, 0, c.options(ng).vec());
    const Reading r = read_buffer(ng.bytes(), "t.pcapng");
    EXPECT_EQ(r.packets.size(), 1u) << c.what;
    EXPECT_EQ(r.error, fmt::format("t.pcapng: byte offset {}: {}", at + 16 + c.option_at, c.error))
        << c.what;
  }
}

TEST(PcapngFile, OptionsWithoutEndMarkerOrPaddingAreAccepted) {
  NgBuilder ng;
  ng.section(false);
  Bytes options(false);
  options.u16(2).u16(2).u8('l').u8('o');  // if_name "lo", no padding, no opt_endofopt
  ng.interface(1, 0, options.vec());
  ng.epb(0, 1, kFrame, 7);
  const Reading r = read_buffer(ng.bytes(), "t.pcapng");
  EXPECT_FALSE(r.failed) << r.error;
  EXPECT_EQ(r.packets.size(), 1u);
}

TEST(PcapngFile, PacketsBeforeAnyInterfaceAreErrors) {
  NgBuilder ng;
  ng.section(false);
  const std::size_t at = ng.spb(7, kFrame);
  const Reading r = read_buffer(ng.bytes(), "t.pcapng");
  EXPECT_TRUE(r.packets.empty());
  EXPECT_EQ(r.error, fmt::format("t.pcapng: byte offset {}: simple packet block before any "
                                 "interface description block",
                                 at));
}

TEST(PcapngFile, BadFirstSectionHeaderFailsToOpen) {
  NgBuilder ng;
  ng.section(false);
  std::vector<std::uint8_t> bytes = ng.bytes();
  bytes[8] = 0;  // byte-order magic
  auto source = open_capture_buffer(bytes, "t.pcapng");
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message,
            "t.pcapng: byte offset 0: corrupt section header block (unknown byte-order magic)");
  bytes.resize(10);
  source = open_capture_buffer(bytes, "t.pcapng");
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message,
            "t.pcapng: byte offset 0: truncated section header block (12 bytes needed, 10 "
            "remain)");
}

// mixed.pcapng.expected lists per packet: ts_ns wire captured link_type source index. Each
// source is a classic pcap fixture that the libpcap comparison test checks separately.
TEST(PcapngFile, MixedFixtureMatchesItsGeneratorListing) {
  const Reading mixed = read_mamori(fixture("mixed.pcapng"));
  ASSERT_FALSE(mixed.failed) << mixed.error;
  std::ifstream listing(fixture("mixed.pcapng.expected"));
  std::map<std::string, Reading> sources;
  std::string line;
  std::size_t index = 0;
  while (std::getline(listing, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::int64_t ts;
    std::uint32_t wire, captured, link;
    std::string source;
    std::size_t source_index;
    ASSERT_TRUE(fields >> ts >> wire >> captured >> link >> source >> source_index) << line;
    if (!sources.contains(source)) sources[source] = read_mamori(fixture(source));
    const Packet& original = sources[source].packets.at(source_index);
    ASSERT_LT(index, mixed.packets.size());
    const Packet& got = mixed.packets[index];
    EXPECT_EQ(got.timestamp, ts) << line;
    EXPECT_EQ(got.wire_length, wire) << line;
    EXPECT_EQ(got.link_type, link) << line;
    ASSERT_EQ(got.data.size(), captured) << line;
    EXPECT_TRUE(std::equal(got.data.begin(), got.data.end(), original.data.begin())) << line;
    ++index;
  }
  EXPECT_EQ(index, mixed.packets.size());
  EXPECT_GE(index, 30u);
}

TEST(PcapngFile, EditcapConversionsReadLikeTheirClassicSources) {
  EXPECT_EQ(read_mamori(fixture("lo_eth_us.pcapng")).packets,
            read_mamori(fixture("lo_eth_us.pcap")).packets);
  EXPECT_EQ(read_mamori(fixture("lo_eth_ns.pcapng")).packets,
            read_mamori(fixture("lo_eth_ns.pcap")).packets);
  EXPECT_EQ(read_mamori(fixture("any_sll2_us.pcapng")).packets,
            read_mamori(fixture("any_sll2_us.pcap")).packets);
  EXPECT_EQ(read_mamori(fixture("lo_eth_be.pcapng")).packets,
            read_mamori(fixture("lo_eth_us.pcap")).packets);
}

}  // namespace
}  // namespace mamori::capture::testing
