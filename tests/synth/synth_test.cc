// End-to-end checks of `synthesize`: determinism, size, wire validity (own parser and tshark),
// truth ↔ pcap consistency, ruleset validity, scenario content, canary and content markers.
#include "mamori/synth/synth.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include <gtest/gtest.h>
#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "mamori/synth/address_plan.h"
#include "mamori/synth/rules.h"
#include "test_support.h"

namespace mamori::synth {
namespace {

using Json = nlohmann::json;
using testing::parse_frame;
using testing::PcapFile;
using testing::read_bytes;
using testing::read_pcap;
using testing::run_command;
using testing::TempDir;

constexpr const char* kCanary = "MAMORI-CANARY-5f3a9c";

Json load_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

// (protocol, address A, port A, address B, port B) with A < B, so both directions map to it.
using FlowKey = std::tuple<int, std::string, int, std::string, int>;
FlowKey key_of(int protocol, const std::string& a, int pa, const std::string& b, int pb) {
  if (std::tie(a, pa) < std::tie(b, pb)) return {protocol, a, pa, b, pb};
  return {protocol, b, pb, a, pa};
}
int protocol_number(const std::string& name) {
  if (name == "tcp") return 6;
  if (name == "udp") return 17;
  if (name == "icmp") return 1;
  return 58;
}
FlowKey key_of(const Json& flow) {
  return key_of(protocol_number(flow["protocol"]), flow["client"], flow["client_port"],
                flow["server"], flow["server_port"]);
}

struct Packet {
  std::int64_t micros;
  testing::ParsedFrame frame;
  std::size_t record;
};

// One generated capture shared by the tests of this suite.
class SynthCapture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("shared");
    SynthOptions options;
    options.out_path = (dir_->path() / "demo.pcap").string();
    options.seed = 2026;
    options.size_mb = 3;
    options.canary = kCanary;
    auto result = synthesize(options);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    summary_ = new SynthSummary(*result);
    auto pcap = read_pcap(summary_->pcap_path);
    ASSERT_TRUE(pcap.has_value());
    pcap_ = new PcapFile(std::move(*pcap));
    truth_ = new Json(load_json(summary_->truth_path));
    packets_ = new std::vector<Packet>;
    for (std::size_t i = 0; i < pcap_->records.size(); ++i) {
      const auto& r = pcap_->records[i];
      packets_->push_back({std::int64_t{r.seconds} * 1'000'000 + r.micros, parse_frame(r.data), i});
    }
  }
  static void TearDownTestSuite() {
    delete packets_;
    delete truth_;
    delete pcap_;
    delete summary_;
    delete dir_;
  }
  static std::map<FlowKey, std::vector<const Packet*>> by_flow() {
    std::map<FlowKey, std::vector<const Packet*>> out;
    for (const auto& p : *packets_) {
      if (!p.frame.ok) continue;
      out[key_of(p.frame.protocol, p.frame.src.to_string(), p.frame.src_port,
                 p.frame.dst.to_string(), p.frame.dst_port)]
          .push_back(&p);
    }
    return out;
  }
  static std::string tshark(const std::string& args) {
    auto out = run_command("tshark -r '" + summary_->pcap_path + "' " + args + " 2>/dev/null");
    EXPECT_TRUE(out.has_value()) << args;
    return out.value_or("");
  }

  static TempDir* dir_;
  static SynthSummary* summary_;
  static PcapFile* pcap_;
  static Json* truth_;
  static std::vector<Packet>* packets_;
};
TempDir* SynthCapture::dir_ = nullptr;
SynthSummary* SynthCapture::summary_ = nullptr;
PcapFile* SynthCapture::pcap_ = nullptr;
Json* SynthCapture::truth_ = nullptr;
std::vector<Packet>* SynthCapture::packets_ = nullptr;

