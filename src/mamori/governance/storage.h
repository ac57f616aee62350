#pragma once
// governance/storage: what governance keeps besides the ledger: users, API token digests and
// consents. Implemented by the store module (store/governance_storage.h). Every change here is
// also a ledger event, written by the caller.

#include <optional>
#include <string>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/governance/access.h"

namespace mamori::governance {

class GovernanceStorage {
 public:
  virtual ~GovernanceStorage() = default;

  virtual Result<void> add_user(const User& user) = 0;  // error if the name exists
  virtual Result<void> set_password(const std::string& user, const std::string& hash) = 0;
  virtual Result<void> set_disabled(const std::string& user, bool disabled) = 0;
  virtual Result<std::optional<User>> find_user(const std::string& name) = 0;
  virtual Result<std::vector<User>> users() = 0;

  virtual Result<void> add_token(const std::string& user, const std::string& digest_hex,
                                 Timestamp created_at) = 0;
  // The user a token digest belongs to, if any.
  virtual Result<std::optional<std::string>> find_token_user(const std::string& digest_hex) = 0;
  // That user as stored now (disabled or not): find_token_user, then find_user, in one lookup.
  virtual Result<std::optional<User>> find_token_owner(const std::string& digest_hex) = 0;

  virtual Result<void> add_consent(const Consent& consent) = 0;  // error if the id exists
  virtual Result<std::vector<Consent>> consents() = 0;
};

}  // namespace mamori::governance
