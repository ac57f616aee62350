// mamorid's schedule (server/maintenance_schedule.h): the [schedule] section's defaults and
// errors; retention and analysis run when due and not before, as `mamori retention run` and
// `mamori analyze` would (expired records deleted and the deletion on the ledger; the analysis
// user's read on the ledger with its purpose before its run is saved); an analysis user the
// I7 gate refuses gets nothing and the refusal is on the ledger; and the thread runs the jobs
// by itself and stops when asked, even while waiting for the next one.

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "console_fixture.h"
#include "mamori/analysis/sqlite_findings.h"
#include "mamori/governance/events.h"
#include "mamori/server/maintenance_schedule.h"
#include "mamori/site/maintenance.h"

namespace mamori::server {
namespace {

using namespace console_testing;

Result<ScheduleConfig> parse(const std::string& text) {
  auto file = ConfigFile::parse(text, "test.toml");
  if (!file) return fail(file.error());
  return load_schedule_config(*file);
}

std::vector<ledger::LedgerEntry> events(const std::string& config, std::string_view type) {
  std::vector<ledger::LedgerEntry> out;
  auto installation = site::open_installation(config);
  EXPECT_TRUE(installation) << installation.error().message;
  if (!installation) return out;
  auto ok = site::for_each_event(**installation, type, [&](const ledger::LedgerEntry& entry) {
    out.push_back(entry);
    return true;
  });
  EXPECT_TRUE(ok) << ok.error().message;
  return out;
}

TEST(ScheduleConfig, DefaultsErrorsAndSwitchingOff) {
  auto defaults = parse("");
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->retention_every, Duration::seconds(3600));
  EXPECT_FALSE(defaults->analysis_every);

  auto set = parse(
      "[schedule]\nretention_every = 0\nanalysis_every = \"6h\"\nanalysis_window = \"2h\"\n"
      "analysis_user = \"bot\"\nanalysis_purpose = \"attack-analysis\"\n");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_FALSE(set->retention_every);
  EXPECT_EQ(set->analysis_every, Duration::seconds(6 * 3600));
  EXPECT_EQ(set->analysis_window, Duration::seconds(7200));

  auto no_user = parse("[schedule]\nanalysis_every = \"6h\"\nanalysis_purpose = \"p\"\n");
  ASSERT_FALSE(no_user);
  EXPECT_NE(no_user.error().message.find("analysis_user"), std::string::npos)
      << no_user.error().message;
  auto unknown = parse("[schedule]\nretention = \"1h\"\n");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("retention"), std::string::npos);
  EXPECT_FALSE(parse("[schedule]\nretention_every = \"soon\"\n"));
}

class MaintenanceScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(env.start()); }

  ScheduleConfig analysis_by(const std::string& user) const {
    return {.retention_every = Duration::seconds(3600),
            .analysis_every = Duration::seconds(6 * 3600),
            // The fixture's records are at the start of today (UTC): two days reach them.
            .analysis_window = Duration::seconds(2 * 86400),
            .analysis_user = user,
            .analysis_purpose = std::string(kPurpose)};
  }

  std::string config() { return env.dir.file("mamori.toml"); }

  ConsoleEnv env;
};

TEST_F(MaintenanceScheduleTest,
       Invariant_I6_ScheduledRetentionAndAnalysisRunWhenDueAsTheCommandsWould) {
  auto schedule = MaintenanceSchedule::create(analysis_by(user_name(governance::Role::analyst)),
                                              config(), env.clock);
  ASSERT_TRUE(schedule) << schedule.error().message;

  const auto first = (*schedule)->run_due();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].job, "retention");
  EXPECT_TRUE(first[0].ok) << first[0].message;
  EXPECT_EQ(first[1].job, "analysis");
  ASSERT_TRUE(first[1].ok) << first[1].message;
  // Nothing has expired yet: the records stay; the retention run is on the ledger all the same.
  EXPECT_EQ(events(config(), governance::events::kRetentionDeleted).size(), 1u);
  const auto reads = events(config(), governance::events::kAccessRead);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].body["user"], user_name(governance::Role::analyst));
  EXPECT_EQ(reads[0].body["purpose"], kPurpose);
  EXPECT_EQ(reads[0].body["records"], env.records);
  // The run is saved where `mamori analyze` saves it, and the console lists its findings.
  auto findings_file = site::findings_path(config());
  ASSERT_TRUE(findings_file);
  auto findings = analysis::open_sqlite_findings(*findings_file);
  ASSERT_TRUE(findings) << findings.error().message;
  auto runs = (*findings)->runs();
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].info.who, user_name(governance::Role::analyst));
  EXPECT_EQ((*runs)[0].stats.records, env.records);

  // Not due again until their intervals have passed.
  EXPECT_TRUE((*schedule)->run_due().empty());
  env.clock.advance(Duration::seconds(3600));
  const auto second = (*schedule)->run_due();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].job, "retention");

  // Past the records' retention (180 days, the store's default), retention deletes them all,
  // and the analysis run derived from them with them.
  env.clock.advance(Duration::seconds(181LL * 86400));
  const auto late = (*schedule)->run_due();
  ASSERT_EQ(late.size(), 2u);
  ASSERT_TRUE(late[0].ok) << late[0].message;
  const auto deletions = events(config(), governance::events::kRetentionDeleted);
  ASSERT_EQ(deletions.size(), 3u);
  EXPECT_EQ(deletions.back().body["records_deleted"], env.records);
  EXPECT_EQ(deletions.back().body["analysis_runs_deleted"].size(), 1u);
  auto store = store::open_store(env.store_url);
  ASSERT_TRUE(store);
  EXPECT_EQ(*(*store)->count({}), 0u);
  // The late analysis found nothing left to read in its window, and said so.
  EXPECT_TRUE(late[1].ok) << late[1].message;
  EXPECT_NE(late[1].message.find(" 0 records"), std::string::npos) << late[1].message;
}

