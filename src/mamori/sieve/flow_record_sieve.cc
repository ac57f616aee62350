#include "mamori/sieve/flow_record_sieve.h"

#include <algorithm>
#include <chrono>
#include <list>
#include <map>
#include <optional>
#include <random>
#include <string_view>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "mamori/sieve/behaviour.h"
#include "mamori/sieve/behaviour_rule.h"
#include "mamori/sieve/behaviour_setup.h"
#include "mamori/sieve/match_set.h"

namespace mamori::sieve {
namespace {

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint8_t kIcmpV6 = 58;
constexpr std::uint16_t kSyn = 0x02;
constexpr std::uint16_t kAck = 0x10;

bool is_content_rule(RuleKind kind) {
  return kind == RuleKind::domain || kind == RuleKind::ja3 || kind == RuleKind::ja4 ||
         kind == RuleKind::bytes;
}

// One direction of a flow as an exporter keys it.
struct DirectionKey {
  IpAddress source;
  IpAddress destination;
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint8_t protocol = 0;

  DirectionKey reversed() const {
    return {destination, source, destination_port, source_port, protocol};
  }
  constexpr auto operator<=>(const DirectionKey&) const = default;
};

// Who opened a flow, as far as one record can tell (compare opening_of() in sieve.cc).
struct Opening {
  bool by_source = true;
  bool certain = false;  // otherwise both orientations must be authorized (I3)
};

// Between two ports, the higher one is taken for the client's (ephemeral) side.
bool source_looks_like_client(const flowexport::FlowExportRecord& r) {
  return r.source_port >= r.destination_port;
}

Opening opening_of(const flowexport::FlowExportRecord& r) {
  switch (r.ip_protocol) {
    case kTcp:
      // SYN without ACK in the union of a direction's flags: that side only ever opened.
      if ((r.tcp_flags & kSyn) != 0 && (r.tcp_flags & kAck) == 0) return {true, true};
      return {source_looks_like_client(r), false};
    case kUdp:
      return {source_looks_like_client(r), false};
    case kIcmp:
      if (!r.icmp_type) return {true, false};
      if (*r.icmp_type == 0 || *r.icmp_type == 14 || *r.icmp_type == 16 || *r.icmp_type == 18) {
        return {false, true};  // echo, timestamp, information, address mask replies
      }
      return {true,
              *r.icmp_type == 8 || *r.icmp_type == 13 || *r.icmp_type == 15 || *r.icmp_type == 17};
    case kIcmpV6:
      if (!r.icmp_type) return {true, false};
      if (*r.icmp_type == 129) return {false, true};
      return {true, *r.icmp_type == 128};
    default:
      return {true, true};
  }
}

void append_be(std::vector<std::uint8_t>& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

Timestamp earliest(Timestamp a, Timestamp b) { return a < b ? a : b; }
Timestamp latest(Timestamp a, Timestamp b) { return a < b ? b : a; }

}  // namespace

// A flow waiting for its reverse-direction record. Side 0 is the direction of the first record
// received (`key`), side 1 the reverse one.
struct PendingFlow {
  DirectionKey key;
  bool side0_initiates = true;
  bool certain = false;
  bool paired = false;
  std::array<std::uint64_t, 2> packets{};
  std::array<std::uint64_t, 2> bytes{};
  std::array<std::uint16_t, 2> flags{};
  std::array<std::optional<Timestamp>, 2> start{};
  std::array<std::optional<Timestamp>, 2> end{};
  Timestamp received;
  std::list<DirectionKey>::iterator age;
};

struct FlowRecordSieve::State {
  State(const SieveConfig& config, const scope::Classifier& classifier,
        const CompiledRuleset& rules, RecordSink& sink, FlowSieveOptions options)
      : config(config), classifier(classifier), rules(rules), sink(sink), options(options) {}
  ~State() { OPENSSL_cleanse(flow_id_key.data(), flow_id_key.size()); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  const SieveConfig& config;
  const scope::Classifier& classifier;
  const CompiledRuleset& rules;
  RecordSink& sink;
  FlowSieveOptions options;
  std::array<std::uint8_t, 32> flow_id_key{};
  std::optional<BehaviourEngine> behaviour;
  std::vector<BehaviourHit> behaviour_hits;
  MatchSet hits;
  std::map<DirectionKey, PendingFlow> pending;
  std::list<DirectionKey> by_age;  // front: received first
  FlowSieveSummary summary;
  bool selection_stopped = false;
  bool seen_any = false;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  void process(const flowexport::FlowExportRecord& record);
  bool admit(scope::Category category);
  void add_side(PendingFlow& flow, int side, const flowexport::FlowExportRecord& record);
  void expire(Timestamp now);
  void complete(std::map<DirectionKey, PendingFlow>::iterator it);
  void complete_all();
  void collect_behaviour_summary();
  std::string flow_id(const Record& record) const;
};

bool FlowRecordSieve::State::admit(scope::Category category) {
  if (category != scope::Category::DD && classifier.admits(category)) return true;
  if (category == scope::Category::DD) {
    ++summary.dropped_domestic_records;
  } else {
    ++summary.dropped_unauthorized_records;
  }
  return false;
}

void FlowRecordSieve::State::add_side(PendingFlow& flow, int side,
                                      const flowexport::FlowExportRecord& record) {
  const auto s = static_cast<std::size_t>(side);
  flow.packets[s] += record.packets;
  flow.bytes[s] += record.octets;
  flow.flags[s] |= record.tcp_flags;
  if (record.start) {
    flow.start[s] = flow.start[s] ? earliest(*flow.start[s], *record.start) : *record.start;
  }
  if (record.end) flow.end[s] = flow.end[s] ? latest(*flow.end[s], *record.end) : *record.end;
}

void FlowRecordSieve::State::process(const flowexport::FlowExportRecord& record) {
  ++summary.export_records;
  summary.packets += record.packets;
  summary.bytes += record.octets;
  if (selection_stopped) {
    ++summary.records_after_stop;
    return;
  }
  expire(record.received);

  const DirectionKey key{record.source, record.destination, record.source_port,
                         record.destination_port, record.ip_protocol};
  if (auto reverse = pending.find(key.reversed()); reverse != pending.end()) {
    add_side(reverse->second, 1, record);
    reverse->second.paired = true;
    complete(reverse);
    return;
  }
  if (auto same = pending.find(key); same != pending.end()) {
    add_side(same->second, 0, record);
    return;
  }

  // A new flow: its scope is settled before any state exists for it (I3).
  const Opening opening = opening_of(record);
  const IpAddress& initiator = opening.by_source ? record.source : record.destination;
  const IpAddress& responder = opening.by_source ? record.destination : record.source;
  const auto category = classifier.classify(initiator, responder).category;
  if (!admit(category)) return;
  if (!opening.certain && !admit(scope::reversed(category))) return;
  if (!classifier.within_agreement(record.source, record.destination)) {
    ++summary.dropped_outside_agreement_records;
    return;
  }

  if (pending.size() >= std::max<std::size_t>(config.max_flows, 1)) {
    ++summary.flows_evicted;
    complete(pending.find(by_age.front()));
  }
  by_age.push_back(key);
  PendingFlow& flow = pending[key];
  flow.key = key;
  flow.side0_initiates = opening.by_source;
  flow.certain = opening.certain;
  flow.received = record.received;
  flow.age = std::prev(by_age.end());
  add_side(flow, 0, record);
}

void FlowRecordSieve::State::expire(Timestamp now) {
  while (!by_age.empty()) {
    auto it = pending.find(by_age.front());
    if (it->second.received + options.pair_wait > now) return;
    complete(it);
  }
}

void FlowRecordSieve::State::complete_all() {
  while (!by_age.empty()) complete(pending.find(by_age.front()));
}

// The flow is complete: orient it, count it, match it, drive the behaviour rules, and record
// it if selected. Its pending state is erased either way.
void FlowRecordSieve::State::complete(std::map<DirectionKey, PendingFlow>::iterator it) {
  PendingFlow flow = it->second;  // a copy: the erase below frees the entry
  by_age.erase(flow.age);
  pending.erase(it);

  if (!flow.paired && !flow.certain) {
    // Only one direction ever sent anything (unsolicited replies, reflection, backscatter):
    // its source is who sent first, which is what the packet sieve takes as the initiator.
    // Ports would turn a reflector's replies into the victim's "queries" to port 53.
    flow.side0_initiates = true;
  } else if (flow.paired && !flow.certain) {
    const bool timed = flow.start[0] && flow.start[1] && *flow.start[0] != *flow.start[1];
    const auto syn_only = [&](int side) {
      const auto f = flow.flags[static_cast<std::size_t>(side)];
      return (f & kSyn) != 0 && (f & kAck) == 0;
    };
    if (timed) {
      flow.side0_initiates = *flow.start[0] < *flow.start[1];
    } else if (flow.key.protocol == kTcp && syn_only(0) != syn_only(1)) {
      flow.side0_initiates = syn_only(0);
    } else if (flow.key.source_port != flow.key.destination_port) {
      flow.side0_initiates = flow.key.source_port > flow.key.destination_port;
    }
  }
  const std::size_t fwd = flow.side0_initiates ? 0 : 1;  // the initiator's side
  const std::size_t rev = 1 - fwd;
  const DirectionKey oriented = flow.side0_initiates ? flow.key : flow.key.reversed();
  // Both orientations were authorized when the orientation was not certain, so this one is.
  const auto category = classifier.classify(oriented.source, oriented.destination).category;
  if (category == scope::Category::DD || !classifier.admits(category)) return;

  Timestamp first = flow.received;
  Timestamp last = flow.received;
  bool timed = false;
  for (std::size_t side = 0; side < 2; ++side) {
    if (flow.start[side]) {
      first = timed ? earliest(first, *flow.start[side]) : *flow.start[side];
      if (!timed) last = first;
      timed = true;
    }
  }
  for (std::size_t side = 0; side < 2; ++side) {
    if (flow.end[side]) last = latest(last, *flow.end[side]);
  }
  if (summary.flows == 0 && !seen_any) {
    summary.first_seen = first;
    summary.last_seen = last;
    seen_any = true;
  } else {
    summary.first_seen = earliest(summary.first_seen, first);
    summary.last_seen = latest(summary.last_seen, last);
  }

  auto& counters = summary.by_category[static_cast<int>(category)];
  ++summary.flows;
  ++counters.flows;
  if (flow.paired) ++summary.paired_flows;
  counters.packets += flow.packets[0] + flow.packets[1];
  counters.bytes += flow.bytes[0] + flow.bytes[1];

  hits.clear();
  rules.match_ip(oriented.source, hits);
  rules.match_ip(oriented.destination, hits);
  rules.match_port(oriented.protocol, oriented.destination_port, hits);
  std::vector<Match> matches;
  for (const RuleIndex rule : hits.rules()) {
    if (matches.size() < kMaxMatches) matches.push_back(rules.to_match(rule));
  }

  if (behaviour) {
    const BehaviourFlow subject{oriented.source, oriented.destination, oriented.source_port,
                                oriented.destination_port, oriented.protocol};
    const Timestamp start = flow.start[fwd].value_or(first);
    behaviour->on_flow_start(subject, static_cast<std::uint8_t>(flow.flags[fwd]), start);
    if (flow.paired) {
      behaviour->on_reply(subject, static_cast<std::uint8_t>(flow.flags[rev]),
                          flow.start[rev].value_or(start));
    }
    if (oriented.protocol == kUdp && (behaviour->wants_udp_port(oriented.source_port) ||
                                      behaviour->wants_udp_port(oriented.destination_port))) {
      behaviour->on_udp_bytes(subject, 0, flow.bytes[fwd], start);
      if (flow.bytes[rev] > 0) {
        behaviour->on_udp_bytes(subject, 1, flow.bytes[rev], flow.start[rev].value_or(start));
      }
    }
    behaviour_hits.clear();
    behaviour->selections(subject, start, behaviour_hits);
    for (auto& hit : behaviour_hits) {
      const auto id = rules.rule_id(hit.rule);
      const bool known =
          std::any_of(matches.begin(), matches.end(), [&](const Match& m) { return m.rule == id; });
      if (known || matches.size() >= kMaxMatches) continue;
      matches.push_back(rules.to_match(hit.rule));
      matches.back().measured = std::move(hit.measured);
    }
  }
  if (matches.empty() || selection_stopped) return;  // unselected: only counters remain

  ++summary.selected_flows;
  ++counters.selected_flows;
  Record record;
  record.sensor = config.sensor;
  record.category = category;
  record.first_seen = first;
  record.last_seen = last;
  record.protocol = oriented.protocol;
  const auto& countries = classifier.countries();
  record.src = Endpoint{oriented.source, oriented.source_port, countries.lookup(oriented.source)};
  record.dst = Endpoint{oriented.destination, oriented.destination_port,
                        countries.lookup(oriented.destination)};
  record.packets = {flow.packets[fwd], flow.packets[rev]};
  record.bytes = {flow.bytes[fwd], flow.bytes[rev]};
  record.tcp_flags = static_cast<std::uint8_t>(flow.flags[0] | flow.flags[1]);
  record.matches = std::move(matches);
  record.flow_id = flow_id(record);
  ++summary.records;
  sink.emit(std::move(record));
}

// Keyed with a secret drawn per run and forgotten with it, for the reason sieve.cc gives: an id
// computed from the five-tuple alone could be brute-forced back to a pseudonymized address.
std::string FlowRecordSieve::State::flow_id(const Record& record) const {
  std::vector<std::uint8_t> message;
  message.reserve(48);
  const auto initiator = record.src.ip.bytes();
  const auto responder = record.dst.ip.bytes();
  message.insert(message.end(), initiator.begin(), initiator.end());
  message.insert(message.end(), responder.begin(), responder.end());
  append_be(message, record.src.port, 2);
  append_be(message, record.dst.port, 2);
  append_be(message, record.protocol, 1);
  append_be(message, static_cast<std::uint64_t>(record.first_seen.nanos), 8);
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), flow_id_key.data(), static_cast<int>(flow_id_key.size()), message.data(),
       message.size(), mac.data(), &length);
  std::string id;
  id.reserve(32);
  constexpr std::string_view kHex = "0123456789abcdef";
  for (std::size_t i = 0; i < 16; ++i) {
    id.push_back(kHex[mac[i] >> 4]);
    id.push_back(kHex[mac[i] & 0x0f]);
  }
  return id;
}

void FlowRecordSieve::State::collect_behaviour_summary() {
  if (!behaviour) return;
  const BehaviourStats stats = behaviour->counters();
  summary.behaviour_memory_bytes = stats.memory_bytes;
  summary.behaviour.clear();
  for (const auto& rule : stats.rules) {
    summary.behaviour.push_back(FlowBehaviourSummary{
        std::string(rules.rule_id(rule.rule)), std::string(to_string(rule.kind)), rule.capacity,
        rule.admitted, rule.refused, rule.evicted, rule.flagged, rule.hits});
  }
}

FlowRecordSieve::FlowRecordSieve(std::unique_ptr<State> state) : state_(std::move(state)) {}
FlowRecordSieve::~FlowRecordSieve() = default;

Result<std::unique_ptr<FlowRecordSieve>> FlowRecordSieve::create(
    const SieveConfig& config, const scope::Classifier& classifier, const CompiledRuleset& rules,
    RecordSink& sink, FlowSieveOptions options) {
  auto state = std::make_unique<State>(config, classifier, rules, sink, options);
  if (RAND_bytes(state->flow_id_key.data(), static_cast<int>(state->flow_id_key.size())) != 1) {
    return fail("flow sieve: no randomness for the flow id key (OpenSSL RAND_bytes failed)");
  }
  auto& summary = state->summary;
  summary.rules = rules.rule_count();
  for (RuleIndex rule = 0; rule < rules.rule_count(); ++rule) {
    if (!is_content_rule(rules.rule_kind(rule))) continue;
    ++summary.rules_not_applicable;
    summary.not_applicable_rules.emplace_back(rules.rule_id(rule));
  }
  if (rules.stats().behaviour_rules > 0) {
    auto behaviour = behaviour_rules_of(rules);
    if (!behaviour) return fail("flow sieve: behaviour rules: {}", behaviour.error().message);
    std::random_device entropy;
    auto engine = BehaviourEngine::create(std::move(*behaviour),
                                          std::size_t{config.behaviour_memory_mb} << 20,
                                          (std::uint64_t{entropy()} << 32) | entropy());
    if (!engine) return fail("flow sieve: behaviour rules: {}", engine.error().message);
    state->behaviour.emplace(std::move(*engine));
  }
  return std::unique_ptr<FlowRecordSieve>(new FlowRecordSieve(std::move(state)));
}

void FlowRecordSieve::process(const flowexport::FlowExportRecord& record) {
  state_->process(record);
}

void FlowRecordSieve::expire(Timestamp now) {
  if (!state_->selection_stopped) state_->expire(now);
}

void FlowRecordSieve::finish() {
  state_->complete_all();
  state_->summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - state_->started).count();
  state_->collect_behaviour_summary();
}

