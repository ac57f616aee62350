// The detection profile end to end: determinism, truth ↔ pcap consistency (flows, actors and
// the reference verdicts re-derived from the pcap alone), beacon jitter, scan targets,
// amplification and decoy packets, the ruleset, option checks, and that the standard profile's
// output is unchanged.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "mamori/synth/address_plan.h"
#include "mamori/synth/reference.h"
#include "mamori/synth/synth.h"
#include "mamori/synth/truth_reader.h"
#include "test_support.h"

namespace mamori::synth {
namespace {

using testing::parse_frame;
using testing::read_bytes;
using testing::read_pcap;
using testing::TempDir;

constexpr std::uint8_t kSyn = 0x02;
constexpr std::uint8_t kRst = 0x04;
constexpr std::uint8_t kAck = 0x10;

double parameter(const TruthActor& actor, std::string_view name) {
  for (const auto& [key, value] : actor.parameters) {
    if (key == name) return value;
  }
  ADD_FAILURE() << actor.id << " has no parameter " << name;
  return 0;
}

double measure(const TruthActor& actor, std::string_view name) {
  for (const auto& [key, value] : actor.measures) {
    if (key == name) return value;
  }
  ADD_FAILURE() << actor.id << " has no measure " << name;
  return 0;
}

Timestamp micros_of(const testing::PcapRecord& r) {
  return Timestamp::from_micros(std::int64_t{r.seconds} * 1'000'000 + r.micros);
}

SynthOptions detection_options(const std::filesystem::path& dir, std::uint64_t seed) {
  SynthOptions options;
  options.out_path = (dir / "det.pcap").string();
  options.seed = seed;
  options.size_mb = 16;
  options.profile = Profile::detection;
  return options;
}

// One detection capture (a seed used nowhere else) shared by the suite.
class DetectionCapture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("detection");
    auto result = synthesize(detection_options(dir_->path(), 4711));
    ASSERT_TRUE(result.has_value()) << result.error().message;
    summary_ = new SynthSummary(*result);
    auto truth = read_truth(summary_->truth_path);
    ASSERT_TRUE(truth.has_value()) << truth.error().message;
    truth_ = new TruthFile(std::move(*truth));
    auto pcap = read_pcap(summary_->pcap_path);
    ASSERT_TRUE(pcap.has_value());
    pcap_ = new testing::PcapFile(std::move(*pcap));
    RefFlowTable table(thresholds_);
    for (const auto& record : pcap_->records) table.add(micros_of(record), record.data);
    flows_ = new std::vector<RefFlow>(table.finish());
  }
  static void TearDownTestSuite() {
    delete flows_;
    delete pcap_;
    delete truth_;
    delete summary_;
    delete dir_;
  }
  static std::vector<const TruthActor*> actors(std::string_view kind) {
    std::vector<const TruthActor*> out;
    for (const auto& a : truth_->actors) {
      if (a.kind == kind) out.push_back(&a);
    }
    return out;
  }
  static std::vector<const TruthActor*> scenario(std::string_view name) {
    std::vector<const TruthActor*> out;
    for (const auto& a : truth_->actors) {
      if (a.scenario == name) out.push_back(&a);
    }
    return out;
  }

  static inline const DetectionThresholds thresholds_{};
  static TempDir* dir_;
  static SynthSummary* summary_;
  static TruthFile* truth_;
  static testing::PcapFile* pcap_;
  static std::vector<RefFlow>* flows_;
};
TempDir* DetectionCapture::dir_ = nullptr;
SynthSummary* DetectionCapture::summary_ = nullptr;
TruthFile* DetectionCapture::truth_ = nullptr;
testing::PcapFile* DetectionCapture::pcap_ = nullptr;
std::vector<RefFlow>* DetectionCapture::flows_ = nullptr;

