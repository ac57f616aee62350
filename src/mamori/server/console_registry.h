#pragma once
// server/console_registry: the installation's registry (the [registry] section of mamori.toml,
// registry/registry_config.h) as the console's registry routes open it — once per request, on
// the request's own connection (a RegistryStorage is single-threaded), so that other processes
// (the `mamori` command) and other requests see one another's filings. Who may see what is
// site/registry_access.h; the routes are console_incidents.h and console_notices.h.

#include <memory>
#include <optional>
#include <string>

#include "mamori/core/error.h"
#include "mamori/registry/registry_config.h"
#include "mamori/registry/storage.h"

namespace mamori::server {

struct ConsoleRegistry {
  registry::RegistryConfig config;
  std::unique_ptr<registry::RegistryStorage> storage;
};

// For a request that only reads: none when the installation has no [registry] section or its
// database does not exist yet (there is nothing to show, and a GET creates nothing). Errors: a
// configuration that cannot be read, a database that cannot be opened.
Result<std::optional<ConsoleRegistry>> open_registry_to_read(const std::string& config_path);

}  // namespace mamori::server
