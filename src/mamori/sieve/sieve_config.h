#pragma once
// sieve/sieve_config: the top-level keys of `mamori.toml` that configure one sensor's sieve
// run. Later issues add their own [sections]; they do not add keys here. [sieve] holds how the
// run uses the machine (workers).

#include <cstdint>
#include <optional>
#include <string>

#include "mamori/core/config.h"
#include "mamori/core/time.h"
#include "mamori/scope/category.h"

namespace mamori::sieve {

inline constexpr std::uint32_t kMaxSieveWorkers = 64;

struct SieveConfig {
  std::string sensor;                    // sensor id, e.g. "gw-1"
  std::string country_db;                // path to the IP-to-country .mmdb
  std::optional<std::string> overrides;  // path to the prefix overrides file
  bool unknown_is_domestic = true;       // unknown_addresses = "domestic" (protective default)
  scope::CategorySet categories;         // authorized categories (never DD)
  std::string ruleset;                   // path to the ruleset TOML
  std::string store = "sqlite:mamori.db";
  // Where the runs' records go instead of `store` on a sensor that sends them to the central
  // site (issue 9): a `nats://` URL (transport/transport_url.h). `store` then keeps only this
  // installation's ledger and governance tables.
  std::optional<std::string> publish;
  std::uint32_t inspect_bytes = 4096;  // payload bytes inspected per direction
  Duration idle_timeout = Duration::seconds(60);
  Duration active_timeout = Duration::seconds(1800);
  std::uint32_t max_flows = 1'000'000;
  // Hard bound of the state behaviour rules (scan, amplification, beacon) keep in memory.
  std::uint32_t behaviour_memory_mb = 64;
  // [sieve] workers: shards (4 per thread) run on this many threads, the calling one included
  // (1..64; sieve/shard.h says what is exact and what is divided among the shards).
  std::uint32_t workers = 1;
  // Randomness, injected for tests only (never read from a file): unset, every run draws its
  // hash seeds (flow table, behaviour engine, shard router) at random, so crafted traffic
  // cannot aim at a bucket; set, they derive from it, so two runs judge alike. The flow id key
  // is drawn per run either way (I5).
  std::optional<std::uint64_t> seed;
};

// Reads and validates the top-level keys; every error names FILE:LINE and the key.
Result<SieveConfig> load_sieve_config(const ConfigFile& file);

}  // namespace mamori::sieve
