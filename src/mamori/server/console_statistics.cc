#include "mamori/server/console_statistics.h"

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
  const std::int64_t today = now.seconds() / kDaySeconds * kDaySeconds;
  json day_rows = json::array();
  for (std::int64_t i = days - 1; i >= 0; --i) {
    const Timestamp from = Timestamp::from_seconds(today - i * kDaySeconds);
    json row = {{"date", format_rfc3339_seconds(from).substr(0, 10)}};
    for (const scope::Category category :
         {scope::Category::FF, scope::Category::FD, scope::Category::DF}) {
      auto count = store.count(
          {.since = from, .until = from + Duration::seconds(kDaySeconds), .category = category});
      if (!count) return fail(count.error());
      row[std::string(scope::to_string(category))] = *count;
    }
    day_rows.push_back(std::move(row));
  }
  json by_rule = json::array();
  for (const std::string& rule : rules) {
    auto count = store.count({.rule = rule});
    if (!count) return fail(count.error());
    by_rule.push_back({{"rule", rule}, {"records", *count}});
  }
  auto total = store.count({});
  if (!total) return fail(total.error());
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
              {"records_total", *total},
              {"runs", std::move(run_rows)}};
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
