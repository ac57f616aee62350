#include "mamori/core/byte_reader.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace mamori {
namespace {

constexpr std::array<std::uint8_t, 10> kBytes = {0x01, 0x02, 0x03, 0x04, 0x05,
                                                 0x06, 0x07, 0x08, 0x09, 0x0a};

TEST(ByteReader, ReadsBigEndianInOrder) {
  ByteReader reader(kBytes);
  std::uint8_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0;
  std::uint32_t d = 0;
  ASSERT_TRUE(reader.u8(a));
  ASSERT_TRUE(reader.u16(b));
  ASSERT_TRUE(reader.u24(c));
  ASSERT_TRUE(reader.u32(d));
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x0203);
  EXPECT_EQ(c, 0x040506u);
  EXPECT_EQ(d, 0x0708090au);
  EXPECT_TRUE(reader.empty());
  EXPECT_EQ(reader.offset(), 10u);
}

TEST(ByteReader, FailedReadsLeaveStateAndOutputAlone) {
  ByteReader reader(std::span<const std::uint8_t>(kBytes).first(3));
  std::uint32_t value = 0xdeadbeef;
  EXPECT_FALSE(reader.u32(value));
  EXPECT_EQ(value, 0xdeadbeefu);
  EXPECT_EQ(reader.offset(), 0u);
  EXPECT_TRUE(reader.u24(value));
  EXPECT_EQ(value, 0x010203u);
  std::uint8_t byte = 0x55;
  EXPECT_FALSE(reader.u8(byte));
  EXPECT_EQ(byte, 0x55);
  std::uint16_t half = 0x1234;
  EXPECT_FALSE(reader.u16(half));
  EXPECT_EQ(half, 0x1234);
  EXPECT_FALSE(reader.u24(value));
  EXPECT_EQ(reader.offset(), 3u);
}

TEST(ByteReader, SkipAndBytesCheckLength) {
  ByteReader reader(kBytes);
  EXPECT_FALSE(reader.skip(11));
  EXPECT_EQ(reader.offset(), 0u);
  EXPECT_TRUE(reader.skip(2));
  std::span<const std::uint8_t> out;
  EXPECT_FALSE(reader.bytes(9, out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(reader.bytes(3, out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], 0x03);
  EXPECT_EQ(out[2], 0x05);
  EXPECT_EQ(reader.remaining(), 5u);
  EXPECT_EQ(reader.rest().size(), 5u);
  EXPECT_EQ(reader.rest()[0], 0x06);
  EXPECT_TRUE(reader.skip(5));
  EXPECT_TRUE(reader.empty());
  EXPECT_TRUE(reader.skip(0));
  EXPECT_TRUE(reader.bytes(0, out));
  EXPECT_TRUE(out.empty());
}

TEST(ByteReader, HugeCountsDoNotWrap) {
  ByteReader reader(kBytes);
  ASSERT_TRUE(reader.skip(4));
  std::span<const std::uint8_t> out;
  EXPECT_FALSE(reader.skip(SIZE_MAX));
  EXPECT_FALSE(reader.bytes(SIZE_MAX, out));
  EXPECT_FALSE(reader.skip(SIZE_MAX - 2));
  EXPECT_EQ(reader.offset(), 4u);
}

TEST(ByteReader, EmptyInput) {
  ByteReader reader(std::span<const std::uint8_t>{});
  std::uint8_t byte;
  EXPECT_TRUE(reader.empty());
  EXPECT_FALSE(reader.u8(byte));
  EXPECT_FALSE(reader.skip(1));
  EXPECT_TRUE(reader.rest().empty());
}

TEST(ByteReader, WorksAtCompileTime) {
  constexpr std::uint32_t value = [] {
    ByteReader reader(kBytes);
    std::uint32_t out = 0;
    reader.skip(1);
    reader.u32(out);
    return out;
  }();
  static_assert(value == 0x02030405u);
  EXPECT_EQ(value, 0x02030405u);
}

}  // namespace
}  // namespace mamori
