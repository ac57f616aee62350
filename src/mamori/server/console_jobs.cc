#include "mamori/server/console_jobs.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "mamori/oversight/integrity.h"
#include "mamori/server/console_sessions.h"
#include "mamori/store/ledger_storage.h"

namespace mamori::server {
namespace {

using nlohmann::json;

constexpr std::uint64_t kLedgerPage = 4096;

}  // namespace

std::string_view to_string(JobState state) {
  switch (state) {
    case JobState::running:
      return "running";
    case JobState::done:
      return "done";
    case JobState::failed:
      return "failed";
  }
  return "failed";
}

json integrity_to_json(const oversight::IntegrityReport& report) {
  json problems = json::array();
  for (const auto& p : report.problems) {
    problems.push_back({{"seq", p.seq}, {"message", p.message}});
  }
  json bad_heads = json::array();
  for (const auto& h : report.heads) {
    if (!h.ok()) bad_heads.push_back({{"tree_size", h.tree_size}, {"problems", h.problems}});
  }
  return {{"intact", report.intact},
          {"leaves", report.leaves},
          {"root", report.root},
          {"first_bad_seq", report.first_bad_seq ? json(*report.first_bad_seq) : json(nullptr)},
          {"problems", std::move(problems)},
          {"suppressed_problems", report.suppressed_problems},
          {"heads_checked", report.heads.size()},
          {"bad_heads", std::move(bad_heads)},
          {"signatures_checked", report.signatures_checked},
          {"latest_head_size", report.latest_head_size},
          {"unsigned_entries", report.unsigned_entries}};
}

LedgerJobs::LedgerJobs(std::string ledger_url, ledger::PublicKey key)
    : ledger_url_(std::move(ledger_url)), key_(key) {}

LedgerJobs::~LedgerJobs() { stop(); }

std::optional<std::string> LedgerJobs::start_verification(const std::string& owner) {
  std::lock_guard lock(mutex_);
  if (stopping_) return std::nullopt;
  const auto running = std::ranges::count_if(
      jobs_, [](const auto& entry) { return entry.second.view.state == JobState::running; });
  if (static_cast<std::size_t>(running) >= kMaxRunningJobs) return std::nullopt;
  forget_old_jobs();
  const std::string id = random_token();
  Job& job = jobs_[id];
  job.owner = owner;
  order_.push_back(id);
  // The thread waits for the mutex before it touches the table.
  job.thread = std::thread([this, id] { run_verification(id); });
  return id;
}

std::optional<JobView> LedgerJobs::find(const std::string& owner, const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto found = jobs_.find(id);
  if (found == jobs_.end() || found->second.owner != owner) return std::nullopt;
  return found->second.view;
}

void LedgerJobs::stop() {
  // Threads are joined without the lock (they take it to report); the table stays, so that
  // they find their entries, and no job starts or is forgotten once stopping_ is set.
  std::vector<std::thread*> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, job] : jobs_) threads.push_back(&job.thread);
  }
  for (std::thread* thread : threads) {
    if (thread->joinable()) thread->join();
  }
}

void LedgerJobs::forget_old_jobs() {
  while (order_.size() >= kMaxKeptJobs) {
    auto oldest = std::ranges::find_if(order_, [&](const std::string& id) {
      return jobs_.at(id).view.state != JobState::running;
    });
    if (oldest == order_.end()) return;
    // Its thread has set the final state and only returns now: joining cannot wait long, and
    // it no longer needs the mutex.
    Job& job = jobs_.at(*oldest);
    if (job.thread.joinable()) job.thread.join();
    jobs_.erase(*oldest);
    order_.erase(oldest);
  }
}

void LedgerJobs::finish(const std::string& id, JobState state, json result) {
  std::lock_guard lock(mutex_);
  JobView& view = jobs_.at(id).view;
  view.state = state;
  view.progress = 1;
  view.result = std::move(result);
}

void LedgerJobs::run_verification(const std::string& id) {
  auto storage = store::open_ledger_storage(ledger_url_);
  if (!storage) {
    return finish(id, JobState::failed, {{"error", "the ledger storage cannot be opened"}});
  }
  auto size = (*storage)->size();
  auto heads = (*storage)->tree_heads();
  if (!size || !heads)
    return finish(id, JobState::failed, {{"error", "the ledger cannot be read"}});
  std::vector<ledger::StoredLeaf> leaves;
  leaves.reserve(static_cast<std::size_t>(*size));
  for (std::uint64_t from = 0; from < *size; from += kLedgerPage) {
    auto page = (*storage)->read(from, kLedgerPage);
    if (!page) return finish(id, JobState::failed, {{"error", "the ledger cannot be read"}});
    if (page->empty()) break;
    leaves.insert(leaves.end(), std::make_move_iterator(page->begin()),
                  std::make_move_iterator(page->end()));
    std::lock_guard lock(mutex_);
    if (stopping_) {
      // finish() takes the lock itself.
      JobView& view = jobs_.at(id).view;
      view.state = JobState::failed;
      view.progress = 1;
      view.result = {{"error", "the server stopped"}};
      return;
    }
    jobs_.at(id).view.progress =
        0.9 * static_cast<double>(leaves.size()) / static_cast<double>(*size);
  }
  const auto report = oversight::check_ledger_integrity(leaves, *heads, key_);
  finish(id, JobState::done, integrity_to_json(report));
}

}  // namespace mamori::server
