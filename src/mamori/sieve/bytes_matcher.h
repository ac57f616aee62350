#pragma once
// sieve/bytes_matcher: every `bytes` pattern of a ruleset in one Hyperscan (Vectorscan)
// block-mode database. Every pattern byte is compiled as an \xHH escape, so no byte is ever
// read as regex syntax (NUL, '.', '*', '\\' are just bytes) and Hyperscan sees a pure literal;
// each pattern reports at most once per scan (HS_FLAG_SINGLEMATCH). A literal's match start is
// its end minus its length, so start-of-match tracking (HS_FLAG_SOM_LEFTMOST, which costs
// scan speed) is not needed to capture the matched bytes.
// The database is immutable and shared; each thread scans with its own scratch.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/sieve/match_set.h"

struct hs_database;
struct hs_scratch;

namespace mamori::sieve {

// One occurrence of a `bytes` pattern: data[from, to) equals the pattern.
struct BytesHit {
  RuleIndex rule = 0;
  std::uint32_t pattern = 0;  // index among the ruleset's bytes patterns
  std::uint32_t from = 0;
  std::uint32_t to = 0;
};

// Returns false to stop the scan.
using BytesHitFn = bool (*)(void* context, const BytesHit& hit);

class BytesMatcher {
 public:
  struct Pattern {
    std::string_view bytes;
    RuleIndex rule = 0;
    std::string_view where;  // "file:line: rule 'id': field 'value'" for compile errors
  };

  BytesMatcher() = default;
  BytesMatcher(BytesMatcher&& other) noexcept;
  BytesMatcher& operator=(BytesMatcher&& other) noexcept;
  ~BytesMatcher();

  Result<void> build(const std::vector<Pattern>& patterns);

  // Grows `*scratch` (may be null) so it serves this database.
  Result<void> prepare(hs_scratch** scratch) const;
  // false when Hyperscan refused to scan (scratch not prepared for this database, or in use
  // by another thread at the same time): a programming error, reported, never a crash.
  bool scan(std::span<const std::uint8_t> data, hs_scratch* scratch, BytesHitFn on_hit,
            void* context) const;

  bool empty() const { return patterns_.empty(); }
  std::size_t pattern_count() const { return patterns_.size(); }
  std::size_t memory_bytes() const;

 private:
  struct Info {
    RuleIndex rule;
    std::uint32_t length;
  };
  hs_database* database_ = nullptr;
  std::vector<Info> patterns_;
};

}  // namespace mamori::sieve
