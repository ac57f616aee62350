#include "mamori/sieve/record_json_reader.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "mamori/decode/app.h"
#include "mamori/sieve/record_json_checks.h"

// Why a second reader: decoding a stored record through the nlohmann DOM costs about 12 µs
// (a map node and a string per key, at every depth), which made reading 10 M records back for
// analysis take two minutes. The record schema is closed and its key order fixed, so one
// forward pass that checks each key where the writer puts it, and each value with the same
// predicates as record_json.cc, reads a typical line in about 1 µs.
//
// Equivalence with record_from_json (the reference) rests on three rules, each checked below
// where it applies:
//  1. The JSON grammar is nlohmann's, or narrower: the same UTF-8 ranges (RFC 3629), escapes
//     and surrogate pairs, number syntax and number conversions (integers that fit 64 bits are
//     integers, converted to double as nlohmann's get<double> does; other numbers by a
//     correctly rounded conversion, as strtod).
//  2. Every value check is the reference's own function or record_json_checks.h, never a
//     re-implementation with room to drift, except read_time's, which is mirrored line by line.
//  3. Whatever the reference would resolve in a way this reader does not reproduce (keys out of
//     order, a duplicate key where the DOM keeps the last, measure names not in the DOM's
//     sorted order, "-0" integers outside measures, out-of-range floats) is declined.

namespace mamori::sieve {
namespace {

using record_json_checks::is_country;
using record_json_checks::is_hex;
using record_json_checks::is_measure_name;
using record_json_checks::kEndOfMaxYearSeconds;
using record_json_checks::kFlowIdDigits;
using record_json_checks::kMaxYear;
using record_json_checks::kMinYear;
using record_json_checks::kTimeLength;

constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

// parse_protocol_name builds a name string per call. The names of the common protocols are
// compared first, from a table built once with the same two functions, so the shortcut can
// only ever give parse_protocol_name's answer.
std::optional<std::uint8_t> protocol_number(std::string_view text) {
  struct Named {
    std::string name;
    std::uint8_t number = 0;
  };
  static const std::vector<Named> common = [] {
    std::vector<Named> out;
    for (const std::uint8_t number :
         {std::uint8_t{6}, std::uint8_t{17}, std::uint8_t{1}, std::uint8_t{58}}) {
      std::string name = protocol_name(number);
      if (parse_protocol_name(name) == number) out.push_back({std::move(name), number});
    }
    return out;
  }();
  for (const Named& named : common) {
    if (named.name == text) return named.number;
  }
  return parse_protocol_name(text);
}

int lower_hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case too: the reference accepts only lower-case hex here
}

int any_hex_value(char c) {
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return lower_hex_value(c);
}

void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  }
}

