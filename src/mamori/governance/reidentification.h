#pragma once
// governance/reidentification: the overseer's grant of re-identification (I5). Turning a
// pseudonym back into an address needs the pseudonym key, an authenticated user whose role and
// stated purpose are covered by a grant the overseer signed, and a ledger entry (the cli writes
// it). A grant names roles, purposes and a validity window; criminal investigation (犯罪捜査) can
// never be one of its purposes: signing refuses it and checking refuses a grant that lists it.
//
// Signed message: "mamori-reidentification-grant-v1" 0x00 ‖ canonical JSON of the grant (sorted
// keys, compact, UTF-8; times RFC 3339 with six fractional digits; roles by name in the order
// given). The grant file (version 1 by its kind and domain) is
//   {"kind":"mamori-reidentification-grant",
//    "grant":{"id","roles":["analyst"],"purposes":["attack-analysis"],"not_before","not_after",
//             "granted_by","justification"},
//    "overseer_key_id":"<16 hex>","approved_at":"…","signature":"<128 hex>"}
// Every object is closed: an unknown field is an error naming it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/governance/access.h"
#include "mamori/ledger/keys.h"

namespace mamori::governance {

struct ReidentificationGrant {
  std::string id = {};                     // e.g. "reid-2026-0001"; unique per installation
  std::vector<Role> roles = {};            // roles that may re-identify; at least one, no repeats
  std::vector<std::string> purposes = {};  // purpose ids ([[access.purposes]]); at least one
  Timestamp not_before = {};
  Timestamp not_after = {};
  std::string granted_by = {};
  std::string justification = {};  // free text; never parsed
};

// Internal consistency: id, roles and purposes present without repeats, purpose ids of
// A-Z a-z 0-9 . _ - (1-64), none of them criminal investigation, not_before < not_after,
// granted_by printable. Errors name the field ("grant.purposes: …").
Result<void> validate_reidentification_grant(const ReidentificationGrant& grant);

nlohmann::json reidentification_grant_to_json(const ReidentificationGrant& grant);
// Structure only (validate separately); errors name the field.
Result<ReidentificationGrant> reidentification_grant_from_json(const nlohmann::json& json);
std::string canonical_reidentification_grant(const ReidentificationGrant& grant);

struct SignedReidentificationGrant {
  ReidentificationGrant grant = {};
  std::string overseer_key_id = {};
  Timestamp approved_at = {};  // informational: outside the signed message, like approvals
  ledger::Signature signature = {};
  const std::string& id() const { return grant.id; }
};

// Validates, then signs. Error if the key is not an overseer key or the grant is invalid
// (e.g. lists criminal investigation).
Result<SignedReidentificationGrant> sign_reidentification_grant(const ReidentificationGrant& grant,
                                                                const ledger::SigningKey& overseer,
                                                                Timestamp approved_at);
nlohmann::json signed_reidentification_grant_to_json(
    const SignedReidentificationGrant& signed_grant);
Result<SignedReidentificationGrant> signed_reidentification_grant_from_json(
    const nlohmann::json& json);
Result<SignedReidentificationGrant> load_reidentification_grant(
    const std::string& path);  // errors name the file

// Why no grant covers a re-identification.
enum class ReidentificationRefusal {
  no_grant,
  criminal_investigation,
  malformed,
  signer,
  signature,
  role,
  purpose,
  not_yet_valid,
  expired
};
// "no-grant", "criminal-investigation", "malformed", "signer", "signature", "role", "purpose",
// "not-yet-valid", "expired".
std::string_view to_string(ReidentificationRefusal refusal);

struct ReidentificationDecision {
  std::optional<ReidentificationRefusal> refusal;  // empty: covered
  std::string message;                             // bilingual (English / 日本語)
  std::string grant_id;                            // the covering grant, when covered
};

// The one check before a pseudonym is turned back into an address. A purpose that denotes
// criminal investigation is refused before any grant is looked at. Each grant is checked in
// this order: lists criminal investigation, malformed, signed by `trusted_overseer` (signer,
// signature), `role` in its roles, `purpose` in its purposes, not_before <= now < not_after.
// The first grant that passes covers; when none does, the refusal is that of the grant that got
// furthest through the checks (the earliest such grant), which is the one the user most likely
// meant: an expired grant for their role says more than a grant for another role.
ReidentificationDecision check_reidentification(
    const std::vector<SignedReidentificationGrant>& grants,
    const ledger::PublicKey& trusted_overseer, Role role, std::string_view purpose, Timestamp now);

}  // namespace mamori::governance
