#include "mamori/sieve/sieve.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <random>
#include <string_view>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "mamori/decode/app.h"
#include "mamori/flow/flow_table.h"
#include "mamori/sieve/behaviour.h"
#include "mamori/sieve/behaviour_rule.h"
#include "mamori/sieve/behaviour_setup.h"
#include "mamori/sieve/shard.h"

namespace mamori::sieve {
namespace {

// Machine information gathered for one flow while it is inspected. It exists only for flows
// that produced some (most bulk flows never get one) and is erased with the flow unless the
// flow is selected, in which case it becomes part of the record.
struct FlowNotes {
  std::vector<DnsEntry> dns;
  std::optional<TlsInfo> tls;
  std::vector<HttpInfo> http;
  std::vector<Match> matches;
  RuleIndex first_rule = 0;  // the rule that selected the flow (recall tag)
};

// Flow ids are keyed with a secret drawn per run and forgotten with it: an id computed from
// the five-tuple alone could be brute-forced back to a pseudonymized address (an IPv4 /8 is
// 2^24 guesses), undoing I5 for every record.
using FlowIdKey = std::array<std::uint8_t, 32>;

void append_be(std::vector<std::uint8_t>& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

bool looks_like_http_request(std::span<const std::uint8_t> payload) {
  // A request line starts with an upper-case method token followed by a space.
  if (payload.size() < 4 || payload[0] < 'A' || payload[0] > 'Z') return false;
  for (std::size_t i = 1; i < std::min<std::size_t>(payload.size(), 12); ++i) {
    if (payload[i] == ' ') return true;
    if (payload[i] < 'A' || payload[i] > 'Z') return false;
  }
  return false;
}

// Who opened a flow, as far as its first packet seen can tell. TCP says it with SYN (by the
// source) or SYN-ACK (by the destination); ICMP echo replies answer the destination. A TCP
// segment without SYN, or a UDP datagram from a service port (< 1024) to an ephemeral one,
// may belong to a flow opened by either side, e.g. a reply whose request was not admitted.
// Such a flow is processed only when both orientations are authorized (the protective reading
// of I3); anything else is oriented by its first packet's sender.
enum class Opening { by_source, by_destination, unknown };

Opening opening_of(const decode::DecodedPacket& packet) {
  if (!packet.has_transport) return Opening::by_source;
  switch (packet.protocol) {
    case decode::ip_protocol::tcp:
      if ((packet.tcp_flags & decode::tcp_flag::syn) == 0) return Opening::unknown;
      return (packet.tcp_flags & decode::tcp_flag::ack) != 0 ? Opening::by_destination
                                                             : Opening::by_source;
    case decode::ip_protocol::udp:
      return packet.src_port < 1024 && packet.dst_port >= 1024 ? Opening::unknown
                                                               : Opening::by_source;
    case decode::ip_protocol::icmp:  // the decoder puts the ICMP type in src_port
      return packet.src_port == 0 ? Opening::by_destination : Opening::by_source;
    case decode::ip_protocol::icmpv6:
      return packet.src_port == 129 ? Opening::by_destination : Opening::by_source;
    default:
      return Opening::by_source;
  }
}

}  // namespace

// One sieve's state. A sieve with workers = 1 is one State driven directly; a sharded sieve
// drives one State per shard through the ShardWorker interface (sieve/shard.h).
struct Sieve::State final : detail::ShardWorker {
  State(const SieveConfig& config, const scope::Classifier& classifier,
        const CompiledRuleset& rules, RecordSink& sink, flow::FlowTable table)
      : config(config), classifier(classifier), rules(rules), sink(sink), flows(std::move(table)) {}
  ~State() override { OPENSSL_cleanse(flow_id_key.data(), flow_id_key.size()); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  const SieveConfig config;  // a copy: a shard's bounds are its share of the run's
  const scope::Classifier& classifier;
  const CompiledRuleset& rules;
  RecordSink& sink;
  MatchScratch scratch;
  flow::FlowTable flows;
  FlowIdKey flow_id_key{};
  std::optional<BehaviourEngine> behaviour;  // only when the ruleset has behaviour rules
  std::vector<BehaviourHit> behaviour_hits;  // reused per event

  std::vector<FlowNotes> notes;
  std::vector<std::uint32_t> free_notes;
  MatchSet hits;  // reused per packet: the packet path does not allocate for unmatched flows
  RunSummary summary;
  Timestamp next_expiry;
  bool selection_stopped = false;
  bool external_expiry = false;  // a shard: the sharded sieve calls expire() on one schedule
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  void process(const capture::RawPacket& raw) {
    decode::DecodedPacket packet;
    const auto status = decode::decode_packet(raw, packet);
    process_decoded(raw, packet, status);
  }
  void process_decoded(const capture::RawPacket& raw, const decode::DecodedPacket& packet,
                       decode::DecodeStatus status);
  void expire(Timestamp now) {
    auto on_end = [this](flow::FlowEntry& e, flow::EndReason r) { on_flow_end(e, r); };
    flows.expire(now, on_end);
  }
  void finish();
  void stop_selection();

  void shard_process(const capture::RawPacket& raw, const decode::DecodedPacket& packet,
                     decode::DecodeStatus status) override {
    process_decoded(raw, packet, status);
  }
  void shard_expire(Timestamp now) override { expire(now); }
  void shard_stop_selection() override { stop_selection(); }
  void shard_finish() override { finish(); }
  const RunSummary& shard_summary() const override { return summary; }

  void collect_behaviour_summary();
  bool admit(scope::Category category);
  void count_dropped(scope::Category category);
  void on_created(flow::FlowEntry& entry, const flow::FlowLookup& found);
  void inspect(flow::FlowEntry& entry, int direction, bool created,
               const decode::DecodedPacket& packet);
  void inspect_application(flow::FlowEntry& entry, int direction,
                           const decode::DecodedPacket& packet);
  void note_dns(flow::FlowEntry& entry, const decode::DnsMessage& message);
  void add_hits(flow::FlowEntry& entry);
  void add_match(flow::FlowEntry& entry, RuleIndex rule, std::span<const std::uint8_t> command,
                 std::vector<Measure> measured = {});
  // Look-ahead for the behaviour engine (no effect on any result): it starts loading the state
  // that report_behaviour will touch, so that those cache misses overlap with the flow-table
  // lookup and the scope checks instead of stalling. Before the lookup (new_flow false): for an
  // amplification-service datagram, and for a SYN, which nearly always opens a flow; once a
  // flow is known to be new and in scope (new_flow true): for the other new flows. New flows
  // are oriented by their first packet (a recalled flow may be oriented otherwise: the
  // look-ahead is then wasted, nothing else). Inline: most packets cost one test.
  void prefetch_behaviour(const decode::DecodedPacket& packet, bool new_flow) {
    const bool syn = packet.protocol == decode::ip_protocol::tcp && packet.has_transport &&
                     (packet.tcp_flags & (decode::tcp_flag::syn | decode::tcp_flag::ack)) ==
                         decode::tcp_flag::syn;
    if (new_flow != syn) {  // a new flow not looked ahead for yet, or a SYN before the lookup
      behaviour->prefetch_flow_start(
          {packet.src, packet.dst, packet.src_port, packet.dst_port, packet.protocol},
          packet.tcp_flags);
    } else if (!new_flow && packet.protocol == decode::ip_protocol::udp && packet.has_transport &&
               (behaviour->wants_udp_port(packet.src_port) ||
                behaviour->wants_udp_port(packet.dst_port))) {
      behaviour->prefetch_udp(packet.src, packet.src_port, packet.dst, packet.dst_port);
    }
  }
  // Inline: most packets are neither a flow's start, nor its first reply, nor a datagram of an
  // amplification service; the events go to report_behaviour.
  void observe_behaviour(flow::FlowEntry& entry, const flow::FlowLookup& found,
                         const decode::DecodedPacket& packet, const capture::RawPacket& raw) {
    const int direction = flow::index_of(found.direction);
    const bool first_reply =
        !found.created && direction == 1 && entry.packets(flow::Direction::reverse) == 1;
    const bool service_datagram = packet.protocol == decode::ip_protocol::udp &&
                                  (behaviour->wants_udp_port(entry.initiator_port()) ||
                                   behaviour->wants_udp_port(entry.responder_port()));
    if (!found.created && !first_reply && !service_datagram) return;
    report_behaviour(entry, found.created, first_reply, service_datagram, direction, packet, raw);
  }
  void report_behaviour(flow::FlowEntry& entry, bool created, bool first_reply,
                        bool service_datagram, int direction, const decode::DecodedPacket& packet,
                        const capture::RawPacket& raw);
  void decide(flow::FlowEntry& entry);
  void on_flow_end(flow::FlowEntry& entry, flow::EndReason reason);
  void emit_record(const flow::FlowEntry& entry);
  std::string flow_id(const flow::FlowEntry& entry) const;

  FlowNotes& notes_of(flow::FlowEntry& entry) {
    if (entry.annotation == flow::kNoAnnotation) {
      if (free_notes.empty()) {
        entry.annotation = static_cast<std::uint32_t>(notes.size());
        notes.emplace_back();
      } else {
        entry.annotation = free_notes.back();
        free_notes.pop_back();
      }
    }
    return notes[entry.annotation];
  }
  bool has_behaviour_match(const flow::FlowEntry& entry, RuleKind kind) const {
    if (entry.annotation == flow::kNoAnnotation) return false;
    const auto& matches = notes[entry.annotation].matches;
    return std::any_of(matches.begin(), matches.end(),
                       [kind](const Match& m) { return m.kind == kind; });
  }
  bool has_matches(const flow::FlowEntry& entry) const {
    return entry.annotation != flow::kNoAnnotation && !notes[entry.annotation].matches.empty();
  }
  void release_notes(flow::FlowEntry& entry) {
    if (entry.annotation == flow::kNoAnnotation) return;
    notes[entry.annotation] = FlowNotes{};  // erase: frees every string it held
    free_notes.push_back(entry.annotation);
    entry.annotation = flow::kNoAnnotation;
  }
};

void Sieve::State::process_decoded(const capture::RawPacket& raw,
                                   const decode::DecodedPacket& packet,
                                   decode::DecodeStatus status) {
  ++summary.packets;
  summary.bytes += raw.wire_length;
  if (summary.packets == 1) summary.first_packet = raw.timestamp;
  summary.last_packet = raw.timestamp;

  summary.decode.count(status);
  if (!detail::processable(status)) {
    ++summary.dropped_undecodable_packets;
    return;
  }

  // FlowEndHandler only refers to a callable, so the callable must be a named object.
  auto on_end = [this](flow::FlowEntry& e, flow::EndReason r) { on_flow_end(e, r); };
  if (!external_expiry && raw.timestamp >= next_expiry) {
    flows.expire(raw.timestamp, on_end);
    next_expiry = raw.timestamp + Duration::seconds(1);
  }

  if (behaviour) prefetch_behaviour(packet, false);
  // A packet of a known flow costs this lookup (the second one below hits the same cache
  // lines): its scope was settled when the flow began. A new flow is classified before any
  // state exists for it, oriented by who most likely opened it.
  const std::uint64_t hash = flows.hash_of(packet);
  if (!flows.find(flow::key_of(packet), hash)) {
    // Protective when the opener is unknown: every orientation must be authorized.
    const Opening opening = opening_of(packet);
    const auto category = opening == Opening::by_destination
                              ? classifier.classify(packet.dst, packet.src).category
                              : classifier.classify(packet.src, packet.dst).category;
    if (!admit(category)) return;
    if (opening == Opening::unknown && !admit(scope::reversed(category))) return;
    if (!classifier.within_agreement(packet.src, packet.dst)) {
      ++summary.dropped_outside_agreement_packets;
      return;
    }
    if (behaviour) prefetch_behaviour(packet, true);
  }
  const flow::FlowLookup found = flows.find_or_create(packet, hash, on_end);
  flow::FlowEntry& entry = *found.entry;
  if (found.created) on_created(entry, found);
  if (entry.category == scope::Category::DD) {
    // Out of scope (see on_created): kept only so its packets are not re-classified.
    count_dropped(classifier.classify(entry.initiator(), entry.responder()).category);
    return;
  }

  auto& counters = summary.by_category[static_cast<int>(entry.category)];
  ++counters.packets;
  counters.bytes += raw.wire_length;

  if (selection_stopped) return;
  if (behaviour) observe_behaviour(entry, found, packet, raw);
  const int direction = flow::index_of(found.direction);
  const bool budget_left = entry.inspected[direction] < config.inspect_bytes;
  // Non-first fragments carry no transport header: their bytes are not the start of anything.
  const bool inspectable = packet.has_transport && !packet.payload.empty() && budget_left;
  if (found.created || inspectable) inspect(entry, direction, found.created, packet);
}

bool Sieve::State::admit(scope::Category category) {
  if (category != scope::Category::DD && classifier.admits(category)) return true;
  count_dropped(category);
  return false;
}

void Sieve::State::count_dropped(scope::Category category) {
  if (category == scope::Category::DD) {
    ++summary.dropped_domestic_packets;
  } else {
    ++summary.dropped_unauthorized_packets;
  }
}

void Sieve::State::on_created(flow::FlowEntry& entry, const flow::FlowLookup& found) {
  // The category follows the entry's own orientation: the table may keep an evicted flow's
  // original initiator, or re-create a flow on the same 5-tuple (port reuse after a close,
  // an idle gap) from whichever side spoke first. Such a re-created flow can fall outside the
  // authorization even though its 5-tuple passed before; it is then marked DD (out of scope):
  // never inspected, never recorded, its packets counted as dropped.
  const auto category = classifier.classify(entry.initiator(), entry.responder()).category;
  if (category == scope::Category::DD || !classifier.admits(category)) {
    entry.category = scope::Category::DD;
    entry.verdict = flow::Verdict::not_selected;
    entry.annotation = flow::kNoAnnotation;
    return;
  }
  entry.category = category;
  ++summary.flows;
  ++summary.by_category[static_cast<int>(entry.category)].flows;
  if (!found.recalled) return;
  ++summary.flows_recalled;
  // The table handed back our tag: the rule that selected the flow before it was evicted.
  const std::uint32_t tag = entry.annotation;
  entry.annotation = flow::kNoAnnotation;
  if (entry.verdict == flow::Verdict::selected && tag < rules.rule_count()) {
    add_match(entry, tag, {});
  }
}

void Sieve::State::inspect(flow::FlowEntry& entry, int direction, bool created,
                           const decode::DecodedPacket& packet) {
  hits.clear();
  if (created && entry.verdict == flow::Verdict::undecided) {
    rules.match_ip(entry.initiator(), hits);
    rules.match_ip(entry.responder(), hits);
    rules.match_port(entry.protocol(), entry.responder_port(), hits);
  }
  if (packet.has_transport && !packet.payload.empty()) {
    const std::size_t budget = config.inspect_bytes - entry.inspected[direction];
    const auto window = packet.payload.first(std::min(packet.payload.size(), budget));
    if (!window.empty()) {
      inspect_application(entry, direction, packet);
      if (rules.has(RuleKind::bytes)) {
        rules.scan_bytes(window, scratch, [&](const BytesHit& hit) {
          add_match(entry, hit.rule, CompiledRuleset::command_bytes(window, hit));
          return true;
        });
      }
      entry.inspected[direction] = static_cast<std::uint16_t>(
          std::min<std::size_t>(entry.inspected[direction] + window.size(), 0xffff));
    }
  }
  add_hits(entry);
  decide(entry);
}

// DNS, TLS and HTTP machine information of this packet; names and fingerprints are matched
// against domain/ja3/ja4 rules into `hits`.
void Sieve::State::inspect_application(flow::FlowEntry& entry, int direction,
                                       const decode::DecodedPacket& packet) {
  const auto payload = packet.payload;
  const bool dns_port = entry.responder_port() == 53 || entry.initiator_port() == 53;
  if (packet.protocol == decode::ip_protocol::udp) {
    decode::DnsMessage message;
    if (dns_port && decode::parse_dns(payload, message)) note_dns(entry, message);
    return;
  }
  if (packet.protocol != decode::ip_protocol::tcp) return;
  if (dns_port) {
    decode::DnsMessage message;
    if (decode::parse_dns_tcp(payload, message)) note_dns(entry, message);
    return;
  }
  if (direction != 0) return;  // ClientHello and requests travel from the initiator
  if (entry.inspected[0] == 0 && payload[0] == 0x16) {
    decode::TlsClientHello hello;
    if (!decode::parse_tls_client_hello(payload, hello)) {
      ++summary.truncated_inspections;
      return;
    }
    rules.match_domain(hello.sni, hits);
    rules.match_ja3(hello.ja3_hash, hits);
    rules.match_ja4(hello.ja4, hits);
    notes_of(entry).tls = TlsInfo{
        std::move(hello.sni), std::move(hello.alpn),     decode::tls_version_name(hello.version),
        std::move(hello.ja3), std::move(hello.ja3_hash), std::move(hello.ja4)};
    return;
  }
  if (looks_like_http_request(payload)) {
    decode::HttpRequest request;
    if (!decode::parse_http_request(payload, request)) return;
    rules.match_domain(request.host, hits);
    auto& notes = notes_of(entry);
    if (notes.http.size() < kMaxHttpEntries) {
      notes.http.push_back(HttpInfo{std::move(request.method), std::move(request.host),
                                    std::move(request.user_agent)});
    }
  }
}

// Behaviour rules see flow starts, first replies and the datagrams of amplification services
// (observe_behaviour sorts them out inline: most packets are none of these); a flow of a
// subject over its thresholds is selected even if its own inspection found nothing (the
// behaviour, not the content, is the selection condition), from the event that crossed on.
// Everything the engine keeps stays in its bounded memory (I1).
void Sieve::State::report_behaviour(flow::FlowEntry& entry, bool created, bool first_reply,
                                    bool service_datagram, int direction,
                                    const decode::DecodedPacket& packet,
                                    const capture::RawPacket& raw) {
  const BehaviourFlow flow{entry.initiator(), entry.responder(), entry.initiator_port(),
                           entry.responder_port(), entry.protocol()};
  if (created) behaviour->on_flow_start(flow, packet.tcp_flags, raw.timestamp);
  if (first_reply) behaviour->on_reply(flow, packet.tcp_flags, raw.timestamp);
  if (service_datagram) behaviour->on_udp_bytes(flow, direction, raw.wire_length, raw.timestamp);
  // A flow the amplification rule already selected keeps its match: its datagrams still count
  // (they keep the victim's hold), but asking again would only build a hit to drop.
  const bool ask =
      created || (service_datagram && !has_behaviour_match(entry, RuleKind::amplification));
  if (!ask) return;
  behaviour_hits.clear();
  behaviour->selections(flow, raw.timestamp, behaviour_hits);
  if (behaviour_hits.empty()) return;
  for (auto& hit : behaviour_hits) add_match(entry, hit.rule, {}, std::move(hit.measured));
  if (entry.verdict == flow::Verdict::not_selected) {
    // Inspection had finished without a match; the behaviour selects the rest of the flow.
    entry.verdict = flow::Verdict::undecided;
  }
  decide(entry);
}

void Sieve::State::collect_behaviour_summary() {
  if (!behaviour) return;
  const BehaviourStats stats = behaviour->counters();  // the summary reports no live counts
  summary.behaviour_memory_bytes = stats.memory_bytes;
  summary.behaviour.clear();
  for (const auto& rule : stats.rules) {
    summary.behaviour.push_back(BehaviourRuleSummary{
        std::string(rules.rule_id(rule.rule)), std::string(to_string(rule.kind)), rule.capacity,
        rule.admitted, rule.refused, rule.evicted, rule.flagged, rule.hits});
  }
}

void Sieve::State::note_dns(flow::FlowEntry& entry, const decode::DnsMessage& message) {
  auto& notes = notes_of(entry);
  for (const auto& question : message.questions) {
    rules.match_domain(question.name, hits);
    auto existing = std::find_if(notes.dns.begin(), notes.dns.end(), [&](const DnsEntry& e) {
      return e.name == question.name && e.type == question.type && !e.rcode;
    });
    if (existing == notes.dns.end()) {
      if (notes.dns.size() >= kMaxDnsEntries) continue;
      notes.dns.push_back(DnsEntry{question.name, question.type, std::nullopt, {}});
      existing = notes.dns.end() - 1;
    }
    if (message.is_response) {
      existing->rcode = message.rcode;
      existing->answers = message.answers;
    }
  }
}

void Sieve::State::add_hits(flow::FlowEntry& entry) {
  for (const RuleIndex rule : hits.rules()) add_match(entry, rule, {});
}

void Sieve::State::add_match(flow::FlowEntry& entry, RuleIndex rule,
                             std::span<const std::uint8_t> command, std::vector<Measure> measured) {
  auto& notes = notes_of(entry);
  const auto id = rules.rule_id(rule);
  const bool known = std::any_of(notes.matches.begin(), notes.matches.end(),
                                 [&](const Match& m) { return m.rule == id; });
  if (known || notes.matches.size() >= kMaxMatches) return;
  if (notes.matches.empty()) notes.first_rule = rule;
  notes.matches.push_back(rules.to_match(rule, command));
  notes.matches.back().measured = std::move(measured);
}

void Sieve::State::decide(flow::FlowEntry& entry) {
  if (entry.verdict == flow::Verdict::not_selected) return;
  if (has_matches(entry)) {
    if (entry.verdict != flow::Verdict::selected) {
      entry.verdict = flow::Verdict::selected;
      ++summary.selected_flows;
      ++summary.by_category[static_cast<int>(entry.category)].selected_flows;
    }
    return;
  }
  if (entry.inspected[0] >= config.inspect_bytes && entry.inspected[1] >= config.inspect_bytes) {
    // Nothing can match any more: erase what was noted, keep only counters.
    entry.verdict = flow::Verdict::not_selected;
    release_notes(entry);
  }
}

void Sieve::State::on_flow_end(flow::FlowEntry& entry, flow::EndReason reason) {
  if (reason == flow::EndReason::evicted) ++summary.flows_evicted;
  const bool selected = entry.verdict == flow::Verdict::selected;
  if (selected && !selection_stopped) emit_record(entry);
  if (reason == flow::EndReason::active_timeout && selected) {
    // The flow goes on as a new segment with its verdict and matches; application
    // information is collected afresh for the next record.
    auto& notes = notes_of(entry);
    notes.dns.clear();
    notes.http.clear();
    notes.tls.reset();
    return;
  }
  // The table remembers the annotation of flows it ends early, as a tag for recall: leave it
  // the selecting rule, not an index into side data that is about to be reused.
  const std::uint32_t tag =
      has_matches(entry) ? notes[entry.annotation].first_rule : flow::kNoAnnotation;
  release_notes(entry);
  entry.annotation = tag;
}

std::string Sieve::State::flow_id(const flow::FlowEntry& entry) const {
  std::vector<std::uint8_t> message;
  message.reserve(48);
  const auto initiator = entry.initiator().bytes();
  const auto responder = entry.responder().bytes();
  message.insert(message.end(), initiator.begin(), initiator.end());
  message.insert(message.end(), responder.begin(), responder.end());
  append_be(message, entry.initiator_port(), 2);
  append_be(message, entry.responder_port(), 2);
  append_be(message, entry.protocol(), 1);
  append_be(message, static_cast<std::uint64_t>(entry.first_seen().nanos), 8);
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

void Sieve::State::emit_record(const flow::FlowEntry& entry) {
  Record record;
  record.sensor = config.sensor;
  record.flow_id = flow_id(entry);
  record.category = entry.category;
  record.first_seen = entry.first_seen();
  record.last_seen = entry.last_seen();
  record.protocol = entry.protocol();
  const auto& countries = classifier.countries();
  record.src =
      Endpoint{entry.initiator(), entry.initiator_port(), countries.lookup(entry.initiator())};
  record.dst =
      Endpoint{entry.responder(), entry.responder_port(), countries.lookup(entry.responder())};
  for (const auto direction : {flow::Direction::forward, flow::Direction::reverse}) {
    record.packets[flow::index_of(direction)] = entry.packets(direction);
    record.bytes[flow::index_of(direction)] = entry.bytes(direction);
    record.tcp_flags |= entry.tcp_flags(direction);
  }
  if (entry.annotation != flow::kNoAnnotation) {
    const auto& flow_notes = notes[entry.annotation];
    record.dns = flow_notes.dns;
    record.tls = flow_notes.tls;
    record.http = flow_notes.http;
    record.matches = flow_notes.matches;
  }
  ++summary.records;
  sink.emit(std::move(record));
}

void Sieve::State::finish() {
  flows.drain([this](flow::FlowEntry& e, flow::EndReason r) { on_flow_end(e, r); });
  summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  collect_behaviour_summary();
}

void Sieve::State::stop_selection() {
  flows.drain([this](flow::FlowEntry& e, flow::EndReason r) { on_flow_end(e, r); });
  selection_stopped = true;
  collect_behaviour_summary();
}

namespace {

// The seed of one use (`purpose`): from the injected seed when there is one, else random.
std::uint64_t seed_for(const SieveConfig& config, std::uint64_t purpose) {
  if (config.seed) {
    std::uint64_t z = *config.seed + purpose * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::random_device entropy;
  return (std::uint64_t{entropy()} << 32) | entropy();
}

constexpr std::uint64_t kFlowTableSeed = 1;
constexpr std::uint64_t kBehaviourSeed = 2;
constexpr std::uint64_t kRouterSeed = 3;

}  // namespace

// One State. `max_flows` and `behaviour_bytes` are its share of the run's bounds; every shard of
// a run keys its flow ids with the same `flow_id_key`.
Result<std::unique_ptr<Sieve::State>> Sieve::make_state(
    const SieveConfig& config, const scope::Classifier& classifier, const CompiledRuleset& rules,
    RecordSink& sink, std::uint32_t max_flows, std::size_t behaviour_bytes,
    std::uint64_t behaviour_seed, std::span<SharedServerClients* const> shared_server_clients,
    std::span<const std::uint8_t> flow_id_key) {
  // A random hash seed per run keeps crafted traffic from colliding flows on purpose; nothing
  // observable depends on it (expiry and eviction follow time order, not hash order).
  auto table = flow::FlowTable::create(
      flow::FlowTableConfig{.max_flows = max_flows,
                            .idle_timeout = config.idle_timeout,
                            .active_timeout = config.active_timeout,
                            // Eviction and idle expiry within 1 s of exact, for half the
                            // LRU upkeep per packet (idle timeouts are tens of seconds).
                            .lru_granularity = Duration::seconds(1),
                            .hash_seed = seed_for(config, kFlowTableSeed)});
  if (!table) return fail(table.error());
  auto state = std::make_unique<State>(config, classifier, rules, sink, std::move(*table));
  std::copy_n(flow_id_key.begin(), std::min(flow_id_key.size(), state->flow_id_key.size()),
              state->flow_id_key.begin());
  if (auto prepared = state->scratch.prepare(rules); !prepared) return fail(prepared.error());
  if (rules.stats().behaviour_rules > 0) {
    auto behaviour = behaviour_rules_of(rules);
    if (!behaviour) return fail("sieve: behaviour rules: {}", behaviour.error().message);
    auto engine = BehaviourEngine::create(std::move(*behaviour), behaviour_bytes, behaviour_seed,
                                          shared_server_clients);
    if (!engine) return fail("sieve: behaviour rules: {}", engine.error().message);
    state->behaviour.emplace(std::move(*engine));
  }
  return state;
}

Sieve::Sieve(std::unique_ptr<State> state, std::unique_ptr<ShardShared> shared,
             std::unique_ptr<detail::ShardedSieve> sharded)
    : state_(std::move(state)), shared_(std::move(shared)), sharded_(std::move(sharded)) {}

Result<std::unique_ptr<Sieve>> Sieve::create(const SieveConfig& config,
                                             const scope::Classifier& classifier,
                                             const CompiledRuleset& rules, RecordSink& sink) {
  if (config.workers < 1 || config.workers > kMaxSieveWorkers) {
    return fail("sieve: workers must be between 1 and {} (got {})", kMaxSieveWorkers,
                config.workers);
  }
  FlowIdKey key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return fail("sieve: no randomness for the flow id key (OpenSSL RAND_bytes failed)");
  }
  struct Cleanse {
    FlowIdKey& key;
    ~Cleanse() { OPENSSL_cleanse(key.data(), key.size()); }
  } cleanse{key};
  const std::size_t behaviour_bytes = std::size_t{config.behaviour_memory_mb} << 20;
  if (config.workers == 1) {
    auto state = make_state(config, classifier, rules, sink, config.max_flows, behaviour_bytes,
                            seed_for(config, kBehaviourSeed), {}, key);
    if (!state) return fail(state.error());
    return std::unique_ptr<Sieve>(new Sieve(std::move(*state), nullptr, nullptr));
  }

  // Shards: each a complete sieve with its share of the bounds, several per thread so that
  // the threads' loads can be balanced by moving shards (sieve/shard.h).
  const std::uint32_t shards = config.workers * detail::ShardedSieve::kShardsPerThread;
  const std::uint32_t shard_flows =
      std::max<std::uint32_t>(1024, (config.max_flows + shards - 1) / shards);
  const std::size_t shard_behaviour_bytes = behaviour_bytes / shards;
  std::vector<std::uint16_t> service_ports;
  // Every shard's engine hashes with one seed, so that their beacon rules can count a server's
  // clients together: each shard sees only its share of them (SharedServerClients).
  const std::uint64_t behaviour_seed = seed_for(config, kBehaviourSeed);
  auto shared = std::make_unique<ShardShared>();
  if (rules.stats().behaviour_rules > 0) {
    auto behaviour = behaviour_rules_of(rules);
    if (!behaviour) return fail("sieve: behaviour rules: {}", behaviour.error().message);
    for (const auto& rule : *behaviour) {
      if (const auto* amplification = std::get_if<AmplificationParams>(&rule.params)) {
        service_ports.insert(service_ports.end(), amplification->udp_ports.begin(),
                             amplification->udp_ports.end());
      }
      if (std::holds_alternative<BeaconParams>(rule.params)) {
        shared->server_clients.push_back(std::make_unique<SharedServerClients>());
        shared->views.push_back(shared->server_clients.back().get());
      }
    }
  }
  detail::ShardRouter router(shards, service_ports, seed_for(config, kRouterSeed));
  auto sharded = detail::ShardedSieve::create(
      std::move(router), config.workers, sink,
      [&](std::uint32_t, RecordSink& shard_sink) -> Result<std::unique_ptr<detail::ShardWorker>> {
        auto state = make_state(config, classifier, rules, shard_sink, shard_flows,
                                shard_behaviour_bytes, behaviour_seed, shared->views, key);
        if (!state) return fail(state.error());
        (*state)->external_expiry = true;
        return std::unique_ptr<detail::ShardWorker>(std::move(*state));
      });
  if (!sharded) return fail(sharded.error());
  // Sized by what the shards' engines set aside; before the first packet is handed over
  // (which orders this before any shard's use).
  for (const auto& counts : shared->server_clients) counts->allocate();
  return std::unique_ptr<Sieve>(new Sieve(nullptr, std::move(shared), std::move(*sharded)));
}

Sieve::~Sieve() = default;

void Sieve::process(const capture::RawPacket& packet) {
  if (sharded_) {
    sharded_->process(packet);
  } else {
    state_->process(packet);
  }
}

void Sieve::finish() {
  if (sharded_) {
    sharded_->finish();
  } else {
    state_->finish();
  }
}

void Sieve::stop_selection() {
  if (sharded_) {
    sharded_->stop_selection();
  } else {
    state_->stop_selection();
  }
}

const RunSummary& Sieve::summary() const {
  return sharded_ ? sharded_->summary() : state_->summary;
}
RunSummary& Sieve::summary() { return sharded_ ? sharded_->summary() : state_->summary; }

}  // namespace mamori::sieve
