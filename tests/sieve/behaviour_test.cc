// sieve/behaviour: each behaviour fires on a positive example and not on near misses, its
// records explain themselves (measured values sorted, finite, equal to what was fed), and its
// memory stays within the budget under floods of spoofed sources.

#include "mamori/sieve/behaviour.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace mamori::sieve {
namespace {

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kSynAck = 0x12;
constexpr std::uint8_t kRstAck = 0x14;
constexpr std::size_t kMiB = 1024 * 1024;

// 1'800'000'000 s is a multiple of the scan and amplification epochs used here (30 s, 150 s)
// and of 600 s, so the tests start at an epoch boundary.
const Timestamp kStart = Timestamp::from_seconds(1'800'000'000);

Timestamp at_ms(std::int64_t ms) { return kStart + Duration::millis(ms); }
Timestamp at_s(double s) { return kStart + Duration{static_cast<std::int64_t>(s * 1e9)}; }

IpAddress v4(std::uint32_t value) { return IpAddress::v4(value); }
// Documentation and shared address space ranges only.
IpAddress host(std::uint32_t n) { return v4(0xc0000200u + (n & 0xff)); }         // 192.0.2.n
IpAddress other(std::uint32_t n) { return v4(0xc6336400u + (n & 0xff)); }        // 198.51.100.n
IpAddress spoofed(std::uint32_t n) { return v4(0x64400000u + (n & 0x3fffff)); }  // 100.64/10
IpAddress target(std::uint32_t n) { return v4(0xcb007100u + (n & 0xff) + ((n >> 8) << 16)); }

BehaviourFlow tcp(const IpAddress& from, const IpAddress& to, std::uint16_t to_port = 80,
                  std::uint16_t from_port = 40000) {
  return {from, to, from_port, to_port, kTcp};
}
BehaviourFlow udp(const IpAddress& from, std::uint16_t from_port, const IpAddress& to,
                  std::uint16_t to_port) {
  return {from, to, from_port, to_port, kUdp};
}

BehaviourEngine make(std::vector<BehaviourRule> rules, std::size_t bytes = 4 * kMiB,
                     std::uint64_t seed = 1) {
  auto engine = BehaviourEngine::create(std::move(rules), bytes, seed);
  EXPECT_TRUE(engine.has_value()) << (engine ? "" : engine.error().message);
  return std::move(*engine);
}

// What every hit must satisfy for its record to be valid and self-explaining.
void expect_valid(const BehaviourHit& hit) {
  ASSERT_LE(hit.measured.size(), kMaxMeasures);
  for (std::size_t i = 0; i < hit.measured.size(); ++i) {
    const Measure& m = hit.measured[i];
    EXPECT_FALSE(m.name.empty());
    EXPECT_LE(m.name.size(), kMaxMeasureNameLength);
    EXPECT_TRUE(std::all_of(m.name.begin(), m.name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    })) << m.name;
    EXPECT_TRUE(std::isfinite(m.value)) << m.name;
    if (i > 0) {
      EXPECT_LT(hit.measured[i - 1].name, m.name);  // sorted and unique
    }
  }
}

double measure(const BehaviourHit& hit, const std::string& name) {
  for (const Measure& m : hit.measured) {
    if (m.name == name) return m.value;
  }
  ADD_FAILURE() << "no measure " << name;
  return std::nan("");
}

std::vector<std::string> names(const BehaviourHit& hit) {
  std::vector<std::string> out;
  for (const Measure& m : hit.measured) out.push_back(m.name);
  return out;
}

std::vector<BehaviourHit> select(BehaviourEngine& engine, const BehaviourFlow& flow,
                                 Timestamp time) {
  std::vector<BehaviourHit> hits;
  engine.selections(flow, time, hits);
  for (const auto& hit : hits) expect_valid(hit);
  return hits;
}

// A new flow as the sieve reports it: the event, then the selections for it.
std::vector<BehaviourHit> start(BehaviourEngine& engine, const BehaviourFlow& flow,
                                Timestamp time) {
  engine.on_flow_start(flow, flow.protocol == kTcp ? kSyn : 0, time);
  return select(engine, flow, time);
}

bool selected_by(const std::vector<BehaviourHit>& hits, RuleIndex rule) {
  return std::any_of(hits.begin(), hits.end(),
                     [&](const BehaviourHit& h) { return h.rule == rule; });
}

ScanParams scan_params(std::uint32_t min_targets = 64, Duration grace = Duration::seconds(2)) {
  ScanParams p;
  p.min_targets = min_targets;
  p.reply_grace = grace;
  return p;
}

// ---- scan ---------------------------------------------------------------------------------------

TEST(BehaviourScan, FlagsAScannerAndReportsWhatWasFed) {
  auto engine = make({{7, scan_params(64, Duration{})}});
  const IpAddress scanner = host(1);
  // 3 attempts stay in the admission sketch; tracking counts from the 4th (at 300 ms).
  // 160 tracked attempts (a check falls on the 160th), one in ten answered.
  std::size_t answered = 0;
  std::vector<BehaviourHit> hits;
  for (std::uint32_t i = 0; i < 163; ++i) {
    const auto flow = tcp(scanner, target(i), static_cast<std::uint16_t>(1 + i % 3));
    hits = start(engine, flow, at_ms(100 * i));
    if (i >= 3 && i % 10 == 0) {
      engine.on_reply(flow, kSynAck, at_ms(100 * i + 20));
      ++answered;
    } else if (i % 10 == 1) {
      engine.on_reply(flow, kRstAck, at_ms(100 * i + 20));  // a refusal: still failed
    }
  }
  ASSERT_TRUE(selected_by(hits, 7));
  const auto later = select(engine, tcp(scanner, other(1)), at_ms(16'300));
  ASSERT_EQ(later.size(), 1u);
  const BehaviourHit& hit = later[0];
  EXPECT_EQ(hit.rule, 7u);
  EXPECT_EQ(names(hit),
            (std::vector<std::string>{"answered", "attempts", "failed_ratio", "min_failed_ratio",
                                      "min_targets", "span_s", "targets", "window_s"}));
  EXPECT_EQ(measure(hit, "attempts"), 160);  // no reply grace in this rule: all decided
  EXPECT_EQ(measure(hit, "answered"), static_cast<double>(answered));
  EXPECT_DOUBLE_EQ(measure(hit, "failed_ratio"), (160.0 - answered) / 160.0);
  EXPECT_NEAR(measure(hit, "targets"), 160, 160 * 0.25);  // HyperLogLog estimate, ≤ attempts
  EXPECT_LE(measure(hit, "targets"), 160);
  EXPECT_DOUBLE_EQ(measure(hit, "span_s"), 15.9);  // from the 4th attempt to the 163rd
  EXPECT_EQ(measure(hit, "window_s"), 300);
  EXPECT_EQ(measure(hit, "min_targets"), 64);
  EXPECT_DOUBLE_EQ(measure(hit, "min_failed_ratio"), 0.8);
  // Flows it receives, and other sources' flows, are not its: not selected.
  EXPECT_TRUE(select(engine, tcp(other(2), scanner), at_ms(16'300)).empty());
  EXPECT_TRUE(select(engine, tcp(other(2), target(1)), at_ms(16'300)).empty());
  const auto stats = engine.stats();
  EXPECT_EQ(stats.rules[0].flagged, 1u);
  EXPECT_EQ(stats.rules[0].flagged_now, 1u);
  EXPECT_EQ(stats.rules[0].below_admission, 3u);
}

TEST(BehaviourScan, BusyClientWhoseAttemptsAreAnsweredIsNotFlagged) {
  auto engine = make({{1, scan_params()}});
  for (std::uint32_t i = 0; i < 2000; ++i) {
    const auto flow = tcp(host(2), target(i), 443);
    EXPECT_TRUE(start(engine, flow, at_ms(50 * i)).empty());
    if (i % 10 != 0) engine.on_reply(flow, kSynAck, at_ms(50 * i + 30));  // 90 % answered
  }
  EXPECT_EQ(engine.stats().rules[0].flagged, 0u);
}

TEST(BehaviourScan, NearMissesAreNotFlagged) {
  auto engine = make({{1, scan_params()}});
  for (std::uint32_t i = 0; i < 2000; ++i) {
    // 75 % failed, below min_failed_ratio 0.8.
    const auto flow = tcp(host(3), target(i));
    EXPECT_TRUE(start(engine, flow, at_ms(50 * i)).empty());
    if (i % 4 == 0) engine.on_reply(flow, kSynAck, at_ms(50 * i + 30));
    // Never answered, but only 40 distinct targets (retries), below min_targets 64.
    EXPECT_TRUE(start(engine, tcp(host(4), target(i % 40)), at_ms(50 * i + 1)).empty());
  }
  EXPECT_EQ(engine.stats().rules[0].flagged, 0u);
}

TEST(BehaviourScan, AttemptsWithinTheReplyGraceAreNotJudgedFailed) {
  auto engine = make({{1, scan_params(64, Duration::seconds(2))}});
  // 200 unanswered attempts within 1 s: all may still be answered, so no verdict yet.
  for (std::uint32_t i = 0; i < 200; ++i) {
    EXPECT_TRUE(start(engine, tcp(host(5), target(i)), at_ms(5 * i)).empty());
  }
  EXPECT_EQ(engine.stats().rules[0].flagged, 0u);
  // Past the grace they count as failed: the next check (one per 8 attempts) flags the source.
  std::vector<BehaviourHit> hits;
  for (std::uint32_t i = 0; i < 8; ++i)
    hits = start(engine, tcp(host(5), target(500 + i)), at_s(5 + i));
  EXPECT_TRUE(selected_by(hits, 1));
  EXPECT_EQ(measure(hits[0], "answered"), 0);
  // The attempts of the last 2..4 s are still pending: not judged, not in the record's counts.
  // (Tracking began at the source's 4th attempt: 197 of the burst; the later ones pending.)
  EXPECT_EQ(measure(hits[0], "attempts"), 197);
  EXPECT_DOUBLE_EQ(measure(hits[0], "failed_ratio"), 1.0);
}

// A fast scan (many attempts per reply grace) is judged on the attempts whose grace has passed:
// its pending attempts neither hide it nor count as failures.
TEST(BehaviourScan, FastScanIsJudgedOnItsDecidedAttempts) {
  auto engine = make({{1, scan_params(64, Duration::seconds(2))}});
  // 254 probes in 12 s (one /24 swept at ~21 per second), a few answered: at any moment the
  // last 2..4 s of probes (~40..85) are pending.
  std::vector<BehaviourHit> hits;
  std::uint32_t fed = 0;
  for (; fed < 254 && !selected_by(hits, 1); ++fed) {
    const BehaviourFlow flow = tcp(host(11), target(fed));
    hits = start(engine, flow, at_ms(47 * fed));
    if (fed % 25 == 0) engine.on_reply(flow, kSynAck, at_ms(47 * fed + 30));
  }
  ASSERT_TRUE(selected_by(hits, 1));
  // Flagged once 64 attempts were decided, while 2..4 s of later ones were still pending.
  const double attempts = measure(hits[0], "attempts");
  EXPECT_GE(attempts, 64);
  EXPECT_LE(attempts, fed - 3 - 40);  // tracked from the 4th attempt; ≥ 2 s (42) pending
  EXPECT_DOUBLE_EQ(measure(hits[0], "failed_ratio"),
                   (attempts - measure(hits[0], "answered")) / attempts);
  EXPECT_LE(measure(hits[0], "targets"), attempts);
  // A client whose connections are answered is never a scanner, however fast.
  for (std::uint32_t i = 0; i < 254; ++i) {
    const BehaviourFlow flow = tcp(host(12), target(i));
    EXPECT_TRUE(start(engine, flow, at_ms(47 * i)).empty());
    engine.on_reply(flow, kSynAck, at_ms(47 * i + 30));
  }
}

TEST(BehaviourScan, CountsOnlyWithinTheWindow) {
  auto engine = make({{1, scan_params(64, Duration{})}});
  // One attempt every 10 s for 2000 s: 200 distinct targets, but at most 30 per 300 s window.
  for (std::uint32_t i = 0; i < 200; ++i) {
    EXPECT_TRUE(start(engine, tcp(host(6), target(i)), at_s(10.0 * i)).empty());
  }
  EXPECT_EQ(engine.stats().rules[0].flagged, 0u);
  // The same 200 within 200 s are flagged, and what is counted lies within the window.
  std::vector<BehaviourHit> hits;
  for (std::uint32_t i = 0; i < 200; ++i)
    hits = start(engine, tcp(host(7), target(i)), at_s(3000 + i));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_LE(measure(hits[0], "span_s"), measure(hits[0], "window_s"));
  // The flag holds for one window after the latest crossing (the check at its 192nd tracked
  // attempt: tracking began at its 4th, so the 195th, at 3194 s), then lapses.
  EXPECT_FALSE(select(engine, tcp(host(7), other(1)), at_s(3194 + 299.9)).empty());
  EXPECT_TRUE(select(engine, tcp(host(7), other(1)), at_s(3194 + 300)).empty());
}

TEST(BehaviourScan, BackscatterAndResponsesAreNotAttempts) {
  auto engine = make({{1, scan_params(64, Duration{})}});
  const IpAddress server = host(9);
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const Timestamp t = at_ms(10 * i);
    // RST backscatter of a SYN-flooded server to spoofed addresses, and a mid-flow segment.
    engine.on_flow_start(tcp(server, spoofed(i), 40000, 80), kRstAck, t);
    engine.on_flow_start(tcp(server, spoofed(i + 5000), 40000, 80), 0x18, t);
    // ICMP port unreachable (type 3, code 3) to many hosts; UDP responses from port 53.
    engine.on_flow_start({server, spoofed(i), 3, 3, 1}, 0, t);
    engine.on_flow_start(udp(server, 53, spoofed(i), 40000), 0, t);
    EXPECT_TRUE(select(engine, tcp(server, other(1)), t).empty());
  }
  EXPECT_EQ(engine.stats().rules[0].admitted, 0u);
  // Echo requests (type 8) to many hosts are attempts.
  std::vector<BehaviourHit> hits;
  for (std::uint32_t i = 0; i < 100; ++i) {
    const BehaviourFlow ping{host(19), target(i), 8, 0, 1};
    engine.on_flow_start(ping, 0, at_s(20 + i * 0.01));
    hits = select(engine, ping, at_s(20 + i * 0.01));
  }
  EXPECT_TRUE(selected_by(hits, 1));
}

TEST(BehaviourScan, AFlowSeenFromItsSynAckIsAnAnsweredAttempt) {
  auto engine = make({{1, scan_params(64, Duration{})}});
  // Asymmetric routing: only the answers of a busy client's connections cross this link.
  for (std::uint32_t i = 0; i < 1000; ++i) {
    engine.on_flow_start(tcp(host(26), target(i), 443), kSynAck, at_ms(10 * i));
  }
  const auto stats = engine.stats().rules[0];
  EXPECT_GT(stats.admitted, 0u);
  EXPECT_EQ(stats.flagged, 0u);
}

TEST(BehaviourScan, RulesOfOneKindApplyTheirOwnThresholds) {
  auto engine = make({{1, scan_params(16, Duration{})}, {2, scan_params(500, Duration{})}});
  std::vector<BehaviourHit> hits;
  for (std::uint32_t i = 0; i < 120; ++i)
    hits = start(engine, tcp(host(8), target(i)), at_ms(100 * i));
  EXPECT_TRUE(selected_by(hits, 1));
  EXPECT_FALSE(selected_by(hits, 2));
  EXPECT_EQ(measure(hits[0], "min_targets"), 16);
}

// ---- amplification ------------------------------------------------------------------------------

AmplificationParams amplification_params() { return {}; }

TEST(BehaviourAmplification, FlagsTheVictimOfReflectedResponses) {
  auto engine = make({{3, amplification_params()}});
  EXPECT_TRUE(engine.wants_udp_port(53));
  EXPECT_TRUE(engine.wants_udp_port(11211));
  EXPECT_FALSE(engine.wants_udp_port(80));
  const IpAddress victim = host(10);
  // Responses from 50 reflectors; the requests were spoofed elsewhere and never seen here, so
  // each flow begins with a datagram from port 53 (the flow's initiator is the reflector).
  std::vector<BehaviourHit> hits;
  std::uint32_t sent = 0;
  for (std::uint32_t i = 0; i < 60; ++i) {
    const auto flow = udp(other(i % 50), 53, victim, 33000);
    if (i < 50) hits = start(engine, flow, at_ms(100 * i));
    engine.on_udp_bytes(flow, 0, 3000, at_ms(100 * i + 1));
    sent += 3000;
    hits = select(engine, flow, at_ms(100 * i + 1));
    EXPECT_EQ(selected_by(hits, 3), sent >= 100'000) << i;  // the crossing flow is selected
  }
  ASSERT_EQ(hits.size(), 1u);
  const BehaviourHit& hit = hits[0];
  EXPECT_EQ(names(hit),
            (std::vector<std::string>{"min_ratio", "min_response_bytes", "ratio", "request_bytes",
                                      "response_bytes", "service_port", "span_s", "window_s"}));
  EXPECT_EQ(measure(hit, "response_bytes"), 180'000);
  EXPECT_EQ(measure(hit, "request_bytes"), 0);
  EXPECT_EQ(measure(hit, "ratio"), 180'000);
  EXPECT_EQ(measure(hit, "service_port"), 53);
  EXPECT_DOUBLE_EQ(measure(hit, "span_s"), 5.9);
  EXPECT_EQ(measure(hit, "window_s"), 60);
  EXPECT_EQ(measure(hit, "min_ratio"), 10);
  EXPECT_EQ(measure(hit, "min_response_bytes"), 100'000);
  // Selected: the victim's flows with a service port, in either orientation.
  EXPECT_TRUE(selected_by(select(engine, udp(victim, 5000, other(99), 123), at_s(7)), 3));
  EXPECT_TRUE(selected_by(select(engine, udp(other(98), 1900, victim, 5000), at_s(7)), 3));
  // Not: its other flows, or other hosts' service flows.
  EXPECT_TRUE(select(engine, udp(victim, 5000, other(99), 8080), at_s(7)).empty());
  EXPECT_TRUE(select(engine, tcp(victim, other(99), 53), at_s(7)).empty());
  EXPECT_TRUE(select(engine, udp(other(1), 53, host(11), 33000), at_s(7)).empty());
}

TEST(BehaviourAmplification, VictimAsInitiatorWithFewRequestBytes) {
  auto engine = make({{3, amplification_params()}});
  const IpAddress victim = host(12);
  std::vector<BehaviourHit> hits;
  for (std::uint32_t i = 0; i < 40; ++i) {
    const auto flow = udp(victim, 40000, other(i), 123);  // NTP monlist: tiny request
    engine.on_udp_bytes(flow, 0, 50, at_ms(100 * i));
    engine.on_udp_bytes(flow, 1, 5000, at_ms(100 * i + 10));
    hits = select(engine, flow, at_ms(100 * i + 10));
  }
  ASSERT_TRUE(selected_by(hits, 3));
  // Admitted at its first response: the request before it was seeded from the request sketch.
  EXPECT_EQ(measure(hits[0], "request_bytes"), 40 * 50);
  EXPECT_EQ(measure(hits[0], "response_bytes"), 40 * 5000);
  EXPECT_EQ(measure(hits[0], "ratio"), 100);
  EXPECT_EQ(measure(hits[0], "service_port"), 123);
}

TEST(BehaviourAmplification, NearMissesAreNotFlagged) {
  auto engine = make({{3, amplification_params()}});
  for (std::uint32_t i = 0; i < 400; ++i) {
    // A busy resolver client: ratio 8 < 10, 320 KB of responses.
    const auto client = udp(host(13), 40000 + i, other(1), 53);
    engine.on_udp_bytes(client, 0, 100, at_ms(100 * i));
    engine.on_udp_bytes(client, 1, 800, at_ms(100 * i + 5));
    EXPECT_TRUE(select(engine, client, at_ms(100 * i + 5)).empty());
    // A huge ratio but only 40 KB of responses in total, below min_response_bytes.
    const auto small = udp(other(2), 53, host(14), 40000);
    engine.on_udp_bytes(small, 0, 100, at_ms(100 * i + 6));
    EXPECT_TRUE(select(engine, small, at_ms(100 * i + 6)).empty());
  }
  EXPECT_EQ(engine.stats().rules[0].flagged, 0u);
}

TEST(BehaviourAmplification, CountsOnlyWithinTheWindow) {
  auto engine = make({{3, amplification_params()}});
  // 10 KB every 20 s: 200 KB in total, at most 30 KB within any 60 s window.
  for (std::uint32_t i = 0; i < 20; ++i) {
    const auto flow = udp(other(i), 11211, host(15), 40000);
    engine.on_udp_bytes(flow, 0, 10'000, at_s(20.0 * i));
    EXPECT_TRUE(select(engine, flow, at_s(20.0 * i)).empty());
  }
  EXPECT_EQ(engine.stats().rules[0].flagged, 0u);
}

TEST(BehaviourAmplification, NoAmplificationRuleWantsNoPort) {
  auto engine = make({{1, scan_params()}});
  for (std::uint32_t port = 0; port < 65536; ++port) {
    ASSERT_FALSE(engine.wants_udp_port(static_cast<std::uint16_t>(port)));
  }
}

TEST(BehaviourAmplification, WantsExactlyItsPortsAboveAndBelowTheHighest) {
  AmplificationParams p;
  p.udp_ports = {53, 60000};
  auto engine = make({{3, p}});
  for (std::uint32_t port = 0; port < 65536; ++port) {
    ASSERT_EQ(engine.wants_udp_port(static_cast<std::uint16_t>(port)), port == 53 || port == 60000)
        << port;
  }
}

// ---- beacon -------------------------------------------------------------------------------------

BeaconParams beacon_params(std::uint32_t min_connections = 8, double max_cv = 0.2) {
  BeaconParams p;
  p.min_connections = min_connections;
  p.max_cv = max_cv;
  return p;
}

struct Series {
  std::vector<std::int64_t> starts_ms;
};

// Starts every `interval_ms` ± jitter (uniform), in whole milliseconds.
Series jittered(int count, std::int64_t interval_ms, double jitter, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-jitter, jitter);
  Series s;
  std::int64_t t = 0;
  for (int i = 0; i < count; ++i) {
    s.starts_ms.push_back(t);
    t += static_cast<std::int64_t>(std::llround(static_cast<double>(interval_ms) * (1 + u(rng))));
  }
  return s;
}

TEST(BehaviourBeacon, FlagsAJitteredBeaconAndReportsItsIntervals) {
  auto engine = make({{5, beacon_params()}});
  const auto flow = tcp(host(20), other(20), 443);
  const Series s = jittered(12, 60'000, 0.10, 3);
  std::vector<std::vector<BehaviourHit>> hits;
  for (const std::int64_t ms : s.starts_ms) hits.push_back(start(engine, flow, at_ms(ms)));
  // Admitted at its 2nd start; 8 connections of one series (7 gaps) at the 9th: selected from
  // that flow on.
  for (std::size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(!hits[i].empty(), i >= 8) << i;
  const BehaviourHit& hit = hits.back()[0];
  EXPECT_EQ(names(hit), (std::vector<std::string>{
                            "client_series", "connections", "cv", "max_client_series", "max_cv",
                            "max_interval_s", "max_server_clients", "mean_interval_s",
                            "min_connections", "min_interval_s", "server_clients", "span_s"}));
  EXPECT_EQ(measure(hit, "server_clients"), 1);  // this client only
  EXPECT_EQ(measure(hit, "max_server_clients"), 8);
  EXPECT_EQ(measure(hit, "client_series"), 1);  // its only regular series
  EXPECT_EQ(measure(hit, "max_client_series"), 1);
  // The latest crossing: 11 connections (starts 2..12), 10 gaps.
  std::vector<double> gaps;
  for (std::size_t i = 2; i < s.starts_ms.size(); ++i) {
    gaps.push_back(static_cast<double>(s.starts_ms[i] - s.starts_ms[i - 1]));
  }
  double sum = 0;
  for (double g : gaps) sum += g;
  const double mean = sum / static_cast<double>(gaps.size());
  double squares = 0;
  for (double g : gaps) squares += (g - mean) * (g - mean);
  const double cv = std::sqrt(squares / static_cast<double>(gaps.size())) / mean;
  EXPECT_EQ(measure(hit, "connections"), 11);
  EXPECT_DOUBLE_EQ(measure(hit, "mean_interval_s"), mean / 1e3);
  EXPECT_NEAR(measure(hit, "cv"), cv, 1e-12);
  EXPECT_LT(cv, 0.1);
  EXPECT_DOUBLE_EQ(measure(hit, "span_s"), sum / 1e3);
  EXPECT_EQ(measure(hit, "min_connections"), 8);
  EXPECT_DOUBLE_EQ(measure(hit, "max_cv"), 0.2);
  EXPECT_EQ(measure(hit, "min_interval_s"), 5);
  EXPECT_EQ(measure(hit, "max_interval_s"), 6 * 3600);
  // Only this pair: same hosts on another port, or the reverse direction, are not selected.
  const Timestamp later = at_ms(s.starts_ms.back() + 1000);
  EXPECT_TRUE(select(engine, tcp(host(20), other(20), 8443), later).empty());
  EXPECT_TRUE(select(engine, tcp(other(20), host(20), 443), later).empty());
}

// Periodic traffic that is not C2: a server many clients return to (an update service), and a
// protocol periodic by design (NTP); a C2 server reached by a few clients is still flagged.
TEST(BehaviourBeacon, PopularServersAndPeriodicServicesAreNotBeacons) {
  auto engine = make({{5, beacon_params()}});
  const IpAddress update_server = other(30);
  const IpAddress c2 = other(31);
  std::vector<std::vector<BehaviourHit>> update_hits(12);
  std::vector<BehaviourHit> c2_hits;
  std::vector<BehaviourHit> ntp_hits;
  for (int round = 0; round < 12; ++round) {
    const std::int64_t base = round * 600'000LL;  // every 10 min
    for (std::uint32_t c = 0; c < 12; ++c) {      // 12 clients > max_server_clients (8)
      const auto hits =
          start(engine, tcp(host(100 + c), update_server, 443), at_ms(base + 1000 * c));
      if (!hits.empty()) update_hits[c] = hits;
    }
    for (std::uint32_t b = 0; b < 3; ++b) {  // 3 bots
      const auto hits = start(engine, tcp(host(200 + b), c2, 443), at_ms(base + 30'000 + 7 * b));
      if (!hits.empty()) c2_hits = hits;
    }
    const auto hits = start(engine, udp(host(300), 123, other(32), 123), at_ms(base + 45'000));
    if (!hits.empty()) ntp_hits = hits;
  }
  for (const auto& hits : update_hits) EXPECT_TRUE(hits.empty());
  ASSERT_TRUE(selected_by(c2_hits, 5));
  EXPECT_EQ(measure(c2_hits[0], "server_clients"), 3);
  EXPECT_TRUE(ntp_hits.empty());
  // With no periodic ports and room for 16 clients per server, both are beacons again.
  BeaconParams open = beacon_params();
  open.periodic_ports.clear();
  open.max_server_clients = 16;
  auto permissive = make({{6, open}});
  std::vector<BehaviourHit> update_hit;
  std::vector<BehaviourHit> ntp_hit;
  for (int round = 0; round < 12; ++round) {
    const std::int64_t base = round * 600'000LL;
    for (std::uint32_t c = 0; c < 12; ++c) {
      const auto hits =
          start(permissive, tcp(host(100 + c), update_server, 443), at_ms(base + 1000 * c));
      if (!hits.empty()) update_hit = hits;
    }
    const auto hits = start(permissive, udp(host(300), 123, other(32), 123), at_ms(base + 45'000));
    if (!hits.empty()) ntp_hit = hits;
  }
  ASSERT_TRUE(selected_by(update_hit, 6));
  EXPECT_EQ(measure(update_hit[0], "server_clients"), 12);
  EXPECT_TRUE(selected_by(ntp_hit, 6));
}

// A long-running sensor: the popular server's count does not fade while its clients keep
// coming (each recurring pair counts again in every epoch of max_interval), so it stays
// unflagged epoch after epoch, while the C2 server of three bots is flagged.
TEST(BehaviourBeacon, APopularServerStaysPopularOverManyEpochs) {
  BeaconParams p = beacon_params();
  p.max_interval = Duration::seconds(300);  // epochs of 5 min; the clients come every minute
  auto engine = make({{5, p}});
  bool popular_flagged = false;
  std::vector<BehaviourHit> c2_hits;
  for (int round = 0; round < 60; ++round) {  // an hour: twelve epochs
    const std::int64_t base = round * 60'000LL;
    for (std::uint32_t c = 0; c < 12; ++c) {
      popular_flagged |=
          !start(engine, tcp(host(400 + c), other(40), 443), at_ms(base + 1000 * c)).empty();
    }
    for (std::uint32_t b = 0; b < 3; ++b) {
      const auto hits = start(engine, tcp(host(500 + b), other(41), 443), at_ms(base + 30'000));
      if (!hits.empty()) c2_hits = hits;
    }
  }
  EXPECT_FALSE(popular_flagged);
  ASSERT_TRUE(selected_by(c2_hits, 5));
  EXPECT_LE(measure(c2_hits[0], "server_clients"), 8);
}

// Two engines as two shards of one sieve: the update server's 12 clients split between them
// (6 each, under max_server_clients = 8 in either). Counting together they see 12 and leave
// the server's pairs alone, as one sieve does; counting apart each would see 6 and flag them.
// The C2 server's 3 bots are flagged either way.
TEST(BehaviourBeacon, ShardsSharingServerClientsJudgePopularityAsOneSieve) {
  for (const bool sharing : {true, false}) {
    SCOPED_TRACE(sharing ? "sharing" : "apart");
    SharedServerClients shared;
    SharedServerClients* const views[] = {&shared};
    const auto make_shard = [&] {
      auto engine = BehaviourEngine::create({{5, beacon_params()}}, 4 * kMiB, 1,
                                            sharing ? std::span<SharedServerClients* const>(views)
                                                    : std::span<SharedServerClients* const>());
      EXPECT_TRUE(engine.has_value()) << (engine ? "" : engine.error().message);
      return std::move(*engine);
    };
    std::array<BehaviourEngine, 2> shards{make_shard(), make_shard()};
    shared.allocate();
    if (sharing) {
      // The shared counts take what the two engines left out of their own memory.
      const std::size_t own = make({{5, beacon_params()}}).memory_bytes();
      const std::size_t left_out = own - shards[0].memory_bytes();
      EXPECT_GT(left_out, 0u);
      EXPECT_EQ(shards[1].memory_bytes(), shards[0].memory_bytes());
      EXPECT_GE(shared.memory_bytes(),
                2 * left_out - 2 * CountMinSketch<std::uint16_t>::kBlockBytes);
      EXPECT_LE(shared.memory_bytes(), 2 * left_out + 4096);
    }
    bool update_flagged = false;
    std::vector<BehaviourHit> c2_hits;
    for (int round = 0; round < 12; ++round) {
      const std::int64_t base = round * 600'000LL;
      for (std::uint32_t c = 0; c < 12; ++c) {
        update_flagged |=
            !start(shards[c % 2], tcp(host(100 + c), other(30), 443), at_ms(base + 1000 * c))
                 .empty();
      }
      for (std::uint32_t b = 0; b < 3; ++b) {
        const auto hits =
            start(shards[b % 2], tcp(host(200 + b), other(31), 443), at_ms(base + 30'000 + 7 * b));
        if (!hits.empty()) c2_hits = hits;
      }
    }
    EXPECT_EQ(update_flagged, !sharing);
    ASSERT_TRUE(selected_by(c2_hits, 5));
    if (sharing) {
      EXPECT_EQ(measure(c2_hits[0], "server_clients"), 3);
    } else {
      EXPECT_LE(measure(c2_hits[0], "server_clients"), 2);  // its shard's bots only
    }
  }
}

TEST(BehaviourBeacon, SharedServerClientsNeedOnePerBeaconRule) {
  SharedServerClients shared;
  SharedServerClients* const views[] = {&shared, &shared};
  auto engine = BehaviourEngine::create({{5, beacon_params()}}, 4 * kMiB, 1, views);
  ASSERT_FALSE(engine.has_value());
  EXPECT_NE(engine.error().message.find("2 shared server counts for 1 beacon rules"),
            std::string::npos);
}

// The first shard to enter an epoch halves the counts, once; a count added by a shard still in
// an epoch already halved is dropped (one sieve would have halved it away).
TEST(SharedServerClients, AgesOncePerEpochAndDropsCountsOfHalvedEpochs) {
  SharedServerClients shared;
  shared.set_aside(4096);
  shared.allocate();
  const std::uint64_t server = 0x1234'5678'9abc'def0ULL;
  for (int i = 0; i < 8; ++i) shared.add(server, 10);
  EXPECT_EQ(shared.estimate(server, 10), 8);
  EXPECT_EQ(shared.estimate(server, 11), 4);  // a shard enters epoch 11: halved once
  EXPECT_EQ(shared.estimate(server, 11), 4);  // another shard enters it: not again
  EXPECT_EQ(shared.estimate(server, 10), 4);  // a shard still in epoch 10 sees the same
  EXPECT_EQ(shared.add(server, 10), 4);       // and its count is dropped
  EXPECT_EQ(shared.add(server, 11), 5);
  EXPECT_EQ(shared.estimate(server, 13), 1);  // two more halvings: 5 → 2 → 1
}

// Shards add from their own threads: no count is lost.
TEST(SharedServerClients, CountsFromManyThreadsAllArrive) {
  SharedServerClients shared;
  shared.set_aside(4096);
  shared.allocate();
  const std::uint64_t server = 42;
  constexpr int kThreads = 4;
  constexpr int kAdds = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kAdds; ++i) shared.add(server, 0);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(shared.estimate(server, 0), kThreads * kAdds);
}

// A monitoring host polls three endpoints, every 30 or 60 s and almost without jitter: each
// pair alone looks exactly like a beacon, the client fans out. A bot keeps one channel.
TEST(BehaviourBeacon, APollerFanningOutIsNotABeaconButOneChannelIs) {
  const auto run = [](std::uint32_t max_client_series) {
    BeaconParams p = beacon_params();
    p.max_client_series = max_client_series;
    auto engine = make({{5, p}});
    const std::array<std::int64_t, 3> period_ms = {30'000, 60'000, 30'000};
    const std::array<std::int64_t, 3> phase_ms = {17'000, 2'000, 29'000};
    std::size_t monitor_hits = 0;
    double monitor_series = 0;
    std::vector<BehaviourHit> bot_hits;
    for (std::int64_t ms = 0; ms < 3'600'000; ms += 1000) {
      for (std::size_t e = 0; e < period_ms.size(); ++e) {
        if (ms % period_ms[e] != phase_ms[e] % period_ms[e]) continue;
        const auto flow = tcp(host(60), other(60 + static_cast<std::uint32_t>(e)), 443);
        const auto hits = start(engine, flow, at_ms(ms + static_cast<std::int64_t>(e) * 7));
        if (!hits.empty()) {
          ++monitor_hits;
          monitor_series = measure(hits[0], "client_series");
        }
      }
      if (ms % 45'000 == 5'000) {
        const auto hits = start(engine, tcp(host(61), other(70), 8443), at_ms(ms));
        if (!hits.empty()) bot_hits = hits;
      }
    }
    return std::tuple{monitor_hits, monitor_series, bot_hits};
  };
  const auto [strict_monitor, strict_series, strict_bot] = run(1);
  EXPECT_EQ(strict_monitor, 0u);
  ASSERT_TRUE(selected_by(strict_bot, 5));
  EXPECT_EQ(measure(strict_bot[0], "client_series"), 1);
  // A rule that allows three series at once takes the monitor for three beacons.
  const auto [loose_monitor, loose_series, loose_bot] = run(3);
  EXPECT_GT(loose_monitor, 100u);
  EXPECT_EQ(loose_series, 3);
  EXPECT_TRUE(selected_by(loose_bot, 5));
}

// C2 hopping across a network: one channel at a time, so each stay is judged on its own once
// the previous server's series is past (two of its intervals without a start).
TEST(BehaviourBeacon, AHoppingBotKeepsOneChannel) {
  auto engine = make({{5, beacon_params()}});
  std::vector<std::vector<BehaviourHit>> per_server(3);
  for (int beat = 0; beat < 36; ++beat) {
    const auto server = static_cast<std::size_t>(beat / 12);
    const auto hits = start(engine, tcp(host(62), other(80 + static_cast<std::uint32_t>(server))),
                            at_ms(beat * 60'000LL));
    if (!hits.empty()) per_server[server] = hits;
  }
  for (const auto& hits : per_server) {
    ASSERT_TRUE(selected_by(hits, 5));
    EXPECT_EQ(measure(hits[0], "client_series"), 1);
  }
}

// The context is judged at every crossing: a pair flagged while it was its client's only
// regular series loses its flag and hold once the client shows a second one.
TEST(BehaviourBeacon, AFlaggedPairLosesItsFlagWhenItsClientFansOut) {
  auto engine = make({{5, beacon_params()}});
  const auto first = tcp(host(63), other(90), 443);
  const auto second = tcp(host(63), other(91), 443);
  for (int i = 0; i < 9; ++i) start(engine, first, at_ms(i * 60'000LL));
  ASSERT_TRUE(selected_by(select(engine, first, at_ms(8 * 60'000LL + 1)), 5));
  // The first beats on; the second series counts from its fourth start (admitted at its
  // second, two kept gaps at its fourth).
  for (int i = 9; i < 13; ++i) {
    EXPECT_TRUE(selected_by(start(engine, first, at_ms(i * 60'000LL)), 5));
    start(engine, second, at_ms(i * 60'000LL + 500));
  }
  EXPECT_TRUE(start(engine, first, at_ms(13 * 60'000LL)).empty());
  EXPECT_TRUE(select(engine, first, at_ms(13 * 60'000LL + 1)).empty());
  EXPECT_EQ(engine.stats().rules[0].flagged, 1u);
}

// At the client table's bound (direct-mapped, an eighth of the rule's memory) a client whose
// slot is held by another client's current series is not remembered: its pairs are judged
// without that context, so the bound costs selection precision, never a beacon.
TEST(BehaviourBeacon, TheClientTableAtItsBoundNeverHidesABeacon) {
  const std::size_t budget = 256 * 1024;
  auto engine = make({{5, beacon_params()}}, budget);
  // 150 clients, each its own current series, in the ~490 slots of the client table: about 20
  // of them meet a slot already held (checked: the test fails without the client key check).
  constexpr std::uint32_t kBots = 150;
  std::set<std::uint32_t> flagged;
  for (int beat = 0; beat < 10; ++beat) {
    for (std::uint32_t b = 0; b < kBots; ++b) {
      const auto hits =
          start(engine, tcp(spoofed(b), target(b), 443), at_ms(beat * 60'000LL + b * 100));
      if (selected_by(hits, 5)) {
        EXPECT_EQ(measure(hits[0], "client_series"), 1);
        flagged.insert(b);
      }
    }
  }
  EXPECT_EQ(engine.stats().rules[0].refused, 0u);
  EXPECT_EQ(flagged.size(), kBots);
  EXPECT_LE(engine.memory_bytes(), budget);
}

TEST(BehaviourBeacon, NearMissesAreNotFlagged) {
  auto engine = make({{5, beacon_params()}});
  for (int i = 0; i < 30; ++i) {
    // Alternating 20 s and 100 s gaps: cv = 0.67.
    const std::int64_t t = (i / 2) * 120'000 + (i % 2) * 20'000;
    EXPECT_TRUE(start(engine, tcp(host(21), other(21), 443), at_ms(t)).empty());
    // Regular but every 2 s, below min_interval: never a series.
    EXPECT_TRUE(start(engine, tcp(host(22), other(22), 443), at_ms(2'000 * i)).empty());
  }
  // Regular, but only 7 connections.
  for (int i = 0; i < 7; ++i) {
    EXPECT_TRUE(start(engine, tcp(host(23), other(23), 443), at_ms(60'000 * i)).empty());
  }
  EXPECT_EQ(engine.stats().rules[0].flagged, 0u);
}

TEST(BehaviourBeacon, AGapBeyondMaxIntervalStartsANewSeries) {
  BeaconParams p = beacon_params(4);
  p.max_interval = Duration::seconds(600);
  auto engine = make({{5, p}});
  const auto flow = tcp(host(24), other(24), 443);
  // 4 starts 5 min apart (admitted at the 2nd: 3 connections tracked), then a 20 min silence
  // and 3 more: neither series has 4 connections.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(start(engine, flow, at_s(300.0 * i)).empty());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(start(engine, flow, at_s(2100 + 300.0 * i)).empty());
  // The 4th connection of the new series flags it.
  EXPECT_FALSE(start(engine, flow, at_s(3000)).empty());
}

TEST(BehaviourBeacon, RulesOfOneKindApplyTheirOwnThresholds) {
  auto engine = make({{1, beacon_params(8, 0.05)}, {2, beacon_params(8, 0.3)}});
  const Series s = jittered(12, 60'000, 0.3, 4);  // cv ≈ 0.17
  std::vector<BehaviourHit> hits;
  for (const std::int64_t ms : s.starts_ms) {
    hits = start(engine, tcp(host(25), other(25), 443), at_ms(ms));
  }
  EXPECT_FALSE(selected_by(hits, 1));
  EXPECT_TRUE(selected_by(hits, 2));
}

// ---- configuration ------------------------------------------------------------------------------

TEST(BehaviourEngine, RejectsInvalidParametersNamingRuleAndField) {
  auto error_of = [](BehaviourParams params) {
    auto engine = BehaviourEngine::create({{0, std::move(params)}}, 4 * kMiB, 1);
    return engine ? std::string() : engine.error().message;
  };
  ScanParams scan;
  scan.min_targets = 2;
  EXPECT_NE(error_of(scan).find("min_targets"), std::string::npos);
  scan = {};
  scan.min_failed_ratio = 1.5;
  EXPECT_NE(error_of(scan).find("min_failed_ratio"), std::string::npos);
  AmplificationParams amplification;
  amplification.udp_ports = {};
  EXPECT_NE(error_of(amplification).find("udp_ports"), std::string::npos);
  amplification = {};
  amplification.min_ratio = std::nan("");
  EXPECT_NE(error_of(amplification).find("min_ratio"), std::string::npos);
  BeaconParams beacon;
  beacon.min_connections = 40;
  EXPECT_NE(error_of(beacon).find("min_connections"), std::string::npos);
  beacon = {};
  beacon.min_interval = Duration::seconds(10);
  beacon.max_interval = Duration::seconds(5);
  EXPECT_NE(error_of(beacon).find("rule 0 (beacon)"), std::string::npos);
  beacon = {};
  beacon.max_client_series = kMaxClientSeries;
  EXPECT_NE(error_of(beacon).find("max_client_series must be 1..3"), std::string::npos);
  EXPECT_EQ(error_of(ScanParams{}), "");
}

TEST(BehaviourEngine, RejectsABudgetBelowTheMinimum) {
  auto engine = BehaviourEngine::create({{0, ScanParams{}}, {1, BeaconParams{}}}, 6000, 1);
  ASSERT_FALSE(engine);
  EXPECT_NE(engine.error().message.find("below the minimum"), std::string::npos);
  EXPECT_FALSE(BehaviourEngine::create({}, 16, 1));  // not even the engine object fits
  auto empty = BehaviourEngine::create({}, 4096, 1);
  ASSERT_TRUE(empty);
  EXPECT_LE(empty->memory_bytes(), 4096u);
  EXPECT_FALSE(empty->wants_udp_port(53));
  start(*empty, tcp(host(1), host(2)), kStart);
  EXPECT_TRUE(select(*empty, tcp(host(1), host(2)), kStart).empty());
}

TEST(BehaviourEngine, OutOfOrderTimesNeitherCrashNorCountTwice) {
  auto engine = make({{1, scan_params()}, {2, amplification_params()}, {3, beacon_params()}});
  std::mt19937_64 rng(8);
  for (int i = 0; i < 20'000; ++i) {
    const Timestamp t = at_ms(static_cast<std::int64_t>(rng() % 3'600'000));
    const auto flow = udp(host(static_cast<std::uint32_t>(rng() % 4)), 53,
                          other(static_cast<std::uint32_t>(rng() % 200)), 40000);
    start(engine, flow, t);
    engine.on_udp_bytes(flow, static_cast<int>(rng() % 2), 1200, t);
    engine.on_reply(flow, 0, t);
    select(engine, flow, t);
  }
  start(engine, tcp(host(1), host(2)), Timestamp{-5});  // before the epoch: clamped
  EXPECT_LE(engine.memory_bytes(), 4 * kMiB);
}

// The admission sketch ages by halving per epoch (lazily, per block: core/sketch.h): attempts
// of a source below the admission mark fade, and a long silence forgets them entirely.
TEST(BehaviourEngine, AdmissionCountsHalvePerEpochAndFadeOverLongGaps) {
  ScanParams p = scan_params();
  p.window = Duration::seconds(2);  // epochs of 1 s
  p.reply_grace = Duration{};
  auto engine = make({{1, p}});
  const IpAddress source = host(50);
  auto attempt = [&](std::uint32_t n, Timestamp t) {
    engine.on_flow_start(tcp(source, target(n), 22), kSyn, t);
  };
  auto admitted = [&] { return engine.stats().rules[0].admitted; };
  for (std::uint32_t n = 0; n < 3; ++n) attempt(n, at_ms(100 + n));  // estimate 3
  attempt(3, at_ms(1'100));  // one epoch later: 3 / 2 = 1, then 2
  EXPECT_EQ(admitted(), 0u);
  attempt(4, at_ms(1'200));  // 3
  EXPECT_EQ(admitted(), 0u);
  attempt(5, at_ms(1'300));  // 4: admitted
  EXPECT_EQ(admitted(), 1u);
  // Another source: 3 attempts, then 40000 s of silence (far more epochs than a block's
  // stamp can tell apart), then 3 more: never 4 at once.
  const IpAddress quiet = host(51);
  for (std::uint32_t n = 0; n < 3; ++n) {
    engine.on_flow_start(tcp(quiet, target(n), 22), kSyn, at_ms(2'000 + n));
  }
  for (std::uint32_t n = 0; n < 3; ++n) {
    engine.on_flow_start(tcp(quiet, target(n), 22), kSyn, at_s(40'002 + n * 0.001));
  }
  EXPECT_EQ(admitted(), 1u);
  // And a gap of 2^16 + 3 epochs (a multiple of a block stamp's range plus a few; the sketch's
  // own tests cover the same lag reached in single steps).
  for (std::uint32_t n = 0; n < 3; ++n) {
    engine.on_flow_start(tcp(quiet, target(n), 22), kSyn, at_s(105'541 + n * 0.001));
  }
  EXPECT_EQ(admitted(), 1u);
}

// The look-ahead (prefetch_flow_start, prefetch_udp) changes nothing that can be observed,
// whether it announces the flow that follows, another one, or a flow that never comes.
TEST(BehaviourEngine, LookAheadChangesNoResult) {
  auto run = [](bool look_ahead) {
    auto engine =
        make({{1, scan_params(16, Duration{})}, {2, amplification_params()}, {3, beacon_params(4)}},
             1 * kMiB, 7);
    std::mt19937_64 rng(17);
    std::vector<std::vector<BehaviourHit>> hits;
    for (int i = 0; i < 60'000; ++i) {
      const Timestamp t = at_ms(i * 50);
      const auto who = static_cast<std::uint32_t>(rng() % 40);
      const auto flow = rng() % 2 == 0
                            ? tcp(host(who), target(static_cast<std::uint32_t>(rng() % 400)), 22)
                            : udp(other(static_cast<std::uint32_t>(rng() % 60)),
                                  rng() % 4 == 0 ? 123 : 53, host(who), 40000);
      if (look_ahead) {
        engine.prefetch_flow_start(flow, kSyn);
        engine.prefetch_udp(flow.initiator, flow.initiator_port, flow.responder,
                            flow.responder_port);
        engine.prefetch_flow_start(tcp(host(who + 1), host(who), 80), kSyn);  // never comes
        engine.prefetch_udp(flow.responder, 53, flow.initiator, 53);
      }
      hits.push_back(start(engine, flow, t));
      if (flow.protocol == kUdp) {
        if (look_ahead) {
          engine.prefetch_udp(flow.initiator, flow.initiator_port, flow.responder,
                              flow.responder_port);
        }
        engine.on_udp_bytes(flow, 0, 1500, t);
        hits.push_back(select(engine, flow, t));
      } else if (rng() % 10 == 0) {
        engine.on_reply(flow, rng() % 2 == 0 ? kSynAck : kRstAck, t);
      }
    }
    std::vector<std::uint64_t> counts;
    for (const auto& rule : engine.stats().rules) {
      counts.insert(counts.end(),
                    {rule.admitted, rule.refused, rule.evicted, rule.expired, rule.flagged,
                     rule.hits, rule.tracked, rule.flagged_now, rule.below_admission});
    }
    return std::pair{hits, counts};
  };
  const auto plain = run(false);
  const auto ahead = run(true);
  EXPECT_EQ(plain.second, ahead.second);
  ASSERT_EQ(plain.first.size(), ahead.first.size());
  std::size_t selected = 0;
  for (std::size_t i = 0; i < plain.first.size(); ++i) {
    ASSERT_EQ(plain.first[i].size(), ahead.first[i].size()) << i;
    for (std::size_t j = 0; j < plain.first[i].size(); ++j) {
      EXPECT_EQ(plain.first[i][j].rule, ahead.first[i][j].rule);
      EXPECT_EQ(plain.first[i][j].measured, ahead.first[i][j].measured);
    }
    selected += plain.first[i].size();
  }
  EXPECT_GT(selected, 0u);  // the comparison covered hits
}

TEST(BehaviourEngine, CountersAreStatsWithoutTheLiveCounts) {
  auto engine =
      make({{1, scan_params(64, Duration{})}, {2, amplification_params()}, {3, beacon_params()}});
  for (std::uint32_t i = 0; i < 200; ++i) start(engine, tcp(host(60), target(i), 22), at_ms(i));
  const auto stats = engine.stats();
  const auto counters = engine.counters();
  EXPECT_EQ(counters.memory_bytes, stats.memory_bytes);
  ASSERT_EQ(counters.rules.size(), stats.rules.size());
  EXPECT_GT(stats.rules[0].tracked, 0u);
  EXPECT_EQ(stats.rules[0].flagged_now, 1u);
  for (std::size_t i = 0; i < stats.rules.size(); ++i) {
    BehaviourRuleStats expected = stats.rules[i];
    expected.tracked = 0;
    expected.flagged_now = 0;
    const BehaviourRuleStats& got = counters.rules[i];
    EXPECT_EQ(got.rule, expected.rule);
    EXPECT_EQ(got.kind, expected.kind);
    EXPECT_EQ(got.memory_bytes, expected.memory_bytes);
    EXPECT_EQ(got.capacity, expected.capacity);
    EXPECT_EQ(got.tracked, 0u);
    EXPECT_EQ(got.flagged_now, 0u);
    EXPECT_EQ(got.below_admission, expected.below_admission);
    EXPECT_EQ(got.admitted, expected.admitted);
    EXPECT_EQ(got.refused, expected.refused);
    EXPECT_EQ(got.evicted, expected.evicted);
    EXPECT_EQ(got.expired, expected.expired);
    EXPECT_EQ(got.flagged, expected.flagged);
    EXPECT_EQ(got.hits, expected.hits);
  }
}

// ---- bounded memory -----------------------------------------------------------------------------

std::vector<BehaviourRule> all_three() {
  return {{1, scan_params()}, {2, amplification_params()}, {3, beacon_params()}};
}

// 2 million spoofed single-SYN sources (each a different address, to random targets) over
// 600 s, interleaved with one real scanner (one attempt per 100 flows, unanswered) and one
// beacon pair (every 30 s ± 10 %). The budget is fixed; the actors must still be flagged.
TEST(BehaviourMemory, SpoofedSynFloodKeepsTheBoundAndTheActors) {
  constexpr std::size_t kBudget = 8 * kMiB;
  auto engine = make(all_three(), kBudget, 0x5eed);
  const std::size_t reserved = engine.memory_bytes();
  EXPECT_LE(reserved, kBudget);
  constexpr std::uint32_t kFlows = 2'000'000;
  const Series beacon = jittered(21, 30'000, 0.10, 9);
  std::size_t next_beacon = 0;
  const auto beacon_flow = tcp(host(30), other(30), 443);
  const IpAddress scanner = host(31);
  std::uint32_t scanner_hits = 0;
  std::uint32_t beacon_hits = 0;
  std::uint32_t spoofed_hits = 0;
  std::mt19937_64 rng(12);
  for (std::uint32_t i = 0; i < kFlows; ++i) {
    const std::int64_t ms = std::int64_t{i} * 600'000 / kFlows;
    const Timestamp t = at_ms(ms);
    const auto flow =
        tcp(spoofed(i * 2654435761u ^ (i >> 22)), target(static_cast<std::uint32_t>(rng())),
            static_cast<std::uint16_t>(rng()), static_cast<std::uint16_t>(rng()));
    spoofed_hits += start(engine, flow, t).empty() ? 0 : 1;
    if (i % 100 == 0) {
      scanner_hits += start(engine, tcp(scanner, target(i / 100), 22), t).empty() ? 0 : 1;
    }
    if (next_beacon < beacon.starts_ms.size() && beacon.starts_ms[next_beacon] <= ms) {
      beacon_hits += start(engine, beacon_flow, t).empty() ? 0 : 1;
      ++next_beacon;
    }
    if (i % 100'000 == 0) {
      ASSERT_EQ(engine.memory_bytes(), reserved);
    }
  }
  EXPECT_EQ(engine.memory_bytes(), reserved);
  EXPECT_EQ(spoofed_hits, 0u);
  EXPECT_GT(scanner_hits, 15'000u);  // of 20000 attempts
  EXPECT_GE(beacon_hits, 10u);       // from its 9th start on (~20 starts fall within 600 s)
  EXPECT_TRUE(selected_by(select(engine, tcp(scanner, other(40)), at_s(600)), 1));
  EXPECT_TRUE(selected_by(select(engine, beacon_flow, at_s(601)), 3));
  const auto stats = engine.stats();
  EXPECT_EQ(stats.memory_bytes, reserved);
  const auto& scan = stats.rules[0];
  const auto& beacon_stats = stats.rules[2];
  EXPECT_GT(scan.below_admission + scan.refused, 0u);
  EXPECT_GT(scan.evicted + scan.expired, 0u);
  EXPECT_GT(beacon_stats.evicted + beacon_stats.refused + beacon_stats.below_admission, 0u);
  EXPECT_LE(scan.tracked, scan.capacity);
  EXPECT_EQ(scan.flagged, 1u);
  EXPECT_EQ(beacon_stats.flagged, 1u);
}

// 2 million spoofed victims each receiving one 1 KB DNS response (a carpet of reflections),
// interleaved with one real victim receiving 3 KB from a CLDAP reflector every 20 datagrams.
TEST(BehaviourMemory, SpoofedReflectionFloodKeepsTheBoundAndTheVictim) {
  constexpr std::size_t kBudget = 8 * kMiB;
  auto engine = make(all_three(), kBudget, 0x5eed);
  const std::size_t reserved = engine.memory_bytes();
  constexpr std::uint32_t kDatagrams = 2'000'000;
  const IpAddress victim = host(40);
  std::uint32_t victim_hits = 0;
  std::uint32_t spoofed_hits = 0;
  for (std::uint32_t i = 0; i < kDatagrams; ++i) {
    const Timestamp t = at_ms(std::int64_t{i} * 60'000 / kDatagrams);
    const auto flow = udp(other(i), 53, spoofed(i * 2654435761u), 40000);
    start(engine, flow, t);
    engine.on_udp_bytes(flow, 0, 1000, t);
    spoofed_hits += select(engine, flow, t).empty() ? 0 : 1;
    if (i % 20 == 0) {
      const auto real = udp(other(i / 20), 389, victim, 40001);
      engine.on_udp_bytes(real, 0, 3000, t);
      victim_hits += select(engine, real, t).empty() ? 0 : 1;
    }
    if (i % 100'000 == 0) {
      ASSERT_EQ(engine.memory_bytes(), reserved);
    }
  }
  EXPECT_EQ(engine.memory_bytes(), reserved);
  EXPECT_EQ(spoofed_hits, 0u);
  EXPECT_GT(victim_hits, 90'000u);  // of 100000 datagrams (300 MB)
  const auto amplification = engine.stats().rules[1];
  EXPECT_EQ(amplification.flagged, 1u);
  EXPECT_GT(amplification.evicted + amplification.refused, 0u);
}

// A budget so small that each table has one bucket of 8 ways: 40 scanners compete. What
// happens at the bound: 8 are tracked; once flagged they keep their ways for their hold and
// newcomers are refused (missed); after the holds lapse, the ways are reused. Never growth.
TEST(BehaviourMemory, AtTheBoundFlaggedSubjectsStayAndNewcomersAreRefused) {
  auto probe = BehaviourEngine::create({{1, scan_params(16, Duration{})}}, 1 * kMiB, 1);
  ASSERT_TRUE(probe);
  const std::size_t overhead = probe->memory_bytes() - probe->stats().rules[0].memory_bytes;
  const std::size_t budget = overhead + BehaviourEngine::kMinBytesPerRule;
  auto engine = make({{1, scan_params(16, Duration{})}}, budget);
  const std::size_t reserved = engine.memory_bytes();
  EXPECT_LE(reserved, budget);
  EXPECT_EQ(engine.stats().rules[0].capacity, 8u);
  std::vector<int> hits(40, 0);
  for (std::uint32_t round = 0; round < 100; ++round) {
    for (std::uint32_t s = 0; s < 40; ++s) {
      const auto flow = tcp(host(s), target(round), 22);
      hits[s] += start(engine, flow, at_ms(round * 1000 + s)).empty() ? 0 : 1;
    }
  }
  EXPECT_EQ(engine.memory_bytes(), reserved);
  auto stats = engine.stats().rules[0];
  EXPECT_EQ(stats.tracked, 8u);
  EXPECT_EQ(stats.flagged, 8u);
  EXPECT_EQ(stats.flagged_now, 8u);
  EXPECT_GT(stats.refused, 1000u);
  EXPECT_EQ(std::count_if(hits.begin(), hits.end(), [](int h) { return h > 0; }), 8);
  // The flagged keep scanning: held. Others are missed. After 3 epochs of silence the holds are
  // over and the ways go to new subjects.
  for (std::uint32_t round = 0; round < 60; ++round) {
    for (std::uint32_t s = 100; s < 110; ++s) {
      start(engine, tcp(host(s), target(round), 22), at_s(1000 + round + s * 0.001));
    }
  }
  stats = engine.stats().rules[0];
  EXPECT_EQ(stats.expired, 8u);
  EXPECT_EQ(stats.flagged, 16u);
  EXPECT_EQ(engine.memory_bytes(), reserved);
}

TEST(BehaviourMemory, DeterministicUnderASeed) {
  auto run = [](std::uint64_t seed) {
    auto engine = make(all_three(), 64 * 1024 * 8, seed);
    std::mt19937_64 rng(5);
    for (int i = 0; i < 100'000; ++i) {
      const auto flow = tcp(spoofed(static_cast<std::uint32_t>(rng() % 5000)),
                            target(static_cast<std::uint32_t>(rng() % 300)), 80);
      start(engine, flow, at_ms(i * 10));
    }
    const auto s = engine.stats().rules[0];
    return std::vector<std::uint64_t>{s.admitted, s.evicted, s.refused, s.flagged, s.tracked};
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

}  // namespace
}  // namespace mamori::sieve
