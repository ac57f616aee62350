// Analyzer::finish(): per-server signals, the c2_server ranking and the per-server findings
// (beacon, fan_in, tls_odd_port, timeline), and the behaviour findings (scan, amplification).
// Why each signal looks the way it does is in README.md ("Scoring model").

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "mamori/analysis/scoring.h"
#include "mamori/sieve/record.h"

namespace mamori::analysis::detail {
namespace {

constexpr std::int64_t kNanosPerHour = 3'600'000'000'000;

std::string port_text(std::uint32_t slot) {
  if (slot == kNone) return "";
  return fmt::format("{}/{}", sieve::protocol_name(static_cast<std::uint8_t>(slot >> 16)),
                     slot & 0xffff);
}

void set_span(Finding& f, const Server& server) {
  f.first_seen = Timestamp{server.first};
  f.last_seen = Timestamp{server.last};
  f.expires_at = Timestamp{server.expires};
  f.evidence = evidence_of(server.evidence);
  f.evidence_total = server.records;
}

// How much data stands behind a server: saturates after a few dozen records.
double sufficiency(std::uint32_t records) {
  return 1.0 - std::exp(-static_cast<double>(records) / 5.0);
}

// Regularity, shape similarity, client overlap, TLS oddity and the benign discount of every
// server; everything but the links between servers (linking.cc).
void base_signals(Scoring& sc) {
  Analyzer::State& s = sc.state;
  const AnalysisOptions& o = sc.options;
  for (Pair& pair : s.pairs) {
    for (std::size_t i = 0; i < pair.pending_count; ++i) emit_start(pair, pair.pending[i]);
    pair.pending_count = 0;
  }
  const std::size_t n = s.servers.size();
  sc.servers.assign(n, ServerScore{});
  for (std::size_t i = 0; i < n; ++i) {
    ServerScore& ss = sc.servers[i];
    const EndpointKey& key = s.server_index.key(static_cast<std::uint32_t>(i));
    ss.subject = server_subject(key);
    ss.known = s.servers[i].indicator_records > 0 || s.dns_known.find(key) != kNone;
    ss.implant = s.servers[i].fingerprint_records > 0;
    const std::uint32_t port = s.servers[i].ports.top();
    ss.infrastructure =
        port != kNone && is_infrastructure_port(static_cast<std::uint8_t>(port >> 16),
                                                static_cast<std::uint16_t>(port & 0xffff));
  }
  // Clients of known C2 are infected; a listed server on an infrastructure port (an abused
  // reflector, a resolver) says less about its clients, so it does not count.
  std::vector<std::uint32_t> client_known(s.clients.size(), 0);
  for (const PairKey& key : s.pair_index.keys()) {
    if (sc.servers[key.server].marks_clients()) ++client_known[key.client];
  }

  struct Acc {
    double regular_weight = 0;  // Σ r·w
    double weight = 0;          // Σ w
    double period = 0;
    double cv = 0;
    double period_weight = 0;
    double best = -1;
    std::array<double, 4> sum{};
    std::array<double, 4> sum2{};
  };
  std::vector<Acc> acc(n);
  const auto& keys = s.pair_index.keys();
  for (std::size_t pi = 0; pi < keys.size(); ++pi) {
    const PairKey key = keys[pi];
    const Pair& pair = s.pairs[pi];
    const Client& client = s.clients[key.client];
    ServerScore& ss = sc.servers[key.server];
    Acc& a = acc[key.server];
    ++ss.clients;
    if (pair.domestic) ++ss.domestic_clients;
    const std::uint32_t self = ss.marks_clients() ? 1 : 0;
    if (client_known[key.client] > self || client.lookup_records > 0 ||
        client.fingerprint_records > pair.fingerprint_records) {
      ++ss.infected;
    }
    double cv_own = -1;
    if (pair.intervals >= 2 && pair.mean > 0) {
      cv_own = std::sqrt(pair.m2 / (pair.intervals - 1)) / pair.mean;
    }
    const double r_own = (pair.intervals >= o.min_intervals && cv_own >= 0)
                             ? clamp01(1.0 - cv_own / o.cv_cap)
                             : -1.0;
    const double r_measured =
        pair.measured_cv >= 0 ? clamp01(1.0 - pair.measured_cv / o.cv_cap) : -1.0;
    const double r = std::max(r_own, r_measured);
    if (r >= 0) {
      const double w = r_own >= 0 ? std::min<double>(pair.intervals, 32) : 8.0;
      a.regular_weight += r * w;
      a.weight += w;
      ++ss.judged_pairs;
      if (r >= 0.5) {
        ++ss.regular_pairs;
        const bool own = r_own >= r_measured;
        a.period += (own ? pair.mean : pair.measured_interval) * w;
        a.cv += (own ? cv_own : pair.measured_cv) * w;
        a.period_weight += w;
      }
      if (r > a.best) {
        a.best = r;
        ss.best_pair = static_cast<std::uint32_t>(pi);
      }
    }
    for (std::size_t d = 0; d < 4; ++d) {
      const double mean =
          pair.shape[d] / static_cast<double>(std::max<std::uint32_t>(1, pair.records));
      a.sum[d] += mean;
      a.sum2[d] += mean * mean;
    }
  }

  for (std::size_t i = 0; i < n; ++i) {
    ServerScore& ss = sc.servers[i];
    const Server& server = s.servers[i];
    const Acc& a = acc[i];
    const double pairs = ss.clients;  // surviving pairs: the shapes' sample
    if (server.thinned_pairs > 0) {
      // Some of its pairs were thinned away: the distinct-client estimate counts them.
      ss.clients =
          std::max(ss.clients, static_cast<std::uint32_t>(std::llround(server.clients.estimate())));
    }
    ss.periodic = a.weight > 0 ? a.regular_weight / a.weight : 0;
    if (a.period_weight > 0) {
      ss.period_s = a.period / a.period_weight;
      ss.cv = a.cv / a.period_weight;
    }
    if (pairs >= 2) {
      double spread = 0;
      for (std::size_t d = 0; d < 4; ++d) {
        const double mean = a.sum[d] / pairs;
        spread += std::sqrt(std::max(0.0, a.sum2[d] / pairs - mean * mean));
      }
      ss.similarity = std::exp(-(spread / 4.0) / kShapeScale);
      const double k = ss.clients;
      ss.fan_in = (k - 1.0) / (k + 2.0) * ss.similarity;
    }
    if (ss.clients > 0) {
      const double infected = ss.infected;
      ss.overlap = infected / ss.clients * std::min(1.0, infected / 2.0);
    }
    if (server.tls_records > 0) {
      ss.tls = static_cast<double>(std::max(server.tls_no_sni, server.tls_odd_port)) /
               server.tls_records;
    }
    if (ss.infrastructure && !ss.known && !ss.implant) ss.port_factor = kInfrastructurePortFactor;
    const double excess =
        std::max(0.0, static_cast<double>(ss.clients) - static_cast<double>(o.few_clients));
    ss.popularity = 1.0 / (1.0 + excess / std::max(1.0, o.popular_scale));
    const double b = ss.benign_discount();
    ss.pre_score = kWeightKnown * ss.known_weight() + kWeightOverlap * ss.overlap +
                   kWeightTls * ss.tls + kWeightPeriodic * ss.periodic * b +
                   kWeightFanIn * ss.fan_in * b;
  }
}

void final_scores(Scoring& sc) {
  for (std::size_t i = 0; i < sc.servers.size(); ++i) {
    ServerScore& ss = sc.servers[i];
    const double shared = std::max({ss.shared_fingerprint, ss.shared_prefix, ss.shared_name});
    ss.score = std::clamp(ss.pre_score + kWeightShared * shared, 0.0, 100.0);
    const double b = ss.benign_discount();
    // Each signal is evidence of its own strength; together they are independent chances.
    const std::array<double, 7> evidence = {
        0.9 * (ss.known ? 1 : 0), 0.8 * (ss.implant ? 1 : 0), 0.6 * ss.overlap, 0.5 * shared,
        0.4 * ss.periodic * b,    0.3 * ss.fan_in * b,        0.3 * ss.tls};
    double doubt = 1;
    for (double e : evidence) doubt *= 1.0 - e;
    ss.confidence = (1.0 - doubt) * sufficiency(sc.state.servers[i].records);
  }
}

struct Pick {
  double score = 0;
  std::uint32_t index = 0;
};

// The best `max_findings_per_kind` picks at or above min_score (ties: subject), so that only
// findings that are reported get built.
template <class Subject>
std::vector<Pick> best(std::vector<Pick> picks, const AnalysisOptions& o, Subject subject) {
  std::erase_if(picks, [&](const Pick& p) { return !(p.score >= o.min_score); });
  auto better = [&](const Pick& a, const Pick& b) {
    if (a.score != b.score) return a.score > b.score;
    return subject(a.index) < subject(b.index);
  };
  if (picks.size() > o.max_findings_per_kind) {
    std::nth_element(picks.begin(),
                     picks.begin() + static_cast<std::ptrdiff_t>(o.max_findings_per_kind),
                     picks.end(), better);
    picks.resize(o.max_findings_per_kind);
  }
  return picks;
}

Finding c2_finding(const Scoring& sc, std::uint32_t i) {
  const ServerScore& ss = sc.servers[i];
  const Server& server = sc.state.servers[i];
  Finding f = unnamed_finding(FindingKind::c2_server, ss.subject, ss.score, ss.confidence);
  set_span(f, server);
  f.details = {{"known", ss.known ? 1.0 : 0.0},
               {"implant_fingerprint", ss.implant ? 1.0 : 0.0},
               {"client_overlap", ss.overlap},
               {"shared_infrastructure",
                std::max({ss.shared_fingerprint, ss.shared_prefix, ss.shared_name})},
               {"tls_anomaly", ss.tls},
               {"periodicity", ss.periodic},
               {"fan_in", ss.fan_in},
               {"benign_discount", ss.benign_discount()},
               {"clients", static_cast<double>(ss.clients)},
               {"infected_clients", static_cast<double>(ss.infected)},
               {"records", static_cast<double>(server.records)},
               {"period_s", ss.period_s},
               {"port", 0, port_text(server.ports.top())}};
  return f;
}

double beacon_score(const ServerScore& ss) { return 100.0 * ss.periodic * ss.benign_discount(); }

Finding beacon_finding(const Scoring& sc, std::uint32_t i) {
  const ServerScore& ss = sc.servers[i];
  const Server& server = sc.state.servers[i];
  Finding f = unnamed_finding(FindingKind::beacon, ss.subject, beacon_score(ss),
                              ss.periodic * sufficiency(server.records));
  set_span(f, server);
  f.details = {{"periodicity", ss.periodic},
               {"regular_pairs", static_cast<double>(ss.regular_pairs)},
               {"judged_pairs", static_cast<double>(ss.judged_pairs)},
               {"period_s", ss.period_s},
               {"cv", ss.cv},
               {"beacon_rule_records", static_cast<double>(server.beacon_records)},
               {"benign_discount", ss.benign_discount()},
               {"port", 0, port_text(server.ports.top())}};
  if (ss.best_pair != kNone) {
    const PairKey key = sc.state.pair_index.key(ss.best_pair);
    f.details.push_back(
        {"most_regular_client", 0, server_subject(sc.state.client_index.key(key.client))});
  }
  return f;
}

double fan_in_score(const ServerScore& ss) {
  return 100.0 * std::max(ss.fan_in * ss.benign_discount(), ss.overlap);
}

Finding fan_in_finding(const Scoring& sc, std::uint32_t i) {
  const ServerScore& ss = sc.servers[i];
  Finding f = unnamed_finding(FindingKind::fan_in, ss.subject, fan_in_score(ss),
                              sufficiency(ss.clients) * std::max(ss.similarity, ss.overlap));
  set_span(f, sc.state.servers[i]);
  f.details = {{"clients", static_cast<double>(ss.clients)},
               {"domestic_clients", static_cast<double>(ss.domestic_clients)},
               {"shape_similarity", ss.similarity},
               {"infected_clients", static_cast<double>(ss.infected)},
               {"popularity_discount", ss.popularity}};
  return f;
}

double tls_score(const ServerScore& ss) {
  const double context = std::max(
      {ss.known || ss.implant ? 1.0 : 0.0, ss.overlap, ss.shared_fingerprint, ss.shared_prefix});
  return 100.0 * ss.tls * (0.5 + 0.5 * context);
}

Finding tls_finding(const Scoring& sc, std::uint32_t i) {
  const ServerScore& ss = sc.servers[i];
  const Server& server = sc.state.servers[i];
  Finding f = unnamed_finding(FindingKind::tls_odd_port, ss.subject, tls_score(ss),
                              sufficiency(server.tls_records));
  set_span(f, server);
  f.details = {{"tls_records", static_cast<double>(server.tls_records)},
               {"without_sni", static_cast<double>(server.tls_no_sni)},
               {"odd_port", static_cast<double>(server.tls_odd_port)},
               {"port", 0, port_text(server.ports.top())}};
  return f;
}

void server_findings(Scoring& sc) {
  const AnalysisOptions& o = sc.options;
  std::vector<Pick> c2;
  std::vector<Pick> beacon;
  std::vector<Pick> fan_in;
  std::vector<Pick> tls;
  for (std::uint32_t i = 0; i < sc.servers.size(); ++i) {
    const ServerScore& ss = sc.servers[i];
    c2.push_back({ss.score, i});
    if (ss.regular_pairs > 0) beacon.push_back({beacon_score(ss), i});
    if (ss.clients >= o.min_fan_in && (ss.fan_in >= 0.3 || ss.infected >= 2)) {
      fan_in.push_back({fan_in_score(ss), i});
    }
    if (ss.tls > 0) tls.push_back({tls_score(ss), i});
  }
  auto subject = [&](std::uint32_t i) -> const std::string& { return sc.servers[i].subject; };
  for (const Pick& p : best(std::move(c2), o, subject))
    sc.findings.push_back(c2_finding(sc, p.index));
  for (const Pick& p : best(std::move(beacon), o, subject)) {
    sc.findings.push_back(beacon_finding(sc, p.index));
  }
  for (const Pick& p : best(std::move(fan_in), o, subject)) {
    sc.findings.push_back(fan_in_finding(sc, p.index));
  }
  for (const Pick& p : best(std::move(tls), o, subject))
    sc.findings.push_back(tls_finding(sc, p.index));
}

void timeline_findings(Scoring& sc) {
  std::vector<std::uint32_t> order(sc.servers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
  const std::size_t top = std::min(order.size(), sc.options.timeline_top);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                    [&](std::uint32_t a, std::uint32_t b) {
                      if (sc.servers[a].score != sc.servers[b].score) {
                        return sc.servers[a].score > sc.servers[b].score;
                      }
                      return sc.servers[a].subject < sc.servers[b].subject;
                    });
  for (std::size_t rank = 0; rank < top; ++rank) {
    const std::uint32_t i = order[rank];
    const ServerScore& ss = sc.servers[i];
    if (ss.score < sc.options.min_score) break;
    const Server& server = sc.state.servers[i];
    Finding f = unnamed_finding(FindingKind::timeline, ss.subject, ss.score, ss.confidence);
    set_span(f, server);
    std::string counts;
    for (std::uint32_t c : server.timeline.counts()) {
      if (!counts.empty()) counts += ' ';
      counts += std::to_string(c);
    }
    f.details = {{"start", 0,
                  format_rfc3339_seconds(Timestamp{server.timeline.origin_hour() * kNanosPerHour})},
                 {"bucket_hours", static_cast<double>(server.timeline.width_hours())},
                 {"buckets", static_cast<double>(server.timeline.counts().size())},
                 {"counts", 0, counts},
                 {"rank", static_cast<double>(rank + 1)}};
    sc.findings.push_back(std::move(f));
  }
}

double measure_max(const Analyzer::State& s, const BehaviourSubject& b,
                   std::initializer_list<std::string_view> names, double fallback) {
  for (std::string_view name : names) {
    for (const Measure& m : b.measures) {
      if (m.name != kNone && s.measure_names[m.name] == name) return m.max;
    }
  }
  return fallback;
}

double behaviour_score(const Analyzer::State& s, const BehaviourSubject& b, FindingKind kind,
                       std::vector<Detail>* details) {
  const double peers = b.peers.estimate();
  if (kind == FindingKind::scan) {
    const double targets = measure_max(s, b, {"targets"}, peers);
    const double failed = clamp01(measure_max(s, b, {"failed_ratio"}, 0));
    if (details != nullptr) *details = {{"targets", targets}, {"failed_ratio", failed}};
    return 100.0 * (0.6 * std::min(1.0, std::log2(1.0 + targets) / 8.0) + 0.4 * failed);
  }
  const double bytes_ratio =
      b.bytes[0] > 0 ? static_cast<double>(b.bytes[1]) / static_cast<double>(b.bytes[0]) : 0;
  const double ratio = measure_max(s, b, {"ratio", "amplification"}, bytes_ratio);
  if (details != nullptr) *details = {{"ratio", ratio}, {"reflectors", peers}};
  return 100.0 *
         (0.5 * std::min(1.0, std::log10(1.0 + ratio) / 2.0) + 0.5 * std::min(1.0, peers / 10.0));
}

void behaviour_findings(Scoring& sc, const EndpointIndex& index,
                        const std::vector<BehaviourSubject>& subjects, FindingKind kind) {
  const Analyzer::State& s = sc.state;
  std::vector<Pick> picks;
  std::vector<std::string> subject_texts(subjects.size());
  for (std::uint32_t i = 0; i < subjects.size(); ++i) {
    picks.push_back({behaviour_score(s, subjects[i], kind, nullptr), i});
  }
  auto subject = [&](std::uint32_t i) -> const std::string& {
    if (subject_texts[i].empty()) subject_texts[i] = server_subject(index.key(i));
    return subject_texts[i];
  };
  for (const Pick& p : best(std::move(picks), sc.options, subject)) {
    const BehaviourSubject& b = subjects[p.index];
    std::vector<Detail> details;
    const double score = behaviour_score(s, b, kind, &details);
    details.push_back({"records", static_cast<double>(b.records)});
    details.push_back({"peers", b.peers.estimate()});
    details.push_back({"bytes_fwd", static_cast<double>(b.bytes[0])});
    details.push_back({"bytes_rev", static_cast<double>(b.bytes[1])});
    details.push_back({"top_port", 0, port_text(b.ports.top())});
    for (const Measure& m : b.measures) {
      if (m.name == kNone || details.size() >= kMaxDetails) continue;
      details.push_back({"max_" + s.measure_names[m.name], m.max});
    }
    Finding f = unnamed_finding(kind, subject(p.index), score, sufficiency(b.records));
    f.first_seen = Timestamp{b.first};
    f.last_seen = Timestamp{b.last};
    f.expires_at = Timestamp{b.expires};
    f.evidence = evidence_of(b.evidence);
    f.evidence_total = b.records;
    f.details = std::move(details);
    sc.findings.push_back(std::move(f));
  }
}

bool by_rank(const Finding& a, const Finding& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.kind != b.kind) return a.kind < b.kind;
  return a.subject < b.subject;
}

}  // namespace

