// The arithmetic of `mamori eval`: records matched to truth flows, precision and recall per
// behaviour, time to detect, and the C2 ranking against decoys.
#include "mamori/cli/evaluation.h"

#include <gtest/gtest.h>

namespace mamori::cli {
namespace {

const Timestamp kStart = Timestamp::from_seconds(1'800'000'000);
IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

// A truth with one scanner (flows 0..2), one beacon pair of a C2 server (flows 3..4), a decoy
// NTP pair (flow 5) and a C2 server expected but never seen (198.51.100.9).
synth::TruthFile truth() {
  synth::TruthFile t;
  t.version = 2;
  const auto flow = [&](const char* client, std::uint16_t cport, const char* server,
                        std::uint16_t sport, std::uint8_t proto, int at_s) {
    synth::TruthFlow f;
    f.facts.protocol = proto;
    f.facts.client = ip(client);
    f.facts.client_port = cport;
    f.facts.server = ip(server);
    f.facts.server_port = sport;
    f.facts.start = kStart + Duration::seconds(at_s);
    t.flows.push_back(f);
  };
  flow("5.9.0.1", 40000, "133.242.0.1", 22, 6, 0);
  flow("5.9.0.1", 40001, "133.242.0.2", 22, 6, 10);
  flow("5.9.0.1", 40002, "133.242.0.3", 22, 6, 20);
  flow("133.242.1.1", 50000, "78.46.0.5", 443, 6, 0);
  flow("133.242.1.1", 50001, "78.46.0.5", 443, 6, 60);
  flow("133.242.1.2", 123, "85.214.0.1", 123, 17, 30);
  synth::TruthActor scan;
  scan.id = "scan-01";
  scan.kind = "scan";
  scan.subject.address = ip("5.9.0.1");
  scan.first_activity = kStart;
  scan.expected_detectable = true;
  scan.flows = {0, 1, 2};
  synth::TruthActor c2;
  c2.id = "c2-01";
  c2.kind = "c2";
  c2.subject.address = ip("78.46.0.5");
  c2.first_activity = kStart;
  c2.expected_detectable = true;
  c2.flows = {3, 4};
  synth::TruthActor missed = c2;
  missed.id = "c2-02";
  missed.subject.address = ip("198.51.100.9");
  missed.flows = {};
  synth::TruthActor decoy;
  decoy.id = "decoy-01";
  decoy.kind = "decoy";
  decoy.flows = {5};
  t.actors = {scan, c2, missed, decoy};
  t.c2_servers = {{ip("78.46.0.5"), "c2", {"c2-01"}, true},
                  {ip("198.51.100.9"), "c2", {"c2-02"}, true}};
  t.decoy_servers = {{ip("85.214.0.1"), "ntp", {"decoy-01"}, false}};
  return t;
}

sieve::Record record(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport,
                     std::uint8_t proto, int at_s, sieve::RuleKind kind) {
  sieve::Record r;
  r.protocol = proto;
  r.src = {ip(src), sport, {}};
  r.dst = {ip(dst), dport, {}};
  r.first_seen = kStart + Duration::seconds(at_s);
  r.last_seen = r.first_seen;
  r.matches = {{"rule", kind, {}, {}}};
  return r;
}

analysis::Finding c2_finding(const char* address, double score) {
  analysis::Finding f;
  f.kind = analysis::FindingKind::c2_server;
  f.subject = address;
  f.score = score;
  return f;
}

TEST(Evaluation, BehaviourPrecisionRecallAndTimeToDetect) {
  using sieve::RuleKind;
  const std::vector<sieve::Record> records = {
      // The scanner's second and third probes (the first came before it crossed).
      record("5.9.0.1", 40001, "133.242.0.2", 22, 6, 10, RuleKind::scan),
      record("5.9.0.1", 40002, "133.242.0.3", 22, 6, 20, RuleKind::scan),
      // The C2 pair's later connection, and the decoy selected as a beacon (a false positive).
      record("133.242.1.1", 50001, "78.46.0.5", 443, 6, 60, RuleKind::beacon),
      record("133.242.1.2", 123, "85.214.0.1", 123, 17, 30, RuleKind::beacon),
      // A record of a flow the truth does not know.
      record("192.0.2.1", 1, "192.0.2.2", 2, 6, 5, RuleKind::scan),
  };
  const Evaluation e = evaluate(truth(), records, {});
  EXPECT_EQ(e.records, 5u);
  EXPECT_EQ(e.unmatched_records, 1u);
  const BehaviourScore& scan = e.behaviours[0];
  EXPECT_EQ(scan.kind, "scan");
  EXPECT_EQ(scan.selected, 3u);
  EXPECT_EQ(scan.true_selected, 2u);
  EXPECT_DOUBLE_EQ(scan.precision(), 2.0 / 3.0);
  EXPECT_EQ(scan.detected, 1u);
  EXPECT_DOUBLE_EQ(scan.recall(), 1.0);
  EXPECT_DOUBLE_EQ(scan.median_ttd_s.value(), 10.0);
  const BehaviourScore& amplification = e.behaviours[1];
  EXPECT_EQ(amplification.selected, 0u);
  EXPECT_DOUBLE_EQ(amplification.precision(), 1.0);
  const BehaviourScore& beacon = e.behaviours[2];
  EXPECT_EQ(beacon.selected, 2u);
  EXPECT_EQ(beacon.decoy_selected, 1u);
  EXPECT_DOUBLE_EQ(beacon.precision(), 0.5);
  EXPECT_EQ(beacon.actors, 2u);  // both C2 actors are expected
  EXPECT_EQ(beacon.detected, 1u);
  EXPECT_EQ(beacon.missed, std::vector<std::string>{"c2-02"});
  EXPECT_DOUBLE_EQ(beacon.max_ttd_s.value(), 60.0);
}

TEST(Evaluation, ARecordOfALaterSegmentBelongsToItsFlowInEitherOrientation) {
  // Reported from the server's side (the sieve saw the reply first) and 900 s into the flow.
  const std::vector<sieve::Record> records = {
      record("133.242.0.3", 22, "5.9.0.1", 40002, 6, 920, sieve::RuleKind::scan)};
  const Evaluation e = evaluate(truth(), records, {});
  EXPECT_EQ(e.unmatched_records, 0u);
  EXPECT_EQ(e.behaviours[0].true_selected, 1u);
}

TEST(Evaluation, RankingNeedsEveryExpectedC2AboveEveryDecoy) {
  std::vector<analysis::Finding> findings = {
      c2_finding("78.46.0.5", 60), c2_finding("198.51.100.9", 40), c2_finding("85.214.0.1", 20)};
  Evaluation e = evaluate(truth(), {}, findings);
  EXPECT_TRUE(e.ranking.ok());
  EXPECT_DOUBLE_EQ(e.ranking.min_c2_score, 40);
  EXPECT_DOUBLE_EQ(e.ranking.max_decoy_score, 20);
  const FindingScore& c2 = e.findings[static_cast<std::size_t>(analysis::FindingKind::c2_server)];
  EXPECT_EQ(c2.findings, 3u);
  EXPECT_EQ(c2.true_findings, 2u);
  EXPECT_EQ(c2.found, 2u);
  EXPECT_DOUBLE_EQ(c2.recall().value(), 1.0);

  findings[1].score = 20;  // a tie with the decoy is not "above"
  e = evaluate(truth(), {}, findings);
  EXPECT_FALSE(e.ranking.ok());
  EXPECT_EQ(e.ranking.c2_below_decoys, std::vector<std::string>{"198.51.100.9"});
  findings.erase(findings.begin() + 1);  // a C2 server without a finding scores 0
  e = evaluate(truth(), {}, findings);
  EXPECT_FALSE(e.ranking.ok());
  const std::string text = to_text(e);
  EXPECT_NE(text.find("198.51.100.9"), std::string::npos) << text;
  EXPECT_EQ(to_json(e)["c2_ranking"]["ok"], false);
}

}  // namespace
}  // namespace mamori::cli
