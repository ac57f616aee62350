#include "mamori/capture/pcapng_file_source.h"

#include <algorithm>
#include <bit>
#include <string_view>
#include <utility>

namespace mamori::capture {
namespace {

// Block types (draft-ietf-opsawg-pcapng §4, §11.1).
constexpr std::uint32_t kSectionHeader = 0x0a0d0d0a;  // the same in both byte orders
constexpr std::uint32_t kInterfaceDescription = 1;
constexpr std::uint32_t kObsoletePacket = 2;
constexpr std::uint32_t kSimplePacket = 3;
constexpr std::uint32_t kEnhancedPacket = 6;
constexpr std::uint32_t kByteOrderMagic = 0x1a2b3c4d;

// Smallest total length of each block: header, fixed fields, trailing length.
constexpr std::uint32_t kMinBlock = 12;
constexpr std::uint32_t kMinSectionHeader = 28;
constexpr std::uint32_t kMinInterface = 20;
constexpr std::uint32_t kMinEnhancedPacket = 32;
constexpr std::uint32_t kMinObsoletePacket = 32;
constexpr std::uint32_t kMinSimplePacket = 16;

// Interface Description Block options (§4.2).
constexpr std::uint16_t kOptEnd = 0;
constexpr std::uint16_t kOptTsResol = 9;
constexpr std::uint16_t kOptTsOffset = 14;

constexpr std::uint64_t kNanosPerSecond = 1'000'000'000;

// Only for 2^-n resolutions, where frac * 10^9 needs more than 64 bits before the shift.
__extension__ typedef unsigned __int128 Uint128;

std::string_view block_name(std::uint32_t type) {
  switch (type) {
    case kSectionHeader:
      return "section header block";
    case kInterfaceDescription:
      return "interface description block";
    case kObsoletePacket:
      return "packet block";
    case kSimplePacket:
      return "simple packet block";
    case kEnhancedPacket:
      return "enhanced packet block";
    default:
      return "block";
  }
}

constexpr std::uint64_t power_of_ten(unsigned exponent) {
  std::uint64_t value = 1;
  for (unsigned i = 0; i < exponent; ++i) value *= 10;
  return value;
}

}  // namespace

Result<std::unique_ptr<PcapngFileSource>> PcapngFileSource::open(
    std::span<const std::uint8_t> bytes, std::string name, MappedFile storage) {
  std::unique_ptr<PcapngFileSource> source(
      new PcapngFileSource(bytes, std::move(name), std::move(storage)));
  if (bytes.size() < 4 || load_u32(bytes.data(), false) != kSectionHeader) {
    return fail(offset_error(source->name_, 0, "not a pcapng file (no section header block)"));
  }
  Block block{};
  if (!source->read_block_frame(block) || !source->read_section_header(block)) {
    return fail(source->error_);
  }
  source->pos_ += block.length;
  return source;
}

NextStatus PcapngFileSource::next(RawPacket& out) {
  if (state_ != State::reading) [[unlikely]] {
    return stopped();
  }
  for (;;) {
    if (pos_ == bytes_.size()) return finish();
    prefetch_ahead();
    release_behind();
    Block block{};
    if (!read_block_frame(block)) [[unlikely]] {
      return NextStatus::error;
    }
    switch (block.type) {
      case kEnhancedPacket:
        return read_enhanced_packet(block, out);
      case kSimplePacket:
        return read_simple_packet(block, out);
      case kObsoletePacket:
        return read_obsolete_packet(block, out);
      case kInterfaceDescription:
        if (!read_interface(block)) return NextStatus::error;
        break;
      case kSectionHeader:
        if (!read_section_header(block)) return NextStatus::error;
        break;
      default:
        break;  // statistics, name resolution, secrets, custom: not ours to read
    }
    pos_ += block.length;
  }
}

bool PcapngFileSource::read_block_frame(Block& block) {
  const std::size_t remaining = bytes_.size() - pos_;
  if (remaining < 8) [[unlikely]] {
    fail_at(pos_, "truncated block header (8 bytes needed, {} remain)", remaining);
    return false;
  }
  const std::uint8_t* start = bytes_.data() + pos_;
  block.type = load_u32(start, swapped_);
  block.swapped = swapped_;
  if (block.type == kSectionHeader) [[unlikely]] {  // a new section may change the byte order
    if (remaining < 12) {
      fail_at(pos_, "truncated section header block (12 bytes needed, {} remain)", remaining);
      return false;
    }
    const std::uint32_t magic = load_u32(start + 8, false);
    if (magic != kByteOrderMagic && magic != std::byteswap(kByteOrderMagic)) {
      fail_at(pos_, "corrupt section header block (unknown byte-order magic)");
      return false;
    }
    block.swapped = magic != kByteOrderMagic;
  }
  block.length = load_u32(start + 4, block.swapped);
  block.body = start + 8;
  if (block.length < kMinBlock || block.length % 4 != 0 || block.length > remaining ||
      load_u32(start + block.length - 4, block.swapped) != block.length) [[unlikely]] {
    return frame_error(block, remaining);
  }
  return true;
}

bool PcapngFileSource::frame_error(const Block& block, std::size_t remaining) {
  const std::string_view name = block_name(block.type);
  if (block.length < kMinBlock || block.length % 4 != 0) {
    fail_at(pos_, "corrupt {} (total length {} is not a multiple of 4 of at least {})", name,
            block.length, kMinBlock);
  } else if (block.length > remaining) {
    fail_at(pos_, "truncated {} (total length says {} bytes, {} remain)", name, block.length,
            remaining);
  } else {
    fail_at(pos_, "corrupt {} (total length {} at the start but {} at the end)", name, block.length,
            load_u32(block.body + block.length - 12, block.swapped));
  }
  return false;
}

bool PcapngFileSource::read_section_header(const Block& block) {
  if (block.length < kMinSectionHeader) {
    fail_at(pos_, "corrupt section header block (total length {} is below the {} byte minimum)",
            block.length, kMinSectionHeader);
    return false;
  }
  const std::uint16_t major = load_u16(block.body + 4, block.swapped);
  const std::uint16_t minor = load_u16(block.body + 6, block.swapped);
  if (major != 1) {
    fail_at(pos_, "unsupported pcapng version {}.{} (expected 1.0)", major, minor);
    return false;
  }
  // The section length (body + 8) may be -1 and is not needed: blocks are walked one by one.
  swapped_ = block.swapped;
  interfaces_.clear();
  return true;
}

bool PcapngFileSource::read_interface(const Block& block) {
  if (block.length < kMinInterface) {
    fail_at(pos_, "corrupt interface description block (total length {} is below {})", block.length,
            kMinInterface);
    return false;
  }
  Interface interface;
  interface.link_type = static_cast<LinkType>(load_u16(block.body, swapped_));
  interface.snaplen = load_u32(block.body + 4, swapped_);

  const std::uint8_t* option = block.body + 8;
  const std::uint8_t* const end = bytes_.data() + pos_ + block.length - 4;
  bool seen_resolution = false, seen_offset = false;
  while (end - option >= 4) {
    const std::uint64_t option_offset = static_cast<std::uint64_t>(option - bytes_.data());
    const std::uint16_t code = load_u16(option, swapped_);
    const std::uint16_t length = load_u16(option + 2, swapped_);
    option += 4;
    if (code == kOptEnd) break;
    if (length > end - option) {
      fail_at(option_offset,
              "corrupt interface description block (option {} of length {} "
              "runs past the block)",
              code, length);
      return false;
    }
    if (code == kOptTsResol || code == kOptTsOffset) {
      bool& seen = code == kOptTsResol ? seen_resolution : seen_offset;
      if (seen) {
        fail_at(option_offset, "corrupt interface description block (option {} appears twice)",
                code);
        return false;
      }
      seen = true;
    }
    if (!read_interface_option(code, length, option, option_offset, interface)) return false;
    // Values are padded to 4 bytes; a last option may omit its padding.
    option += std::min<std::ptrdiff_t>((length + 3u) & ~3u, end - option);
  }
  interfaces_.push_back(interface);
  return true;
}

bool PcapngFileSource::read_interface_option(std::uint16_t code, std::uint16_t length,
                                             const std::uint8_t* value, std::uint64_t option_offset,
                                             Interface& interface) {
  if (code == kOptTsResol) {
    if (length != 1) {
      fail_at(option_offset, "corrupt if_tsresol option (length {}, expected 1)", length);
      return false;
    }
    const unsigned exponent = *value & 0x7fu;
    if (*value & 0x80u) {  // 2^-exponent seconds
      if (exponent > 63) {
        fail_at(option_offset, "unsupported if_tsresol 2^-{} (finest is 2^-63)", exponent);
        return false;
      }
      interface.scale = TimeScale::binary;
      interface.binary_exponent = static_cast<std::uint8_t>(exponent);
    } else if (exponent <= 9) {  // 10^-exponent seconds: whole nanoseconds per unit
      interface.scale = TimeScale::multiply;
      interface.factor = power_of_ten(9 - exponent);
    } else if (exponent <= 19) {  // finer than 1 ns: several units per nanosecond
      interface.scale = TimeScale::divide;
      interface.factor = power_of_ten(exponent - 9);
    } else {
      fail_at(option_offset, "unsupported if_tsresol 10^-{} (finest is 10^-19)", exponent);
      return false;
    }
  } else if (code == kOptTsOffset) {
    if (length != 8) {
      fail_at(option_offset, "corrupt if_tsoffset option (length {}, expected 8)", length);
      return false;
    }
    interface.offset_nanos = load_u64(value, swapped_) * kNanosPerSecond;  // wraps, never UB
  }
  return true;
}

std::int64_t PcapngFileSource::to_nanos(const Interface& interface, std::uint64_t units) {
  // Unsigned arithmetic: absurd values wrap (defined) instead of overflowing (undefined).
  std::uint64_t nanos;
  switch (interface.scale) {
    case TimeScale::multiply:
      nanos = units * interface.factor;
      break;
    case TimeScale::divide:
      nanos = units / interface.factor;
      break;
    case TimeScale::binary: {
      const unsigned exponent = interface.binary_exponent;
      const std::uint64_t fraction = units & ((std::uint64_t{1} << exponent) - 1);
      nanos = (units >> exponent) * kNanosPerSecond +
              static_cast<std::uint64_t>((Uint128{fraction} * kNanosPerSecond) >> exponent);
      break;
    }
    default:
      nanos = 0;
      break;
  }
  return static_cast<std::int64_t>(nanos + interface.offset_nanos);
}

NextStatus PcapngFileSource::read_enhanced_packet(const Block& block, RawPacket& out) {
  if (block.length < kMinEnhancedPacket) [[unlikely]] {
    return fail_at(pos_, "corrupt enhanced packet block (total length {} is below {})",
                   block.length, kMinEnhancedPacket);
  }
  const std::uint8_t* body = block.body;
  const std::uint32_t interface_id = load_u32(body, swapped_);
  if (interface_id >= interfaces_.size()) [[unlikely]] {
    return fail_at(pos_, "enhanced packet block names interface {} but the section has {}",
                   interface_id, interfaces_.size());
  }
  const Interface& interface = interfaces_[interface_id];
  const std::uint64_t units =
      (std::uint64_t{load_u32(body + 4, swapped_)} << 32) | load_u32(body + 8, swapped_);
  return emit(block, interface.link_type, to_nanos(interface, units), kMinEnhancedPacket,
              load_u32(body + 12, swapped_), load_u32(body + 16, swapped_), out);
}

NextStatus PcapngFileSource::read_obsolete_packet(const Block& block, RawPacket& out) {
  if (block.length < kMinObsoletePacket) [[unlikely]] {
    return fail_at(pos_, "corrupt packet block (total length {} is below {})", block.length,
                   kMinObsoletePacket);
  }
  const std::uint8_t* body = block.body;
  const std::uint16_t interface_id = load_u16(body, swapped_);  // then a 16-bit drop count
  if (interface_id >= interfaces_.size()) [[unlikely]] {
    return fail_at(pos_, "packet block names interface {} but the section has {}", interface_id,
                   interfaces_.size());
  }
  const Interface& interface = interfaces_[interface_id];
  const std::uint64_t units =
      (std::uint64_t{load_u32(body + 4, swapped_)} << 32) | load_u32(body + 8, swapped_);
  return emit(block, interface.link_type, to_nanos(interface, units), kMinObsoletePacket,
              load_u32(body + 12, swapped_), load_u32(body + 16, swapped_), out);
}

NextStatus PcapngFileSource::read_simple_packet(const Block& block, RawPacket& out) {
  if (block.length < kMinSimplePacket) [[unlikely]] {
    return fail_at(pos_, "corrupt simple packet block (total length {} is below {})", block.length,
                   kMinSimplePacket);
  }
  if (interfaces_.empty()) [[unlikely]] {
    return fail_at(pos_, "simple packet block before any interface description block");
  }
  const Interface& interface = interfaces_.front();
  const std::uint32_t wire = load_u32(block.body, swapped_);
  // The block holds min(original length, snaplen) bytes (§4.4); no timestamp, see header.
  const std::uint32_t captured = interface.snaplen != 0 ? std::min(wire, interface.snaplen) : wire;
  return emit(block, interface.link_type, last_timestamp_, kMinSimplePacket, captured, wire, out);
}

NextStatus PcapngFileSource::emit(const Block& block, LinkType link_type, std::int64_t timestamp,
                                  std::uint32_t fixed_size, std::uint32_t captured,
                                  std::uint32_t wire, RawPacket& out) {
  if (captured > kMaxCaptureLength || captured > block.length - fixed_size) [[unlikely]] {
    if (captured > kMaxCaptureLength) {
      return fail_at(pos_, "corrupt {} (captured length {} exceeds the {} byte maximum)",
                     block_name(block.type), captured, kMaxCaptureLength);
    }
    return fail_at(pos_, "corrupt {} (captured length {} does not fit the total length {})",
                   block_name(block.type), captured, block.length);
  }
  out.timestamp.nanos = timestamp;
  out.wire_length = std::max(wire, captured);
  out.link_type = link_type;
  out.data = {block.body + (fixed_size - 12), captured};
  out.stable = true;  // a span of the mapping or of the caller's buffer
  last_timestamp_ = timestamp;
  pos_ += block.length;
  return NextStatus::packet;
}

}  // namespace mamori::capture
