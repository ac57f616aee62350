// Tests for analysis/sqlite_findings (FindingStore): a saved run reads back equal (findings by
// score, candidates, options, stats), filters by kind and limit, runs list oldest first, a
// reopened file keeps everything, retention deletes expired runs with their findings (I6), and
// files that are not findings databases are refused. Also the JSON readers' strictness.

#include "mamori/analysis/sqlite_findings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mamori/analysis/finding_json.h"
#include "mamori/store/store.h"
#include "support/temp_dir.h"

namespace mamori::analysis {
namespace {

// A fresh directory under the system temp dir (support/temp_dir.h), named mamori-findings-*.
struct TempDir : test_support::TempDir {
  TempDir() : test_support::TempDir("mamori-findings") {}
};

Finding finding(FindingKind kind, std::string subject, double score) {
  Finding f;
  f.kind = kind;
  f.id = finding_id(kind, subject);
  f.subject = std::move(subject);
  f.score = score;
  f.confidence = 0.123456789;
  f.evidence = {3, 5, 8};
  f.evidence_total = 40;
  f.first_seen = Timestamp{1'793'491'200'123'456'789};
  f.last_seen = Timestamp{1'793'494'800'000'000'001};
  f.expires_at = Timestamp{1'809'043'200'000'000'000};
  f.details = {{"clients", 12}, {"port", 0, "tcp/443"}, {"period_s", 60.000000001}};
  return f;
}

AnalysisResult sample_result() {
  AnalysisResult r;
  r.findings = {finding(FindingKind::c2_server, "192.0.2.50", 61.25),
                finding(FindingKind::beacon, "192.0.2.50", 55),
                finding(FindingKind::c2_server, "p2:100.64.0.9", 12.5),
                finding(FindingKind::shared_prefix, "203.0.113.0/24", 55)};
  r.candidates = {{"ip", "192.0.2.50/32", 61.25, {r.findings[0].id}, "c2 score 61.2"},
                  {"ja3", "e7d705a3286e19ea42f587b344ee6865", 40, {}, "implant"}};
  r.stats.records = 1000;
  r.stats.servers = 17;
  r.stats.read_seconds = 1.5;
  r.stats.first_record = Timestamp{1'793'491'200'000'000'000};
  return r;
}

AnalysisRunInfo info(Timestamp expires_at) {
  AnalysisRunInfo i;
  i.since = Timestamp{1'793'491'200'000'000'000};
  i.created_at = Timestamp{1'793'577'600'000'000'000};
  i.who = "analyst1";
  i.options.min_score = 5;
  i.expires_at = expires_at;
  return i;
}

TEST(FindingStore, SavedRunReadsBackEqual) {
  TempDir dir;
  const std::string path = dir.file("findings.db");
  AnalysisRunId id = 0;
  const AnalysisResult saved = sample_result();
  {
    auto store = open_sqlite_findings(path);
    ASSERT_TRUE(store.has_value()) << store.error().message;
    auto ok = (*store)->save(info(Timestamp{2'000'000'000'000'000'000}), saved);
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    id = *ok;
  }
  auto store = open_sqlite_findings(path);  // reopened
  ASSERT_TRUE(store.has_value()) << store.error().message;
  auto runs = (*store)->runs();
  ASSERT_TRUE(runs.has_value());
  ASSERT_EQ(runs->size(), 1u);
  const AnalysisRun& run = runs->front();
  EXPECT_EQ(run.id, id);
  EXPECT_EQ(run.info.who, "analyst1");
  EXPECT_EQ(run.info.since, info({}).since);
  EXPECT_FALSE(run.info.until.has_value());
  EXPECT_EQ(run.info.options, info({}).options);
  EXPECT_EQ(run.stats, saved.stats);
  EXPECT_EQ(run.findings, 4u);
  EXPECT_EQ(run.candidates, 2u);

  auto findings = (*store)->findings(id, {});
  ASSERT_TRUE(findings.has_value()) << findings.error().message;
  ASSERT_EQ(findings->size(), 4u);
  EXPECT_EQ((*findings)[0], saved.findings[0]);  // exact, times to the nanosecond
  EXPECT_EQ((*findings)[1].subject, "192.0.2.50");
  EXPECT_EQ((*findings)[1].kind, FindingKind::beacon);  // tie at 55: saved order
  EXPECT_EQ((*findings)[2].kind, FindingKind::shared_prefix);
  EXPECT_EQ((*findings)[3].subject, "p2:100.64.0.9");

  auto beacons = (*store)->findings(id, {.kind = FindingKind::beacon});
  ASSERT_TRUE(beacons.has_value());
  ASSERT_EQ(beacons->size(), 1u);
  auto top = (*store)->findings(id, {.limit = 2});
  ASSERT_TRUE(top.has_value());
  EXPECT_EQ(top->size(), 2u);

  auto candidates = (*store)->candidates(id);
  ASSERT_TRUE(candidates.has_value());
  EXPECT_EQ(*candidates, saved.candidates);

  auto one = (*store)->run(id);
  ASSERT_TRUE(one.has_value() && one->has_value());
  auto none = (*store)->run(id + 100);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

TEST(Invariant_I6, ExpiredAnalysisRunsAreDeletedWithTheirFindings) {
  TempDir dir;
  auto store = open_sqlite_findings(dir.file("findings.db"));
  ASSERT_TRUE(store.has_value());
  const Timestamp soon{1'800'000'000'000'000'000};
  const Timestamp later{1'900'000'000'000'000'000};
  auto a = (*store)->save(info(soon), sample_result());
  auto b = (*store)->save(info(later), sample_result());
  ASSERT_TRUE(a && b);
  EXPECT_LT(*a, *b);

  auto nothing = (*store)->delete_expired(Timestamp{soon.nanos - 1});
  ASSERT_TRUE(nothing.has_value());
  EXPECT_TRUE(nothing->runs.empty());

  auto deleted = (*store)->delete_expired(soon);  // expires_at <= as_of
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  EXPECT_EQ(deleted->runs, std::vector<AnalysisRunId>{*a});
  EXPECT_EQ(deleted->findings, 4u);
  EXPECT_EQ(deleted->candidates, 2u);
  auto gone = (*store)->findings(*a, {});
  ASSERT_TRUE(gone.has_value());
  EXPECT_TRUE(gone->empty());
  auto gone_candidates = (*store)->candidates(*a);
  ASSERT_TRUE(gone_candidates.has_value());
  EXPECT_TRUE(gone_candidates->empty());
  auto runs = (*store)->runs();
  ASSERT_TRUE(runs.has_value());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().id, *b);
  auto kept = (*store)->findings(*b, {});
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->size(), 4u);
}

TEST(Invariant_I6, DeletedFindingsLeaveNoReadableCopyInTheFile) {
  TempDir dir;
  const std::string path = dir.file("findings.db");
  {
    auto store = open_sqlite_findings(path);
    ASSERT_TRUE(store.has_value());
    AnalysisResult result = sample_result();
    result.findings[0].subject = "canary-subject-7f3a";
    ASSERT_TRUE((*store)->save(info(Timestamp{1}), result).has_value());
    auto deleted = (*store)->delete_expired(Timestamp{2});
    ASSERT_TRUE(deleted.has_value());
    ASSERT_EQ(deleted->runs.size(), 1u);
  }
  for (const std::string& file : {path, path + "-wal"}) {
    if (!std::filesystem::exists(file)) continue;
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("canary-subject-7f3a"), std::string::npos) << file;
  }
}

