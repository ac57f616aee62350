#include "mamori/core/table_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace mamori {
namespace {

bool all_zero(const TableMemory& memory) {
  for (std::size_t i = 0; i < memory.size(); ++i) {
    if (memory.data()[i] != std::byte{0}) return false;
  }
  return true;
}

TEST(TableMemory, SmallAndLargeBlocksAreZeroedAlignedAndWritable) {
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{100},
                                 std::size_t{2} << 20, (std::size_t{5} << 20) + 12345}) {
    TableMemory memory(size);
    EXPECT_EQ(memory.size(), size);
    ASSERT_NE(memory.data(), nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(memory.data()) % 64, 0u) << size;
    EXPECT_TRUE(all_zero(memory)) << size;
    if (size > 0) {
      memory.data()[0] = std::byte{1};
      memory.data()[size - 1] = std::byte{2};
      EXPECT_EQ(memory.data()[size - 1], std::byte{2});
    }
  }
}

TEST(TableMemory, LargeBlocksStartOnAHugePageBoundary) {
  TableMemory memory(std::size_t{3} << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(memory.data()) % (std::size_t{2} << 20), 0u);
}

TEST(TableMemory, MovesOwnership) {
  TableMemory first(std::size_t{4} << 20);
  std::byte* data = first.data();
  data[7] = std::byte{9};
  TableMemory second(std::move(first));
  EXPECT_EQ(second.data(), data);
  EXPECT_EQ(second.data()[7], std::byte{9});
  EXPECT_EQ(first.data(), nullptr);  // NOLINT(bugprone-use-after-move): checking the contract
  EXPECT_EQ(first.size(), 0u);
  TableMemory third(16);
  third = std::move(second);
  EXPECT_EQ(third.data(), data);
  EXPECT_EQ(third.size(), std::size_t{4} << 20);
  third = TableMemory{};
  EXPECT_EQ(third.data(), nullptr);
}

}  // namespace
}  // namespace mamori
