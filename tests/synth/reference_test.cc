// The reference behaviour evaluation (synth/reference.h) on hand-made series: thresholds,
// epoch alignment, margins and the flow table that feeds it from packets.
#include "mamori/synth/reference.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mamori::synth {
namespace {

constexpr std::int64_t kS = 1'000'000'000;
const Timestamp kT0 = Timestamp::from_seconds(1'793'491'200);  // a multiple of 150 s

IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }

std::vector<Timestamp> every(std::int64_t seconds, std::size_t count, Timestamp from = kT0) {
  std::vector<Timestamp> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(from + Duration{static_cast<std::int64_t>(i) * seconds * kS});
  }
  return out;
}

double measure(const Evaluation& e, std::string_view name) {
  for (const auto& [key, value] : e.measures) {
    if (key == name) return value;
  }
  ADD_FAILURE() << "no measure " << name;
  return -1;
}

TEST(Reference, BeaconCrossesAtTheEighthRegularConnection) {
  const DetectionThresholds t;
  const auto starts = every(60, 12);
  const Evaluation e = evaluate_beacon(starts, t);
  EXPECT_TRUE(e.crosses);
  EXPECT_TRUE(e.clear);
  ASSERT_TRUE(e.first_crossing.has_value());
  EXPECT_EQ(*e.first_crossing, starts[7]);
  EXPECT_EQ(measure(e, "connections"), 12);
  EXPECT_EQ(measure(e, "cv"), 0);
  EXPECT_EQ(measure(e, "mean_interval_s"), 60);
}

TEST(Reference, BeaconNeedsRegularIntervalsWithinTheRange) {
  const DetectionThresholds t;
  // Alternating 10 s and 110 s: cv 0.83.
  std::vector<Timestamp> starts = {kT0};
  for (int i = 0; i < 20; ++i) starts.push_back(starts.back() + Duration{(i % 2 ? 110 : 10) * kS});
  Evaluation e = evaluate_beacon(starts, t);
  EXPECT_FALSE(e.crosses);
  EXPECT_TRUE(e.clear);
  EXPECT_NEAR(measure(e, "cv"), 0.8333, 0.001);
  // Seven regular connections: below the rule, but too close to call with margins.
  e = evaluate_beacon(every(60, 7), t);
  EXPECT_FALSE(e.crosses);
  EXPECT_FALSE(e.clear);
  // Gaps below min_interval (chatty) restart the series.
  std::vector<Timestamp> chatty;
  for (const auto& s : every(60, 14)) {
    chatty.push_back(s);
    if (chatty.size() == 6) chatty.push_back(s + Duration{2 * kS});
  }
  e = evaluate_beacon(chatty, t);
  ASSERT_TRUE(e.crosses);
  EXPECT_EQ(*e.first_crossing, chatty[13]);  // the 8th regular start after the restart at [6]
  // A 5 % jitter stays far below cv 0.2.
  std::vector<Timestamp> jittered = {kT0};
  for (int i = 0; i < 15; ++i)
    jittered.push_back(jittered.back() + Duration{(i % 2 ? 63 : 57) * kS});
  e = evaluate_beacon(jittered, t);
  EXPECT_TRUE(e.crosses && e.clear);
  EXPECT_NEAR(measure(e, "cv"), 0.05, 0.001);
}

RefFlow attempt(std::string_view source, std::string_view target, std::uint16_t port,
                Timestamp start, bool answered) {
  RefFlow f;
  f.protocol = 6;
  f.initiator = ip(source);
  f.initiator_port = 40000;
  f.responder = ip(target);
  f.responder_port = port;
  f.start = start;
  f.packets = answered ? 3 : 1;
  f.replied = answered;
  return f;
}

Evaluation scan_of(const std::vector<RefFlow>& flows) {
  std::vector<const RefFlow*> attempts;
  for (const auto& f : flows) attempts.push_back(&f);
  return evaluate_scan(attempts, DetectionThresholds{});
}

TEST(Reference, ScanCountsDistinctTargetsInAlignedEpochs) {
  std::vector<RefFlow> flows;
  for (int i = 0; i < 100; ++i) {
    flows.push_back(attempt("85.17.0.9", fmt::format("219.94.130.{}", i + 1), 22,
                            kT0 + Duration{i * kS}, i % 20 == 0));
  }
  Evaluation e = scan_of(flows);
  EXPECT_TRUE(e.crosses);
  EXPECT_TRUE(e.clear);
  EXPECT_EQ(*e.first_crossing, flows[63].start);
  EXPECT_EQ(measure(e, "targets"), 100);
  EXPECT_EQ(measure(e, "failed_ratio"), 0.95);
  // The same targets, answered: a busy client, not a scan.
  for (auto& f : flows) f.replied = true;
  e = scan_of(flows);
  EXPECT_FALSE(e.crosses);
  EXPECT_TRUE(e.clear);
  // Refused (RST) counts as failed.
  for (auto& f : flows) f.reply_rst = true;
  EXPECT_TRUE(scan_of(flows).crosses);
  // Repeated probes of one target are one target.
  for (auto& f : flows) {
    f.responder = ip("219.94.130.1");
    f.replied = false;
  }
  EXPECT_FALSE(scan_of(flows).crosses);
  // 40 probes late in epoch k and 40 early in epoch k + 2: no two adjacent epochs hold 64,
  // although a sliding 5-minute window holds 80. Not caught, and too close to call.
  flows.clear();
  for (int i = 0; i < 40; ++i) {
    flows.push_back(attempt("85.17.0.9", fmt::format("219.94.131.{}", i + 1), 22,
                            kT0 + Duration{140 * kS + i * kS / 4}, false));
  }
  for (int i = 0; i < 40; ++i) {
    flows.push_back(attempt("85.17.0.9", fmt::format("219.94.132.{}", i + 1), 22,
                            kT0 + Duration{300 * kS + i * kS / 4}, false));
  }
  e = scan_of(flows);
  EXPECT_FALSE(e.crosses);
  EXPECT_FALSE(e.clear);
  EXPECT_EQ(measure(e, "targets"), 40);
}

