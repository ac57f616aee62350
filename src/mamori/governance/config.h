#pragma once
// governance/config: the governance sections of the sensor configuration `mamori.toml`.
//
//   [governance]
//   overseer_key = "keys/overseer.pub"  # trusted overseer public key (I4)
//   ledger_key   = "keys/sensor.key"    # this installation's ledger signing key (secret, 0600)
//   approvals    = ["approval-ff.json"] # the approvals the sieve runs under (optional)
//   reidentification_grants = ["grants/g1.json"]  # overseer-signed re-identification grants
//                                       # (I5, reidentification.h; optional)
//   retention    = "180d"               # record retention (I6); required in this section, > 0
//
//   [[access.purposes]]                 # the purposes a read may state (I7)
//   id       = "attack-analysis"
//   label_ja = "…"
//   label_en = "…"
//   roles    = ["analyst", "overseer"]
//
// Paths are resolved relative to the configuration file. Without a [governance] section the
// retention is kDefaultRetention and no key or approval is configured (the cli then refuses to
// sieve for want of an approval key). Without [[access.purposes]] no read is possible.
// Problems are reported all at once as "FILE:LINE: key 'access.purposes[2].id': what", with
// array indexes counted from 0.

#include <optional>
#include <string>
#include <vector>

#include "mamori/core/config.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/governance/access.h"

namespace mamori::governance {

inline constexpr Duration kDefaultRetention = Duration::seconds(180LL * 86400);

struct GovernanceConfig {
  std::optional<std::string> overseer_key;  // resolved path
  std::optional<std::string> ledger_key;    // resolved path
  // Resolved paths of the approvals the sieve runs under: one per legal basis, together
  // covering every configured category.
  std::vector<std::string> approvals;
  // Resolved paths of the re-identification grants `mamori reidentify` checks (I5).
  std::vector<std::string> reidentification_grants;
  Duration retention = kDefaultRetention;
  AccessPolicy access;
};

Result<GovernanceConfig> load_governance_config(const ConfigFile& file);

}  // namespace mamori::governance
