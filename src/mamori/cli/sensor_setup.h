#pragma once
// cli/sensor_setup: builds everything a sieve run needs from one mamori.toml: the validated
// configuration, the country classifier, the compiled ruleset and the de-identification
// settings. Built once, immutable.

#include <memory>
#include <string>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/privacy/privacy_config.h"
#include "mamori/scope/classifier.h"
#include "mamori/sieve/matchers.h"
#include "mamori/sieve/sieve_config.h"

namespace mamori::cli {

struct Sensor {
  sieve::SieveConfig config;
  std::string config_hash;  // SHA-256 of the configuration file's bytes
  std::unique_ptr<scope::Classifier> classifier;
  sieve::CompiledRuleset rules;
  privacy::PrivacyConfig privacy;
  // What the classifier was built from, so that an approval can narrow it.
  std::shared_ptr<const scope::CountryTable> countries;
  scope::Overrides overrides;
  scope::ClassifierOptions classifier_options;
};

Result<Sensor> load_sensor(const std::string& config_path);
// Under a party agreement (当事者協定): only the party's prefixes are in scope (I3).
void restrict_to_party(Sensor& sensor, const std::vector<Prefix>& party_prefixes);
// Only the configuration (for commands that read the store).
Result<sieve::SieveConfig> load_config_only(const std::string& config_path);

}  // namespace mamori::cli
