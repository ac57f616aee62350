#include "mamori/synth/actors.h"

#include <algorithm>

#include <fmt/format.h>

namespace mamori::synth {
namespace {

std::string subject_key(const TruthSubject& s) {
  const auto text = [](const std::optional<IpAddress>& a) {
    return a ? a->to_string() : std::string("-");
  };
  return fmt::format("{}|{}|{}|{}|{}|{}", text(s.address),
                     s.network ? s.network->to_string() : std::string("-"), text(s.client),
                     text(s.server), s.port, s.protocol);
}

double measure(const NamedValues& values, std::string_view name) {
  for (const auto& [key, value] : values) {
    if (key == name) return value;
  }
  return 0;
}

std::int64_t seconds(Duration d) { return d.nanos / 1'000'000'000; }

// Why a kind's default rule does not cross (or only barely), from the peak measures.
std::string scan_reason(const Evaluation& e, const DetectionThresholds& t) {
  const double targets = measure(e.measures, "targets");
  if (targets < t.scan_min_targets) {
    return fmt::format("at most {} distinct targets within a {}-s window (rule: {})", targets,
                       seconds(t.scan_window), t.scan_min_targets);
  }
  return fmt::format("{} targets but only {} of attempts failed (rule: {})", targets,
                     measure(e.measures, "failed_ratio"), t.scan_min_failed_ratio);
}

std::string amplification_reason(const Evaluation& e, const DetectionThresholds& t) {
  const double bytes = measure(e.measures, "response_bytes");
  if (bytes < static_cast<double>(t.amplification_min_response_bytes)) {
    return fmt::format("at most {} response bytes within a {}-s window (rule: {})", bytes,
                       seconds(t.amplification_window), t.amplification_min_response_bytes);
  }
  return fmt::format("{} response bytes but a response/request ratio of {} (rule: {})", bytes,
                     measure(e.measures, "ratio"), t.amplification_min_ratio);
}

std::string beacon_reason(const Evaluation& e, const DetectionThresholds& t) {
  const double connections = measure(e.measures, "connections");
  if (connections < t.beacon_min_connections) {
    return fmt::format("at most {} connections in a series of regular intervals (rule: {})",
                       connections, t.beacon_min_connections);
  }
  return fmt::format("intervals too irregular: cv {} (rule: {})", measure(e.measures, "cv"),
                     t.beacon_max_cv);
}

}  // namespace

std::uint32_t ActorBook::add(ActorSpec spec) {
  const std::string key =
      fmt::format("{}|{}|{}", spec.kind, spec.scenario, subject_key(spec.subject));
  const auto [it, inserted] = index_.emplace(key, static_cast<std::uint32_t>(specs_.size()));
  if (inserted) specs_.push_back(std::move(spec));
  return it->second;
}

void ActorBook::on_packet(std::size_t truth_index, Timestamp time,
                          std::span<const std::uint8_t> frame) {
  if (truth_index >= flows_.size()) flows_.resize(truth_index + 1);
  const FrameSummary packet = summarize_frame(frame);
  if (!packet.ok) return;
  add_packet(flows_[truth_index], packet, time, frame.size(), thresholds_);
}

DetectionTruth ActorBook::finish(const Truth& truth) const {
  const DetectionThresholds& t = thresholds_;
  DetectionTruth out;
  out.thresholds = t;
  std::vector<std::vector<std::size_t>> members(specs_.size());
  for (std::size_t i = 0; i < truth.flows().size(); ++i) {
    for (const auto actor : truth.flows()[i].facts.actors) members[actor].push_back(i);
  }
  std::map<std::string, int> counters;
  std::vector<std::size_t> beacons;  // positions in out.actors
  std::vector<std::size_t> c2s;
  for (std::size_t a = 0; a < specs_.size(); ++a) {
    if (members[a].empty()) continue;
    const ActorSpec& spec = specs_[a];
    TruthActor actor;
    actor.id = fmt::format("{}-{:02}", spec.kind, ++counters[spec.kind]);
    actor.kind = spec.kind;
    actor.scenario = spec.scenario;
    actor.decoy_of = spec.decoy_of;
    actor.role = spec.role;
    actor.subject = spec.subject;
    actor.parameters = spec.parameters;
    actor.flows = members[a];
    actor.first_activity = truth.flows()[members[a].front()].facts.start;
    actor.last_activity = actor.first_activity;
    std::vector<const RefFlow*> refs;
    for (const auto i : members[a]) {
      const TruthFlow& flow = truth.flows()[i];
      actor.first_activity = std::min(actor.first_activity, flow.facts.start);
      actor.last_activity = std::max(actor.last_activity, flow.end);
      if (i < flows_.size() && flows_[i].packets > 0) refs.push_back(&flows_[i]);
    }
    std::stable_sort(refs.begin(), refs.end(),
                     [](const RefFlow* x, const RefFlow* y) { return x->start < y->start; });
    const std::string& behaviour = spec.kind == "decoy" ? spec.decoy_of : spec.kind;
    Evaluation e;
    std::string reason;
    if (behaviour == "scan") {
      std::vector<const RefFlow*> attempts;
      for (const RefFlow* r : refs) {
        if (r->initiator == spec.subject.address) attempts.push_back(r);
      }
      e = evaluate_scan(attempts, t);
      reason = scan_reason(e, t);
    } else if (behaviour == "amplification") {
      e = evaluate_amplification(*spec.subject.address, refs, t);
      reason = amplification_reason(e, t);
    } else if (behaviour == "beacon") {
      std::vector<Timestamp> starts;
      starts.reserve(refs.size());
      for (const RefFlow* r : refs) starts.push_back(r->start);
      e = evaluate_beacon(starts, t);
      reason = beacon_reason(e, t);
    }
    actor.measures = e.measures;
    {
      // Every default rule that some subject of its flows crosses, whatever the actor is: a
      // spoofed-only reflection makes each reflector look like a scanner (unanswered "attempts"
      // to many victim ports), a resolver's queries to one server can look periodic by chance.
      std::vector<RefFlow> own;
      own.reserve(refs.size());
      for (const RefFlow* r : refs) own.push_back(*r);
      const SubjectEvaluations all = evaluate_all(own, t);
      const auto any = [](const std::map<std::string, Evaluation>& m) {
        return std::any_of(m.begin(), m.end(), [](const auto& kv) { return kv.second.crosses; });
      };
      if (any(all.scan)) actor.trips.emplace_back("scan");
      if (any(all.amplification)) actor.trips.emplace_back("amplification");
      if (any(all.beacon)) actor.trips.emplace_back("beacon");
    }
    if (spec.kind == "decoy") {
      actor.near_threshold = !e.clear;
      actor.reason = fmt::format("benign {}", spec.role);
      for (const auto& kind : actor.trips) {
        actor.reason += fmt::format("; the default {} rule is expected to select it", kind);
      }
    } else if (spec.kind != "c2") {
      actor.expected_detectable = e.crosses;
      actor.near_threshold = !e.clear;
      actor.detectable_from = e.first_crossing;
      if (!e.clear) {
        actor.reason = "near the default thresholds: " + reason;
      } else if (!e.crosses) {
        actor.reason = reason;
      }
    }
    if (spec.kind == "beacon") beacons.push_back(out.actors.size());
    if (spec.kind == "c2") c2s.push_back(out.actors.size());
    out.actors.push_back(std::move(actor));
  }
  // A C2 server is expected detectable when one of its beacon pairs is.
  for (const auto c : c2s) {
    TruthActor& server = out.actors[c];
    bool near = false;
    std::vector<std::string> pairs;
    for (const auto b : beacons) {
      const TruthActor& pair = out.actors[b];
      if (pair.subject.server != server.subject.address) continue;
      near |= pair.near_threshold;
      pairs.push_back(pair.id);
      if (!pair.expected_detectable) continue;
      if (!server.expected_detectable || *pair.detectable_from < *server.detectable_from) {
        server.detectable_from = pair.detectable_from;
      }
      server.expected_detectable = true;
    }
    server.near_threshold = near && !server.expected_detectable;
    if (!server.expected_detectable) {
      server.reason = "no beacon pair of this server is expected detectable";
    }
    out.c2_servers.push_back(
        {*server.subject.address, "c2", {server.id}, server.expected_detectable});
    for (auto& id : pairs) out.c2_servers.back().actors.push_back(std::move(id));
  }
  // Servers of periodic decoys, in order of their first decoy.
  for (const auto& actor : out.actors) {
    if (actor.kind != "decoy" || actor.decoy_of != "beacon" || !actor.subject.server) continue;
    const IpAddress& address = *actor.subject.server;
    auto it = std::find_if(out.decoy_servers.begin(), out.decoy_servers.end(),
                           [&](const TruthServer& s) { return s.address == address; });
    if (it == out.decoy_servers.end()) {
      out.decoy_servers.push_back({address, actor.role, {}, false});
      it = out.decoy_servers.end() - 1;
    }
    it->actors.push_back(actor.id);
  }
  return out;
}

}  // namespace mamori::synth
