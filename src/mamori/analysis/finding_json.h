#pragma once
// analysis/finding_json: the JSON forms of findings, candidates, analysis options and stats —
// what the SQLite FindingStore keeps (its source of truth) and what a CLI or API prints.
// Version 1 ("v": 1 in findings and candidates). Times are integer nanoseconds since the Unix
// epoch (UTC) so that a round trip is exact; non-finite numbers are written as 0.
//
//   finding    {"v":1, "id", "kind", "subject", "score", "confidence", "evidence": [ids],
//               "evidence_total", "first_seen", "last_seen", "expires_at",
//               "details": [{"name", "number"} | {"name", "text"}]}
//   candidate  {"v":1, "kind", "value", "score", "finding_ids": [..], "rationale"}
//   options    every AnalysisOptions member under its own name
//   stats      every AnalysisStats member under its own name
//
// Readers reject unknown keys, missing keys and wrong types, naming the field; they never echo
// values (a subject may be an address).

#include <nlohmann/json.hpp>

#include "mamori/analysis/finding.h"
#include "mamori/core/error.h"

namespace mamori::analysis {

inline constexpr int kFindingJsonVersion = 1;

nlohmann::json finding_to_json(const Finding& finding);
Result<Finding> finding_from_json(const nlohmann::json& json);

nlohmann::json candidate_to_json(const CandidateIndicator& candidate);
Result<CandidateIndicator> candidate_from_json(const nlohmann::json& json);

nlohmann::json options_to_json(const AnalysisOptions& options);
Result<AnalysisOptions> options_from_json(const nlohmann::json& json);

nlohmann::json stats_to_json(const AnalysisStats& stats);
Result<AnalysisStats> stats_from_json(const nlohmann::json& json);

}  // namespace mamori::analysis
