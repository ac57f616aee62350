#include "mamori/core/time.h"

#include <charconv>
#include <chrono>
#include <ctime>
#include <limits>
#include <utility>

namespace mamori {
namespace {

__extension__ typedef __int128 Int128;

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's civil algorithm).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr bool is_leap_year(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int days_in_month(std::int64_t y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

struct Civil {
  std::int64_t year;
  unsigned month, day, hour, minute, second;
  std::int64_t subsecond_nanos;
};

Civil to_civil(Timestamp t) {
  std::int64_t seconds = t.nanos / 1'000'000'000;
  std::int64_t nanos = t.nanos % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    seconds -= 1;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  return {y,
          m,
          d,
          static_cast<unsigned>(rem / 3600),
          static_cast<unsigned>(rem % 3600 / 60),
          static_cast<unsigned>(rem % 60),
          nanos};
}

bool read_digits(std::string_view text, std::size_t& pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += count;
  return true;
}

bool expect_char(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_rfc3339_micros(Timestamp t) {
  const Civil c = to_civil(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", c.year, c.month, c.day, c.hour,
                     c.minute, c.second, c.subsecond_nanos / 1000);
}

std::string format_rfc3339_seconds(Timestamp t) {
  const Civil c = to_civil(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour,
                     c.minute, c.second);
}

Result<Timestamp> parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  const bool date_ok = read_digits(text, pos, 4, year) && expect_char(text, pos, '-') &&
                       read_digits(text, pos, 2, month) && expect_char(text, pos, '-') &&
                       read_digits(text, pos, 2, day);
  if (!date_ok) return fail("'{}' is not an RFC 3339 time (expected YYYY-MM-DD)", text);
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return fail("'{}' is not an RFC 3339 time (expected 'T' after the date)", text);
  }
  ++pos;
  const bool time_ok = read_digits(text, pos, 2, hour) && expect_char(text, pos, ':') &&
                       read_digits(text, pos, 2, minute) && expect_char(text, pos, ':') &&
                       read_digits(text, pos, 2, second);
  if (!time_ok) return fail("'{}' is not an RFC 3339 time (expected hh:mm:ss)", text);
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return fail("'{}' has a field out of range", text);
  }
  std::int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) nanos += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++digits;
    }
    if (digits == 0) return fail("'{}' has an empty fraction of a second", text);
  }
  std::int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!read_digits(text, pos, 2, oh) || !expect_char(text, pos, ':') ||
        !read_digits(text, pos, 2, om)) {
      return fail("'{}' has a malformed UTC offset", text);
    }
    if (oh > 23 || om > 59) return fail("'{}' has a UTC offset out of range", text);
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return fail("'{}' lacks a time zone ('Z' or +hh:mm)", text);
  }
  if (pos != text.size()) return fail("'{}' has trailing characters", text);
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  // Nanoseconds in 64 bits reach only the years 1677 to 2262.
  const Int128 total = static_cast<Int128>(seconds) * 1'000'000'000 + nanos;
  if (total > std::numeric_limits<std::int64_t>::max() ||
      total < std::numeric_limits<std::int64_t>::min()) {
    return fail("'{}' is outside the representable years 1677 to 2262", text);
  }
  return Timestamp{static_cast<std::int64_t>(total)};
}

Result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return fail("empty duration");
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || value < 0) return fail("'{}' is not a duration", text);
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"", 1'000'000'000},   {"s", 1'000'000'000},     {"ms", 1'000'000},
      {"m", 60'000'000'000}, {"h", 3'600'000'000'000}, {"d", 86'400'000'000'000}};
  std::int64_t nanos_per_unit = 0;
  for (const auto& [name, nanos] : kUnits) {
    if (unit == name) nanos_per_unit = nanos;
  }
  if (nanos_per_unit == 0) {
    return fail("'{}' has unknown unit '{}' (use ms, s, m, h or d)", text, unit);
  }
  if (value > std::numeric_limits<std::int64_t>::max() / nanos_per_unit) {
    return fail("'{}' is too long a duration", text);
  }
  return Duration{value * nanos_per_unit};
}

Timestamp SystemClock::now() const {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return {std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count()};
}

}  // namespace mamori
