#include "mamori/server/console_notices.h"

#include <algorithm>
#include <utility>

#include "mamori/registry/correlation.h"
#include "mamori/registry/notices.h"
#include "mamori/server/console_registry.h"
#include "mamori/site/registry_access.h"

namespace mamori::server {

using nlohmann::json;

Result<json> list_notices(const std::string& config_path, const governance::User& user) {
  json notices = json::array();
  json warnings = json::array();
  auto opened = open_registry_for(config_path, user);
  if (!opened) return fail(opened.error());
  if (!*opened) return json{{"notices", std::move(notices)}, {"warnings", std::move(warnings)}};
  ConsoleRegistry& registry = **opened;
  const std::vector<registry::Organisation>& organisations = registry.visible;
  registry::MatchOptions options;
  options.vendor_aliases = registry.config.vendor_aliases;
  auto found = site::notices_for(*registry.storage, organisations, options);
  if (!found) return fail(found.error());
  for (const auto& per_organisation : found->notices) {
    json entry = registry::to_json(per_organisation);
    // The name, as the command line's table shows it next to the id.
    const auto organisation = std::ranges::find(organisations, per_organisation.organisation_id,
                                                &registry::Organisation::id);
    entry["organisation_name"] = organisation == organisations.end() ? "" : organisation->name;
    notices.push_back(std::move(entry));
  }
  for (const auto& warning : found->warnings) warnings.push_back(registry::to_json(warning));
  return json{{"notices", std::move(notices)}, {"warnings", std::move(warnings)}};
}

}  // namespace mamori::server
