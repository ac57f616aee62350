#include "mamori/registry/registry_config.h"

#include <algorithm>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace mamori::registry {
namespace {

std::string regime_ids(const std::vector<Regime>& regimes) {
  std::string out;
  for (const Regime& regime : regimes) out += (out.empty() ? "" : ", ") + regime.id;
  return out;
}

}  // namespace

Result<RegistryConfig> load_registry_config(const ConfigFile& file) {
  const auto section = file.root().at_path("registry");
  if (!section) {
    return fail(
        "{}: [registry] section is missing: registry commands need at least `path = "
        "\"registry.db\"` there (see examples/mamori.toml) / [registry] の設定がありません",
        file.path());
  }
  RegistryConfig config;
  std::vector<std::string> errors;
  ConfigTable table(file, "registry");
  if (auto path = table.path("path", true)) {
    if (path->empty()) {
      table.error("path", "must not be empty");
    } else {
      config.path = *path;
    }
  }
  config.regimes = table.path("regimes");
  config.attack_techniques = table.path("attack_techniques");
  if (auto regime = table.string("default_regime")) {
    if (regime->empty()) {
      table.error("default_regime", "must not be empty");
    } else {
      config.default_regime = *regime;
    }
  }
  table.reject_unknown_keys({"vendor_aliases"});
  errors.insert(errors.end(), table.errors().begin(), table.errors().end());

  if (const auto aliases = file.root().at_path("registry.vendor_aliases")) {
    const toml::array* array = aliases.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      errors.push_back(
          fmt::format("{}:{}: key 'registry.vendor_aliases': must be an array of tables "
                      "([[registry.vendor_aliases]] with alias and vendor)",
                      file.path(), aliases.node()->source().begin.line));
    } else {
      for (std::size_t i = 0; i < array->size(); ++i) {
        ConfigTable entry(file, fmt::format("registry.vendor_aliases[{}]", i));
        auto alias = entry.string("alias", true);
        auto vendor = entry.string("vendor", true);
        if (alias && alias->empty()) entry.error("alias", "must not be empty");
        if (vendor && vendor->empty()) entry.error("vendor", "must not be empty");
        entry.reject_unknown_keys();
        if (entry.ok() && alias && vendor) config.vendor_aliases.push_back({*alias, *vendor});
        errors.insert(errors.end(), entry.errors().begin(), entry.errors().end());
      }
    }
  }
  if (!errors.empty()) {
    std::string joined;
    for (const auto& e : errors) joined += (joined.empty() ? "" : "\n") + e;
    return fail("{}", joined);
  }
  return config;
}

Result<std::vector<Regime>> require_regimes(const RegistryConfig& config,
                                            const std::string& config_path) {
  if (!config.regimes) {
    return fail(
        "{}: [registry] regimes is not set: incident deadlines are configuration (no regime is "
        "built in); name a regimes file, e.g. examples/regimes.json, after checking the current "
        "rules / 報告期限の設定ファイルが指定されていません",
        config_path);
  }
  auto regimes = load_regimes(*config.regimes);
  if (!regimes) return fail(regimes.error());
  if (regimes->empty()) return fail("{}: no reporting regime is configured", *config.regimes);
  if (config.default_regime &&
      std::ranges::find(*regimes, *config.default_regime, &Regime::id) == regimes->end()) {
    return fail("{}: [registry] default_regime '{}' is not in {} (known: {})", config_path,
                *config.default_regime, *config.regimes, regime_ids(*regimes));
  }
  return regimes;
}

Result<std::string> choose_regime(const RegistryConfig& config, const std::vector<Regime>& regimes,
                                  const std::optional<std::string>& requested,
                                  const std::string& config_path) {
  if (requested) {
    if (std::ranges::find(regimes, *requested, &Regime::id) == regimes.end()) {
      return fail("--regime '{}' is not a configured reporting regime (known: {})", *requested,
                  regime_ids(regimes));
    }
    return *requested;
  }
  if (config.default_regime) return *config.default_regime;
  if (regimes.size() == 1) return regimes.front().id;
  return fail(
      "{}: several reporting regimes are configured ({}) and [registry] default_regime is not "
      "set: choose one with --regime",
      config_path, regime_ids(regimes));
}

}  // namespace mamori::registry
