#pragma once
// transport/spool: the sensor's on-disk queue of batch messages the central site has not
// acknowledged (issue 9). Bounded and encrypted at rest.
//
// Layout: DIR/seg-<20-digit number>.spool, oldest first. A segment is append-only: the magic
// "MAMSPL01", then entries
//   u32 little-endian n | 24-byte nonce | n-24 bytes XChaCha20-Poly1305 ciphertext
// of the plaintext  u16 little-endian id length | message id | message payload,
// with associated data "mamori-spool-v1". Every entry has a fresh random nonce. A process writes
// only to segments it created; a segment is deleted once every entry in it was popped (its
// message acked by JetStream). A torn last entry (a crash while writing) is ignored; an entry
// that fails authentication is an error (corruption or the wrong key).
//
// Key file: {"kind":"mamori-spool-key","version":1,"key":"<64 hex>"}, mode 0600, created
// (exclusively) when missing; loading refuses a file group or others can access.
//
// Bound: the segments' total size never exceeds max_bytes; push() fails, naming the bound,
// when the entry does not fit. Pushed entries are fsync'ed before push() returns.

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"

namespace mamori::transport {

struct SpoolEntry {
  std::string id;
  std::string payload;
};

class Spool {
 public:
  static Result<std::unique_ptr<Spool>> open(const std::string& dir, const std::string& key_file,
                                             std::uint64_t max_bytes);
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool();

  // Seals and appends one message, durably. Fails when the spool would exceed its bound.
  Result<void> push(std::string_view id, std::string_view payload);
  // The oldest entry not yet popped, or nullopt when empty.
  Result<const SpoolEntry*> front();
  // Drops the entry front() returned; deletes its segment when it was the segment's last.
  Result<void> pop();

  bool empty() const { return entries_ == 0; }
  std::uint64_t entries() const { return entries_; }  // entries not yet popped
  std::uint64_t bytes() const { return bytes_; }      // size of the segment files
  std::uint64_t max_bytes() const { return max_bytes_; }

 private:
  struct Segment {
    std::uint64_t number = 0;
    std::string path;
    std::uint64_t bytes = 0;
    std::uint64_t entries = 0;  // complete entries still to pop
  };
  Spool() = default;
  Result<void> load_front();
  Result<std::uint64_t> count_entries(Segment& segment);
  Result<void> open_writer();
  void close_writer();

  std::string dir_;
  std::array<unsigned char, 32> key_{};
  std::uint64_t max_bytes_ = 0;
  std::deque<Segment> segments_;
  std::uint64_t bytes_ = 0;
  std::uint64_t entries_ = 0;
  int writer_fd_ = -1;             // appends to segments_.back() when >= 0
  std::deque<SpoolEntry> loaded_;  // decrypted entries of segments_.front() not yet popped
  bool front_loaded_ = false;
};

}  // namespace mamori::transport
