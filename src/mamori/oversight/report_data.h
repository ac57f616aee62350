#pragma once
// oversight/report_data: the facts of one inspection report (監理委員会への報告), as values.
// build_report() (report.h) fills it from ledger events and store run counters; the HTML and
// JSON renderers only format it. Everything here is aggregate governance data: counts, ids,
// names of sensors/users/purposes, times and hashes. No field can hold a record's content
// (addresses, domain names, commands): the inputs never carry any.
//
// Strings copied from ledger events (ids, names, messages) are untrusted text; renderers
// escape them.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/time.h"
#include "mamori/scope/category.h"

namespace mamori::oversight {

// [from, to): an event belongs to the period when from <= at < to.
struct ReportPeriod {
  Timestamp from;
  Timestamp to;
};

// The categories a report counts, in display order. DD is never processed, so it only
// appears as a dropped-packet counter.
inline constexpr std::array<scope::Category, 3> kReportCategories = {
    scope::Category::FF, scope::Category::FD, scope::Category::DF};

struct CategoryVolume {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t flows = 0;
  std::uint64_t selected_flows = 0;
  // selected_flows / flows; absent when no flow was seen.
  std::optional<double> selection_ratio() const;
};
// Indexed like kReportCategories (FF, FD, DF).
using CategoryVolumes = std::array<CategoryVolume, 3>;
using CategoryCounts = std::array<std::uint64_t, 3>;

// ---- approvals (I4) -------------------------------------------------------------------------

enum class ApprovalState { pending, not_yet_valid, active, expired };
std::string_view to_string(ApprovalState state);  // "pending", "not-yet-valid", …

struct ApprovalRow {
  std::string id;
  std::string basis;     // machine name, e.g. "foreign-foreign"
  std::string basis_ja;  // e.g. "外外通信目的送信措置"
  std::optional<std::string> agreement_id;
  std::string sensor;
  std::vector<std::string> categories;
  std::string ruleset_hash;  // full hex; renderers shorten it
  Timestamp not_before;
  Timestamp not_after;
  std::optional<Timestamp> requested_at;  // ledger time of approval.requested (before `to`)
  std::optional<Timestamp> granted_at;    // ledger time of approval.granted (before `to`)
  std::string overseer_key_id;            // empty until granted
  bool requested_in_period = false;
  bool granted_in_period = false;
  ApprovalState state_at_end = ApprovalState::pending;  // at the period's `to`
};

struct ApprovalSection {
  std::uint64_t requested = 0;  // approval.requested events in the period
  std::uint64_t granted = 0;    // approval.granted events in the period
  // Approvals requested or granted in the period, and approvals granted earlier whose
  // window overlaps the period; ordered by window start, then id.
  std::vector<ApprovalRow> rows;
  std::uint64_t active_at_end = 0;
  std::uint64_t expired_at_end = 0;
};

// ---- sieve refusals (I4) --------------------------------------------------------------------

struct SieveRefusalRow {
  std::uint64_t seq = 0;
  Timestamp at;
  std::string sensor;
  std::string refusal;  // governance::to_string(Refusal)
  std::string message;
  std::optional<std::string> approval_id;
};

// ---- runs -----------------------------------------------------------------------------------

struct RunRow {
  std::string run_id;
  std::string sensor;
  std::string approval_id;
  std::string legal_basis;     // as written in run.started (machine name)
  std::string legal_basis_ja;  // empty when the basis is not recognised
  std::optional<std::string> agreement_id;
  std::string input;
  std::vector<std::string> categories;
  std::optional<Timestamp> started_at;  // ledger time of run.started
  std::optional<Timestamp> ended_at;    // ledger time of run.ended (before `to`)
  bool ended_in_period = false;         // only such runs count in the totals
  CategoryVolumes by_category{};
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t flows = 0;
  std::uint64_t selected_flows = 0;
  std::uint64_t records = 0;  // records the run stored (summary.records)
  std::uint64_t dropped_domestic = 0;
  std::uint64_t dropped_unauthorized = 0;
  std::uint64_t dropped_undecodable = 0;
  bool stopped_at_expiry = false;
  std::optional<Timestamp> selection_stopped_at;
  std::string input_error;
  std::optional<std::uint64_t> records_stored_now;  // from the store, when it knows the run
};

struct RunTotals {
  std::uint64_t started = 0;  // run.started events in the period
  std::uint64_t ended = 0;    // run.ended events in the period
  std::uint64_t stopped_at_expiry = 0;
  CategoryVolumes by_category{};
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t flows = 0;
  std::uint64_t selected_flows = 0;
  std::uint64_t records = 0;
  std::uint64_t dropped_domestic = 0;
  std::uint64_t dropped_unauthorized = 0;
  std::uint64_t dropped_undecodable = 0;
  std::optional<double> selection_ratio() const;  // selected_flows / flows
};

struct RunSection {
  std::vector<RunRow> rows;  // runs started or ended in the period, by start time
  RunTotals totals;
};

// ---- records (I6) ---------------------------------------------------------------------------

struct RecordSection {
  std::uint64_t stored = 0;   // sum of summary.records over runs ended in the period
  std::uint64_t deleted = 0;  // sum of retention.deleted records_deleted in the period
  CategoryCounts deleted_by_category{};
  std::uint64_t deletion_events = 0;
  std::uint64_t currently_stored = 0;  // sum over the store's runs now (ReportInputs::runs)
  std::uint64_t store_runs = 0;        // runs the store knows
};

// ---- access (I7) ----------------------------------------------------------------------------

struct ReadGroup {
  std::string role;
  std::string purpose;
  std::uint64_t reads = 0;
  std::uint64_t records = 0;
  std::uint64_t with_consent = 0;  // reads that relied on a recorded consent (他目的利用)
};

struct AccessRefusalGroup {
  std::string refusal;  // governance::to_string(AccessRefusal)
  std::string purpose;  // "" when the request named none
  std::uint64_t count = 0;
  bool criminal_investigation = false;
};

struct AccessSection {
  std::vector<ReadGroup> reads;  // by role, then purpose
  std::uint64_t total_reads = 0;
  std::uint64_t total_records_read = 0;
  std::map<std::string, std::uint64_t> reads_by_purpose;
  std::vector<AccessRefusalGroup> refusals;  // by refusal, then purpose
  std::uint64_t total_refusals = 0;
  std::uint64_t criminal_investigation_refusals = 0;
};

// ---- re-identification (I5) -----------------------------------------------------------------
struct ReidentificationGroup {
  std::string role;
  std::string purpose;
  std::string grant_id;
  std::uint64_t events = 0;
  std::uint64_t pseudonyms = 0;
};
struct ReidentificationSection {
  std::uint64_t grants = 0;                 // reidentification.granted events in the period
  std::vector<ReidentificationGroup> done;  // by role, purpose, grant
  std::uint64_t total_events = 0;
  std::uint64_t total_pseudonyms = 0;
  std::map<std::string, std::uint64_t> refusals_by_kind;
  std::uint64_t total_refusals = 0;
};

struct ConsentRow {
  Timestamp at;
  std::string id;
  std::string agreement_id;
  std::string user;
  std::string purpose;
  Timestamp data_since;
  Timestamp data_until;
};

struct AccountSection {
  std::uint64_t users_added = 0;
  std::map<std::string, std::uint64_t> users_added_by_role;
  std::uint64_t tokens_issued = 0;
};

// ---- provision of information (I8, I7) -------------------------------------------------------
// From the ledger's "provision.made" / "provision.refused" events (intel/events.h, read here as
// names and strings: oversight sits below intel). Counts only: recipient classes, tiers,
// provision types and refusal reasons, never content.
struct ProvisionGroup {
  std::string recipient_class;  // "council_member", …; "unspecified" when the body lacks it
  std::string tier;             // the tier whose rules were applied: "T1", "T2", "T3"
  std::string type;             // "tiered", "vulnerability_notice", …
  std::uint64_t count = 0;
};
struct ProvisionRefusalGroup {
  std::string refusal;  // "no_protection_confirmation", …
  std::string recipient_class;
  std::uint64_t count = 0;
};
struct ProvisionSection {
  std::uint64_t count = 0;           // provision.made events in the period
  std::vector<ProvisionGroup> made;  // by class, tier, type
  std::map<std::string, std::uint64_t> by_recipient_class;
  std::map<std::string, std::uint64_t> by_tier;
  std::map<std::string, std::uint64_t> by_type;
  std::uint64_t refused = 0;                    // provision.refused events in the period
  std::vector<ProvisionRefusalGroup> refusals;  // by refusal, then class
  std::map<std::string, std::uint64_t> refusals_by_reason;
};
// An event in the period whose body does not have the shape governance/events.h documents.
struct EventAnomaly {
  std::uint64_t seq = 0;
  std::string type;
  std::string message;
};

// ---- ledger integrity (I9) ------------------------------------------------------------------

struct LeafProblem {
  std::uint64_t seq = 0;  // position in the ledger the problem is attributed to
  std::string message;
};

struct HeadCheck {
  std::uint64_t tree_size = 0;
  std::string root;  // hex, as signed
  Timestamp timestamp;
  std::string key_id;
  std::optional<bool> signature_ok;  // absent: no key given, not checked
  std::string signature_error;
  std::optional<bool> root_matches;              // absent: the head covers more entries than exist
  std::optional<bool> consistent_with_previous;  // absent: first head or not checkable
  std::string consistency_error;
  std::vector<std::string> problems;  // one line per failed check
  bool ok() const { return problems.empty(); }
};

struct IntegrityReport {
  std::uint64_t leaves = 0;
  std::string root;                       // hex root recomputed from the stored leaves
  std::vector<LeafProblem> problems;      // the first few, in ledger order
  std::uint64_t suppressed_problems = 0;  // consequences of an earlier break, not listed
  std::optional<std::uint64_t> first_bad_seq;
  std::vector<HeadCheck> heads;  // ascending tree_size
  bool signatures_checked = false;
  std::uint64_t latest_head_size = 0;
  std::uint64_t unsigned_entries = 0;  // entries after the largest signed head
  bool intact = false;                 // no leaf problem and every head ok
};

// ---- the report -----------------------------------------------------------------------------

struct ReportData {
  std::string installation;
  ReportPeriod period;
  Timestamp generated_at;
  std::uint64_t events_in_period = 0;

  ApprovalSection approvals;
  std::vector<SieveRefusalRow> sieve_refusals;
  std::map<std::string, std::uint64_t> sieve_refusals_by_kind;
  RunSection runs;
  RecordSection records;
  AccessSection access;
  ReidentificationSection reidentification;
  std::vector<ConsentRow> consents;
  AccountSection accounts;
  ProvisionSection provisions;
  std::map<std::string, std::uint64_t> other_events;  // types this release does not aggregate
  std::vector<EventAnomaly> anomalies;
  IntegrityReport integrity;
};

}  // namespace mamori::oversight
