#pragma once
// server/console_jobs: the console's background jobs — so far the overseer's ledger
// verification (POST /api/oversight/verify): the check of oversight/integrity.h over the ledger
// as stored, read in pages through a connection of its own (never the installation's, which
// serves requests meanwhile), with its progress visible while it runs. A job belongs to the
// user who started it; to anyone else it does not exist. At most kMaxRunningJobs run at once;
// finished jobs beyond kMaxKeptJobs are forgotten, oldest first. Thread-safe; stop() cancels
// running jobs (they end as failed) and joins their threads.

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/ledger/keys.h"
#include "mamori/oversight/report_data.h"

namespace mamori::server {

inline constexpr std::size_t kMaxRunningJobs = 2;
inline constexpr std::size_t kMaxKeptJobs = 64;

enum class JobState { running, done, failed };
std::string_view to_string(JobState state);  // "running", "done", "failed"

struct JobView {
  JobState state = JobState::running;
  double progress = 0;  // 0..1
  nlohmann::json result = nullptr;
};

// The integrity report as the job's result: intact, leaves, root, first_bad_seq, problems,
// heads checked and the bad ones, signatures_checked, latest_head_size, unsigned_entries.
nlohmann::json integrity_to_json(const oversight::IntegrityReport& report);

class LedgerJobs {
 public:
  // `ledger_url`: the installation's store URL (store::open_ledger_storage); `key`: the
  // ledger's public key, which the check verifies head signatures with.
  LedgerJobs(std::string ledger_url, ledger::PublicKey key);
  ~LedgerJobs();
  LedgerJobs(const LedgerJobs&) = delete;
  LedgerJobs& operator=(const LedgerJobs&) = delete;

  // A new verification job of `owner`; none when kMaxRunningJobs are running (or stopped).
  std::optional<std::string> start_verification(const std::string& owner);
  // The job `id` if `owner` started it.
  std::optional<JobView> find(const std::string& owner, const std::string& id);
  void stop();

 private:
  struct Job {
    std::string owner = {};
    JobView view = {};
    std::thread thread = {};
  };
  void run_verification(const std::string& id);
  void finish(const std::string& id, JobState state, nlohmann::json result);
  void forget_old_jobs();  // mutex held

  std::string ledger_url_;
  ledger::PublicKey key_;
  std::mutex mutex_;
  std::map<std::string, Job> jobs_;
  std::vector<std::string> order_;  // ids, oldest first
  bool stopping_ = false;           // mutex held
};

}  // namespace mamori::server
