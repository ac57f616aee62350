#pragma once
// site/maintenance: the installation's recurring work, the same whether `mamori retention run`
// and `mamori analyze` do it from a shell or mamorid on its schedule (server/scheduler.h):
// retention (I6: expired records and the analysis runs derived only from them are deleted,
// and the deletion is recorded in the ledger with its counts) and an analysis of a window of
// records for a user who was granted the read (I7: the read is on the ledger before anything
// derived from it is saved). Where the findings database is ([analysis] findings).

#include <cstdint>
#include <string>

#include "mamori/analysis/analyze_store.h"
#include "mamori/analysis/finding_store.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/site/access_gate.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"

namespace mamori::site {

// [analysis] findings of the configuration file, default findings.db beside it.
Result<std::string> findings_path(const std::string& config_path);

struct RetentionOutcome {
  store::RetentionResult records = {};
  analysis::FindingRetentionResult findings = {};
  std::uint64_t ledger_seq = 0;  // the retention.deleted entry
};

// Deletes what expired as of `as_of` from `store` and from the findings database (when it
// exists), then records governance::events::kRetentionDeleted. A failure after a deletion is
// returned as an error naming what was already deleted.
Result<RetentionOutcome> apply_retention(Installation& installation, store::Store& store,
                                         Timestamp as_of);

struct AnalysisOutcome {
  analysis::AnalysisRunId run = 0;
  analysis::AnalysisResult result = {};
};

// Analyses the records of `query`'s first_seen window that `grant` allows, records the read
// (site::record_read) and saves the run in the findings database, expiring with its records.
Result<AnalysisOutcome> analyze_and_save(Installation& installation, store::Store& store,
                                         const ReadGrant& grant, const store::RecordQuery& query,
                                         Timestamp now);

}  // namespace mamori::site
