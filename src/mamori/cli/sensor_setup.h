#pragma once
// cli/sensor_setup: builds everything a sieve run needs from one mamori.toml: the validated
// configuration, the country classifier and the compiled ruleset. Built once, immutable.

#include <memory>
#include <string>

#include "mamori/core/error.h"
#include "mamori/scope/classifier.h"
#include "mamori/sieve/matchers.h"
#include "mamori/sieve/sieve_config.h"

namespace mamori::cli {

struct Sensor {
  sieve::SieveConfig config;
  std::string config_hash;  // SHA-256 of the configuration file's bytes
  std::unique_ptr<scope::Classifier> classifier;
  sieve::CompiledRuleset rules;
};

Result<Sensor> load_sensor(const std::string& config_path);
// Only the configuration (for commands that read the store).
Result<sieve::SieveConfig> load_config_only(const std::string& config_path);

}  // namespace mamori::cli