TEST_F(SynthCapture, PcapIsWellFormedAndTimeOrdered) {
  EXPECT_EQ(pcap_->magic, 0xa1b2c3d4u);
  EXPECT_EQ(pcap_->link_type, 1u);
  ASSERT_FALSE(packets_->empty());
  EXPECT_EQ(summary_->packets, packets_->size());
  EXPECT_GE(packets_->front().micros, kDefaultStart.micros());
  std::int64_t last = 0;
  std::set<std::uint16_t> vlans;
  std::map<int, int> protocols;
  int v6 = 0, syn = 0, fin = 0, rst = 0;
  for (const auto& p : *packets_) {
    EXPECT_GE(p.micros, last);
    last = p.micros;
    ASSERT_TRUE(p.frame.ok) << "record " << p.record;
    EXPECT_LE(pcap_->records[p.record].data.size(), 1518u);
    vlans.insert(p.frame.vlan);
    ++protocols[p.frame.protocol];
    v6 += p.frame.version == 6;
    syn += (p.frame.protocol == 6) && (p.frame.tcp_flags & 0x02);
    fin += (p.frame.protocol == 6) && (p.frame.tcp_flags & 0x01);
    rst += (p.frame.protocol == 6) && (p.frame.tcp_flags & 0x04);
  }
  EXPECT_GE(vlans.size(), 2u);  // untagged and 802.1Q
  EXPECT_GT(protocols[6], 0);
  EXPECT_GT(protocols[17], 0);
  EXPECT_GT(protocols[1], 0);
  EXPECT_GT(v6, 0);
  EXPECT_GT(syn, 0);
  EXPECT_GT(fin, 0);
  EXPECT_GT(rst, 0);
  // Unlisted (RFC 1918) addresses appear too: the sieve must treat them as domestic.
  EXPECT_TRUE(std::any_of(packets_->begin(), packets_->end(), [](const Packet& p) {
    return p.frame.version == 4 && (p.frame.src.v4_value() >> 24) == 10;
  }));
  EXPECT_EQ(summary_->file_bytes, std::filesystem::file_size(summary_->pcap_path));
  EXPECT_EQ((*truth_)["capture"]["file_bytes"], summary_->file_bytes);
  EXPECT_EQ((*truth_)["capture"]["packets"], summary_->packets);
}

TEST_F(SynthCapture, TsharkFindsNoBadChecksums) {
  if (!testing::have_tshark()) GTEST_SKIP() << "tshark not installed";
  const std::string prefs =
      "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE ";
  EXPECT_EQ(tshark(prefs + "-Y 'ip.checksum.status==2 || tcp.checksum.status==2 || "
                           "udp.checksum.status==2 || icmp.checksum.status==2 || "
                           "icmpv6.checksum.status==2'"),
            "");
  // The checks ran: every IPv4 header and every TCP/UDP checksum was verified as good.
  const std::string good = tshark(prefs +
                                  "-T fields -e ip.checksum.status -e tcp.checksum.status "
                                  "-e udp.checksum.status");
  std::size_t lines = 0, v4_good = 0;
  std::istringstream in(good);
  for (std::string line; std::getline(in, line);) {
    ++lines;
    std::istringstream fields(line);
    std::string ip, l4a, l4b;
    std::getline(fields, ip, '\t');
    std::getline(fields, l4a, '\t');
    std::getline(fields, l4b, '\t');
    if (ip == "1") ++v4_good;
    const std::string l4 = l4a + l4b;
    if (!l4.empty()) {
      EXPECT_EQ(l4, "1") << line;
    }
  }
  EXPECT_EQ(lines, packets_->size());
  const auto v4 = std::count_if(packets_->begin(), packets_->end(),
                                [](const Packet& p) { return p.frame.version == 4; });
  EXPECT_EQ(v4_good, static_cast<std::size_t>(v4));
}

