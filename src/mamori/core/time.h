#pragma once
// core/time: timestamps as nanoseconds since the Unix epoch (UTC), RFC 3339 text, and an
// injectable clock so that time-dependent rules are tested without sleeping.

#include <cstdint>
#include <string>
#include <string_view>

#include "mamori/core/error.h"

namespace mamori {

struct Timestamp {
  std::int64_t nanos = 0;

  static constexpr Timestamp from_seconds(std::int64_t seconds) {
    return {seconds * 1'000'000'000};
  }
  static constexpr Timestamp from_micros(std::int64_t micros) { return {micros * 1'000}; }
  constexpr std::int64_t micros() const { return nanos / 1'000; }
  constexpr std::int64_t seconds() const { return nanos / 1'000'000'000; }

  constexpr auto operator<=>(const Timestamp&) const = default;
};

// A span of time in nanoseconds.
struct Duration {
  std::int64_t nanos = 0;
  static constexpr Duration seconds(std::int64_t s) { return {s * 1'000'000'000}; }
  static constexpr Duration millis(std::int64_t ms) { return {ms * 1'000'000}; }
  constexpr auto operator<=>(const Duration&) const = default;
};

constexpr Timestamp operator+(Timestamp t, Duration d) { return {t.nanos + d.nanos}; }
constexpr Timestamp operator-(Timestamp t, Duration d) { return {t.nanos - d.nanos}; }
constexpr Duration operator-(Timestamp a, Timestamp b) { return {a.nanos - b.nanos}; }

// "2026-11-22T02:37:19.123456Z": UTC, always six fractional digits.
std::string format_rfc3339_micros(Timestamp t);
// "2026-11-22T02:37:19Z": UTC, whole seconds.
std::string format_rfc3339_seconds(Timestamp t);
// Accepts RFC 3339 with 'Z' or a numeric offset, and optional fractional seconds (up to ns).
Result<Timestamp> parse_rfc3339(std::string_view text);
// "90s", "15m", "2h", "30d", or a bare number of seconds.
Result<Duration> parse_duration(std::string_view text);

// The clock used by every time-dependent rule; tests inject a ManualClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_(start) {}
  Timestamp now() const override { return now_; }
  void set(Timestamp t) { now_ = t; }
  void advance(Duration d) { now_ = now_ + d; }

 private:
  Timestamp now_;
};

}  // namespace mamori
