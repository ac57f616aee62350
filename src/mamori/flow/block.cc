#include "mamori/flow/block.h"

#include <cstdint>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mamori::flow::detail {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t round_up(std::size_t bytes, std::size_t unit) {
  return (bytes + unit - 1) / unit * unit;
}

bool mapped(std::size_t bytes) {
#if defined(__linux__)
  return bytes >= kHugePage;
#else
  (void)bytes;
  return false;
#endif
}

}  // namespace

void* allocate_block(std::size_t bytes, std::size_t alignment, bool zeroed) {
  if (bytes == 0) bytes = 1;
#if defined(__linux__)
  if (mapped(bytes)) {
    // Map one huge page more than needed, keep the 2 MiB-aligned part: anonymous memory is
    // zeroed by the kernel and becomes resident page by page as it is touched.
    const std::size_t size = round_up(bytes, kHugePage);
    void* raw =
        mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = round_up(start, kHugePage);
    if (aligned > start) munmap(raw, aligned - start);
    const std::uintptr_t end = start + size + kHugePage;
    if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
    void* block = reinterpret_cast<void*>(aligned);
    madvise(block, size, MADV_HUGEPAGE);  // advice only: 4 KiB pages if refused
    return block;
  }
#endif
  void* block = ::operator new (bytes, std::align_val_t{alignment});
  if (zeroed) std::memset(block, 0, bytes);
  return block;
}

void free_block(void* block, std::size_t bytes, std::size_t alignment) noexcept {
  if (block == nullptr) return;
  if (bytes == 0) bytes = 1;
#if defined(__linux__)
  if (mapped(bytes)) {
    munmap(block, round_up(bytes, kHugePage));
    return;
  }
#endif
  ::operator delete (block, std::align_val_t{alignment});
}

}  // namespace mamori::flow::detail
