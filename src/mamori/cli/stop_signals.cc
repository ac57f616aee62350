#include "mamori/cli/stop_signals.h"

#include <pthread.h>

#include <cerrno>
#include <ctime>
#include <utility>

namespace mamori::cli {

StopSignals::StopSignals(std::function<void()> on_stop) : on_stop_(std::move(on_stop)) {
  sigemptyset(&stop_set_);
  sigaddset(&stop_set_, SIGINT);
  sigaddset(&stop_set_, SIGTERM);
  // Blocked before the watcher starts, so it inherits the mask and no signal is lost between
  // here and its first sigwait(): a blocked signal stays pending until it is taken.
  pthread_sigmask(SIG_BLOCK, &stop_set_, &previous_mask_);
  watcher_ = std::thread([this] { watch(); });
}

StopSignals::~StopSignals() {
  closing_.store(true, std::memory_order_release);
  // A signal directed at the watcher thread alone wakes its sigwait(); it sees closing_ and
  // returns without calling on_stop. The signal is one it already waits for and has blocked,
  // so it terminates nothing, and no other signal's disposition is borrowed.
  // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread): blocked in the watcher, taken by sigwait
  pthread_kill(watcher_.native_handle(), SIGTERM);
  watcher_.join();
  // A stop signal sent to the process after the watcher left is still pending here; the run
  // it asked to stop is over, so it is taken rather than left to kill the process when the
  // mask is restored.
  const timespec no_wait{};
  while (sigtimedwait(&stop_set_, nullptr, &no_wait) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void StopSignals::watch() {
  for (;;) {
    int taken = 0;
    if (sigwait(&stop_set_, &taken) != 0) continue;
    if (closing_.load(std::memory_order_acquire)) return;
    int none = 0;
    if (!signal_.compare_exchange_strong(none, taken, std::memory_order_acq_rel)) continue;
    if (on_stop_) on_stop_();
  }
}

}  // namespace mamori::cli
