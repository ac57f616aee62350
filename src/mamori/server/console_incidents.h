#pragma once
// server/console_incidents: the incident reports the console lists (GET /api/incidents), read
// from the registry of the [registry] section. Who sees what is the registry's rule (as for
// `mamori incidents list`, cli/registry_session.h): an operator sees the incidents of the
// organisations whose operator_users list it, analysts and admins (the government) see all;
// the overseer has no access to the registry (the RBAC table already stops it). Each incident
// carries its regime's deadlines and whether an outstanding report is past its deadline.
// Operators file first reports here too (only for their own organisations; the government
// does not file, as in the registry commands).
// Operators file first reports here too (only for their own organisations; the government
// does not file, as in the registry commands).

#include <expected>
#include <string>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/governance/access.h"

namespace mamori::server {

// {"incidents": [{"id", "organisation", "opened_at", "phase": "first|interim|final",
//   "deadlines": {"first", "final"}, "overdue", "summary"}]} by id. Without a [registry]
// section, or before the registry database exists, the list is empty (a GET creates nothing).
Result<nlohmann::json> list_incidents(const std::string& config_path, const governance::User& user,
                                      Timestamp now);

// Why a filing was not accepted: the HTTP status, a snake_case code, the message and the
// offending field when there is one. Messages never echo the report's contents.
struct FilingProblem {
  int status = 400;
  std::string code;
  std::string message;
  std::string field = {};
};

// A first report (速報) filed by an operator for one of its organisations (POST
// /api/incidents): `body` is a report object (mamori-incident-report-v1, registry/incidents.h)
// with "phase": "first", plus an optional "regime". The registry stamps it with the user and
// `now`, gives it the next id "inc-<year>-<n>" and records the submission in its audit trail,
// as `mamori incidents report` does. Returns {"incident": {…as listed…}, "deadlines": {…}}.
std::expected<nlohmann::json, FilingProblem> file_first_report(const std::string& config_path,
                                                               const governance::User& user,
                                                               nlohmann::json body, Timestamp now);

}  // namespace mamori::server
