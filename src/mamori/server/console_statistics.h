#pragma once
// server/console_statistics: the aggregate views of the console — the dashboard (records per
// day and category and per rule, recent runs: counts only, never a record's contents) and the
// overseer's inspection report (oversight/report.h, as `mamori oversight report` makes it:
// from the ledger as stored and the store's run counters). The dashboard reads the store's
// record counts (Store::record_counts), so its cost does not grow with the records.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/ledger/keys.h"
#include "mamori/store/store.h"

namespace mamori::server {

inline constexpr std::int64_t kMaxDashboardDays = 90;
inline constexpr std::size_t kDashboardRuns = 20;

// {"days": [{"date", "FF", "FD", "DF"}] oldest first, ending with the UTC day of `now`,
//  "by_rule": [{"rule", "records"}] for `rules` (the ruleset's, in order), then for any other
//  rule stored records matched, "records_total",
//  "runs": [{"id", "sensor", "input", "legal_basis", "started_at", "ended_at", "records",
//            "summary"}] newest first, at most kDashboardRuns}.
Result<nlohmann::json> dashboard_json(store::Store& store, const std::vector<std::string>& rules,
                                      Timestamp now, std::int64_t days);

// The dashboard's body for a short while, per (days, UTC day of now): under 200 clients it is
// computed about once per `ttl` instead of once per request (docs/benchmarks.md, "Console API").
// Counts up to `ttl` old are what a dashboard shows anyway. Keeps the serialized body, so a hit
// costs a string copy. Thread-safe.
class DashboardCache {
 public:
  explicit DashboardCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}
  std::optional<std::string> find(std::int64_t days, std::int64_t today);
  void put(std::int64_t days, std::int64_t today, std::string body);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point made;
    std::string body;
  };
  std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::map<std::pair<std::int64_t, std::int64_t>, Entry> entries_;
};

struct InspectionReport {
  std::string content;
  std::string content_type;
  std::string filename;
};

struct InspectionRequest {
  std::string ledger_url;  // the installation's store URL (store::open_ledger_storage)
  ledger::PublicKey ledger_key;
  std::string installation;  // the sensor name, for the title
  Timestamp from;
  Timestamp to;
  Timestamp generated_at;
  bool json = false;  // else HTML
};

// The report over [from, to). Errors: the ledger or the store cannot be read, or the period
// is empty (from >= to).
Result<InspectionReport> inspection_report(const InspectionRequest& request, store::Store& store);

}  // namespace mamori::server
