#include "mamori/synth/http_message.h"

#include <array>

#include <fmt/format.h>

#include "mamori/synth/byte_writer.h"

namespace mamori::synth {
namespace {

constexpr std::array<std::string_view, 8> kUserAgents = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SH-51E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "curl/8.5.0",
    "Go-http-client/1.1",
    "Microsoft-CryptoAPI/10.0",
};

constexpr std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 404:
      return "Not Found";
    default:
      return "OK";
  }
}

// Days since 1970-01-01 to civil date (proleptic Gregorian), after H. Hinnant's algorithm.
void civil_from_days(std::int64_t z, int& year, int& month, int& day) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
}

}  // namespace

std::string http_date(Timestamp time) {
  static constexpr std::array<std::string_view, 7> kDays = {"Thu", "Fri", "Sat", "Sun",
                                                            "Mon", "Tue", "Wed"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::int64_t seconds = time.seconds();
  std::int64_t days = seconds / 86400;
  std::int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  int year = 0, month = 0, day = 0;
  civil_from_days(days, year, month, day);
  const auto weekday = static_cast<std::size_t>(((days % 7) + 7) % 7);
  return fmt::format("{}, {:02d} {} {} {:02d}:{:02d}:{:02d} GMT", kDays[weekday], day,
                     kMonths[static_cast<std::size_t>(month - 1)], year, rest / 3600,
                     rest / 60 % 60, rest % 60);
}

std::string_view pick_user_agent(std::uint64_t index) {
  return kUserAgents[index % kUserAgents.size()];
}

void write_http_request(std::vector<std::uint8_t>& out, const HttpRequestSpec& spec) {
  ByteWriter w(out);
  w.text(fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", spec.method, spec.target, spec.host));
  if (!spec.user_agent.empty()) w.text(fmt::format("User-Agent: {}\r\n", spec.user_agent));
  w.text("Accept: */*\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: ja,en-US;q=0.8\r\n");
  if (!spec.cookie.empty()) w.text(fmt::format("Cookie: {}\r\n", spec.cookie));
  const std::uint64_t body = spec.body.size() + spec.body_fill;
  if (body > 0 || spec.method == "POST") {
    w.text(fmt::format(
        "Content-Type: {}\r\nContent-Length: {}\r\n",
        spec.content_type.empty() ? "application/x-www-form-urlencoded" : spec.content_type, body));
  }
  w.text("Connection: keep-alive\r\n\r\n");
  w.text(spec.body);
}

void write_http_response(std::vector<std::uint8_t>& out, const HttpResponseSpec& spec) {
  ByteWriter w(out);
  w.text(fmt::format("HTTP/1.1 {} {}\r\nServer: {}\r\nDate: {}\r\n", spec.status,
                     reason_phrase(spec.status), spec.server, http_date(spec.date)));
  const std::uint64_t body = spec.body.size() + spec.body_fill;
  if (spec.status != 204 && spec.status != 304) {
    w.text(fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", spec.content_type, body));
  }
  w.text("Connection: keep-alive\r\nCache-Control: max-age=300\r\n\r\n");
  w.text(spec.body);
}

}  // namespace mamori::synth
