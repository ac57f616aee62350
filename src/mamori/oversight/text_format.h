#pragma once
// oversight/text_format: the small text helpers both renderers and the charts share:
// escaping untrusted text for HTML/SVG, numbers with thousands separators, ratios as
// percentages, times and shortened hashes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mamori/core/time.h"

namespace mamori::oversight {

// Escapes & < > " ' so the result is safe as HTML/XML text and inside quoted attributes.
std::string html_escape(std::string_view text);

// 1234567 → "1,234,567".
std::string group_digits(std::uint64_t value);

// 0.1234 → "12.34%"; below 1% four decimals ("0.0042%") so small selection ratios stay
// visible; absent → "—".
std::string format_percent(std::optional<double> ratio);

// "2026-12-02 10:00:00 UTC".
std::string format_time(Timestamp t);
std::string format_time(const std::optional<Timestamp>& t);  // absent → "—"

// The first 12 hex digits and an ellipsis; shorter input unchanged.
std::string short_hash(std::string_view hex);

// At most `max_chars` code points of UTF-8 `text`, with "…" when cut; never splits a
// multi-byte sequence.
std::string truncate_utf8(std::string_view text, std::size_t max_chars);

}  // namespace mamori::oversight
