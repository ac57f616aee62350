#pragma once
// analysis/finding_store: where analysis runs and their findings and candidates are kept for
// the intelligence layer. One interface (SQLite behind it now, sqlite_findings.h).
//
// Contract:
//  - save() stores one run with all its findings and candidates atomically and returns its id
//    (ids increase). Findings are kept in the order given (AnalysisResult: by score).
//  - Retention (I6 applies to derived data too): a run carries expires_at, the latest expiry
//    of the records its findings were derived from (latest_expiry(result); the caller passes
//    it). delete_expired(as_of) removes every run with expires_at <= as_of with its findings
//    and candidates, and makes the deleted bytes unreadable in the backend's files; the caller
//    records what it returns in the ledger, as for records.
//  - A FindingStore is used by one thread at a time.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mamori/analysis/finding.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"

namespace mamori::analysis {

using AnalysisRunId = std::int64_t;

struct AnalysisRunInfo {
  std::optional<Timestamp> since = {};  // the window analysed (first_seen)
  std::optional<Timestamp> until = {};
  Timestamp created_at = {};
  std::string who = {};  // the analyst (user name)
  AnalysisOptions options = {};
  Timestamp expires_at = {};  // see the contract above
};

struct AnalysisRun {
  AnalysisRunId id = 0;
  AnalysisRunInfo info = {};
  AnalysisStats stats = {};
  std::uint64_t findings = 0;
  std::uint64_t candidates = 0;
};

struct FindingFilter {
  std::optional<FindingKind> kind = {};
  std::size_t limit = 0;  // 0: all
};

struct FindingRetentionResult {
  std::vector<AnalysisRunId> runs = {};  // deleted, ascending
  std::uint64_t findings = 0;
  std::uint64_t candidates = 0;
};

class FindingStore {
 public:
  virtual ~FindingStore() = default;

  // `who` must not be empty.
  virtual Result<AnalysisRunId> save(const AnalysisRunInfo& info, const AnalysisResult& result) = 0;
  // Every run, oldest first.
  virtual Result<std::vector<AnalysisRun>> runs() = 0;
  virtual Result<std::optional<AnalysisRun>> run(AnalysisRunId id) = 0;
  // The run's findings, highest score first (ties: kind, subject).
  virtual Result<std::vector<Finding>> findings(AnalysisRunId id, const FindingFilter& filter) = 0;
  // The run's candidates, highest score first.
  virtual Result<std::vector<CandidateIndicator>> candidates(AnalysisRunId id) = 0;
  virtual Result<FindingRetentionResult> delete_expired(Timestamp as_of) = 0;
};

}  // namespace mamori::analysis
