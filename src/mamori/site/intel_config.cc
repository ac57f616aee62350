#include "mamori/site/intel_config.h"

#include "mamori/core/config.h"
#include "mamori/intel/provenance.h"

namespace mamori::site {

Result<IntelConfig> load_intel_config(const std::string& config_path) {
  auto file = ConfigFile::load(config_path);
  if (!file) return fail(file.error());
  ConfigTable table(*file, "intel");
  IntelConfig config;
  auto path = table.path("path");
  if (auto agency = table.string("agency_id")) config.agency_id = *agency;
  if (auto agency = table.string("agency_name")) config.agency_name = *agency;
  table.reject_unknown_keys();
  if (auto ok = table.result(); !ok) return fail(ok.error());
  config.path = path ? *path : file->resolve_path("intel.db");
  if (!intel::is_valid_organisation_id(config.agency_id)) {
    return fail("{}: [intel] agency_id: not an organisation id (1..64 of [a-z0-9._-])",
                config_path);
  }
  return config;
}

}  // namespace mamori::site
