#pragma once
// site/intel_config: the [intel] section of mamori.toml — where the installation keeps its
// intelligence products and provisions (intel/sqlite_intel_storage.h) and which agency makes
// them. Shared by `mamori intel` and mamorid's console.
//   [intel]
//   path = "intel.db"          # default: intel.db next to the configuration file
//   agency_id = "nco"          # an organisation id (intel::is_valid_organisation_id)
//   agency_name = "…"

#include <string>

#include "mamori/core/error.h"

namespace mamori::site {

struct IntelConfig {
  std::string path;
  std::string agency_id = "nco";
  std::string agency_name = "National Cybersecurity Office (NCO) / 国家サイバー統括室";
};

// The file's [intel] section (absent: the defaults). Errors name the file and the key.
Result<IntelConfig> load_intel_config(const std::string& config_path);

}  // namespace mamori::site
