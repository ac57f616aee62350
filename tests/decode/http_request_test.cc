// parse_http_request on hand-written request heads: what is kept (method, Host, User-Agent),
// how it is normalised, every rejection kind, and that nothing else is ever copied.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

#include "mamori/decode/app.h"

namespace mamori::decode {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

HttpStatus status_of(std::string_view text) {
  HttpRequest request;
  return decode_http_request(bytes_of(text), request);
}

HttpRequest parsed(std::string_view text) {
  HttpRequest request;
  EXPECT_EQ(decode_http_request(bytes_of(text), request), HttpStatus::ok) << text;
  return request;
}

std::string host_of(std::string_view host_value) {
  return parsed("GET / HTTP/1.1\r\nHost: " + std::string(host_value) + "\r\n\r\n").host;
}

TEST(HttpRequest, MethodHostAndUserAgent) {
  const HttpRequest request = parsed(
      "GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n"
      "User-Agent: curl/7.88.1\r\n\r\n");
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.host, "www.example.com");
  EXPECT_EQ(request.user_agent, "curl/7.88.1");
}

TEST(HttpRequest, HeaderNamesAreCaseInsensitive) {
  const HttpRequest request =
      parsed("POST /x HTTP/1.0\r\nhOsT: a.example\r\nuser-AGENT: ua/1\r\n\r\n");
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.host, "a.example");
  EXPECT_EQ(request.user_agent, "ua/1");
}

TEST(HttpRequest, HostNormalisation) {
  EXPECT_EQ(host_of("WWW.Example.COM"), "www.example.com");
  EXPECT_EQ(host_of("example.com:8080"), "example.com");
  EXPECT_EQ(host_of("example.com:"), "example.com");
  EXPECT_EQ(host_of("example.com."), "example.com");
  EXPECT_EQ(host_of("192.0.2.1:80"), "192.0.2.1");
  EXPECT_EQ(host_of("[2001:DB8::1]:8443"), "2001:db8::1");
  EXPECT_EQ(host_of("[::1]"), "::1");
  EXPECT_EQ(host_of("2001:db8::1"), "2001:db8::1");            // unbracketed: not split at a colon
  EXPECT_EQ(host_of("example.com:http"), "example.com:http");  // not a port: kept whole
  EXPECT_EQ(host_of("  spaced.example \t"), "spaced.example");
  EXPECT_EQ(host_of(""), "");
  EXPECT_EQ(host_of(std::string(400, 'h')), std::string(kMaxTlsNameBytes, 'h'));
  EXPECT_EQ(host_of("bad\x01host\x7f"), "bad?host?");
}

TEST(HttpRequest, MissingHost) {
  const HttpRequest request = parsed("GET / HTTP/1.0\r\nUser-Agent: old/1\r\n\r\n");
  EXPECT_EQ(request.host, "");
  EXPECT_EQ(request.user_agent, "old/1");
}

// The authority inside an absolute-form target is part of the request target, which is never
// copied: the host comes from the Host header alone (as in tshark's http.host).
TEST(HttpRequest, AbsoluteFormTarget) {
  EXPECT_EQ(parsed("GET http://target.example/p?q HTTP/1.1\r\nHost: header.example\r\n\r\n").host,
            "header.example");
  const HttpRequest request = parsed("GET http://target.example/p?q HTTP/1.1\r\n\r\n");
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.host, "");
  EXPECT_EQ(parsed("CONNECT proxy.example:443 HTTP/1.1\r\nHost: proxy.example:443\r\n\r\n").host,
            "proxy.example");
  EXPECT_EQ(parsed("OPTIONS * HTTP/1.1\r\nHost: h.example\r\n\r\n").method, "OPTIONS");
}

TEST(HttpRequest, KnownAndGenericTokenMethods) {
  for (std::string_view method : {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
                                  "TRACE", "PATCH", "PROPFIND", "M-SEARCH", "X_CUSTOM!", "get"}) {
    EXPECT_EQ(parsed(std::string(method) + " / HTTP/1.1\r\n\r\n").method, method);
  }
  const std::string longest(kMaxHttpMethodBytes, 'M');
  EXPECT_EQ(parsed(longest + " / HTTP/1.1\r\n\r\n").method, longest);
  EXPECT_EQ(status_of(longest + "M / HTTP/1.1\r\n\r\n"), HttpStatus::not_http);
}

