#pragma once
// synth/byte_writer: appends big-endian (network order) fields to a byte vector, with
// placeholders for length fields that are only known once the body is written.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mamori::synth {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  std::size_t size() const { return out_.size(); }

  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) {
    out_.push_back(static_cast<std::uint8_t>(value >> 8));
    out_.push_back(static_cast<std::uint8_t>(value));
  }
  void u24(std::uint32_t value) {
    out_.push_back(static_cast<std::uint8_t>(value >> 16));
    u16(static_cast<std::uint16_t>(value));
  }
  void u32(std::uint32_t value) {
    u16(static_cast<std::uint16_t>(value >> 16));
    u16(static_cast<std::uint16_t>(value));
  }
  void bytes(std::span<const std::uint8_t> data) {
    out_.insert(out_.end(), data.begin(), data.end());
  }
  void text(std::string_view data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void zeros(std::size_t count) { out_.resize(out_.size() + count, 0); }
  // Appends `count` bytes and returns where they start, for the caller to fill.
  std::span<std::uint8_t> grow(std::size_t count) {
    const std::size_t at = out_.size();
    out_.resize(at + count);
    return {out_.data() + at, count};
  }

  // Placeholders: reserve the field now, patch it with the length of what follows later.
  std::size_t reserve_u16() { return reserve(2); }
  std::size_t reserve_u24() { return reserve(3); }
  // Writes the number of bytes after the placeholder into it.
  void patch_length(std::size_t at, std::size_t width) {
    std::size_t length = out_.size() - at - width;
    for (std::size_t i = width; i-- > 0; length >>= 8) {
      out_[at + i] = static_cast<std::uint8_t>(length);
    }
  }

 private:
  std::size_t reserve(std::size_t width) {
    const std::size_t at = out_.size();
    out_.resize(at + width, 0);
    return at;
  }
  std::vector<std::uint8_t>& out_;
};

// Big-endian stores into a fixed buffer (frame headers).
inline void store_u16(std::uint8_t* at, std::uint16_t value) {
  at[0] = static_cast<std::uint8_t>(value >> 8);
  at[1] = static_cast<std::uint8_t>(value);
}
inline void store_u32(std::uint8_t* at, std::uint32_t value) {
  store_u16(at, static_cast<std::uint16_t>(value >> 16));
  store_u16(at + 2, static_cast<std::uint16_t>(value));
}

}  // namespace mamori::synth
