#pragma once
// registry/storage_json: the stored JSON forms of the registry values that have none of their
// own module (incidents use incident_to_json). Shared by every RegistryStorage backend, so
// that SQLite and PostgreSQL hold the same text. Closed objects: reading one with an unknown
// or missing field is an error naming the field (never its value).
//
// Forms (version: the registry schema version that stores them, sqlite_registry.cc):
//   organisation  {"id", "name", "name_en", "kinds": ["designated-operator", …],
//                  "ci_sectors": [code…], "key_infrastructure": [code…],
//                  "contacts": [{"name", "email", "phone", "role"}],
//                  "operator_users": [user…]}  (may be absent in forms stored before it existed)
//   computer      {"id", "organisation_id", "category": "vpn-gateway"…, "vendor", "product",
//                  "version", "cpe", "internet_facing": bool, "managed_by": "operator" |
//                  "contractor", "contractor", "note"}
//   change        {"computer_id", "revision": n ≥ 1, "at": RFC 3339, "by",
//                  "changed": [[field, value], …]}
//   vulnerability the fields of Vulnerability by their C++ names; "source": "kev" |
//                  "government"; "known_ransomware" and "patch_available" true/false/null;
//                  "affected": [{"cpe", "vendor", "product", "from", "fixed_in"}]

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/registry/model.h"
#include "mamori/registry/vulnerabilities.h"

namespace mamori::registry {

nlohmann::json organisation_to_json(const Organisation& organisation);
Result<Organisation> organisation_from_json(const nlohmann::json& json);

nlohmann::json computer_to_json(const ImportantComputer& computer);
Result<ImportantComputer> computer_from_json(const nlohmann::json& json);

nlohmann::json change_to_json(const ComputerChange& change);
Result<ComputerChange> change_from_json(const nlohmann::json& json);

nlohmann::json vulnerability_to_json(const Vulnerability& vulnerability);
Result<Vulnerability> vulnerability_from_json(const nlohmann::json& json);

}  // namespace mamori::registry
