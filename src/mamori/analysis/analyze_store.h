#pragma once
// analysis/analyze_store: runs an Analyzer over the records a Store holds whose first_seen
// lies in [since, until), paging with RecordQuery::after in pages of `page_size` records, and
// passes each record's expires_at on to the findings (I6). It reads, never writes: saving the
// result is FindingStore's (finding_store.h), recording the access in the ledger the caller's.
//
// stats.read_seconds is the wall time spent inside Store::query (SQLite and the record JSON
// decoding), stats.analyze_seconds the time in the Analyzer, so a caller can see which of the
// two bounds a run (README.md, "Performance").

#include <cstddef>
#include <optional>

#include "mamori/analysis/analyzer.h"
#include "mamori/analysis/finding.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/store/store.h"

namespace mamori::analysis {

inline constexpr std::size_t kDefaultPageSize = 10'000;

struct StoreAnalysis {
  std::optional<Timestamp> since = {};
  std::optional<Timestamp> until = {};
  std::size_t page_size = kDefaultPageSize;
  AnalyzerLimits limits = {};
  AnalysisOptions options = {};
};

Result<AnalysisResult> analyze_store(store::Store& store, const StoreAnalysis& request);

// The same with the usual arguments.
Result<AnalysisResult> analyze_store(store::Store& store, std::optional<Timestamp> since,
                                     std::optional<Timestamp> until,
                                     const AnalysisOptions& options = {});

}  // namespace mamori::analysis