TEST(HttpRequest, NotHttp) {
  EXPECT_EQ(status_of(""), HttpStatus::not_http);
  EXPECT_EQ(status_of("GET"), HttpStatus::not_http);
  EXPECT_EQ(status_of("GE(T / HTTP/1.1\r\n\r\n"), HttpStatus::not_http);
  EXPECT_EQ(status_of(" GET / HTTP/1.1\r\n\r\n"), HttpStatus::not_http);
  EXPECT_EQ(status_of("SSH-2.0-OpenSSH_9.2p1\r\n"), HttpStatus::not_http);
  EXPECT_EQ(status_of("HTTP/1.1 200 OK\r\n\r\n"), HttpStatus::not_http);  // a response
  EXPECT_EQ(status_of(std::string_view("\x16\x03\x01\x02\x00\x01", 6)), HttpStatus::not_http);
}

TEST(HttpRequest, BadRequestLines) {
  EXPECT_EQ(status_of("GET  / HTTP/1.1\r\n\r\n"), HttpStatus::bad_request_line);
  EXPECT_EQ(status_of("GET /\r\n"), HttpStatus::bad_request_line);  // HTTP/0.9
  EXPECT_EQ(status_of("GET /a\x01z HTTP/1.1\r\n\r\n"), HttpStatus::bad_request_line);
  EXPECT_EQ(status_of("GET / HTTP/1.1X\r\n\r\n"), HttpStatus::bad_request_line);
  EXPECT_EQ(status_of("GET / HTTP/1.1\rX"), HttpStatus::bad_request_line);
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\n\r\n"), HttpStatus::bad_version);
  EXPECT_EQ(status_of("GET / HTTP/1.x\r\n\r\n"), HttpStatus::bad_version);
  EXPECT_EQ(status_of("DESCRIBE / RTSP/1.0\r\n\r\n"), HttpStatus::bad_version);
  EXPECT_EQ(status_of("GET / http/1.1\r\n\r\n"), HttpStatus::bad_version);
}

TEST(HttpRequest, IncompleteRequestLine) {
  EXPECT_EQ(status_of("GET /"), HttpStatus::incomplete);
  EXPECT_EQ(status_of("GET /" + std::string(100000, 'a')), HttpStatus::incomplete);
  EXPECT_EQ(status_of("GET / HTT"), HttpStatus::incomplete);
  EXPECT_EQ(status_of("GET / HTTP/1.1"), HttpStatus::incomplete);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r"), HttpStatus::incomplete);
  EXPECT_EQ(status_of("GET / HTTP/1.1\n"), HttpStatus::ok);  // bare LF (RFC 9112 §2.2)
}

TEST(HttpRequest, HugeLines) {
  const std::string target = "/" + std::string(100000, 'p');
  const std::string padding = "X-Padding: " + std::string(200000, 'x') + "\r\n";
  const HttpRequest request =
      parsed("GET " + target + " HTTP/1.1\r\n" + padding +
             "Host: late.example\r\nUser-Agent: " + std::string(10000, 'u') + "\r\n\r\n");
  EXPECT_EQ(request.host, "late.example");
  EXPECT_EQ(request.user_agent, std::string(kMaxUserAgentBytes, 'u'));
}

TEST(HttpRequest, UserAgentIsBoundedAndPrintable) {
  EXPECT_EQ(parsed("GET / HTTP/1.1\r\nUser-Agent: a\tb\x80z\x01 \r\n\r\n").user_agent, "a?b?z?");
  EXPECT_EQ(parsed("GET / HTTP/1.1\r\nUser-Agent:\r\n\r\n").user_agent, "");
}

TEST(HttpRequest, BareLineFeedsAndObsoleteFolding) {
  const HttpRequest request = parsed(
      "GET / HTTP/1.1\nHost: lf.example\nUser-Agent: first\n  second part\r\n\tthird\n"
      "X-Other: o\n more\n\n");
  EXPECT_EQ(request.host, "lf.example");
  EXPECT_EQ(request.user_agent, "first second part third");
  // A folded continuation of another header does not leak into the User-Agent.
  EXPECT_EQ(parsed("GET / HTTP/1.1\r\nX-A: a\r\n continued\r\nUser-Agent: u\r\n\r\n").user_agent,
            "u");
  EXPECT_EQ(parsed("GET / HTTP/1.1\r\nHost: h.example\r\n folded\r\n\r\n").host, "h.example");
}