bool is_tls_service_port(std::uint16_t port) {
  constexpr std::array<std::uint16_t, 14> kPorts = {443, 465, 563, 636, 853,  989,  990,
                                                    992, 993, 994, 995, 5061, 6697, 8443};
  return std::find(kPorts.begin(), kPorts.end(), port) != kPorts.end();
}

bool is_infrastructure_port(std::uint8_t protocol, std::uint16_t port) {
  constexpr std::uint8_t kTcp = 6;
  constexpr std::uint8_t kUdp = 17;
  if (protocol == kTcp) return port == 53;
  if (protocol != kUdp) return false;
  constexpr std::array<std::uint16_t, 13> kPorts = {53,  67,  68,   123,  137,  138, 161,
                                                    162, 514, 1900, 3478, 5353, 5355};
  return std::find(kPorts.begin(), kPorts.end(), port) != kPorts.end();
}

Finding unnamed_finding(FindingKind kind, std::string subject, double score, double confidence) {
  Finding f;
  f.kind = kind;
  f.subject = std::move(subject);
  f.score = std::clamp(score, 0.0, 100.0);
  f.confidence = clamp01(confidence);
  return f;
}

std::string server_subject(const EndpointKey& key) {
  return sieve::address_text(key.address(), key.epoch);
}

std::vector<RecordId> evidence_of(const Evidence& evidence) {
  std::vector<RecordId> ids = evidence.ids();
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<RecordId> merge_evidence(const std::vector<const Evidence*>& lists) {
  std::vector<RecordId> ids;
  for (std::size_t round = 0; ids.size() < kMaxEvidence; ++round) {
    bool any = false;
    for (const Evidence* list : lists) {
      if (round < list->ids().size() && ids.size() < kMaxEvidence) {
        ids.push_back(list->ids()[round]);
        any = true;
      }
    }
    if (!any) break;
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

double clamp01(double value) {
  if (!(value > 0)) return 0;  // also NaN
  return std::min(value, 1.0);
}

std::string_view string_text(const Analyzer::State& state, std::uint32_t id) {
  return std::string_view(state.string_index.key(id)).substr(2);
}

std::string_view name_suffix(std::string_view name) {
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return {};
  const std::string_view parent = name.substr(dot + 1);
  if (std::count(parent.begin(), parent.end(), '.') < 2) return {};
  return parent;
}

void score(Analyzer::State& state, const AnalysisOptions& options, AnalysisResult& result) {
  Scoring sc{state, options};
  base_signals(sc);
  link_servers(sc);
  final_scores(sc);
  server_findings(sc);
  timeline_findings(sc);
  behaviour_findings(sc, state.scanner_index, state.scanners, FindingKind::scan);
  behaviour_findings(sc, state.victim_index, state.victims, FindingKind::amplification);
  add_candidates(sc, result.candidates);

  // Per kind: the best max_findings_per_kind at or above min_score; then one ranking.
  std::array<std::vector<Finding>, kFindingKindCount> by_kind;
  for (Finding& f : sc.findings) {
    if (f.score >= options.min_score) {
      by_kind[static_cast<std::size_t>(f.kind)].push_back(std::move(f));
    }
  }
  for (auto& list : by_kind) {
    std::sort(list.begin(), list.end(), by_rank);
    if (list.size() > options.max_findings_per_kind) list.resize(options.max_findings_per_kind);
    for (Finding& f : list) {
      if (f.details.size() > kMaxDetails) f.details.resize(kMaxDetails);
      f.id = finding_id(f.kind, f.subject);
      result.findings.push_back(std::move(f));
    }
  }
  std::sort(result.findings.begin(), result.findings.end(), by_rank);
  // A candidate refers only to findings that are reported.
  std::vector<std::string> ids;
  ids.reserve(result.findings.size());
  for (const Finding& f : result.findings) ids.push_back(f.id);
  std::sort(ids.begin(), ids.end());
  for (CandidateIndicator& c : result.candidates) {
    std::erase_if(c.finding_ids, [&](const std::string& id) {
      return !std::binary_search(ids.begin(), ids.end(), id);
    });
  }
}

}  // namespace mamori::analysis::detail
