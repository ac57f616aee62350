#include "mamori/synth/truth.h"

#include "mamori/decode/packet.h"

#include <fstream>

#include <nlohmann/json.hpp>

namespace mamori::synth {
namespace {

using Json = nlohmann::ordered_json;

Json flow_json(std::size_t id, const TruthFlow& flow, bool v2) {
  const FlowFacts& f = flow.facts;
  Json j;
  j["id"] = id;
  j["scenario"] = f.scenario;
  j["attack"] = f.attack;
  if (v2) j["decoy"] = f.decoy;
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
  if (v2) j["end_ns"] = flow.end.nanos;
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

Json time_or_null(const std::optional<Timestamp>& t) {
  return t ? Json(format_rfc3339_micros(*t)) : Json(nullptr);
}

Json named_values(const NamedValues& values) {
  Json j = Json::object();
  for (const auto& [name, value] : values) j[name] = value;
  return j;
}

Json subject_json(const TruthSubject& s) {
  Json j = Json::object();
  if (s.address) j["address"] = s.address->to_string();
  if (s.network) j["network"] = s.network->to_string();
  if (s.client) j["client"] = s.client->to_string();
  if (s.server) j["server"] = s.server->to_string();
  if (s.client || s.server) {
    j["port"] = s.port;
    j["protocol"] = decode::ip_protocol_name(s.protocol);
  }
  return j;
}

Json actor_json(const TruthActor& a) {
  Json j;
  j["id"] = a.id;
  j["kind"] = a.kind;
  j["scenario"] = a.scenario;
  if (a.kind == "decoy") {
    j["decoy_of"] = a.decoy_of;
    j["role"] = a.role;
  }
  j["subject"] = subject_json(a.subject);
  j["first_activity"] = format_rfc3339_micros(a.first_activity);
  j["first_activity_ns"] = a.first_activity.nanos;
  j["last_activity"] = format_rfc3339_micros(a.last_activity);
  j["last_activity_ns"] = a.last_activity.nanos;
  j["expected_detectable"] = a.expected_detectable;
  j["near_threshold"] = a.near_threshold;
  j["reason"] = a.reason;
  j["detectable_from"] = time_or_null(a.detectable_from);
  j["detectable_from_ns"] = a.detectable_from ? Json(a.detectable_from->nanos) : Json(nullptr);
  j["trips"] = a.trips;
  j["measures"] = named_values(a.measures);
  j["parameters"] = named_values(a.parameters);
  j["flows"] = a.flows;
  return j;
}

Json servers_json(const std::vector<TruthServer>& servers) {
  Json out = Json::array();
  for (const auto& s : servers) {
    out.push_back({{"address", s.address.to_string()},
                   {"role", s.role},
                   {"actors", s.actors},
                   {"expected_detectable", s.expected_detectable}});
  }
  return out;
}

Json thresholds_json(const DetectionThresholds& t) {
  Json scan = {{"min_targets", t.scan_min_targets},
               {"window_s", t.scan_window.nanos / 1'000'000'000},
               {"min_failed_ratio", t.scan_min_failed_ratio}};
  Json amplification = {{"min_ratio", t.amplification_min_ratio},
                        {"min_response_bytes", t.amplification_min_response_bytes},
                        {"window_s", t.amplification_window.nanos / 1'000'000'000},
                        {"ports", t.amplification_ports}};
  Json beacon = {{"min_connections", t.beacon_min_connections},
                 {"max_cv", t.beacon_max_cv},
                 {"min_interval_s", t.beacon_min_interval.nanos / 1'000'000'000},
                 {"max_interval_s", t.beacon_max_interval.nanos / 1'000'000'000}};
  return {{"scan", scan}, {"amplification", amplification}, {"beacon", beacon}};
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
                          const std::vector<TruthRule>& rules,
                          const DetectionTruth* detection) const {
  const bool v2 = detection != nullptr;
  Json root;
  root["format"] = "mamori-synth-truth";
  root["version"] = v2 ? 2 : 1;
  if (v2) {
    root["profile"] = "detection";
    root["semantics"] =
        "Behaviour rules select by what hosts do: `actors` say who did what, which flows "
        "are theirs and whether the default `thresholds` should catch them. Decoys are benign "
        "and should be reported by no detector; `trips` says which default rule they resemble "
        "closely enough to select them. `initiator` is the side whose packet comes first in "
        "the capture; match a sieve record to a flow by 5-tuple and start.";
  } else {
    root["semantics"] =
        "A flow is selected iff `rules` is non-empty and its category is authorized; DD is "
        "never processed. `initiator` is the side whose packet comes first in the capture.";
  }
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
  if (v2) root["thresholds"] = thresholds_json(detection->thresholds);

  Json flows = Json::array();
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_scenario;
  std::set<IpAddress> selected_hosts;
  for (std::size_t i = 0; i < flows_.size(); ++i) {
    const auto& flow = flows_[i];
    flows.push_back(flow_json(i, flow, v2));
    auto& count = by_scenario[flow.facts.scenario];
    ++count.first;
    count.second += flow.packets;
    if (!flow.rules.empty() && flow.category != "DD") {
      selected_hosts.insert(flow.facts.client);
      selected_hosts.insert(flow.facts.server);
    }
  }
  root["flows"] = flows;
  if (v2) {
    Json actors = Json::array();
    for (const auto& actor : detection->actors) actors.push_back(actor_json(actor));
    root["actors"] = actors;
    root["c2_servers"] = servers_json(detection->c2_servers);
    root["decoy_servers"] = servers_json(detection->decoy_servers);
  }
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
  if (!v2) {
    Json unselected = Json::array();
    for (const auto& host : hosts_) {
      if (!selected_hosts.contains(host)) unselected.push_back(host.to_string());
    }
    root["unselected_hosts"] = unselected;
  }

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << root.dump(1) << '\n';
  if (!out.good()) return fail("{}: cannot write truth file", path.string());
  return {};
}

}  // namespace mamori::synth