TEST_F(SynthCapture, TsharkDecodesNamesAndFingerprintsInTheTruth) {
  if (!testing::have_tshark()) GTEST_SKIP() << "tshark not installed";
  const std::string out = tshark(
      "-T fields -E separator=/t -e ip.src -e ipv6.src -e tcp.srcport "
      "-e tls.handshake.extensions_server_name -e tls.handshake.ja3 -e http.host "
      "-e dns.qry.name");
  std::set<std::string> snis, hosts, names;
  std::map<std::pair<std::string, std::string>, std::string> ja3;  // (src, port) → hash
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string field; std::getline(fields, field, '\t');) f.push_back(field);
    f.resize(7);
    if (!f[3].empty()) snis.insert(f[3]);
    if (!f[4].empty()) ja3[{f[0].empty() ? f[1] : f[0], f[2]}] = f[4];
    if (!f[5].empty()) hosts.insert(f[5]);
    if (!f[6].empty()) names.insert(f[6]);
  }
  int checked_ja3 = 0;
  for (const auto& flow : (*truth_)["flows"]) {
    if (flow.contains("sni")) {
      EXPECT_TRUE(snis.contains(flow["sni"])) << flow["sni"];
    }
    if (flow.contains("http_hosts")) {
      for (const auto& h : flow["http_hosts"]) {
        EXPECT_TRUE(hosts.contains(h)) << h;
      }
    }
    if (flow.contains("dns_names")) {
      for (const auto& n : flow["dns_names"]) {
        EXPECT_TRUE(names.contains(n)) << n;
      }
    }
    if (flow.contains("ja3_hash")) {
      const auto it = ja3.find({flow["client"], std::to_string(int(flow["client_port"]))});
      ASSERT_NE(it, ja3.end()) << flow["client"];
      EXPECT_EQ(it->second, flow["ja3_hash"].get<std::string>());
      ++checked_ja3;
    }
  }
  EXPECT_GT(checked_ja3, 20);
}

TEST_F(SynthCapture, EveryTruthFlowIsInThePcapWithItsCounts) {
  const auto flows = by_flow();
  const auto& truth_flows = (*truth_)["flows"];
  ASSERT_GT(truth_flows.size(), 100u);
  for (const auto& flow : truth_flows) {
    const auto it = flows.find(key_of(flow));
    ASSERT_NE(it, flows.end()) << flow.dump();
    EXPECT_EQ(it->second.size(), flow["packets"].get<std::size_t>()) << flow.dump();
    const Packet& first = *it->second.front();
    EXPECT_EQ(first.frame.src.to_string(), flow["src"].get<std::string>()) << flow.dump();
    EXPECT_EQ(first.micros, flow["start_ns"].get<std::int64_t>() / 1000) << flow.dump();
  }
  std::uint64_t benign_packets = 0;
  for (const auto& [key, packets] : flows) {
    (void)key;
    benign_packets += packets.size();
  }
  std::uint64_t truth_packets = 0;
  for (const auto& flow : truth_flows) truth_packets += flow["packets"].get<std::uint64_t>();
  EXPECT_EQ(benign_packets - truth_packets, (*truth_)["benign"]["packets"]);
}

TEST_F(SynthCapture, RulesetIsValidTomlWithUniqueIdsAndLists) {
  toml::table root;
  ASSERT_NO_THROW(root = toml::parse_file(summary_->rules_path));
  EXPECT_EQ(root["format"].value<std::int64_t>(), 1);
  const auto* rules = root["rule"].as_array();
  ASSERT_NE(rules, nullptr);
  std::set<std::string> ids, kinds;
  for (const auto& node : *rules) {
    const auto& rule = *node.as_table();
    const auto id = rule["id"].value<std::string>();
    ASSERT_TRUE(id.has_value());
    EXPECT_TRUE(ids.insert(*id).second) << "duplicate id " << *id;
    const auto kind = rule["kind"].value<std::string>();
    ASSERT_TRUE(kind.has_value());
    EXPECT_TRUE(
        std::set<std::string>({"ip", "domain", "port", "ja3", "ja4", "bytes"}).contains(*kind));
    kinds.insert(*kind);
    const bool inline_value = rule.contains("value");
    const bool list = rule.contains("values_file");
    EXPECT_NE(inline_value, list) << *id;
    if (list) {
      const auto file = std::filesystem::path(summary_->rules_path).parent_path() /
                        *rule["values_file"].value<std::string>();
      std::ifstream in(file);
      ASSERT_TRUE(in.good()) << file;
      int entries = 0;
      for (std::string line; std::getline(in, line);) entries += !line.empty() && line[0] != '#';
      EXPECT_GT(entries, 0) << file;
    }
  }
  EXPECT_EQ(kinds.size(), 6u);  // every kind is exercised
  // Every rule id the truth uses exists, and every rule selects at least one non-DD flow.
  std::set<std::string> used;
  for (const auto& flow : (*truth_)["flows"]) {
    for (const auto& id : flow["rules"]) {
      EXPECT_TRUE(ids.contains(id)) << id;
      if (flow["category"] != "DD") used.insert(id);
    }
  }
  EXPECT_EQ(used, ids);
  // Suffix and exact domain forms are both present.
  const std::string text(
      std::istreambuf_iterator<char>(std::ifstream(summary_->rules_path).rdbuf()), {});
  EXPECT_NE(text.find("value = \"c2.example.net\""), std::string::npos);
  EXPECT_NE(text.find("value = \".cdn-sync.example.net\""), std::string::npos);
  EXPECT_NE(text.find("value = \"*.update-check.example.org\""), std::string::npos);
  EXPECT_NE(text.find("value = \"hex:"), std::string::npos);
}

