#pragma once
// site/access_gate: the I7 gate in front of every read of selected records: who (a user with a
// password or an API token), why (a configured purpose; never criminal investigation), and, for
// agreement-party data read for a purpose the party did not agree to, a recorded consent.
// Every decision, allowed or refused, becomes a ledger event; an allowed read is recorded with
// its record count before anything is shown.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/governance/access.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"

namespace mamori::site {

struct Credentials {
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::optional<std::string> token;
};

// Reads the password/token from the named file (first line) or, failing that, from
// MAMORI_PASSWORD / MAMORI_TOKEN. Secrets are never taken from the command line.
Result<Credentials> gather_credentials(const std::optional<std::string>& user,
                                       const std::optional<std::string>& password_file,
                                       const std::optional<std::string>& token_file);

// Who is asking, or why not: no credentials (no_user) or wrong ones (bad_credentials). A user
// who authenticated may still be disabled; the access decision (decide_read) refuses that.
struct Authentication {
  std::optional<governance::User> user;              // set: authenticated
  std::optional<governance::AccessRefusal> refusal;  // set: not authenticated
  std::string message;                               // bilingual, when refused
};

// What a command needs a user for, to complete the no-user message in both languages
// ("reading selected records" / "選別後情報の閲覧").
struct ActionName {
  std::string_view english;
  std::string_view japanese;
};

// Checks the token (its owner must be `credentials.user` when both are given) or the user's
// password. Records nothing: each command records its own refusal event with the rest of its
// context. Errors are storage failures only.
Result<Authentication> authenticate(Installation& installation, const Credentials& credentials,
                                    ActionName action);

// Text an operator typed (a claimed user name, a purpose), as a refusal event records it: null
// when absent, "(unprintable)" unless short printable UTF-8. The ledger hashes exactly what it
// is given and accepts only valid UTF-8, so unchecked text would make the refusal unrecordable.
nlohmann::json ledger_text(const std::optional<std::string>& text);

struct ReadGrant {
  governance::User user;
  std::string purpose;
  std::vector<std::string> consents_used;
};

// Authenticates and decides. A refusal is recorded in the ledger and returned as the error
// (bilingual message).
Result<ReadGrant> authorize_read(Installation& installation, store::Store& store,
                                 const Credentials& credentials,
                                 const std::optional<std::string>& purpose,
                                 const store::RecordQuery& query);

// The same decision for a user the caller has already authenticated (mamorid: by its session
// cookie or API token). The user is read again from the governance storage, so a user
// disabled or removed since it logged in is refused; the decision is recorded as above.
Result<ReadGrant> authorize_read_for(Installation& installation, store::Store& store,
                                     const std::string& user_name,
                                     const std::optional<std::string>& purpose,
                                     const store::RecordQuery& query);

// Records an allowed read: who, which query, how many records, which purpose.
Result<void> record_read(Installation& installation, const ReadGrant& grant,
                         const store::RecordQuery& query, std::uint64_t records);

nlohmann::json query_to_json(const store::RecordQuery& query);

// --since/--until (RFC 3339) into the query's first_seen range; errors name the option.
Result<void> apply_time_range(const std::optional<std::string>& since,
                              const std::optional<std::string>& until, store::RecordQuery& query);

}  // namespace mamori::site
