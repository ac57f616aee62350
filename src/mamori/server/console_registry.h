#pragma once
// server/console_registry: the installation's registry (the [registry] section of mamori.toml,
// registry/registry_config.h) as the console's registry routes open it — once per request, on
// the request's own connection (a RegistryStorage is single-threaded), so that other processes
// (the `mamori` command) and other requests see one another's filings. Who may see what is
// site/registry_access.h; the routes are console_incidents.h, console_notices.h and
// console_computers.h.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/governance/access.h"
#include "mamori/registry/registry_config.h"
#include "mamori/registry/storage.h"

namespace mamori::server {

struct ConsoleRegistry {
  registry::RegistryConfig config;
  std::unique_ptr<registry::RegistryStorage> storage;
  // The organisations the request's user may see, by id (open_registry_for only).
  std::vector<registry::Organisation> visible = {};
};

// For a request that only reads: none when the installation has no [registry] section or its
// database does not exist yet (there is nothing to show, and a GET creates nothing). Errors: a
// configuration that cannot be read, a database that cannot be opened.
Result<std::optional<ConsoleRegistry>> open_registry_to_read(const std::string& config_path);
// The same, with `visible` filled for `user` (site::visible_organisations): what every read
// route of the registry starts with.
Result<std::optional<ConsoleRegistry>> open_registry_for(const std::string& config_path,
                                                         const governance::User& user);

}  // namespace mamori::server
