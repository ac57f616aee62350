// Fuzz target for decode_http_request: any input is the first client→server segment. On
// success checks the bounds and alphabets of the three fields, and that the host comes from
// the header section (nothing invented, nothing from the body beyond it).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "mamori/decode/app.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

bool printable(const std::string& text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  mamori::decode::HttpRequest request;
  const auto status = mamori::decode::decode_http_request(input, request);
  require(status < mamori::decode::HttpStatus::kCount);
  if (status != mamori::decode::HttpStatus::ok) {
    require(request.method.empty() && request.host.empty() && request.user_agent.empty());
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  require(!request.method.empty() && request.method.size() <= mamori::decode::kMaxHttpMethodBytes);
  require(text.starts_with(request.method + " "));
  require(request.host.size() <= mamori::decode::kMaxTlsNameBytes && printable(request.host));
  for (char c : request.host) require(c < 'A' || c > 'Z');
  require(request.user_agent.size() <= mamori::decode::kMaxUserAgentBytes &&
          printable(request.user_agent));
  // The host is a piece of the header section as the parser presents it (lower-cased,
  // non-printable bytes as '?'): never made up, never taken from the body.
  const std::size_t head_end = std::min(text.find("\n\r\n"), text.find("\n\n"));
  std::string head(text.substr(0, head_end));
  for (char& c : head) {
    if (c < 0x20 || c > 0x7e) c = '?';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  require(head.find(request.host) != std::string::npos);
  return 0;
}
