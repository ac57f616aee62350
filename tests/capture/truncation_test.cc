// Hostile and damaged files: every prefix of small files, canary payloads in error paths,
// and files that cannot be opened at all.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cstring>

#include "capture_test_util.h"
#include "mamori/capture/mapped_file.h"

namespace mamori::capture::testing {
namespace {

// Where each block or record of a file ends, and whether it carries a packet. Walked here
// independently of the readers under test: classic pcap records are 16 bytes + caplen,
// pcapng blocks carry their total length (byte order from the section's byte-order magic).
struct Boundary {
  std::size_t end;
  bool packet;
};

std::uint32_t read_u32(const std::vector<std::uint8_t>& bytes, std::size_t at, bool big) {
  std::uint32_t v;
  std::memcpy(&v, bytes.data() + at, 4);
  return big == (std::endian::native == std::endian::big) ? v : std::byteswap(v);
}

std::vector<Boundary> walk(const std::vector<std::uint8_t>& bytes) {
  std::vector<Boundary> out;
  if (read_u32(bytes, 0, false) == 0x0a0d0d0a) {
    bool big = false;
    for (std::size_t at = 0; at < bytes.size();) {
      const std::uint32_t type = read_u32(bytes, at, big);
      if (type == 0x0a0d0d0a) big = read_u32(bytes, at + 8, true) == 0x1a2b3c4d;
      at += read_u32(bytes, at + 4, big);
      out.push_back({at, type == 2 || type == 3 || type == 6});
    }
  } else {
    const bool big =
        read_u32(bytes, 0, true) == 0xa1b2c3d4 || read_u32(bytes, 0, true) == 0xa1b23c4d;
    out.push_back({24, false});
    for (std::size_t at = 24; at < bytes.size();) {
      at += 16 + read_u32(bytes, at + 8, big);
      out.push_back({at, true});
    }
  }
  return out;
}

// Cuts the file at every length from 0 to its size. Each cut is copied into a buffer of
// exactly that size, so a read past the cut is a heap overflow the sanitizer build catches.
void check_every_prefix(const std::string& name) {
  SCOPED_TRACE(name);
  const std::vector<std::uint8_t> whole = load_file(fixture(name));
  const Reading full = read_buffer(whole, name);
  ASSERT_FALSE(full.failed) << full.error;
  ASSERT_GE(full.packets.size(), 10u);
  const std::vector<Boundary> boundaries = walk(whole);
  ASSERT_EQ(boundaries.back().end, whole.size());

  for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
    std::vector<std::uint8_t> prefix(whole.begin(), whole.begin() + static_cast<long>(cut));
    const Reading r = read_buffer(prefix, name);
    std::size_t packets = 0, last_boundary = 0;
    bool on_boundary = false;
    for (const Boundary& b : boundaries) {
      if (b.end > cut) break;
      packets += b.packet;
      last_boundary = b.end;
      on_boundary = b.end == cut;
    }
    ASSERT_EQ(r.packets.size(), packets) << "cut " << cut;
    ASSERT_TRUE(std::equal(r.packets.begin(), r.packets.end(), full.packets.begin()))
        << "cut " << cut;
    ASSERT_EQ(r.failed, !on_boundary) << "cut " << cut << ": " << r.error;
    if (!r.failed) continue;
    if (cut >= 4) {
      // The error names the block or record that the cut went through.
      ASSERT_NE(r.error.find(fmt::format("{}: byte offset {}: ", name, last_boundary)),
                std::string::npos)
          << "cut " << cut << ": " << r.error;
    } else {
      ASSERT_EQ(r.error.rfind(name + ": ", 0), 0u) << r.error;
    }
  }
}

TEST(Truncation, EveryPrefixOfAClassicPcap) { check_every_prefix("lo_eth_us.pcap"); }
TEST(Truncation, EveryPrefixOfABigEndianNanosecondPcap) { check_every_prefix("lo_eth_ns_be.pcap"); }
TEST(Truncation, EveryPrefixOfAPcapng) { check_every_prefix("lo_eth_us.pcapng"); }
TEST(Truncation, EveryPrefixOfAMultiSectionPcapng) { check_every_prefix("mixed.pcapng"); }

TEST(Truncation, TruncatedFileOnDiskKeepsPacketsBeforeTheFault) {
  TempDir dir;
  const std::vector<std::uint8_t> whole = load_file(fixture("lo_eth_us.pcap"));
  const std::vector<Boundary> boundaries = walk(whole);
  const std::size_t cut = boundaries[10].end + 7;  // 9 whole records, then 7 stray bytes
  save_file(dir.file("cut.pcap"), std::span(whole).first(cut));
  const Reading r = read_mamori(dir.file("cut.pcap"));
  EXPECT_EQ(r.packets.size(), 10u);
  EXPECT_EQ(r.error, fmt::format("{}: byte offset {}: truncated packet record header (16 bytes "
                                 "needed, 7 remain)",
                                 dir.file("cut.pcap"), boundaries[10].end));
}

// I1: error texts carry lengths, offsets and field values, never the bytes of a packet. The
// packets here hold a canary; the file is then damaged in every field a reader looks at.
TEST(Invariant_I1, CaptureErrorsNeverContainPacketBytes) {
  const std::string canary = "CANARY-SECRET-PAYLOAD";
  std::vector<std::uint8_t> payload(canary.begin(), canary.end());
  std::string canary_hex;
  for (const std::uint8_t byte : payload) canary_hex += fmt::format("{:02x}", byte);

  std::vector<std::vector<std::uint8_t>> files;
  {
    Bytes pcap(false);
    pcap.u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
    for (int i = 0; i < 3; ++i)
      pcap.u32(1).u32(2).u32(static_cast<std::uint32_t>(payload.size())).u32(64).raw(payload);
    files.push_back(pcap.vec());
    NgBuilder ng;
    ng.section(false);
    ng.interface(1, 0);
    for (int i = 0; i < 3; ++i) ng.epb(0, 1, payload, 64);
    ng.spb(64, payload);
    files.push_back(ng.bytes());
  }
  std::size_t errors = 0;
  for (const auto& file : files) {
    for (std::size_t at = 0; at < file.size(); ++at) {
      for (const std::uint8_t value :
           {std::uint8_t{0x00}, std::uint8_t{0xff}, std::uint8_t{0x43}}) {
        std::vector<std::uint8_t> damaged = file;
        damaged[at] = value;
        for (const std::size_t cut : {damaged.size(), at + 1}) {
          const Reading r = read_buffer(std::span(damaged).first(cut), "f");
          if (!r.failed) continue;
          ++errors;
          ASSERT_EQ(r.error.find("CANARY"), std::string::npos) << r.error;
          ASSERT_EQ(r.error.find(canary_hex.substr(0, 8)), std::string::npos) << r.error;
        }
      }
    }
  }
  EXPECT_GT(errors, 100u);  // the damage really did produce errors to inspect
}

TEST(OpenErrors, MissingFile) {
  auto source = open_capture_file("/nonexistent/mamori/x.pcap");
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message,
            "/nonexistent/mamori/x.pcap: cannot open: No such file or directory");
}

