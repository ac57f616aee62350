#pragma once
// core/table_memory: one zeroed, 64-byte aligned block for a large lookup table that is written
// once and then only read (PrefixMap). Blocks of 2 MiB and more are mapped on their own and
// marked for transparent huge pages: random lookups over a table of tens of MiB otherwise miss
// the TLB on nearly every access, and in a virtual machine each miss is a two-level page walk.
// Every page is faulted in when the block is made (resident from the start, zeroing paid then).
// Private to core.

#include <cstddef>

namespace mamori {

class TableMemory {
 public:
  TableMemory() = default;
  explicit TableMemory(std::size_t bytes);  // throws std::bad_alloc like operator new
  TableMemory(TableMemory&& other) noexcept;
  TableMemory& operator=(TableMemory&& other) noexcept;
  TableMemory(const TableMemory&) = delete;
  TableMemory& operator=(const TableMemory&) = delete;
  ~TableMemory();

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void release() noexcept;

  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;  // bytes mapped at data_, or 0 when data_ came from operator new
};

}  // namespace mamori
