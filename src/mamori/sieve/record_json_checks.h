#pragma once
// sieve/record_json_checks: the value checks of the record format (record_json.h) shared by
// its two readers, the reference reader over the nlohmann DOM (record_json.cc) and the fast
// single-pass one (record_json_reader.cc), so that the two cannot disagree on what a valid
// value is. Internal to the sieve library.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/sieve/record.h"

namespace mamori::sieve::record_json_checks {

inline constexpr std::string_view kHexDigits = "0123456789abcdef";
inline constexpr std::size_t kFlowIdDigits = 32;
// Timestamps are int64 nanoseconds: 2262-04-11 is the last representable day.
inline constexpr int kMinYear = 1970;
inline constexpr int kMaxYear = 2261;
inline constexpr std::int64_t kEndOfMaxYearSeconds = 9'214'646'400;  // 2262-01-01T00:00:00Z
// "2026-11-22T02:37:19.123456Z": the only time form a record carries.
inline constexpr std::size_t kTimeLength = 27;

inline bool is_country(std::string_view text) {
  return text.size() == 2 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Either case: flow ids written by hand or by other tools may be upper-case.
inline bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

inline bool is_measure_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxMeasureNameLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

}  // namespace mamori::sieve::record_json_checks