TEST(Reference, AmplificationWeighsResponsesAgainstRequests) {
  const DetectionThresholds t;
  const IpAddress victim = ip("1.0.16.9");
  std::vector<RefFlow> flows;
  for (int i = 0; i < 120; ++i) {
    RefFlow f;
    f.protocol = 17;
    f.initiator = ip("45.32.1.1");  // only the response crossed
    f.initiator_port = 53;
    f.responder = victim;
    f.responder_port = static_cast<std::uint16_t>(1024 + i);
    f.start = kT0 + Duration{i * kS / 4};
    f.datagrams = {{f.start, true, 1400}};
    flows.push_back(f);
  }
  std::vector<const RefFlow*> list;
  for (const auto& f : flows) list.push_back(&f);
  Evaluation e = evaluate_amplification(victim, list, t);
  EXPECT_TRUE(e.crosses);
  EXPECT_TRUE(e.clear);
  EXPECT_EQ(*e.first_crossing, flows[71].start);  // 72 × 1400 ≥ 100000
  EXPECT_EQ(measure(e, "response_bytes"), 168000);
  EXPECT_EQ(measure(e, "request_bytes"), 0);
  // Each response answering a request a quarter its size: ratio 4, never amplification.
  for (auto& f : flows) f.datagrams.insert(f.datagrams.begin(), {f.start, false, 350});
  e = evaluate_amplification(victim, list, t);
  EXPECT_FALSE(e.crosses);
  EXPECT_TRUE(e.clear);
  EXPECT_EQ(measure(e, "ratio"), 4);
  // The reflector is no victim: its responses do not count toward it.
  EXPECT_FALSE(evaluate_amplification(ip("45.32.1.1"), list, t).crosses);
}

// An Ethernet/IPv4 frame with a TCP or UDP header (no payload).
std::vector<std::uint8_t> frame(std::uint8_t protocol, std::string_view src, std::uint16_t sport,
                                std::string_view dst, std::uint16_t dport, std::uint8_t flags) {
  std::vector<std::uint8_t> f(14 + 20 + (protocol == 6 ? 20 : 8), 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[14 + 9] = protocol;
  const auto put = [&](std::size_t at, const IpAddress& a) {
    const auto v = a.v4_value();
    for (int i = 0; i < 4; ++i)
      f[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
  };
  put(26, ip(src));
  put(30, ip(dst));
  f[34] = static_cast<std::uint8_t>(sport >> 8);
  f[35] = static_cast<std::uint8_t>(sport);
  f[36] = static_cast<std::uint8_t>(dport >> 8);
  f[37] = static_cast<std::uint8_t>(dport);
  if (protocol == 6) f[34 + 13] = flags;
  return f;
}

TEST(Reference, FlowTableSplitsOnIdleAndNewSyn) {
  const DetectionThresholds t;
  RefFlowTable table(t);
  // NTP from port 123 every 64 s: a new flow each time (idle 60 s).
  for (int i = 0; i < 3; ++i) {
    const Timestamp at = kT0 + Duration{i * 64 * kS};
    table.add(at, frame(17, "126.1.2.3", 123, "104.16.0.9", 123, 0));
    table.add(at + Duration::millis(90), frame(17, "104.16.0.9", 123, "126.1.2.3", 123, 0));
  }
  // A refused SYN, then the same 5-tuple again right away: two attempts.
  table.add(kT0, frame(6, "85.17.0.9", 40000, "219.94.130.5", 22, 0x02));
  table.add(kT0 + Duration::millis(1), frame(6, "219.94.130.5", 22, "85.17.0.9", 40000, 0x14));
  table.add(kT0 + Duration::millis(5), frame(6, "85.17.0.9", 40000, "219.94.130.5", 22, 0x02));
  const auto flows = table.finish();
  ASSERT_EQ(flows.size(), 5u);
  int ntp = 0, refused = 0, pending = 0;
  for (const auto& f : flows) {
    if (f.protocol == 17) {
      ++ntp;
      EXPECT_EQ(f.packets, 2u);
      EXPECT_TRUE(f.replied);
      ASSERT_EQ(f.datagrams.size(), 2u);
      EXPECT_TRUE(f.datagrams[0].from_initiator);
      EXPECT_FALSE(f.datagrams[1].from_initiator);
      EXPECT_EQ(f.datagrams[0].bytes, 42u);
    } else if (f.replied) {
      ++refused;
      EXPECT_TRUE(f.reply_rst);
    } else {
      ++pending;
    }
  }
  EXPECT_EQ(ntp, 3);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(pending, 1);
  const auto all = evaluate_all(flows, t);
  EXPECT_TRUE(all.beacon.contains(beacon_key(ip("126.1.2.3"), ip("104.16.0.9"), 123, 17)));
  EXPECT_TRUE(all.amplification.contains("126.1.2.3"));
  EXPECT_TRUE(all.amplification.contains("104.16.0.9"));  // 123 ↔ 123: both receive
  EXPECT_TRUE(all.scan.contains("85.17.0.9"));
}

}  // namespace
}  // namespace mamori::synth
