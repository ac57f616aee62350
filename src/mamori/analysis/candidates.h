#pragma once
// analysis/candidates: candidate indicators as a ruleset fragment in the sieve's TOML format
// (sieve/ruleset.h), for an analyst to submit as a ruleset change through the normal approval
// request (I4). Nothing here touches a live sieve or an approved ruleset: the output is a new
// file, checked with sieve::parse_ruleset before it is written, so `mamori rules check`
// accepts it.
//
// Fragment layout: `format = 1`, `name = "analysis-candidates"`, then one [[rule]] per
// candidate — id "cand-<kind>-<first 10 hex of SHA-256(value)>" (with "-2", "-3", … if an
// existing rule has that id), kind, value (canonical), description "score S: rationale
// [finding ids]".

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mamori/analysis/finding.h"
#include "mamori/core/error.h"
#include "mamori/sieve/ruleset.h"

namespace mamori::analysis {

struct CandidateRuleset {
  std::string text;  // the TOML fragment
  std::size_t rules = 0;
  // Candidates the existing ruleset already covers (an ip rule's prefix holds the address, a
  // domain rule names it or a parent suffix, a ja3/ja4 rule lists the fingerprint): left out.
  std::vector<CandidateIndicator> covered = {};
};

// The fragment for `candidates`, minus those `existing` (the ruleset in force, optional)
// covers. Fails when a candidate's kind or value is not valid for the sieve.
Result<CandidateRuleset> candidate_ruleset(std::span<const CandidateIndicator> candidates,
                                           const sieve::Ruleset* existing = nullptr);

// Loads the existing ruleset when a path is given, builds the fragment and writes it to
// `out_path` (replacing the file atomically). Errors name the path and what failed.
Result<CandidateRuleset> write_candidate_ruleset(
    std::span<const CandidateIndicator> candidates,
    const std::optional<std::filesystem::path>& existing_ruleset_path,
    const std::filesystem::path& out_path);

}  // namespace mamori::analysis