void FlowRecordSieve::stop_selection() {
  state_->complete_all();
  state_->selection_stopped = true;
  state_->collect_behaviour_summary();
}

const FlowSieveSummary& FlowRecordSieve::summary() const { return state_->summary; }

nlohmann::json FlowSieveSummary::to_json() const {
  nlohmann::json categories = nlohmann::json::object();
  for (int i = 0; i < scope::kCategoryCount; ++i) {
    const auto category = static_cast<scope::Category>(i);
    if (category == scope::Category::DD) continue;
    const auto& c = by_category[i];
    categories[std::string(scope::to_string(category))] = {{"packets", c.packets},
                                                           {"bytes", c.bytes},
                                                           {"flows", c.flows},
                                                           {"selected_flows", c.selected_flows}};
  }
  nlohmann::json out = {
      {"input_kind", "flow_export"},
      {"export_records", export_records},
      {"packets", packets},
      {"bytes", bytes},
      {"categories", categories},
      {"dropped",
       {{"domestic_DD", dropped_domestic_records},
        {"unauthorized_category", dropped_unauthorized_records},
        {"outside_agreement", dropped_outside_agreement_records},
        {"after_selection_stopped", records_after_stop}}},
      {"flows", flows},
      {"paired_flows", paired_flows},
      {"selected_flows", selected_flows},
      {"records", records},
      {"flows_evicted", flows_evicted},
      {"rules", rules},
      {"rules_not_applicable", rules_not_applicable},
      {"not_applicable_rules", not_applicable_rules},
      {"wall_seconds", wall_seconds},
  };
  if (flows > 0) {
    out["first_seen"] = format_rfc3339_micros(first_seen);
    out["last_seen"] = format_rfc3339_micros(last_seen);
  }
  if (!behaviour.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& rule : behaviour) {
      list.push_back({{"rule", rule.rule},
                      {"kind", rule.kind},
                      {"capacity", rule.capacity},
                      {"admitted", rule.admitted},
                      {"refused", rule.refused},
                      {"evicted", rule.evicted},
                      {"flagged", rule.flagged},
                      {"selections", rule.selections}});
    }
    out["behaviour"] = {{"memory_bytes", behaviour_memory_bytes}, {"rules", std::move(list)}};
  }
  return out;
}

