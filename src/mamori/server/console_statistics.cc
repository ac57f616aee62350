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

Result<std::variant<std::string, DashboardCache::Refresh>> DashboardCache::find(
    std::int64_t days, std::int64_t today) {
  const Key key{days, today};
  std::unique_lock lock(mutex_);
  if (today > day_) {
    // A new UTC day: no earlier day's body is served again. Refreshes still out for one
    // find no entry when they finish and store nothing; their waiters come back here.
    entries_.clear();
    day_ = today;
  }
  std::optional<std::uint64_t> waited;  // the computation this call waited for
  for (;;) {
    if (today < day_) {
      // The caller read the clock before another did at midnight: its body is computed, and
      // served, but not kept.
      return Refresh(*this, key);
    }
    Entry& entry = entries_[key];
    if (waited && entry.done != *waited) {
      if (entry.body) return *entry.body;  // the one waited for (or a later one)
      return fail("console: the dashboard computation this request waited for failed");
    }
    if (entry.body && std::chrono::steady_clock::now() - entry.made < ttl_) return *entry.body;
    if (!entry.refreshing) {
      entry.refreshing = true;
      return Refresh(*this, key);
    }
    if (entry.body) return *entry.body;  // stale while another refreshes it
    waited = entry.done;
    ++waiting_;
    finished_.wait(lock, [&] {
      const auto found = entries_.find(key);
      return found == entries_.end() || found->second.done != *waited;
    });
    --waiting_;
    if (!entries_.contains(key)) waited.reset();  // a new day came: start over
  }
}

std::size_t DashboardCache::waiting() {
  std::lock_guard lock(mutex_);
  return waiting_;
}

void DashboardCache::finish(const Key& key, std::optional<std::string> body) {
  {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(key);
    if (found != entries_.end()) {
      Entry& entry = found->second;
      entry.refreshing = false;
      ++entry.done;
      // A failure drops the expired body too: nothing older than ttl plus one computation is
      // served, and the next caller tries again.
      entry.body = std::move(body);
      if (entry.body) entry.made = std::chrono::steady_clock::now();
    }
  }
  finished_.notify_all();
}

DashboardCache::Refresh& DashboardCache::Refresh::operator=(Refresh&& other) noexcept {
  if (this != &other) {
    if (cache_ != nullptr) cache_->finish(key_, std::nullopt);
    cache_ = std::exchange(other.cache_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

DashboardCache::Refresh::~Refresh() {
  if (cache_ != nullptr) cache_->finish(key_, std::nullopt);
}

void DashboardCache::Refresh::put(std::string body) {
  if (cache_ == nullptr) return;
  std::exchange(cache_, nullptr)->finish(key_, std::move(body));
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
