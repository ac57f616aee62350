// read_truth: round trips of what Truth::write wrote (versions 1 and 2), and rejection of
// malformed files with errors that name the field and index but not the value.
#include "mamori/synth/truth_reader.h"

#include <fstream>
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mamori/synth/synth.h"
#include "test_support.h"

namespace mamori::synth {
namespace {

using Json = nlohmann::ordered_json;
using testing::TempDir;

IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }

FlowFacts facts(std::string scenario, std::uint8_t protocol, std::string_view client,
                std::uint16_t client_port, std::string_view server, std::uint16_t server_port,
                std::int64_t start_ns) {
  FlowFacts f;
  f.scenario = std::move(scenario);
  f.protocol = protocol;
  f.client = ip(client);
  f.client_port = client_port;
  f.server = ip(server);
  f.server_port = server_port;
  f.start = Timestamp{start_ns};
  return f;
}

struct Written {
  Truth truth;
  TruthHeader header;
  std::vector<TruthRule> rules;
  DetectionTruth detection;
};

// A small version-2 truth: a beacon pair with its C2 server, an amplification victim whose
// flow began with the response, and an NTP decoy.
Written sample() {
  Written w;
  auto beacon =
      facts("c2_jitter_sni", 6, "133.8.1.2", 50123, "5.9.1.1", 443, 1'793'491'200'123'456'789);
  beacon.attack = true;
  beacon.sni = "cdn.example.net";
  beacon.tls =
      TlsFingerprint{"771,4865,0,29,0", "0123456789abcdef0123456789abcdef", "t13d1516h2_a_b"};
  beacon.actors = {0, 1};
  const auto b = w.truth.add(beacon, {}, "DF");
  w.truth.add_packet(b, 74, Timestamp{1'793'491'200'123'456'789});
  w.truth.add_packet(b, 66, Timestamp{1'793'491'200'323'456'789});
  auto amp = facts("amp_dns", 17, "1.0.16.9", 40000, "45.32.1.1", 53, 1'793'491'300'000'000'000);
  amp.attack = true;
  amp.initiator_is_server = true;
  amp.dns_names = {"big-zone.example.com"};
  amp.actors = {2};
  const auto a = w.truth.add(amp, {}, "FD");
  w.truth.add_packet(a, 1480, Timestamp{1'793'491'300'000'000'000});
  auto ntp =
      facts("ntp_client", 17, "126.1.2.3", 123, "104.16.0.9", 123, 1'793'491'400'000'000'000);
  ntp.decoy = true;
  ntp.actors = {3};
  const auto n = w.truth.add(ntp, {}, "DF");
  w.truth.add_packet(n, 90, Timestamp{1'793'491'400'000'000'000});
  w.truth.add_packet(n, 90, Timestamp{1'793'491'400'200'000'000});

  w.header.seed = 7;
  w.header.size_mb = 16;
  w.header.content_marker = "mamori-content-00";
  w.header.pcap = "x.pcap";
  w.header.ruleset = "x.rules.toml";
  w.header.start = kDefaultStart;
  w.header.end = Timestamp{1'793'491'400'200'000'000};
  w.header.packets = 5;
  w.header.file_bytes = 1000;
  w.rules = {{"scan-default", "scan", "Scanning"}, {"beacon-default", "beacon", "Beaconing"}};

  TruthActor pair;
  pair.id = "beacon-01";
  pair.kind = "beacon";
  pair.scenario = "c2_jitter_sni";
  pair.subject.client = ip("133.8.1.2");
  pair.subject.server = ip("5.9.1.1");
  pair.subject.port = 443;
  pair.subject.protocol = 6;
  pair.first_activity = Timestamp{1'793'491'200'123'456'789};
  pair.last_activity = Timestamp{1'793'491'200'323'456'789};
  pair.expected_detectable = true;
  pair.detectable_from = Timestamp{1'793'491'900'000'000'000};
  pair.measures = {{"connections", 17}, {"cv", 0.0666}};
  pair.parameters = {{"period_s", 300}, {"jitter_per_mille", 120}};
  pair.flows = {0};
  TruthActor server;
  server.id = "c2-01";
  server.kind = "c2";
  server.scenario = "c2_hop24";
  server.subject.address = ip("5.9.1.1");
  server.subject.network = *Prefix::parse("5.9.1.0/24");
  server.first_activity = pair.first_activity;
  server.last_activity = pair.last_activity;
  server.expected_detectable = true;
  server.detectable_from = pair.detectable_from;
  server.flows = {0};
  TruthActor victim;
  victim.id = "amplification-01";
  victim.kind = "amplification";
  victim.scenario = "amp_dns";
  victim.subject.address = ip("1.0.16.9");
  victim.first_activity = Timestamp{1'793'491'300'000'000'000};
  victim.last_activity = victim.first_activity;
  victim.expected_detectable = false;
  victim.reason = "at most 1480 response bytes within a 60-s window (rule: 100000)";
  victim.measures = {{"ratio", 1480}, {"response_bytes", 1480}};
  victim.flows = {1};
  TruthActor decoy;
  decoy.id = "decoy-01";
  decoy.kind = "decoy";
  decoy.scenario = "ntp_client";
  decoy.decoy_of = "beacon";
  decoy.role = "ntp";
  decoy.subject.client = ip("126.1.2.3");
  decoy.subject.server = ip("104.16.0.9");
  decoy.subject.port = 123;
  decoy.subject.protocol = 17;
  decoy.first_activity = Timestamp{1'793'491'400'000'000'000};
  decoy.last_activity = Timestamp{1'793'491'400'200'000'000};
  decoy.reason = "benign ntp";
  decoy.trips = {"beacon"};
  decoy.flows = {2};
  w.detection.actors = {pair, server, victim, decoy};
  w.detection.c2_servers = {{ip("5.9.1.1"), "c2", {"c2-01", "beacon-01"}, true}};
  w.detection.decoy_servers = {{ip("104.16.0.9"), "ntp", {"decoy-01"}, false}};
  w.detection.thresholds.beacon_max_cv = 0.25;  // not the default: read back as written
  return w;
}

void expect_same_flows(const std::vector<TruthFlow>& read, const std::vector<TruthFlow>& written,
                       bool v2) {
  ASSERT_EQ(read.size(), written.size());
  for (std::size_t i = 0; i < read.size(); ++i) {
    const FlowFacts& r = read[i].facts;
    const FlowFacts& w = written[i].facts;
    EXPECT_EQ(r.scenario, w.scenario) << i;
    EXPECT_EQ(r.attack, w.attack) << i;
    EXPECT_EQ(r.decoy, v2 ? w.decoy : false) << i;
    EXPECT_EQ(r.protocol, w.protocol) << i;
    EXPECT_EQ(r.client, w.client) << i;
    EXPECT_EQ(r.client_port, w.client_port) << i;
    EXPECT_EQ(r.server, w.server) << i;
    EXPECT_EQ(r.server_port, w.server_port) << i;
    EXPECT_EQ(r.initiator_is_server, w.initiator_is_server) << i;
    EXPECT_EQ(r.start, w.start) << i;
    EXPECT_EQ(r.sni, w.sni) << i;
    EXPECT_EQ(r.http_hosts, w.http_hosts) << i;
    EXPECT_EQ(r.dns_names, w.dns_names) << i;
    EXPECT_EQ(r.tls.has_value(), w.tls.has_value()) << i;
    if (r.tls && w.tls) {
      EXPECT_EQ(r.tls->ja3, w.tls->ja3);
      EXPECT_EQ(r.tls->ja3_hash, w.tls->ja3_hash);
      EXPECT_EQ(r.tls->ja4, w.tls->ja4);
    }
    EXPECT_EQ(read[i].rules, written[i].rules) << i;
    EXPECT_EQ(read[i].category, written[i].category) << i;
    EXPECT_EQ(read[i].packets, written[i].packets) << i;
    EXPECT_EQ(read[i].bytes, written[i].bytes) << i;
    // Version 1 keeps the end in microseconds only.
    EXPECT_EQ(read[i].end.nanos, v2 ? written[i].end.nanos : written[i].end.nanos / 1000 * 1000)
        << i;
  }
}

TEST(TruthReader, RoundTripsVersionTwo) {
  TempDir dir("truth-v2");
  const Written w = sample();
  const auto path = dir.path() / "x.truth.json";
  ASSERT_TRUE(w.truth.write(path, w.header, w.rules, &w.detection).has_value());
  const auto read = read_truth(path);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->version, 2);
  EXPECT_EQ(read->profile, "detection");
  EXPECT_EQ(read->header.seed, w.header.seed);
  EXPECT_EQ(read->header.content_marker, w.header.content_marker);
  EXPECT_EQ(read->header.start, w.header.start);
  EXPECT_EQ(read->header.end, w.header.end);
  EXPECT_EQ(read->header.bench_ruleset, "");
  EXPECT_FALSE(read->header.canary.has_value());
  EXPECT_EQ(read->rules, w.rules);
  expect_same_flows(read->flows, w.truth.flows(), true);
  ASSERT_TRUE(read->thresholds.has_value());
  EXPECT_EQ(*read->thresholds, w.detection.thresholds);
  EXPECT_EQ(read->actors, w.detection.actors);
  EXPECT_EQ(read->c2_servers, w.detection.c2_servers);
  EXPECT_EQ(read->decoy_servers, w.detection.decoy_servers);
  ASSERT_NE(read->find_actor("decoy-01"), nullptr);
  EXPECT_EQ(read->find_actor("nope"), nullptr);
  EXPECT_TRUE(read->unselected_hosts.empty());
}

