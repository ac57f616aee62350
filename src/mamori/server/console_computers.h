#pragma once
// server/console_computers: the important computers a user may see (GET /api/computers), as
// filed in the registry: an operator its own organisations' (site::visible_organisations),
// analysts and admins every organisation's — the same rule as `mamori computers list`.

#include <string>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/governance/access.h"

namespace mamori::server {

// {"organisations": [{"id", "name", "name_en", "ci_sectors"}], "computers":
// [{…registry::computer_to_json…}]}, both by id. No contacts or operator user names: the page
// needs neither. Without a [registry] section or its database both lists are empty.
Result<nlohmann::json> list_computers(const std::string& config_path, const governance::User& user);

}  // namespace mamori::server
