#pragma once
// registry/csv: an RFC 4180 reader for the files operators actually send — spreadsheet exports
// with a UTF-8 byte-order mark, CRLF or LF (or old Mac CR) line ends, quoted fields holding
// commas, doubled quotes and line breaks, blank lines, and trailing empty fields. A malformed
// row (unterminated quote, stray quote in an unquoted field, invalid UTF-8) comes back as an
// error naming its line and column; the reader goes on with the next row, so one bad row
// never costs the rest of the file.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mamori::registry {

// Where and what: line and column are 1-based; the column counts characters (UTF-8 code
// points, an invalid byte counting as one), not bytes, because operators read Japanese text
// in an editor. The message never quotes field contents.
struct CsvError {
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;
};

// One logical row. `line` is the physical line it starts on (a quoted field may run over more
// lines). Line breaks inside quoted fields are returned as "\n" whatever the file used. When
// `error` is set, `fields` is empty.
struct CsvRow {
  std::size_t line = 0;
  std::vector<std::string> fields;
  std::optional<CsvError> error;
};

// Reads rows one at a time from text that outlives the reader. Rows whose fields are all
// blank (empty lines, ",,,," lines from spreadsheets) are skipped.
//
// Recovery: after a stray quote the reader resumes at the next physical line. When a quoted
// field does not close properly — it reaches the end of the file, or its closing quote is
// followed by something other than a comma or line end after running over a line break —
// the opening quote is blamed and the reader resumes on the line after it, so the rows an
// unterminated quote swallowed are read again.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text);
  std::optional<CsvRow> next();

 private:
  std::size_t column_at(std::size_t pos, std::size_t line_start) const;
  std::size_t after_line_break(std::size_t pos) const;  // offset after the next line break
  std::size_t closing_quote(std::size_t open);          // npos when never closed
  std::size_t next_line_break(std::size_t from);        // text size when none
  CsvRow fail_row(std::size_t row_line, std::size_t line, std::size_t column, std::string message,
                  std::size_t resume_pos, std::size_t resume_line);

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;  // offset where the physical line line_ starts
  std::unordered_map<std::size_t, std::size_t> closing_;  // quote → where a field reaching it ends
  std::size_t break_from_ = std::string_view::npos;       // nothing cached yet
  std::size_t break_at_ = 0;
};

// All rows of `text` (errors included, blank rows skipped).
std::vector<CsvRow> read_csv(std::string_view text);

// The header row: column names mapped to indices, compared after header_key() folding, so
// "Internet_Facing", "internet facing" and "ＩＮＴＥＲＮＥＴ－ＦＡＣＩＮＧ" are the same column.
class CsvHeader {
 public:
  CsvHeader() = default;
  explicit CsvHeader(std::vector<std::string> names);

  // normalize_text (width, case, blanks), with '_' and '-' read as spaces.
  static std::string key(std::string_view name);

  // Index of the first column whose key equals the key of any alias.
  std::optional<std::size_t> find(const std::vector<std::string_view>& aliases) const;
  const std::string& name(std::size_t index) const { return names_[index]; }
  std::size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;  // as written, trimmed
  std::vector<std::string> keys_;
};

}  // namespace mamori::registry