std::string FlowSieveSummary::to_text() const {
  std::string text;
  auto line = [&text](std::string_view label, auto value) {
    text += fmt::format("  {:<44} {:>16}\n", label, value);
  };
  text += "Flow export run summary / フローエクスポート実行結果\n";
  line("flow export records / フローレコード数", export_records);
  line("packets (exported) / パケット数", packets);
  line("bytes (exported) / バイト数", bytes);
  for (int i = 0; i < scope::kCategoryCount; ++i) {
    const auto category = static_cast<scope::Category>(i);
    if (category == scope::Category::DD) continue;
    const auto& c = by_category[i];
    line(fmt::format("{} flows (selected) / {} フロー (選別)", scope::to_string(category),
                     scope::to_string(category)),
         fmt::format("{} ({})", c.flows, c.selected_flows));
  }
  line("dropped DD records / 内内通信 (破棄)", dropped_domestic_records);
  line("dropped, category not authorized / 対象外区分", dropped_unauthorized_records);
  if (dropped_outside_agreement_records > 0) {
    line("dropped, outside the agreement / 協定範囲外", dropped_outside_agreement_records);
  }
  line("flows / フロー数", flows);
  line("flows with both directions / 双方向フロー", paired_flows);
  line("selected flows / 選別フロー数", selected_flows);
  line("records stored / 保存レコード数", records);
  line("flows ended early / 早期終了フロー", flows_evicted);
  line("rules not applicable / 適用不能ルール",
       fmt::format("{} of {}", rules_not_applicable, rules));
  for (const auto& rule : behaviour) {
    line(fmt::format("{} ({}) flagged / 検知", rule.rule, rule.kind), rule.flagged);
  }
  line("wall time (s) / 所要時間 (秒)", fmt::format("{:.3f}", wall_seconds));
  return text;
}

}  // namespace mamori::sieve
