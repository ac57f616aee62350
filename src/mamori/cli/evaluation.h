#pragma once
// cli/evaluation: how well the behaviour selectors and the analysis did on a synthetic capture,
// judged against its ground truth (synth/truth_reader.h, detection profile). Used by
// `mamori eval`; pure functions over the records the sieve selected, the findings the analysis
// made and the truth, so tests can check the arithmetic.
//
// Behaviour selection, per kind K (scan, amplification, beacon):
//   precision  records with a K match whose flow belongs to a true K actor (beacon: also a c2
//              actor's beacon pairs), over all records with a K match. A record is matched to
//              the truth flow with its 5-tuple and the latest start at or before its first
//              packet (an active-timeout segment belongs to its flow). Flows of decoys, and
//              records matching no truth flow, count against precision.
//   recall     true K actors expected detectable at the thresholds (the truth says which) with
//              at least one flow selected by a K match, over all of them.
//   time to detect  per detected actor: its first K-selected record's first packet minus the
//              actor's first activity; the median and the maximum are reported.
// Findings, per kind: which truth subjects they name (c2 servers for server kinds, scanners for
// scan, victims for amplification), precision and recall over subjects; and the C2 ranking —
// every expected-detectable C2 server's c2_server score must exceed every decoy server's (a
// server without a finding scores 0).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/analysis/finding.h"
#include "mamori/sieve/record.h"
#include "mamori/synth/truth_reader.h"

namespace mamori::cli {

struct BehaviourScore {
  std::string kind;
  std::uint64_t selected = 0;        // records with a match of this kind
  std::uint64_t true_selected = 0;   // of them, flows of a true actor of the kind
  std::uint64_t decoy_selected = 0;  // of them, flows of decoys
  std::uint64_t actors = 0;          // true actors expected detectable
  std::uint64_t detected = 0;        // of them, with a flow selected
  std::uint64_t detected_other = 0;  // actors not expected detectable that were detected too
  std::optional<double> median_ttd_s;
  std::optional<double> max_ttd_s;
  std::vector<std::string> missed;  // ids of expected actors not detected

  double precision() const;  // 1 when nothing was selected
  double recall() const;     // 1 when nothing was expected
};

struct FindingScore {
  std::string kind;
  std::uint64_t findings = 0;
  std::uint64_t true_findings = 0;  // naming a truth subject of the kind
  std::uint64_t subjects = 0;       // truth subjects the kind should name (0: not judged)
  std::uint64_t found = 0;

  std::optional<double> precision() const;  // nullopt when not judged
  std::optional<double> recall() const;
};

struct RankingScore {
  std::uint64_t c2_servers = 0;  // expected detectable
  std::uint64_t decoy_servers = 0;
  double min_c2_score = 0;
  double max_decoy_score = 0;
  std::vector<std::string> c2_below_decoys;  // addresses of C2 servers not above every decoy
  bool ok() const { return c2_below_decoys.empty(); }
};

struct Evaluation {
  std::uint64_t records = 0;
  std::uint64_t unmatched_records = 0;  // records matching no truth flow
  std::vector<BehaviourScore> behaviours;
  std::vector<FindingScore> findings;
  RankingScore ranking;
};

// `records` in the order the sieve emitted them; finding evidence ids are 1 + their index.
Evaluation evaluate(const synth::TruthFile& truth, const std::vector<sieve::Record>& records,
                    const std::vector<analysis::Finding>& findings);

nlohmann::json to_json(const Evaluation& evaluation);
// Bilingual table for the terminal.
std::string to_text(const Evaluation& evaluation);

}  // namespace mamori::cli
