#include "mamori/flow/flow_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <unordered_map>
#include <vector>

namespace mamori::flow {
namespace {

// Finds by exact hash, as the table does by exact key.
std::uint32_t find(const FlowIndex& index, const std::vector<std::uint64_t>& hash_of_entry,
                   std::uint64_t hash) {
  return index.find(hash, [&](std::uint32_t entry) { return hash_of_entry[entry] == hash; });
}

TEST(FlowIndex, InsertFindErase) {
  FlowIndex index(100);
  std::vector<std::uint64_t> hashes(100);
  std::mt19937_64 rng(5);
  for (std::uint32_t i = 0; i < 100; ++i) {
    hashes[i] = rng();
    index.insert(hashes[i], i);
  }
  for (std::uint32_t i = 0; i < 100; ++i) EXPECT_EQ(find(index, hashes, hashes[i]), i);
  EXPECT_EQ(find(index, hashes, rng()), FlowIndex::kNotFound);
  for (std::uint32_t i = 0; i < 100; i += 2) index.erase(hashes[i], i);
  for (std::uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(find(index, hashes, hashes[i]), i % 2 == 0 ? FlowIndex::kNotFound : i);
  }
  index.clear();
  EXPECT_EQ(find(index, hashes, hashes[1]), FlowIndex::kNotFound);
}

TEST(FlowIndex, SizedForLoadOfAtMostTwoThirds) {
  EXPECT_EQ(FlowIndex(1).chunk_count(), 1u);
  EXPECT_EQ(FlowIndex(10).chunk_count(), 1u);
  EXPECT_EQ(FlowIndex(11).chunk_count(), 2u);
  const FlowIndex big(1'000'000);
  EXPECT_GE(big.chunk_count() * FlowIndex::kSlotsPerChunk * 2, 1'000'000u * 3);
  EXPECT_EQ(big.memory_bytes(), std::size_t{big.chunk_count()} * 64);
}

// Every hash has the same high half, so the same home chunk: entries overflow into the
// following chunks, and the overflow counts must come back to zero as they are erased.
TEST(FlowIndex, OverflowChainsFromOneHomeChunk) {
  constexpr std::uint32_t kEntries = 120;
  FlowIndex index(kEntries);
  std::vector<std::uint64_t> hashes(kEntries);
  for (std::uint32_t i = 0; i < kEntries; ++i) {
    hashes[i] = (std::uint64_t{0xabcdef01} << 32) | (i * 0x9e3779b9u);
    index.insert(hashes[i], i);
  }
  EXPECT_GT(index.overflowing_chunks(), 5u);
  for (std::uint32_t i = 0; i < kEntries; ++i) ASSERT_EQ(find(index, hashes, hashes[i]), i);

  std::vector<std::uint32_t> order(kEntries);
  for (std::uint32_t i = 0; i < kEntries; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(6));
  for (std::size_t n = 0; n < order.size(); ++n) {
    index.erase(hashes[order[n]], order[n]);
    for (std::size_t m = n + 1; m < order.size(); ++m) {
      ASSERT_EQ(find(index, hashes, hashes[order[m]]), order[m]);
    }
    ASSERT_EQ(find(index, hashes, hashes[order[n]]), FlowIndex::kNotFound);
  }
  EXPECT_EQ(index.overflowing_chunks(), 0u);
}

// Equal tags and home: the index offers both entries; only the match callback tells them apart.
TEST(FlowIndex, TagCollisionsAreResolvedByTheCallback) {
  FlowIndex index(10);
  const std::uint64_t hash = 0x1111222233334444ull;
  index.insert(hash, 3);
  index.insert(hash, 7);
  EXPECT_EQ(index.find(hash, [](std::uint32_t entry) { return entry == 7; }), 7u);
  EXPECT_EQ(index.find(hash, [](std::uint32_t entry) { return entry == 3; }), 3u);
  index.erase(hash, 3);
  EXPECT_EQ(index.find(hash, [](std::uint32_t entry) { return entry == 3; }), FlowIndex::kNotFound);
  EXPECT_EQ(index.find(hash, [](std::uint32_t entry) { return entry == 7; }), 7u);
}

// Random churn at full load against a map, with hashes drawn from few home chunks so that
// overflow paths are exercised constantly.
TEST(FlowIndex, RandomChurnMatchesAMap) {
  constexpr std::uint32_t kMax = 600;
  FlowIndex index(kMax);
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> hashes(kMax, 0);
  std::unordered_map<std::uint32_t, std::uint64_t> live;
  std::vector<std::uint32_t> free_entries;
  for (std::uint32_t i = 0; i < kMax; ++i) free_entries.push_back(i);
  for (int step = 0; step < 200000; ++step) {
    const bool insert = !free_entries.empty() && (live.empty() || rng() % 2 == 0);
    if (insert) {
      const std::uint32_t entry = free_entries.back();
      free_entries.pop_back();
      // 8 narrow home regions: the high half varies only in its top 3 and low 24 bits.
      const std::uint64_t hash =
          ((rng() % 8) << 61) | ((rng() & 0xffffff) << 32) | (rng() & 0xffffffff);
      hashes[entry] = hash;
      index.insert(hash, entry);
      live[entry] = hash;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      index.erase(it->second, it->first);
      hashes[it->first] = ~it->second;  // the erased entry must not match any more
      free_entries.push_back(it->first);
      live.erase(it);
    }
    if (step % 1000 == 0) {
      for (const auto& [entry, hash] : live) ASSERT_EQ(find(index, hashes, hash), entry);
    }
  }
}

}  // namespace
}  // namespace mamori::flow
