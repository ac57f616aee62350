#include "mamori/server/console_statistics.h"

#include <array>
#include <limits>
#include <map>
#include <utility>

#include "mamori/oversight/report.h"
#include "mamori/store/ledger_storage.h"

namespace mamori::server {
namespace {

using nlohmann::json;

constexpr std::int64_t kDaySeconds = 86'400;

}  // namespace

Result<json> dashboard_json(store::Store& store, const std::vector<std::string>& rules,
                            Timestamp now, std::int64_t days) {
  // Stored counts (store.h: record_counts), never a count over the records: a few hundred
  // rows whether the store holds a thousand records or fifty million.
  const std::int64_t today = now.seconds() / kDaySeconds;
  auto all_days = store.record_counts(std::numeric_limits<std::int64_t>::min(),
                                      std::numeric_limits<std::int64_t>::max());
  if (!all_days) return fail(all_days.error());
  std::map<std::int64_t, std::array<std::uint64_t, scope::kCategoryCount>> per_day;
  std::map<std::string, std::uint64_t, std::less<>> per_rule;
  std::uint64_t total = 0;
  for (const store::RecordCount& count : *all_days) {
    if (!count.rule.empty()) {
      per_rule[count.rule] += count.records;
      continue;
    }
    total += count.records;
    if (count.day > today - days && count.day <= today) {
      per_day[count.day][static_cast<std::size_t>(count.category)] += count.records;
    }
  }
  json day_rows = json::array();
  for (std::int64_t day = today - days + 1; day <= today; ++day) {
    json row = {
        {"date", format_rfc3339_seconds(Timestamp::from_seconds(day * kDaySeconds)).substr(0, 10)}};
    const auto found = per_day.find(day);
    for (const scope::Category category :
         {scope::Category::FF, scope::Category::FD, scope::Category::DF}) {
      row[std::string(scope::to_string(category))] =
          found == per_day.end() ? 0 : found->second[static_cast<std::size_t>(category)];
    }
    day_rows.push_back(std::move(row));
  }
  // The configured ruleset's rules in its order (those that matched nothing too), then rules
  // that only records of earlier rulesets matched.
  json by_rule = json::array();
  for (const std::string& rule : rules) {
    const auto found = per_rule.find(rule);
    by_rule.push_back({{"rule", rule}, {"records", found == per_rule.end() ? 0 : found->second}});
    if (found != per_rule.end()) per_rule.erase(found);
  }
  for (const auto& [rule, records] : per_rule) {
    by_rule.push_back({{"rule", rule}, {"records", records}});
  }
  auto runs = store.runs();
  if (!runs) return fail(runs.error());
  json run_rows = json::array();
  for (auto it = runs->rbegin(); it != runs->rend() && run_rows.size() < kDashboardRuns; ++it) {
    run_rows.push_back(
        {{"id", it->id},
         {"sensor", it->info.sensor},
         {"input", it->info.input},
         {"legal_basis", it->info.legal_basis},
         {"started_at", format_rfc3339_seconds(it->info.started_at)},
         {"ended_at", it->ended_at ? json(format_rfc3339_seconds(*it->ended_at)) : json(nullptr)},
         {"records", it->records},
         {"summary", it->summary}});
  }
  return json{{"days", std::move(day_rows)},
              {"by_rule", std::move(by_rule)},
              {"records_total", total},
              {"runs", std::move(run_rows)}};
}

std::optional<std::string> DashboardCache::find(std::int64_t days, std::int64_t today) {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find({days, today});
  if (found == entries_.end() || std::chrono::steady_clock::now() - found->second.made >= ttl_) {
    return std::nullopt;
  }
  return found->second.body;
}

void DashboardCache::put(std::int64_t days, std::int64_t today, std::string body) {
  std::lock_guard lock(mutex_);
  // At most kMaxDashboardDays keys per day: old days' entries go when the day changes.
  std::erase_if(entries_, [today](const auto& entry) { return entry.first.second != today; });
  entries_[{days, today}] = Entry{std::chrono::steady_clock::now(), std::move(body)};
}

Result<InspectionReport> inspection_report(const InspectionRequest& request, store::Store& store) {
  // The ledger as stored, through a connection of its own: a broken ledger is a finding of the
  // report, not a reason to refuse it.
  auto storage = store::open_ledger_storage(request.ledger_url);
  if (!storage) return fail(storage.error());
  auto size = (*storage)->size();
  if (!size) return fail(size.error());
  auto leaves = (*storage)->read(0, *size);
  if (!leaves) return fail(leaves.error());
  auto heads = (*storage)->tree_heads();
  if (!heads) return fail(heads.error());
  auto runs = store.runs();
  if (!runs) return fail(runs.error());
  oversight::ReportInputs inputs;
  inputs.leaves = std::move(*leaves);
  inputs.heads = std::move(*heads);
  inputs.ledger_key = request.ledger_key;
  inputs.runs = std::move(*runs);
  inputs.generated_at = request.generated_at;
  inputs.installation = request.installation;
  auto built = oversight::build_report(inputs, oversight::ReportPeriod{request.from, request.to});
  if (!built) return fail(built.error());
  if (request.json) {
    return InspectionReport{
        oversight::render_json(*built).dump(2, ' ', false, json::error_handler_t::replace),
        "application/json; charset=utf-8", "mamori-inspection-report.json"};
  }
  return InspectionReport{oversight::render_html(*built), "text/html; charset=utf-8",
                          "mamori-inspection-report.html"};
}

}  // namespace mamori::server
