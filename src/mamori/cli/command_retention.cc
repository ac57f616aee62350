// `mamori retention run`: deletes every record whose retention has expired (I6), and every
// analysis run (findings, candidates) derived only from records that have expired, and records
// the deletion, with counts, in the ledger. Deleted bytes are gone from the database file (the
// store overwrites freed pages and truncates its write-ahead log).

#include <cstdio>

#include <filesystem>

#include "mamori/analysis/sqlite_findings.h"
#include "mamori/cli/commands.h"
#include "mamori/governance/events.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"

namespace mamori::cli {

int run_retention(const RetentionArgs& args) {
  Timestamp as_of = SystemClock().now();
  if (args.as_of) {
    auto parsed = parse_rfc3339(*args.as_of);
    if (!parsed) {
      std::fprintf(stderr, "mamori retention run: --as-of: %s\n", parsed.error().message.c_str());
      return 1;
    }
    as_of = *parsed;
  }
  auto installation = site::open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori retention run: %s\n", installation.error().message.c_str());
    return 1;
  }
  auto store = store::open_store((*installation)->sieve.store);
  if (!store) {
    std::fprintf(stderr, "mamori retention run: %s\n", store.error().message.c_str());
    return 1;
  }
  if (args.dry_run) {
    auto expired = (*store)->count_expired(as_of);
    if (!expired) {
      std::fprintf(stderr, "mamori retention run: %s\n", expired.error().message.c_str());
      return 1;
    }
    std::printf("%llu records expired as of %s (dry run, nothing deleted) / 期限切れレコード\n",
                static_cast<unsigned long long>(*expired), format_rfc3339_seconds(as_of).c_str());
    return 0;
  }
  auto deleted = (*store)->delete_expired(as_of);
  if (!deleted) {
    std::fprintf(stderr, "mamori retention run: %s\n", deleted.error().message.c_str());
    return 1;
  }
  // Derived data may not outlive what it was derived from.
  analysis::FindingRetentionResult findings_deleted;
  auto findings_file = findings_path(args.config);
  if (!findings_file) {
    std::fprintf(stderr, "mamori retention run: %s\n", findings_file.error().message.c_str());
    return 1;
  }
  if (std::filesystem::exists(*findings_file)) {
    auto findings = analysis::open_sqlite_findings(*findings_file);
    auto expired = findings ? (*findings)->delete_expired(as_of)
                            : Result<analysis::FindingRetentionResult>(fail(findings.error()));
    if (!expired) {
      std::fprintf(stderr, "mamori retention run: %s\n", expired.error().message.c_str());
      return 1;
    }
    findings_deleted = std::move(*expired);
  }
  nlohmann::json by_run = nlohmann::json::object();
  for (const auto& [run, count] : deleted->by_run) by_run[std::to_string(run)] = count;
  nlohmann::json by_category = nlohmann::json::object();
  for (auto category : {scope::Category::FF, scope::Category::FD, scope::Category::DF}) {
    by_category[std::string(scope::to_string(category))] =
        deleted->by_category[static_cast<int>(category)];
  }
  auto recorded = site::record_event(**installation, governance::events::kRetentionDeleted,
                                     {{"as_of", format_rfc3339_micros(as_of)},
                                      {"records_deleted", deleted->records_deleted},
                                      {"by_run", by_run},
                                      {"by_category", by_category},
                                      {"analysis_runs_deleted", findings_deleted.runs},
                                      {"findings_deleted", findings_deleted.findings}});
  if (!recorded) {
    std::fprintf(stderr, "mamori retention run: %s\n", recorded.error().message.c_str());
    return 1;
  }
  std::printf(
      "%llu expired records and %zu analysis runs deleted as of %s (ledger entry %llu) / "
      "保存期間を過ぎたレコードと分析結果を削除しました\n",
      static_cast<unsigned long long>(deleted->records_deleted), findings_deleted.runs.size(),
      format_rfc3339_seconds(as_of).c_str(), static_cast<unsigned long long>(recorded->seq));
  return 0;
}

}  // namespace mamori::cli
