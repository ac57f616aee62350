#pragma once
// synth/http_message: HTTP/1.1 request and response heads (RFC 9112). Request targets carry
// query strings and requests may carry bodies: content that the sieve must never store (I2).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/time.h"

namespace mamori::synth {

struct HttpRequestSpec {
  std::string_view method = "GET";
  std::string host;
  std::string target;  // path and query, e.g. "/search?q=..."
  std::string_view user_agent;
  std::string cookie;             // empty: no Cookie header
  std::string_view content_type;  // for bodies
  std::string body;               // written after the head
  std::uint64_t body_fill = 0;  // further body bytes generated as fill (Content-Length counts both)
};

// Appends the request head (and the explicit body).
void write_http_request(std::vector<std::uint8_t>& out, const HttpRequestSpec& spec);

struct HttpResponseSpec {
  int status = 200;
  std::string_view content_type = "text/html; charset=utf-8";
  std::string_view server = "nginx";
  Timestamp date;
  std::string body;             // written after the head
  std::uint64_t body_fill = 0;  // further body bytes generated as fill
};

void write_http_response(std::vector<std::uint8_t>& out, const HttpResponseSpec& spec);

// "Sun, 01 Nov 2026 00:00:00 GMT" (RFC 9110 §5.6.7 IMF-fixdate).
std::string http_date(Timestamp time);

// Common User-Agent strings, for variety.
std::string_view pick_user_agent(std::uint64_t index);

}  // namespace mamori::synth
