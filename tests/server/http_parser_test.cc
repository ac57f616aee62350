// server/http_parser: the request head of the event-driven server (RFC 9112), the target's
// decoding, and the response head. Every error status is checked with the line its reason
// names, and that no reason repeats a header value or the target.

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "mamori/server/http_parser.h"

namespace mamori::server::http {
namespace {

using namespace std::string_literals;

constexpr std::size_t kHeadLimit = 8192;
constexpr std::size_t kBodyLimit = 1 << 20;

HeadParse http_parse(std::string_view received, std::size_t max_head = kHeadLimit,
                     std::size_t max_body = kBodyLimit) {
  return parse_request_head(received, max_head, max_body);
}

// The failure of `received`, or a failure of the test when it parsed otherwise.
HeadError http_failure(std::string_view received, std::size_t max_head = kHeadLimit,
                       std::size_t max_body = kBodyLimit) {
  const HeadParse parsed = http_parse(received, max_head, max_body);
  EXPECT_EQ(parsed.state, HeadState::failed) << received;
  return parsed.error;
}

std::string_view header_value(const RequestHead& head, std::string_view name) {
  for (const auto& [field, value] : head.headers) {
    if (field == name) return value;
  }
  return "(absent)";
}

const std::string kPost =
    "POST /api/items%2Fx?days=3&q=a+b HTTP/1.1\r\n"
    "Host: console.example\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 7\r\n"
    "\r\n";

TEST(HttpParser, ParsesACompleteRequestHead) {
  const HeadParse parsed = http_parse(kPost + "{\"a\":1}");
  ASSERT_EQ(parsed.state, HeadState::complete) << parsed.error.reason;
  const RequestHead& head = parsed.head;
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/api/items%2Fx?days=3&q=a+b");
  EXPECT_EQ(head.path, "/api/items/x");
  EXPECT_EQ(head.query, "days=3&q=a+b");
  EXPECT_EQ(head.minor_version, 1);
  ASSERT_EQ(head.headers.size(), 3u);
  EXPECT_EQ(head.headers[0].first, "Host");
  EXPECT_EQ(head.headers[0].second, "console.example");
  EXPECT_EQ(head.headers[2].first, "Content-Length");
  EXPECT_EQ(head.head_bytes, kPost.size());
  EXPECT_EQ(head.content_length, 7u);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.expect_continue);
}

TEST(HttpParser, IsIncompleteAtEverySplitBeforeTheEmptyLine) {
  const std::string received = kPost + "{\"a\":1}GET";
  for (std::size_t size = 0; size <= received.size(); ++size) {
    const HeadParse parsed = http_parse(std::string_view(received).substr(0, size));
    if (size < kPost.size()) {
      EXPECT_EQ(parsed.state, HeadState::incomplete) << "prefix of " << size << " bytes";
    } else {
      ASSERT_EQ(parsed.state, HeadState::complete) << "prefix of " << size << " bytes";
      EXPECT_EQ(parsed.head.head_bytes, kPost.size());
      EXPECT_EQ(parsed.head.path, "/api/items/x");
    }
  }
}

TEST(HttpParser, PipelinedRequestStartsAfterTheBody) {
  const std::string second = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string received = kPost + "{\"a\":1}" + second;
  const HeadParse first = http_parse(received);
  ASSERT_EQ(first.state, HeadState::complete);
  EXPECT_EQ(first.head.head_bytes, kPost.size());
  const std::size_t consumed = first.head.head_bytes + first.head.content_length;
  const HeadParse next = http_parse(std::string_view(received).substr(consumed));
  ASSERT_EQ(next.state, HeadState::complete) << next.error.reason;
  EXPECT_EQ(next.head.path, "/next");
  EXPECT_EQ(next.head.head_bytes, second.size());
}

TEST(HttpParser, AcceptsBareLfLineEnds) {
  const std::string head = "GET /a HTTP/1.1\nHost: h\nAccept: */*\n\n";
  const HeadParse parsed = http_parse(head + "rest");
  ASSERT_EQ(parsed.state, HeadState::complete) << parsed.error.reason;
  EXPECT_EQ(parsed.head.head_bytes, head.size());
  EXPECT_EQ(header_value(parsed.head, "Accept"), "*/*");
  // Mixed: CRLF lines and a bare-LF empty line.
  const HeadParse mixed = http_parse("GET /a HTTP/1.1\r\nHost: h\r\n\n");
  ASSERT_EQ(mixed.state, HeadState::complete);
  EXPECT_EQ(mixed.head.head_bytes, 27u);
}

TEST(HttpParser, SkipsLeadingEmptyLinesAndCountsThem) {
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  const HeadParse parsed = http_parse("\r\n\n\r\n" + head);
  ASSERT_EQ(parsed.state, HeadState::complete) << parsed.error.reason;
  EXPECT_EQ(parsed.head.head_bytes, 5 + head.size());
  EXPECT_EQ(parsed.head.method, "GET");
  EXPECT_EQ(http_parse("\r\n\r\n").state, HeadState::incomplete);
  EXPECT_EQ(http_parse("\r\n\r").state, HeadState::incomplete);
  // Empty lines count towards the head limit.
  EXPECT_EQ(http_failure(std::string(40, '\n') + head, 48).status, 431);
}

TEST(HttpParser, RefusesBareCrAndNulNamingTheLine) {
  HeadError error = http_failure("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r2\r\n\r\n");
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.reason, "header line 2: a CR not followed by LF");
  error = http_failure("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(error.reason, "request line: a CR not followed by LF");
  error = http_failure("GET / HTTP/1.1\r\nHost: h\0\r\n\r\n"s);
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.reason, "header line 1: a NUL byte");
  error = http_failure("G\0T / HTTP/1.1\r\nHost: h\r\n\r\n"s);
  EXPECT_EQ(error.reason, "request line: a NUL byte");
}

