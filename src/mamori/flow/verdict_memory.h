#pragma once
// flow/verdict_memory: a bounded, direct-mapped memory of the verdicts of flows the table had
// to end early (evicted, or closing flows ended before their grace), so that a later packet of
// such a flow starts its new entry already decided ("recall"). One 16-byte cell per slot, a
// power of two of them, allocated once: {hash | orientation | verdict, expiry second, tag}.
//
// A newer store to the same slot overwrites the older one (the table counts it); a recall
// consumes the cell. A cell is valid only before its expiry, the moment the flow would have
// ended anyway (last_seen + idle timeout, kept in whole seconds rounded down, so validity errs
// short), so a genuinely new flow on the same 5-tuple is never pre-decided. The check is the
// whole 64-bit hash (its 3 low bits are slot bits, reused for verdict and orientation when
// there are at least 8 slots): a wrong recall needs two flows with equal seeded 64-bit hashes.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "mamori/core/time.h"
#include "mamori/flow/block.h"
#include "mamori/flow/flow_entry.h"

namespace mamori::flow {

class VerdictMemory {
 public:
  struct Remembered {
    Verdict verdict = Verdict::undecided;
    std::uint32_t tag = 0;
    bool initiator_first = false;  // the flow's initiator is the canonical-first endpoint
  };
  enum class StoreResult : std::uint8_t { stored, replaced_live };

  // `slots` is rounded up to a power of two (at least 1).
  explicit VerdictMemory(std::uint32_t slots);

  // Remembers a decided verdict (not undecided) until `expiry`. Reports whether a cell that
  // was still valid at `now` was overwritten.
  StoreResult store(std::uint64_t hash, const Remembered& remembered, Timestamp now,
                    Timestamp expiry);
  // The remembered verdict of the flow with `hash` if still valid at `now`; consumes it.
  std::optional<Remembered> take(std::uint64_t hash, Timestamp now);
  void clear();
  void prefetch(std::uint64_t hash) const { __builtin_prefetch(&cells_[slot_of(hash)], 1); }

  std::uint32_t slot_of(std::uint64_t hash) const {
    return static_cast<std::uint32_t>(hash) & mask_;
  }
  std::uint32_t slot_count() const { return mask_ + 1; }
  std::size_t memory_bytes() const { return std::size_t{slot_count()} * sizeof(Cell); }

 private:
  struct Cell {
    std::uint64_t check;  // hash with bits 0..2 = initiator_first << 2 | verdict (0: empty)
    std::uint32_t expiry_seconds;
    std::uint32_t tag;
  };
  static_assert(sizeof(Cell) == 16);

  static std::uint64_t check_bits(std::uint64_t hash) { return hash & ~std::uint64_t{7}; }
  // Seconds since the epoch, clamped to 32 bits; rounded down so that validity errs short.
  static std::uint32_t seconds_of(Timestamp t);

  std::uint32_t mask_;
  Block<Cell> cells_;
};

}  // namespace mamori::flow
