#pragma once
// server/console_notices: what the registry tells the organisations a user may see (GET
// /api/notices) — exactly what `mamori notices --json` shows that user (site::notices_for): KEV
// and government vulnerability notices matched against the organisations' filed computers,
// per organisation and most urgent first (registry/notices.h; embargoed ones marked), and
// warnings from other operators' incident reports (registry/correlation.h), which name neither
// the reporting organisation nor its report text. An operator gets its own organisations'
// only; analysts and admins, like on the command line, every organisation's.

#include <string>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/governance/access.h"

namespace mamori::server {

// {"notices": [{"organisation_id", "organisation_name", "notices": [{…registry::to_json…}]}],
//  "warnings": [{…registry::to_json(Warning)…}]}, organisations by id. Without a [registry]
// section, or before the registry database exists, both lists are empty (a GET creates
// nothing).
Result<nlohmann::json> list_notices(const std::string& config_path, const governance::User& user);

}  // namespace mamori::server