TEST(OpenErrors, EmptyFile) {
  TempDir dir;
  save_file(dir.file("empty.pcap"), {});
  auto source = open_capture_file(dir.file("empty.pcap"));
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message,
            dir.file("empty.pcap") + ": file is empty (0 bytes), not a capture file");
  auto mapped = MappedFile::open(dir.file("empty.pcap"));
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->bytes().empty());
}

TEST(OpenErrors, DirectoryAndFifo) {
  TempDir dir;
  const std::string folder = dir.file("");
  auto source = open_capture_file(folder);
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message, folder + ": is a directory, not a capture file");

  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // O_RDONLY on a FIFO blocks until a writer appears; the reader must refuse it before
  // reading, so open it only when a writer end exists.
  const int writer = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(writer, 0);
  source = open_capture_file(fifo);
  ::close(writer);
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message,
            fifo + ": not a regular file (pipes and devices cannot be memory-mapped)");
}

TEST(OpenErrors, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
  TempDir dir;
  save_file(dir.file("secret.pcap"), load_file(fixture("lo_eth_us.pcap")));
  ASSERT_EQ(::chmod(dir.file("secret.pcap").c_str(), 0), 0);
  auto source = open_capture_file(dir.file("secret.pcap"));
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message, dir.file("secret.pcap") + ": cannot open: Permission denied");
}

TEST(MappedFile, MovesKeepTheMappingAlive) {
  auto mapped = MappedFile::open(fixture("lo_eth_us.pcap"));
  ASSERT_TRUE(mapped) << mapped.error().message;
  const std::span<const std::uint8_t> before = mapped->bytes();
  MappedFile moved = std::move(*mapped);
  EXPECT_EQ(moved.bytes().data(), before.data());
  EXPECT_EQ(moved.size(), load_file(fixture("lo_eth_us.pcap")).size());
  EXPECT_EQ(moved.bytes()[0], 0xd4);  // little-endian microsecond magic
  MappedFile assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.bytes().data(), before.data());
  EXPECT_TRUE(moved.bytes().empty());  // NOLINT(bugprone-use-after-move): documented state
}

}  // namespace
}  // namespace mamori::capture::testing
