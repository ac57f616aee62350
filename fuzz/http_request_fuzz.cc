// Fuzzes server/http_parser, the request-head parser of the event-driven server, twice per
// input: with a head limit above any input and with a small one derived from the input's size
// (so 431 and 413 are reached). Properties checked on every input:
// - nothing crashes or reads outside the input;
// - a complete head: head_bytes <= input size and <= max_head_bytes, a non-empty method, a path
//   that starts with '/' and has no NUL, content_length <= max_body_bytes;
// - the result depends on the head's bytes only. Precisely, for every prefix of the input: a
//   complete parse makes every prefix shorter than head_bytes incomplete and every longer one
//   the same complete head; a failed parse (431 included) makes every prefix either incomplete
//   or the same failure (status and reason), and once a prefix is decided every longer prefix
//   is too. No exception is needed for 431: a prefix shorter than max_head_bytes is never 431;
// - response_head, given fields cut from the input (CR, LF, NUL and all), writes CR and LF only
//   as the "\r\n" line ends of its lines, ends with the one empty line, and writes
//   Content-Length exactly once unless the status is 1xx, 204 or 304.
// percent_decode and parse_query are run on the input as well (never longer than it).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/server/http_parser.h"

namespace {

using mamori::server::http::Fields;
using mamori::server::http::HeadParse;
using mamori::server::http::HeadState;
using mamori::server::http::RequestHead;

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool same_head(const RequestHead& a, const RequestHead& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path && a.query == b.query &&
         a.minor_version == b.minor_version && a.headers == b.headers &&
         a.head_bytes == b.head_bytes && a.content_length == b.content_length &&
         a.keep_alive == b.keep_alive && a.expect_continue == b.expect_continue;
}

bool same_result(const HeadParse& a, const HeadParse& b) {
  if (a.state != b.state) return false;
  if (a.state == HeadState::complete) return same_head(a.head, b.head);
  if (a.state == HeadState::failed) {
    return a.error.status == b.error.status && a.error.reason == b.error.reason;
  }
  return true;
}

// The prefix lengths to parse, in increasing order: all of them for a short input, a sample
// around the interesting points otherwise.
std::vector<std::size_t> prefix_lengths(std::size_t size, std::size_t head_bytes) {
  std::vector<std::size_t> out;
  if (size <= 128) {
    for (std::size_t n = 0; n < size; ++n) out.push_back(n);
    return out;
  }
  for (std::size_t n = 0; n < 16; ++n) out.push_back(n);
  for (std::size_t n = 1; n < 16; ++n) out.push_back(size * n / 16);
  for (const std::size_t n : {head_bytes - 1, head_bytes, head_bytes + 1, size - 1}) {
    if (head_bytes > 0 && n < size) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void check_parse(std::string_view input, std::size_t max_head, std::size_t max_body) {
  const HeadParse full = mamori::server::http::parse_request_head(input, max_head, max_body);
  const bool complete = full.state == HeadState::complete;
  if (complete) {
    const RequestHead& head = full.head;
    require(head.head_bytes > 0 && head.head_bytes <= input.size());
    require(head.head_bytes <= max_head);
    require(!head.method.empty());
    require(!head.path.empty() && head.path.front() == '/');
    require(head.path.find('\0') == std::string::npos);
    require(head.content_length <= max_body);
    require(head.minor_version == 0 || head.minor_version == 1);
  } else if (full.state == HeadState::failed) {
    require(!full.error.reason.empty());
    require(full.error.status >= 400 && full.error.status < 600);
  } else {
    require(input.size() < max_head);
  }

  bool decided = false;
  for (const std::size_t length :
       prefix_lengths(input.size(), complete ? full.head.head_bytes : 0)) {
    const HeadParse prefix =
        mamori::server::http::parse_request_head(input.substr(0, length), max_head, max_body);
    if (complete) {
      require(length < full.head.head_bytes ? prefix.state == HeadState::incomplete
                                            : same_result(prefix, full));
    } else if (prefix.state == HeadState::incomplete) {
      require(!decided);
    } else {
      require(same_result(prefix, full));
      decided = true;
    }
  }
}

// Fields cut from the input at 0xFF bytes, alternately name and value.
Fields fields_from(std::string_view input) {
  Fields out;
  std::vector<std::string_view> pieces;
  while (!input.empty() && pieces.size() < 64) {
    const std::size_t cut = input.find('\xFF');
    pieces.push_back(input.substr(0, cut));
    input.remove_prefix(cut == std::string_view::npos ? input.size() : cut + 1);
  }
  for (std::size_t i = 0; i + 1 < pieces.size(); i += 2) {
    out.emplace_back(pieces[i], pieces[i + 1]);
  }
  return out;
}

bool starts_with_content_length(std::string_view line) {
  constexpr std::string_view kName = "content-length:";
  if (line.size() < kName.size()) return false;
  for (std::size_t i = 0; i < kName.size(); ++i) {
    char c = line[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != kName[i]) return false;
  }
  return true;
}

void check_response(std::string_view input) {
  const int status =
      input.size() >= 2
          ? (static_cast<unsigned char>(input[0]) | (static_cast<unsigned char>(input[1]) << 8)) %
                600
          : 200;
  const std::size_t content_length = input.size() * 1000003u;
  const std::string out = mamori::server::http::response_head(
      status, fields_from(input), content_length, input.size() % 2 == 0);
  require(out.starts_with("HTTP/1.1 "));
  require(out.ends_with("\r\n\r\n"));
  require(out.find('\0') == std::string::npos);
  std::size_t content_lengths = 0;
  std::size_t start = 0;
  bool first = true;
  while (start < out.size()) {
    const std::size_t end = out.find("\r\n", start);
    require(end != std::string::npos);
    const std::string_view line = std::string_view(out).substr(start, end - start);
    require(line.find_first_of("\r\n") == std::string_view::npos);
    if (line.empty()) {
      require(end + 2 == out.size());  // the one empty line ends the head
    } else if (!first) {
      require(line.front() != ' ' && line.front() != '\t');
      require(line.find(": ") != std::string_view::npos);
      if (starts_with_content_length(line)) ++content_lengths;
    }
    first = false;
    start = end + 2;
  }
  const bool bodiless = (status >= 100 && status < 200) || status == 204 || status == 304;
  require(content_lengths == (bodiless ? 0u : 1u));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_parse(input, 1 << 16, 1 << 20);
  check_parse(input, 8 + (size * 7) % 120, size % 64);
  check_response(input);

  for (const bool plus_is_space : {false, true}) {
    require(mamori::server::http::percent_decode(input, plus_is_space).size() <= size);
  }
  std::size_t query_bytes = 0;
  for (const auto& [name, value] : mamori::server::http::parse_query(input)) {
    query_bytes += name.size() + value.size();
  }
  require(query_bytes <= size);
  return 0;
}
