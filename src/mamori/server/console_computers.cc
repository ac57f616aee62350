#include "mamori/server/console_computers.h"

#include <utility>

#include "mamori/registry/storage_json.h"
#include "mamori/server/console_registry.h"

namespace mamori::server {

using nlohmann::json;

Result<json> list_computers(const std::string& config_path, const governance::User& user) {
  json organisations = json::array();
  json computers = json::array();
  auto opened = open_registry_for(config_path, user);
  if (!opened) return fail(opened.error());
  if (!*opened) {
    return json{{"organisations", std::move(organisations)}, {"computers", std::move(computers)}};
  }
  registry::RegistryStorage& storage = *(*opened)->storage;
  for (const registry::Organisation& organisation : (*opened)->visible) {
    organisations.push_back({{"id", organisation.id},
                             {"name", organisation.name},
                             {"name_en", organisation.name_en},
                             {"ci_sectors", organisation.ci_sectors}});
    auto filed = storage.computers(organisation.id);
    if (!filed) return fail(filed.error());
    for (const auto& computer : *filed) computers.push_back(registry::computer_to_json(computer));
  }
  return json{{"organisations", std::move(organisations)}, {"computers", std::move(computers)}};
}

}  // namespace mamori::server