TEST(HttpParser, RefusesAMalformedRequestLine) {
  const auto reason = [](std::string_view line) {
    return http_failure(std::string(line) + "\r\nHost: h\r\n\r\n").reason;
  };
  EXPECT_EQ(reason("GET"), "request line: no space after the method");
  EXPECT_EQ(reason("G(T / HTTP/1.1"), "request line: the method is not a token");
  EXPECT_EQ(reason(" GET / HTTP/1.1"), "request line: the method is not a token");
  EXPECT_EQ(reason("GET /"), "request line: no HTTP version after the target");
  EXPECT_EQ(reason("GET  HTTP/1.1"), "request line: empty target (two spaces after the method)");
  EXPECT_EQ(reason("GET http://x/ HTTP/1.1"), "request line: the target does not start with '/'");
  EXPECT_EQ(reason("OPTIONS * HTTP/1.1"), "request line: the target does not start with '/'");
  EXPECT_EQ(reason("GET /a\tb HTTP/1.1"), "request line: a control character in the target");
  EXPECT_EQ(reason("GET /a\x7F HTTP/1.1"), "request line: a control character in the target");
  EXPECT_EQ(reason("GET /a b HTTP/1.1"),
            "request line: the version is not HTTP/<digit>.<digit> after a single space");
  EXPECT_EQ(reason("GET / http/1.1"),
            "request line: the version is not HTTP/<digit>.<digit> after a single space");
  EXPECT_EQ(reason("GET / HTTP/1.1 "),
            "request line: the version is not HTTP/<digit>.<digit> after a single space");
  EXPECT_EQ(reason("GET /%00x HTTP/1.1"), "request line: the path decodes to a NUL byte (%00)");
}

TEST(HttpParser, RefusesOtherHttpVersionsWith505) {
  for (const char* version : {"HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"}) {
    const HeadError error = http_failure("GET / " + std::string(version) + "\r\nHost: h\r\n\r\n");
    EXPECT_EQ(error.status, 505) << version;
    EXPECT_EQ(error.reason, "request line: only HTTP/1.0 and HTTP/1.1 are supported");
  }
  EXPECT_EQ(http_failure("GET / HTTP/11\r\nHost: h\r\n\r\n").status, 400);
  EXPECT_EQ(http_failure("GET / HTTP/1.x\r\nHost: h\r\n\r\n").status, 400);
}