TEST(FindingStore, RefusesOtherDatabasesAndBadInput) {
  TempDir dir;
  const std::string store_path = dir.file("records.db");
  {
    auto records = store::open_store("sqlite:" + store_path);
    ASSERT_TRUE(records.has_value()) << records.error().message;
  }
  auto wrong = open_sqlite_findings(store_path);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message.find("not a mamori findings database"), std::string::npos);

  const std::string junk = dir.file("junk.db");
  {
    std::ofstream out(junk);
    out << "this is not sqlite at all, not even close............................";
  }
  EXPECT_FALSE(open_sqlite_findings(junk).has_value());

  auto store = open_sqlite_findings(":memory:");
  ASSERT_TRUE(store.has_value());
  AnalysisRunInfo anonymous = info({});
  anonymous.who.clear();
  EXPECT_FALSE((*store)->save(anonymous, sample_result()).has_value());
}

TEST(FindingJson, RoundTripsAndRejectsUnknownOrMissingFields) {
  const Finding f = finding(FindingKind::shared_fingerprint, "ja3:abc", 33.3);
  auto back = finding_from_json(finding_to_json(f));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, f);

  auto extra = finding_to_json(f);
  extra["payload"] = "x";
  auto rejected = finding_from_json(extra);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_NE(rejected.error().message.find("unknown field"), std::string::npos);

  auto missing = finding_to_json(f);
  missing.erase("subject");
  rejected = finding_from_json(missing);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_NE(rejected.error().message.find("'subject'"), std::string::npos);

  auto bad_kind = finding_to_json(f);
  bad_kind["kind"] = "192.0.2.1";
  rejected = finding_from_json(bad_kind);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().message.find("192.0.2.1"), std::string::npos);  // never echoed

  auto options = options_from_json(options_to_json(AnalysisOptions{}));
  ASSERT_TRUE(options.has_value());
  EXPECT_EQ(*options, AnalysisOptions{});
  const AnalysisStats stats = sample_result().stats;
  auto stats_back = stats_from_json(stats_to_json(stats));
  ASSERT_TRUE(stats_back.has_value());
  EXPECT_EQ(*stats_back, stats);
  for (std::string_view kind :
       {"c2_server", "beacon", "fan_in", "scan", "amplification", "shared_fingerprint",
        "shared_sni", "shared_domain_suffix", "tls_odd_port", "shared_prefix", "timeline"}) {
    auto parsed = parse_finding_kind(kind);
    ASSERT_TRUE(parsed.has_value()) << kind;
    EXPECT_EQ(to_string(*parsed), kind);
  }
}

}  // namespace
}  // namespace mamori::analysis
