#include "mamori/synth/truth.h"

#include "mamori/decode/packet.h"

#include <fstream>

#include <nlohmann/json.hpp>

namespace mamori::synth {
namespace {

using Json = nlohmann::ordered_json;

Json flow_json(std::size_t id, const TruthFlow& flow) {
  const FlowFacts& f = flow.facts;
  Json j;
  j["id"] = id;
  j["scenario"] = f.scenario;
  j["attack"] = f.attack;
  j["protocol"] = decode::ip_protocol_name(f.protocol);
  j["client"] = f.client.to_string();
  j["client_port"] = f.client_port;
  j["server"] = f.server.to_string();
  j["server_port"] = f.server_port;
  j["initiator"] = f.initiator_is_server ? "server" : "client";
  const bool flip = f.initiator_is_server;
  j["src"] = (flip ? f.server : f.client).to_string();
  j["src_port"] = flip ? f.server_port : f.client_port;
  j["dst"] = (flip ? f.client : f.server).to_string();
  j["dst_port"] = flip ? f.client_port : f.server_port;
  j["category"] = flow.category;
  j["start"] = format_rfc3339_micros(f.start);
  j["start_ns"] = f.start.nanos;
  j["end"] = format_rfc3339_micros(flow.end);
  j["packets"] = flow.packets;
  j["bytes"] = flow.bytes;
  j["rules"] = flow.rules;
  if (!f.sni.empty()) j["sni"] = f.sni;
  if (!f.http_hosts.empty()) j["http_hosts"] = f.http_hosts;
  if (!f.dns_names.empty()) j["dns_names"] = f.dns_names;
  if (f.tls) {
    j["ja3"] = f.tls->ja3;
    j["ja3_hash"] = f.tls->ja3_hash;
    j["ja4"] = f.tls->ja4;
  }
  return j;
}

}  // namespace

std::size_t Truth::add(FlowFacts facts, std::vector<std::string> rules, std::string category) {
  hosts_.insert(facts.client);
  hosts_.insert(facts.server);
  TruthFlow flow{std::move(facts), std::move(rules), std::move(category), 0, 0, {}};
  flow.end = flow.facts.start;
  flows_.push_back(std::move(flow));
  return flows_.size() - 1;
}

void Truth::add_packet(std::size_t index, std::size_t frame_bytes, Timestamp time) {
  TruthFlow& flow = flows_[index];
  ++flow.packets;
  flow.bytes += frame_bytes;
  flow.end = time;
}

std::size_t Truth::add_benign(const FlowFacts& facts) {
  ++benign_flows_;
  std::size_t id = 0;
  while (id < benign_.size() && benign_[id].scenario != facts.scenario) ++id;
  if (id == benign_.size()) benign_.push_back({facts.scenario, 0, 0, 0});
  ++benign_[id].flows;
  hosts_.insert(facts.client);
  hosts_.insert(facts.server);
  return id;
}

Result<void> Truth::write(const std::filesystem::path& path, const TruthHeader& header,
                          const std::vector<TruthRule>& rules) const {
  Json root;
  root["format"] = "mamori-synth-truth";
  root["version"] = 1;
  root["semantics"] =
      "A flow is selected iff `rules` is non-empty and its category is authorized; DD is "
      "never processed. `initiator` is the side whose packet comes first in the capture.";
  Json generator;
  generator["seed"] = header.seed;
  generator["size_mb"] = header.size_mb;
  generator["canary"] = header.canary ? Json(*header.canary) : Json(nullptr);
  generator["content_marker"] = header.content_marker;
  generator["facts_payload_bytes"] = kFactsPayloadBytes;
  root["generator"] = generator;
  Json capture;
  capture["pcap"] = header.pcap;
  capture["link_type"] = "ethernet";
  capture["start"] = format_rfc3339_micros(header.start);
  capture["end"] = format_rfc3339_micros(header.end);
  capture["packets"] = header.packets;
  capture["file_bytes"] = header.file_bytes;
  root["capture"] = capture;
  Json ruleset;
  ruleset["file"] = header.ruleset;
  ruleset["bench_file"] = header.bench_ruleset.empty() ? Json(nullptr) : Json(header.bench_ruleset);
  Json rule_list = Json::array();
  for (const auto& rule : rules) {
    rule_list.push_back({{"id", rule.id}, {"kind", rule.kind}, {"description", rule.description}});
  }
  ruleset["rules"] = rule_list;
  root["ruleset"] = ruleset;

  Json flows = Json::array();
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_scenario;
  std::set<IpAddress> selected_hosts;
  for (std::size_t i = 0; i < flows_.size(); ++i) {
    const auto& flow = flows_[i];
    flows.push_back(flow_json(i, flow));
    auto& count = by_scenario[flow.facts.scenario];
    ++count.first;
    count.second += flow.packets;
    if (!flow.rules.empty() && flow.category != "DD") {
      selected_hosts.insert(flow.facts.client);
      selected_hosts.insert(flow.facts.server);
    }
  }
  root["flows"] = flows;
  Json scenarios;
  for (const auto& [name, count] : by_scenario) {
    scenarios[name] = {{"flows", count.first}, {"packets", count.second}};
  }
  root["scenarios"] = scenarios;
  Json benign = {{"flows", benign_flows_}, {"packets", benign_packets_}, {"bytes", benign_bytes_}};
  std::map<std::string, const BenignCount*> sorted;
  for (const auto& count : benign_) sorted[count.scenario] = &count;
  Json benign_scenarios = Json::object();
  for (const auto& [name, count] : sorted) {
    benign_scenarios[name] = {
        {"flows", count->flows}, {"packets", count->packets}, {"bytes", count->bytes}};
  }
  benign["scenarios"] = benign_scenarios;
  root["benign"] = benign;
  Json unselected = Json::array();
  for (const auto& host : hosts_) {
    if (!selected_hosts.contains(host)) unselected.push_back(host.to_string());
  }
  root["unselected_hosts"] = unselected;

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << root.dump(1) << '\n';
  if (!out.good()) return fail("{}: cannot write truth file", path.string());
  return {};
}

}  // namespace mamori::synth
