#pragma once
// capture/file_source: what the pcap and pcapng readers share: the bytes being read (a
// mapping they own, or a caller's buffer), the read position, the sticky end/error state and
// the one error message format, "<name>: byte offset <n>: <what>". Messages carry lengths,
// offsets and field values only, never packet bytes (I1).

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>

#include "mamori/capture/mapped_file.h"
#include "mamori/capture/packet_source.h"
#include "mamori/core/error.h"

namespace mamori::capture {

// Largest captured length either reader accepts for one packet (libpcap's MAXIMUM_SNAPLEN).
// Anything larger is a corrupt length field, not a packet.
inline constexpr std::uint32_t kMaxCaptureLength = 256 * 1024;

// Unaligned loads in the file's byte order; `swapped` is true when it differs from the host's.
inline std::uint16_t load_u16(const std::uint8_t* at, bool swapped) {
  std::uint16_t value;
  std::memcpy(&value, at, sizeof value);
  return swapped ? std::byteswap(value) : value;
}
inline std::uint32_t load_u32(const std::uint8_t* at, bool swapped) {
  std::uint32_t value;
  std::memcpy(&value, at, sizeof value);
  return swapped ? std::byteswap(value) : value;
}
inline std::uint64_t load_u64(const std::uint8_t* at, bool swapped) {
  std::uint64_t value;
  std::memcpy(&value, at, sizeof value);
  return swapped ? std::byteswap(value) : value;
}

// "<name>: byte offset <offset>: <what>"
template <class... Args>
Error offset_error(const std::string& name, std::uint64_t offset, fmt::format_string<Args...> what,
                   Args&&... args) {
  return Error{fmt::format("{}: byte offset {}: {}", name, offset,
                           fmt::format(what, std::forward<Args>(args)...))};
}

class FileSource : public PacketSource {
 public:
  const Error& error() const final { return error_; }
  std::uint64_t bytes_read() const final { return pos_; }
  std::uint64_t bytes_total() const final { return bytes_.size(); }

 protected:
  enum class State : std::uint8_t { reading, ended, failed };

  FileSource(std::span<const std::uint8_t> bytes, std::string name, MappedFile storage)
      : storage_(std::move(storage)), bytes_(bytes), name_(std::move(name)) {}

  // Hardware prefetchers stop at 4 KiB page boundaries, so sparse header loads (one per
  // record) miss at every new page; asking for the line a page ahead hides most of that
  // (15-20% on a 200 MB IMIX file). A hint only: no fault, no effect on results.
  void prefetch_ahead() const {
    if (bytes_.size() - pos_ > kPrefetchDistance) {
      __builtin_prefetch(bytes_.data() + pos_ + kPrefetchDistance);
    }
  }
  static constexpr std::size_t kPrefetchDistance = 4096;

  // A mapped file's pages stay resident once read; drop those far behind the read position
  // every kReleaseStep bytes, so memory does not grow with the file. The lag keeps the
  // current packet (≤ kMaxCaptureLength) and its neighbours mapped.
  void release_behind() {
    if (pos_ < released_ + kReleaseStep + kReleaseLag) return;
    released_ = pos_ - kReleaseLag;
    storage_.release_before(released_);
  }
  static constexpr std::size_t kReleaseStep = 64u << 20;
  static constexpr std::size_t kReleaseLag = 4u << 20;

  // The status to repeat once reading has stopped: end stays end, error stays error.
  NextStatus stopped() const {
    return state_ == State::failed ? NextStatus::error : NextStatus::end;
  }
  NextStatus finish() {
    state_ = State::ended;
    return NextStatus::end;
  }
  // Records the error for the record or block starting at `offset` and stops reading.
  // Never inlined, so the formatting code stays out of the per-packet paths.
  template <class... Args>
  [[gnu::cold, gnu::noinline]] NextStatus fail_at(std::uint64_t offset,
                                                  fmt::format_string<Args...> what,
                                                  Args&&... args) {
    error_ = offset_error(name_, offset, what, std::forward<Args>(args)...);
    state_ = State::failed;
    return NextStatus::error;
  }

  MappedFile storage_;  // empty when reading a caller's buffer
  std::span<const std::uint8_t> bytes_;
  std::string name_;
  std::size_t pos_ = 0;
  std::size_t released_ = 0;  // pages before this offset may have been dropped
  State state_ = State::reading;
  Error error_;
};

}  // namespace mamori::capture
