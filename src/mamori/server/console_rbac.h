#pragma once
// server/console_rbac: the one table of the console API's routes — method, path pattern and who
// may call it (docs/console-api.md). The router dispatches by it and the tests iterate it, so what
// is enforced and what is tested cannot drift apart. A route either needs no login (public) or
// lists the roles allowed; anyone else gets 401 (not logged in) or 403 (logged in, other role).
// Finer checks that depend on the data (a job only for its owner) are the handler's.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/governance/access.h"

namespace mamori::server {

// The handlers the router knows; one per row of the table.
enum class RouteId {
  healthz,
  metrics,
  session_create,
  session_get,
  session_delete,
  dashboard,
  purposes,
  records,
  oversight_head,
  oversight_verify,
  job_get,
  oversight_report,
  findings_list,
  finding_get,
  incidents_list,
  incident_create,
  incident_report,
  notices,
  computers,
  products_list,
  product_get,
  provisions,
};

// A set of roles as bits.
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<governance::Role> roles) {
    for (governance::Role role : roles) bits_ |= bit(role);
  }
  constexpr bool contains(governance::Role role) const { return (bits_ & bit(role)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }

 private:
  static constexpr std::uint8_t bit(governance::Role role) {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(role));
  }
  std::uint8_t bits_ = 0;
};

struct Route {
  RouteId id;
  std::string_view method;   // "GET", "POST", "DELETE"
  std::string_view pattern;  // "/api/jobs/{id}": a {name} segment matches one non-empty segment
  bool is_public = false;    // true: no login needed (roles is then empty)
  RoleSet roles = {};
  // Prometheus label: the pattern, so metrics never carry ids from paths.
  std::string_view label() const { return pattern; }
};

// The table.
std::span<const Route> console_routes();

struct RouteMatch {
  const Route* route = nullptr;
  std::vector<std::string> params;  // the {…} segments in order
};

// The route for (method, path); HEAD is matched as GET. None when no pattern matches the path
// with this method.
std::optional<RouteMatch> match_route(std::string_view method, std::string_view path);
// True when some route has this path with another method (→ 405 rather than 404).
bool path_has_route(std::string_view path);

// Whether a user of `role` (none: not logged in) may call `route`: 0 allowed, else 401 or 403.
int access_status(const Route& route, std::optional<governance::Role> role);

}  // namespace mamori::server