TEST_F(MaintenanceScheduleTest,
       Invariant_I7_AScheduledAnalysisTheGateRefusesGetsNothingAndIsRecorded) {
  // An overseer account is not accepted as the analysis user at all.
  auto overseer = MaintenanceSchedule::create(analysis_by(user_name(governance::Role::overseer)),
                                              config(), env.clock);
  ASSERT_FALSE(overseer);
  EXPECT_NE(overseer.error().message.find("analyst"), std::string::npos);
  // An analyst whose purpose is not one of the installation's is refused by the I7 gate.
  ScheduleConfig config_with_bad_purpose = analysis_by(user_name(governance::Role::analyst));
  config_with_bad_purpose.analysis_purpose = "curiosity";
  config_with_bad_purpose.retention_every.reset();
  auto schedule = MaintenanceSchedule::create(config_with_bad_purpose, config(), env.clock);
  ASSERT_TRUE(schedule) << schedule.error().message;
  const auto reports = (*schedule)->run_due();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_FALSE(reports[0].ok);
  EXPECT_TRUE(events(config(), governance::events::kAccessRead).empty());
  const auto refusals = events(config(), governance::events::kAccessRefused);
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].body["purpose"], "curiosity");
  auto findings_file = site::findings_path(config());
  ASSERT_TRUE(findings_file);
  EXPECT_FALSE(std::filesystem::exists(*findings_file));
}

TEST_F(MaintenanceScheduleTest, MetricsShowEachJobsRunsResultsAndTimes) {
  // Retention succeeds; the analysis is refused by the gate (a purpose not configured).
  ScheduleConfig config_failing_analysis = analysis_by(user_name(governance::Role::analyst));
  config_failing_analysis.analysis_purpose = "curiosity";
  auto schedule = MaintenanceSchedule::create(config_failing_analysis, config(), env.clock);
  ASSERT_TRUE(schedule) << schedule.error().message;
  const auto at = [](Timestamp when) {
    return fmt::format("{:.3f}", static_cast<double>(when.nanos) / 1e9);
  };
  const Timestamp start = env.clock.now();

  const std::string before = (*schedule)->render_metrics();
  EXPECT_NE(before.find("mamori_schedule_runs_total{job=\"retention\",result=\"ok\"} 0\n"),
            std::string::npos)
      << before;
  EXPECT_NE(before.find("mamori_schedule_next_run_timestamp_seconds{job=\"analysis\"} " +
                        at(start) + "\n"),
            std::string::npos)
      << before;
  EXPECT_EQ(before.find("mamori_schedule_last_run_timestamp_seconds{"), std::string::npos);

  const auto reports = (*schedule)->run_due();
  ASSERT_EQ(reports.size(), 2u);
  ASSERT_TRUE(reports[0].ok) << reports[0].message;
  ASSERT_FALSE(reports[1].ok);
  const std::string after = (*schedule)->render_metrics();
  for (const std::string& line : std::vector<std::string>{
           "mamori_schedule_runs_total{job=\"retention\",result=\"ok\"} 1",
           "mamori_schedule_runs_total{job=\"retention\",result=\"failed\"} 0",
           "mamori_schedule_runs_total{job=\"analysis\",result=\"ok\"} 0",
           "mamori_schedule_runs_total{job=\"analysis\",result=\"failed\"} 1",
           "mamori_schedule_last_run_timestamp_seconds{job=\"retention\"} " + at(start),
           "mamori_schedule_last_run_timestamp_seconds{job=\"analysis\"} " + at(start),
           "mamori_schedule_last_success_timestamp_seconds{job=\"retention\"} " + at(start),
           "mamori_schedule_next_run_timestamp_seconds{job=\"retention\"} " +
               at(start + Duration::seconds(3600)),
           "mamori_schedule_next_run_timestamp_seconds{job=\"analysis\"} " +
               at(start + Duration::seconds(6 * 3600))}) {
    EXPECT_NE(after.find(line + "\n"), std::string::npos) << line << "\n" << after;
  }
  // An analysis that never succeeded has no success time to alert on but its absence.
  EXPECT_EQ(after.find("mamori_schedule_last_success_timestamp_seconds{job=\"analysis\"}"),
            std::string::npos);
  // Every line is a comment or `name{labels} value`: the exposition format.
  std::istringstream lines(after);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(line.starts_with("mamori_schedule_") && line.find("} ") != std::string::npos)
        << line;
  }
}

TEST_F(MaintenanceScheduleTest, TheThreadRunsDueJobsAndStopsWhileWaiting) {
  const SystemClock clock;
  ScheduleConfig config_every_hour;  // retention only, hourly: the second run is an hour away
  auto schedule = MaintenanceSchedule::create(config_every_hour, config(), clock);
  ASSERT_TRUE(schedule) << schedule.error().message;
  std::vector<JobReport> logged;
  std::mutex logged_mutex;
  (*schedule)->start([&](const JobReport& report) {
    std::lock_guard lock(logged_mutex);
    logged.push_back(report);
  });
  EXPECT_EQ((*schedule)->wait_for_runs(1, std::chrono::seconds(60)), 1u);
  (*schedule)->stop();  // must not wait the hour
  std::lock_guard lock(logged_mutex);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].job, "retention");
  EXPECT_TRUE(logged[0].ok) << logged[0].message;
}

}  // namespace
}  // namespace mamori::server
