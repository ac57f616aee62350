#include "mamori/capture/mapped_file.h"

#include <algorithm>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace mamori::capture {
namespace {

// Closes the descriptor on every return path; the mapping stays valid without it.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<MappedFile> MappedFile::open(const std::string& path) {
  const FdGuard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return fail("{}: cannot stat: {}", path, std::strerror(errno));
  if (S_ISDIR(info.st_mode)) return fail("{}: is a directory, not a capture file", path);
  if (!S_ISREG(info.st_mode)) {
    return fail("{}: not a regular file (pipes and devices cannot be memory-mapped)", path);
  }
  if (info.st_size == 0) return MappedFile{};
  const auto size = static_cast<std::size_t>(info.st_size);
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (mapping == MAP_FAILED) {
    return fail("{}: cannot memory-map {} bytes: {}", path, size, std::strerror(errno));
  }
  // Advice only: the kernel reads ahead aggressively and drops pages behind us. A failure
  // changes speed, not correctness, so it is not reported.
  (void)::madvise(mapping, size, MADV_SEQUENTIAL);
  return MappedFile(static_cast<const std::uint8_t*>(mapping), size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    unmap();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() { unmap(); }

void MappedFile::unmap() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

void MappedFile::release_before(std::size_t end) const {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  end = std::min(end, size_) / page * page;
  if (data_ == nullptr || end == 0) return;
  (void)::madvise(const_cast<std::uint8_t*>(data_), end, MADV_DONTNEED);
}

}  // namespace mamori::capture
