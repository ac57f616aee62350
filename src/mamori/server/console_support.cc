#include "mamori/server/console_support.h"

#include <fmt/format.h>

namespace mamori::server::console {

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Invalid UTF-8 (never expected: every text here is checked) must not throw mid-response.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  std::string(kJsonType));
}

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                std::string_view message_ja, std::string_view field) {
  nlohmann::json error = {{"code", std::string(code)},
                          {"message", std::string(message)},
                          {"message_ja", std::string(message_ja)}};
  if (!field.empty()) error["field"] = std::string(field);
  send_json(res, status, {{"error", std::move(error)}});
}

void set_security_headers(httplib::Response& res, bool api) {
  const auto set = [&](const char* name, const char* value) {
    if (!res.has_header(name)) res.set_header(name, value);
  };
  set("Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  set("X-Content-Type-Options", "nosniff");
  set("Referrer-Policy", "no-referrer");
  set("X-Frame-Options", "DENY");
  set("Cross-Origin-Opener-Policy", "same-origin");
  if (api) set("Cache-Control", "no-store");
}

void Metrics::count_request(std::string_view route, std::string_view method, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(route), std::string(method), status}];
}

void Metrics::count_login_failure() {
  std::lock_guard lock(mutex_);
  ++login_failures_;
}

std::string Metrics::render(std::size_t sessions) {
  std::lock_guard lock(mutex_);
  std::string out;
  out +=
      "# HELP mamori_console_requests_total Console requests by route pattern, method and "
      "status.\n# TYPE mamori_console_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out += fmt::format(
        "mamori_console_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} "
        "{}\n",
        route, method, status, count);
  }
  out += fmt::format(
      "# HELP mamori_console_login_failures_total Failed console logins.\n"
      "# TYPE mamori_console_login_failures_total counter\n"
      "mamori_console_login_failures_total {}\n"
      "# HELP mamori_console_sessions Live console sessions.\n"
      "# TYPE mamori_console_sessions gauge\n"
      "mamori_console_sessions {}\n",
      login_failures_, sessions);
  return out;
}

}  // namespace mamori::server::console
