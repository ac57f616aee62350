// Tests for analysis/analyze_store: paging through an SQLite store gives the same findings as
// feeding the Analyzer directly, the since/until window applies, record expiry reaches the
// findings (so a saved run expires with its evidence, I6), and a saved run round-trips.

#include "mamori/analysis/analyze_store.h"

#include <gtest/gtest.h>

#include "analysis_records.h"
#include "mamori/analysis/sqlite_findings.h"
#include "mamori/store/store.h"

namespace mamori::analysis {
namespace {

using namespace testing;
using sieve::RuleKind;

std::vector<sieve::Record> scenario() {
  std::vector<sieve::Record> records;
  Random random{21};
  for (std::uint32_t h = 1; h <= 4; ++h) {
    for (double t : beacon_times(h, 300, 60, 0.05, random)) {
      sieve::Record r = flow(domestic(h), foreign("198.51.100.20", 443), at(t));
      add_tls(r, "", "e7d705a3286e19ea42f587b344ee6865");
      add_match(r, "c2-ip", RuleKind::ip);
      records.push_back(r);
    }
    for (double t : beacon_times(h + 3, 240, 70, 0.05, random)) {
      sieve::Record r = flow(domestic(h), foreign("192.0.2.66", 8443), at(t));
      add_tls(r, "", "e7d705a3286e19ea42f587b344ee6865");
      add_match(r, "beacon", RuleKind::beacon,
                {{"connections", 9}, {"cv", 0.05}, {"mean_interval_s", 240}});
      records.push_back(r);
    }
  }
  std::sort(records.begin(), records.end(), [](const sieve::Record& a, const sieve::Record& b) {
    return a.last_seen < b.last_seen;
  });
  return records;
}

TEST(AnalyzeStore, PagesThroughTheStoreLikeADirectFeed) {
  ManualClock clock(at(0));
  auto opened = store::open_store("sqlite::memory:", clock);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  store::Store& store = **opened;
  store::RunInfo run_info;
  run_info.sensor = "gw-test";
  run_info.started_at = at(0);
  run_info.retention = Duration::seconds(30 * 86400);
  auto run = store.begin_run(run_info);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  const std::vector<sieve::Record> records = scenario();
  auto appended = store.append(*run, records);
  ASSERT_TRUE(appended.has_value()) << appended.error().message;
  ASSERT_TRUE(store.flush().has_value());

  auto result = analyze_store(store, StoreAnalysis{});
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->stats.records, records.size());
  EXPECT_GT(result->stats.read_seconds, 0);

  Analyzer direct;
  for (std::size_t i = 0; i < records.size(); ++i) {
    direct.add(static_cast<RecordId>(i + 1), records[i], at(0) + run_info.retention);
  }
  const AnalysisResult expected = direct.finish();
  ASSERT_EQ(result->findings.size(), expected.findings.size());
  for (std::size_t i = 0; i < expected.findings.size(); ++i) {
    EXPECT_EQ(result->findings[i].id, expected.findings[i].id);
    EXPECT_EQ(result->findings[i].evidence, expected.findings[i].evidence);
    EXPECT_DOUBLE_EQ(result->findings[i].score, expected.findings[i].score);
    EXPECT_EQ(result->findings[i].expires_at, at(0) + run_info.retention);
  }
  EXPECT_EQ(result->candidates, expected.candidates);
  EXPECT_EQ(latest_expiry(*result), at(0) + run_info.retention);

  // The window: only records starting in the first hour.
  auto first_hour = analyze_store(store, at(0), at(3600));
  ASSERT_TRUE(first_hour.has_value());
  std::uint64_t in_window = 0;
  for (const auto& r : records)
    in_window += (r.first_seen >= at(0) && r.first_seen < at(3600)) ? 1 : 0;
  EXPECT_EQ(first_hour->stats.records, in_window);
  EXPECT_LT(first_hour->stats.records, records.size());

  // Saved with the evidence's expiry, the run goes when the records go.
  auto findings = open_sqlite_findings(":memory:");
  ASSERT_TRUE(findings.has_value());
  AnalysisRunInfo info;
  info.created_at = at(7200);
  info.who = "analyst1";
  info.expires_at = latest_expiry(*result);
  auto saved = (*findings)->save(info, *result);
  ASSERT_TRUE(saved.has_value()) << saved.error().message;
  auto early = (*findings)->delete_expired(at(0) + Duration::seconds(29 * 86400));
  ASSERT_TRUE(early.has_value());
  EXPECT_TRUE(early->runs.empty());
  auto due = (*findings)->delete_expired(at(0) + run_info.retention);
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(due->runs.size(), 1u);
}

}  // namespace
}  // namespace mamori::analysis
