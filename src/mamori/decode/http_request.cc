// HTTP/1.x request head (RFC 9112 §3, §5). Reads the method, then walks header lines only far
// enough to find Host and User-Agent. The request target and every other header value are
// scanned for their delimiters and never copied (I2: paths and queries are content).

#include "mamori/decode/app.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "mamori/decode/app_text.h"

namespace mamori::decode {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::string_view kVersionPrefix = "HTTP/1.";

// RFC 9110 §5.6.2 tchar.
constexpr bool is_tchar(std::uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

constexpr bool is_ows(std::uint8_t c) { return c == ' ' || c == '\t'; }

Bytes trim_ows(Bytes bytes) {
  while (!bytes.empty() && is_ows(bytes.front())) bytes = bytes.subspan(1);
  while (!bytes.empty() && is_ows(bytes.back())) bytes = bytes.first(bytes.size() - 1);
  return bytes;
}

bool equals_ignore_case(Bytes bytes, std::string_view lower_name) {
  if (bytes.size() != lower_name.size()) return false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (text::to_lower(static_cast<char>(bytes[i])) != lower_name[i]) return false;
  }
  return true;
}

bool all_digits(Bytes bytes) {
  for (std::uint8_t c : bytes) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Host = uri-host [ ":" port ] (RFC 9110 §7.2). Brackets of an IP-literal and the port go;
// a trailing root dot goes too, so names compare equal to DNS names.
void set_host(Bytes value, std::string& host) {
  Bytes name = value;
  if (!value.empty() && value.front() == '[') {
    const auto* close =
        static_cast<const std::uint8_t*>(std::memchr(value.data(), ']', value.size()));
    if (close != nullptr)
      name = value.subspan(1, static_cast<std::size_t>(close - value.data()) - 1);
  } else {
    const auto* colon =
        static_cast<const std::uint8_t*>(std::memchr(value.data(), ':', value.size()));
    if (colon != nullptr) {
      const std::size_t at = static_cast<std::size_t>(colon - value.data());
      const Bytes port = value.subspan(at + 1);
      // More than one colon is an unbracketed IPv6 address: keep it whole.
      if (all_digits(port)) name = value.first(at);
    }
  }
  if (!name.empty() && name.back() == '.') name = name.first(name.size() - 1);
  text::append_printable(host, name, kMaxTlsNameBytes, /*lower=*/true);
}

void append_user_agent(Bytes value, std::string& user_agent) {
  if (user_agent.size() >= kMaxUserAgentBytes) return;
  text::append_printable(user_agent, value, kMaxUserAgentBytes - user_agent.size(),
                         /*lower=*/false);
}

// Header lines after the request line. Only lines terminated inside the segment are used: a
// value cut off by the segment end could name the wrong host.
void read_headers(Bytes rest, HttpRequest& out) {
  enum class Last { other, host, user_agent } last = Last::other;
  bool host_seen = false;
  bool user_agent_seen = false;
  while (!rest.empty()) {
    const auto* newline =
        static_cast<const std::uint8_t*>(std::memchr(rest.data(), '\n', rest.size()));
    if (newline == nullptr) return;
    const std::size_t line_length = static_cast<std::size_t>(newline - rest.data());
    Bytes line = rest.first(line_length);
    rest = rest.subspan(line_length + 1);
    if (!line.empty() && line.back() == '\r') line = line.first(line.size() - 1);
    if (line.empty()) return;  // end of the header section; the body is never looked at

    if (is_ows(line.front())) {  // obs-fold (RFC 9112 §5.2): continues the previous value
      if (last == Last::user_agent) {
        const Bytes more = trim_ows(line);
        if (!more.empty()) {
          if (out.user_agent.size() < kMaxUserAgentBytes) out.user_agent.push_back(' ');
          append_user_agent(more, out.user_agent);
        }
      }
      continue;
    }
    last = Last::other;
    const auto* colon =
        static_cast<const std::uint8_t*>(std::memchr(line.data(), ':', line.size()));
    if (colon == nullptr) continue;  // not a field line: skipped, like any unknown header
    const Bytes name = line.first(static_cast<std::size_t>(colon - line.data()));
    const Bytes value = trim_ows(line.subspan(name.size() + 1));
    if (equals_ignore_case(name, "host")) {
      if (!host_seen) set_host(value, out.host);
      host_seen = true;  // a second Host is a smuggling attempt; the first one is recorded
      last = Last::host;
    } else if (equals_ignore_case(name, "user-agent")) {
      if (!user_agent_seen) {
        append_user_agent(value, out.user_agent);
        last = Last::user_agent;
      }
      user_agent_seen = true;
    }
  }
}

}  // namespace

std::string_view to_string(HttpStatus status) {
  switch (status) {
    case HttpStatus::ok:
      return "ok";
    case HttpStatus::not_http:
      return "not_http";
    case HttpStatus::bad_request_line:
      return "bad_request_line";
    case HttpStatus::bad_version:
      return "bad_version";
    case HttpStatus::incomplete:
      return "incomplete";
    case HttpStatus::kCount:
      break;
  }
  return "unknown";
}

HttpStatus decode_http_request(std::span<const std::uint8_t> segment, HttpRequest& out) {
  out = HttpRequest{};
  const std::size_t size = segment.size();
  std::size_t at = 0;
  while (at < size && at < kMaxHttpMethodBytes && is_tchar(segment[at])) ++at;
  if (at == 0 || at == size || segment[at] != ' ') return HttpStatus::not_http;
  const std::size_t method_length = at++;

  // request-target: skipped up to the next space, never copied.
  const std::size_t target_start = at;
  while (at < size && segment[at] > 0x20 && segment[at] != 0x7f) ++at;
  if (at == size) return HttpStatus::incomplete;
  if (at == target_start || segment[at] != ' ') return HttpStatus::bad_request_line;
  ++at;

  const std::size_t version_length = kVersionPrefix.size() + 1;  // "HTTP/1." DIGIT
  const std::size_t available = std::min(size - at, version_length);
  const bool prefix_matches = std::memcmp(segment.data() + at, kVersionPrefix.data(),
                                          std::min(available, kVersionPrefix.size())) == 0;
  if (!prefix_matches) return HttpStatus::bad_version;
  if (available < version_length) return HttpStatus::incomplete;
  const std::uint8_t minor = segment[at + kVersionPrefix.size()];
  if (minor < '0' || minor > '9') return HttpStatus::bad_version;
  at += version_length;
  if (at < size && segment[at] == '\r') ++at;
  if (at == size) return HttpStatus::incomplete;
  if (segment[at] != '\n') return HttpStatus::bad_request_line;
  ++at;

  out.method.assign(reinterpret_cast<const char*>(segment.data()), method_length);
  read_headers(segment.subspan(at), out);
  return HttpStatus::ok;
}

}  // namespace mamori::decode