TEST(TruthReader, RoundTripsVersionOneAndGeneratedFiles) {
  TempDir dir("truth-v1");
  const Written w = sample();
  const auto path = dir.path() / "x.truth.json";
  ASSERT_TRUE(w.truth.write(path, w.header, w.rules).has_value());
  const auto read = read_truth(path);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->version, 1);
  EXPECT_EQ(read->profile, "standard");
  expect_same_flows(read->flows, w.truth.flows(), false);
  EXPECT_TRUE(read->actors.empty());
  EXPECT_FALSE(read->thresholds.has_value());
  // No flow has rules, so every host is unselected.
  EXPECT_EQ(read->unselected_hosts.size(), 6u);

  // A generated standard capture reads back with the counts the raw JSON has.
  SynthOptions options;
  options.out_path = (dir.path() / "g.pcap").string();
  options.seed = 31;
  options.size_mb = 1;
  options.canary = "CANARY-1";
  options.bench_rules = true;
  options.bench_ip_rules = 10;
  options.bench_domain_rules = 10;
  options.bench_byte_rules = 10;
  const auto summary = synthesize(options);
  ASSERT_TRUE(summary.has_value()) << summary.error().message;
  const auto generated = read_truth(summary->truth_path);
  ASSERT_TRUE(generated.has_value()) << generated.error().message;
  std::ifstream in(summary->truth_path);
  const Json raw = Json::parse(in);
  EXPECT_EQ(generated->flows.size(), raw["flows"].size());
  EXPECT_EQ(generated->unselected_hosts.size(), raw["unselected_hosts"].size());
  EXPECT_EQ(generated->header.canary, "CANARY-1");
  EXPECT_EQ(generated->header.bench_ruleset, "g.bench.rules.toml");
  EXPECT_EQ(generated->benign_flows, summary->benign_flows);
  EXPECT_EQ(generated->header.packets, summary->packets);
}

