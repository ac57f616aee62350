#pragma once
// analysis/analyze_store: runs an Analyzer over the records a Store holds whose first_seen
// lies in [since, until), read with Store::scan (one record at a time, buffers reused: the
// bulk-read path), and passes each record's expires_at on to the findings (I6). It reads, never
// writes: saving the result is FindingStore's (finding_store.h), recording the access in the ledger
// the caller's.
//
// stats.read_seconds is the wall time of the scan outside the Analyzer (SQLite and the record
// JSON decoding), stats.analyze_seconds the time in the Analyzer, so a caller can see which of the
// two bounds a run (README.md, "Performance").

#include <cstddef>
#include <optional>

#include "mamori/analysis/analyzer.h"
#include "mamori/analysis/finding.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/store/store.h"

namespace mamori::analysis {

struct StoreAnalysis {
  std::optional<Timestamp> since = {};
  std::optional<Timestamp> until = {};
  AnalyzerLimits limits = {};
  AnalysisOptions options = {};
};

Result<AnalysisResult> analyze_store(store::Store& store, const StoreAnalysis& request);

// The same with the usual arguments.
Result<AnalysisResult> analyze_store(store::Store& store, std::optional<Timestamp> since,
                                     std::optional<Timestamp> until,
                                     const AnalysisOptions& options = {});

}  // namespace mamori::analysis
