#pragma once
// server/console_statistics: the aggregate views of the console — the dashboard (records per
// day and category and per rule, recent runs: counts only, never a record's contents) and the
// overseer's inspection report (oversight/report.h, as `mamori oversight report` makes it:
// from the ledger as stored and the store's run counters). The dashboard reads the store's
// record counts (Store::record_counts), so its cost does not grow with the records.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
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
//
// Single flight: one caller at a time computes a body. When an entry has expired, the first
// caller gets a Refresh and computes it while the others are served the previous body (stale by
// at most the computing time); when there is no entry yet (first use, a new day, a failed
// computation), the others wait for the one computing. A body is never served for another UTC
// day than the caller's: a new day drops every earlier day's entry, and a refresh still running
// for an earlier day stores nothing.
class DashboardCache {
 public:
  using Key = std::pair<std::int64_t, std::int64_t>;  // (days, today)

  // Makes its holder the one computing a body: put() hands it to the cache and to the callers
  // waiting for it. Destroyed without put() — the computation failed or threw — it releases
  // them with an error, drops the expired body and lets the next caller try again.
  class Refresh {
   public:
    Refresh(DashboardCache& cache, Key key) : cache_(&cache), key_(key) {}
    Refresh(Refresh&& other) noexcept
        : cache_(std::exchange(other.cache_, nullptr)), key_(std::move(other.key_)) {}
    Refresh& operator=(Refresh&& other) noexcept;  // a Refresh it replaces has failed
    Refresh(const Refresh&) = delete;
    Refresh& operator=(const Refresh&) = delete;
    ~Refresh();
    void put(std::string body);

   private:
    DashboardCache* cache_;  // none once put() or moved from
    Key key_;
  };

  explicit DashboardCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  // The body to serve, or the Refresh that makes the caller the one to compute it (then serve
  // it and put() it). May wait for another caller's computation; fails when that one failed.
  Result<std::variant<std::string, Refresh>> find(std::int64_t days, std::int64_t today);

  // Callers waiting in find() for another's computation (for tests).
  std::size_t waiting();

 private:
  struct Entry {
    std::optional<std::string> body;  // none until the first computation succeeded
    std::chrono::steady_clock::time_point made;
    bool refreshing = false;  // a Refresh for it is out
    std::uint64_t done = 0;   // computations finished (put or failed), for those waiting
  };
  void finish(const Key& key, std::optional<std::string> body);

  std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::int64_t day_ = std::numeric_limits<std::int64_t>::min();  // the latest `today` seen
  std::map<Key, Entry> entries_;  // of day_ only: at most kMaxDashboardDays
  std::size_t waiting_ = 0;
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
