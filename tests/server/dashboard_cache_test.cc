// The dashboard's short-lived cache (console_statistics.h): a body is served for its `days` and
// UTC day only, until its time to live has passed; a new day drops the old day's bodies. One
// caller at a time computes a body: when an entry has expired the others get the previous body,
// when there is none they wait for it, and a computation that fails releases them. The threads
// here are ordered with latches and the cache's own count of waiters, never with sleeps.

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "mamori/server/console_statistics.h"

namespace mamori::server {
namespace {

using Found = Result<std::variant<std::string, DashboardCache::Refresh>>;

constexpr std::int64_t kDay = 20'000;
constexpr std::size_t kThreads = 8;

std::optional<std::string> body_of(const Found& found) {
  if (!found || !std::holds_alternative<std::string>(*found)) return std::nullopt;
  return std::get<std::string>(*found);
}

bool is_refresh(const Found& found) {
  return found && std::holds_alternative<DashboardCache::Refresh>(*found);
}

// Computes and stores `body` as the one caller told to; fails the test otherwise.
void fill(DashboardCache& cache, std::int64_t days, std::int64_t today, std::string body) {
  auto found = cache.find(days, today);
  ASSERT_TRUE(is_refresh(found)) << "expected to be the one computing";
  std::get<DashboardCache::Refresh>(*found).put(std::move(body));
}

// Waits (yielding) until `count` callers wait in find(); a cache that lets them through
// instead fails the test after a while rather than hanging it.
void await_waiters(DashboardCache& cache, std::size_t count) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (cache.waiting() < count) {
    if (std::chrono::steady_clock::now() > give_up) {
      ADD_FAILURE() << "only " << cache.waiting() << " of " << count << " callers wait";
      return;
    }
    std::this_thread::yield();
  }
}

TEST(DashboardCache, ServesTheSameDaysAndDayUntilItsTimeToLive) {
  DashboardCache cache(std::chrono::hours(1));
  ASSERT_NO_FATAL_FAILURE(fill(cache, 14, kDay, "{\"a\":1}"));
  EXPECT_EQ(body_of(cache.find(14, kDay)), "{\"a\":1}");
  EXPECT_TRUE(is_refresh(cache.find(7, kDay)));  // another period: computed on its own
  ASSERT_NO_FATAL_FAILURE(fill(cache, 14, kDay + 1, "{\"b\":2}"));  // another day
  EXPECT_EQ(body_of(cache.find(14, kDay + 1)), "{\"b\":2}");
}

TEST(DashboardCache, AnExpiredBodyIsRefreshedByExactlyOneCallerWhileTheOthersGetIt) {
  DashboardCache cache(std::chrono::milliseconds(0));  // every body has expired at once
  ASSERT_NO_FATAL_FAILURE(fill(cache, 14, kDay, "old"));
  std::vector<Found> found(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      found[i] = cache.find(14, kDay);  // the Refresh stays out until every thread has asked
    });
  }
  for (auto& thread : threads) thread.join();
  std::size_t refreshes = 0;
  for (const auto& one : found) {
    if (is_refresh(one)) {
      ++refreshes;
    } else {
      EXPECT_EQ(body_of(one), "old");
    }
  }
  EXPECT_EQ(refreshes, 1u);
}

TEST(DashboardCache, WithoutABodyTheOthersWaitForTheOneComputing) {
  DashboardCache cache(std::chrono::hours(1));
  auto first = cache.find(14, kDay);
  ASSERT_TRUE(is_refresh(first));
  std::vector<Found> found(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { found[i] = cache.find(14, kDay); });
  }
  await_waiters(cache, kThreads);
  std::get<DashboardCache::Refresh>(*first).put("computed once");
  for (auto& thread : threads) thread.join();
  for (const auto& one : found) EXPECT_EQ(body_of(one), "computed once");
  EXPECT_EQ(cache.waiting(), 0u);
}

