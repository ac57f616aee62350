#pragma once
// oversight/svg_chart: the report's charts as inline SVG (no script, no external resource,
// readable when printed in greyscale). Every label is escaped: labels come from ledger events.

#include <span>
#include <string>
#include <vector>

#include "mamori/core/time.h"

namespace mamori::oversight {

struct Bar {
  std::string label;
  double value = 0;        // bar length, relative to the largest value in the chart
  std::string value_text;  // printed after the bar, e.g. "1,234 B" or "0.42%"
};

// Horizontal bar chart; `title` is used for the accessible name (<title>, aria-label).
// With no bar, or all values zero, the chart says "データなし / no data".
std::string svg_bar_chart(std::string_view title, std::span<const Bar> bars);

enum class TimelineKind { approval, run };

struct TimelineRow {
  std::string label;
  TimelineKind kind = TimelineKind::run;
  Timestamp start;
  Timestamp end;
  bool open_end = false;  // still running / no end known: drawn to the right edge, dashed
};

// Gantt-like chart of rows over [from, to); bars are clipped to that range. At most
// `kMaxTimelineRows` rows are drawn; the chart notes how many were left out.
inline constexpr std::size_t kMaxTimelineRows = 40;
std::string svg_timeline(std::string_view title, std::span<const TimelineRow> rows, Timestamp from,
                         Timestamp to);

}  // namespace mamori::oversight