TEST(HttpParser, RefusesMalformedHeaderLines) {
  const auto reason = [](std::string_view field) {
    return http_failure("GET / HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n" + std::string(field) +
                        "\r\n\r\n")
        .reason;
  };
  EXPECT_EQ(reason("X-Token secret"), "header line 3: no ':' after the field name");
  EXPECT_EQ(reason(": secret"), "header line 3: empty field name");
  EXPECT_EQ(reason("X-Token : secret"), "header line 3: whitespace between the field name and ':'");
  EXPECT_EQ(reason("X-Token\t: secret"),
            "header line 3: whitespace between the field name and ':'");
  EXPECT_EQ(reason("X[T]: secret"), "header line 3: the field name has a character outside tchar");
  EXPECT_EQ(reason(" folded secret"),
            "header line 3: starts with whitespace (obsolete line folding is not accepted)");
  EXPECT_EQ(reason("\tfolded secret"),
            "header line 3: starts with whitespace (obsolete line folding is not accepted)");
  EXPECT_EQ(reason("X-Token: sec\x01ret"), "header line 3: a control character in the field value");
  EXPECT_EQ(reason("X-Token: sec\x7Fret"), "header line 3: a control character in the field value");
}

TEST(HttpParser, TrimsValuesAndKeepsTabsAndHighBytesInside) {
  const HeadParse parsed =
      http_parse("GET / HTTP/1.1\r\nHost:h\r\nX-A: \t a\tb \xC3\xA9 \t\r\nX-Empty:\r\n\r\n");
  ASSERT_EQ(parsed.state, HeadState::complete) << parsed.error.reason;
  EXPECT_EQ(header_value(parsed.head, "Host"), "h");
  EXPECT_EQ(header_value(parsed.head, "X-A"), "a\tb \xC3\xA9");
  EXPECT_EQ(header_value(parsed.head, "X-Empty"), "");
}

TEST(HttpParser, ReasonsNeverQuoteValuesOrTheTarget) {
  const std::string secret = "s3cr3t-t0k3n";
  for (const std::string& request : {
           "GET /" + secret + "\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
           "GET /" + secret + " HTTP/1.1\r\nHost: h\r\nAuthorization: " + secret + "\x02\r\n\r\n",
           "GET /" + secret + " HTTP/1.1\r\nHost: h\r\nContent-Length: " + secret + "\r\n\r\n",
           "GET /" + secret + " HTTP/1.1\r\nHost: h\r\nExpect: " + secret + "\r\n\r\n",
           "GET /" + secret + " HTTP/1.1\r\nHost: h\r\nX-" + secret + " : v\r\n\r\n",
       }) {
    const HeadError error = http_failure(request);
    EXPECT_EQ(error.reason.find(secret), std::string::npos) << error.reason;
  }
}

TEST(HttpParser, RequiresExactlyOneHostInHttp11) {
  HeadError error = http_failure("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.reason, "request head: no Host header (HTTP/1.1 requires one)");
  error = http_failure("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nhOsT: b\r\n\r\n");
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.reason, "header line 3: a second Host header");
  EXPECT_EQ(http_failure("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n").status, 400);
  // HTTP/1.0 needs none; an empty Host is a Host.
  EXPECT_EQ(http_parse("GET / HTTP/1.0\r\n\r\n").state, HeadState::complete);
  EXPECT_EQ(http_parse("GET / HTTP/1.1\r\nHost:\r\n\r\n").state, HeadState::complete);
}

std::string with_fields(std::string_view fields) {
  return "POST /upload HTTP/1.1\r\nHost: h\r\n" + std::string(fields) + "\r\n";
}

