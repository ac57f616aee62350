#include "mamori/sieve/record_json_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

#include <fmt/format.h>

#include "mamori/core/utf8.h"
#include "mamori/decode/app.h"
#include "mamori/sieve/record_json_checks.h"

namespace mamori::sieve {
namespace {

using record_json_checks::kHexDigits;

// Builds one line; `ok` turns false at the first value the reference must write instead.
class LineWriter {
 public:
  explicit LineWriter(std::string& out) : out_(out) {}
  bool ok() const { return ok_; }

  void string(std::string_view text) {
    if (!is_valid_utf8(text)) {  // core/utf8.h: the RFC 3629 text the reference keeps as is
      ok_ = false;
      return;
    }
    out_ += '"';
    std::size_t plain = 0;  // start of the run of bytes that need no escape
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(text, plain, i - plain);
      plain = i + 1;
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          fmt::format_to(std::back_inserter(out_), "\\u{:04x}", c);
      }
    }
    out_.append(text, plain, text.size() - plain);
    out_ += '"';
  }
  template <class Integer>
  void number(Integer value) {
    fmt::format_to(std::back_inserter(out_), "{}", value);
  }
  // The bytes as lowercase hex digits, in a string.
  void hex(std::span<const std::uint8_t> bytes) {
    out_ += '"';
    for (const std::uint8_t byte : bytes) {
      out_ += kHexDigits[byte >> 4];
      out_ += kHexDigits[byte & 0x0f];
    }
    out_ += '"';
  }
  void null() { out_ += "null"; }
  void decline() { ok_ = false; }
  // `"name":` after a comma unless it opens its object.
  void key(std::string_view name) {
    if (out_.back() != '{') out_ += ',';
    out_ += '"';
    out_ += name;
    out_ += "\":";
  }
  // `,"name":` with the name escaped like any string (a measure's name is data).
  void key_string(std::string_view name) {
    if (out_.back() != '{') out_ += ',';
    string(name);
    out_ += ':';
  }
  void open(char bracket) { out_ += bracket; }
  void close(char bracket) { out_ += bracket; }
  // A comma unless the element opens its array.
  void element() {
    if (out_.back() != '[') out_ += ',';
  }

 private:
  std::string& out_;
  bool ok_ = true;
};

void write_endpoint(LineWriter& w, const Endpoint& endpoint) {
  w.open('{');
  w.key("ip");
  w.string(address_text(endpoint.ip, endpoint.pseudonym_epoch));
  w.key("port");
  w.number(endpoint.port);
  w.key("country");
  if (endpoint.country.known()) {
    w.string(endpoint.country.to_string());
  } else {
    w.null();
  }
  w.close('}');
}

void write_direction(LineWriter& w, const std::array<std::uint64_t, 2>& values) {
  w.open('{');
  w.key("fwd");
  w.number(values[0]);
  w.key("rev");
  w.number(values[1]);
  w.close('}');
}

// `[item,…]` of the first `cap` items, each written by `write_item`.
template <class Item, class WriteItem>
void write_array(LineWriter& w, const std::vector<Item>& items, std::size_t cap,
                 WriteItem&& write_item) {
  w.open('[');
  const std::size_t count = std::min(items.size(), cap);
  for (std::size_t i = 0; i < count; ++i) {
    w.element();
    write_item(items[i]);
  }
  w.close(']');
}

void write_dns_entry(LineWriter& w, const DnsEntry& entry) {
  w.open('{');
  w.key("name");
  w.string(entry.name);
  w.key("type");
  w.number(entry.type);
  w.key("rcode");
  if (entry.rcode) {
    w.number(*entry.rcode);
  } else {
    w.null();
  }
  w.key("answers");
  write_array(w, entry.answers, decode::kMaxDnsAnswers, [&](const IpAddress& answer) {
    w.string(address_text(answer, entry.answers_pseudonym_epoch));
  });
  w.close('}');
}

