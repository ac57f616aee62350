#include "mamori/cli/sensor_setup.h"

#include "mamori/scope/country_table.h"
#include "mamori/scope/overrides.h"
#include "mamori/sieve/digest.h"
#include "mamori/sieve/ruleset.h"

namespace mamori::cli {

Result<sieve::SieveConfig> load_config_only(const std::string& config_path) {
  auto file = ConfigFile::load(config_path);
  if (!file) return fail(file.error());
  return sieve::load_sieve_config(*file);
}

Result<Sensor> load_sensor(const std::string& config_path) {
  auto file = ConfigFile::load(config_path);
  if (!file) return fail(file.error());
  auto config = sieve::load_sieve_config(*file);
  if (!config) return fail(config.error());
  auto privacy = privacy::load_privacy_config(*file);
  if (!privacy) return fail(privacy.error());
  auto config_bytes = sieve::read_file_bytes(config_path);
  if (!config_bytes) return fail(config_bytes.error());

  auto countries = scope::CountryTable::load(config->country_db);
  if (!countries) return fail(countries.error());
  scope::Overrides overrides;
  if (config->overrides) {
    auto loaded = scope::Overrides::load(*config->overrides);
    if (!loaded) return fail(loaded.error());
    overrides = std::move(*loaded);
  }
  scope::ClassifierOptions options;
  options.unknown_addresses = config->unknown_is_domestic ? scope::UnknownAddresses::Domestic
                                                          : scope::UnknownAddresses::Foreign;
  options.authorized = config->categories;

  auto ruleset = sieve::load_ruleset(config->ruleset);
  if (!ruleset) return fail(ruleset.error());
  auto compiled = sieve::CompiledRuleset::compile(*ruleset);
  if (!compiled) return fail(compiled.error());

  auto table = std::make_shared<const scope::CountryTable>(std::move(*countries));
  auto classifier = std::make_unique<scope::Classifier>(table, overrides, options);
  return Sensor{
      .config = std::move(*config),
      .config_hash = sieve::to_hex(sieve::sha256(*config_bytes)),
      .classifier = std::move(classifier),
      .rules = std::move(*compiled),
      .privacy = std::move(*privacy),
      .countries = std::move(table),
      .overrides = std::move(overrides),
      .classifier_options = std::move(options),
  };
}

void restrict_to_party(Sensor& sensor, const std::vector<Prefix>& party_prefixes) {
  sensor.classifier_options.party_prefixes = party_prefixes;
  sensor.classifier = std::make_unique<scope::Classifier>(sensor.countries, sensor.overrides,
                                                          sensor.classifier_options);
}

}  // namespace mamori::cli
