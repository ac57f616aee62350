#include "mamori/oversight/text_format.h"

#include <fmt/format.h>

namespace mamori::oversight {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // Control characters other than tab/newline have no business in a report and are
        // not valid in XML 1.0; show them as U+FFFD.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string group_digits(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_percent(std::optional<double> ratio) {
  if (!ratio) return "—";
  const double percent = *ratio * 100.0;
  if (percent == 0.0 || percent >= 1.0) return fmt::format("{:.2f}%", percent);
  return fmt::format("{:.4f}%", percent);
}

std::string format_time(Timestamp t) {
  std::string text = format_rfc3339_seconds(t);  // 2026-12-02T10:00:00Z
  if (text.size() == 20 && text[10] == 'T' && text.back() == 'Z') {
    text[10] = ' ';
    text.pop_back();
    text += " UTC";
  }
  return text;
}

std::string format_time(const std::optional<Timestamp>& t) { return t ? format_time(*t) : "—"; }

std::string short_hash(std::string_view hex) {
  if (hex.size() <= 12) return std::string(hex);
  return std::string(hex.substr(0, 12)) + "…";
}

std::string truncate_utf8(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == max_chars) return std::string(text.substr(0, i)) + "…";
    ++chars;
  }
  return std::string(text);
}

}  // namespace mamori::oversight
