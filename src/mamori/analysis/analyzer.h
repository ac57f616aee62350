#pragma once
// analysis/analyzer: the streaming analyzer. Records are fed one at a time (add()), in any
// order, and folded into per-subject aggregates — never kept themselves — so memory depends
// on the number of distinct subjects, which AnalyzerLimits caps; finish() turns the
// aggregates into ranked findings and candidate indicators (README.md: the scoring model).
//
// Memory (README.md has the per-entry sizes): one entry per foreign server endpoint, per
// client endpoint, per (client, server) pair, per interned name/fingerprint and per
// scan/amplification subject, each table capped. When a table is full it is thinned like
// lossy counting: entries with at most t records are dropped (t = 1, 2, 4, … until a quarter
// of the table is free), except "protected" ones — servers whose records matched an
// indicator rule (ip, domain, bytes, ja3, ja4), their clients and pairs. So heavy hitters and
// known-C2 context survive, and counts of distinct clients become lower bounds. If a table is
// full of protected entries, new subjects are not tracked (stats.rejected).
//
// Not thread-safe; one Analyzer per analysis. finish() may be called once.

#include <cstddef>
#include <memory>

#include "mamori/analysis/finding.h"
#include "mamori/sieve/record.h"

namespace mamori::analysis {

struct AnalyzerLimits {
  std::size_t max_servers = std::size_t{1} << 18;             // foreign responders
  std::size_t max_clients = std::size_t{1} << 20;             // initiators towards them
  std::size_t max_pairs = std::size_t{1} << 20;               // (client, server)
  std::size_t max_strings = std::size_t{1} << 18;             // names, JA3, JA4
  std::size_t max_behaviour_subjects = std::size_t{1} << 16;  // scanners, victims (each)
  std::size_t evidence_per_subject = kMaxEvidence;            // ≤ kMaxEvidence
};

class Analyzer {
 public:
  explicit Analyzer(AnalyzerLimits limits = {});
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;
  Analyzer(Analyzer&&) noexcept;
  Analyzer& operator=(Analyzer&&) noexcept;

  // Folds one record in. `expires_at` is the record's retention expiry in the store (I6),
  // carried to the findings it contributes to; {} when unknown.
  void add(RecordId id, const sieve::Record& record, Timestamp expires_at = {});

  // Scores the aggregates. Call once; the Analyzer is spent afterwards.
  AnalysisResult finish(const AnalysisOptions& options = {});

  // Counters so far (subject counts are the current table sizes).
  AnalysisStats stats() const;
  // Estimated bytes held by the tables now.
  std::size_t memory_bytes() const;

  struct State;  // analyzer_state.h

 private:
  std::unique_ptr<State> state_;
};

}  // namespace mamori::analysis
