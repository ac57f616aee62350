#include "mamori/core/table_memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

namespace mamori {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kPage = 4096;
constexpr std::align_val_t kLineAlign{64};

std::size_t round_up(std::size_t value, std::size_t to) { return (value + to - 1) / to * to; }

}  // namespace

TableMemory::TableMemory(std::size_t bytes) : size_(bytes) {
  if (bytes < kHugePage) {
    data_ = static_cast<std::byte*>(::operator new(bytes == 0 ? 1 : bytes, kLineAlign));
    std::memset(data_, 0, bytes);
    return;
  }
  // Map a huge page more than needed, then unmap around a 2 MiB-aligned start. Anonymous
  // mappings are zeroed. The tail past the last whole huge page keeps small pages.
  const std::size_t length = round_up(bytes, kPage);
  void* raw = ::mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = round_up(base, kHugePage);
  if (aligned > base) ::munmap(raw, aligned - base);
  const std::uintptr_t end = base + length + kHugePage;
  if (end > aligned + length) {
    ::munmap(reinterpret_cast<void*>(aligned + length), end - (aligned + length));
  }
  data_ = reinterpret_cast<std::byte*>(aligned);
  mapped_ = length;
#ifdef MADV_HUGEPAGE
  // Advice only: without transparent huge pages the table still works, with more TLB misses.
  ::madvise(data_, mapped_, MADV_HUGEPAGE);
#endif
  // Fault every page in now: the table's cost (the kernel zeroing it) is paid when it is made,
  // like a flow table's, not on the first packets that touch it, and what it holds is resident.
  for (std::size_t offset = 0; offset < mapped_; offset += kPage) {
    static_cast<volatile std::byte*>(data_)[offset] = std::byte{0};
  }
}

TableMemory::TableMemory(TableMemory&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

TableMemory& TableMemory::operator=(TableMemory&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

TableMemory::~TableMemory() { release(); }

void TableMemory::release() noexcept {
  if (data_ == nullptr) return;
  if (mapped_ != 0) {
    ::munmap(data_, mapped_);
  } else {
    ::operator delete(data_, kLineAlign);
  }
  data_ = nullptr;
}

}  // namespace mamori
