#include "mamori/server/maintenance_schedule.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "mamori/governance/access.h"
#include "mamori/site/access_gate.h"
#include "mamori/site/installation.h"
#include "mamori/site/maintenance.h"
#include "mamori/store/store.h"

namespace mamori::server {
namespace {

// 0 switches a job off.
std::optional<Duration> interval(std::optional<Duration> value) {
  if (value && value->nanos == 0) return std::nullopt;
  return value;
}

// What one job run works on: its own installation and store connection (the header says why).
struct OpenSite {
  std::unique_ptr<site::Installation> installation;
  std::unique_ptr<store::Store> store;
};

Result<OpenSite> open_site(const std::string& config_path) {
  auto installation = site::open_installation(config_path);
  if (!installation) return fail(installation.error());
  auto store = store::open_store((*installation)->sieve.store);
  if (!store) return fail(store.error());
  return OpenSite{std::move(*installation), std::move(*store)};
}

}  // namespace

Result<ScheduleConfig> load_schedule_config(const ConfigFile& file) {
  ConfigTable table(file, "schedule");
  ScheduleConfig config;
  if (auto v = table.duration("retention_every")) config.retention_every = interval(v);
  if (auto v = table.duration("analysis_every")) config.analysis_every = interval(v);
  if (auto v = table.duration("analysis_window")) {
    if (v->nanos < 1'000'000'000) table.error("analysis_window", "must be at least 1s");
    config.analysis_window = *v;
  }
  if (auto v = table.string("analysis_user")) config.analysis_user = *v;
  if (auto v = table.string("analysis_purpose")) config.analysis_purpose = *v;
  if (config.analysis_every) {
    if (config.analysis_user.empty()) {
      table.error("analysis_user",
                  "is required with analysis_every (the analyst the reads are "
                  "recorded for)");
    }
    if (config.analysis_purpose.empty()) {
      table.error("analysis_purpose", "is required with analysis_every");
    }
  }
  table.reject_unknown_keys();
  if (auto ok = table.result(); !ok) return fail(ok.error());
  return config;
}

MaintenanceSchedule::MaintenanceSchedule(ScheduleConfig config, std::string config_path,
                                         const Clock& clock)
    : config_(std::move(config)), config_path_(std::move(config_path)), clock_(clock) {
  const Timestamp now = clock_.now();
  if (config_.retention_every) next_retention_ = now;
  if (config_.analysis_every) next_analysis_ = now;
}

Result<std::unique_ptr<MaintenanceSchedule>> MaintenanceSchedule::create(ScheduleConfig config,
                                                                         std::string config_path,
                                                                         const Clock& clock) {
  auto installation = site::open_installation(config_path);
  if (!installation) return fail("schedule: {}", installation.error().message);
  if (config.analysis_every) {
    auto user = (*installation)->governance_storage->find_user(config.analysis_user);
    if (!user) return fail("schedule: {}", user.error().message);
    if (!*user || (*user)->disabled || (*user)->role != governance::Role::analyst) {
      return fail(
          "schedule: analysis_user '{}' must be an enabled analyst (`mamori users add --role "
          "analyst`) / 分析の利用者は有効な分析担当者である必要があります",
          config.analysis_user);
    }
  }
  return std::unique_ptr<MaintenanceSchedule>(
      new MaintenanceSchedule(std::move(config), std::move(config_path), clock));
}

MaintenanceSchedule::~MaintenanceSchedule() { stop(); }

std::vector<JobReport> MaintenanceSchedule::run_due() {
  std::vector<JobReport> reports;
  const Timestamp now = clock_.now();
  bool retention_due = false;
  bool analysis_due = false;
  {
    const std::lock_guard lock(mutex_);
    if (next_retention_ && *next_retention_ <= now) {
      next_retention_ = now + *config_.retention_every;
      retention_due = true;
    }
    if (next_analysis_ && *next_analysis_ <= now) {
      next_analysis_ = now + *config_.analysis_every;
      analysis_due = true;
    }
  }
  if (retention_due) reports.push_back(run_retention(now));
  if (analysis_due) reports.push_back(run_analysis(now));
  if (!reports.empty()) {
    const std::lock_guard lock(mutex_);
    for (const JobReport& report : reports) record(report);
    completed_ += reports.size();
    wake_.notify_all();
  }
  return reports;
}

// Under mutex_.
void MaintenanceSchedule::record(const JobReport& report) {
  JobStats& stats = report.job == "retention" ? retention_stats_ : analysis_stats_;
  ++(report.ok ? stats.ok : stats.failed);
  stats.last_run = report.at;
  if (report.ok) stats.last_success = report.at;
}

std::string MaintenanceSchedule::render_metrics() const {
  const std::lock_guard lock(mutex_);
  const struct {
    std::string_view job;
    const JobStats& stats;
    const std::optional<Timestamp>& next;
  } jobs[] = {{"retention", retention_stats_, next_retention_},
              {"analysis", analysis_stats_, next_analysis_}};
  const auto seconds = [](Timestamp at) { return static_cast<double>(at.nanos) / 1e9; };
  std::string out =
      "# HELP mamori_schedule_runs_total Scheduled job runs by job and result.\n"
      "# TYPE mamori_schedule_runs_total counter\n";
  for (const auto& job : jobs) {
    out += fmt::format("mamori_schedule_runs_total{{job=\"{}\",result=\"ok\"}} {}\n", job.job,
                       job.stats.ok);
    out += fmt::format("mamori_schedule_runs_total{{job=\"{}\",result=\"failed\"}} {}\n", job.job,
                       job.stats.failed);
  }
  const auto gauge = [&](std::string_view name, std::string_view help, auto value_of) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
    for (const auto& job : jobs) {
      if (const std::optional<Timestamp> at = value_of(job); at) {
        out += fmt::format("{}{{job=\"{}\"}} {:.3f}\n", name, job.job, seconds(*at));
      }
    }
  };
  gauge("mamori_schedule_last_run_timestamp_seconds", "When the job last ran.",
        [](const auto& job) { return job.stats.last_run; });
  gauge("mamori_schedule_last_success_timestamp_seconds", "When the job last succeeded.",
        [](const auto& job) { return job.stats.last_success; });
  gauge("mamori_schedule_next_run_timestamp_seconds", "When the job is due next.",
        [](const auto& job) { return job.next; });
  return out;
}

JobReport MaintenanceSchedule::run_retention(Timestamp now) {
  JobReport report{.job = "retention", .at = now};
  auto opened = open_site(config_path_);
  if (!opened) {
    report.message = opened.error().message;
    return report;
  }
  auto done = site::apply_retention(*opened->installation, *opened->store, now);
  if (!done) {
    report.message = done.error().message;
    return report;
  }
  report.ok = true;
  report.message = fmt::format(
      "{} expired records and {} analysis runs deleted (ledger entry {}) / "
      "保存期間を過ぎたレコードと分析結果を削除しました",
      done->records.records_deleted, done->findings.runs.size(), done->ledger_seq);
  return report;
}

JobReport MaintenanceSchedule::run_analysis(Timestamp now) {
  JobReport report{.job = "analysis", .at = now};
  auto opened = open_site(config_path_);
  if (!opened) {
    report.message = opened.error().message;
    return report;
  }
  store::RecordQuery query;
  query.since = now - config_.analysis_window;
  query.until = now;
  query.limit = 0;
  // The gate decides as for any analyst, and records a refusal.
  auto grant = site::authorize_read_for(*opened->installation, *opened->store,
                                        config_.analysis_user, config_.analysis_purpose, query);
  if (!grant) {
    report.message = grant.error().message;
    return report;
  }
  auto analysed = site::analyze_and_save(*opened->installation, *opened->store, *grant, query, now);
  if (!analysed) {
    report.message = analysed.error().message;
    return report;
  }
  report.ok = true;
  report.message =
      fmt::format("analysis run {}: {} records, {} findings / 分析 {}", analysed->run,
                  analysed->result.stats.records, analysed->result.findings.size(), analysed->run);
  return report;
}

std::optional<Timestamp> MaintenanceSchedule::next_due() const {
  const std::lock_guard lock(mutex_);
  if (next_retention_ && next_analysis_) return std::min(*next_retention_, *next_analysis_);
  return next_retention_ ? next_retention_ : next_analysis_;
}

void MaintenanceSchedule::start(std::function<void(const JobReport&)> log) {
  if (thread_.joinable()) return;
  thread_ = std::thread([this, log = std::move(log)] {
    for (;;) {
      for (const JobReport& report : run_due()) log(report);
      const auto due = next_due();
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      if (!due) {
        wake_.wait(lock, [this] { return stopping_; });
        return;
      }
      const Duration left = *due - clock_.now();
      if (left.nanos > 0) {
        wake_.wait_for(lock, std::chrono::nanoseconds(left.nanos), [this] { return stopping_; });
      }
      if (stopping_) return;
    }
  });
}

void MaintenanceSchedule::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t MaintenanceSchedule::wait_for_runs(std::uint64_t runs,
                                                 std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, timeout, [&] { return completed_ >= runs; });
  return completed_;
}

}  // namespace mamori::server
