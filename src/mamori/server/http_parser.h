#pragma once
// server/http_parser: the HTTP/1.1 wire format (RFC 9112) of mamorid's event-driven server:
// parsing a request head from the bytes received so far, splitting its target into a decoded
// path and query parameters, and writing a response head. Pure functions, no I/O: the server
// (https_event_server.h) feeds them, and so does fuzz/http_request_fuzz.cc.
//
// What is accepted is deliberately narrow, because every ambiguity is a request-smuggling or
// cache-poisoning risk: origin-form targets only; HTTP/1.0 and 1.1; header lines
// "name: value" with a token name and no whitespace before the colon; no obsolete line folding;
// CRLF line ends (a bare LF is accepted as a line end, as RFC 9112 §2.2 allows, a bare CR is
// not); bodies only by one Content-Length (Transfer-Encoding is refused, as is a
// Content-Length list that disagrees). Errors name the line and the field, never a value.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mamori::server::http {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct RequestHead {
  std::string method;              // a token, as sent ("GET")
  std::string target;              // as sent ("/api/x?days=3")
  std::string path;                // the target before '?', percent-decoded ('+' stays '+')
  std::string query;               // after the first '?', not decoded; empty when none
  int minor_version = 1;           // HTTP/1.<minor_version>, 0 or 1
  Fields headers;                  // names as sent, values without surrounding spaces/tabs
  std::size_t head_bytes = 0;      // bytes of the head, through its empty line
  std::size_t content_length = 0;  // 0 when there is no Content-Length
  bool keep_alive = true;          // HTTP/1.1 unless "Connection: close"; 1.0 only with keep-alive
  bool expect_continue = false;    // "Expect: 100-continue" in an HTTP/1.1 request (1.0: ignored)
};

struct HeadError {
  int status = 400;    // 400, 413 (body above the limit), 417 (an Expect other than
                       // 100-continue, RFC 9110 §10.1.1), 431 (head above the limit),
                       // 501 (Transfer-Encoding), 505 (HTTP/x.y other than 1.0 or 1.1)
  std::string reason;  // English, for the log and the 4xx body: what and where, e.g.
                       // "header line 3: no ':' after the field name" (header lines are
                       // counted from 1 after the request line); never a value or the target
};

enum class HeadState { incomplete, complete, failed };

struct HeadParse {
  HeadState state = HeadState::incomplete;
  RequestHead head;  // when complete
  HeadError error;   // when failed
};

// Parses the request head at the start of `received` (the bytes of the connection not yet
// consumed; they may hold more than the head: its body, or the next request).
// - incomplete: no empty line yet and fewer than max_head_bytes received;
// - failed 431: no empty line within max_head_bytes;
// - failed 413: a Content-Length above max_body_bytes (the body has not to be read to know);
// - failed 400/417/501/505 as HeadError says; complete otherwise.
// The result depends only on the head's bytes: bytes after the empty line never change it, and
// every prefix shorter than head_bytes is incomplete. A Content-Length may repeat (as a list or
// as several fields) only with equal values; leading zeros are allowed, empty elements are not.
// Leading empty lines before the request line are skipped (RFC 9112 §2.2) and counted in
// head_bytes. A request line or field that is not valid UTF-8 is still accepted here (bytes
// are bytes); NUL, and CR not followed by LF, are refused anywhere in the head; a decoded path
// with a NUL byte is refused.
HeadParse parse_request_head(std::string_view received, std::size_t max_head_bytes,
                             std::size_t max_body_bytes);

// "%2Fa%20b" → "/a b". A '%' not followed by two hex digits is kept as it is. With
// plus_is_space (query components), '+' becomes ' '.
std::string percent_decode(std::string_view text, bool plus_is_space);

// "a=1&b=x%20y&c&&d=" → {a,1},{b,"x y"},{c,""},{d,""}: split at '&', then at the first '=',
// both sides decoded with plus_is_space; empty components are skipped. Order is kept.
Fields parse_query(std::string_view query);

// "OK", "Not Found", ...; "Unknown" for a code without a registered phrase.
std::string_view status_reason(int status);

// "HTTP/1.1 <status> <reason>\r\n", then each of `headers` as "name: value\r\n", then
// Content-Length (unless the status is 1xx, 204 or 304), then "Connection: close" when
// !keep_alive, then the empty line. A header is dropped, not written, when its name is not a
// token (empty, or with CR, LF, ':' or space), when its value has CR, LF or NUL, or when it is
// Content-Length, Connection or Transfer-Encoding (the framing is this function's). The body is
// not included; for HEAD the caller sends none but Content-Length still gives its length.
std::string response_head(int status, const Fields& headers, std::size_t content_length,
                          bool keep_alive);

}  // namespace mamori::server::http