TEST(HttpParser, AcceptsRepeatedContentLengthOnlyWhenEqual) {
  for (const char* fields :
       {"Content-Length: 42\r\nContent-Length: 42\r\n", "Content-Length: 42, 42\r\n",
        "Content-Length: 42,42 , 042\r\n", "content-length: 42\r\nCONTENT-LENGTH: 42,42\r\n"}) {
    const HeadParse parsed = http_parse(with_fields(fields));
    ASSERT_EQ(parsed.state, HeadState::complete) << fields << parsed.error.reason;
    EXPECT_EQ(parsed.head.content_length, 42u) << fields;
  }
  HeadError error = http_failure(with_fields("Content-Length: 42\r\nContent-Length: 43\r\n"));
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.reason, "header line 3: Content-Length disagrees with an earlier Content-Length");
  error = http_failure(with_fields("Content-Length: 42, 7\r\n"));
  EXPECT_EQ(error.reason, "header line 2: Content-Length disagrees with an earlier Content-Length");
}

TEST(HttpParser, RefusesContentLengthThatIsNotDigits) {
  for (const char* value : {"+5", "-5", "5 5", "0x10", "5.0", "five", "1e3"}) {
    const HeadError error =
        http_failure(with_fields("Content-Length: " + std::string(value) + "\r\n"));
    EXPECT_EQ(error.status, 400) << value;
    EXPECT_EQ(error.reason, "header line 2: Content-Length is not a decimal number") << value;
  }
  for (const char* value : {"", "5,", ",5", "5,,5"}) {
    const HeadError error =
        http_failure(with_fields("Content-Length: " + std::string(value) + "\r\n"));
    EXPECT_EQ(error.status, 400) << value;
    EXPECT_EQ(error.reason, "header line 2: Content-Length has an empty value or list element");
  }
}

TEST(HttpParser, RefusesContentLengthAboveTheLimitWith413) {
  const std::string fields = "Content-Length: 100\r\n";
  EXPECT_EQ(http_parse(with_fields(fields), kHeadLimit, 100).head.content_length, 100u);
  const HeadError error = http_failure(with_fields(fields), kHeadLimit, 99);
  EXPECT_EQ(error.status, 413);
  EXPECT_EQ(error.reason, "request head: Content-Length above the limit of 99 bytes");
  // Overflowing size_t is above any limit; with equal digits it is one value, not a conflict.
  const std::string huge = "Content-Length: 99999999999999999999999999\r\n";
  EXPECT_EQ(http_failure(with_fields(huge), kHeadLimit, static_cast<std::size_t>(-1)).status, 413);
  EXPECT_EQ(http_failure(with_fields(huge + huge), kHeadLimit, kBodyLimit).status, 413);
  EXPECT_EQ(http_failure(with_fields("Content-Length: 18446744073709551616\r\n"), kHeadLimit,
                         static_cast<std::size_t>(-1))
                .status,
            413);
  const HeadParse max = http_parse(with_fields("Content-Length: 18446744073709551615\r\n"),
                                   kHeadLimit, static_cast<std::size_t>(-1));
  ASSERT_EQ(max.state, HeadState::complete);
  EXPECT_EQ(max.head.content_length, static_cast<std::size_t>(-1));
  EXPECT_EQ(http_parse(with_fields("Content-Length: 0000\r\n")).head.content_length, 0u);
}

TEST(HttpParser, RefusesTransferEncodingWith501) {
  for (const char* fields : {"Transfer-Encoding: chunked\r\n", "transfer-encoding: identity\r\n",
                             "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"}) {
    const HeadError error = http_failure(with_fields(fields));
    EXPECT_EQ(error.status, 501) << fields;
    EXPECT_EQ(error.reason,
              "request head: Transfer-Encoding is not supported; send the body with "
              "Content-Length");
  }
}

