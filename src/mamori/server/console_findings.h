#pragma once
// server/console_findings: what the console shows of the latest analysis run (GET
// /api/findings, /api/findings/{id}): each finding as a summary line, and one finding as a
// small graph for the analyst — the subject (a C2 server, a fingerprint or another indicator),
// the infected clients only as a count of pseudonymous bots (never their addresses), the
// implant fingerprint when the analysis named one, and the other findings of the run about the
// same subject. Built from the findings database only (analysis/finding_store.h); no record is
// read here.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/analysis/finding.h"
#include "mamori/core/config.h"
#include "mamori/core/error.h"

namespace mamori::server {

// {"id", "detector", "score", "confidence", "first_seen", "last_seen", "records", "summary"}
nlohmann::json finding_summary(const analysis::Finding& finding);

// {"nodes": [{"id", "kind": "c2|bots|fingerprint|indicator", "label", "count"}],
//  "edges": [{"from", "to", "label"}]} for `finding` among the findings of its run.
nlohmann::json finding_graph(const analysis::Finding& finding,
                             const std::vector<analysis::Finding>& run);

}  // namespace mamori::server
