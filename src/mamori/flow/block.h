#pragma once
// flow/block: the fixed arrays of the flow table (entries, index, verdict memory), each one
// allocation made at construction. Large blocks are aligned to 2 MiB and offered to the kernel
// for transparent huge pages: lookups land on random cache lines of a >100 MiB block, and with
// 4 KiB pages nearly every one would also miss the TLB. Only the pages the table touches become
// resident (zeroed blocks are zeroed by the kernel, not by a pass over them).

#include <cstddef>
#include <memory>
#include <type_traits>

namespace mamori::flow {

namespace detail {

// `bytes` of storage aligned to `alignment` (at most 2 MiB), zero-filled when `zeroed`;
// huge-page advice for blocks of 2 MiB and more. Never returns null (throws std::bad_alloc,
// at construction time only). free_block takes the same bytes and alignment.
void* allocate_block(std::size_t bytes, std::size_t alignment, bool zeroed);
void free_block(void* block, std::size_t bytes, std::size_t alignment) noexcept;

}  // namespace detail

// A fixed array of trivially copyable T (implicit-lifetime: the objects exist once allocated).
template <typename T>
class Block {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  Block() = default;
  Block(std::size_t count, bool zeroed)
      : data_(static_cast<T*>(detail::allocate_block(count * sizeof(T), alignof(T), zeroed))),
        count_(count) {}
  Block(Block&& other) noexcept : data_(other.data_), count_(other.count_) {
    other.data_ = nullptr;
    other.count_ = 0;
  }
  Block& operator=(Block&& other) noexcept {
    if (this != &other) {
      detail::free_block(data_, count_ * sizeof(T), alignof(T));
      data_ = other.data_;
      count_ = other.count_;
      other.data_ = nullptr;
      other.count_ = 0;
    }
    return *this;
  }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block() { detail::free_block(data_, count_ * sizeof(T), alignof(T)); }

  T* get() const { return data_; }
  T& operator[](std::size_t i) const { return data_[i]; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace mamori::flow
