// intel/stix_pattern: renders and parses the equality-only subset of STIX patterning. The
// parser is a hand-written scanner over the text (no recursion, every read bounds-checked)
// because imported patterns are untrusted; messages give byte offsets, never the values.

#include "mamori/intel/stix_pattern.h"

#include <array>
#include <cstddef>
#include <optional>
#include <utility>

#include "mamori/core/ip.h"
#include "mamori/core/utf8.h"

namespace mamori::intel::stix {
namespace {

struct PropertyInfo {
  ObservableProperty property;
  std::string_view path;      // as rendered
  std::string_view type;      // the part before ':'
  std::string_view hash_key;  // for file hashes: the key inside hashes.<key>
  std::size_t hex_digits;     // for file hashes
};

constexpr std::array<PropertyInfo, 8> kProperties = {{
    {ObservableProperty::kIpv4, "ipv4-addr:value", "ipv4-addr", "", 0},
    {ObservableProperty::kIpv6, "ipv6-addr:value", "ipv6-addr", "", 0},
    {ObservableProperty::kDomainName, "domain-name:value", "domain-name", "", 0},
    {ObservableProperty::kUrl, "url:value", "url", "", 0},
    {ObservableProperty::kFileMd5, "file:hashes.MD5", "file", "MD5", 32},
    {ObservableProperty::kFileSha1, "file:hashes.'SHA-1'", "file", "SHA-1", 40},
    {ObservableProperty::kFileSha256, "file:hashes.'SHA-256'", "file", "SHA-256", 64},
    {ObservableProperty::kFileSha512, "file:hashes.'SHA-512'", "file", "SHA-512", 128},
}};

const PropertyInfo& info(ObservableProperty property) {
  for (const auto& entry : kProperties) {
    if (entry.property == property) return entry;
  }
  return kProperties[0];
}

bool is_hex(std::string_view text) {
  for (char c : text) {
    const bool digit = c >= '0' && c <= '9';
    const bool lower = c >= 'a' && c <= 'f';
    const bool upper = c >= 'A' && c <= 'F';
    if (!digit && !lower && !upper) return false;
  }
  return true;
}

// An address or prefix of the given family; text only, so no message echoes it.
bool is_address_or_prefix(std::string_view text, bool v6) {
  if (text.empty() || (text.find(':') != std::string_view::npos) != v6) return false;
  auto prefix = Prefix::parse(text);
  return prefix.has_value() && prefix->address().is_v4() != v6;
}

Result<void> check_value(const PatternComparison& comparison) {
  const PropertyInfo& property = info(comparison.property);
  const std::string_view value = comparison.value;
  switch (comparison.property) {
    case ObservableProperty::kIpv4:
    case ObservableProperty::kIpv6:
      if (!is_address_or_prefix(value, comparison.property == ObservableProperty::kIpv6)) {
        return fail("{}: not an {} address or prefix", property.path,
                    comparison.property == ObservableProperty::kIpv6 ? "IPv6" : "IPv4");
      }
      return {};
    case ObservableProperty::kDomainName:
    case ObservableProperty::kUrl:
      if (value.empty()) return fail("{}: empty value", property.path);
      if (!is_valid_utf8(value)) return fail("{}: value is not valid UTF-8", property.path);
      return {};
    case ObservableProperty::kFileMd5:
    case ObservableProperty::kFileSha1:
    case ObservableProperty::kFileSha256:
    case ObservableProperty::kFileSha512:
      if (value.size() != property.hex_digits || !is_hex(value)) {
        return fail("{}: expected {} hex digits", property.path, property.hex_digits);
      }
      return {};
  }
  return fail("unknown observable property");
}

std::string_view join_word(PatternJoin join) { return join == PatternJoin::kAnd ? "AND" : "OR"; }

// A cursor over the pattern text.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool done() {
    skip_space();
    return pos_ >= text_.size();
  }
  std::size_t offset() const { return pos_; }
  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // AND / OR as whole words.
  std::optional<PatternJoin> join() {
    skip_space();
    for (const auto& [word, join] : {std::pair{std::string_view("AND"), PatternJoin::kAnd},
                                     std::pair{std::string_view("OR"), PatternJoin::kOr}}) {
      if (text_.substr(pos_, word.size()) != word) continue;
      const std::size_t end = pos_ + word.size();
      if (end < text_.size() && text_[end] != ' ' && text_[end] != '\t' && text_[end] != '\n' &&
          text_[end] != '\r' && text_[end] != '[') {
        continue;
      }
      pos_ = end;
      return join;
    }
    return std::nullopt;
  }
  // The longest run of characters allowed in an object type or property name.
  std::string_view word() {
    skip_space();
    const std::size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
      if (!ok) break;
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }
  // A '...' literal; only \' and \\ are escapes (spec 9.3).
  Result<std::string> string_literal() {
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != '\'') {
      return fail("expected a quoted string at offset {}", pos_);
    }
    const std::size_t start = pos_++;
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '\'') return out;
      if (c == '\\') {
        if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '\\')) {
          return fail("invalid escape in string at offset {}", pos_ - 1);
        }
        out += text_[pos_++];
        continue;
      }
      out += c;
    }
    return fail("unterminated string starting at offset {}", start);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

