// Agreement with tshark on genuine HTTP/1.x requests (curl, urllib and a raw socket against
// python3 -m http.server, IPv4 and IPv6), recorded on loopback by
// tests/data/decode/tls_http/make_pcaps.sh with tshark 4.0's reading beside it.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "mamori/decode/app.h"
#include "tls_http_fixture.h"

namespace mamori::decode {
namespace {

enum Column { kMethod, kHost, kUserAgent, kColumns };

// tshark prints the Host header as sent; the parser keeps the lower-cased name without port
// and without IPv6 brackets.
std::string normalised_host(std::string host) {
  host = test::ascii_lower(host);
  if (host.starts_with('[')) return host.substr(1, host.find(']') - 1);
  if (std::count(host.begin(), host.end(), ':') == 1) return host.substr(0, host.find(':'));
  return host;
}

TEST(HttpAgreesWithTshark, EveryRequestInTheCapture) {
  const auto frames = test::read_tcp_frames(test::kTlsHttpDataDir + "http.pcap");
  const auto golden = test::read_tshark_rows(test::kTlsHttpDataDir + "http.tshark.tsv", kColumns);
  ASSERT_EQ(golden.size(), 11u);
  std::size_t requests = 0;
  std::size_t other_payloads = 0;
  for (const test::TcpFrame& frame : frames) {
    if (frame.payload.empty()) continue;
    HttpRequest request;
    const HttpStatus status = decode_http_request(frame.payload, request);
    const auto row = golden.find(frame.number);
    if (row == golden.end()) {
      // Responses, bodies (the POST body travels in its own segment): never a request.
      EXPECT_NE(status, HttpStatus::ok) << "frame " << frame.number;
      ++other_payloads;
      continue;
    }
    ASSERT_EQ(status, HttpStatus::ok) << "frame " << frame.number << ": " << to_string(status);
    ++requests;
    const std::vector<std::string>& fields = row->second;
    EXPECT_EQ(request.method, fields[kMethod]) << "frame " << frame.number;
    EXPECT_EQ(request.host, normalised_host(fields[kHost])) << "frame " << frame.number;
    EXPECT_EQ(request.user_agent, fields[kUserAgent]) << "frame " << frame.number;
    // I2: the generator planted "canary" in paths, queries and bodies only.
    for (const std::string* field : {&request.method, &request.host, &request.user_agent}) {
      EXPECT_EQ(field->find("canary"), std::string::npos) << "frame " << frame.number;
    }
  }
  EXPECT_EQ(requests, golden.size());
  EXPECT_GT(other_payloads, 10u);
}

}  // namespace
}  // namespace mamori::decode
