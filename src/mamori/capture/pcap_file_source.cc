#include "mamori/capture/pcap_file_source.h"

#include <algorithm>
#include <utility>

#include "mamori/capture/capture_file.h"

namespace mamori::capture {
namespace {

constexpr std::uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kMagicNano = 0xa1b23c4d;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// Upper bits of the link-type field (draft-ietf-opsawg-pcap §4): bit 26 says the FCS length
// is known, bits 28-31 give it in 16-bit words. Bits 16-25 are reserved and ignored.
constexpr std::uint32_t kFcsKnownBit = 0x0400'0000;
constexpr std::uint32_t link_type_of(std::uint32_t field) { return field & 0xffff; }
constexpr std::uint32_t fcs_bytes_of(std::uint32_t field) {
  return (field & kFcsKnownBit) ? ((field >> 28) & 0xf) * 2 : 0;
}

}  // namespace

Result<std::unique_ptr<PcapFileSource>> PcapFileSource::open(std::span<const std::uint8_t> bytes,
                                                             std::string name, MappedFile storage) {
  if (bytes.size() < kFileHeaderSize) {
    return fail(offset_error(name, 0, "truncated pcap file header ({} bytes needed, {} present)",
                             kFileHeaderSize, bytes.size()));
  }
  std::unique_ptr<PcapFileSource> source(
      new PcapFileSource(bytes, std::move(name), std::move(storage)));
  const std::uint8_t* header = bytes.data();
  const std::uint32_t magic = load_u32(header, false);
  if (magic == kMagicMicro || magic == kMagicNano) {
    source->swapped_ = false;
  } else if (magic == std::byteswap(kMagicMicro) || magic == std::byteswap(kMagicNano)) {
    source->swapped_ = true;
  } else {
    return fail(offset_error(source->name_, 0, "not a pcap file (unknown magic number)"));
  }
  const bool swapped = source->swapped_;
  source->fraction_to_nanos_ = load_u32(header, swapped) == kMagicNano ? 1 : 1000;

  const std::uint16_t major = load_u16(header + 4, swapped);
  const std::uint16_t minor = load_u16(header + 6, swapped);
  if (major != 2) {
    return fail(offset_error(source->name_, 4, "unsupported pcap version {}.{} (expected 2.4)",
                             major, minor));
  }
  source->length_order_ = minor < 3    ? LengthOrder::swapped
                          : minor == 3 ? LengthOrder::maybe_swapped
                                       : LengthOrder::normal;

  const std::uint32_t snaplen = load_u32(header + 16, swapped);
  source->snaplen_ = (snaplen == 0 || snaplen > kMaxCaptureLength) ? kMaxCaptureLength : snaplen;

  const std::uint32_t link_field = load_u32(header + 20, swapped);
  const std::uint32_t link_type = link_type_of(link_field);
  if (!is_supported_link_type(link_type)) {
    return fail(offset_error(source->name_, 20,
                             "unsupported link type {} (mamori reads Ethernet 1, raw IP 101, "
                             "IPv4 228, IPv6 229, Linux SLL 113 and SLL2 276)",
                             link_type));
  }
  source->link_type_ = static_cast<LinkType>(link_type);
  source->fcs_bytes_ = fcs_bytes_of(link_field);
  source->pos_ = kFileHeaderSize;
  return source;
}

NextStatus PcapFileSource::next(RawPacket& out) {
  if (state_ != State::reading) [[unlikely]] {
    return stopped();
  }
  const std::size_t remaining = bytes_.size() - pos_;
  if (remaining < kRecordHeaderSize) [[unlikely]] {
    if (remaining == 0) return finish();
    return fail_at(pos_, "truncated packet record header ({} bytes needed, {} remain)",
                   kRecordHeaderSize, remaining);
  }
  prefetch_ahead();
  release_behind();
  const std::uint8_t* record = bytes_.data() + pos_;
  const std::uint32_t seconds = load_u32(record, swapped_);
  const std::uint32_t fraction = load_u32(record + 4, swapped_);
  std::uint32_t captured = load_u32(record + 8, swapped_);
  std::uint32_t wire = load_u32(record + 12, swapped_);
  if (length_order_ != LengthOrder::normal) [[unlikely]] {
    if (length_order_ == LengthOrder::swapped || captured > wire) std::swap(captured, wire);
  }
  if (captured > snaplen_ || captured > remaining - kRecordHeaderSize) [[unlikely]] {
    return record_error(captured, remaining);
  }
  if (wire < captured) [[unlikely]] {
    wire = captured;
  }
  std::uint32_t kept = captured;
  if (fcs_bytes_ != 0) [[unlikely]] {
    wire = wire >= fcs_bytes_ ? wire - fcs_bytes_ : 0;
    kept = std::min(kept, wire);
  }
  // Seconds are unsigned (good until 2106); a fraction out of range is passed on as libpcap
  // does, it cannot overflow: 2^32 * 10^9 + 2^32 * 10^3 < 2^63.
  out.timestamp.nanos = static_cast<std::int64_t>(seconds) * kNanosPerSecond +
                        static_cast<std::int64_t>(fraction) * fraction_to_nanos_;
  out.wire_length = wire;
  out.link_type = link_type_;
  out.data = {record + kRecordHeaderSize, kept};
  out.stable = true;  // a span of the mapping or of the caller's buffer
  pos_ += kRecordHeaderSize + captured;
  return NextStatus::packet;
}

NextStatus PcapFileSource::record_error(std::uint32_t captured, std::size_t remaining) {
  if (captured > kMaxCaptureLength) {
    return fail_at(pos_, "corrupt packet record (captured length {} exceeds the {} byte maximum)",
                   captured, kMaxCaptureLength);
  }
  if (captured > snaplen_) {
    return fail_at(pos_, "corrupt packet record (captured length {} exceeds the snaplen {})",
                   captured, snaplen_);
  }
  return fail_at(pos_, "truncated packet record (header says {} bytes, {} remain)", captured,
                 remaining - kRecordHeaderSize);
}

}  // namespace mamori::capture
