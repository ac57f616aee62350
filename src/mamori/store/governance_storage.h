#pragma once
// store/governance_storage: users, API token digests and consents (governance::GovernanceStorage)
// in the store database. SQLite now: the same file as the Store, its own connection, the same
// migrations (tables users, api_tokens, consents; schema version 2, see sqlite_schema.cc).
//
// What is stored: a user's name, role (as governance::to_string), password hash (the argon2id
// string; never a password), creation time and disabled flag; for tokens only the SHA-256 hex
// digest (never the token) and its user; for consents the JSON of governance::consent_to_json,
// which is the source of truth, with id, agreement, user, purpose and times as indexed
// columns. Errors name users and consent ids, never a hash or a digest.
// The connection runs with synchronous=FULL, as the ledger's does: these changes are rare and
// are each recorded in the ledger, which must not outlive them in a power loss. The lookups of
// every request (a user by name, a token's user and owner) are statements prepared once per
// connection and rewound after each call, so none holds a read transaction open.

#include <memory>
#include <string_view>

#include "mamori/core/error.h"
#include "mamori/governance/storage.h"

namespace mamori::store {

// `url` as for open_store (store.h). With mode=ro, the add/set methods fail and reads work.
Result<std::unique_ptr<governance::GovernanceStorage>> open_governance_storage(
    std::string_view url);

// A read-only (mode=ro) connection to the database of `url`, for readers beside the connection
// that writes (the console's request threads): every lookup sees what any connection or process
// has committed before it. An error for `sqlite::memory:`, where each connection is a database
// of its own.
Result<std::unique_ptr<governance::GovernanceStorage>> open_governance_reader(std::string_view url);

}  // namespace mamori::store
