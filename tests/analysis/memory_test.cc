// Tests for the Analyzer's memory bounds: with many more distinct subjects than its limits,
// the tables stay at or under their caps, memory stops growing, evictions are counted, and the
// known-C2 context (protected entries) survives the thinning with its findings.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "analysis_records.h"
#include "mamori/analysis/analyzer.h"

namespace mamori::analysis {
namespace {

using namespace testing;
using sieve::RuleKind;

sieve::Endpoint distinct_server(std::uint32_t n) {
  return foreign(fmt::format("{}.{}.{}.{}", 11 + (n >> 16) % 200, (n >> 8) & 0xff, n & 0xff, 7),
                 443);
}

TEST(AnalyzerMemory, TablesStayWithinTheirCapsWithManyDistinctSubjects) {
  AnalyzerLimits limits;
  limits.max_servers = 256;
  limits.max_clients = 256;
  limits.max_pairs = 512;
  limits.max_strings = 128;
  limits.max_behaviour_subjects = 64;
  Analyzer analyzer(limits);
  Random random{31};
  RecordId id = 0;
  // Known C2 context first: two infected hosts beaconing to a listed server.
  for (std::uint32_t h = 1; h <= 2; ++h) {
    for (double t : beacon_times(h, 300, 50, 0.05, random)) {
      sieve::Record r = flow(domestic(h), foreign("198.51.100.20", 443), at(t));
      add_match(r, "c2-ip", RuleKind::ip);
      analyzer.add(++id, r);
    }
  }
  std::size_t memory_at_10k = 0;
  for (std::uint32_t n = 0; n < 60'000; ++n) {
    sieve::Record r = flow(domestic(10'000 + n % 50'000), distinct_server(n), at(n * 0.5));
    add_tls(r, fmt::format("host{}.example.net", n), fmt::format("{:032x}", n));
    add_match(r, "wide-port", RuleKind::port);
    analyzer.add(++id, r);
    // Scanners: one distinct source per record.
    sieve::Record s = flow(distinct_server(n + 1'000'000), domestic(n % 60'000, 22), at(n * 0.5));
    add_match(s, "scan", RuleKind::scan, {{"targets", 70}});
    analyzer.add(++id, s);
    if (n == 10'000) memory_at_10k = analyzer.memory_bytes();
    const AnalysisStats stats = analyzer.stats();
    ASSERT_LE(stats.servers, limits.max_servers);
    ASSERT_LE(stats.clients, limits.max_clients);
    ASSERT_LE(stats.pairs, limits.max_pairs);
    ASSERT_LE(stats.strings, limits.max_strings);
    ASSERT_LE(stats.behaviour_subjects, 2 * limits.max_behaviour_subjects);
  }
  const AnalysisStats stats = analyzer.stats();
  EXPECT_GT(stats.evicted, 100'000u);
  EXPECT_GT(stats.compactions, 100u);
  EXPECT_GT(stats.rejected, 0u);  // strings: the name table is full and never thinned
  // Memory no longer grows with the number of distinct subjects.
  EXPECT_LE(analyzer.memory_bytes(), memory_at_10k * 5 / 4);
  EXPECT_LT(analyzer.memory_bytes(), std::size_t{2} << 20);
  EXPECT_LE(stats.peak_memory_bytes, std::size_t{2} << 20);

  const AnalysisResult result = analyzer.finish();
  const Finding* known = find(result, FindingKind::c2_server, "198.51.100.20");
  ASSERT_NE(known, nullptr);
  EXPECT_EQ(detail_number(*known, "known"), 1);
  EXPECT_EQ(known->evidence_total, 100u);
  const Finding* beacon = find(result, FindingKind::beacon, "198.51.100.20");
  ASSERT_NE(beacon, nullptr);
  EXPECT_EQ(detail_number(*beacon, "regular_pairs"), 2);
}

TEST(AnalyzerMemory, EvidenceIsCappedPerSubject) {
  AnalyzerLimits limits;
  limits.evidence_per_subject = 8;
  Analyzer analyzer(limits);
  for (RecordId id = 1; id <= 1000; ++id) {
    sieve::Record r =
        flow(domestic(1), foreign("198.51.100.20", 443), at(static_cast<double>(id) * 60));
    add_match(r, "c2-ip", RuleKind::ip);
    analyzer.add(id, r);
  }
  const AnalysisResult result = analyzer.finish();
  const Finding* c2 = find(result, FindingKind::c2_server, "198.51.100.20");
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->evidence_total, 1000u);
  // The first half and the latest half of the cap.
  EXPECT_EQ(c2->evidence, (std::vector<RecordId>{1, 2, 3, 4, 997, 998, 999, 1000}));
}

TEST(AnalyzerMemory, ThinnedPairsStillCountTowardsPopularity) {
  AnalyzerLimits limits;
  limits.max_pairs = 128;
  Analyzer analyzer(limits);
  Random random{32};
  RecordId id = 0;
  for (std::uint32_t h = 1; h <= 3; ++h) {
    for (double t : beacon_times(h, 300, 40, 0.05, random)) {
      sieve::Record r = flow(domestic(h), foreign("198.51.100.20", 443), at(t));
      add_match(r, "c2-ip", RuleKind::ip);
      analyzer.add(++id, r);
    }
  }
  // A popular periodic service: 300 clients, hourly, far more pairs than the table holds.
  for (std::uint32_t c = 0; c < 300; ++c) {
    for (double t : beacon_times(c, 3600, 5, 0.01, random)) {
      sieve::Record r = flow(domestic(100 + c), foreign("198.18.7.10", 443), at(t));
      add_tls(r, "updates.vendor-example.net", "cd08e31494f9531f560d64c695473da9");
      add_match(r, "beacon", RuleKind::beacon,
                {{"connections", 5}, {"cv", 0.01}, {"mean_interval_s", 3600}});
      analyzer.add(++id, r);
    }
  }
  const AnalysisResult result = analyzer.finish();
  EXPECT_GT(result.stats.evicted, 100u);
  const Finding* decoy = find(result, FindingKind::c2_server, "198.18.7.10");
  ASSERT_NE(decoy, nullptr);
  EXPECT_GT(detail_number(*decoy, "clients"), 250);  // estimated, not the surviving pairs
  EXPECT_LT(detail_number(*decoy, "benign_discount"), 0.1);
  EXPECT_GT(c2_score(result, "198.51.100.20"), decoy->score);
}

}  // namespace
}  // namespace mamori::analysis
