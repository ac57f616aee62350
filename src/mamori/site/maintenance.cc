#include "mamori/site/maintenance.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "mamori/analysis/sqlite_findings.h"
#include "mamori/core/config.h"
#include "mamori/governance/events.h"

namespace mamori::site {

Result<std::string> findings_path(const std::string& config_path) {
  auto file = ConfigFile::load(config_path);
  if (!file) return fail(file.error());
  ConfigTable table(*file, "analysis");
  auto path = table.path("findings");
  table.reject_unknown_keys();
  if (auto ok = table.result(); !ok) return fail(ok.error());
  return path ? *path : file->resolve_path("findings.db");
}

Result<RetentionOutcome> apply_retention(Installation& installation, store::Store& store,
                                         Timestamp as_of) {
  auto findings_file = findings_path(installation.config_path);
  if (!findings_file) return fail(findings_file.error());
  RetentionOutcome outcome;
  auto deleted = store.delete_expired(as_of);
  if (!deleted) return fail(deleted.error());
  outcome.records = std::move(*deleted);
  const auto after_deletion = [&](const Error& error) {
    return fail("{} records were deleted, but: {}", outcome.records.records_deleted, error.message);
  };
  // Derived data may not outlive what it was derived from.
  std::error_code ec;
  if (std::filesystem::exists(*findings_file, ec)) {
    auto findings = analysis::open_sqlite_findings(*findings_file);
    if (!findings) return after_deletion(findings.error());
    auto expired = (*findings)->delete_expired(as_of);
    if (!expired) return after_deletion(expired.error());
    outcome.findings = std::move(*expired);
  }
  nlohmann::json by_run = nlohmann::json::object();
  for (const auto& [run, count] : outcome.records.by_run) by_run[std::to_string(run)] = count;
  nlohmann::json by_category = nlohmann::json::object();
  for (auto category : {scope::Category::FF, scope::Category::FD, scope::Category::DF}) {
    by_category[std::string(scope::to_string(category))] =
        outcome.records.by_category[static_cast<std::size_t>(category)];
  }
  auto recorded = record_event(installation, governance::events::kRetentionDeleted,
                               {{"as_of", format_rfc3339_micros(as_of)},
                                {"records_deleted", outcome.records.records_deleted},
                                {"by_run", by_run},
                                {"by_category", by_category},
                                {"analysis_runs_deleted", outcome.findings.runs},
                                {"findings_deleted", outcome.findings.findings}});
  if (!recorded) return after_deletion(recorded.error());
  outcome.ledger_seq = recorded->seq;
  return outcome;
}

Result<AnalysisOutcome> analyze_and_save(Installation& installation, store::Store& store,
                                         const ReadGrant& grant, const store::RecordQuery& query,
                                         Timestamp now) {
  auto findings_file = findings_path(installation.config_path);
  if (!findings_file) return fail(findings_file.error());
  auto result = analysis::analyze_store(store, query.since, query.until);
  if (!result) return fail(result.error());
  // The read is on the ledger before any result is saved or shown.
  if (auto recorded = record_read(installation, grant, query, result->stats.records); !recorded) {
    return fail(recorded.error());
  }
  auto findings = analysis::open_sqlite_findings(*findings_file);
  if (!findings) return fail(findings.error());
  analysis::AnalysisRunInfo info;
  info.since = query.since;
  info.until = query.until;
  info.created_at = now;
  info.who = grant.user.name;
  info.expires_at = analysis::latest_expiry(*result);
  auto run = (*findings)->save(info, *result);
  if (!run) return fail(run.error());
  return AnalysisOutcome{*run, std::move(*result)};
}

}  // namespace mamori::site
