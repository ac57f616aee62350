#pragma once
// governance/access: users, roles, purposes and consents (I7). Reading selected records needs an
// authenticated user, a role allowed to read, and a purpose from the configured list; criminal
// investigation (犯罪捜査) is never a purpose for selected communications information, whatever
// the configuration says. Reading agreement-party data for a purpose the party did not agree to
// is other-purpose use (他目的利用) and needs a recorded consent that covers the data range, the
// user and the purpose.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"

namespace mamori::governance {

enum class Role { analyst, overseer, operator_, admin };
std::string_view to_string(Role role);  // "analyst", "overseer", "operator", "admin"
Result<Role> parse_role(std::string_view text);

struct User {
  std::string name = {};
  Role role = Role::analyst;
  std::string password_hash = {};  // libsodium crypto_pwhash_str (argon2id) string; may be empty
  Timestamp created_at = {};
  bool disabled = false;
};

// argon2id via libsodium crypto_pwhash_str (OPSLIMIT/MEMLIMIT_INTERACTIVE).
Result<std::string> hash_password(std::string_view password);
bool verify_password(const std::string& password_hash, std::string_view password);

// API tokens: "mmr_" + 43 base64url characters (32 random bytes). Only the SHA-256 hex digest
// is stored; token_id is its first 12 hex digits (safe to log).
std::string new_api_token();
std::string token_digest(std::string_view token);
std::string token_id(std::string_view token_digest_hex);

struct Purpose {
  std::string id = {};        // e.g. "attack-analysis"
  std::string label_ja = {};  // e.g. "重要電子計算機に対する不正な行為による被害の防止"
  std::string label_en = {};
  std::vector<Role> roles = {};  // roles that may read for this purpose
};

// True for ids/labels that denote criminal investigation (犯罪捜査, "criminal investigation",
// "criminal-investigation", case/space-insensitive).
bool is_criminal_investigation(std::string_view purpose);

// Parsed from the [[access.purposes]] tables of the sensor configuration; a criminal
// investigation purpose is a configuration error (file:line).
struct AccessPolicy {
  std::vector<Purpose> purposes;
  const Purpose* find(std::string_view id) const;
};

struct Consent {
  std::string id = {};
  std::string agreement_id = {};
  std::string user = {};
  std::string purpose = {};
  Timestamp data_since = {};  // covers records with data_since <= first_seen < data_until
  Timestamp data_until = {};
  std::string recorded_by = {};
  Timestamp recorded_at = {};
  std::string note = {};
};
nlohmann::json consent_to_json(const Consent& consent);
Result<Consent> consent_from_json(const nlohmann::json& json);

// Where the data asked for came from: one entry per agreement-party run touched by the query
// (runs under other bases need no consent).
struct PartyData {
  std::string agreement_id;
  std::vector<std::string> agreement_purposes;
  Timestamp data_since;  // the query's effective first_seen range over that party's records
  Timestamp data_until;
};

enum class AccessRefusal {
  no_user, bad_credentials, disabled, no_purpose, criminal_investigation, unknown_purpose,
  role_not_allowed, no_consent
};
std::string_view to_string(AccessRefusal refusal);

struct AccessDecision {
  std::optional<AccessRefusal> refusal;      // empty: allowed
  std::string message;                       // bilingual
  std::vector<std::string> consents_used;    // ids of consents that covered other-purpose use
};

// The I7 decision for a read by an already-authenticated user.
AccessDecision decide_read(const AccessPolicy& policy, const User& user,
                           std::string_view purpose, const std::vector<PartyData>& party_data,
                           const std::vector<Consent>& consents);

}  // namespace mamori::governance
