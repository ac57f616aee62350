#include "mamori/site/installation.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "mamori/store/governance_storage.h"
#include "mamori/store/ledger_storage.h"

namespace mamori::site {

namespace {

// Everything but the verified Ledger: configuration, the ledger key and the ledger's storage.
Result<std::unique_ptr<Installation>> open_unverified(const std::string& config_path) {
  auto file = ConfigFile::load(config_path);
  if (!file) return fail(file.error());
  auto sieve_config = sieve::load_sieve_config(*file);
  if (!sieve_config) return fail(sieve_config.error());
  auto governance_config = governance::load_governance_config(*file);
  if (!governance_config) return fail(governance_config.error());

  auto installation = std::make_unique<Installation>();
  installation->config_path = config_path;
  installation->sieve = std::move(*sieve_config);
  installation->governance = std::move(*governance_config);
  if (!installation->governance.ledger_key) {
    return fail(
        "{}: [governance] ledger_key is not set: governed commands record what they do in the "
        "ledger, signed with this installation's key (create one with `mamori keys new --role "
        "sensor --out keys/sensor`) / 台帳署名鍵が設定されていません",
        config_path);
  }
  auto key =
      ledger::load_signing_key(*installation->governance.ledger_key, ledger::KeyRole::sensor);
  if (!key) return fail(key.error());
  installation->ledger_key.emplace(std::move(*key));

  auto ledger_storage = store::open_ledger_storage(installation->sieve.store);
  if (!ledger_storage) return fail(ledger_storage.error());
  installation->ledger_storage = std::move(*ledger_storage);
  return installation;
}

}  // namespace

Result<std::unique_ptr<Installation>> open_installation_for_export(const std::string& config_path) {
  return open_unverified(config_path);
}

Result<std::unique_ptr<Installation>> open_installation(const std::string& config_path) {
  auto opened = open_unverified(config_path);
  if (!opened) return fail(opened.error());
  auto installation = std::move(*opened);
  auto ledger = ledger::Ledger::open(*installation->ledger_storage, *installation->ledger_key);
  if (!ledger) return fail("ledger: {}", ledger.error().message);
  installation->ledger.emplace(std::move(*ledger));

  auto governance_storage = store::open_governance_storage(installation->sieve.store);
  if (!governance_storage) return fail(governance_storage.error());
  installation->governance_storage = std::move(*governance_storage);
  return installation;
}

Result<ledger::LedgerEntry> record_event(Installation& installation, std::string_view type,
                                         nlohmann::json body) {
  auto entry = installation.ledger->append(std::string(type), std::move(body), SystemClock().now());
  if (!entry) return fail("ledger: {}", entry.error().message);
  return entry;
}

Result<void> for_each_event(Installation& installation, std::string_view type,
                            const std::function<bool(const ledger::LedgerEntry&)>& visit) {
  constexpr std::uint64_t kPage = 4096;
  auto& ledger = *installation.ledger;
  for (std::uint64_t from = 0; from < ledger.size(); from += kPage) {
    auto entries = ledger.entries(from, kPage);
    if (!entries) return fail(entries.error());
    for (const auto& entry : *entries) {
      if (entry.type == type && !visit(entry)) return {};
    }
  }
  return {};
}

std::string os_user() {
  if (const passwd* entry = getpwuid(geteuid()); entry != nullptr && entry->pw_name != nullptr) {
    return entry->pw_name;
  }
  if (const char* user = std::getenv("USER"); user != nullptr) return user;
  return "uid:" + std::to_string(geteuid());
}

}  // namespace mamori::site
