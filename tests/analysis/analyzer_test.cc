// Tests for analysis/analyzer: beaconing and fan-in from many pseudonymous clients with the
// right evidence, the C2 ranking against periodic benign decoys (NTP-like, update checks), a
// C2 hopping across a /24, a shared JA3 linking an unknown server to known C2, DNS lookups of
// listed names, scan/amplification aggregation, timelines, robustness to record order, and
// determinism.

#include "mamori/analysis/analyzer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "analysis_records.h"

namespace mamori::analysis {
namespace {

using namespace testing;
using sieve::RuleKind;

constexpr const char* kJa3Implant = "e7d705a3286e19ea42f587b344ee6865";
constexpr const char* kJa3Common = "cd08e31494f9531f560d64c695473da9";

std::vector<sieve::Measure> beacon_measures(double cv, double interval) {
  return {{"connections", 12}, {"cv", cv}, {"mean_interval_s", interval}};
}

bool contains_all(const std::vector<RecordId>& haystack, const std::vector<RecordId>& needles) {
  return std::all_of(needles.begin(), needles.end(), [&](RecordId id) {
    return std::find(haystack.begin(), haystack.end(), id) != haystack.end();
  });
}

bool subset_of(const std::vector<RecordId>& part, const std::vector<RecordId>& whole) {
  return contains_all(whole, part);
}

TEST(Analyzer, BeaconsFromManyPseudonymousClientsGiveBeaconAndFanInWithEvidence) {
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{1};
  const auto server = foreign("203.0.113.10", 443);
  for (std::uint32_t c = 0; c < 10; ++c) {
    for (double t : beacon_times(c * 7.0, 60, 20, 0.02, random)) {
      sieve::Record r = flow(domestic(c + 1), server, at(t));
      add_tls(r, "", kJa3Implant);
      add_match(r, "beacon-60s", RuleKind::beacon, beacon_measures(0.02, 60));
      feed.add(r, "c2");
    }
  }
  // Irregular traffic to another server from three clients, selected by a port rule.
  const auto other = foreign("198.51.100.80", 8080);
  for (std::uint32_t c = 0; c < 3; ++c) {
    for (double t : poisson_times(0, 90, 20, random)) {
      sieve::Record r = flow(domestic(100 + c), other, at(t), {.bytes_rev = 50'000 * (c + 1)});
      add_match(r, "odd-port", RuleKind::port);
      feed.add(r, "other");
    }
  }
  const AnalysisResult result = analyzer.finish();

  const Finding* beacon = find(result, FindingKind::beacon, "203.0.113.10");
  ASSERT_NE(beacon, nullptr);
  EXPECT_EQ(detail_number(*beacon, "regular_pairs"), 10);
  EXPECT_NEAR(detail_number(*beacon, "period_s"), 60, 2);
  EXPECT_GT(detail_number(*beacon, "periodicity"), 0.9);
  EXPECT_EQ(beacon->evidence_total, 200u);
  EXPECT_LE(beacon->evidence.size(), kMaxEvidence);
  EXPECT_FALSE(beacon->evidence.empty());
  EXPECT_TRUE(subset_of(beacon->evidence, feed.ids("c2")));
  EXPECT_TRUE(std::is_sorted(beacon->evidence.begin(), beacon->evidence.end()));
  EXPECT_GE(beacon->first_seen, at(-2));
  EXPECT_LT(beacon->first_seen, at(1));
  EXPECT_GT(beacon->last_seen, at(60 * 19));

  const Finding* fan_in = find(result, FindingKind::fan_in, "203.0.113.10");
  ASSERT_NE(fan_in, nullptr);
  EXPECT_EQ(detail_number(*fan_in, "clients"), 10);
  EXPECT_EQ(detail_number(*fan_in, "domestic_clients"), 10);
  EXPECT_GT(detail_number(*fan_in, "shape_similarity"), 0.9);
  EXPECT_TRUE(subset_of(fan_in->evidence, feed.ids("c2")));
  EXPECT_EQ(fan_in->id, finding_id(FindingKind::fan_in, "203.0.113.10"));

  // The irregular server is not a beacon, and it ranks below the beaconing one.
  EXPECT_EQ(find(result, FindingKind::beacon, "198.51.100.80"), nullptr);
  EXPECT_GT(c2_score(result, "203.0.113.10"), c2_score(result, "198.51.100.80"));
  EXPECT_TRUE(std::is_sorted(result.findings.begin(), result.findings.end(),
                             [](const Finding& a, const Finding& b) { return a.score > b.score; }));
}

// The ranking scenario: three C2 servers (one known by an ip rule, one reached only by beacons
// of hosts that also talk to the known one, one over TLS without SNI on an odd port) and two
// periodic benign decoys that a beacon rule also selected: an NTP-like service on udp/123 and
// software-update checks over HTTPS, both with many clients, some of them infected hosts.
struct RankingScenario {
  AnalysisResult result;
  std::vector<std::string> c2 = {"198.51.100.20", "192.0.2.50", "203.0.113.77"};
  std::vector<std::string> decoys = {"198.18.0.123", "198.18.7.10"};
};

RankingScenario ranking_scenario(std::uint64_t seed) {
  RankingScenario s;
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{seed};
  const double day = 86400;
  const auto known = foreign(s.c2[0], 443);
  for (std::uint32_t h = 1; h <= 6; ++h) {
    for (double t : beacon_times(h * 11.0, 300, static_cast<std::size_t>(day / 300), 0.1, random)) {
      sieve::Record r = flow(domestic(h), known, at(t), {.bytes_fwd = 900, .bytes_rev = 2400});
      add_tls(r, "static.c2-known.example", kJa3Common);
      add_match(r, "c2-ip", RuleKind::ip);
      feed.add(r);
    }
  }
  const auto second = foreign(s.c2[1], 8443);
  for (std::uint32_t h = 1; h <= 4; ++h) {
    for (double t : beacon_times(h * 5.0, 120, 200, 0.15, random)) {
      sieve::Record r = flow(domestic(h), second, at(t), {.bytes_fwd = 700, .bytes_rev = 900});
      add_tls(r, "", kJa3Implant);
      add_match(r, "beacon", RuleKind::beacon, beacon_measures(0.09, 120));
      feed.add(r);
    }
  }
  const auto lone = foreign(s.c2[2], 443);
  for (double t : beacon_times(50, 900, 96, 0.2, random)) {
    sieve::Record r = flow(domestic(5), lone, at(t), {.bytes_fwd = 1200, .bytes_rev = 300});
    add_tls(r, "img.cdn-photos.example", kJa3Implant);
    add_match(r, "beacon", RuleKind::beacon, beacon_measures(0.12, 900));
    feed.add(r);
  }
  // NTP-like: 60 clients (three of them infected hosts) polling every 64 s, 48-byte packets.
  const auto ntp = foreign(s.decoys[0], 123);
  for (std::uint32_t c = 0; c < 60; ++c) {
    const std::uint32_t host = c < 3 ? c + 1 : 1000 + c;
    for (double t : beacon_times(c * 1.3, 64, 300, 0.005, random)) {
      sieve::Record r = flow(domestic(host, 123), ntp, at(t),
                             {.bytes_fwd = 76,
                              .bytes_rev = 76,
                              .packets_fwd = 1,
                              .packets_rev = 1,
                              .duration_s = 0.02,
                              .protocol = 17});
      add_match(r, "beacon", RuleKind::beacon, beacon_measures(0.005, 64));
      feed.add(r);
    }
  }
  // Update checks: 80 clients (all six infected hosts among them), hourly, with a common
  // client fingerprint that the known C2's beacons also use.
  const auto updates = foreign(s.decoys[1], 443);
  for (std::uint32_t c = 0; c < 80; ++c) {
    const std::uint32_t host = c < 6 ? c + 1 : 2000 + c;
    for (double t : beacon_times(c * 37.0, 3600, 24, 0.01, random)) {
      sieve::Record r =
          flow(domestic(host), updates, at(t), {.bytes_fwd = 1500, .bytes_rev = 4000});
      add_tls(r, "updates.vendor-example.net", kJa3Common);
      add_match(r, "beacon", RuleKind::beacon, beacon_measures(0.01, 3600));
      feed.add(r);
    }
  }
  s.result = analyzer.finish();
  return s;
}

TEST(Analyzer, PeriodicBenignDecoysRankBelowEveryC2Server) {
  // Seeds other than the one the weights were looked at with.
  for (std::uint64_t seed : {101u, 202u, 303u}) {
    const RankingScenario s = ranking_scenario(seed);
    double lowest_c2 = 100;
    for (const auto& c2 : s.c2) {
      const double score = c2_score(s.result, c2);
      ASSERT_GE(score, 0) << c2;
      lowest_c2 = std::min(lowest_c2, score);
    }
    double highest_decoy = 0;
    for (const auto& decoy : s.decoys) {
      const double score = c2_score(s.result, decoy);
      ASSERT_GE(score, 0) << decoy;
      highest_decoy = std::max(highest_decoy, score);
      // Their regularity is real and reported, but discounted.
      const Finding* beacon = find(s.result, FindingKind::beacon, decoy);
      ASSERT_NE(beacon, nullptr) << decoy;
      EXPECT_GT(detail_number(*beacon, "periodicity"), 0.9);
      EXPECT_LT(detail_number(*beacon, "benign_discount"), 0.5);
    }
    EXPECT_GT(lowest_c2, highest_decoy) << "seed " << seed;
    // The same holds for the beacon findings' scores.
    for (const auto& decoy : s.decoys) {
      for (const auto& c2 : {s.c2[0], s.c2[1]}) {
        EXPECT_GT(find(s.result, FindingKind::beacon, c2)->score,
                  find(s.result, FindingKind::beacon, decoy)->score);
      }
    }
  }
}

TEST(Analyzer, ClientOverlapWithKnownC2RaisesAnUnknownServer) {
  const RankingScenario s = ranking_scenario(7);
  const Finding* second = find(s.result, FindingKind::c2_server, "192.0.2.50");
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(detail_number(*second, "infected_clients"), 4);
  EXPECT_GT(detail_number(*second, "client_overlap"), 0.9);
  EXPECT_EQ(detail_number(*second, "known"), 0);
  const Finding* tls = find(s.result, FindingKind::tls_odd_port, "192.0.2.50");
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(detail_number(*tls, "without_sni"), 800);
  // The known server's clients talk to no other known C2, so its own overlap stays 0: being
  // known is what ranks it.
  const Finding* known = find(s.result, FindingKind::c2_server, "198.51.100.20");
  ASSERT_NE(known, nullptr);
  EXPECT_EQ(detail_number(*known, "known"), 1);
}

TEST(Analyzer, C2HoppingAcrossASlash24GivesASharedPrefixFinding) {
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{3};
  const std::vector<std::string> hops = {"203.0.113.10", "203.0.113.44", "203.0.113.97",
                                         "203.0.113.200"};
  for (std::uint32_t h = 1; h <= 5; ++h) {
    for (double t : beacon_times(h * 3.0, 600, 144, 0.05, random)) {
      const std::size_t pick = random.next() % hops.size();
      sieve::Record r = flow(domestic(h), foreign(hops[pick], 443), at(t));
      add_tls(r, "", kJa3Implant);
      // Only the first hop is listed; the others were selected by the implant fingerprint.
      if (pick == 0) {
        add_match(r, "c2-ip", RuleKind::ip);
      } else {
        add_match(r, "implant-ja3", RuleKind::ja3);
      }
      feed.add(r, hops[pick]);
    }
  }
  // An unrelated, benign-looking server in another prefix.
  for (double t : poisson_times(0, 400, 50, random)) {
    sieve::Record r = flow(domestic(50), foreign("198.51.100.9", 443), at(t));
    add_tls(r, "www.shop.example", kJa3Common);
    add_match(r, "odd", RuleKind::port);
    feed.add(r);
  }
  const AnalysisResult result = analyzer.finish();
  const Finding* prefix = find(result, FindingKind::shared_prefix, "203.0.113.0/24");
  ASSERT_NE(prefix, nullptr);
  EXPECT_EQ(detail_number(*prefix, "servers"), 4);
  EXPECT_EQ(detail_number(*prefix, "suspicious_servers"), 4);
  EXPECT_GE(detail_number(*prefix, "known_servers"), 1);
  const std::string members = find_detail(*prefix, "members")->text;
  for (const auto& hop : hops) EXPECT_NE(members.find(hop), std::string::npos) << hop;
  // Evidence from every hop.
  for (const auto& hop : hops) {
    EXPECT_TRUE(std::any_of(prefix->evidence.begin(), prefix->evidence.end(), [&](RecordId id) {
      const auto& ids = feed.ids(hop);
      return std::find(ids.begin(), ids.end(), id) != ids.end();
    })) << hop;
  }
  for (const auto& hop : hops) {
    EXPECT_GT(c2_score(result, hop), c2_score(result, "198.51.100.9")) << hop;
  }
  EXPECT_EQ(find(result, FindingKind::shared_prefix, "198.51.100.0/24"), nullptr);
}

TEST(Analyzer, SharedJa3WithKnownC2RanksAndProposesAnUnknownServer) {
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{4};
  // Known C2 (ip rule) contacted by two infected hosts with the implant's JA3.
  for (std::uint32_t h = 1; h <= 2; ++h) {
    for (double t : beacon_times(h, 300, 100, 0.1, random)) {
      sieve::Record r = flow(domestic(h), foreign("198.51.100.20", 443), at(t));
      add_tls(r, "", kJa3Implant);
      add_match(r, "c2-ip", RuleKind::ip);
      feed.add(r);
    }
  }
  // An unknown server, contacted by a third host with the same JA3 (selected by a beacon rule).
  for (double t : beacon_times(3, 450, 60, 0.1, random)) {
    sieve::Record r = flow(domestic(3), foreign("192.0.2.66", 443), at(t));
    add_tls(r, "", kJa3Implant);
    add_match(r, "beacon", RuleKind::beacon, beacon_measures(0.06, 450));
    feed.add(r, "unknown");
  }
  // A periodic benign server with another fingerprint.
  for (std::uint32_t c = 0; c < 30; ++c) {
    for (double t : beacon_times(c, 3600, 10, 0.01, random)) {
      sieve::Record r = flow(domestic(500 + c), foreign("198.18.7.10", 443), at(t));
      add_tls(r, "updates.vendor-example.net", kJa3Common);
      add_match(r, "beacon", RuleKind::beacon, beacon_measures(0.01, 3600));
      feed.add(r);
    }
  }
  const AnalysisResult result = analyzer.finish();
  const std::string subject = std::string("ja3:") + kJa3Implant;
  const Finding* shared = find(result, FindingKind::shared_fingerprint, subject);
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(detail_number(*shared, "servers"), 2);
  EXPECT_EQ(detail_number(*shared, "known_servers"), 1);
  EXPECT_FALSE(shared->evidence.empty());

  const Finding* unknown = find(result, FindingKind::c2_server, "192.0.2.66");
  ASSERT_NE(unknown, nullptr);
  EXPECT_GT(detail_number(*unknown, "shared_infrastructure"), 0);
  EXPECT_GT(unknown->score, c2_score(result, "198.18.7.10"));

  auto candidate = std::find_if(result.candidates.begin(), result.candidates.end(),
                                [](const CandidateIndicator& c) { return c.kind == "ip"; });
  ASSERT_NE(candidate, result.candidates.end());
  EXPECT_EQ(candidate->value, "192.0.2.66/32");
  EXPECT_NE(std::find(candidate->finding_ids.begin(), candidate->finding_ids.end(), unknown->id),
            candidate->finding_ids.end());
  EXPECT_NE(std::find(candidate->finding_ids.begin(), candidate->finding_ids.end(), shared->id),
            candidate->finding_ids.end());
  // The known server's address is covered by the ip rule that matched its records.
  for (const CandidateIndicator& c : result.candidates) {
    EXPECT_NE(c.value, "198.51.100.20/32");
    EXPECT_NE(c.value.find("198.18.7.10"), 0u);
  }
  // The implant fingerprint itself is proposed (no ja3 rule matched it).
  EXPECT_TRUE(std::any_of(
      result.candidates.begin(), result.candidates.end(),
      [](const CandidateIndicator& c) { return c.kind == "ja3" && c.value == kJa3Implant; }));
}

TEST(Analyzer, NamesAndFingerprintsSeenOnlyOnListedServersAreNotProposed) {
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{41};
  // A C2 network listed by an ip rule, its beacons dressed with a popular "cover" SNI and a
  // browser fingerprint that benign traffic (never stored) shares.
  for (std::uint32_t h = 1; h <= 4; ++h) {
    for (double t : beacon_times(h, 300, 50, 0.05, random)) {
      const std::string hop = fmt::format("203.0.113.{}", 10 + random.next() % 4);
      sieve::Record r = flow(domestic(h), foreign(hop, 443), at(t));
      add_tls(r, "static.popular-site.example", kJa3Common);
      add_match(r, "c2-net", RuleKind::ip);
      feed.add(r);
    }
  }
  const AnalysisResult result = analyzer.finish();
  EXPECT_NE(find(result, FindingKind::shared_fingerprint, std::string("ja3:") + kJa3Common),
            nullptr);                                      // the link is reported...
  for (const CandidateIndicator& c : result.candidates) {  // ...but nothing is proposed
    ADD_FAILURE() << c.kind << " " << c.value;
  }
}

TEST(Analyzer, ListedReflectorsDoNotMakeTheirVictimsInfected) {
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{42};
  // Spoofed queries "from" a domestic victim to listed open resolvers.
  for (std::uint32_t reflector = 0; reflector < 12; ++reflector) {
    for (int q = 0; q < 5; ++q) {
      sieve::Record r =
          flow(domestic(9, 33333), foreign(fmt::format("198.51.100.{}", 100 + reflector), 53),
               at(reflector * 10.0 + q),
               {.bytes_fwd = 70,
                .bytes_rev = 3000,
                .packets_fwd = 1,
                .packets_rev = 2,
                .duration_s = 0.01,
                .protocol = 17});
      add_match(r, "dns-reflectors", RuleKind::ip);
      feed.add(r);
    }
  }
  // The victim host also beacons to an unlisted server (selected by a beacon rule).
  for (double t : beacon_times(5, 600, 30, 0.02, random)) {
    sieve::Record r = flow(domestic(9), foreign("192.0.2.80", 443), at(t));
    add_tls(r, "cdn.images-example.net", kJa3Common);
    add_match(r, "beacon", RuleKind::beacon,
              {{"connections", 9}, {"cv", 0.02}, {"mean_interval_s", 600}});
    feed.add(r);
  }
  // A true C2 listed by an ip rule.
  for (std::uint32_t h = 1; h <= 3; ++h) {
    for (double t : beacon_times(h, 300, 30, 0.05, random)) {
      sieve::Record r = flow(domestic(h), foreign("198.51.100.20", 443), at(t));
      add_match(r, "c2-ip", RuleKind::ip);
      feed.add(r);
    }
  }
  const AnalysisResult result = analyzer.finish();
  const Finding* beacon_server = find(result, FindingKind::c2_server, "192.0.2.80");
  ASSERT_NE(beacon_server, nullptr);
  EXPECT_EQ(detail_number(*beacon_server, "infected_clients"), 0);
  const double reflector = c2_score(result, "198.51.100.100");
  EXPECT_GT(reflector, 0);
  EXPECT_LT(reflector, c2_score(result, "198.51.100.20"));
}

TEST(Analyzer, PseudonymousEndpointsNeverBecomeCandidates) {
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{5};
  for (std::uint32_t h = 1; h <= 3; ++h) {
    for (double t : beacon_times(h, 300, 100, 0.05, random)) {
      sieve::Record r = flow(domestic(h), foreign("198.51.100.20", 443), at(t));
      add_tls(r, "", kJa3Implant);
      add_match(r, "c2-ip", RuleKind::ip);
      feed.add(r);
    }
    // The same hosts beacon to a foreign server the field policy pseudonymized, and to a
    // domestic host's pseudonymized address put in the SNI.
    for (double t : beacon_times(h + 1, 200, 150, 0.05, random)) {
      sieve::Record r = flow(domestic(h), foreign("100.99.1.2", 443, 3), at(t));
      add_tls(r, "p3:100.99.1.2", kJa3Implant);
      add_match(r, "beacon", RuleKind::beacon, beacon_measures(0.03, 200));
      feed.add(r);
    }
  }
  const AnalysisResult result = analyzer.finish();
  const Finding* hidden = find(result, FindingKind::c2_server, "p3:100.99.1.2");
  ASSERT_NE(hidden, nullptr);
  EXPECT_GE(hidden->score, AnalysisOptions{}.candidate_min_score);  // would qualify in clear
  for (const CandidateIndicator& c : result.candidates) {
    EXPECT_EQ(c.value.find("p3"), std::string::npos) << c.value;
    EXPECT_EQ(c.value.find("100.99."), std::string::npos) << c.value;
    EXPECT_EQ(c.value.find("100.64."), std::string::npos) << c.value;
    const auto kind = sieve::parse_rule_kind(c.kind);
    ASSERT_TRUE(kind.has_value());
  }
}

TEST(Analyzer, LookupOfAListedNameMarksTheClientNotTheResolver) {
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{6};
  const auto resolver = foreign("198.51.100.53", 53);
  for (std::uint32_t h = 1; h <= 4; ++h) {
    for (double t : beacon_times(h, 600, 40, 0.01, random)) {
      sieve::Record r = flow(domestic(h, 40000), resolver, at(t),
                             {.bytes_fwd = 60,
                              .bytes_rev = 120,
                              .packets_fwd = 1,
                              .packets_rev = 1,
                              .duration_s = 0.01,
                              .protocol = 17});
      r.dns.push_back({"c2.example.net", 1, 0, {*IpAddress::parse("203.0.113.9")}, 0});
      add_match(r, "c2-domain", RuleKind::domain);
      feed.add(r);
      // ...then connects to the answer, selected by a beacon rule only.
      sieve::Record c = flow(domestic(h), foreign("203.0.113.9", 443), at(t + 0.2));
      add_tls(c, "", kJa3Implant);
      add_match(c, "beacon", RuleKind::beacon, beacon_measures(0.02, 600));
      feed.add(c);
    }
  }
  const AnalysisResult result = analyzer.finish();
  EXPECT_EQ(find(result, FindingKind::c2_server, "198.51.100.53"), nullptr);
  const Finding* answer = find(result, FindingKind::c2_server, "203.0.113.9");
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(detail_number(*answer, "known"), 1);
  EXPECT_EQ(detail_number(*answer, "infected_clients"), 4);
}

TEST(Analyzer, ScanAndAmplificationMatchesAggregatePerSubject) {
  Analyzer analyzer;
  Feed feed(analyzer);
  const auto scanner = foreign("192.0.2.200", 41000);
  for (std::uint32_t target = 0; target < 300; ++target) {
    sieve::Record r = flow(scanner, domestic(3000 + target, 22), at(target * 0.5),
                           {.bytes_fwd = 60, .bytes_rev = 0, .packets_fwd = 1, .packets_rev = 0});
    add_match(r, "scan-wide", RuleKind::scan,
              {{"failed_ratio", 0.97}, {"min_targets", 64}, {"targets", 64.0 + target / 4}});
    feed.add(r, "scan");
  }
  const auto victim = domestic(77, 33333);
  for (std::uint32_t reflector = 0; reflector < 20; ++reflector) {
    const auto resolver = foreign(fmt::format("198.51.100.{}", 100 + reflector), 53);
    sieve::Record r = flow(
        resolver, victim, at(reflector),
        {.bytes_fwd = 90'000, .bytes_rev = 0, .packets_fwd = 30, .packets_rev = 0, .protocol = 17});
    add_match(r, "dns-amp", RuleKind::amplification,
              {{"ratio", 55}, {"response_bytes", 90000}, {"service_port", 53}});
    feed.add(r, "amp");
  }
  // A spoofed request seen the other way round (victim → reflector) has the same victim.
  sieve::Record request =
      flow(victim, foreign("198.51.100.100", 53), at(30),
           {.bytes_fwd = 70, .bytes_rev = 0, .packets_fwd = 1, .packets_rev = 0, .protocol = 17});
  add_match(request, "dns-amp", RuleKind::amplification, {{"ratio", 40}, {"service_port", 53}});
  feed.add(request, "amp");
  const AnalysisResult result = analyzer.finish();
  const Finding* scan = find(result, FindingKind::scan, "192.0.2.200");
  ASSERT_NE(scan, nullptr);
  EXPECT_EQ(scan->evidence_total, 300u);
  EXPECT_EQ(detail_number(*scan, "targets"), 64 + 299 / 4);
  EXPECT_NEAR(detail_number(*scan, "failed_ratio"), 0.97, 1e-9);
  EXPECT_NEAR(detail_number(*scan, "peers"), 300, 80);  // estimated
  EXPECT_EQ(find_detail(*scan, "top_port")->text, "tcp/22");
  EXPECT_TRUE(subset_of(scan->evidence, feed.ids("scan")));
  EXPECT_GT(scan->score, 80);
  // Scan-only records make no servers.
  EXPECT_EQ(find(result, FindingKind::c2_server, "p2:100.64.11.184"), nullptr);

  const Finding* amp = find(result, FindingKind::amplification, "p2:100.64.0.77");
  ASSERT_NE(amp, nullptr);
  EXPECT_EQ(detail_number(*amp, "ratio"), 55);
  EXPECT_NEAR(detail_number(*amp, "reflectors"), 20, 3);
  EXPECT_EQ(amp->evidence_total, 21u);
  EXPECT_TRUE(subset_of(amp->evidence, feed.ids("amp")));
}

TEST(Analyzer, TimelineCountsPerHourForTopServers) {
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{8};
  for (double t : beacon_times(0, 600, 36, 0.0, random)) {  // 6 per hour for 6 hours
    sieve::Record r = flow(domestic(1), foreign("198.51.100.20", 443), at(t + 1));
    add_match(r, "c2-ip", RuleKind::ip);
    feed.add(r);
  }
  AnalysisOptions options;
  options.timeline_top = 1;
  const AnalysisResult result = analyzer.finish(options);
  const Finding* timeline = find(result, FindingKind::timeline, "198.51.100.20");
  ASSERT_NE(timeline, nullptr);
  EXPECT_EQ(find_detail(*timeline, "counts")->text, "6 6 6 6 6 6");
  EXPECT_EQ(detail_number(*timeline, "bucket_hours"), 1);
  EXPECT_EQ(find_detail(*timeline, "start")->text, "2026-11-01T00:00:00Z");
  EXPECT_EQ(std::count_if(result.findings.begin(), result.findings.end(),
                          [](const Finding& f) { return f.kind == FindingKind::timeline; }),
            1);
}

TEST(Analyzer, TimelineWidensBucketsBeyondTwoDays) {
  Analyzer analyzer;
  Feed feed(analyzer);
  for (int hour = 0; hour < 96; ++hour) {
    sieve::Record r = flow(domestic(1), foreign("198.51.100.20", 443), at(hour * 3600.0 + 5));
    add_match(r, "c2-ip", RuleKind::ip);
    feed.add(r);
  }
  const AnalysisResult result = analyzer.finish();
  const Finding* timeline = find(result, FindingKind::timeline, "198.51.100.20");
  ASSERT_NE(timeline, nullptr);
  EXPECT_EQ(detail_number(*timeline, "bucket_hours"), 2);
  EXPECT_EQ(detail_number(*timeline, "buckets"), 48);
}

TEST(Analyzer, RecordsOutOfStartOrderStillShowTheBeacon) {
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{9};
  std::vector<double> times = beacon_times(0, 60, 100, 0.02, random);
  // Store order is about flow end: swap neighbours, as flows of varying length would.
  for (std::size_t i = 0; i + 1 < times.size(); i += 3) std::swap(times[i], times[i + 1]);
  for (double t : times) {
    sieve::Record r = flow(domestic(1), foreign("203.0.113.5", 4444), at(t));
    add_match(r, "raw-port", RuleKind::port);
    feed.add(r);
  }
  const AnalysisResult result = analyzer.finish();
  EXPECT_EQ(analyzer.stats().out_of_order, 0u);
  const Finding* beacon = find(result, FindingKind::beacon, "203.0.113.5");
  ASSERT_NE(beacon, nullptr);
  EXPECT_GT(detail_number(*beacon, "periodicity"), 0.9);
  EXPECT_NEAR(detail_number(*beacon, "period_s"), 60, 1);
}

TEST(Analyzer, SameRecordsGiveTheSameResult) {
  const RankingScenario a = ranking_scenario(11);
  const RankingScenario b = ranking_scenario(11);
  ASSERT_EQ(a.result.findings.size(), b.result.findings.size());
  for (std::size_t i = 0; i < a.result.findings.size(); ++i) {
    EXPECT_EQ(a.result.findings[i].id, b.result.findings[i].id);
    EXPECT_EQ(a.result.findings[i].evidence, b.result.findings[i].evidence);
    EXPECT_DOUBLE_EQ(a.result.findings[i].score, b.result.findings[i].score);
  }
  EXPECT_EQ(a.result.candidates, b.result.candidates);
  EXPECT_EQ(finding_id(FindingKind::c2_server, "192.0.2.50"),
            finding_id(FindingKind::c2_server, "192.0.2.50"));
  EXPECT_NE(finding_id(FindingKind::c2_server, "192.0.2.50"),
            finding_id(FindingKind::beacon, "192.0.2.50"));
  EXPECT_EQ(finding_id(FindingKind::c2_server, "192.0.2.50").size(), 18u);
}

TEST(Analyzer, OptionsFilterAndCapFindings) {
  AnalysisOptions options;
  options.min_score = 30;
  options.max_findings_per_kind = 2;
  Analyzer analyzer;
  Feed feed(analyzer);
  Random random{12};
  for (std::uint32_t i = 0; i < 5; ++i) {
    for (double t : beacon_times(i, 300, 50, 0.05, random)) {
      sieve::Record r =
          flow(domestic(i + 1), foreign(fmt::format("198.51.100.{}", 20 + i), 443), at(t));
      add_match(r, "c2-ip", RuleKind::ip);
      feed.add(r);
    }
  }
  const AnalysisResult result = analyzer.finish(options);
  std::map<FindingKind, int> per_kind;
  for (const Finding& f : result.findings) {
    EXPECT_GE(f.score, 30);
    ++per_kind[f.kind];
  }
  for (const auto& [kind, count] : per_kind) EXPECT_LE(count, 2) << to_string(kind);
  EXPECT_EQ(per_kind[FindingKind::c2_server], 2);
}

TEST(Analyzer, DdRecordsAreIgnored) {
  Analyzer analyzer;
  sieve::Record r = flow(domestic(1), domestic(2, 443), at(0));
  add_match(r, "c2-ip", RuleKind::ip);
  analyzer.add(1, r);
  const AnalysisResult result = analyzer.finish();
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.stats.records_ignored, 1u);
}

}  // namespace
}  // namespace mamori::analysis
