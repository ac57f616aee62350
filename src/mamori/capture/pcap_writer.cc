#include "mamori/capture/pcap_writer.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace mamori::capture {
namespace {

constexpr std::uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kMagicNano = 0xa1b23c4d;

// Host (little-endian) order, as pcap allows.
void put_u32(std::uint8_t* out, std::uint32_t value) { std::memcpy(out, &value, 4); }

}  // namespace

Result<PcapWriter> PcapWriter::create(const std::string& path, LinkType link_type,
                                      TimestampPrecision precision, std::uint32_t snaplen) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) return fail("{}: cannot create: {}", path, std::strerror(errno));
  std::array<std::uint8_t, 24> header{};
  put_u32(header.data(), precision == TimestampPrecision::nano ? kMagicNano : kMagicMicro);
  const std::uint16_t version_major = 2, version_minor = 4;
  std::memcpy(header.data() + 4, &version_major, 2);
  std::memcpy(header.data() + 6, &version_minor, 2);
  put_u32(header.data() + 16, snaplen);
  put_u32(header.data() + 20, static_cast<std::uint32_t>(link_type));
  PcapWriter writer(file, path, precision, snaplen);
  if (std::fwrite(header.data(), 1, header.size(), file) != header.size()) {
    return fail("{}: write failed: {}", path, std::strerror(errno));
  }
  return writer;
}

Result<void> PcapWriter::write(Timestamp timestamp, std::span<const std::uint8_t> frame,
                               std::uint32_t wire_length) {
  if (!file_) return fail("{}: writer is closed", path_);
  const auto captured = static_cast<std::uint32_t>(std::min<std::size_t>(frame.size(), snaplen_));
  std::array<std::uint8_t, 16> header{};
  // pcap seconds are unsigned 32-bit: a negative time would write a negative fraction.
  const std::int64_t seconds = timestamp.nanos / 1'000'000'000;
  std::int64_t fraction = timestamp.nanos % 1'000'000'000;
  if (timestamp.nanos < 0 || seconds > std::int64_t{UINT32_MAX}) {
    return fail("{}: packet {}: timestamp {} ns is outside the pcap range (1970 to 2106)", path_,
                packets_ + 1, timestamp.nanos);
  }
  if (precision_ == TimestampPrecision::micro) fraction /= 1000;
  put_u32(header.data(), static_cast<std::uint32_t>(seconds));
  put_u32(header.data() + 4, static_cast<std::uint32_t>(fraction));
  put_u32(header.data() + 8, captured);
  put_u32(header.data() + 12, wire_length ? wire_length : static_cast<std::uint32_t>(frame.size()));
  if (std::fwrite(header.data(), 1, header.size(), file_.get()) != header.size() ||
      std::fwrite(frame.data(), 1, captured, file_.get()) != captured) {
    return fail("{}: write failed after {} packets: {}", path_, packets_, std::strerror(errno));
  }
  ++packets_;
  bytes_ += captured;
  return {};
}

Result<void> PcapWriter::close() {
  std::FILE* file = file_.release();
  if (!file) return {};
  if (std::fclose(file) != 0) return fail("{}: close failed: {}", path_, std::strerror(errno));
  return {};
}

}  // namespace mamori::capture
