// `mamori analyze`: the analysis of stored records (src/mamori/analysis) for a time window.
// Reading records goes through the I7 gate like `mamori records` (who, why; on the ledger
// before anything is shown). The run, its findings and candidate indicators are saved in the
// findings database ([analysis] findings, default findings.db beside mamori.toml), whose runs
// expire with the records they came from (I6). Candidates can be written as a ruleset fragment:
// a change request for the approval flow, never loaded into a running sieve from here.

#include <cstdio>

#include <fmt/format.h>

#include "mamori/analysis/analyze_store.h"
#include "mamori/analysis/candidates.h"
#include "mamori/analysis/finding_json.h"
#include "mamori/cli/commands.h"
#include "mamori/site/access_gate.h"
#include "mamori/site/installation.h"
#include "mamori/site/maintenance.h"
#include "mamori/store/store.h"

namespace mamori::cli {
namespace {

int failed(const std::string& message) {
  std::fprintf(stderr, "mamori analyze: %s\n", message.c_str());
  return 1;
}

}  // namespace

int run_analyze(const AnalyzeArgs& args) {
  store::RecordQuery query;
  query.limit = 0;
  if (auto range = site::apply_time_range(args.since, args.until, query); !range) {
    return failed(range.error().message);
  }
  auto installation = site::open_installation(args.config);
  if (!installation) return failed(installation.error().message);
  auto store = store::open_store((*installation)->sieve.store);
  if (!store) return failed(store.error().message);
  auto credentials = site::gather_credentials(args.user, args.password_file, args.token_file);
  if (!credentials) return failed(credentials.error().message);
  auto grant = site::authorize_read(**installation, **store, *credentials, args.purpose, query);
  if (!grant) return failed(grant.error().message);

  auto analysed =
      site::analyze_and_save(**installation, **store, *grant, query, SystemClock().now());
  if (!analysed) return failed(analysed.error().message);
  const analysis::AnalysisResult& result = analysed->result;
  const analysis::AnalysisRunId run = analysed->run;

  if (args.candidates_out) {
    auto fragment = analysis::write_candidate_ruleset(
        result.candidates,
        (*installation)->sieve.ruleset.empty()
            ? std::nullopt
            : std::optional<std::filesystem::path>((*installation)->sieve.ruleset),
        *args.candidates_out);
    if (!fragment) return failed(fragment.error().message);
    fmt::print(stderr,
               "wrote {} candidate rules to {} ({} already covered): a change request for "
               "`mamori approval request`, not a rule in force / 候補条件（承認手続が必要）\n",
               fragment->rules, *args.candidates_out, fragment->covered.size());
  }
  if (args.json) {
    nlohmann::json findings_json = nlohmann::json::array();
    for (const auto& finding : result.findings) {
      if (args.top > 0 && findings_json.size() >= args.top) break;
      findings_json.push_back(analysis::finding_to_json(finding));
    }
    nlohmann::json candidates = nlohmann::json::array();
    for (const auto& candidate : result.candidates)
      candidates.push_back(analysis::candidate_to_json(candidate));
    fmt::print("{}\n", nlohmann::json{{"run", run},
                                      {"records", result.stats.records},
                                      {"findings", std::move(findings_json)},
                                      {"candidates", std::move(candidates)}}
                           .dump(2));
    return 0;
  }
  fmt::print("analysis run {} / 分析 {}: {} records, {} findings, {} candidate indicators\n", run,
             run, result.stats.records, result.findings.size(), result.candidates.size());
  fmt::print("{:<4} {:<20} {:<40} {:>6} {:>5} {:>8}\n", "#", "kind / 種別", "subject / 対象",
             "score", "conf", "records");
  std::size_t shown = 0;
  for (const auto& finding : result.findings) {
    if (args.top > 0 && shown >= args.top) break;
    ++shown;
    fmt::print("{:<4} {:<20} {:<40} {:>6.1f} {:>5.2f} {:>8}\n", shown,
               analysis::to_string(finding.kind), finding.subject, finding.score,
               finding.confidence, finding.evidence_total);
  }
  return 0;
}

}  // namespace mamori::cli