// One pass over one line. Every member returns false to decline; nothing is reported, since
// the reference reader will name the problem.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool record(Record& r);

 private:
  // --- JSON tokens -----------------------------------------------------------------------

  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // The next character after whitespace, or '\0' at the end (never a valid token start).
  char peek() {
    skip_space();
    return p_ == end_ ? '\0' : *p_;
  }

  bool punct(char c) {
    if (peek() != c) return false;
    ++p_;
    return true;
  }

  bool null() {
    skip_space();
    if (end_ - p_ < 4 || std::memcmp(p_, "null", 4) != 0) return false;
    p_ += 4;
    return true;
  }

  // `"name":` with the key written plainly (an escaped key is declined).
  bool key(std::string_view name) {
    skip_space();
    const auto size = static_cast<std::ptrdiff_t>(name.size());
    if (end_ - p_ < size + 2 || *p_ != '"' || std::memcmp(p_ + 1, name.data(), name.size()) != 0 ||
        p_[size + 1] != '"') {
      return false;
    }
    p_ += size + 2;
    return punct(':');
  }

  // `,"name":` — the next member of an object whose previous member was just read.
  bool next_key(std::string_view name) { return punct(',') && key(name); }

  // One UTF-8 sequence of two to four bytes at p_, in nlohmann's (RFC 3629's) ranges: no
  // overlong forms, no surrogates, nothing past U+10FFFF.
  bool utf8_sequence() {
    const auto* u = reinterpret_cast<const unsigned char*>(p_);
    const auto left = static_cast<std::size_t>(end_ - p_);
    const auto in = [&](std::size_t i, unsigned low, unsigned high) {
      return i < left && u[i] >= low && u[i] <= high;
    };
    const auto tail = [&](std::size_t i) { return in(i, 0x80, 0xbf); };
    const unsigned lead = u[0];
    std::size_t length = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = tail(1) ? 2 : 0;
    } else if (lead == 0xe0) {
      length = in(1, 0xa0, 0xbf) && tail(2) ? 3 : 0;
    } else if ((lead >= 0xe1 && lead <= 0xec) || lead == 0xee || lead == 0xef) {
      length = tail(1) && tail(2) ? 3 : 0;
    } else if (lead == 0xed) {
      length = in(1, 0x80, 0x9f) && tail(2) ? 3 : 0;
    } else if (lead == 0xf0) {
      length = in(1, 0x90, 0xbf) && tail(2) && tail(3) ? 4 : 0;
    } else if (lead >= 0xf1 && lead <= 0xf3) {
      length = tail(1) && tail(2) && tail(3) ? 4 : 0;
    } else if (lead == 0xf4) {
      length = in(1, 0x80, 0x8f) && tail(2) && tail(3) ? 4 : 0;
    }
    if (length == 0) return false;
    p_ += length;
    return true;
  }

  bool hex4(std::uint32_t& value) {
    if (end_ - p_ < 4) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      const int digit = any_hex_value(*p_++);
      if (digit < 0) return false;
      value = value << 4 | static_cast<std::uint32_t>(digit);
    }
    return true;
  }

  // A JSON string. Text without escapes stays a view into the line; escaped text is decoded
  // into scratch_, so the view is valid until the next string is read.
  bool string(std::string_view& value) {
    if (!punct('"')) return false;
    const char* start = p_;
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        value = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c == '\\') return escaped_string(start, value);
      if (c < 0x20) return false;  // control characters must be escaped
      if (c < 0x80) {
        ++p_;
      } else if (!utf8_sequence()) {
        return false;
      }
    }
    return false;
  }

  bool escaped_string(const char* start, std::string_view& value) {
    scratch_.assign(start, p_);
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        value = scratch_;
        return true;
      }
      if (c == '\\') {
        if (!escape()) return false;
        continue;
      }
      if (c < 0x20) return false;
      const char* from = p_;
      if (c < 0x80) {
        ++p_;
      } else if (!utf8_sequence()) {
        return false;
      }
      scratch_.append(from, p_);
    }
    return false;
  }

  // One escape at p_ (the backslash), appended to scratch_ decoded.
  bool escape() {
    ++p_;
    if (p_ == end_) return false;
    const char c = *p_++;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        scratch_.push_back(c);
        return true;
      case 'b':
        scratch_.push_back('\b');
        return true;
      case 'f':
        scratch_.push_back('\f');
        return true;
      case 'n':
        scratch_.push_back('\n');
        return true;
      case 'r':
        scratch_.push_back('\r');
        return true;
      case 't':
        scratch_.push_back('\t');
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    std::uint32_t code_point = 0;
    if (!hex4(code_point)) return false;
    if (code_point >= 0xdc00 && code_point <= 0xdfff) return false;  // a lone low surrogate
    if (code_point >= 0xd800 && code_point <= 0xdbff) {
      std::uint32_t low = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      if (!hex4(low) || low < 0xdc00 || low > 0xdfff) return false;
      code_point = 0x10000 + ((code_point - 0xd800) << 10) + (low - 0xdc00);
    }
    append_utf8(scratch_, code_point);
    return true;
  }

  // An integer written as plain digits, 0..max. Anything else a JSON number can be (a sign, a
  // fraction, an exponent, more than 64 bits) is left for the next token check to decline,
  // which matches the reference: it wants an integer 0..max and nothing else.
  bool uint(std::uint64_t& value, std::uint64_t max) {
    skip_space();
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0') {
      ++p_;  // "01" is not JSON: the '1' fails the next token check
      value = 0;
    } else {
      const auto [end, error] = std::from_chars(p_, end_, value);
      if (error != std::errc{}) return false;
      p_ = end;
    }
    return value <= max;
  }

  // Any JSON number, converted as nlohmann converts it and then reads it with get<double>.
  bool number(double& value) {
    skip_space();
    const char* start = p_;
    const bool negative = p_ != end_ && *p_ == '-';
    if (negative) ++p_;
    const auto digits = [this] {
      const char* from = p_;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      return p_ != from;
    };
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    bool integer = true;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      integer = false;
      if (!digits()) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      integer = false;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return false;
    }
    if (integer) {
      // nlohmann keeps an integer that fits int64 (negative) or uint64 as an integer, and
      // get<double> casts it; "-0" is the integer 0, so +0.0.
      if (negative) {
        std::int64_t whole = 0;
        const auto [end, error] = std::from_chars(start, p_, whole);
        if (error == std::errc{} && end == p_) {
          value = static_cast<double>(whole);
          return true;
        }
      } else {
        std::uint64_t whole = 0;
        const auto [end, error] = std::from_chars(start, p_, whole);
        if (error == std::errc{} && end == p_) {
          value = static_cast<double>(whole);
          return true;
        }
      }
    }
    // Otherwise a double, correctly rounded as strtod rounds. Overflow and underflow are
    // declined (strtod would give inf, or a rounded-off tiny value).
    const auto [end, error] = std::from_chars(start, p_, value);
    return error == std::errc{} && end == p_;
  }

  // `[item, ...]` with at most `cap` items; read_item(i) reads item i.
  template <class ReadItem>
  bool array(std::size_t cap, ReadItem read_item) {
    if (!punct('[')) return false;
    if (punct(']')) return true;
    for (std::size_t i = 0;; ++i) {
      if (i >= cap || !read_item(i)) return false;
      if (punct(']')) return true;
      if (!punct(',')) return false;
    }
  }

  // `[item, ...]` into `out`, reusing its elements.
  template <class T, class ReadOne>
  bool list(std::vector<T>& out, std::size_t cap, ReadOne read_one) {
    std::size_t count = 0;
    const bool ok = array(cap, [&](std::size_t i) {
      if (out.size() <= i) out.emplace_back();
      count = i + 1;
      return read_one(out[i]);
    });
    out.resize(count);
    return ok;
  }

  bool string_into(std::string& out) {
    std::string_view text;
    if (!string(text)) return false;
    out.assign(text);
    return true;
  }

  // --- record fields (the reference's checks, in record_json.cc) ---------------------------

  // record_json.cc read_time, check for check.
  bool time(Timestamp& out) {
    std::string_view text;
    if (!string(text)) return false;
    if (text.size() != kTimeLength || text[19] != '.' || text[26] != 'Z') return false;
    int year = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + 4, year);
    if (error != std::errc{} || end != text.data() + 4 || year < kMinYear || year > kMaxYear) {
      return false;
    }
    auto parsed = parse_rfc3339(text);
    if (!parsed || parsed->nanos < 0 || parsed->seconds() >= kEndOfMaxYearSeconds) return false;
    out = *parsed;
    return true;
  }

  bool address(AddressText& out) {
    std::string_view text;
    if (!string(text)) return false;
    auto parsed = parse_address_text(text);
    if (!parsed) return false;
    out = *parsed;
    return true;
  }

  bool endpoint(Endpoint& out) {
    AddressText ip;
    std::uint64_t port = 0;
    if (!punct('{') || !key("ip") || !address(ip) || !next_key("port") || !uint(port, 65535) ||
        !next_key("country")) {
      return false;
    }
    out.ip = ip.ip;
    out.pseudonym_epoch = ip.pseudonym_epoch;
    out.port = static_cast<std::uint16_t>(port);
    if (peek() == 'n') {
      if (!null()) return false;
      out.country = {};
    } else {
      std::string_view country;
      if (!string(country) || !is_country(country)) return false;
      out.country = scope::CountryCode::from(country);
    }
    return punct('}');
  }

  bool directions(std::array<std::uint64_t, 2>& out) {
    constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
    return punct('{') && key("fwd") && uint(out[0], kMax) && next_key("rev") &&
           uint(out[1], kMax) && punct('}');
  }

  bool dns_entry(DnsEntry& entry) {
    std::uint64_t number = 0;
    if (!punct('{') || !key("name") || !string_into(entry.name) || !next_key("type") ||
        !uint(number, 65535)) {
      return false;
    }
    entry.type = static_cast<std::uint16_t>(number);
    if (!next_key("rcode")) return false;
    if (peek() == 'n') {
      if (!null()) return false;
      entry.rcode.reset();
    } else {
      if (!uint(number, 255)) return false;
      entry.rcode = static_cast<std::uint8_t>(number);
    }
    if (!next_key("answers")) return false;
    entry.answers.clear();
    entry.answers_pseudonym_epoch = 0;
    const bool answers = array(decode::kMaxDnsAnswers, [&](std::size_t i) {
      AddressText answer;
      if (!address(answer)) return false;
      // One entry's answers are all in clear or all pseudonyms of one epoch.
      if (i == 0) {
        entry.answers_pseudonym_epoch = answer.pseudonym_epoch;
      } else if (answer.pseudonym_epoch != entry.answers_pseudonym_epoch) {
        return false;
      }
      entry.answers.push_back(answer.ip);
      return true;
    });
    return answers && punct('}');
  }

  bool tls(std::optional<TlsInfo>& out) {
    if (peek() == 'n') {
      if (!null()) return false;
      out.reset();
      return true;
    }
    if (!out) out.emplace();
    TlsInfo& tls = *out;
    return punct('{') && key("sni") && string_into(tls.sni) && next_key("alpn") &&
           list(tls.alpn, kUnlimited, [this](std::string& alpn) { return string_into(alpn); }) &&
           next_key("version") && string_into(tls.version) && next_key("ja3") &&
           string_into(tls.ja3) && next_key("ja3_hash") && string_into(tls.ja3_hash) &&
           next_key("ja4") && string_into(tls.ja4) && punct('}');
  }

  bool http_entry(HttpInfo& http) {
    return punct('{') && key("method") && string_into(http.method) && next_key("host") &&
           string_into(http.host) && next_key("user_agent") && string_into(http.user_agent) &&
           punct('}');
  }

  bool command_hex(std::vector<std::uint8_t>& out) {
    std::string_view text;
    if (!string(text)) return false;
    if (text.size() % 2 != 0 || text.size() > kMaxCommandBytes * 2) return false;
    out.resize(text.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const int high = lower_hex_value(text[2 * i]);
      const int low = lower_hex_value(text[2 * i + 1]);
      if (high < 0 || low < 0) return false;
      out[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return true;
  }

  // The DOM holds an object's members sorted by name, once each: names must come in strictly
  // ascending order here, or the reference decides.
  bool measured(std::vector<Measure>& out) {
    out.clear();
    if (!punct('{')) return false;
    if (punct('}')) return true;
    for (;;) {
      std::string_view name;
      if (out.size() >= kMaxMeasures || !string(name) || !is_measure_name(name)) return false;
      if (!out.empty() && !(std::string_view(out.back().name) < name)) return false;
      Measure& measure = out.emplace_back();
      measure.name.assign(name);
      if (!punct(':') || !number(measure.value) || !std::isfinite(measure.value)) return false;
      if (punct('}')) return true;
      if (!punct(',')) return false;
    }
  }

  bool match(Match& match) {
    std::string_view kind_text;
    if (!punct('{') || !key("rule") || !string_into(match.rule) || match.rule.empty() ||
        !next_key("kind") || !string(kind_text)) {
      return false;
    }
    const auto kind = parse_rule_kind(kind_text);
    if (!kind) return false;
    match.kind = *kind;
    match.command.clear();
    match.measured.clear();
    if (*kind == RuleKind::bytes) {
      if (!next_key("command_hex") || !command_hex(match.command)) return false;
    } else if (is_behaviour(*kind)) {
      if (!next_key("measured") || !measured(match.measured)) return false;
    }
    return punct('}');
  }

  const char* p_;
  const char* end_;
  std::string scratch_;
};

bool LineReader::record(Record& r) {
  std::uint64_t version = 0;
  if (!punct('{') || !key("v") || !uint(version, static_cast<std::uint64_t>(kRecordVersion)) ||
      version < static_cast<std::uint64_t>(kOldestRecordVersion)) {
    return false;
  }
  std::string_view text;
  if (!next_key("sensor") || !string_into(r.sensor) || r.sensor.empty()) return false;
  if (!next_key("flow") || !string(text) || text.size() != kFlowIdDigits || !is_hex(text)) {
    return false;
  }
  r.flow_id.assign(text);
  if (!next_key("category") || !string(text)) return false;
  const auto category = scope::parse_category(text);
  if (!category) return false;
  r.category = *category;
  if (!next_key("first_seen") || !time(r.first_seen) || !next_key("last_seen") ||
      !time(r.last_seen) || r.last_seen < r.first_seen) {
    return false;
  }
  if (!next_key("proto") || !string(text)) return false;
  const auto protocol = protocol_number(text);
  if (!protocol) return false;
  r.protocol = *protocol;
  if (!next_key("src") || !endpoint(r.src) || !next_key("dst") || !endpoint(r.dst) ||
      !next_key("packets") || !directions(r.packets) || !next_key("bytes") ||
      !directions(r.bytes)) {
    return false;
  }
  if (!next_key("tcp_flags") || !string(text)) return false;
  const auto flags = parse_tcp_flags(text);
  if (!flags) return false;
  r.tcp_flags = *flags;
  const bool lists =
      next_key("dns") &&
      list(r.dns, kMaxDnsEntries, [this](DnsEntry& entry) { return dns_entry(entry); }) &&
      next_key("tls") && tls(r.tls) && next_key("http") &&
      list(r.http, kMaxHttpEntries, [this](HttpInfo& http) { return http_entry(http); }) &&
      next_key("matches") &&
      list(r.matches, kMaxMatches, [this](Match& one) { return match(one); });
  if (!lists || !punct('}')) return false;
  skip_space();
  return p_ == end_;
}

}  // namespace

bool read_record_line_fast(std::string_view line, Record& out) {
  return LineReader(line).record(out);
}

}  // namespace mamori::sieve
