#pragma once
// flow/flow_index: the hash index from a flow's 64-bit hash to its entry number. Fixed size,
// allocated once. Layout: 64-byte chunks of 15 four-byte slots plus an overflow count; a slot
// holds (tag << index_bits) | (entry + 1), 0 when free, the tag being hash bits the chunk
// choice does not use. A lookup reads the home chunk (one cache line) and usually one entry;
// it goes on to the next chunk only while the overflow count says an insert passed it full.
// Erase clears the slot and decrements the counts on the way: no tombstones, no shifting.
// Chunks are sized for a load of at most 2/3, so an insert always finds a free slot.

#include <bit>
#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mamori/flow/block.h"

namespace mamori::flow {

class FlowIndex {
 public:
  static constexpr std::uint32_t kNotFound = 0xffffffffu;
  static constexpr std::uint32_t kSlotsPerChunk = 15;
  // Entry numbers need index bits; the rest of the 32-bit slot is tag. 2^26 keeps 6 tag bits.
  static constexpr std::uint32_t kMaxEntries = (1u << 26) - 1;

  // For up to `max_entries` (1..kMaxEntries) live entries.
  explicit FlowIndex(std::uint32_t max_entries);

  // The entry whose hash is `hash` and for which `matches(entry)` is true, or kNotFound.
  // `matches` is called only for slots whose tag agrees with the hash.
  template <typename Match>
  std::uint32_t find(std::uint64_t hash, Match&& matches) const {
    const std::uint32_t tag = tag_of(hash);
    std::uint32_t chunk = home_of(hash);
    for (std::uint32_t step = 0; step < chunk_count_; ++step) {
      const Chunk& c = chunks_[chunk];
      for (std::uint32_t candidates = candidates_of(c, tag); candidates != 0;
           candidates &= candidates - 1) {
        const std::uint32_t slot = c.words[std::countr_zero(candidates)];
        // A free slot (0) looks like tag 0 with entry -1: skip it.
        if (slot != 0 && matches((slot & index_mask_) - 1)) return (slot & index_mask_) - 1;
      }
      if (c.words[kOverflow] == 0) return kNotFound;
      chunk = next_chunk(chunk);
    }
    return kNotFound;
  }

  // Hints the CPU to fetch the home chunk of `hash`.
  void prefetch(std::uint64_t hash) const { __builtin_prefetch(&chunks_[home_of(hash)]); }

  // The first entry in the home chunk whose tag agrees with `hash` (no key check), or
  // kNotFound: what a look-ahead prefetches.
  std::uint32_t likely_entry(std::uint64_t hash) const {
    const Chunk& c = chunks_[home_of(hash)];
    const std::uint32_t candidates = candidates_of(c, tag_of(hash));
    if (candidates == 0) return kNotFound;
    const std::uint32_t slot = c.words[std::countr_zero(candidates)];
    return slot == 0 ? kNotFound : (slot & index_mask_) - 1;
  }

  // `entry` must not be in the index and fewer than max_entries may be.
  void insert(std::uint64_t hash, std::uint32_t entry);
  // `entry` must be in the index under `hash`.
  void erase(std::uint64_t hash, std::uint32_t entry);
  void clear();

  std::uint32_t chunk_count() const { return chunk_count_; }
  std::size_t memory_bytes() const { return std::size_t{chunk_count_} * sizeof(Chunk); }
  // Chunks whose overflow count is not zero (a load/collision diagnostic for tests).
  std::uint32_t overflowing_chunks() const;

 private:
  // words[0..14] are slots; words[15] counts the inserts that passed this chunk full and live
  // further on. One array, so that the chunk is compared as four 16-byte vectors.
  static constexpr std::uint32_t kOverflow = kSlotsPerChunk;
  struct alignas(64) Chunk {
    std::uint32_t words[kSlotsPerChunk + 1];
  };
  static_assert(sizeof(Chunk) == 64);

  // Bit s set when (slot s & mask) == value, for the 15 slots of the chunk.
  static std::uint32_t slots_where(const Chunk& c, std::uint32_t mask, std::uint32_t value) {
#if defined(__SSE2__)
    const __m128i want = _mm_set1_epi32(static_cast<int>(value));
    const __m128i bits = _mm_set1_epi32(static_cast<int>(mask));
    const auto* words = reinterpret_cast<const __m128i*>(c.words);
    auto lanes = [&](int v) {
      const __m128i equal = _mm_cmpeq_epi32(_mm_and_si128(_mm_load_si128(words + v), bits), want);
      return static_cast<std::uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(equal))) << (4 * v);
    };
    return (lanes(0) | lanes(1) | lanes(2) | lanes(3)) & ((1u << kSlotsPerChunk) - 1);
#else
    std::uint32_t found = 0;
    for (std::uint32_t s = 0; s < kSlotsPerChunk; ++s) {
      found |= static_cast<std::uint32_t>((c.words[s] & mask) == value) << s;
    }
    return found;
#endif
  }
  // Slots carrying `tag` (free slots too when tag is 0).
  std::uint32_t candidates_of(const Chunk& c, std::uint32_t tag) const {
    return slots_where(c, ~index_mask_, tag);
  }

  // Home chunk from the high half (multiply-shift range reduction, any chunk count).
  std::uint32_t home_of(std::uint64_t hash) const {
    return static_cast<std::uint32_t>(((hash >> 32) * chunk_count_) >> 32);
  }
  std::uint32_t tag_of(std::uint64_t hash) const {
    return static_cast<std::uint32_t>(hash) & ~index_mask_;
  }
  std::uint32_t next_chunk(std::uint32_t chunk) const {
    return chunk + 1 == chunk_count_ ? 0 : chunk + 1;
  }

  std::uint32_t chunk_count_;
  std::uint32_t index_mask_;  // low bits of a slot: entry + 1
  Block<Chunk> chunks_;
};

}  // namespace mamori::flow
