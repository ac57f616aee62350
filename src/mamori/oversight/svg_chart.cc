#include "mamori/oversight/svg_chart.h"

#include <algorithm>
#include <iterator>
#include <numeric>

#include <fmt/format.h>

#include "mamori/oversight/text_format.h"

namespace mamori::oversight {
namespace {

// Layout in SVG user units; the CSS scales the whole chart to the page width.
constexpr int kWidth = 680;
constexpr int kLabelWidth = 180;
constexpr int kValueWidth = 110;
constexpr int kRowHeight = 24;
constexpr int kBarHeight = 16;
constexpr int kTop = 8;
constexpr std::size_t kMaxLabelChars = 26;

void open_svg(std::string& out, std::string_view title, int height) {
  const std::string escaped = html_escape(title);
  fmt::format_to(std::back_inserter(out),
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" "
                 "viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" aria-label=\"{}\">"
                 "<title>{}</title>",
                 kWidth, height, kWidth, height, escaped, escaped);
}

void label(std::string& out, int y, std::string_view text) {
  fmt::format_to(std::back_inserter(out),
                 "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"label\">{}</text>",
                 kLabelWidth - 8, y, html_escape(truncate_utf8(text, kMaxLabelChars)));
}

}  // namespace

std::string svg_bar_chart(std::string_view title, std::span<const Bar> bars) {
  std::string out;
  const double max_value = std::accumulate(
      bars.begin(), bars.end(), 0.0, [](double m, const Bar& b) { return std::max(m, b.value); });
  if (bars.empty() || !(max_value > 0)) {
    open_svg(out, title, 40);
    out += "<text x=\"10\" y=\"24\" class=\"empty\">データなし / no data</text></svg>";
    return out;
  }
  const int height = kTop * 2 + static_cast<int>(bars.size()) * kRowHeight;
  open_svg(out, title, height);
  const int bar_area = kWidth - kLabelWidth - kValueWidth;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const int y = kTop + static_cast<int>(i) * kRowHeight;
    const double value = std::max(0.0, bars[i].value);
    // A non-zero value gets at least one unit so it is distinguishable from zero.
    int length = static_cast<int>(value / max_value * bar_area + 0.5);
    if (value > 0 && length == 0) length = 1;
    label(out, y + kBarHeight - 3, bars[i].label);
    fmt::format_to(std::back_inserter(out),
                   "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"bar\"/>"
                   "<text x=\"{}\" y=\"{}\" class=\"value\">{}</text>",
                   kLabelWidth, y, length, kBarHeight, kLabelWidth + length + 6, y + kBarHeight - 3,
                   html_escape(bars[i].value_text));
  }
  out += "</svg>";
  return out;
}

std::string svg_timeline(std::string_view title, std::span<const TimelineRow> rows, Timestamp from,
                         Timestamp to) {
  std::string out;
  if (rows.empty() || !(from < to)) {
    open_svg(out, title, 40);
    out += "<text x=\"10\" y=\"24\" class=\"empty\">データなし / no data</text></svg>";
    return out;
  }
  const std::size_t shown = std::min(rows.size(), kMaxTimelineRows);
  const int axis_height = 22;
  const int note_height = shown < rows.size() ? 18 : 0;
  const int height = kTop + static_cast<int>(shown) * kRowHeight + axis_height + note_height;
  open_svg(out, title, height);
  const int area = kWidth - kLabelWidth - 20;
  const double span = static_cast<double>(to.nanos - from.nanos);
  auto x_of = [&](Timestamp t) {
    const Timestamp clipped = std::clamp(t, from, to);
    return kLabelWidth + static_cast<int>((clipped.nanos - from.nanos) / span * area + 0.5);
  };
  const int plot_bottom = kTop + static_cast<int>(shown) * kRowHeight;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& row = rows[i];
    const int y = kTop + static_cast<int>(i) * kRowHeight;
    label(out, y + kBarHeight - 3, row.label);
    if (row.end <= from || row.start >= to) continue;  // outside the period: label only
    const int x0 = x_of(row.start);
    const int x1 = std::max(x0 + 2, x_of(row.open_end ? to : row.end));
    const bool approval = row.kind == TimelineKind::approval;
    fmt::format_to(std::back_inserter(out),
                   "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"{}{}\"/>", x0,
                   approval ? y : y + 3, x1 - x0, approval ? kBarHeight : kBarHeight - 6,
                   approval ? "window" : "run", row.open_end ? " open" : "");
  }
  // Axis: the period's start, middle and end.
  fmt::format_to(std::back_inserter(out),
                 "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" class=\"axis\"/>", kLabelWidth,
                 plot_bottom + 2, kLabelWidth + area);
  const Timestamp middle{from.nanos + (to.nanos - from.nanos) / 2};
  const char* anchors[] = {"start", "middle", "end"};
  const Timestamp ticks[] = {from, middle, to};
  for (int i = 0; i < 3; ++i) {
    fmt::format_to(std::back_inserter(out),
                   "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" class=\"tick\">{}</text>",
                   x_of(ticks[i]), plot_bottom + 16, anchors[i],
                   html_escape(format_time(ticks[i])));
  }
  if (note_height > 0) {
    fmt::format_to(std::back_inserter(out),
                   "<text x=\"10\" y=\"{}\" class=\"empty\">ほか {} 行省略 / {} more rows not "
                   "shown</text>",
                   height - 4, rows.size() - shown, rows.size() - shown);
  }
  out += "</svg>";
  return out;
}

}  // namespace mamori::oversight
