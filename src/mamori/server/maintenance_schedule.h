#pragma once
// server/maintenance_schedule: mamorid's recurring work (issue 8: "runs retention and analysis
// on schedules"), the [schedule] section of mamori.toml:
//   [schedule]
//   retention_every = "1h"             # delete what expired (I6); 0 to leave it to cron
//   analysis_every = "6h"              # absent or 0: no scheduled analysis
//   analysis_window = "24h"            # records of this long before each run (first_seen)
//   analysis_user = "analysis-service" # an analyst account: the reads are this user's (I7)
//   analysis_purpose = "attack-analysis"
// Each job does what `mamori retention run` and `mamori analyze` do (site/maintenance.h),
// through an installation of its own (as a separate command would: the ledger takes appends
// from several connections), so the console's requests and the jobs never share a handle.
// Both jobs are due at start, then every interval after the previous run began.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mamori/core/config.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"

namespace mamori::server {

struct ScheduleConfig {
  std::optional<Duration> retention_every = Duration::seconds(3600);
  std::optional<Duration> analysis_every = {};
  Duration analysis_window = Duration::seconds(86400);
  std::string analysis_user = {};
  std::string analysis_purpose = {};
};

// The file's [schedule] section (absent: hourly retention, no analysis). Errors name the file
// and key: an analysis schedule needs its user and purpose; a window is at least 1 s.
Result<ScheduleConfig> load_schedule_config(const ConfigFile& file);

// What one run of one job did, for mamorid's log and the tests.
struct JobReport {
  std::string job = {};  // "retention" or "analysis"
  Timestamp at = {};
  bool ok = false;
  std::string message = {};  // counts and ledger entry, or the error (no record contents)
};

class MaintenanceSchedule {
 public:
  // Checks now what can be checked: the installation opens, the analysis user exists, is an
  // analyst and not disabled. `clock` must outlive the schedule.
  static Result<std::unique_ptr<MaintenanceSchedule>> create(ScheduleConfig config,
                                                             std::string config_path,
                                                             const Clock& clock);
  ~MaintenanceSchedule();
  MaintenanceSchedule(const MaintenanceSchedule&) = delete;
  MaintenanceSchedule& operator=(const MaintenanceSchedule&) = delete;

  // Runs every job that is due as of clock.now(), in order retention then analysis; returns
  // their reports (empty when nothing was due). Not while start()ed: the thread calls it.
  std::vector<JobReport> run_due();

  // Runs run_due() in a thread of its own, waking when the next job is due (by the real time
  // between the clock's now and then) or stop() is called; each report goes to `log`.
  void start(std::function<void(const JobReport&)> log);
  // Wakes and joins the thread; a job in progress finishes first. Idempotent.
  void stop();
  // Waits until at least `runs` job runs have completed since creation or `timeout` passed;
  // returns the number completed.
  std::uint64_t wait_for_runs(std::uint64_t runs, std::chrono::milliseconds timeout);

  // The jobs' state in Prometheus text format (0.0.4), for mamorid's /metrics: per job, runs
  // by result, and the times of the last run, the last success and the next run (seconds
  // since the epoch; a job never run or not scheduled has no such line). An operator alerts
  // on a retention job that has not succeeded for longer than its interval (I6).
  std::string render_metrics() const;

 private:
  struct JobStats {
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
    std::optional<Timestamp> last_run;
    std::optional<Timestamp> last_success;
  };
  void record(const JobReport& report);

  MaintenanceSchedule(ScheduleConfig config, std::string config_path, const Clock& clock);
  JobReport run_retention(Timestamp now);
  JobReport run_analysis(Timestamp now);
  std::optional<Timestamp> next_due() const;

  ScheduleConfig config_;
  std::string config_path_;
  const Clock& clock_;
  mutable std::mutex mutex_;  // guards what follows; the jobs run outside it
  std::optional<Timestamp> next_retention_;
  std::optional<Timestamp> next_analysis_;
  JobStats retention_stats_;
  JobStats analysis_stats_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::uint64_t completed_ = 0;
  std::thread thread_;
};

}  // namespace mamori::server
