#pragma once
// capture/pcapng_file_source: reads pcapng (draft-ietf-opsawg-pcapng) from bytes in memory.
//
// Blocks read: Section Header (each section has its own byte order and its own interfaces),
// Interface Description (link type, snaplen, if_tsresol incl. 2^-n, if_tsoffset), Enhanced
// Packet, Simple Packet and the obsolete Packet Block. Every other block type (name
// resolution, statistics, decryption secrets, custom, ...) is skipped by its length.
//
// Checked for every block: both copies of the total length agree, it is a multiple of 4 and
// at least the block's fixed size, the block fits the file, a packet's interface exists and
// its captured length fits the block (and kMaxCaptureLength). A failure stops reading with an
// error naming the offending block's offset; every packet before it was returned.
//
// Choices where the format leaves room:
// - Simple Packet Blocks carry no timestamp: they get the timestamp of the previous packet in
//   the file (0 before the first), so time never runs backwards for flow timeouts.
// - Interfaces whose link type mamori does not decode are accepted; their packets come out
//   with that link type and the decoder counts them (a file may mix link types).
// - An EPB captured length above the interface snaplen is accepted: the block length already
//   frames the packet. if_fcslen is ignored (its unit is disputed and no common tool writes it).
// - A wire length below the captured length is raised to it (data.size() <= wire_length).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mamori/capture/file_source.h"

namespace mamori::capture {

class PcapngFileSource final : public FileSource {
 public:
  // `bytes` starts with a Section Header Block; a corrupt or truncated one fails here.
  static Result<std::unique_ptr<PcapngFileSource>> open(std::span<const std::uint8_t> bytes,
                                                        std::string name, MappedFile storage);

  NextStatus next(RawPacket& out) override;

 private:
  // How an interface's timestamp units become nanoseconds.
  enum class TimeScale : std::uint8_t { multiply, divide, binary };
  struct Interface {
    LinkType link_type = LinkType::ethernet;
    std::uint32_t snaplen = 0;  // 0: no limit
    TimeScale scale = TimeScale::multiply;
    std::uint8_t binary_exponent = 0;  // binary: units are 2^-exponent s
    std::uint64_t factor = 1000;       // multiply/divide: nanoseconds per unit, or units per ns
    std::uint64_t offset_nanos = 0;    // if_tsoffset, wrapped to unsigned
  };
  struct Block {
    std::uint32_t type;
    std::uint32_t length;
    const std::uint8_t* body;  // after type and length
    bool swapped;              // byte order of this block (a section header sets its own)
  };

  using FileSource::FileSource;

  // The per-packet steps are forced inline (defined in the .cc, used only there): next() stays
  // the only call per packet.
  // Validates the block at pos_ (framing and, for a section header, its byte order).
  [[gnu::always_inline]] inline bool read_block_frame(Block& block);
  [[gnu::cold]] bool frame_error(const Block& block, std::size_t remaining);
  bool read_section_header(const Block& block);
  bool read_interface(const Block& block);
  bool read_interface_option(std::uint16_t code, std::uint16_t length, const std::uint8_t* value,
                             std::uint64_t option_offset, Interface& interface);
  [[gnu::always_inline]] inline NextStatus read_enhanced_packet(const Block& block, RawPacket& out);
  NextStatus read_simple_packet(const Block& block, RawPacket& out);
  NextStatus read_obsolete_packet(const Block& block, RawPacket& out);
  // Checks the captured length against the block and fills `out` (data after fixed fields).
  [[gnu::always_inline]] inline NextStatus emit(const Block& block, LinkType link_type,
                                                std::int64_t timestamp, std::uint32_t fixed_size,
                                                std::uint32_t captured, std::uint32_t wire,
                                                RawPacket& out);

  [[gnu::always_inline]] inline static std::int64_t to_nanos(const Interface& interface,
                                                             std::uint64_t units);

  bool swapped_ = false;
  std::vector<Interface> interfaces_;  // of the current section
  std::int64_t last_timestamp_ = 0;
};

}  // namespace mamori::capture
