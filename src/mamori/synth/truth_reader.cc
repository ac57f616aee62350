#include "mamori/synth/truth_reader.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace mamori::synth {
namespace {

using Json = nlohmann::ordered_json;

// Reads fields of one JSON object; `where` is its path ("flows[3]"). Errors name the field,
// never its value.
class Fields {
 public:
  Fields(std::string_view source, std::string where, const Json& object)
      : source_(source), where_(std::move(where)), object_(object) {}

  const std::string& where() const { return where_; }
  std::string path(std::string_view key) const {
    return where_.empty() ? std::string(key) : fmt::format("{}.{}", where_, key);
  }
  template <class... Args>
  std::unexpected<Error> error(std::string_view key, fmt::format_string<Args...> what,
                               Args&&... args) const {
    return fail("{}: {}: {}", source_, path(key), fmt::format(what, std::forward<Args>(args)...));
  }

  bool has(std::string_view key) const {
    const auto it = object_.find(key);
    return it != object_.end() && !it->is_null();
  }
  Result<const Json*> node(std::string_view key) const {
    const auto it = object_.find(key);
    if (it == object_.end()) return error(key, "missing");
    return &*it;
  }
  Result<std::string> text(std::string_view key) const {
    auto n = node(key);
    if (!n) return std::unexpected(n.error());
    if (!(*n)->is_string()) return error(key, "not a string");
    return (*n)->get<std::string>();
  }
  Result<std::optional<std::string>> optional_text(std::string_view key) const {
    if (!has(key)) return std::optional<std::string>();
    auto t = text(key);
    if (!t) return std::unexpected(t.error());
    return std::optional<std::string>(std::move(*t));
  }
  Result<bool> boolean(std::string_view key) const {
    auto n = node(key);
    if (!n) return std::unexpected(n.error());
    if (!(*n)->is_boolean()) return error(key, "not a boolean");
    return (*n)->get<bool>();
  }
  Result<std::uint64_t> unsigned_number(std::string_view key,
                                        std::uint64_t max = UINT64_MAX) const {
    auto n = node(key);
    if (!n) return std::unexpected(n.error());
    if (!(*n)->is_number_unsigned()) return error(key, "not a non-negative integer");
    const auto value = (*n)->get<std::uint64_t>();
    if (value > max) return error(key, "out of range (at most {})", max);
    return value;
  }
  Result<std::int64_t> integer(std::string_view key) const {
    auto n = node(key);
    if (!n) return std::unexpected(n.error());
    if (!(*n)->is_number_integer()) return error(key, "not an integer");
    return (*n)->get<std::int64_t>();
  }
  Result<double> number(std::string_view key) const {
    auto n = node(key);
    if (!n) return std::unexpected(n.error());
    if (!(*n)->is_number()) return error(key, "not a number");
    return (*n)->get<double>();
  }
  Result<IpAddress> address(std::string_view key) const {
    auto t = text(key);
    if (!t) return std::unexpected(t.error());
    auto ip = IpAddress::parse(*t);
    if (!ip) return error(key, "not an IP address");
    return *ip;
  }
  Result<Timestamp> time_ns(std::string_view key) const {
    auto n = integer(key);
    if (!n) return std::unexpected(n.error());
    return Timestamp{*n};
  }
  Result<Timestamp> time_text(std::string_view key) const {
    auto t = text(key);
    if (!t) return std::unexpected(t.error());
    auto parsed = parse_rfc3339(*t);
    if (!parsed) return error(key, "not an RFC 3339 time");
    return *parsed;
  }
  Result<std::vector<std::string>> strings(std::string_view key) const {
    auto n = node(key);
    if (!n) return std::unexpected(n.error());
    if (!(*n)->is_array()) return error(key, "not an array");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < (*n)->size(); ++i) {
      const Json& item = (**n)[i];
      if (!item.is_string()) return error(fmt::format("{}[{}]", key, i), "not a string");
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  Result<Fields> object(std::string_view key) const {
    auto n = node(key);
    if (!n) return std::unexpected(n.error());
    if (!(*n)->is_object()) return error(key, "not an object");
    return Fields(source_, path(key), **n);
  }
  // Elements of an array field, each required to be an object.
  Result<std::vector<Fields>> objects(std::string_view key) const {
    auto n = node(key);
    if (!n) return std::unexpected(n.error());
    if (!(*n)->is_array()) return error(key, "not an array");
    std::vector<Fields> out;
    for (std::size_t i = 0; i < (*n)->size(); ++i) {
      const Json& item = (**n)[i];
      const std::string item_path = fmt::format("{}[{}]", path(key), i);
      if (!item.is_object()) return fail("{}: {}: not an object", source_, item_path);
      out.emplace_back(source_, item_path, item);
    }
    return out;
  }
  const Json& json() const { return object_; }

 private:
  std::string_view source_;
  std::string where_;
  const Json& object_;
};

// Unwraps a Result into `var` or returns its error. (`var` names a declaration: it cannot be
// parenthesized.)
// NOLINTBEGIN(bugprone-macro-parentheses)
#define MAMORI_TRY(var, expr)                                      \
  auto var##_result = (expr);                                      \
  if (!var##_result) return std::unexpected(var##_result.error()); \
  auto var = std::move(*var##_result)
// NOLINTEND(bugprone-macro-parentheses)

std::optional<std::uint8_t> protocol_number(std::string_view name) {
  if (name == "tcp") return 6;
  if (name == "udp") return 17;
  if (name == "icmp") return 1;
  if (name == "icmpv6") return 58;
  if (name.empty() || name.size() > 3) return std::nullopt;
  unsigned value = 0;
  for (const char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 255) return std::nullopt;
  return static_cast<std::uint8_t>(value);
}

Result<std::uint8_t> protocol_field(const Fields& f, std::string_view key) {
  MAMORI_TRY(name, f.text(key));
  const auto number = protocol_number(name);
  if (!number) return f.error(key, "not a protocol name");
  return *number;
}

Result<std::uint16_t> port_field(const Fields& f, std::string_view key) {
  MAMORI_TRY(value, f.unsigned_number(key, 65535));
  return static_cast<std::uint16_t>(value);
}

Result<NamedValues> named_values(const Fields& f, std::string_view key) {
  MAMORI_TRY(object, f.object(key));
  NamedValues out;
  for (const auto& [name, value] : object.json().items()) {
    if (!value.is_number()) return object.error(name, "not a number");
    out.emplace_back(name, value.get<double>());
  }
  return out;
}

Result<TruthFlow> read_flow(const Fields& f, std::size_t index, int version) {
  TruthFlow flow;
  FlowFacts& facts = flow.facts;
  MAMORI_TRY(id, f.unsigned_number("id"));
  if (id != index) return f.error("id", "expected {} (the flow's position)", index);
  MAMORI_TRY(scenario, f.text("scenario"));
  facts.scenario = std::move(scenario);
  MAMORI_TRY(attack, f.boolean("attack"));
  facts.attack = attack;
  if (version >= 2) {
    MAMORI_TRY(decoy, f.boolean("decoy"));
    facts.decoy = decoy;
  }
  MAMORI_TRY(protocol, protocol_field(f, "protocol"));
  facts.protocol = protocol;
  MAMORI_TRY(client, f.address("client"));
  facts.client = client;
  MAMORI_TRY(client_port, port_field(f, "client_port"));
  facts.client_port = client_port;
  MAMORI_TRY(server, f.address("server"));
  facts.server = server;
  MAMORI_TRY(server_port, port_field(f, "server_port"));
  facts.server_port = server_port;
  MAMORI_TRY(initiator, f.text("initiator"));
  if (initiator != "client" && initiator != "server") {
    return f.error("initiator", "must be \"client\" or \"server\"");
  }
  facts.initiator_is_server = initiator == "server";
  MAMORI_TRY(src, f.address("src"));
  MAMORI_TRY(dst, f.address("dst"));
  if (src != (facts.initiator_is_server ? server : client) ||
      dst != (facts.initiator_is_server ? client : server)) {
    return f.error("src", "src/dst do not agree with initiator");
  }
  MAMORI_TRY(category, f.text("category"));
  if (category != "DF" && category != "FD" && category != "DD" && category != "FF") {
    return f.error("category", "must be DF, FD, DD or FF");
  }
  flow.category = std::move(category);
  MAMORI_TRY(start, f.time_ns("start_ns"));
  facts.start = start;
  if (version >= 2) {
    MAMORI_TRY(end, f.time_ns("end_ns"));
    flow.end = end;
  } else {
    MAMORI_TRY(end, f.time_text("end"));
    flow.end = end;
  }
  if (flow.end.micros() < facts.start.micros()) return f.error("end", "before start");
  MAMORI_TRY(packets, f.unsigned_number("packets"));
  flow.packets = packets;
  MAMORI_TRY(bytes, f.unsigned_number("bytes"));
  flow.bytes = bytes;
  MAMORI_TRY(rules, f.strings("rules"));
  flow.rules = std::move(rules);
  if (f.has("sni")) {
    MAMORI_TRY(sni, f.text("sni"));
    facts.sni = std::move(sni);
  }
  if (f.has("http_hosts")) {
    MAMORI_TRY(hosts, f.strings("http_hosts"));
    facts.http_hosts = std::move(hosts);
  }
  if (f.has("dns_names")) {
    MAMORI_TRY(names, f.strings("dns_names"));
    facts.dns_names = std::move(names);
  }
  if (f.has("ja3") || f.has("ja3_hash") || f.has("ja4")) {
    TlsFingerprint tls;
    MAMORI_TRY(ja3, f.text("ja3"));
    MAMORI_TRY(ja3_hash, f.text("ja3_hash"));
    MAMORI_TRY(ja4, f.text("ja4"));
    tls.ja3 = std::move(ja3);
    tls.ja3_hash = std::move(ja3_hash);
    tls.ja4 = std::move(ja4);
    facts.tls = std::move(tls);
  }
  return flow;
}

Result<TruthSubject> read_subject(const Fields& f, const std::string& kind,
                                  const std::string& decoy_of) {
  TruthSubject s;
  if (f.has("address")) {
    MAMORI_TRY(address, f.address("address"));
    s.address = address;
  }
  if (f.has("network")) {
    MAMORI_TRY(text, f.text("network"));
    const auto prefix = Prefix::parse(text);
    if (!prefix) return f.error("network", "not an address prefix");
    s.network = *prefix;
  }
  if (f.has("client") || f.has("server")) {
    MAMORI_TRY(client, f.address("client"));
    MAMORI_TRY(server, f.address("server"));
    MAMORI_TRY(port, port_field(f, "port"));
    MAMORI_TRY(protocol, protocol_field(f, "protocol"));
    s.client = client;
    s.server = server;
    s.port = port;
    s.protocol = protocol;
  }
  const std::string& behaviour = kind == "decoy" ? decoy_of : kind;
  if (behaviour == "beacon" && !s.client) return f.error("client", "missing (a beacon pair)");
  if (behaviour != "beacon" && !s.address) return f.error("address", "missing");
  return s;
}

Result<TruthActor> read_actor(const Fields& f, std::size_t flow_count) {
  static const std::set<std::string> kKinds = {"scan", "amplification", "beacon", "c2", "decoy"};
  static const std::set<std::string> kBehaviours = {"scan", "amplification", "beacon"};
  TruthActor a;
  MAMORI_TRY(id, f.text("id"));
  a.id = std::move(id);
  MAMORI_TRY(kind, f.text("kind"));
  if (!kKinds.contains(kind))
    return f.error("kind", "must be scan, amplification, beacon, c2 or decoy");
  a.kind = std::move(kind);
  MAMORI_TRY(scenario, f.text("scenario"));
  a.scenario = std::move(scenario);
  if (a.kind == "decoy") {
    MAMORI_TRY(decoy_of, f.text("decoy_of"));
    if (!kBehaviours.contains(decoy_of)) {
      return f.error("decoy_of", "must be scan, amplification or beacon");
    }
    a.decoy_of = std::move(decoy_of);
    MAMORI_TRY(role, f.text("role"));
    a.role = std::move(role);
  }
  MAMORI_TRY(trips, f.strings("trips"));
  for (std::size_t i = 0; i < trips.size(); ++i) {
    if (!kBehaviours.contains(trips[i])) {
      return f.error(fmt::format("trips[{}]", i), "must be scan, amplification or beacon");
    }
  }
  a.trips = std::move(trips);
  MAMORI_TRY(subject_fields, f.object("subject"));
  MAMORI_TRY(subject, read_subject(subject_fields, a.kind, a.decoy_of));
  a.subject = subject;
  MAMORI_TRY(first, f.time_ns("first_activity_ns"));
  a.first_activity = first;
  MAMORI_TRY(last, f.time_ns("last_activity_ns"));
  a.last_activity = last;
  if (a.last_activity < a.first_activity)
    return f.error("last_activity_ns", "before first_activity_ns");
  MAMORI_TRY(expected, f.boolean("expected_detectable"));
  a.expected_detectable = expected;
  if (a.kind == "decoy" && expected) return f.error("expected_detectable", "true for a decoy");
  MAMORI_TRY(near, f.boolean("near_threshold"));
  a.near_threshold = near;
  MAMORI_TRY(reason, f.text("reason"));
  a.reason = std::move(reason);
  if (f.has("detectable_from_ns")) {
    MAMORI_TRY(from, f.time_ns("detectable_from_ns"));
    a.detectable_from = from;
  }
  if (a.expected_detectable && !a.detectable_from) {
    return f.error("detectable_from_ns", "missing for an expected detectable actor");
  }
  MAMORI_TRY(measures, named_values(f, "measures"));
  a.measures = std::move(measures);
  MAMORI_TRY(parameters, named_values(f, "parameters"));
  a.parameters = std::move(parameters);
  MAMORI_TRY(flows, f.node("flows"));
  if (!flows->is_array() || flows->empty()) return f.error("flows", "not a non-empty array");
  for (std::size_t i = 0; i < flows->size(); ++i) {
    const Json& item = (*flows)[i];
    const std::string key = fmt::format("flows[{}]", i);
    if (!item.is_number_unsigned()) return f.error(key, "not a flow index");
    const auto index = item.get<std::uint64_t>();
    if (index >= flow_count) return f.error(key, "index {} is out of range", index);
    a.flows.push_back(static_cast<std::size_t>(index));
  }
  return a;
}

Result<TruthServer> read_server(const Fields& f, const std::set<std::string>& actor_ids) {
  TruthServer s;
  MAMORI_TRY(address, f.address("address"));
  s.address = address;
  MAMORI_TRY(role, f.text("role"));
  s.role = std::move(role);
  MAMORI_TRY(actors, f.strings("actors"));
  for (std::size_t i = 0; i < actors.size(); ++i) {
    if (!actor_ids.contains(actors[i])) {
      return f.error(fmt::format("actors[{}]", i), "names no actor");
    }
  }
  s.actors = std::move(actors);
  MAMORI_TRY(expected, f.boolean("expected_detectable"));
  s.expected_detectable = expected;
  return s;
}

Result<DetectionThresholds> read_thresholds(const Fields& f) {
  DetectionThresholds t;
  MAMORI_TRY(scan, f.object("scan"));
  MAMORI_TRY(min_targets, scan.unsigned_number("min_targets", UINT32_MAX));
  t.scan_min_targets = static_cast<std::uint32_t>(min_targets);
  MAMORI_TRY(scan_window, scan.unsigned_number("window_s"));
  t.scan_window = Duration::seconds(static_cast<std::int64_t>(scan_window));
  MAMORI_TRY(failed, scan.number("min_failed_ratio"));
  t.scan_min_failed_ratio = failed;
  MAMORI_TRY(amp, f.object("amplification"));
  MAMORI_TRY(ratio, amp.number("min_ratio"));
  t.amplification_min_ratio = ratio;
  MAMORI_TRY(bytes, amp.unsigned_number("min_response_bytes"));
  t.amplification_min_response_bytes = bytes;
  MAMORI_TRY(amp_window, amp.unsigned_number("window_s"));
  t.amplification_window = Duration::seconds(static_cast<std::int64_t>(amp_window));
  MAMORI_TRY(ports, amp.node("ports"));
  if (!ports->is_array()) return amp.error("ports", "not an array");
  t.amplification_ports.clear();
  for (std::size_t i = 0; i < ports->size(); ++i) {
    const Json& item = (*ports)[i];
    if (!item.is_number_unsigned() || item.get<std::uint64_t>() > 65535) {
      return amp.error(fmt::format("ports[{}]", i), "not a port number");
    }
    t.amplification_ports.push_back(static_cast<std::uint16_t>(item.get<std::uint64_t>()));
  }
  MAMORI_TRY(beacon, f.object("beacon"));
  MAMORI_TRY(connections, beacon.unsigned_number("min_connections", UINT32_MAX));
  t.beacon_min_connections = static_cast<std::uint32_t>(connections);
  MAMORI_TRY(cv, beacon.number("max_cv"));
  t.beacon_max_cv = cv;
  MAMORI_TRY(min_interval, beacon.unsigned_number("min_interval_s"));
  t.beacon_min_interval = Duration::seconds(static_cast<std::int64_t>(min_interval));
  MAMORI_TRY(max_interval, beacon.unsigned_number("max_interval_s"));
  t.beacon_max_interval = Duration::seconds(static_cast<std::int64_t>(max_interval));
  return t;
}

Result<TruthFile> read_root(const Fields& root) {
  TruthFile out;
  MAMORI_TRY(format, root.text("format"));
  if (format != "mamori-synth-truth") return root.error("format", "not \"mamori-synth-truth\"");
  MAMORI_TRY(version, root.integer("version"));
  if (version != 1 && version != 2) return root.error("version", "unsupported (expected 1 or 2)");
  out.version = static_cast<int>(version);
  if (out.version == 2) {
    MAMORI_TRY(profile, root.text("profile"));
    if (profile != "detection") return root.error("profile", "must be \"detection\" in version 2");
    out.profile = std::move(profile);
  }
  TruthHeader& h = out.header;
  MAMORI_TRY(generator, root.object("generator"));
  MAMORI_TRY(seed, generator.unsigned_number("seed"));
  h.seed = seed;
  MAMORI_TRY(size_mb, generator.unsigned_number("size_mb"));
  h.size_mb = size_mb;
  MAMORI_TRY(canary, generator.optional_text("canary"));
  h.canary = std::move(canary);
  MAMORI_TRY(marker, generator.text("content_marker"));
  h.content_marker = std::move(marker);
  MAMORI_TRY(capture, root.object("capture"));
  MAMORI_TRY(pcap, capture.text("pcap"));
  h.pcap = std::move(pcap);
  MAMORI_TRY(start, capture.time_text("start"));
  h.start = start;
  MAMORI_TRY(end, capture.time_text("end"));
  h.end = end;
  MAMORI_TRY(packets, capture.unsigned_number("packets"));
  h.packets = packets;
  MAMORI_TRY(file_bytes, capture.unsigned_number("file_bytes"));
  h.file_bytes = file_bytes;
  MAMORI_TRY(ruleset, root.object("ruleset"));
  MAMORI_TRY(rules_file, ruleset.text("file"));
  h.ruleset = std::move(rules_file);
  MAMORI_TRY(bench, ruleset.optional_text("bench_file"));
  h.bench_ruleset = bench.value_or("");
  MAMORI_TRY(rules, ruleset.objects("rules"));
  for (const auto& rule : rules) {
    MAMORI_TRY(id, rule.text("id"));
    MAMORI_TRY(kind, rule.text("kind"));
    MAMORI_TRY(description, rule.text("description"));
    out.rules.push_back({std::move(id), std::move(kind), std::move(description)});
  }
  if (out.version == 2) {
    MAMORI_TRY(thresholds, root.object("thresholds"));
    MAMORI_TRY(parsed, read_thresholds(thresholds));
    out.thresholds = std::move(parsed);
  }
  MAMORI_TRY(flows, root.objects("flows"));
  for (std::size_t i = 0; i < flows.size(); ++i) {
    MAMORI_TRY(flow, read_flow(flows[i], i, out.version));
    out.flows.push_back(std::move(flow));
  }
  if (out.version == 2) {
    MAMORI_TRY(actors, root.objects("actors"));
    std::set<std::string> ids;
    for (const auto& fields : actors) {
      MAMORI_TRY(actor, read_actor(fields, out.flows.size()));
      if (!ids.insert(actor.id).second) return fields.error("id", "duplicate actor id");
      out.actors.push_back(std::move(actor));
    }
    for (const auto* key : {"c2_servers", "decoy_servers"}) {
      MAMORI_TRY(servers, root.objects(key));
      for (const auto& fields : servers) {
        MAMORI_TRY(server, read_server(fields, ids));
        (std::string_view(key) == "c2_servers" ? out.c2_servers : out.decoy_servers)
            .push_back(std::move(server));
      }
    }
  }
  MAMORI_TRY(benign, root.object("benign"));
  MAMORI_TRY(benign_flows, benign.unsigned_number("flows"));
  out.benign_flows = benign_flows;
  MAMORI_TRY(benign_packets, benign.unsigned_number("packets"));
  out.benign_packets = benign_packets;
  MAMORI_TRY(benign_bytes, benign.unsigned_number("bytes"));
  out.benign_bytes = benign_bytes;
  if (out.version == 1) {
    MAMORI_TRY(hosts, root.strings("unselected_hosts"));
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      const auto ip = IpAddress::parse(hosts[i]);
      if (!ip) return root.error(fmt::format("unselected_hosts[{}]", i), "not an IP address");
      out.unselected_hosts.push_back(*ip);
    }
  }
  return out;
}

#undef MAMORI_TRY

}  // namespace

const TruthActor* TruthFile::find_actor(std::string_view id) const {
  for (const auto& actor : actors) {
    if (actor.id == id) return &actor;
  }
  return nullptr;
}

Result<TruthFile> parse_truth(std::string_view text, std::string_view source) {
  const Json root = Json::parse(text, nullptr, false);
  if (root.is_discarded()) return fail("{}: not valid JSON", source);
  if (!root.is_object()) return fail("{}: not a JSON object", source);
  return read_root(Fields(source, "", root));
}

Result<TruthFile> read_truth(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("{}: cannot open truth file", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  const std::string name = path.filename().string();
  return parse_truth(text.str(), name);
}

}  // namespace mamori::synth
