#pragma once
// privacy/privacy_config: the [privacy] section of mamori.toml — where the pseudonym keys are
// and which non-domestic addresses stay clear (field_policy.h).
//   [privacy]
//   key_file = "keys/pseudonym.keys"  # mamori keys pseudonym --out …; mode 0600, outside the store
//   clear = "infrastructure"          # or "foreign" or "none"
// There is no key for domestic addresses: they are always pseudonymized (I5), and a key that
// tries (e.g. `domestic = "clear"`) is refused with that reason.

#include <optional>
#include <string>

#include "mamori/core/config.h"
#include "mamori/privacy/field_policy.h"

namespace mamori::privacy {

struct PrivacyConfig {
  std::optional<std::string> key_file;  // resolved against the config's directory
  ClearAddresses clear = ClearAddresses::infrastructure;
};

// Missing section: no key file, default clear setting. Errors name FILE:LINE and the key.
Result<PrivacyConfig> load_privacy_config(const ConfigFile& file);

// The key file, or a bilingual error saying how to create one: the sieve never runs without.
Result<std::string> require_key_file(const PrivacyConfig& config, std::string_view config_path);

}  // namespace mamori::privacy
