#pragma once
// sieve/sieve_config: the top-level keys of `mamori.toml` that configure one sensor's sieve
// run. Later issues add their own [sections]; they do not add keys here.

#include <cstdint>
#include <optional>
#include <string>

#include "mamori/core/config.h"
#include "mamori/core/time.h"
#include "mamori/scope/category.h"

namespace mamori::sieve {

struct SieveConfig {
  std::string sensor;                    // sensor id, e.g. "gw-1"
  std::string country_db;                // path to the IP-to-country .mmdb
  std::optional<std::string> overrides;  // path to the prefix overrides file
  bool unknown_is_domestic = true;       // unknown_addresses = "domestic" (protective default)
  scope::CategorySet categories;         // authorized categories (never DD)
  std::string ruleset;                   // path to the ruleset TOML
  std::string store = "sqlite:mamori.db";
  std::uint32_t inspect_bytes = 4096;  // payload bytes inspected per direction
  Duration idle_timeout = Duration::seconds(60);
  Duration active_timeout = Duration::seconds(1800);
  std::uint32_t max_flows = 1'000'000;
  // Hard bound of the state behaviour rules (scan, amplification, beacon) keep in memory.
  std::uint32_t behaviour_memory_mb = 64;
};

// Reads and validates the top-level keys; every error names FILE:LINE and the key.
Result<SieveConfig> load_sieve_config(const ConfigFile& file);

}  // namespace mamori::sieve
