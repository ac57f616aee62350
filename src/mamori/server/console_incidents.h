#pragma once
// server/console_incidents: the incident reports of the console (GET /api/incidents, POST
// /api/incidents, POST /api/incidents/{id}/reports), read from and filed into the registry of
// the [registry] section (console_registry.h). Who sees and files what is the registry's one
// rule (site/registry_access.h, as for `mamori incidents`): an operator sees and files for the
// organisations whose operator_users list it, analysts and admins (the government) see all and
// file nothing; the overseer has no access to the registry (the RBAC table already stops it).
// Each incident carries its regime's deadlines and whether an outstanding report is past its
// deadline. Filing validates a report as `mamori incidents report` does, and the registry
// records it in the organisation's submission trail with the user and the server's clock.

#include <expected>
#include <string>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/governance/access.h"

namespace mamori::server {

// {"incidents": [{"id", "organisation", "regime", "opened_at", "phase": "first|interim|final",
//   "reports", "deadlines": {"first", "final"}, "overdue", "summary"}]} by id. Without a
// [registry] section, or before the registry database exists, the list is empty (a GET
// creates nothing).
Result<nlohmann::json> list_incidents(const std::string& config_path, const governance::User& user,
                                      Timestamp now);

// Why a filing was not accepted: the HTTP status, a snake_case code, the message in English and
// Japanese and the offending field when there is one. Messages never echo the report's
// contents.
struct FilingProblem {
  int status = 400;
  std::string code;
  std::string message;
  std::string message_ja = {};  // empty: the message says it in both languages
  std::string field = {};
};

// What a filing answers (201): {"incident": {…as listed…}, "deadlines": {"first", "final"},
// "report_number": n (1 for the first report), "warnings": [{"field", "message",
// "message_ja"}]} — warnings for computers the report names that the organisation has not
// filed (accepted all the same, as on the command line).

// A first report (速報) filed by an operator for one of its organisations (POST
// /api/incidents): `body` is a report object (mamori-incident-report-v1, registry/incidents.h)
// with "phase": "first", plus an optional "regime". The registry stamps it with the user and
// `now` and gives it the next id "inc-<year>-<n>". 403 (field organisation_id) for an
// organisation the user may not file for, registered or not.
std::expected<nlohmann::json, FilingProblem> file_first_report(const std::string& config_path,
                                                               const governance::User& user,
                                                               nlohmann::json body, Timestamp now);

// An interim (続報) or final (確報) report filed by an operator for incident `incident_id` of
// one of its organisations (POST /api/incidents/{id}/reports). `body` is a report object with
// "phase": "interim" or "final"; "organisation_id" may be left out (it is the incident's) and
// must otherwise be the incident's; no "regime" (chosen when the incident opened). An incident
// that does not exist and one the user may not file for are the same 404, whatever the body
// says; an invalid report is 400 naming the field.
std::expected<nlohmann::json, FilingProblem> file_later_report(const std::string& config_path,
                                                               const governance::User& user,
                                                               const std::string& incident_id,
                                                               nlohmann::json body, Timestamp now);

}  // namespace mamori::server