// Writes `root` after `edit` and returns the reader's error message ("" if it read).
std::string error_after(const std::function<void(Json&)>& edit) {
  TempDir dir("truth-bad");
  const Written w = sample();
  const auto path = dir.path() / "x.truth.json";
  EXPECT_TRUE(w.truth.write(path, w.header, w.rules, &w.detection).has_value());
  Json root;
  {
    std::ifstream in(path);
    root = Json::parse(in);
  }
  edit(root);
  std::ofstream(path, std::ios::trunc) << root.dump();
  const auto read = read_truth(path);
  return read ? std::string() : read.error().message;
}

TEST(TruthReader, RejectsMalformedFilesNamingTheField) {
  const auto expect_error = [](const std::function<void(Json&)>& edit, std::string_view where) {
    const std::string message = error_after(edit);
    EXPECT_NE(message.find(where), std::string::npos)
        << "expected '" << where << "' in '" << message << "'";
    EXPECT_NE(message.find("x.truth.json"), std::string::npos) << message;
    // Never the value itself.
    EXPECT_EQ(message.find("133.8.1.2"), std::string::npos) << message;
    EXPECT_EQ(message.find("not-an-address"), std::string::npos) << message;
  };
  EXPECT_EQ(error_after([](Json&) {}), "");
  expect_error([](Json& j) { j["version"] = 3; }, "version: unsupported");
  expect_error([](Json& j) { j["format"] = "other"; }, "format");
  expect_error([](Json& j) { j["flows"][1].erase("client"); }, "flows[1].client: missing");
  expect_error([](Json& j) { j["flows"][0]["client"] = "not-an-address"; },
               "flows[0].client: not an IP address");
  expect_error([](Json& j) { j["flows"][2]["id"] = 7; }, "flows[2].id: expected 2");
  expect_error([](Json& j) { j["flows"][0]["initiator"] = "server"; }, "flows[0].src");
  expect_error([](Json& j) { j["flows"][0]["protocol"] = "tcpx"; }, "flows[0].protocol");
  expect_error([](Json& j) { j["flows"][0]["client_port"] = 70000; }, "flows[0].client_port");
  expect_error([](Json& j) { j["flows"][1].erase("end_ns"); }, "flows[1].end_ns: missing");
  expect_error([](Json& j) { j["actors"][0]["flows"][0] = 99; },
               "actors[0].flows[0]: index 99 is out of range");
  expect_error([](Json& j) { j["actors"][1]["expected_detectable"] = "yes"; },
               "actors[1].expected_detectable: not a boolean");
  expect_error([](Json& j) { j["actors"][2]["kind"] = "worm"; }, "actors[2].kind");
  expect_error([](Json& j) { j["actors"][3]["decoy_of"] = "c2"; }, "actors[3].decoy_of");
  expect_error([](Json& j) { j["actors"][3]["expected_detectable"] = true; },
               "actors[3].expected_detectable: true for a decoy");
  expect_error([](Json& j) { j["actors"][0]["subject"].erase("client"); },
               "actors[0].subject.client");
  expect_error([](Json& j) { j["actors"][1]["subject"]["network"] = "5.9.1.0/99"; },
               "actors[1].subject.network");
  expect_error([](Json& j) { j["actors"][1]["id"] = "beacon-01"; }, "actors[1].id: duplicate");
  expect_error([](Json& j) { j["actors"][0]["detectable_from_ns"] = nullptr; },
               "actors[0].detectable_from_ns");
  expect_error([](Json& j) { j["c2_servers"][0]["actors"][1] = "beacon-99"; },
               "c2_servers[0].actors[1]: names no actor");
  expect_error([](Json& j) { j["decoy_servers"][0].erase("role"); }, "decoy_servers[0].role");
  expect_error([](Json& j) { j["thresholds"]["beacon"]["max_cv"] = "0.2"; },
               "thresholds.beacon.max_cv: not a number");
  expect_error([](Json& j) { j["thresholds"]["amplification"]["ports"][0] = -1; },
               "thresholds.amplification.ports[0]");
  expect_error([](Json& j) { j.erase("actors"); }, "actors: missing");
  expect_error([](Json& j) { j["generator"]["seed"] = -4; }, "generator.seed");
  expect_error([](Json& j) { j["benign"].erase("packets"); }, "benign.packets: missing");

  TempDir dir("truth-text");
  const auto path = dir.path() / "broken.truth.json";
  std::ofstream(path) << "{\"format\": ";
  const auto read = read_truth(path);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().message, "broken.truth.json: not valid JSON");
  const auto missing = read_truth(dir.path() / "absent.json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace mamori::synth
