#include "mamori/core/time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace mamori {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

Timestamp parse(std::string_view text) {
  const auto parsed = parse_rfc3339(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << (parsed ? "" : parsed.error().message);
  return parsed.value_or(Timestamp{});
}

// Epoch seconds computed independently with Python's calendar.timegm.
TEST(Rfc3339, ParsesTheExamplesOfRfc3339Section5_8) {
  EXPECT_EQ(parse("1985-04-12T23:20:50.52Z").nanos, 482196050 * kSecond + 520'000'000);
  EXPECT_EQ(parse("1996-12-19T16:39:57-08:00").nanos, 851042397 * kSecond);
  EXPECT_EQ(parse("1937-01-01T12:00:27.87+00:20").nanos, -1041337173 * kSecond + 870'000'000);
  // A leap second is accepted and lands on the next second (no leap-second table here).
  EXPECT_EQ(parse("1990-12-31T23:59:60Z").nanos, 662688000 * kSecond);
  EXPECT_EQ(parse("1990-12-31T15:59:60-08:00").nanos, 662688000 * kSecond);
}

TEST(Rfc3339, AcceptsSeparatorAndZoneVariants) {
  const Timestamp expected{1795315039 * kSecond};
  EXPECT_EQ(parse("2026-11-22T02:37:19Z"), expected);
  EXPECT_EQ(parse("2026-11-22t02:37:19z"), expected);
  EXPECT_EQ(parse("2026-11-22 02:37:19Z"), expected);
  EXPECT_EQ(parse("2026-11-22T11:37:19+09:00"), expected);
  EXPECT_EQ(parse("2026-11-21T21:37:19-05:00"), expected);
  EXPECT_EQ(parse("2026-11-22T02:37:19+00:00"), expected);
  EXPECT_EQ(parse("2026-11-22T02:37:19-00:00"), expected);
}

TEST(Rfc3339, FractionsUpToNanoseconds) {
  const std::int64_t base = 1795315039 * kSecond;
  EXPECT_EQ(parse("2026-11-22T02:37:19.1Z").nanos, base + 100'000'000);
  EXPECT_EQ(parse("2026-11-22T02:37:19.000001Z").nanos, base + 1'000);
  EXPECT_EQ(parse("2026-11-22T02:37:19.123456789Z").nanos, base + 123'456'789);
  // Digits past nanoseconds are dropped, not rounded.
  EXPECT_EQ(parse("2026-11-22T02:37:19.1234567899Z").nanos, base + 123'456'789);
}

TEST(Rfc3339, FormatsUtc) {
  const Timestamp t{1795315039 * kSecond + 123'456'789};
  EXPECT_EQ(format_rfc3339_micros(t), "2026-11-22T02:37:19.123456Z");
  EXPECT_EQ(format_rfc3339_seconds(t), "2026-11-22T02:37:19Z");
  EXPECT_EQ(format_rfc3339_micros(Timestamp{}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_rfc3339_seconds(Timestamp{-1}), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339_micros(Timestamp{-1'000}), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_rfc3339_seconds(Timestamp{951825600 * kSecond}), "2000-02-29T12:00:00Z");
}

TEST(Rfc3339, RoundTrips) {
  for (const std::int64_t nanos :
       {std::int64_t{0}, std::int64_t{1'000}, std::int64_t{-1'000}, 482196050 * kSecond,
        -1041337173 * kSecond + 870'000, 951825600 * kSecond + 999'999'000,
        4102444799 * kSecond + 500'000,  // 2099-12-31T23:59:59.0005
        std::numeric_limits<std::int64_t>::max() / 1000 * 1000,
        std::numeric_limits<std::int64_t>::min() / 1000 * 1000}) {
    const Timestamp t{nanos};
    const std::string text = format_rfc3339_micros(t);
    EXPECT_EQ(parse(text), t) << text;
    const Timestamp whole{Timestamp{nanos}.seconds() * kSecond};
    EXPECT_EQ(parse(format_rfc3339_seconds(whole)), whole);
  }
}

TEST(Rfc3339, RejectsMalformedText) {
  for (const char* text :
       {"", "2026-11-22", "2026-11-22T02:37:19", "2026-11-22T02:37Z", "26-11-22T02:37:19Z",
        "2026/11/22T02:37:19Z", "2026-11-22X02:37:19Z", "2026-11-22T02:37:19.Z",
        "2026-11-22T02:37:19+0900", "2026-11-22T02:37:19+09", "2026-11-22T02:37:19Z ",
        " 2026-11-22T02:37:19Z", "2026-11-22T02:37:19ZZ", "2026-1-22T02:37:19Z",
        "2026-11-22T2:37:19Z", "2026-11-22T02:37:19.5.5Z", "2026-11-22T02:37:19+09:00x",
        "２０２６-11-22T02:37:19Z"}) {
    EXPECT_FALSE(parse_rfc3339(text).has_value()) << text;
  }
}

TEST(Rfc3339, RejectsFieldsOutOfRange) {
  for (const char* text :
       {"2026-00-10T00:00:00Z", "2026-13-10T00:00:00Z", "2026-01-00T00:00:00Z",
        "2026-01-32T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-02-31T00:00:00Z", "1900-02-29T00:00:00Z", "2026-01-01T24:00:00Z",
        "2026-01-01T00:60:00Z", "2026-01-01T00:00:61Z", "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+05:60", "2026-01-01T00:00:00-99:99"}) {
    EXPECT_FALSE(parse_rfc3339(text).has_value()) << text;
  }
  EXPECT_TRUE(parse_rfc3339("2024-02-29T00:00:00Z").has_value());  // a leap year
  EXPECT_TRUE(parse_rfc3339("2000-02-29T00:00:00Z").has_value());  // divisible by 400
  EXPECT_TRUE(parse_rfc3339("2026-12-31T23:59:59+23:59").has_value());
}

TEST(Rfc3339, RejectsTimesOutsideTheSixtyFourBitRange) {
  EXPECT_TRUE(parse_rfc3339("2262-04-11T23:47:16.854775807Z").has_value());
  EXPECT_EQ(parse("2262-04-11T23:47:16.854775807Z").nanos,
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse("1677-09-21T00:12:43.145224192Z").nanos,
            std::numeric_limits<std::int64_t>::min());
  for (const char* text : {"2262-04-11T23:47:16.854775808Z", "9999-12-31T23:59:59Z",
                           "1677-09-21T00:12:43.145224191Z", "0000-01-01T00:00:00Z"}) {
    const auto parsed = parse_rfc3339(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_NE(parsed.error().message.find(text), std::string::npos);
  }
}

TEST(Rfc3339, ErrorsQuoteTheInput) {
  const auto parsed = parse_rfc3339("yesterday");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("'yesterday'"), std::string::npos);
}

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(parse_duration("90s").value(), Duration::seconds(90));
  EXPECT_EQ(parse_duration("90").value(), Duration::seconds(90));
  EXPECT_EQ(parse_duration("250ms").value(), Duration::millis(250));
  EXPECT_EQ(parse_duration("15m").value(), Duration::seconds(900));
  EXPECT_EQ(parse_duration("2h").value(), Duration::seconds(7200));
  EXPECT_EQ(parse_duration("30d").value(), Duration::seconds(30 * 86400));
  EXPECT_EQ(parse_duration("0").value(), Duration{});
}

TEST(Duration, RejectsMalformedAndOverlongValues) {
  for (const char* text :
       {"", "s", "-5s", "5 s", " 5s", "5S", "1.5h", "5w", "5sec", "h5", "99999999999999999999",
        "106752d", "2562048h", "9223372037s", "9223372036854776ms"}) {
    EXPECT_FALSE(parse_duration(text).has_value()) << text;
  }
  // The largest values that fit in 64-bit nanoseconds.
  EXPECT_EQ(parse_duration("106751d").value(), Duration::seconds(106751LL * 86400));
  EXPECT_EQ(parse_duration("9223372036s").value(), Duration::seconds(9223372036));
  EXPECT_NE(parse_duration("5w").error().message.find("'w'"), std::string::npos);
}

TEST(Time, ArithmeticAndConversions) {
  const Timestamp t = Timestamp::from_seconds(100);
  EXPECT_EQ(t + Duration::seconds(5), Timestamp::from_seconds(105));
  EXPECT_EQ(t - Duration::millis(500), Timestamp{99'500'000'000});
  EXPECT_EQ(Timestamp::from_seconds(105) - t, Duration::seconds(5));
  EXPECT_EQ(Timestamp::from_micros(1'500'000).seconds(), 1);
  EXPECT_EQ(Timestamp{1'999'999}.micros(), 1'999);
}

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(Timestamp::from_seconds(1000));
  const Clock& view = clock;
  EXPECT_EQ(view.now(), Timestamp::from_seconds(1000));
  clock.advance(Duration::seconds(30));
  EXPECT_EQ(view.now(), Timestamp::from_seconds(1030));
  clock.set(Timestamp::from_seconds(5));
  EXPECT_EQ(view.now(), Timestamp::from_seconds(5));
}

TEST(Clock, SystemClockIsAfter2025) {
  const SystemClock clock;
  EXPECT_GT(clock.now(), parse("2025-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace mamori
