#include "mamori/flow/block.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <utility>

namespace mamori::flow {
namespace {

TEST(Block, SmallBlocksAreAlignedAndZeroedOnRequest) {
  struct alignas(64) Line {
    std::uint64_t words[8];
  };
  const Block<Line> block(10, /*zeroed=*/true);
  ASSERT_NE(block.get(), nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block.get()) % 64, 0u);
  EXPECT_EQ(block.bytes(), 640u);
  for (std::size_t i = 0; i < block.size(); ++i) {
    EXPECT_TRUE(std::all_of(block[i].words, block[i].words + 8, [](auto w) { return w == 0; }));
  }
}

TEST(Block, LargeBlocksAreHugePageAlignedZeroedAndWritable) {
  constexpr std::size_t kCount = (std::size_t{5} << 20) / sizeof(std::uint64_t) + 3;  // > 5 MiB
  Block<std::uint64_t> block(kCount, /*zeroed=*/true);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block.get()) % (std::size_t{2} << 20), 0u);
  EXPECT_EQ(block[0], 0u);
  EXPECT_EQ(block[kCount - 1], 0u);
  block[kCount - 1] = 7;  // the last element is inside the mapping
  Block<std::uint64_t> moved = std::move(block);
  EXPECT_EQ(moved[kCount - 1], 7u);
  EXPECT_EQ(block.get(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  moved = Block<std::uint64_t>(4, /*zeroed=*/true);  // the large mapping is released
  EXPECT_EQ(moved.size(), 4u);
}

}  // namespace
}  // namespace mamori::flow
