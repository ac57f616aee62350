// Reading a large mapped capture keeps resident memory bounded: pages far behind the read
// position are dropped, and every packet is still read intact.

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "mamori/capture/capture_file.h"
#include "mamori/capture/pcap_writer.h"

namespace mamori::capture {
namespace {

std::size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

TEST(ResidentMemory, LargeCaptureIsReadInABoundedWindow) {
  const std::string path = ::testing::TempDir() + "/resident-" + std::to_string(getpid()) + ".pcap";
  constexpr std::size_t kPackets = 220'000;  // ~330 MB of 1500-byte frames
  {
    auto writer = PcapWriter::create(path, LinkType::ethernet);
    ASSERT_TRUE(writer) << writer.error().message;
    std::vector<std::uint8_t> frame(1500);
    for (std::size_t i = 0; i < kPackets; ++i) {
      frame[0] = static_cast<std::uint8_t>(i);
      frame[1499] = static_cast<std::uint8_t>(i >> 8);
      ASSERT_TRUE(writer->write(Timestamp::from_seconds(static_cast<std::int64_t>(i)), frame));
    }
    ASSERT_TRUE(writer->close());
  }
  const std::size_t before = resident_kib();
  auto source = open_capture_file(path);
  ASSERT_TRUE(source) << source.error().message;
  RawPacket packet;
  std::size_t count = 0, peak = 0;
  while ((*source)->next(packet) == NextStatus::packet) {
    ASSERT_EQ(packet.data[0], static_cast<std::uint8_t>(count));
    ASSERT_EQ(packet.data[1499], static_cast<std::uint8_t>(count >> 8));
    if (++count % 10'000 == 0) peak = std::max(peak, resident_kib());
  }
  EXPECT_EQ(count, kPackets);
  // The reader keeps at most ~68 MiB of the ~330 MB file mapped in; half the file leaves room
  // for a sanitizer's shadow memory while still failing if pages are never released.
  const std::size_t file_kib = kPackets * (1500 + 16) / 1024;
  EXPECT_LT(peak - before, file_kib / 2) << "resident grew by " << (peak - before) / 1024 << " MiB";
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mamori::capture
