#pragma once
// governance/events: the governance event types written to the ledger and the shape of their
// bodies. Writers (the cli, later the server) build bodies with these fields; readers (the
// inspection report, the overseer's own tools) rely on them. Adding a field is compatible;
// renaming or removing one is not.

#include <string_view>

namespace mamori::governance::events {

// body: {"request": request_to_json(...)}
inline constexpr std::string_view kApprovalRequested = "approval.requested";
// body: {"approval": approval_to_json(...)}
inline constexpr std::string_view kApprovalGranted = "approval.granted";
// The sieve refused to start (I4).
// body: {"sensor", "refusal": to_string(Refusal), "message", "approval_id" (or null),
//        "ruleset_hash", "categories": ["FF",…]}
inline constexpr std::string_view kSieveRefused = "sieve.refused";
// body: {"run_id", "sensor", "approval_id", "legal_basis", "agreement_id" (or null),
//        "ruleset_hash", "config_hash", "categories": [...], "input", "retention_seconds"}
inline constexpr std::string_view kRunStarted = "run.started";
// body: {"run_id", "sensor", "approval_id", "summary": RunSummary::to_json(),
//        "stopped_at_expiry": bool, "selection_stopped_at": RFC 3339 or null}
inline constexpr std::string_view kRunEnded = "run.ended";
// A read of selected records (I7).
// body: {"user", "role", "purpose", "query": {filters…}, "records": N, "consents": [ids]}
inline constexpr std::string_view kAccessRead = "access.read";
// body: {"user" (or null), "role" (or null), "purpose" (or null), "query": {…},
//        "refusal": to_string(AccessRefusal), "message"}
inline constexpr std::string_view kAccessRefused = "access.refused";
// body: {"consent": consent_to_json(...)}
inline constexpr std::string_view kConsentRecorded = "consent.recorded";
// body: {"user", "role", "by"}
inline constexpr std::string_view kUserAdded = "user.added";
// body: {"user", "token_id", "by"}
inline constexpr std::string_view kTokenIssued = "token.issued";
// A user's logins, tokens and sessions stop (disabled) or work again (enabled).
// body: {"user", "role", "by"}
inline constexpr std::string_view kUserDisabled = "user.disabled";
inline constexpr std::string_view kUserEnabled = "user.enabled";
// Retention (I6). body: {"as_of", "records_deleted", "by_run": {"<run id>": N},
//        "by_category": {"FF": N, "FD": N, "DF": N}}
inline constexpr std::string_view kRetentionDeleted = "retention.deleted";
// Shareable aggregates derived from selected records (I5; the read itself is an access.read).
// body: {"user", "purpose", "query": {…}, "records": N, "aggregates": N,
//        "withheld_below_k": N, "k", "window_seconds"}
inline constexpr std::string_view kShareBuilt = "share.built";
// The overseer granted re-identification (I5). body: {"grant":
//        signed_reidentification_grant_to_json(...)}
inline constexpr std::string_view kReidentificationGranted = "reidentification.granted";
// Pseudonyms turned back into addresses (I5), recorded before any address is shown.
// body: {"user", "role", "purpose", "grant_id", "pseudonyms": ["p2:…", …], "count": N}
// Never the clear addresses: the ledger is exported to verifiers, and an address in it would
// undo the pseudonymization for everyone who holds the export.
inline constexpr std::string_view kReidentified = "pseudonym.reidentified";
// body: {"user" (or null), "role" (or null), "purpose" (or null), "pseudonyms": ["p2:…", …],
//        "refusal": to_string(AccessRefusal) or to_string(ReidentificationRefusal), "message"}
inline constexpr std::string_view kReidentificationRefused = "pseudonym.reidentification_refused";
// An admin changed which operator users act for a registry organisation (access control of
// the partnership's registry), recorded before it takes effect.
// body: {"organisation_id", "added": [user…], "removed": [user…], "operator_users": [user…], "by"}
inline constexpr std::string_view kRegistryMembershipChanged = "registry.membership_changed";
// Later issues: "provision.made" (see its module).

}  // namespace mamori::governance::events
