#pragma once
// registry/registry_config: the [registry] section of mamori.toml — where the registry database
// is, which reporting regimes (deadlines) apply, the ATT&CK table incident reports are checked
// against, and vendor aliases for matching. Paths are relative to the configuration file.
//   [registry]
//   path = "registry.db"                      # the registry's own SQLite file (sqlite_registry.h)
//   regimes = "regimes.json"                  # parse_regimes format; needed by incident commands
//   default_regime = "nisc-ci"                # regime of new incidents (else: the only one)
//   attack_techniques = "../data/attack-enterprise-techniques.csv"   # needed to file reports
//   [[registry.vendor_aliases]]               # names operators file → the name sources use
//   alias = "フォーティネット"
//   vendor = "Fortinet"
// No regime is built in (incidents.h: deadlines are configuration, never invented), so the
// incident commands refuse to run without `regimes`.

#include <optional>
#include <string>
#include <vector>

#include "mamori/core/config.h"
#include "mamori/core/error.h"
#include "mamori/registry/incidents.h"
#include "mamori/registry/notices.h"

namespace mamori::registry {

struct RegistryConfig {
  std::string path;                              // resolved against the config's directory
  std::optional<std::string> regimes;            // resolved path
  std::optional<std::string> default_regime;     // a Regime::id
  std::optional<std::string> attack_techniques;  // resolved path
  std::vector<VendorAlias> vendor_aliases;
};

// The section is required (registry commands have nothing to open without it) and `path` in it.
// Errors name FILE:LINE and the key ("mamori.toml:12: key 'registry.path': …"), all at once.
Result<RegistryConfig> load_registry_config(const ConfigFile& file);

// The regimes file, or an error saying how to configure one; checks that default_regime names
// one of them.
Result<std::vector<Regime>> require_regimes(const RegistryConfig& config,
                                            const std::string& config_path);
// The regime a new incident runs under: `requested` when given, else default_regime, else the
// only configured regime. Errors name the known ids.
Result<std::string> choose_regime(const RegistryConfig& config, const std::vector<Regime>& regimes,
                                  const std::optional<std::string>& requested,
                                  const std::string& config_path);

}  // namespace mamori::registry