TEST(DashboardCache, AFailedComputationReleasesItsWaitersAndTheNextCallerTriesAgain) {
  DashboardCache cache(std::chrono::hours(1));
  std::optional<Found> first(cache.find(14, kDay));
  ASSERT_TRUE(is_refresh(*first));
  std::vector<Found> found(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { found[i] = cache.find(14, kDay); });
  }
  await_waiters(cache, kThreads);
  first.reset();  // the Refresh goes without put(): the computation failed
  for (auto& thread : threads) thread.join();
  for (const auto& one : found) EXPECT_FALSE(one);
  EXPECT_EQ(cache.waiting(), 0u);
  ASSERT_NO_FATAL_FAILURE(fill(cache, 14, kDay, "second try"));  // not stuck "refreshing"
  EXPECT_EQ(body_of(cache.find(14, kDay)), "second try");
}

TEST(DashboardCache, AFailedRefreshDropsTheExpiredBody) {
  DashboardCache cache(std::chrono::milliseconds(0));
  ASSERT_NO_FATAL_FAILURE(fill(cache, 14, kDay, "old"));
  {
    auto refresh = cache.find(14, kDay);
    ASSERT_TRUE(is_refresh(refresh));
    EXPECT_EQ(body_of(cache.find(14, kDay)), "old");  // served while the refresh runs
    // The refresh fails here: it goes without put().
  }
  EXPECT_TRUE(is_refresh(cache.find(14, kDay)));
}

TEST(DashboardCache, ANewDayIsNeverServedYesterdaysBody) {
  DashboardCache cache(std::chrono::hours(1));
  ASSERT_NO_FATAL_FAILURE(fill(cache, 14, kDay, "yesterday"));
  // Yesterday's refresh is still out when the day changes (as if it had expired).
  DashboardCache late(std::chrono::milliseconds(0));
  ASSERT_NO_FATAL_FAILURE(fill(late, 14, kDay, "yesterday"));
  auto yesterdays = late.find(14, kDay);
  ASSERT_TRUE(is_refresh(yesterdays));
  for (DashboardCache* each : {&cache, &late}) {
    auto today = each->find(14, kDay + 1);
    ASSERT_TRUE(is_refresh(today)) << "a new day starts without a body";
    Found waited;
    std::thread waiter([&] { waited = each->find(14, kDay + 1); });
    await_waiters(*each, 1);  // waits for today's body rather than being served yesterday's
    if (each == &late) {
      // Yesterday's refresh finishing now stores nothing and wakes nobody wrongly.
      std::get<DashboardCache::Refresh>(*yesterdays).put("yesterday, refreshed");
      EXPECT_EQ(each->waiting(), 1u);
    }
    std::get<DashboardCache::Refresh>(*today).put("today");
    waiter.join();
    EXPECT_EQ(body_of(waited), "today");
  }
  EXPECT_EQ(body_of(cache.find(14, kDay + 1)), "today");
  // A caller whose clock still reads yesterday computes its own body, which is not kept.
  auto behind = cache.find(14, kDay);
  ASSERT_TRUE(is_refresh(behind));
  std::get<DashboardCache::Refresh>(*behind).put("yesterday, late");
  EXPECT_EQ(body_of(cache.find(14, kDay + 1)), "today");
  EXPECT_TRUE(is_refresh(cache.find(14, kDay)));
}

TEST(DashboardCache, AWaiterOfADayThatEndedComputesItsOwnBody) {
  DashboardCache cache(std::chrono::hours(1));
  auto first = cache.find(14, kDay);
  ASSERT_TRUE(is_refresh(first));
  Found waited;
  std::thread waiter([&] { waited = cache.find(14, kDay); });
  await_waiters(cache, 1);
  auto next_day = cache.find(14, kDay + 1);  // drops kDay's entries
  ASSERT_TRUE(is_refresh(next_day));
  std::get<DashboardCache::Refresh>(*first).put("yesterday");  // stores nothing, wakes the waiter
  waiter.join();
  EXPECT_TRUE(is_refresh(waited)) << "served yesterday's body after the day ended";
}

}  // namespace
}  // namespace mamori::server