void write_tls(LineWriter& w, const std::optional<TlsInfo>& tls) {
  if (!tls) {
    w.null();
    return;
  }
  w.open('{');
  w.key("sni");
  w.string(tls->sni);
  w.key("alpn");
  write_array(w, tls->alpn, tls->alpn.size(),
              [&](const std::string& protocol) { w.string(protocol); });
  w.key("version");
  w.string(tls->version);
  w.key("ja3");
  w.string(tls->ja3);
  w.key("ja3_hash");
  w.string(tls->ja3_hash);
  w.key("ja4");
  w.string(tls->ja4);
  w.close('}');
}

void write_http_entry(LineWriter& w, const HttpInfo& request) {
  w.open('{');
  w.key("method");
  w.string(request.method);
  w.key("host");
  w.string(request.host);
  w.key("user_agent");
  w.string(request.user_agent);
  w.close('}');
}

// Declines (the writer's ok() turns false) a measure the reference writes its own way: a
// fraction, or a value too large to be written as an integer, or a name met before (the
// reference keeps one key, with the last value).
void write_measured(LineWriter& w, const std::vector<Measure>& measured) {
  const std::size_t count = std::min(measured.size(), kMaxMeasures);
  for (std::size_t m = 0; m < count; ++m) {
    const double value = measured[m].value;
    if (std::trunc(value) != value || !(std::fabs(value) < 9.0e15)) return w.decline();
    for (std::size_t earlier = 0; earlier < m; ++earlier) {
      if (measured[earlier].name == measured[m].name) return w.decline();
    }
  }
  w.open('{');
  for (std::size_t m = 0; m < count; ++m) {
    w.key_string(measured[m].name);
    w.number(static_cast<std::int64_t>(measured[m].value));
  }
  w.close('}');
}

void write_match(LineWriter& w, const Match& match) {
  w.open('{');
  w.key("rule");
  w.string(match.rule);
  w.key("kind");
  w.string(to_string(match.kind));
  if (match.kind == RuleKind::bytes) {
    const std::size_t length = std::min(match.command.size(), kMaxCommandBytes);
    w.key("command_hex");
    w.hex(std::span(match.command.data(), length));
  }
  if (is_behaviour(match.kind)) {
    w.key("measured");
    write_measured(w, match.measured);
  }
  w.close('}');
}

}  // namespace

bool write_record_line_fast(const Record& record, std::string& out) {
  const std::size_t start = out.size();
  LineWriter w(out);
  w.open('{');
  w.key("v");
  w.number(kRecordVersion);
  w.key("sensor");
  w.string(record.sensor);
  w.key("flow");
  w.string(record.flow_id);
  w.key("category");
  w.string(scope::to_string(record.category));
  w.key("first_seen");
  w.string(format_rfc3339_micros(record.first_seen));
  w.key("last_seen");
  w.string(format_rfc3339_micros(record.last_seen));
  w.key("proto");
  w.string(protocol_name(record.protocol));
  w.key("src");
  write_endpoint(w, record.src);
  w.key("dst");
  write_endpoint(w, record.dst);
  w.key("packets");
  write_direction(w, record.packets);
  w.key("bytes");
  write_direction(w, record.bytes);
  w.key("tcp_flags");
  w.string(tcp_flags_string(record.tcp_flags));
  w.key("dns");
  write_array(w, record.dns, kMaxDnsEntries,
              [&](const DnsEntry& entry) { write_dns_entry(w, entry); });
  w.key("tls");
  write_tls(w, record.tls);
  w.key("http");
  write_array(w, record.http, kMaxHttpEntries,
              [&](const HttpInfo& request) { write_http_entry(w, request); });
  w.key("matches");
  write_array(w, record.matches, kMaxMatches, [&](const Match& match) { write_match(w, match); });
  w.close('}');
  if (!w.ok()) out.resize(start);
  return w.ok();
}

}  // namespace mamori::sieve