TEST_F(SynthCapture, ScenariosAndCategoriesAreAsDesigned) {
  std::map<std::string, std::vector<const Json*>> by_scenario;
  for (const auto& flow : (*truth_)["flows"]) by_scenario[flow["scenario"]].push_back(&flow);
  for (const char* name :
       {"c2_tls_ip", "c2_tls_net", "c2_tls_net6", "c2_tls_domain", "c2_tls_domain_dns",
        "c2_tls_dga", "c2_tls_ja", "c2_http", "c2_raw", "c2_tls_ff", "port_scan",
        "dns_amplification", "webshell", "dd_decoy_implant", "dd_decoy_webshell"}) {
    EXPECT_FALSE(by_scenario[name].empty()) << name;
  }
  for (const auto* flow : by_scenario["dd_decoy_implant"]) {
    EXPECT_EQ((*flow)["category"], "DD");
    EXPECT_FALSE((*flow)["rules"].empty());
  }
  for (const auto* flow : by_scenario["c2_tls_ff"]) {
    EXPECT_EQ((*flow)["category"], "FF");
  }
  for (const auto* flow : by_scenario["port_scan"]) {
    EXPECT_EQ((*flow)["category"], "FD");
    EXPECT_EQ((*flow)["rules"], Json::array({"scanner"}));
  }
  for (const auto* flow : by_scenario["c2_tls_ja"]) {
    EXPECT_EQ((*flow)["rules"], Json::array({"implant-ja3", "implant-ja4"}));
  }
  bool spoofed_only = false;
  for (const auto* flow : by_scenario["dns_amplification"]) {
    EXPECT_EQ((*flow)["rules"], Json::array({"dns-reflectors"}));
    spoofed_only |= (*flow)["initiator"] == "server";
  }
  EXPECT_TRUE(spoofed_only);
  for (const auto* flow : by_scenario["webshell"]) {
    EXPECT_EQ((*flow)["category"], "FD");
    EXPECT_EQ((*flow)["rules"], Json::array({"webshell-eval"}));
  }
  // Beacons: one host's connections are a period (60 s) apart, within the 2 % jitter.
  std::map<std::string, std::vector<std::int64_t>> starts;
  for (const auto* flow : by_scenario["c2_tls_ip"]) {
    starts[(*flow)["client"]].push_back((*flow)["start_ns"].get<std::int64_t>());
  }
  int intervals = 0;
  for (auto& [host, times] : starts) {
    (void)host;
    std::sort(times.begin(), times.end());
    for (std::size_t i = 1; i < times.size(); ++i) {
      EXPECT_NEAR(static_cast<double>(times[i] - times[i - 1]), 60e9, 1.21e9);
      ++intervals;
    }
  }
  EXPECT_GT(intervals, 3);
}

