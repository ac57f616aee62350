#include "mamori/sieve/sieve_config.h"

namespace mamori::sieve {

Result<SieveConfig> load_sieve_config(const ConfigFile& file) {
  SieveConfig config;
  ConfigTable table(file, "");

  if (auto sensor = table.string("sensor", true)) {
    if (sensor->empty() || sensor->size() > 64 ||
        sensor->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                  "._-") != std::string::npos) {
      table.error("sensor", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
    } else {
      config.sensor = *sensor;
    }
  }
  if (auto path = table.path("country_db", true)) config.country_db = *path;
  config.overrides = table.path("overrides");
  if (auto unknown = table.string("unknown_addresses")) {
    if (*unknown == "domestic") {
      config.unknown_is_domestic = true;
    } else if (*unknown == "foreign") {
      config.unknown_is_domestic = false;
    } else {
      table.error("unknown_addresses", "must be \"domestic\" or \"foreign\"");
    }
  }
  if (auto categories = table.string_list("categories", true)) {
    for (const auto& name : *categories) {
      const auto category = scope::parse_category(name);
      if (!category) {
        table.error("categories", fmt::format("'{}' is not one of FF, FD, DF", name));
      } else if (*category == scope::Category::DD) {
        table.error("categories", "DD (domestic to domestic) can never be processed");
      } else {
        config.categories.add(*category);
      }
    }
    if (categories->empty()) table.error("categories", "must name at least one category");
  }
  if (auto path = table.path("ruleset", true)) config.ruleset = *path;
  if (auto store = table.string("store")) {
    // sqlite:PATH is relative to the config file like every other path.
    constexpr std::string_view kSqlite = "sqlite:";
    if (store->starts_with(kSqlite) && store->size() > kSqlite.size() &&
        (*store)[kSqlite.size()] != ':') {
      config.store = std::string(kSqlite) + file.resolve_path(store->substr(kSqlite.size()));
    } else {
      config.store = *store;
    }
  }
  if (auto publish = table.string("publish")) {
    if (publish->starts_with("nats://")) {
      config.publish = *publish;
    } else {
      table.error("publish", "must be a nats:// URL (the central site's JetStream)");
    }
  }
  if (auto bytes = table.integer("inspect_bytes", 0, 65535)) {
    config.inspect_bytes = static_cast<std::uint32_t>(*bytes);
  }
  if (auto idle = table.duration("idle_timeout")) config.idle_timeout = *idle;
  if (auto active = table.duration("active_timeout")) config.active_timeout = *active;
  if (auto flows = table.integer("max_flows", 1024, 100'000'000)) {
    config.max_flows = static_cast<std::uint32_t>(*flows);
  }
  if (auto megabytes = table.integer("behaviour_memory_mb", 1, 65536)) {
    config.behaviour_memory_mb = static_cast<std::uint32_t>(*megabytes);
  }
  if (config.idle_timeout.nanos <= 0) table.error("idle_timeout", "must be positive");
  if (config.active_timeout < config.idle_timeout) {
    table.error("active_timeout", "must not be shorter than idle_timeout");
  }
  table.reject_unknown_keys();

  // [sieve]: how the run uses the machine, not what it selects.
  ConfigTable section(file, "sieve");
  if (auto workers = section.integer("workers", 1, kMaxSieveWorkers)) {
    config.workers = static_cast<std::uint32_t>(*workers);
  }
  section.reject_unknown_keys();

  auto top = table.result();
  auto sieve = section.result();
  if (!top && !sieve) return fail("{}\n{}", top.error().message, sieve.error().message);
  if (!top) return fail(top.error());
  if (!sieve) return fail(sieve.error());
  return config;
}

}  // namespace mamori::sieve
