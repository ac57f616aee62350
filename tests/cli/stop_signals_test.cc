// StopSignals turns the first SIGINT or SIGTERM sent to the process into one call of the stop
// function, on its own thread, and leaves the signal mask as it found it.

#include "mamori/cli/stop_signals.h"

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace mamori::cli {
namespace {

using namespace std::chrono_literals;

// Bounds every wait, so a broken watcher fails the test instead of hanging it.
constexpr auto kPatience = 10s;

bool blocked_in_this_thread(int signal) {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return sigismember(&mask, signal) == 1;
}

TEST(StopSignals, SigtermCallsTheStopFunctionOnce) {
  std::promise<void> called;
  std::atomic<int> calls = 0;
  {
    StopSignals signals([&] {
      if (calls.fetch_add(1) == 0) called.set_value();
    });
    EXPECT_FALSE(signals.requested());
    ASSERT_EQ(kill(getpid(), SIGTERM), 0);
    ASSERT_EQ(called.get_future().wait_for(kPatience), std::future_status::ready);
    EXPECT_TRUE(signals.requested());
    EXPECT_EQ(signals.signal_number(), SIGTERM);
    // A second signal while stopping is taken and ignored.
    ASSERT_EQ(kill(getpid(), SIGINT), 0);
  }
  EXPECT_EQ(calls.load(), 1);
}

TEST(StopSignals, SigintCallsTheStopFunction) {
  std::promise<void> called;
  StopSignals signals([&] { called.set_value(); });
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  ASSERT_EQ(called.get_future().wait_for(kPatience), std::future_status::ready);
  EXPECT_EQ(signals.signal_number(), SIGINT);
}

TEST(StopSignals, DestructionWithoutASignalDoesNotCallStop) {
  std::atomic<int> calls = 0;
  {
    StopSignals signals([&] { calls.fetch_add(1); });
  }
  EXPECT_EQ(calls.load(), 0);
}

TEST(StopSignals, BlocksTheSignalsWhileAliveAndRestoresTheMask) {
  ASSERT_FALSE(blocked_in_this_thread(SIGINT));
  ASSERT_FALSE(blocked_in_this_thread(SIGTERM));
  {
    StopSignals signals([] {});
    EXPECT_TRUE(blocked_in_this_thread(SIGINT));
    EXPECT_TRUE(blocked_in_this_thread(SIGTERM));
    // Threads created afterwards inherit the mask, so a signal cannot end the process
    // through one of them.
    bool worker_blocked = false;
    std::thread([&] {
      worker_blocked = blocked_in_this_thread(SIGINT) && blocked_in_this_thread(SIGTERM);
    }).join();
    EXPECT_TRUE(worker_blocked);
  }
  EXPECT_FALSE(blocked_in_this_thread(SIGINT));
  EXPECT_FALSE(blocked_in_this_thread(SIGTERM));
}

TEST(StopSignals, AnotherSignalBlockedBeforeStaysBlocked) {
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, nullptr);
  {
    StopSignals signals([] {});
  }
  EXPECT_TRUE(blocked_in_this_thread(SIGUSR1));
  EXPECT_FALSE(blocked_in_this_thread(SIGTERM));
  pthread_sigmask(SIG_UNBLOCK, &usr1, nullptr);
}

TEST(StopSignals, ASecondInstanceWorksAfterTheFirst) {
  for (int round = 0; round < 3; ++round) {
    std::promise<void> called;
    StopSignals signals([&] { called.set_value(); });
    ASSERT_EQ(kill(getpid(), SIGTERM), 0);
    ASSERT_EQ(called.get_future().wait_for(kPatience), std::future_status::ready) << round;
  }
}

}  // namespace
}  // namespace mamori::cli