TEST_F(SynthCapture, CanaryIsInEveryBenignFlowAndInNoAttackFlow) {
  std::set<FlowKey> truth_keys;
  for (const auto& flow : (*truth_)["flows"]) truth_keys.insert(key_of(flow));
  const std::string canary = kCanary;
  int benign_with_payload = 0;
  for (const auto& [key, packets] : by_flow()) {
    bool payload = false, found = false;
    const bool benign = !truth_keys.contains(key);
    for (const Packet* p : packets) {
      const std::string_view bytes(reinterpret_cast<const char*>(p->frame.payload.data()),
                                   p->frame.payload.size());
      const bool here = bytes.find(canary) != std::string_view::npos;
      payload |= !bytes.empty();
      found |= here;
      // Every benign packet with room for it carries the canary; only the short tail
      // segments of generated fill may lack it.
      if (benign && bytes.size() >= 100) {
        EXPECT_TRUE(here) << "record " << p->record;
      }
    }
    if (!benign) {
      EXPECT_FALSE(found) << "canary in an attack flow";
    } else if (payload) {
      ++benign_with_payload;
      EXPECT_TRUE(found) << std::get<1>(key) << ":" << std::get<2>(key) << " → " << std::get<3>(key)
                         << ":" << std::get<4>(key);
    }
  }
  EXPECT_GT(benign_with_payload, 50);
  EXPECT_EQ((*truth_)["generator"]["canary"], kCanary);
}

TEST_F(SynthCapture, ContentMarkerSitsInAttackHttpOnly) {
  const std::string marker = (*truth_)["generator"]["content_marker"];
  ASSERT_TRUE(marker.starts_with("mamori-content-"));
  std::set<FlowKey> truth_keys;
  for (const auto& flow : (*truth_)["flows"]) truth_keys.insert(key_of(flow));
  int hits = 0;
  for (const auto& [key, packets] : by_flow()) {
    for (const Packet* p : packets) {
      const std::string_view bytes(reinterpret_cast<const char*>(p->frame.payload.data()),
                                   p->frame.payload.size());
      if (bytes.find(marker) == std::string_view::npos) continue;
      EXPECT_TRUE(truth_keys.contains(key));
      ++hits;
    }
  }
  EXPECT_GT(hits, 10);
  // No unselected host is part of a selected (non-DD, rule-matched) flow.
  std::set<std::string> selected;
  for (const auto& flow : (*truth_)["flows"]) {
    if (!flow["rules"].empty() && flow["category"] != "DD") {
      selected.insert(flow["client"]);
      selected.insert(flow["server"]);
    }
  }
  ASSERT_FALSE((*truth_)["unselected_hosts"].empty());
  for (const auto& host : (*truth_)["unselected_hosts"]) {
    EXPECT_FALSE(selected.contains(host));
  }
}

SynthOptions small(const std::filesystem::path& dir, std::uint64_t seed, std::uint64_t size) {
  SynthOptions options;
  options.out_path = (dir / "x.pcap").string();
  options.seed = seed;
  options.size_mb = size;
  return options;
}

TEST(Synth, SameSeedGivesByteIdenticalFilesDifferentSeedDoesNot) {
  TempDir a("det-a"), b("det-b"), c("det-c");
  ASSERT_TRUE(synthesize(small(a.path(), 17, 2)).has_value());
  ASSERT_TRUE(synthesize(small(b.path(), 17, 2)).has_value());
  ASSERT_TRUE(synthesize(small(c.path(), 18, 2)).has_value());
  for (const char* name : {"x.pcap", "x.truth.json", "x.rules.toml", "x.reflectors.txt"}) {
    const auto first = read_bytes(a.path() / name);
    ASSERT_FALSE(first.empty()) << name;
    EXPECT_EQ(first, read_bytes(b.path() / name)) << name;
  }
  EXPECT_NE(read_bytes(a.path() / "x.pcap"), read_bytes(c.path() / "x.pcap"));
  EXPECT_NE(read_bytes(a.path() / "x.rules.toml"), read_bytes(c.path() / "x.rules.toml"));
}

TEST(Synth, SizeIsWithinTenPercent) {
  for (const std::uint64_t size : {1u, 2u, 5u, 12u}) {
    TempDir dir("size");
    const auto result = synthesize(small(dir.path(), size * 3 + 1, size));
    ASSERT_TRUE(result.has_value()) << result.error().message;
    const double target = static_cast<double>(size) * 1024 * 1024;
    const auto actual = static_cast<double>(std::filesystem::file_size(result->pcap_path));
    EXPECT_NEAR(actual / target, 1.0, 0.10) << size << " MiB";
    EXPECT_GT(result->benign_flows, 20u);
  }
}

