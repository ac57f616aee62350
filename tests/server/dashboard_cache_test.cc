// The dashboard's short-lived cache (console_statistics.h): a body is served for its `days` and
// UTC day only, until its time to live has passed; a new day drops the old day's bodies.

#include <gtest/gtest.h>

#include "mamori/server/console_statistics.h"

namespace mamori::server {
namespace {

TEST(DashboardCache, ServesTheSameDaysAndDayUntilItsTimeToLive) {
  DashboardCache cache(std::chrono::hours(1));
  EXPECT_FALSE(cache.find(14, 20'000));
  cache.put(14, 20'000, "{\"a\":1}");
  EXPECT_EQ(cache.find(14, 20'000), "{\"a\":1}");
  EXPECT_FALSE(cache.find(7, 20'000));   // another period
  EXPECT_FALSE(cache.find(14, 20'001));  // another day
  cache.put(14, 20'001, "{\"b\":2}");
  EXPECT_FALSE(cache.find(14, 20'000));  // the old day's bodies went
  EXPECT_EQ(cache.find(14, 20'001), "{\"b\":2}");
}

TEST(DashboardCache, NothingOutlivesItsTimeToLive) {
  DashboardCache cache(std::chrono::milliseconds(0));
  cache.put(14, 20'000, "{}");
  EXPECT_FALSE(cache.find(14, 20'000));
}

}  // namespace
}  // namespace mamori::server
