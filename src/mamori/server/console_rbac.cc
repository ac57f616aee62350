#include "mamori/server/console_rbac.h"

#include <array>

namespace mamori::server {
namespace {

using governance::Role;

constexpr RoleSet kAnyUser = {Role::analyst, Role::overseer, Role::operator_, Role::admin};

// docs/console-api.md, "Endpoints". Keep this the only place these decisions are written down.
// clang-format off
constexpr std::array kRoutes = {
    Route{RouteId::healthz,          "GET",    "/healthz",              true,  {}},
    Route{RouteId::metrics,          "GET",    "/metrics",              false, {Role::admin}},
    Route{RouteId::session_create,   "POST",   "/api/session",          true,  {}},
    Route{RouteId::session_get,      "GET",    "/api/session",          false, kAnyUser},
    Route{RouteId::session_delete,   "DELETE", "/api/session",          false, kAnyUser},
    Route{RouteId::dashboard,        "GET",    "/api/dashboard",        false,
          {Role::analyst, Role::overseer, Role::admin}},
    Route{RouteId::purposes,         "GET",    "/api/purposes",         false,
          {Role::analyst, Role::admin}},
    // Through the I7 gate (site/access_gate.h), which decides purposes and consents.
    Route{RouteId::records,          "GET",    "/api/records",          false, {Role::analyst}},
    // Operators see their own organisations' incidents, the government all (the handler).
    Route{RouteId::incidents_list,   "GET",    "/api/incidents",        false,
          {Role::operator_, Role::analyst, Role::admin}},
    // A first report (速報): operators only, for their own organisations (the handler).
    Route{RouteId::incident_create,  "POST",   "/api/incidents",        false, {Role::operator_}},
    // 続報/確報: operators only, for incidents of their own organisations (the handler: 404).
    Route{RouteId::incident_report,  "POST",   "/api/incidents/{id}/reports", false,
          {Role::operator_}},
    // Operators their own organisations' notices, the government all (as `mamori notices`).
    Route{RouteId::notices,          "GET",    "/api/notices",          false,
          {Role::operator_, Role::analyst, Role::admin}},
    // Operators their own organisations' computers, the government all (the handler).
    Route{RouteId::computers,        "GET",    "/api/computers",        false,
          {Role::operator_, Role::analyst, Role::admin}},
    // T1 products whole: the government's analysts (and admins), as `mamori intel show`.
    Route{RouteId::products_list,    "GET",    "/api/products",         false,
          {Role::analyst, Role::admin}},
    Route{RouteId::product_get,      "GET",    "/api/products/{id}",    false,
          {Role::analyst, Role::admin}},
    // What was provided to whom (no content): the overseer inspects it too.
    Route{RouteId::provisions,       "GET",    "/api/provisions",       false,
          {Role::analyst, Role::overseer, Role::admin}},
    Route{RouteId::findings_list,    "GET",    "/api/findings",         false, {Role::analyst}},
    Route{RouteId::finding_get,      "GET",    "/api/findings/{id}",    false, {Role::analyst}},
    Route{RouteId::oversight_head,   "GET",    "/api/oversight/head",   false,
          {Role::overseer, Role::admin}},
    Route{RouteId::oversight_verify, "POST",   "/api/oversight/verify", false, {Role::overseer}},
    Route{RouteId::oversight_report, "GET",    "/api/oversight/report", false, {Role::overseer}},
    // The job's owner only: any logged-in user passes here, the handler answers 404 to others.
    Route{RouteId::job_get,          "GET",    "/api/jobs/{id}",        false, kAnyUser},
};
// clang-format on

// Splits "/a/b/" into {"a", "b", ""}: a trailing slash is a different path.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  std::size_t start = 0;
  while (true) {
    const std::size_t end = path.find('/', start);
    out.push_back(path.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

bool matches(const Route& route, std::string_view path, std::vector<std::string>* params) {
  const auto want = segments(route.pattern);
  const auto have = segments(path);
  if (want.size() != have.size() || have.empty()) return false;
  std::vector<std::string> found;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() >= 2 && want[i].front() == '{' && want[i].back() == '}') {
      if (have[i].empty()) return false;
      found.emplace_back(have[i]);
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  if (params != nullptr) *params = std::move(found);
  return true;
}

}  // namespace

std::span<const Route> console_routes() { return kRoutes; }

std::optional<RouteMatch> match_route(std::string_view method, std::string_view path) {
  if (method == "HEAD") method = "GET";
  for (const Route& route : kRoutes) {
    if (route.method != method) continue;
    RouteMatch match;
    if (matches(route, path, &match.params)) {
      match.route = &route;
      return match;
    }
  }
  return std::nullopt;
}

bool path_has_route(std::string_view path) {
  for (const Route& route : kRoutes) {
    if (matches(route, path, nullptr)) return true;
  }
  return false;
}

int access_status(const Route& route, std::optional<governance::Role> role) {
  if (route.is_public) return 0;
  if (!role) return 401;
  return route.roles.contains(*role) ? 0 : 403;
}

}  // namespace mamori::server
