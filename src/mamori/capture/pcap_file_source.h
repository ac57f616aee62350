#pragma once
// capture/pcap_file_source: reads classic pcap (magic a1b2c3d4 microseconds, a1b23c4d
// nanoseconds, either byte order) from bytes in memory. Format facts: draft-ietf-opsawg-pcap.
//
// Header: version 2.4 (2.3 and older are read with libpcap's caplen/len repair), snaplen 0 or
// above kMaxCaptureLength means kMaxCaptureLength (as in libpcap), the link type must be one
// mamori decodes. When the link-type field declares an FCS length (bit 26, length in bits
// 28-31 in 16-bit words) that FCS is cut from every packet and from its wire length, so
// packets look like captures without FCS.
// Records: a captured length above the snaplen (or above kMaxCaptureLength) is a corrupt
// record; one that runs past the end of the file is a truncated record. Both stop reading
// with an error naming the record's offset. A wire length below the captured length is raised
// to it, so data.size() <= wire_length always holds.

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mamori/capture/file_source.h"

namespace mamori::capture {

class PcapFileSource final : public FileSource {
 public:
  static constexpr std::size_t kFileHeaderSize = 24;
  static constexpr std::size_t kRecordHeaderSize = 16;

  // `bytes` starts with a pcap magic number (checked again here).
  static Result<std::unique_ptr<PcapFileSource>> open(std::span<const std::uint8_t> bytes,
                                                      std::string name, MappedFile storage);

  NextStatus next(RawPacket& out) override;

  LinkType link_type() const { return link_type_; }
  std::uint32_t snaplen() const { return snaplen_; }
  bool nanosecond() const { return fraction_to_nanos_ == 1; }

 private:
  // How the caplen and len fields are ordered (pcap before 2.3 wrote them the other way).
  enum class LengthOrder : std::uint8_t { normal, swapped, maybe_swapped };

  using FileSource::FileSource;
  NextStatus record_error(std::uint32_t captured, std::size_t remaining);

  bool swapped_ = false;
  LengthOrder length_order_ = LengthOrder::normal;
  LinkType link_type_ = LinkType::ethernet;
  std::uint32_t fraction_to_nanos_ = 1000;
  std::uint32_t snaplen_ = kMaxCaptureLength;
  std::uint32_t fcs_bytes_ = 0;
};

}  // namespace mamori::capture