TEST(HttpParser, RefusesAHeadWithoutItsEndWithinTheLimitWith431) {
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";  // 27 bytes
  EXPECT_EQ(http_parse(head, head.size()).state, HeadState::complete);
  HeadError error = http_failure(head, head.size() - 1);
  EXPECT_EQ(error.status, 431);
  EXPECT_EQ(error.reason, "request head: no empty line within 26 bytes");
  // Incomplete below the limit, 431 once the limit is reached without the end.
  EXPECT_EQ(http_parse(head.substr(0, 20), 21).state, HeadState::incomplete);
  EXPECT_EQ(http_failure(head.substr(0, 21), 21).status, 431);
  EXPECT_EQ(http_failure(head.substr(0, 25), 21).status, 431);
  // A head that would end one byte after the limit is still too large.
  EXPECT_EQ(http_failure(head, head.size() - 1).status, 431);
  EXPECT_EQ(http_failure(std::string(100000, 'a'), kHeadLimit).status, 431);
}

TEST(HttpParser, KeepsAliveByVersionAndConnection) {
  const auto keep_alive = [](std::string_view version, std::string_view fields) {
    const HeadParse parsed = http_parse("GET / HTTP/" + std::string(version) + "\r\nHost: h\r\n" +
                                        std::string(fields) + "\r\n");
    EXPECT_EQ(parsed.state, HeadState::complete) << parsed.error.reason;
    return parsed.head.keep_alive;
  };
  EXPECT_TRUE(keep_alive("1.1", ""));
  EXPECT_FALSE(keep_alive("1.1", "Connection: close\r\n"));
  EXPECT_FALSE(keep_alive("1.1", "Connection: Upgrade, CLOSE\r\n"));
  EXPECT_FALSE(keep_alive("1.1", "Connection: keep-alive\r\nConnection: close\r\n"));
  EXPECT_TRUE(keep_alive("1.1", "Connection: keep-alive\r\n"));
  EXPECT_TRUE(keep_alive("1.1", "Connection: closed\r\n"));
  EXPECT_FALSE(keep_alive("1.0", ""));
  EXPECT_TRUE(keep_alive("1.0", "Connection: Keep-Alive\r\n"));
  EXPECT_TRUE(keep_alive("1.0", "Connection: te ,keep-alive\r\n"));
  EXPECT_FALSE(keep_alive("1.0", "Connection: keep-alive, close\r\n"));
}

TEST(HttpParser, HonoursExpect100ContinueAndRefusesOtherExpectationsWith417) {
  HeadParse parsed = http_parse(with_fields("Expect: 100-Continue\r\nContent-Length: 5\r\n"));
  ASSERT_EQ(parsed.state, HeadState::complete);
  EXPECT_TRUE(parsed.head.expect_continue);
  // RFC 9110 §10.1.1: ignored in HTTP/1.0.
  parsed = http_parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(parsed.state, HeadState::complete);
  EXPECT_FALSE(parsed.head.expect_continue);
  const HeadError error = http_failure(with_fields("Expect: 200-ok\r\n"));
  EXPECT_EQ(error.status, 417);
  EXPECT_EQ(error.reason, "header line 2: Expect has an expectation other than 100-continue");
  EXPECT_EQ(http_failure(with_fields("Expect: 100-continue, x\r\n")).status, 417);
}

