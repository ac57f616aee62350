#pragma once
// core/byte_reader: bounds-checked reads from untrusted bytes. Every read checks its length
// first and reports failure instead of reading past the end (hostile input is data).

#include <cstddef>
#include <cstdint>
#include <span>

namespace mamori {

class ByteReader {
 public:
  explicit constexpr ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  constexpr std::size_t offset() const { return offset_; }
  constexpr std::size_t remaining() const { return bytes_.size() - offset_; }
  constexpr bool empty() const { return remaining() == 0; }
  constexpr std::span<const std::uint8_t> rest() const { return bytes_.subspan(offset_); }

  constexpr bool skip(std::size_t count) {
    if (count > remaining()) return false;
    offset_ += count;
    return true;
  }
  constexpr bool u8(std::uint8_t& out) {
    if (remaining() < 1) return false;
    out = bytes_[offset_++];
    return true;
  }
  constexpr bool u16(std::uint16_t& out) {  // big-endian
    if (remaining() < 2) return false;
    out = static_cast<std::uint16_t>((bytes_[offset_] << 8) | bytes_[offset_ + 1]);
    offset_ += 2;
    return true;
  }
  constexpr bool u24(std::uint32_t& out) {  // big-endian
    if (remaining() < 3) return false;
    out = (std::uint32_t{bytes_[offset_]} << 16) | (std::uint32_t{bytes_[offset_ + 1]} << 8) |
          bytes_[offset_ + 2];
    offset_ += 3;
    return true;
  }
  constexpr bool u32(std::uint32_t& out) {  // big-endian
    if (remaining() < 4) return false;
    out = (std::uint32_t{bytes_[offset_]} << 24) | (std::uint32_t{bytes_[offset_ + 1]} << 16) |
          (std::uint32_t{bytes_[offset_ + 2]} << 8) | bytes_[offset_ + 3];
    offset_ += 4;
    return true;
  }
  constexpr bool bytes(std::size_t count, std::span<const std::uint8_t>& out) {
    if (count > remaining()) return false;
    out = bytes_.subspan(offset_, count);
    offset_ += count;
    return true;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

}  // namespace mamori
