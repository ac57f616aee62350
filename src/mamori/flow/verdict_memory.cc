#include "mamori/flow/verdict_memory.h"

#include <algorithm>
#include <bit>

namespace mamori::flow {

VerdictMemory::VerdictMemory(std::uint32_t slots)
    : mask_(std::bit_ceil(std::clamp<std::uint32_t>(slots, 1, 1u << 31)) - 1),
      cells_(std::size_t{mask_} + 1, /*zeroed=*/true) {}

std::uint32_t VerdictMemory::seconds_of(Timestamp t) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(t.seconds(), 0, 0xffffffff));
}

VerdictMemory::StoreResult VerdictMemory::store(std::uint64_t hash, const Remembered& remembered,
                                                Timestamp now, Timestamp expiry) {
  Cell& cell = cells_[slot_of(hash)];
  const bool live = (cell.check & 3u) != 0 && seconds_of(now) < cell.expiry_seconds;
  cell.check = check_bits(hash) | (remembered.initiator_first ? 4u : 0u) |
               static_cast<std::uint64_t>(remembered.verdict);
  cell.expiry_seconds = seconds_of(expiry);
  cell.tag = remembered.tag;
  return live ? StoreResult::replaced_live : StoreResult::stored;
}

std::optional<VerdictMemory::Remembered> VerdictMemory::take(std::uint64_t hash, Timestamp now) {
  Cell& cell = cells_[slot_of(hash)];
  const auto verdict = static_cast<std::uint32_t>(cell.check & 3u);
  if (verdict == 0 || check_bits(cell.check) != check_bits(hash)) return std::nullopt;
  const bool valid = seconds_of(now) < cell.expiry_seconds;
  const Remembered remembered{static_cast<Verdict>(verdict), cell.tag, (cell.check & 4u) != 0};
  cell.check = 0;  // consumed; an expired one is dropped: that flow would have ended anyway
  if (!valid) return std::nullopt;
  return remembered;
}

void VerdictMemory::clear() { std::fill_n(cells_.get(), std::size_t{mask_} + 1, Cell{}); }

}  // namespace mamori::flow