TEST(HttpParser, SplitsTheTargetIntoPathAndQuery) {
  const HeadParse parsed = http_parse("GET /a%20b/c+d?x=%41&y=?z HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(parsed.state, HeadState::complete);
  EXPECT_EQ(parsed.head.path, "/a b/c+d");
  EXPECT_EQ(parsed.head.query, "x=%41&y=?z");
  const HeadParse bare = http_parse("GET /p? HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(bare.head.path, "/p");
  EXPECT_EQ(bare.head.query, "");
}

TEST(HttpParser, PercentDecodesAndKeepsWhatIsNotAnEscape) {
  EXPECT_EQ(percent_decode("%2Fa%20b", false), "/a b");
  EXPECT_EQ(percent_decode("%2f%2B%2b", false), "/++");
  EXPECT_EQ(percent_decode("a%zzb", false), "a%zzb");
  EXPECT_EQ(percent_decode("a%2", false), "a%2");
  EXPECT_EQ(percent_decode("a%", false), "a%");
  EXPECT_EQ(percent_decode("%%41", false), "%A");
  EXPECT_EQ(percent_decode("%g1%1g", false), "%g1%1g");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("a+b%2B", true), "a b+");
  EXPECT_EQ(percent_decode("%00", false), std::string(1, '\0'));
  EXPECT_EQ(percent_decode("%C3%A9", false), "\xC3\xA9");
  EXPECT_EQ(percent_decode("", true), "");
}

TEST(HttpParser, ParsesQueriesAsTheHeaderDescribes) {
  const Fields expected{{"a", "1"}, {"b", "x y"}, {"c", ""}, {"d", ""}};
  EXPECT_EQ(parse_query("a=1&b=x%20y&c&&d="), expected);
  EXPECT_EQ(parse_query(""), Fields{});
  EXPECT_EQ(parse_query("&&&"), Fields{});
  EXPECT_EQ(parse_query("q=a+b%2Bc&q=2"), (Fields{{"q", "a b+c"}, {"q", "2"}}));
  EXPECT_EQ(parse_query("k=v=w&=x"), (Fields{{"k", "v=w"}, {"", "x"}}));
  EXPECT_EQ(parse_query("a%26b=1%3D2"), (Fields{{"a&b", "1=2"}}));
}

TEST(HttpParser, NamesRegisteredStatuses) {
  EXPECT_EQ(status_reason(200), "OK");
  EXPECT_EQ(status_reason(404), "Not Found");
  EXPECT_EQ(status_reason(413), "Content Too Large");
  EXPECT_EQ(status_reason(417), "Expectation Failed");
  EXPECT_EQ(status_reason(431), "Request Header Fields Too Large");
  EXPECT_EQ(status_reason(505), "HTTP Version Not Supported");
  EXPECT_EQ(status_reason(299), "Unknown");
  EXPECT_EQ(status_reason(-1), "Unknown");
  for (const int status : {100, 101, 200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400,
                           401, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 414, 415, 416,
                           417, 422, 426, 428, 429, 431, 500, 501, 502, 503, 504, 505}) {
    EXPECT_NE(status_reason(status), "Unknown") << status;
  }
}

TEST(HttpParser, WritesAKeepAliveResponseHead) {
  const Fields headers{{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
  EXPECT_EQ(response_head(200, headers, 17, true),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/json\r\n"
            "Cache-Control: no-store\r\n"
            "Content-Length: 17\r\n"
            "\r\n");
}

TEST(HttpParser, WritesNoContentLengthFor204And304And1xx) {
  EXPECT_EQ(response_head(204, {{"X-A", "1"}}, 0, true),
            "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n");
  EXPECT_EQ(response_head(304, {{"ETag", "\"v1\""}}, 123, true),
            "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n");
  EXPECT_EQ(response_head(100, {}, 0, true), "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST(HttpParser, WritesConnectionCloseWhenNotKeptAlive) {
  EXPECT_EQ(response_head(400, {{"Content-Type", "text/plain"}}, 11, false),
            "HTTP/1.1 400 Bad Request\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 11\r\n"
            "Connection: close\r\n"
            "\r\n");
  EXPECT_EQ(response_head(204, {}, 0, false),
            "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
}

TEST(HttpParser, DropsHeadersThatWouldInjectOrReframe) {
  const Fields headers{
      {"X-Ok", "fine"},
      {"X-Split", "a\r\nSet-Cookie: evil=1"},
      {"X-Lf", "a\nb"},
      {"X-Cr", "a\rb"},
      {"X-Nul", std::string("a\0b", 3)},
      {"X-Bad\r\nName", "v"},
      {"X Space", "v"},
      {"X:Colon", "v"},
      {"", "v"},
      {"content-length", "999"},
      {"Connection", "keep-alive"},
      {"Transfer-Encoding", "chunked"},
      {"X-Last", "a\tb"},
  };
  EXPECT_EQ(response_head(200, headers, 2, true),
            "HTTP/1.1 200 OK\r\n"
            "X-Ok: fine\r\n"
            "X-Last: a\tb\r\n"
            "Content-Length: 2\r\n"
            "\r\n");
}

}  // namespace
}  // namespace mamori::server::http
