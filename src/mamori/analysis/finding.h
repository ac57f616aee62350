#pragma once
// analysis/finding: what an analysis produces from stored records — findings (a scored,
// evidenced statement about one subject: a server, a scanner, a fingerprint, a prefix, a
// domain suffix) and candidate indicators an analyst may turn into a ruleset change request
// (which goes through the approval flow; nothing here touches the live sieve). Also the knobs
// of one analysis (AnalysisOptions) and its counters (AnalysisStats). The JSON forms are in
// finding_json.h; the scoring model is described in README.md.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/time.h"
#include "mamori/store/store.h"

namespace mamori::analysis {

using store::RecordId;

// At most this many record ids are kept as evidence per subject and per finding; the total
// count of records behind a finding is kept beside them.
inline constexpr std::size_t kMaxEvidence = 32;
// At most this many details per finding.
inline constexpr std::size_t kMaxDetails = 24;

enum class FindingKind : std::uint8_t {
  c2_server,             // the final ranking: one per foreign server endpoint
  beacon,                // regular connection starts to a server
  fan_in,                // a server contacted by many clients with similar flow shapes
  scan,                  // behaviour scan matches aggregated per initiator
  amplification,         // behaviour amplification matches aggregated per victim
  shared_fingerprint,    // a JA3/JA4 seen towards several servers, at least one known C2
  shared_sni,            // one SNI/Host name served by several servers
  shared_domain_suffix,  // several names under one parent domain (DGA-like)
  tls_odd_port,          // TLS without SNI, or on a port that is not a TLS service port
  shared_prefix,         // several suspicious servers in one /24 (IPv4) or /48 (IPv6)
  timeline,              // counts per time bucket of a top-ranked server
};
inline constexpr std::size_t kFindingKindCount = 11;

std::string_view to_string(FindingKind kind);
std::optional<FindingKind> parse_finding_kind(std::string_view text);

// A named number or string; `text` is empty for numbers. Details never hold payload (records
// have none) and never more than kMaxDetails entries.
struct Detail {
  std::string name;
  double number = 0;
  std::string text = {};

  bool operator==(const Detail&) const = default;
};

struct Finding {
  std::string id;  // finding_id(kind, subject): stable across runs
  FindingKind kind = FindingKind::c2_server;
  // Address text (sieve::address_text, "p<epoch>:…" for pseudonyms), prefix text
  // (sieve::prefix_text), "ja3:<md5>" / "ja4:<fingerprint>", or a domain name (".suffix" for
  // a suffix).
  std::string subject;
  double score = 0;       // 0..100, comparable within a kind; c2_server is the ranking
  double confidence = 0;  // 0..1: how well the data supports the score
  std::vector<RecordId> evidence = {};  // ≤ kMaxEvidence, ascending
  std::uint64_t evidence_total = 0;     // records behind the finding (≥ evidence.size())
  Timestamp first_seen = {};
  Timestamp last_seen = {};
  // The latest expiry of the records behind the finding ({} when the caller gave none):
  // derived data may not outlive what it was derived from (I6).
  Timestamp expires_at = {};
  std::vector<Detail> details = {};

  bool operator==(const Finding&) const = default;
};

// "f-" and the first 16 hex digits of SHA-256("mamori-finding-v1\n" kind "\n" subject).
std::string finding_id(FindingKind kind, std::string_view subject);

// The detail named `name`, or nullptr.
const Detail* find_detail(const Finding& finding, std::string_view name);
// Its number, or `fallback` when absent.
double detail_number(const Finding& finding, std::string_view name, double fallback = 0);

// A value an analyst may propose as a selection condition. `kind` is "ip", "domain", "ja3" or
// "ja4"; `value` is canonical (sieve::normalize_value) and never a pseudonym.
struct CandidateIndicator {
  std::string kind;
  std::string value;
  double score = 0;
  std::vector<std::string> finding_ids = {};
  std::string rationale = {};  // one line, ASCII

  bool operator==(const CandidateIndicator&) const = default;
};

// Tunables of the scoring (README.md explains each). Defaults are the documented model.
struct AnalysisOptions {
  std::size_t max_findings_per_kind = 1000;
  double min_score = 0;             // findings scoring below are not reported
  std::size_t timeline_top = 10;    // timelines for this many top c2_server findings
  std::size_t min_intervals = 4;    // a pair needs this many intervals to judge regularity
  double cv_cap = 0.5;              // regularity = 1 - cv / cv_cap, clamped to 0..1
  double min_interval_s = 0.5;      // closer connection starts count as one burst
  std::size_t min_fan_in = 3;       // distinct clients for a fan_in finding
  std::size_t few_clients = 8;      // popularity discount starts above this many clients
  double popular_scale = 16;        // ...and halves periodicity/fan-in this many clients later
  double suspicious_score = 25;     // servers at or above link prefixes and names
  double candidate_min_score = 30;  // c2_server score for an ip candidate
  double fingerprint_min_specificity = 0.9;  // share of a JA3/JA4's records to suspicious servers
  std::size_t max_candidates = 100;

  bool operator==(const AnalysisOptions&) const = default;
};

struct AnalysisStats {
  std::uint64_t records = 0;            // given to add()
  std::uint64_t records_outbound = 0;   // with a foreign responder: feed servers and pairs
  std::uint64_t records_behaviour = 0;  // scan/amplification matches
  std::uint64_t records_ignored = 0;    // DD (never stored) or nothing to aggregate
  std::uint64_t servers = 0, clients = 0, pairs = 0, strings = 0, behaviour_subjects = 0;
  std::uint64_t compactions = 0;        // times a full table was thinned
  std::uint64_t evicted = 0;            // subjects (of all tables) dropped by compaction
  std::uint64_t rejected = 0;           // new subjects not tracked: table full of protected ones
  std::uint64_t out_of_order = 0;       // connection starts too late for their pair's interval
  std::uint64_t peak_memory_bytes = 0;  // largest estimate of the tables' memory
  Timestamp first_record = {};          // earliest first_seen given
  Timestamp last_record = {};           // latest first_seen given
  double read_seconds = 0;              // analyze_store: time in Store::query (wall)
  double analyze_seconds = 0;           // time in add() and finish() (wall, analyze_store only)

  bool operator==(const AnalysisStats&) const = default;
};

struct AnalysisResult {
  std::vector<Finding> findings;               // by score, highest first
  std::vector<CandidateIndicator> candidates;  // by score, highest first
  AnalysisStats stats;
};

// The latest expires_at over the findings ({} when there are none): what a saved run's
// expires_at should be (I6).
Timestamp latest_expiry(const AnalysisResult& result);

}  // namespace mamori::analysis
