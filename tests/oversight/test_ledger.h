#pragma once
// A small, correct ledger for the report tests: entries chained with the real `prev` roots,
// tree heads signed by a generated sensor key, approvals signed by a generated overseer key.
// The scenario (sample_ledger) covers every event type the report aggregates.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/time.h"
#include "mamori/ledger/entry.h"
#include "mamori/ledger/keys.h"
#include "mamori/ledger/merkle.h"
#include "mamori/ledger/storage.h"
#include "mamori/ledger/tree_head.h"
#include "mamori/oversight/report.h"

namespace mamori::oversight::testing {

Timestamp at(const char* rfc3339);

class LedgerBuilder {
 public:
  LedgerBuilder();

  // Appends an entry with the correct seq and prev; returns its seq.
  std::uint64_t add(const char* time, std::string type, nlohmann::json body);
  // Signs the current tree with the sensor key and keeps the head.
  void sign_head(const char* time);

  const ledger::SigningKey& sensor_key() const { return sensor_key_; }
  const ledger::SigningKey& overseer_key() const { return overseer_key_; }
  std::vector<ledger::StoredLeaf> leaves;
  std::vector<ledger::SignedTreeHead> heads;

 private:
  ledger::MerkleTree tree_;
  ledger::SigningKey sensor_key_;
  ledger::SigningKey overseer_key_;
};

// Body builders for the event shapes of governance/events.h.
nlohmann::json run_ended_body(std::int64_t run_id, const std::string& sensor,
                              const std::string& approval_id, const nlohmann::json& categories,
                              std::uint64_t records, bool stopped_at_expiry);
nlohmann::json category_counts(std::uint64_t packets, std::uint64_t bytes, std::uint64_t flows,
                               std::uint64_t selected_flows);

// The scenario (period December 2026, UTC):
//  before the period: approval req-old (FF, 2026-11-20 .. 2026-12-09) requested and granted;
//                     one access.read (excluded)
//  in the period:     req-1 (FD, active at end) requested + granted; req-2 requested only;
//                     a sieve refusal; runs 1 (FD) and 2 (FF, stopped at expiry) started and
//                     ended; run 3 started (ends after the period); 3 reads, 2 access refusals
//                     (one criminal investigation), a consent, a user, a token, a deletion
//  after the period:  run 3 ends; one access.read (excluded)
// Heads are signed at sizes 5, 10 and the full size.
struct Scenario {
  LedgerBuilder ledger;
  ReportInputs inputs;  // leaves, heads, key, store runs
  ReportPeriod period;
};
Scenario sample_scenario();

}  // namespace mamori::oversight::testing
