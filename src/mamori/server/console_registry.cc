#include "mamori/server/console_registry.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "mamori/core/config.h"
#include "mamori/registry/sqlite_registry.h"
#include "mamori/server/console_config.h"
#include "mamori/site/registry_access.h"

namespace mamori::server {

Result<std::optional<ConsoleRegistry>> open_registry_to_read(const std::string& config_path) {
  auto file = ConfigFile::load(config_path);
  if (!file) return fail(file.error());
  if (!has_section(*file, "registry")) return std::optional<ConsoleRegistry>();
  auto config = registry::load_registry_config(*file);
  if (!config) return fail(config.error());
  std::error_code ec;
  if (!std::filesystem::exists(config->path, ec)) return std::optional<ConsoleRegistry>();
  auto storage = registry::open_sqlite_registry(config->path);
  if (!storage) return fail(storage.error());
  return std::optional<ConsoleRegistry>(
      ConsoleRegistry{.config = std::move(*config), .storage = std::move(*storage)});
}

Result<std::optional<ConsoleRegistry>> open_registry_for(const std::string& config_path,
                                                         const governance::User& user) {
  auto opened = open_registry_to_read(config_path);
  if (!opened || !*opened) return opened;
  auto visible = site::visible_organisations(*(*opened)->storage, user);
  if (!visible) return fail(visible.error());
  (*opened)->visible = std::move(*visible);
  return opened;
}

}  // namespace mamori::server
