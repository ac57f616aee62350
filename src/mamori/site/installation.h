#pragma once
// site/installation: what every governed command opens from one mamori.toml: the sieve
// configuration (sensor id, store), the [governance] and [access] sections, the governance
// storage and the ledger, signed with this installation's key. Every governed command writes
// what it did to the ledger through record_event(); none of them runs without a ledger.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/governance/config.h"
#include "mamori/governance/storage.h"
#include "mamori/ledger/keys.h"
#include "mamori/ledger/ledger.h"
#include "mamori/ledger/storage.h"
#include "mamori/sieve/sieve_config.h"

namespace mamori::site {

struct Installation {
  std::string config_path;
  sieve::SieveConfig sieve;
  governance::GovernanceConfig governance;
  std::unique_ptr<ledger::LedgerStorage> ledger_storage;
  std::optional<ledger::SigningKey> ledger_key;
  std::optional<ledger::Ledger> ledger;  // refers to *ledger_storage and *ledger_key
  std::unique_ptr<governance::GovernanceStorage> governance_storage;
};

// Opens everything; refuses a configuration without a ledger key and a ledger that fails its
// own verification (the error names the entry).
Result<std::unique_ptr<Installation>> open_installation(const std::string& config_path);

// Configuration, key and ledger storage only, without verifying the ledger: for exporting a
// ledger as stored, tampered or not, so that the overseer's verifier sees the evidence.
// `ledger` and `governance_storage` stay empty.
Result<std::unique_ptr<Installation>> open_installation_for_export(const std::string& config_path);

// Appends one event stamped with the wall clock and signs a new tree head.
Result<ledger::LedgerEntry> record_event(Installation& installation, std::string_view type,
                                         nlohmann::json body);

// Calls `visit` with every ledger entry of `type`, oldest first; stops early when it returns
// false.
Result<void> for_each_event(Installation& installation, std::string_view type,
                            const std::function<bool(const ledger::LedgerEntry&)>& visit);

// The operating-system user running the command, for "by" fields of events.
std::string os_user();

}  // namespace mamori::site