TEST_F(DetectionCapture, HeaderSizeAndSpan) {
  EXPECT_EQ(truth_->version, 2);
  EXPECT_EQ(truth_->profile, "detection");
  ASSERT_TRUE(truth_->thresholds.has_value());
  EXPECT_EQ(*truth_->thresholds, DetectionThresholds{});
  EXPECT_EQ(summary_->actors, truth_->actors.size());
  EXPECT_EQ(summary_->truth_flows, truth_->flows.size());
  const double size = static_cast<double>(std::filesystem::file_size(summary_->pcap_path));
  EXPECT_NEAR(size / (16.0 * 1024 * 1024), 1.0, 0.10);
  // Hours of simulated time: the default three, nearly all of it used.
  EXPECT_EQ(truth_->header.start, kDefaultStart);
  EXPECT_GT((truth_->header.end - truth_->header.start).nanos, Duration::seconds(10'000).nanos);
  Timestamp last_start = kDefaultStart;
  for (const auto& flow : truth_->flows) last_start = std::max(last_start, flow.facts.start);
  EXPECT_LT(last_start, kDefaultStart + kDetectionDuration);
  EXPECT_GT(last_start, kDefaultStart + Duration::seconds(10'000));
  EXPECT_GT(truth_->benign_flows, 20u);
}

TEST_F(DetectionCapture, EveryScenarioIsPresent) {
  std::set<std::string> scenarios;
  for (const auto& a : truth_->actors) scenarios.insert(a.scenario);
  for (const char* name :
       {"c2_jitter_sni", "c2_jitter_nosni", "c2_odd_port",   "c2_http_odd_port", "c2_hop24",
        "c2_hop24_fast", "scan_fast",       "scan_worm",     "scan_slow",        "scan_stealth",
        "amp_dns",       "amp_ntp",         "amp_memcached", "amp_ssdp",         "amp_dns_weak",
        "ntp_client",    "update_check",    "health_check",  "busy_client",      "dns_resolver"}) {
    EXPECT_TRUE(scenarios.contains(name)) << name;
  }
  // Both sides of each threshold are represented, and no verdict sits near a threshold.
  for (const char* kind : {"scan", "amplification", "beacon", "c2"}) {
    int yes = 0, no = 0;
    for (const auto* a : actors(kind)) {
      (a->expected_detectable ? yes : no) += 1;
      const std::string behaviour = std::string_view(kind) == "c2" ? "beacon" : kind;
      EXPECT_EQ(a->expected_detectable,
                std::find(a->trips.begin(), a->trips.end(), behaviour) != a->trips.end())
          << a->id;
      EXPECT_FALSE(a->near_threshold) << a->id << ": " << a->reason;
      EXPECT_EQ(a->expected_detectable, a->detectable_from.has_value()) << a->id;
      EXPECT_EQ(a->expected_detectable, a->reason.empty()) << a->id << ": " << a->reason;
    }
    EXPECT_GT(yes, 0) << kind;
    EXPECT_GT(no, 0) << kind;
  }
  for (const auto* a : actors("decoy")) {
    EXPECT_FALSE(a->expected_detectable);
    EXPECT_FALSE(a->near_threshold) << a->id;
  }
}

TEST_F(DetectionCapture, EveryTruthFlowIsAFlowOfThePcap) {
  using Key =
      std::tuple<std::uint8_t, IpAddress, std::uint16_t, IpAddress, std::uint16_t, std::int64_t>;
  std::map<Key, const RefFlow*> seen;
  for (const auto& f : *flows_) {
    seen[{f.protocol, f.initiator, f.initiator_port, f.responder, f.responder_port,
          f.start.micros()}] = &f;
  }
  std::set<std::size_t> in_actors;
  for (const auto& a : truth_->actors) in_actors.insert(a.flows.begin(), a.flows.end());
  ASSERT_GT(truth_->flows.size(), 1000u);
  for (std::size_t i = 0; i < truth_->flows.size(); ++i) {
    const TruthFlow& flow = truth_->flows[i];
    const FlowFacts& f = flow.facts;
    EXPECT_TRUE(in_actors.contains(i)) << "flow " << i << " belongs to no actor";
    EXPECT_NE(f.attack, f.decoy) << i;
    const bool flip = f.initiator_is_server;
    const Key key{f.protocol,
                  flip ? f.server : f.client,
                  flip ? f.server_port : f.client_port,
                  flip ? f.client : f.server,
                  flip ? f.client_port : f.server_port,
                  f.start.micros()};
    const auto it = seen.find(key);
    ASSERT_NE(it, seen.end()) << "flow " << i << " (" << f.scenario << ") not in the pcap";
    EXPECT_EQ(it->second->packets, flow.packets) << "flow " << i;
    EXPECT_TRUE(flow.rules.empty()) << i;
  }
}

// Which pcap flows belong to an actor's subject.
bool belongs(const TruthActor& a, const RefFlow& f, const DetectionThresholds& t) {
  const std::string& behaviour = a.kind == "decoy" ? a.decoy_of : a.kind;
  if (a.kind == "c2") return f.responder == *a.subject.address;
  if (behaviour == "beacon") {
    return f.initiator == *a.subject.client && f.responder == *a.subject.server &&
           f.responder_port == a.subject.port && f.protocol == a.subject.protocol;
  }
  if (behaviour == "scan") return f.initiator == *a.subject.address;
  // amplification: UDP between the victim and a service port
  const IpAddress& v = *a.subject.address;
  return f.protocol == 17 && ((f.initiator == v && is_service_port(t, f.responder_port)) ||
                              (f.responder == v && is_service_port(t, f.initiator_port)));
}

TEST_F(DetectionCapture, FlowsPerActorMatchWhatThePcapShows) {
  for (const auto& a : truth_->actors) {
    std::size_t count = 0;
    for (const auto& f : *flows_) count += belongs(a, f, thresholds_) ? 1 : 0;
    EXPECT_EQ(count, a.flows.size()) << a.id << " (" << a.scenario << ")";
    Timestamp first = truth_->flows[a.flows.front()].facts.start;
    for (const auto i : a.flows) first = std::min(first, truth_->flows[i].facts.start);
    EXPECT_EQ(first, a.first_activity) << a.id;
    EXPECT_LE(a.first_activity, a.last_activity) << a.id;
  }
}

// The reference verdicts re-derived from the pcap alone agree with the truth, and every subject
// of the capture (benign mix included) that crosses a default threshold is explained by an
// actor: expected detectable of that kind, or a decoy that trips it.
TEST_F(DetectionCapture, ReferenceVerdictsFromThePcapAgreeWithTheTruth) {
  const SubjectEvaluations all = evaluate_all(*flows_, thresholds_);
  const auto has = [](const std::vector<std::string>& list, std::string_view kind) {
    return std::find(list.begin(), list.end(), kind) != list.end();
  };
  for (const auto& a : truth_->actors) {
    if (a.kind == "c2") continue;
    const std::string& behaviour = a.kind == "decoy" ? a.decoy_of : a.kind;
    const bool crosses = a.kind == "decoy" ? has(a.trips, a.decoy_of) : a.expected_detectable;
    const std::string key = behaviour == "beacon" ? beacon_key(*a.subject.client, *a.subject.server,
                                                               a.subject.port, a.subject.protocol)
                                                  : a.subject.address->to_string();
    const auto& map = behaviour == "beacon" ? all.beacon
                      : behaviour == "scan" ? all.scan
                                            : all.amplification;
    ASSERT_TRUE(map.contains(key)) << a.id;
    EXPECT_EQ(map.at(key).crosses, crosses) << a.id;
    EXPECT_TRUE(map.at(key).clear) << a.id;
    if (a.expected_detectable) {
      // Time to detect from the pcap (µs timestamps) within a second of the truth's.
      ASSERT_TRUE(map.at(key).first_crossing.has_value()) << a.id;
      EXPECT_NEAR(static_cast<double>(map.at(key).first_crossing->nanos),
                  static_cast<double>(a.detectable_from->nanos), 1e9)
          << a.id;
    }
  }
  // Owners of each pcap flow, through the truth.
  using Key =
      std::tuple<std::uint8_t, IpAddress, std::uint16_t, IpAddress, std::uint16_t, std::int64_t>;
  std::map<Key, std::vector<const TruthActor*>> owners;
  for (const auto& a : truth_->actors) {
    for (const auto i : a.flows) {
      const FlowFacts& f = truth_->flows[i].facts;
      const bool flip = f.initiator_is_server;
      owners[{f.protocol, flip ? f.server : f.client, flip ? f.server_port : f.client_port,
              flip ? f.client : f.server, flip ? f.client_port : f.server_port, f.start.micros()}]
          .push_back(&a);
    }
  }
  std::set<std::string> explained;
  std::map<std::string, int> crossings;
  const auto explain = [&](const std::string& kind, const std::string& key, auto&& member) {
    ++crossings[kind];
    bool ok = false;
    for (const auto& f : *flows_) {
      if (!member(f)) continue;
      const auto it = owners.find({f.protocol, f.initiator, f.initiator_port, f.responder,
                                   f.responder_port, f.start.micros()});
      if (it == owners.end()) continue;
      for (const TruthActor* a : it->second) {
        if (has(a->trips, kind)) {
          ok = true;
          explained.insert(a->id);
        }
      }
    }
    EXPECT_TRUE(ok) << kind << " crosses for a subject no actor explains: " << key;
  };
  for (const auto& [key, e] : all.scan) {
    if (!e.crosses) continue;
    const IpAddress source = *IpAddress::parse(key);
    explain("scan", key, [&](const RefFlow& f) { return f.initiator == source; });
  }
  for (const auto& [key, e] : all.amplification) {
    if (!e.crosses) continue;
    const IpAddress victim = *IpAddress::parse(key);
    explain("amplification", key, [&](const RefFlow& f) {
      return f.protocol == 17 && (f.initiator == victim || f.responder == victim);
    });
  }
  for (const auto& [key, e] : all.beacon) {
    if (!e.crosses) continue;
    explain("beacon", key, [&](const RefFlow& f) {
      return beacon_key(f.initiator, f.responder, f.responder_port, f.protocol) == key;
    });
  }
  for (const auto& a : truth_->actors) {
    if (!a.trips.empty()) {
      EXPECT_TRUE(explained.contains(a.id)) << a.id << " trips but crosses nothing";
    }
  }
  EXPECT_GT(crossings["scan"], 0);
  EXPECT_GT(crossings["amplification"], 0);
  EXPECT_GT(crossings["beacon"], 0);
}

TEST_F(DetectionCapture, BeaconIntervalsHaveTheIntendedJitter) {
  // Relative deviations (gap − period) / period of the gaps within one stay at a server
  // (hopping bots come back after a whole round), pooled per campaign: its bots share period
  // and jitter. Uniform jitter of ±j gives an RMS deviation of j/√3 and a mean of 0.
  std::map<std::string, std::pair<double, std::vector<double>>> campaigns;
  for (const auto* a : actors("beacon")) {
    const auto period = static_cast<std::int64_t>(parameter(*a, "period_s")) * 1'000'000'000;
    const double jitter = parameter(*a, "jitter_per_mille") / 1000;
    EXPECT_GE(jitter, 0.05) << a->id;
    EXPECT_LE(jitter, 0.15) << a->id;
    EXPECT_GE(period, 30'000'000'000) << a->id;
    EXPECT_LE(period, 600'000'000'000) << a->id;
    std::vector<std::int64_t> starts;
    for (const auto i : a->flows) starts.push_back(truth_->flows[i].facts.start.nanos);
    std::sort(starts.begin(), starts.end());
    auto& [j, deviations] = campaigns[a->scenario];
    j = jitter;
    for (std::size_t i = 1; i < starts.size(); ++i) {
      const std::int64_t gap = starts[i] - starts[i - 1];
      if (gap > period * 2) continue;
      const auto spread = static_cast<std::int64_t>(static_cast<double>(period) * jitter);
      EXPECT_GE(gap, period - spread - 1) << a->id;
      EXPECT_LE(gap, period + spread + 1) << a->id;
      deviations.push_back(static_cast<double>(gap - period) / static_cast<double>(period));
    }
  }
  EXPECT_GE(campaigns.size(), 6u);
  for (const auto& [name, entry] : campaigns) {
    const auto& [jitter, deviations] = entry;
    ASSERT_GE(deviations.size(), 20u) << name;
    double sum = 0, squares = 0;
    for (const double d : deviations) {
      sum += d;
      squares += d * d;
    }
    const auto n = static_cast<double>(deviations.size());
    const double expected = jitter / std::sqrt(3.0);
    EXPECT_NEAR(std::sqrt(squares / n) / expected, 1.0, 0.35) << name;
    EXPECT_LT(std::fabs(sum / n), jitter / 3) << name;
  }
  // Hopping bots move to the next host of one /24 after `dwell` beacons.
  for (const auto* c2 : scenario("c2_hop24")) {
    if (c2->kind != "c2") continue;
    ASSERT_TRUE(c2->subject.network.has_value()) << c2->id;
    EXPECT_EQ(c2->subject.network->length(), 24);
    EXPECT_TRUE(prefix_contains(*c2->subject.network, *c2->subject.address));
  }
  for (const auto* pair : scenario("c2_hop24")) {
    if (pair->kind != "beacon") continue;
    EXPECT_GE(pair->flows.size(), static_cast<std::size_t>(parameter(*pair, "dwell"))) << pair->id;
  }
  for (const auto* pair : scenario("c2_hop24_fast")) {
    if (pair->kind != "beacon") continue;
    EXPECT_FALSE(pair->expected_detectable) << pair->id;
  }
}

TEST_F(DetectionCapture, ScansTouchTheIntendedTargets) {
  for (const auto* a : actors("scan")) {
    std::set<std::pair<IpAddress, std::uint16_t>> targets;
    for (const auto i : a->flows) {
      const FlowFacts& f = truth_->flows[i].facts;
      EXPECT_EQ(f.client, *a->subject.address) << a->id;
      EXPECT_FALSE(f.initiator_is_server);
      targets.insert({f.server, f.server_port});
    }
    EXPECT_EQ(targets.size(), a->flows.size()) << a->id << ": every probe a new target";
    EXPECT_EQ(static_cast<double>(targets.size()), parameter(*a, "targets")) << a->id;
    EXPECT_GE(targets.size(), 90u) << a->id;
    const double peak = measure(*a, "targets");
    if (a->scenario == "scan_slow") {
      EXPECT_GE(parameter(*a, "minutes"), 20) << a->id;
      EXPECT_GE(peak, 80) << a->id;
      EXPECT_LE(peak, 180) << a->id;
    }
    if (a->scenario == "scan_stealth") {
      EXPECT_GE(parameter(*a, "minutes"), 40) << a->id;
      EXPECT_LT(peak, 48) << a->id;
      EXPECT_FALSE(a->expected_detectable);
      EXPECT_NE(a->reason.find("distinct targets"), std::string::npos) << a->reason;
    }
    if (a->scenario == "scan_fast" || a->scenario == "scan_worm") {
      EXPECT_GE(peak, 200) << a->id;
      EXPECT_TRUE(a->expected_detectable) << a->id;
    }
    if (a->expected_detectable) {
      EXPECT_GE(measure(*a, "failed_ratio"), 0.85) << a->id;
    }
  }
  // The busy client reaches as many targets, but its attempts are answered.
  for (const auto* a : scenario("busy_client")) {
    EXPECT_GE(measure(*a, "targets"), 100) << a->id;
    EXPECT_LE(measure(*a, "failed_ratio"), 0.2) << a->id;
    EXPECT_TRUE(a->trips.empty());
  }
}

TEST_F(DetectionCapture, PacketsLookLikeTheRealThing) {
  std::map<std::string, std::set<std::tuple<IpAddress, std::uint16_t, IpAddress, std::uint16_t>>>
      tuples;  // scenario → (src, sport, dst, dport) of its flows' first packets, both ways
  std::map<std::tuple<IpAddress, std::uint16_t, IpAddress, std::uint16_t>, std::string> owner;
  for (const auto& flow : truth_->flows) {
    const FlowFacts& f = flow.facts;
    owner[{f.client, f.client_port, f.server, f.server_port}] = f.scenario;
    owner[{f.server, f.server_port, f.client, f.client_port}] = f.scenario;
  }
  std::map<std::string, int> bare_syn, syn_rst, handshakes, ntp48, ntp_big, memcached_big,
      memcached_requests;
  for (const auto& record : pcap_->records) {
    const auto p = parse_frame(record.data);
    ASSERT_TRUE(p.ok);
    const auto it = owner.find({p.src, p.src_port, p.dst, p.dst_port});
    if (it == owner.end()) continue;
    const std::string& s = it->second;
    if (p.protocol == 6 && p.tcp_flags == kSyn) {
      ++bare_syn[s];
      // Scanners send SYNs with an MSS option only (24-byte TCP header).
      if (s.starts_with("scan_")) {
        EXPECT_EQ(p.l4.size(), 24u);
      }
    }
    if (p.protocol == 6 && p.tcp_flags == (kRst | kAck)) ++syn_rst[s];
    if (p.protocol == 6 && p.tcp_flags == (kSyn | kAck)) ++handshakes[s];
    if (s == "ntp_client") {
      EXPECT_EQ(p.payload.size(), 48u);
      ++ntp48[s];
    }
    if (s == "amp_ntp" && p.src_port == 123) {
      EXPECT_EQ(p.payload.size(), 440u);  // monlist: 8-byte header, six 72-byte entries
      ++ntp_big[s];
    }
    if (s == "amp_memcached" && p.src_port == 11211) {
      EXPECT_EQ(p.payload.size(), 1408u);
      ++memcached_big[s];
    }
    if (s == "amp_memcached" && p.dst_port == 11211) ++memcached_requests[s];
  }
  for (const char* scan : {"scan_fast", "scan_slow", "scan_stealth", "scan_worm"}) {
    EXPECT_GT(bare_syn[scan], 90) << scan;
    EXPECT_GT(syn_rst[scan], 0) << scan;  // closed ports on live hosts
  }
  for (const char* answered :
       {"c2_jitter_sni", "c2_odd_port", "update_check", "busy_client", "health_check"}) {
    EXPECT_GT(handshakes[answered], 0) << answered;
  }
  EXPECT_GT(ntp48["ntp_client"], 100);
  EXPECT_GT(ntp_big["amp_ntp"], 100);
  EXPECT_GT(memcached_big["amp_memcached"], 100);
  // Only the responses cross the link: the spoofed requests were sent elsewhere.
  EXPECT_EQ(memcached_requests["amp_memcached"], 0);
  for (const auto* a : scenario("amp_memcached")) {
    for (const auto i : a->flows) {
      EXPECT_TRUE(truth_->flows[i].facts.initiator_is_server);
    }
  }
}

TEST_F(DetectionCapture, ServerListsNameTheRightActors) {
  std::set<IpAddress> c2_addresses;
  for (const auto* a : actors("c2")) c2_addresses.insert(*a->subject.address);
  std::set<IpAddress> listed;
  for (const auto& s : truth_->c2_servers) {
    listed.insert(s.address);
    EXPECT_EQ(s.role, "c2");
    ASSERT_FALSE(s.actors.empty());
    const TruthActor* c2 = truth_->find_actor(s.actors.front());
    ASSERT_NE(c2, nullptr);
    EXPECT_EQ(c2->kind, "c2");
    EXPECT_EQ(s.expected_detectable, c2->expected_detectable);
    for (std::size_t i = 1; i < s.actors.size(); ++i) {
      const TruthActor* pair = truth_->find_actor(s.actors[i]);
      ASSERT_NE(pair, nullptr);
      EXPECT_EQ(pair->kind, "beacon");
      EXPECT_EQ(*pair->subject.server, s.address);
    }
  }
  EXPECT_EQ(listed, c2_addresses);
  std::set<std::string> roles;
  for (const auto& s : truth_->decoy_servers) {
    roles.insert(s.role);
    EXPECT_FALSE(s.expected_detectable);
    EXPECT_FALSE(c2_addresses.contains(s.address));
    for (const auto& id : s.actors) {
      const TruthActor* decoy = truth_->find_actor(id);
      ASSERT_NE(decoy, nullptr);
      EXPECT_EQ(decoy->kind, "decoy");
      EXPECT_EQ(*decoy->subject.server, s.address);
    }
  }
  EXPECT_EQ(roles, (std::set<std::string>{"health_check", "ntp", "update"}));
}

TEST_F(DetectionCapture, RulesetHasOneBehaviourRulePerKindAtTheDefaults) {
  toml::table root;
  ASSERT_NO_THROW(root = toml::parse_file(summary_->rules_path));
  const auto* rules = root["rule"].as_array();
  ASSERT_NE(rules, nullptr);
  std::map<std::string, const toml::table*> by_kind;
  for (const auto& node : *rules) {
    const auto& rule = *node.as_table();
    by_kind[*rule["kind"].value<std::string>()] = &rule;
    EXPECT_FALSE(rule.contains("value"));
  }
  ASSERT_EQ(by_kind.size(), 3u);
  EXPECT_EQ((*by_kind["scan"])["min_targets"].value<std::int64_t>(), 64);
  EXPECT_EQ((*by_kind["scan"])["window"].value<std::string>(), "300s");
  EXPECT_EQ((*by_kind["scan"])["min_failed_ratio"].value<double>(), 0.8);
  EXPECT_EQ((*by_kind["amplification"])["min_ratio"].value<std::int64_t>(), 10);
  EXPECT_EQ((*by_kind["amplification"])["min_response_bytes"].value<std::int64_t>(), 100000);
  EXPECT_EQ((*by_kind["amplification"])["ports"].as_array()->size(), 13u);
  EXPECT_EQ((*by_kind["beacon"])["min_connections"].value<std::int64_t>(), 8);
  EXPECT_EQ((*by_kind["beacon"])["max_cv"].value<double>(), 0.2);
  EXPECT_EQ((*by_kind["beacon"])["max_interval"].value<std::string>(), "21600s");
  ASSERT_EQ(truth_->rules.size(), 3u);
}

TEST(Detection, SameSeedGivesIdenticalFilesOtherSeedsDoNot) {
  TempDir a("det-same-a"), b("det-same-b"), c("det-same-c");
  ASSERT_TRUE(synthesize(detection_options(a.path(), 99)).has_value());
  ASSERT_TRUE(synthesize(detection_options(b.path(), 99)).has_value());
  ASSERT_TRUE(synthesize(detection_options(c.path(), 100)).has_value());
  for (const char* name : {"det.pcap", "det.truth.json", "det.rules.toml"}) {
    const auto first = read_bytes(a.path() / name);
    ASSERT_FALSE(first.empty()) << name;
    EXPECT_EQ(first, read_bytes(b.path() / name)) << name;
  }
  EXPECT_NE(read_bytes(a.path() / "det.pcap"), read_bytes(c.path() / "det.pcap"));
  EXPECT_NE(read_bytes(a.path() / "det.truth.json"), read_bytes(c.path() / "det.truth.json"));
}

// Fresh seeds: every actor lands clearly on one side of its threshold.
TEST(Detection, VerdictsAreClearAcrossSeeds) {
  for (const std::uint64_t seed : {3u, 5u, 8u, 13u}) {
    TempDir dir("det-seeds");
    auto result = synthesize(detection_options(dir.path(), seed));
    ASSERT_TRUE(result.has_value()) << result.error().message;
    auto truth = read_truth(result->truth_path);
    ASSERT_TRUE(truth.has_value()) << truth.error().message;
    int detectable = 0;
    for (const auto& a : truth->actors) {
      EXPECT_FALSE(a.near_threshold) << "seed " << seed << " " << a.id << ": " << a.reason;
      detectable += a.expected_detectable ? 1 : 0;
    }
    EXPECT_GT(detectable, 20) << seed;
  }
}

TEST(Detection, RejectsOptionsTheProfileCannotFill) {
  TempDir dir("det-bad");
  auto options = detection_options(dir.path(), 1);
  options.size_mb = 8;
  auto result = synthesize(options);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("--size-mb"), std::string::npos);
  options.size_mb = 16;
  options.duration = Duration::seconds(1800);
  result = synthesize(options);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("duration"), std::string::npos);
  EXPECT_EQ(parse_profile("detection"), Profile::detection);
  EXPECT_EQ(parse_profile("standard"), Profile::standard);
  EXPECT_FALSE(parse_profile("Detection").has_value());
  EXPECT_EQ(profile_name(Profile::detection), "detection");
}

std::uint64_t fnv1a(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto b : bytes) h = (h ^ b) * 0x100000001b3ULL;
  return h;
}

// The standard profile writes what it wrote before the detection profile existed (hashes of
// the files written by the code before that change). If a deliberate change to the standard
// output breaks this, update the constants and say so.
TEST(Detection, StandardProfileOutputIsUnchanged) {
  TempDir dir("det-golden");
  SynthOptions options;
  options.out_path = (dir.path() / "x.pcap").string();
  options.seed = 17;
  options.size_mb = 2;
  ASSERT_TRUE(synthesize(options).has_value());
  EXPECT_EQ(fnv1a(read_bytes(dir.path() / "x.pcap")), 0xecc004816c7f9a1cULL);
  EXPECT_EQ(fnv1a(read_bytes(dir.path() / "x.truth.json")), 0x1275361a63e82670ULL);
  EXPECT_EQ(fnv1a(read_bytes(dir.path() / "x.rules.toml")), 0x521f434ff8957fd5ULL);
}

}  // namespace
}  // namespace mamori::synth