TEST(HttpRequest, FirstHostAndUserAgentWin) {
  const HttpRequest request = parsed(
      "GET / HTTP/1.1\r\nHost: first.example\r\nHost: second.example\r\n"
      "User-Agent: one\r\nUser-Agent: two\r\n  fold\r\n\r\n");
  EXPECT_EQ(request.host, "first.example");
  EXPECT_EQ(request.user_agent, "one");
}

TEST(HttpRequest, LinesWithoutColonAreSkipped) {
  const HttpRequest request =
      parsed("GET / HTTP/1.1\r\nnot a header line\r\n: empty name\r\nHost: ok.example\r\n\r\n");
  EXPECT_EQ(request.host, "ok.example");
}

TEST(HttpRequest, LineCutBySegmentEndIsNotUsed) {
  const HttpRequest request = parsed("GET / HTTP/1.1\r\nUser-Agent: whole\r\nHost: exam");
  EXPECT_EQ(request.host, "");  // "exam" might be the start of any name
  EXPECT_EQ(request.user_agent, "whole");
}

TEST(HttpRequest, BodyIsNeverRead) {
  const HttpRequest request = parsed(
      "POST /login HTTP/1.1\r\nContent-Length: 40\r\n\r\nHost: body.example\r\nUser-Agent: b\r\n");
  EXPECT_EQ(request.host, "");
  EXPECT_EQ(request.user_agent, "");
}

TEST(HttpRequest, TruncatedAtEveryLength) {
  const std::string text =
      "GET /a?b=c HTTP/1.1\r\nHost: Example.COM:80\r\nUser-Agent: agent/1\r\n\r\nbody";
  const std::size_t line_end = text.find('\n') + 1;
  for (std::size_t size = 0; size <= text.size(); ++size) {
    HttpRequest request;
    const HttpStatus status = decode_http_request(bytes_of(text).first(size), request);
    if (size < line_end) {
      EXPECT_NE(status, HttpStatus::ok) << size;
      EXPECT_EQ(request.method, "") << size;
    } else {
      EXPECT_EQ(status, HttpStatus::ok) << size;
      EXPECT_EQ(request.method, "GET");
      EXPECT_TRUE(request.host.empty() || request.host == "example.com") << size;
      EXPECT_TRUE(request.user_agent.empty() || request.user_agent == "agent/1") << size;
    }
  }
}

TEST(HttpRequest, ResetsPreviousResult) {
  HttpRequest request = parsed("GET / HTTP/1.1\r\nHost: a.example\r\nUser-Agent: u\r\n\r\n");
  EXPECT_EQ(decode_http_request(bytes_of("NOT HTTP X\r\n"), request), HttpStatus::bad_version);
  EXPECT_EQ(request.method, "");
  EXPECT_EQ(request.host, "");
  EXPECT_EQ(request.user_agent, "");
  EXPECT_FALSE(parse_http_request(bytes_of("\x01"), request));
  EXPECT_TRUE(parse_http_request(bytes_of("HEAD / HTTP/1.0\r\n"), request));
}

// I2: the request target (path, query), other headers (cookies, credentials) and the body are
// content. A canary planted in each must not appear in anything the parser returns.
TEST(Invariant_I2, HttpTargetHeadersAndBodyAreNeverCopied) {
  const std::string request_text =
      "POST /canary-path/x?token=canary-query#canary HTTP/1.1\r\n"
      "Cookie: session=canary-cookie\r\nAuthorization: Basic canary\r\n"
      "Host: site.example\r\nUser-Agent: agent/2\r\nX-Canary: canary\r\n"
      "Content-Length: 20\r\n\r\npassword=canary-body";
  const HttpRequest request = parsed(request_text);
  for (const std::string* field : {&request.method, &request.host, &request.user_agent}) {
    EXPECT_EQ(field->find("canary"), std::string::npos) << *field;
  }
  EXPECT_EQ(request.method.size() + request.host.size() + request.user_agent.size(),
            std::string("POST").size() + std::string("site.example").size() +
                std::string("agent/2").size());
}

TEST(HttpStatusNames, StableUniqueSnakeCase) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < static_cast<std::size_t>(HttpStatus::kCount); ++i) {
    const std::string_view name = to_string(static_cast<HttpStatus>(i));
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos);
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(HttpStatus::kCount));
}

}  // namespace
}  // namespace mamori::decode
