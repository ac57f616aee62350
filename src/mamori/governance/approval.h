#pragma once
// governance/approval: the overseer's approval of a selection measure (I4). A request names the
// legal basis, the sensor, the categories, the SHA-256 of the compiled ruleset and a validity
// window; the overseer signs it with Ed25519; the sieve checks the signature and coverage before
// it reads a single packet, and stops selecting when the window closes.
//
// Signed message: "mamori-approval-v1" 0x00 ‖ canonical JSON of the request (sorted keys,
// compact, UTF-8). The approval file is
//   {"kind":"mamori-approval","request":{…},"overseer_key_id":"…","approved_at":"…",
//    "signature":"<128 hex>"}

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/core/time.h"
#include "mamori/ledger/keys.h"
#include "mamori/scope/category.h"

namespace mamori::governance {

// The four legal bases of the Act for a selection measure.
enum class LegalBasis {
  foreign_foreign,     // 外外通信目的送信措置            → FF
  foreign_domestic,    // 特定外内通信目的送信措置        → FD
  domestic_foreign,    // 特定内外通信目的送信措置        → DF
  party_agreement,     // 当事者協定 (agreement with a party) → the party's prefixes
};
// Machine names "foreign-foreign", "foreign-domestic", "domestic-foreign", "party-agreement";
// parse also accepts the Japanese names above.
std::string_view to_string(LegalBasis basis);
std::string_view japanese_name(LegalBasis basis);
Result<LegalBasis> parse_legal_basis(std::string_view text);

struct ApprovalRequest {
  std::string id = {};  // e.g. "req-2026-0001"; unique per installation
  LegalBasis basis = LegalBasis::foreign_foreign;
  std::optional<std::string> agreement_id = {};  // required iff basis == party_agreement
  std::vector<Prefix> party_prefixes = {};       // required iff basis == party_agreement
  std::vector<std::string> agreement_purposes = {};  // purposes the party agreed to
  std::string sensor = {};
  scope::CategorySet categories = {};
  std::string ruleset_hash = {};  // 64 hex, CompiledRuleset::hash()
  std::uint64_t inspect_bytes = 0;  // the sieve's inspection budget the overseer approved
  Timestamp not_before = {};
  Timestamp not_after = {};
  std::string requested_by = {};
  Timestamp requested_at = {};
  std::string justification = {};  // free text for the overseer; never parsed
};

// Checks internal consistency: ids present, hash is 64 hex, not_before < not_after, categories
// non-empty and allowed by the basis (FF only for foreign-foreign, FD only for
// foreign-domestic, DF only for domestic-foreign), agreement fields present iff party agreement.
Result<void> validate_request(const ApprovalRequest& request);

nlohmann::json request_to_json(const ApprovalRequest& request);
Result<ApprovalRequest> request_from_json(const nlohmann::json& json);  // errors name the field
std::string canonical_request(const ApprovalRequest& request);

struct Approval {
  ApprovalRequest request = {};
  std::string overseer_key_id = {};
  Timestamp approved_at = {};
  ledger::Signature signature = {};
  std::string id() const { return request.id; }
};

// Validates the request, then signs it. Error if the key is not an overseer key.
Result<Approval> approve(const ApprovalRequest& request, const ledger::SigningKey& overseer,
                         Timestamp approved_at);
nlohmann::json approval_to_json(const Approval& approval);
Result<Approval> approval_from_json(const nlohmann::json& json);
Result<Approval> load_approval(const std::string& path);  // errors name the file

// What the sieve is about to do.
struct SelectionPlan {
  std::string sensor;
  scope::CategorySet categories;
  std::string ruleset_hash;
  std::uint64_t inspect_bytes = 0;
  Timestamp now;
};

// Why an approval does not cover a plan (first failing check in this order).
enum class Refusal {
  no_approval, malformed, signature, signer, sensor, categories, ruleset, inspect_bytes,
  not_yet_valid, expired
};
std::string_view to_string(Refusal refusal);

struct ApprovalDecision {
  std::optional<Refusal> refusal;  // empty: covered
  std::string message;             // bilingual, says exactly which check failed and the values
};

// The one check the sieve runs (I4): signature by `trusted_overseer`, then sensor, categories
// (the plan's categories must be a subset of the approved ones), ruleset hash, inspect_bytes
// (plan ≤ approved), and not_before <= now < not_after.
ApprovalDecision check_approval(const Approval& approval, const ledger::PublicKey& trusted_overseer,
                                const SelectionPlan& plan);

}  // namespace mamori::governance