TEST(Synth, BenchRulesetHasTheRequestedListsAndMatchesNoTraffic) {
  TempDir dir("bench");
  SynthOptions options = small(dir.path(), 3, 1);
  options.bench_rules = true;
  const auto result = synthesize(options);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_TRUE(result->bench_rules_path.has_value());
  toml::table root;
  ASSERT_NO_THROW(root = toml::parse_file(*result->bench_rules_path));
  std::map<std::string, std::vector<std::string>> lists;
  std::set<std::string> ids;
  for (const auto& node : *root["rule"].as_array()) {
    const auto& rule = *node.as_table();
    ids.insert(*rule["id"].value<std::string>());
    if (!rule.contains("values_file")) continue;
    std::ifstream in(dir.path() / *rule["values_file"].value<std::string>());
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] != '#') lists[*rule["id"].value<std::string>()].push_back(line);
    }
  }
  EXPECT_EQ(lists["bench-ips"].size(), 100'000u);
  EXPECT_EQ(lists["bench-domains"].size(), 10'000u);
  EXPECT_EQ(lists["bench-bytes"].size(), 1'000u);
  for (const char* demo : {"c2-ip", "c2-domain", "implant-ja4", "bot-commands", "scanner"}) {
    EXPECT_TRUE(ids.contains(demo)) << demo;
  }
  // Mixed forms: host and network prefixes of both families, exact and suffix domains,
  // literal and hex patterns.
  const auto& ips = lists["bench-ips"];
  EXPECT_TRUE(std::any_of(ips.begin(), ips.end(), [](auto& v) {
    return v.find('/') == std::string::npos && v.find(':') == std::string::npos;
  }));
  EXPECT_TRUE(std::any_of(ips.begin(), ips.end(), [](auto& v) {
    return v.find('/') != std::string::npos && v.find(':') == std::string::npos;
  }));
  EXPECT_TRUE(std::any_of(ips.begin(), ips.end(), [](auto& v) {
    return v.find(':') != std::string::npos && v.find('/') == std::string::npos;
  }));
  EXPECT_TRUE(std::any_of(ips.begin(), ips.end(), [](auto& v) {
    return v.find(':') != std::string::npos && v.find('/') != std::string::npos;
  }));
  const auto& domains = lists["bench-domains"];
  EXPECT_TRUE(std::any_of(domains.begin(), domains.end(), [](auto& v) { return v[0] == '.'; }));
  EXPECT_TRUE(std::any_of(domains.begin(), domains.end(), [](auto& v) { return v[0] != '.'; }));
  const auto& patterns = lists["bench-bytes"];
  EXPECT_TRUE(
      std::any_of(patterns.begin(), patterns.end(), [](auto& v) { return v.starts_with("hex:"); }));
  EXPECT_TRUE(std::any_of(patterns.begin(), patterns.end(),
                          [](auto& v) { return !v.starts_with("hex:"); }));

  // No bench prefix contains any address of the capture.
  std::vector<Prefix> prefixes;
  for (const auto& v : ips) {
    const auto p = Prefix::parse(v);
    ASSERT_TRUE(p.has_value()) << v;
    prefixes.push_back(*p);
  }
  const auto pcap = read_pcap(result->pcap_path);
  ASSERT_TRUE(pcap.has_value());
  std::set<IpAddress> addresses;
  for (const auto& record : pcap->records) {
    const auto f = parse_frame(record.data);
    addresses.insert(f.src);
    addresses.insert(f.dst);
  }
  for (const auto& prefix : prefixes) {
    // The first capture address at or above the prefix's network address must lie outside.
    const auto it = addresses.lower_bound(prefix.address());
    if (it != addresses.end()) {
      ASSERT_FALSE(prefix_contains(prefix, *it)) << prefix.to_string() << " " << it->to_string();
    }
  }
}

TEST(Synth, RejectsBadOptionsWithAClearMessage) {
  TempDir dir("bad");
  auto options = small(dir.path(), 1, 0);
  auto result = synthesize(options);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("--size-mb"), std::string::npos);
  options.size_mb = 1;
  options.canary = "has space";
  result = synthesize(options);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("--canary"), std::string::npos);
  options.canary.reset();
  options.out_path = (dir.path() / "missing-dir" / "x.pcap").string();
  result = synthesize(options);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("missing-dir"), std::string::npos);
}

}  // namespace
}  // namespace mamori::synth
