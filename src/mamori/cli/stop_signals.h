#pragma once
// cli/stop_signals: turns SIGINT and SIGTERM into one call of a stop function, so a long run
// (a live capture) ends the way it ends at the end of a file: open flows decided, the store
// flushed, the summary written. No signal handler and no global state: the signals are blocked
// in the constructing thread (threads it creates afterwards inherit the mask) and a watcher
// thread takes them with sigwait(), where any code may run.
//
// Construct it in the main thread before any other thread exists, so that no thread is left
// with the signals unblocked (a process-directed signal would otherwise kill the process
// through such a thread). A second signal while stopping is taken and ignored: the run is
// already ending.

#include <atomic>
#include <functional>
#include <thread>

#include <signal.h>

namespace mamori::cli {

class StopSignals {
 public:
  // `on_stop` runs once, on the watcher thread, at the first SIGINT or SIGTERM. It must be
  // safe to call from another thread (e.g. LivePacketSource::stop()).
  explicit StopSignals(std::function<void()> on_stop);
  // Wakes and joins the watcher, without calling on_stop, then restores the constructing
  // thread's signal mask. Must run on the thread that constructed it.
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Whether a stop signal has arrived (on_stop has been called or is running).
  bool requested() const { return signal_number() != 0; }
  // Which signal stopped it (SIGINT or SIGTERM; 0 while none has).
  int signal_number() const { return signal_.load(std::memory_order_acquire); }

 private:
  void watch();

  std::function<void()> on_stop_;
  sigset_t previous_mask_{};
  sigset_t stop_set_{};
  std::atomic<int> signal_{0};
  std::atomic<bool> closing_{false};
  std::thread watcher_;
};

}  // namespace mamori::cli
