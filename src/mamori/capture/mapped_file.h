#pragma once
// capture/mapped_file: a read-only, memory-mapped view of a whole file, advised for
// sequential access. Capture file readers hand out spans into this mapping (zero copy), so
// the mapping must outlive every packet read from it.
//
// Limitation: if another process truncates the file while it is mapped, touching the lost
// pages raises SIGBUS. Capture files are read after they are complete.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "mamori/core/error.h"

namespace mamori::capture {

class MappedFile {
 public:
  // Maps `path` read-only. An empty regular file maps to an empty span (no mapping); a
  // directory, FIFO or device is refused because it cannot be mapped as a whole.
  static Result<MappedFile> open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  std::size_t size() const { return size_; }

  // Drops the resident pages of [0, end) (end rounded down to a page): read-only file pages
  // come back from the page cache if touched again, so this only bounds resident memory.
  void release_before(std::size_t end) const;

 private:
  MappedFile(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  void unmap();

  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace mamori::capture
