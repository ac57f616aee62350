#include "mamori/registry/csv.h"

#include <algorithm>

#include "mamori/core/utf8.h"
#include "mamori/registry/normalize.h"

namespace mamori::registry {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool is_line_break(char c) { return c == '\r' || c == '\n'; }

bool is_blank(const std::string& field) {
  return std::all_of(field.begin(), field.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n'; });
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

CsvReader::CsvReader(std::string_view text) : text_(text) {
  // Excel's "CSV UTF-8" writes a byte-order mark; it is not part of the first header name.
  if (text_.starts_with(kBom)) {
    pos_ = kBom.size();
    line_start_ = pos_;
  }
}

std::size_t CsvReader::column_at(std::size_t pos, std::size_t line_start) const {
  std::size_t column = 1;
  for (std::size_t i = line_start; i < pos && i < text_.size(); ++i) {
    const auto b = static_cast<unsigned char>(text_[i]);
    if (b < 0x80 || b > 0xBF) ++column;  // continuation bytes belong to the previous character
  }
  return column;
}

std::size_t CsvReader::after_line_break(std::size_t pos) const {
  while (pos < text_.size() && !is_line_break(text_[pos])) ++pos;
  if (pos >= text_.size()) return text_.size();
  if (text_[pos] == '\r' && pos + 1 < text_.size() && text_[pos + 1] == '\n') return pos + 2;
  return pos + 1;
}

std::size_t CsvReader::closing_quote(std::size_t open) {
  // Where a quoted field ends depends only on the next quote after its opening one, so the
  // answer is remembered per quote: a file of unterminated quotes, each re-read from the next
  // line, would otherwise scan to the end of the file once per line.
  constexpr std::size_t npos = std::string_view::npos;
  std::vector<std::size_t> chain;
  std::size_t quote = text_.find('"', open + 1);
  std::size_t result = npos;
  while (quote != npos) {
    if (auto known = closing_.find(quote); known != closing_.end()) {
      result = known->second;
      break;
    }
    chain.push_back(quote);
    if (quote + 1 < text_.size() && text_[quote + 1] == '"') {
      quote = text_.find('"', quote + 2);
      continue;
    }
    result = quote;
    break;
  }
  for (std::size_t visited : chain) closing_[visited] = result;
  return result;
}

std::size_t CsvReader::next_line_break(std::size_t from) {
  // Cached: no line break lies in [break_from_, break_at_).
  if (from < break_from_ || from > break_at_) {
    break_from_ = from;
    break_at_ = std::min(text_.find_first_of("\r\n", from), text_.size());
  }
  return break_at_;
}

CsvRow CsvReader::fail_row(std::size_t row_line, std::size_t line, std::size_t column,
                           std::string message, std::size_t resume_pos, std::size_t resume_line) {
  pos_ = resume_pos;
  line_ = resume_line;
  line_start_ = resume_pos;
  CsvRow row;
  row.line = row_line;
  row.error = CsvError{line, column, std::move(message)};
  return row;
}

std::optional<CsvRow> CsvReader::next() {
  const std::size_t size = text_.size();
  while (pos_ < size) {
    const std::size_t row_start = pos_;
    const std::size_t row_line = line_;
    CsvRow row;
    row.line = row_line;
    std::string field;
    while (true) {
      if (pos_ < size && text_[pos_] == '"') {
        const std::size_t open_pos = pos_;
        const std::size_t open_line = line_;
        // Columns are counted only on error: counting them for every quoted field would make
        // a long line of quoted fields quadratic.
        const std::size_t open_line_start = line_start_;
        const std::size_t close = closing_quote(open_pos);
        if (close == std::string_view::npos) {
          return fail_row(row_line, open_line, column_at(open_pos, open_line_start),
                          "unterminated quoted field (the quote opened here is never closed)",
                          after_line_break(open_pos), open_line + 1);
        }
        const bool spans_lines = next_line_break(open_pos) < close;
        if (close + 1 < size && text_[close + 1] != ',' && !is_line_break(text_[close + 1])) {
          // A quote that ran over a line break and then "closed" before ordinary text was
          // almost certainly never meant to span lines: blame it and re-read what it swallowed.
          if (spans_lines) {
            return fail_row(row_line, open_line, column_at(open_pos, open_line_start),
                            "unterminated quoted field (the quote opened here is not closed on "
                            "its line and no later quote ends the field)",
                            after_line_break(open_pos), open_line + 1);
          }
          return fail_row(row_line, line_, column_at(close + 1, line_start_),
                          "text after the closing quote of a quoted field", after_line_break(close),
                          line_ + 1);
        }
        for (pos_ = open_pos + 1; pos_ < close;) {
          const char c = text_[pos_];
          if (c == '"') {  // the first of a doubled quote
            field += '"';
            pos_ += 2;
          } else if (is_line_break(c)) {
            field += '\n';
            pos_ += (c == '\r' && pos_ + 1 < size && text_[pos_ + 1] == '\n') ? 2 : 1;
            ++line_;
            line_start_ = pos_;
          } else {
            field += c;
            ++pos_;
          }
        }
        pos_ = close + 1;
      } else {
        while (pos_ < size && text_[pos_] != ',' && !is_line_break(text_[pos_])) {
          if (text_[pos_] == '"') {
            return fail_row(row_line, line_, column_at(pos_, line_start_),
                            "quote inside an unquoted field (quote the whole field and double "
                            "the quote)",
                            after_line_break(pos_), line_ + 1);
          }
          field += text_[pos_];
          ++pos_;
        }
      }
      row.fields.push_back(std::move(field));
      field.clear();
      if (pos_ >= size) break;
      const char c = text_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      pos_ += (c == '\r' && pos_ + 1 < size && text_[pos_ + 1] == '\n') ? 2 : 1;
      ++line_;
      line_start_ = pos_;
      break;
    }

    const std::size_t bad = first_invalid_utf8(text_.substr(row_start, pos_ - row_start));
    if (bad != std::string_view::npos) {
      // Rows are short; find the bad byte's line by walking the row again.
      std::size_t line = row_line;
      std::size_t line_start = row_start;
      for (std::size_t i = row_start; i < row_start + bad; ++i) {
        if (text_[i] == '\n' || (text_[i] == '\r' && text_[i + 1] != '\n')) {
          ++line;
          line_start = i + 1;
        }
      }
      row.fields.clear();
      row.error = CsvError{line, column_at(row_start + bad, line_start),
                           "invalid UTF-8 (save the file as UTF-8, not Shift_JIS)"};
      return row;
    }
    if (std::all_of(row.fields.begin(), row.fields.end(), is_blank)) continue;
    return row;
  }
  return std::nullopt;
}

std::vector<CsvRow> read_csv(std::string_view text) {
  std::vector<CsvRow> rows;
  CsvReader reader(text);
  while (auto row = reader.next()) rows.push_back(std::move(*row));
  return rows;
}

CsvHeader::CsvHeader(std::vector<std::string> names) {
  names_.reserve(names.size());
  keys_.reserve(names.size());
  for (const std::string& name : names) {
    names_.push_back(trim(name));
    keys_.push_back(key(name));
  }
}

std::string CsvHeader::key(std::string_view name) {
  std::string folded = normalize_text(name);
  std::string key;
  key.reserve(folded.size());
  for (char c : folded) {
    if (c == '_' || c == '-') c = ' ';
    if (c == ' ' && (key.empty() || key.back() == ' ')) continue;
    key += c;
  }
  while (!key.empty() && key.back() == ' ') key.pop_back();
  return key;
}

std::optional<std::size_t> CsvHeader::find(const std::vector<std::string_view>& aliases) const {
  for (std::string_view alias : aliases) {
    const std::string wanted = key(alias);
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] == wanted) return i;
    }
  }
  return std::nullopt;
}

}  // namespace mamori::registry
