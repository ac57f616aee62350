#include "mamori/server/http_parser.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>

#include <fmt/format.h>

namespace mamori::server::http {
namespace {

// Why the head is found before it is read: the server calls this on every read of a connection,
// so an incomplete head costs one memchr per line received so far and nothing else; the lines
// are validated once, when the empty line is there. The result depends on the head's bytes only
// (never on what follows), so a longer buffer never changes a decision already made.

// RFC 9110 §5.6.2 tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA.
constexpr std::array<bool, 256> make_token_table() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> kTokenChar = make_token_table();

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!kTokenChar[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// `lower` is a lower-case literal; no locale is involved.
bool iequals(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (ascii_lower(text[i]) != lower[i]) return false;
  }
  return true;
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && is_ows(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ows(text.back())) text.remove_suffix(1);
  return text;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls visit(element) for each element of a comma-separated list, OWS-trimmed, empty ones
// included; stops early when visit returns false.
template <typename Visit>
bool for_each_element(std::string_view list, Visit visit) {
  while (true) {
    const std::size_t comma = list.find(',');
    if (!visit(trim_ows(list.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

HeadParse fail(int status, std::string reason) {
  HeadParse out;
  out.state = HeadState::failed;
  out.error.status = status;
  out.error.reason = std::move(reason);
  return out;
}

HeadParse fail_line(std::size_t line, std::string_view what) {
  if (line == 0) return fail(400, fmt::format("request line: {}", what));
  return fail(400, fmt::format("header line {}: {}", line, what));
}

// The end of the head: the index just after the first empty line that follows `start`, or
// nullopt when `window` holds none (yet). The line at `start` is not empty.
std::optional<std::size_t> find_head_end(std::string_view window, std::size_t start) {
  std::size_t pos = start;
  while (true) {
    const std::size_t lf = window.find('\n', pos);
    if (lf == std::string_view::npos) return std::nullopt;
    if (lf + 1 < window.size() && window[lf + 1] == '\n') return lf + 2;
    if (lf + 2 < window.size() && window[lf + 1] == '\r' && window[lf + 2] == '\n') return lf + 3;
    pos = lf + 1;
  }
}

// What the request line gives: method, target, version, path and query.
std::optional<HeadParse> parse_request_line(std::string_view line, RequestHead& head) {
  const std::size_t method_end = line.find(' ');
  if (method_end == std::string_view::npos) return fail_line(0, "no space after the method");
  const std::string_view method = line.substr(0, method_end);
  if (!is_token(method)) return fail_line(0, "the method is not a token");
  const std::size_t target_end = line.find(' ', method_end + 1);
  if (target_end == std::string_view::npos) return fail_line(0, "no HTTP version after the target");
  const std::string_view target = line.substr(method_end + 1, target_end - method_end - 1);
  const std::string_view version = line.substr(target_end + 1);

  if (version == "HTTP/1.1") {
    head.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    head.minor_version = 0;
  } else if (version.size() == 8 && version.starts_with("HTTP/") && is_digit(version[5]) &&
             version[6] == '.' && is_digit(version[7])) {
    return fail(505, "request line: only HTTP/1.0 and HTTP/1.1 are supported");
  } else {
    return fail_line(0, "the version is not HTTP/<digit>.<digit> after a single space");
  }

  if (target.empty()) return fail_line(0, "empty target (two spaces after the method)");
  if (target.front() != '/') return fail_line(0, "the target does not start with '/'");
  for (const char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte == 0x7F) return fail_line(0, "a control character in the target");
  }

  const std::size_t question = target.find('?');
  head.method = method;
  head.target = target;
  head.path = percent_decode(target.substr(0, question), false);
  if (head.path.find('\0') != std::string::npos) {
    return fail_line(0, "the path decodes to a NUL byte (%00)");
  }
  if (question != std::string_view::npos) head.query = target.substr(question + 1);
  return std::nullopt;
}

// The fields whose meaning the parser checks, gathered over the header lines.
struct Framing {
  std::size_t host_count = 0;
  std::string_view content_length;  // digits without leading zeros ("" is 0); set when seen
  bool has_content_length = false;
  bool has_transfer_encoding = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool expect_continue = false;
};

std::optional<HeadParse> check_content_length(std::size_t line, std::string_view value,
                                              Framing& framing) {
  std::optional<HeadParse> error;
  for_each_element(value, [&](std::string_view element) {
    if (element.empty()) {
      error = fail_line(line, "Content-Length has an empty value or list element");
      return false;
    }
    for (const char c : element) {
      if (!is_digit(c)) {
        error = fail_line(line, "Content-Length is not a decimal number");
        return false;
      }
    }
    while (!element.empty() && element.front() == '0') element.remove_prefix(1);
    if (framing.has_content_length && element != framing.content_length) {
      error = fail_line(line, "Content-Length disagrees with an earlier Content-Length");
      return false;
    }
    framing.has_content_length = true;
    framing.content_length = element;
    return true;
  });
  return error;
}

// Field semantics: Host, Content-Length, Transfer-Encoding, Connection, Expect.
std::optional<HeadParse> check_field(std::size_t line, std::string_view name,
                                     std::string_view value, int minor_version, Framing& framing) {
  if (iequals(name, "host")) {
    if (++framing.host_count > 1) return fail_line(line, "a second Host header");
  } else if (iequals(name, "content-length")) {
    return check_content_length(line, value, framing);
  } else if (iequals(name, "transfer-encoding")) {
    framing.has_transfer_encoding = true;
  } else if (iequals(name, "connection")) {
    for_each_element(value, [&](std::string_view option) {
      if (iequals(option, "close")) framing.connection_close = true;
      if (iequals(option, "keep-alive")) framing.connection_keep_alive = true;
      return true;
    });
  } else if (iequals(name, "expect")) {
    bool unknown = false;
    for_each_element(value, [&](std::string_view expectation) {
      if (iequals(expectation, "100-continue")) {
        // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
        framing.expect_continue = minor_version == 1;
      } else if (!expectation.empty()) {
        unknown = true;
      }
      return !unknown;
    });
    if (unknown) {
      return fail(417, fmt::format("header line {}: Expect has an expectation other than "
                                   "100-continue",
                                   line));
    }
  }
  return std::nullopt;
}

// One field line "name: value"; appends it to head.headers.
std::optional<HeadParse> parse_field_line(std::size_t line, std::string_view text,
                                          RequestHead& head, Framing& framing) {
  if (is_ows(text.front())) {
    return fail_line(line, "starts with whitespace (obsolete line folding is not accepted)");
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return fail_line(line, "no ':' after the field name");
  const std::string_view name = text.substr(0, colon);
  if (name.empty()) return fail_line(line, "empty field name");
  if (is_ows(name.back())) return fail_line(line, "whitespace between the field name and ':'");
  if (!is_token(name)) return fail_line(line, "the field name has a character outside tchar");
  const std::string_view value = trim_ows(text.substr(colon + 1));
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7F) {
      return fail_line(line, "a control character in the field value");
    }
  }
  if (auto error = check_field(line, name, value, head.minor_version, framing)) return error;
  head.headers.emplace_back(name, value);
  return std::nullopt;
}

// Content-Length's digits (leading zeros removed) as a size, or nullopt above SIZE_MAX.
std::optional<std::size_t> to_size(std::string_view digits) {
  std::size_t value = 0;
  if (digits.empty()) return value;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

bool writable_field(std::string_view name, std::string_view value) {
  if (!is_token(name)) return false;
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) return false;
  // The framing is this function's: a caller's copy could contradict it.
  return !iequals(name, "content-length") && !iequals(name, "connection") &&
         !iequals(name, "transfer-encoding");
}

}  // namespace

HeadParse parse_request_head(std::string_view received, std::size_t max_head_bytes,
                             std::size_t max_body_bytes) {
  const std::string_view window = received.substr(0, std::min(received.size(), max_head_bytes));
  const bool window_full = received.size() >= max_head_bytes;
  const auto too_large = [&] {
    return fail(431, fmt::format("request head: no empty line within {} bytes", max_head_bytes));
  };

  // Empty lines before the request line (RFC 9112 §2.2), any number within the limit.
  std::size_t start = 0;
  while (start < window.size()) {
    if (window[start] == '\n') {
      start += 1;
    } else if (window.substr(start, 2) == "\r\n") {
      start += 2;
    } else {
      break;  // the request line, or a CR that a LF may still follow
    }
  }
  const std::optional<std::size_t> end = find_head_end(window, start);
  if (!end) return window_full ? too_large() : HeadParse{};

  HeadParse out;
  RequestHead& head = out.head;
  head.head_bytes = *end;
  Framing framing;
  // Lines of the head after the leading empty ones, the final empty line excluded.
  std::string_view lines = window.substr(start, *end - start);
  lines.remove_suffix(lines.ends_with("\r\n") ? 2 : 1);
  std::size_t line_number = 0;
  while (!lines.empty()) {
    const std::size_t lf = lines.find('\n');
    std::string_view line = lines.substr(0, lf);
    lines.remove_prefix(lf == std::string_view::npos ? lines.size() : lf + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) {
      return fail_line(line_number, "a CR not followed by LF");
    }
    if (line.find('\0') != std::string_view::npos) return fail_line(line_number, "a NUL byte");
    auto error = line_number == 0 ? parse_request_line(line, head)
                                  : parse_field_line(line_number, line, head, framing);
    if (error) return std::move(*error);
    ++line_number;
  }

  if (head.minor_version == 1 && framing.host_count == 0) {
    return fail(400, "request head: no Host header (HTTP/1.1 requires one)");
  }
  if (framing.has_transfer_encoding) {
    return fail(501,
                "request head: Transfer-Encoding is not supported; send the body with "
                "Content-Length");
  }
  const std::optional<std::size_t> length = to_size(framing.content_length);
  if (!length || *length > max_body_bytes) {
    return fail(413, fmt::format("request head: Content-Length above the limit of {} bytes",
                                 max_body_bytes));
  }
  head.content_length = *length;
  head.keep_alive = head.minor_version == 1
                        ? !framing.connection_close
                        : framing.connection_keep_alive && !framing.connection_close;
  head.expect_continue = framing.expect_continue;
  out.state = HeadState::complete;
  return out;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Fields parse_query(std::string_view query) {
  Fields out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view component = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (component.empty()) continue;
    const std::size_t equals = component.find('=');
    std::string_view value;
    if (equals != std::string_view::npos) value = component.substr(equals + 1);
    out.emplace_back(percent_decode(component.substr(0, equals), true),
                     percent_decode(value, true));
  }
  return out;
}

std::string_view status_reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 426:
      return "Upgrade Required";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string response_head(int status, const Fields& headers, std::size_t content_length,
                          bool keep_alive) {
  std::string out;
  std::size_t size = 64;
  for (const auto& [name, value] : headers) size += name.size() + value.size() + 4;
  out.reserve(size);
  out += "HTTP/1.1 ";
  std::array<char, 16> number{};
  auto written = std::to_chars(number.data(), number.data() + number.size(), status);
  out.append(number.data(), written.ptr);
  out += ' ';
  out += status_reason(status);
  out += "\r\n";
  for (const auto& [name, value] : headers) {
    if (!writable_field(name, value)) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  const bool bodiless = (status >= 100 && status < 200) || status == 204 || status == 304;
  if (!bodiless) {
    out += "Content-Length: ";
    written = std::to_chars(number.data(), number.data() + number.size(),
                            static_cast<std::uint64_t>(content_length));
    out.append(number.data(), written.ptr);
    out += "\r\n";
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

}  // namespace mamori::server::http