Result<ObservableProperty> parse_object_path(Scanner& scanner) {
  const std::size_t start = scanner.offset();
  const std::string_view type = scanner.word();
  if (type.empty() || !scanner.accept(':')) {
    return fail("expected an object path at offset {}", start);
  }
  const std::string_view name = scanner.word();
  if (name == "value") {
    for (const auto& entry : kProperties) {
      if (entry.type == type && entry.hash_key.empty()) return entry.property;
    }
    return fail("unsupported object type at offset {}", start);
  }
  if (type != "file" || name != "hashes" || !scanner.accept('.')) {
    return fail("unsupported object path at offset {}", start);
  }
  std::string key;
  const std::size_t key_offset = scanner.offset();
  if (auto quoted = scanner.string_literal()) {
    key = std::move(*quoted);
  } else {
    key = std::string(scanner.word());
  }
  for (const auto& entry : kProperties) {
    if (!entry.hash_key.empty() && entry.hash_key == key) return entry.property;
  }
  return fail("unsupported hash algorithm at offset {}", key_offset);
}

Result<PatternObservation> parse_observation(Scanner& scanner) {
  PatternObservation observation;
  std::optional<PatternJoin> join;
  while (true) {
    auto property = parse_object_path(scanner);
    if (!property) return fail(std::move(property.error()));
    const std::size_t op_offset = scanner.offset();
    if (!scanner.accept('=')) return fail("expected '=' at offset {}", op_offset);
    const std::size_t value_offset = scanner.offset();
    auto value = scanner.string_literal();
    if (!value) return fail(std::move(value.error()));
    PatternComparison comparison{*property, std::move(*value)};
    if (auto checked = check_value(comparison); !checked) {
      return fail("{} (value at offset {})", checked.error().message, value_offset);
    }
    observation.comparisons.push_back(std::move(comparison));
    if (scanner.accept(']')) break;
    const std::size_t join_offset = scanner.offset();
    const auto next = scanner.join();
    if (!next) return fail("expected AND, OR or ']' at offset {}", join_offset);
    if (join && *join != *next) {
      return fail("mixed AND and OR inside one observation at offset {}", join_offset);
    }
    join = next;
  }
  observation.join = join.value_or(PatternJoin::kOr);
  return observation;
}

}  // namespace

std::string_view object_path(ObservableProperty property) { return info(property).path; }

Pattern any_of(ObservableProperty property, const std::vector<std::string>& values) {
  Pattern pattern;
  pattern.join = PatternJoin::kOr;
  for (const auto& value : values) {
    pattern.observations.push_back({{{property, value}}, PatternJoin::kOr});
  }
  return pattern;
}

std::string quote_pattern_string(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out += '\'';
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

Result<std::string> render_pattern(const Pattern& pattern) {
  if (pattern.observations.empty()) return fail("pattern has no observation");
  std::string out;
  for (std::size_t i = 0; i < pattern.observations.size(); ++i) {
    const PatternObservation& observation = pattern.observations[i];
    if (observation.comparisons.empty()) return fail("observation {} has no comparison", i);
    if (i > 0) fmt::format_to(std::back_inserter(out), " {} ", join_word(pattern.join));
    out += '[';
    for (std::size_t j = 0; j < observation.comparisons.size(); ++j) {
      const PatternComparison& comparison = observation.comparisons[j];
      if (auto checked = check_value(comparison); !checked) {
        return fail("observation {}, comparison {}: {}", i, j, checked.error().message);
      }
      if (j > 0) fmt::format_to(std::back_inserter(out), " {} ", join_word(observation.join));
      out += object_path(comparison.property);
      out += " = ";
      out += quote_pattern_string(comparison.value);
    }
    out += ']';
  }
  return out;
}

Result<Pattern> parse_pattern(std::string_view text) {
  Scanner scanner(text);
  Pattern pattern;
  std::optional<PatternJoin> join;
  while (true) {
    const std::size_t open_offset = scanner.offset();
    if (!scanner.accept('[')) return fail("expected '[' at offset {}", open_offset);
    auto observation = parse_observation(scanner);
    if (!observation) return fail(std::move(observation.error()));
    pattern.observations.push_back(std::move(*observation));
    if (scanner.done()) break;
    const std::size_t join_offset = scanner.offset();
    const auto next = scanner.join();
    if (!next) return fail("expected AND or OR at offset {}", join_offset);
    if (join && *join != *next) {
      return fail("mixed AND and OR between observations at offset {}", join_offset);
    }
    join = next;
  }
  pattern.join = join.value_or(PatternJoin::kOr);
  return pattern;
}

}  // namespace mamori::intel::stix
