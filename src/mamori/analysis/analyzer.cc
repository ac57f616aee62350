// The streaming half of the Analyzer: folding records into the tables of analyzer_state.h and
// keeping those tables within their caps. Scoring is in scoring.cc.

#include "mamori/analysis/analyzer.h"

#include <bit>
#include <cmath>
#include <utility>

#include "mamori/analysis/analyzer_state.h"
#include "mamori/analysis/scoring.h"

namespace mamori::analysis {
namespace detail {
namespace {

using sieve::Record;
using sieve::RuleKind;

constexpr std::int64_t kNanosPerHour = 3'600'000'000'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// What kinds of rules a record matched.
struct Kinds {
  bool indicator = false;  // ip, domain or bytes
  bool ip = false;
  bool domain = false;
  bool ja3 = false;
  bool ja4 = false;
  bool port = false;
  bool scan = false;
  bool amplification = false;
  bool beacon = false;
  bool other_than_behaviour = false;  // anything but scan and amplification
};

Kinds classify(const std::vector<sieve::Match>& matches) {
  Kinds k;
  for (const sieve::Match& match : matches) {
    switch (match.kind) {
      case RuleKind::ip:
        k.ip = k.indicator = true;
        break;
      case RuleKind::domain:
        k.domain = k.indicator = true;
        break;
      case RuleKind::bytes:
        k.indicator = true;
        break;
      case RuleKind::ja3:
        k.ja3 = true;
        break;
      case RuleKind::ja4:
        k.ja4 = true;
        break;
      case RuleKind::port:
        k.port = true;
        break;
      case RuleKind::scan:
        k.scan = true;
        continue;
      case RuleKind::amplification:
        k.amplification = true;
        continue;
      case RuleKind::beacon:
        k.beacon = true;
        break;
    }
    k.other_than_behaviour = true;
  }
  return k;
}

const sieve::Measure* find_measure(const sieve::Match& match, std::string_view name) {
  for (const sieve::Measure& measure : match.measured) {
    if (measure.name == name) return &measure;
  }
  return nullptr;
}

// The name a TLS SNI or HTTP Host carries, lower-cased into `out`; false when it is not a
// DNS name (empty, an address literal, a pseudonymized literal "p3:…", junk).
bool name_of(std::string_view text, std::string& out) {
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    const std::string_view port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
    }
    text = text.substr(0, colon);
  }
  if (text.ends_with('.')) text.remove_suffix(1);
  if (text.empty() || text.size() > 253) return false;
  bool dot = false;
  bool letter = false;
  for (char c : text) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    if (lower == '.') {
      dot = true;
    } else if ((lower >= 'a' && lower <= 'z') || lower == '-' || lower == '_') {
      letter = true;
    } else if (lower < '0' || lower > '9') {
      return false;
    }
    out.push_back(lower);
  }
  return dot && letter;
}

void touch(std::int64_t& first, std::int64_t& last, std::int64_t& expires, const Record& record,
           Timestamp expires_at) {
  first = std::min(first, record.first_seen.nanos);
  last = std::max(last, record.last_seen.nanos);
  expires = std::max(expires, expires_at.nanos);
}

// Keeps entries whose `records` exceed the smallest threshold t in 1, 2, 4, … that leaves at
// most `target` entries, and every protected entry.
template <class Records, class Protected>
std::vector<bool> thin_mask(std::size_t n, std::size_t target, Records records,
                            Protected is_protected) {
  std::vector<bool> keep(n, true);
  for (std::uint64_t t = 1;; t *= 2) {
    std::size_t kept = 0;
    std::uint64_t max_records = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t r = records(i);
      max_records = std::max(max_records, r);
      keep[i] = is_protected(i) || r > t;
      kept += keep[i] ? 1 : 0;
    }
    if (kept <= target || t >= max_records) return keep;
  }
}

template <class T>
std::vector<T> keep_entries(std::vector<T>& entries, const std::vector<bool>& keep,
                            std::size_t& heap_bytes, std::uint64_t& evicted) {
  std::vector<T> kept;
  kept.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (keep[i]) {
      kept.push_back(std::move(entries[i]));
      continue;
    }
    ++evicted;
    if constexpr (requires { entries[i].evidence; }) {
      heap_bytes -= std::min(heap_bytes, entries[i].evidence.heap_bytes());
    }
    if constexpr (requires { entries[i].timeline; }) {
      heap_bytes -= std::min(heap_bytes, entries[i].timeline.heap_bytes());
    }
  }
  return kept;
}

// Thins the full ones of servers, clients and pairs (analyzer.h: lossy counting that spares
// known-C2 context). Pairs of dropped servers or clients go with them.
void thin_outbound(Analyzer::State& s) {
  ++s.stats.compactions;
  const AnalyzerLimits& limits = s.limits;
  std::vector<bool> server_protected(s.servers.size());
  for (std::size_t i = 0; i < s.servers.size(); ++i) server_protected[i] = s.servers[i].known();
  std::vector<bool> client_protected(s.clients.size());
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    client_protected[i] = s.clients[i].fingerprint_records + s.clients[i].lookup_records > 0;
  }
  for (const PairKey& key : s.pair_index.keys()) {
    if (server_protected[key.server]) client_protected[key.client] = true;
  }
  auto target = [](std::size_t cap) { return cap - cap / 4; };
  std::vector<bool> keep_server(s.servers.size(), true);
  if (s.servers.size() >= limits.max_servers) {
    keep_server = thin_mask(
        s.servers.size(), target(limits.max_servers),
        [&](std::size_t i) { return s.servers[i].records; },
        [&](std::size_t i) { return static_cast<bool>(server_protected[i]); });
  }
  std::vector<bool> keep_client(s.clients.size(), true);
  if (s.clients.size() >= limits.max_clients) {
    keep_client = thin_mask(
        s.clients.size(), target(limits.max_clients),
        [&](std::size_t i) { return s.clients[i].records; },
        [&](std::size_t i) { return static_cast<bool>(client_protected[i]); });
  }
  const auto& pair_keys = s.pair_index.keys();
  std::vector<bool> keep_pair(pair_keys.size());
  std::size_t surviving = 0;
  for (std::size_t i = 0; i < pair_keys.size(); ++i) {
    keep_pair[i] = keep_server[pair_keys[i].server] && keep_client[pair_keys[i].client];
    surviving += keep_pair[i] ? 1 : 0;
  }
  if (surviving >= limits.max_pairs) {
    const std::vector<bool> survivors = keep_pair;
    keep_pair = thin_mask(
        pair_keys.size(), target(limits.max_pairs),
        [&](std::size_t i) -> std::uint64_t { return survivors[i] ? s.pairs[i].records : 0; },
        [&](std::size_t i) { return survivors[i] && server_protected[pair_keys[i].server]; });
    for (std::size_t i = 0; i < keep_pair.size(); ++i) {
      keep_pair[i] = keep_pair[i] && survivors[i];
    }
  }

  for (std::size_t i = 0; i < keep_pair.size(); ++i) {
    if (!keep_pair[i] && keep_server[pair_keys[i].server]) {
      ++s.servers[pair_keys[i].server].thinned_pairs;
    }
  }

  auto same = [](std::uint32_t, EndpointKey key) { return key; };
  const auto server_remap = s.server_index.compact(keep_server, same);
  s.servers = keep_entries(s.servers, keep_server, s.heap_bytes, s.stats.evicted);
  const auto client_remap = s.client_index.compact(keep_client, same);
  s.clients = keep_entries(s.clients, keep_client, s.heap_bytes, s.stats.evicted);
  s.pair_index.compact(keep_pair, [&](std::uint32_t, PairKey key) {
    return PairKey{client_remap[key.client], server_remap[key.server]};
  });
  s.pairs = keep_entries(s.pairs, keep_pair, s.heap_bytes, s.stats.evicted);
}

bool outbound_full(const Analyzer::State& s) {
  return s.servers.size() >= s.limits.max_servers || s.clients.size() >= s.limits.max_clients ||
         s.pairs.size() >= s.limits.max_pairs;
}

void maybe_thin_outbound(Analyzer::State& s) {
  if (!outbound_full(s) || s.reject_backoff > 0) return;
  thin_outbound(s);
  // Still full: the table holds only protected entries. Thinning again at once would free
  // nothing, so wait until a quarter of a table's worth of new subjects has been turned away.
  if (outbound_full(s)) {
    s.reject_backoff = std::max<std::size_t>(
        64, std::min({s.limits.max_servers, s.limits.max_clients, s.limits.max_pairs}) / 4);
  }
}

void reject(Analyzer::State& s) {
  ++s.stats.rejected;
  if (s.reject_backoff > 0) --s.reject_backoff;
}

std::uint32_t intern(Analyzer::State& s, const std::string& key) {
  std::uint32_t id = s.string_index.find(key);
  if (id != kNone) return id;
  if (s.strings.size() >= s.limits.max_strings) {
    reject(s);
    return kNone;
  }
  id = s.string_index.insert(key);
  s.strings.emplace_back();
  if (key.size() > 15) s.heap_bytes += key.capacity() + 1;
  return id;
}

// Records arrive in store order (about when flows ended), not by start: starts wait in a small
// sorted window and leave it smallest first.
void add_start(Pair& pair, std::int64_t start, std::uint64_t& out_of_order) {
  if (pair.has_last && start < pair.last) {
    ++out_of_order;
    return;
  }
  auto& pending = pair.pending;
  std::size_t count = pair.pending_count;
  if (count == kPendingStarts) {
    if (start < pending[0]) {
      emit_start(pair, start);
      return;
    }
    emit_start(pair, pending[0]);
    std::copy(pending.begin() + 1, pending.end(), pending.begin());
    --count;
  }
  std::size_t at = count;
  while (at > 0 && pending[at - 1] > start) {
    pending[at] = pending[at - 1];
    --at;
  }
  pending[at] = start;
  pair.pending_count = static_cast<std::uint8_t>(count + 1);
}

void add_pair(Analyzer::State& s, std::uint32_t client, std::uint32_t server, const Record& r,
              const Kinds& kinds) {
  const PairKey key{client, server};
  std::uint32_t index = s.pair_index.find(key);
  if (index == kNone) {
    if (s.pairs.size() >= s.limits.max_pairs) return reject(s);
    index = s.pair_index.insert(key);
    s.pairs.emplace_back();
  }
  Pair& pair = s.pairs[index];
  ++pair.records;
  pair.domestic = r.src.pseudonymized() || r.category == scope::Category::DF;
  add_start(pair, r.first_seen.nanos, s.stats.out_of_order);
  const double duration = static_cast<double>(r.last_seen.nanos - r.first_seen.nanos) / 1e9;
  pair.shape[0] += static_cast<float>(std::log1p(static_cast<double>(r.bytes[0])));
  pair.shape[1] += static_cast<float>(std::log1p(static_cast<double>(r.bytes[1])));
  pair.shape[2] += static_cast<float>(std::log1p(static_cast<double>(r.packets[0] + r.packets[1])));
  pair.shape[3] += static_cast<float>(std::log1p(std::max(0.0, duration)));
  if (kinds.ja3 || kinds.ja4) ++pair.fingerprint_records;
  if (!kinds.beacon) return;
  for (const sieve::Match& match : r.matches) {
    if (match.kind != RuleKind::beacon) continue;
    if (const auto* cv = find_measure(match, "cv"); cv != nullptr && cv->value >= 0) {
      if (pair.measured_cv < 0 || cv->value < pair.measured_cv) {
        pair.measured_cv = static_cast<float>(cv->value);
        const auto* interval = find_measure(match, "mean_interval_s");
        pair.measured_interval = interval != nullptr ? static_cast<float>(interval->value) : 0;
      }
    }
    if (const auto* n = find_measure(match, "connections"); n != nullptr && n->value > 0) {
      pair.measured_connections =
          std::max(pair.measured_connections, static_cast<std::uint32_t>(std::min(n->value, 4e9)));
    }
  }
}

void add_strings(Analyzer::State& s, Server& server, RecordId record_id, const Record& r,
                 const Kinds& kinds) {
  std::string& key = s.scratch;
  const std::size_t cap = s.limits.evidence_per_subject / 2;
  auto evidence = [&](std::uint32_t id) {
    s.heap_bytes += s.strings[id].evidence.add(record_id, cap);
  };
  auto add_name = [&](std::string_view text) {
    key.assign("n:");
    if (!name_of(text, key)) return;
    const std::uint32_t id = intern(s, key);
    if (id == kNone) return;
    server.names.add(id);
    evidence(id);
    if (kinds.domain) s.strings[id].covered = true;
  };
  if (r.tls) {
    const sieve::TlsInfo& tls = *r.tls;
    if (!tls.sni.empty()) add_name(tls.sni);
    if (!tls.ja3_hash.empty()) {
      key.assign("3:");
      key += tls.ja3_hash;
      for (char& c : key) c = (c >= 'A' && c <= 'F') ? static_cast<char>(c + 32) : c;
      if (const std::uint32_t id = intern(s, key); id != kNone) {
        server.ja3.add(id);
        evidence(id);
        if (kinds.ja3) s.strings[id].covered = true;
      }
    }
    if (!tls.ja4.empty()) {
      key.assign("4:");
      key += tls.ja4;
      if (const std::uint32_t id = intern(s, key); id != kNone) {
        server.ja4.add(id);
        evidence(id);
        if (kinds.ja4) s.strings[id].covered = true;
      }
    }
  }
  for (const sieve::HttpInfo& http : r.http) {
    if (!http.host.empty()) add_name(http.host);
  }
}

void add_outbound(Analyzer::State& s, RecordId id, const Record& r, Timestamp expires_at,
                  const Kinds& kinds) {
  maybe_thin_outbound(s);
  const EndpointKey server_key = key_of(r.dst);
  std::uint32_t server_index = s.server_index.find(server_key);
  if (server_index == kNone) {
    if (s.servers.size() >= s.limits.max_servers) return reject(s);
    server_index = s.server_index.insert(server_key);
    s.servers.emplace_back();
  }
  Server& server = s.servers[server_index];
  ++server.records;
  touch(server.first, server.last, server.expires, r, expires_at);
  if (kinds.indicator) ++server.indicator_records;
  if (kinds.ip) ++server.ip_rule_records;
  if (kinds.ja3 || kinds.ja4) ++server.fingerprint_records;
  if (kinds.port) ++server.port_rule_records;
  if (kinds.beacon) ++server.beacon_records;
  server.ports.add((std::uint32_t{r.protocol} << 16) | r.dst.port);
  if (r.tls) {
    ++server.tls_records;
    if (r.tls->sni.empty()) ++server.tls_no_sni;
    if (!is_tls_service_port(r.dst.port)) ++server.tls_odd_port;
  }
  add_strings(s, server, id, r, kinds);
  s.heap_bytes += server.evidence.add(id, s.limits.evidence_per_subject);
  s.heap_bytes += server.timeline.add(floor_div(r.first_seen.nanos, kNanosPerHour));

  const EndpointKey client_key = key_of(r.src);
  server.clients.add(EndpointHash{}(client_key));
  std::uint32_t client_index = s.client_index.find(client_key);
  if (client_index == kNone) {
    if (s.clients.size() >= s.limits.max_clients) return reject(s);
    client_index = s.client_index.insert(client_key);
    s.clients.emplace_back();
  }
  Client& client = s.clients[client_index];
  ++client.records;
  if (kinds.ja3 || kinds.ja4) ++client.fingerprint_records;
  add_pair(s, client_index, server_index, r, kinds);
}

// A DNS lookup whose name a domain rule lists says nothing against the resolver it went to:
// it marks the client as infected and the answers as known C2 addresses.
bool is_lookup(const Record& r) { return !r.dns.empty() && !r.tls && r.http.empty(); }

void add_lookup(Analyzer::State& s, const Record& r) {
  maybe_thin_outbound(s);
  const EndpointKey client_key = key_of(r.src);
  std::uint32_t client_index = s.client_index.find(client_key);
  if (client_index == kNone) {
    if (s.clients.size() >= s.limits.max_clients) return reject(s);
    client_index = s.client_index.insert(client_key);
    s.clients.emplace_back();
  }
  ++s.clients[client_index].records;
  ++s.clients[client_index].lookup_records;
  for (const sieve::DnsEntry& entry : r.dns) {
    for (const IpAddress& answer : entry.answers) {
      const EndpointKey key = key_of(answer, entry.answers_pseudonym_epoch);
      if (s.dns_known.find(key) != kNone) continue;
      if (s.dns_known.size() >= s.limits.max_strings) {
        reject(s);
        continue;
      }
      s.dns_known.insert(key);
    }
  }
}

void add_behaviour(Analyzer::State& s, EndpointIndex& index,
                   std::vector<BehaviourSubject>& subjects, const sieve::Endpoint& subject,
                   const sieve::Endpoint& peer, RuleKind kind, RecordId id, const Record& r,
                   Timestamp expires_at) {
  const EndpointKey key = key_of(subject);
  std::uint32_t at = index.find(key);
  if (at == kNone) {
    if (subjects.size() >= s.limits.max_behaviour_subjects) {
      ++s.stats.compactions;
      const std::vector<bool> keep = thin_mask(
          subjects.size(), s.limits.max_behaviour_subjects - s.limits.max_behaviour_subjects / 4,
          [&](std::size_t i) { return subjects[i].records; }, [](std::size_t) { return false; });
      index.compact(keep, [](std::uint32_t, EndpointKey k) { return k; });
      subjects = keep_entries(subjects, keep, s.heap_bytes, s.stats.evicted);
      if (subjects.size() >= s.limits.max_behaviour_subjects) return reject(s);
    }
    at = index.insert(key);
    subjects.emplace_back();
  }
  BehaviourSubject& b = subjects[at];
  ++b.records;
  touch(b.first, b.last, b.expires, r, expires_at);
  b.bytes[0] += r.bytes[0];
  b.bytes[1] += r.bytes[1];
  b.peers.add(EndpointHash{}(key_of(peer)));
  b.ports.add((std::uint32_t{r.protocol} << 16) | peer.port);
  s.heap_bytes += b.evidence.add(id, s.limits.evidence_per_subject);
  for (const sieve::Match& match : r.matches) {
    if (match.kind != kind) continue;
    for (const sieve::Measure& measure : match.measured) {
      auto name = std::find(s.measure_names.begin(), s.measure_names.end(), measure.name);
      if (name == s.measure_names.end()) {
        if (s.measure_names.size() >= kMaxMeasureNames) continue;
        s.measure_names.push_back(measure.name);
        name = s.measure_names.end() - 1;
      }
      const auto name_id = static_cast<std::uint32_t>(name - s.measure_names.begin());
      for (Measure& slot : b.measures) {
        if (slot.name == name_id) {
          slot.max = std::max(slot.max, measure.value);
          break;
        }
        if (slot.name == kNone) {
          slot = {name_id, measure.value};
          break;
        }
      }
    }
  }
}

}  // namespace

void emit_start(Pair& pair, std::int64_t start) {
  if (pair.has_last) {
    const double seconds = static_cast<double>(start - pair.last) / 1e9;
    if (seconds < kMinIntervalSeconds) return;  // same burst: keep its first start
    ++pair.intervals;
    const double delta = seconds - pair.mean;
    pair.mean += delta / pair.intervals;
    pair.m2 += delta * (seconds - pair.mean);
  }
  pair.last = start;
  pair.has_last = true;
}

std::size_t Timeline::add(std::int64_t hour) {
  const std::size_t before = counts_.capacity();
  if (counts_.empty()) {
    origin_ = hour;
    width_ = 1;
    counts_.push_back(1);
    return (counts_.capacity() - before) * sizeof(std::uint32_t);
  }
  for (;;) {
    if (hour < origin_) {
      const std::int64_t shift = (origin_ - hour + width_ - 1) / width_;
      if (counts_.size() + static_cast<std::size_t>(shift) <= kTimelineBuckets) {
        counts_.insert(counts_.begin(), static_cast<std::size_t>(shift), 0);
        origin_ -= shift * width_;
        continue;
      }
      widen();
      continue;
    }
    const std::int64_t index = (hour - origin_) / width_;
    if (index < static_cast<std::int64_t>(kTimelineBuckets)) {
      const auto at = static_cast<std::size_t>(index);
      if (at >= counts_.size()) counts_.resize(at + 1, 0);
      ++counts_[at];
      break;
    }
    widen();
  }
  return (counts_.capacity() - before) * sizeof(std::uint32_t);
}

void Timeline::widen() {
  const std::int64_t width = width_ * 2;
  const std::int64_t origin = floor_div(origin_, width) * width;
  std::vector<std::uint32_t> merged;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    const std::int64_t start = origin_ + static_cast<std::int64_t>(i) * width_;
    const auto at = static_cast<std::size_t>((start - origin) / width);
    if (at >= merged.size()) merged.resize(at + 1, 0);
    merged[at] += counts_[i];
  }
  counts_ = std::move(merged);
  origin_ = origin;
  width_ = width;
}

template <std::size_t Bits>
double DistinctCounter<Bits>::estimate() const {
  int set = 0;
  for (std::uint64_t word : words) set += std::popcount(word);
  const double m = Bits;
  const int zeros = static_cast<int>(Bits) - set;
  if (zeros == 0) return m * std::log(m);  // saturated: at least this many
  return -m * std::log(static_cast<double>(zeros) / m);
}

template struct DistinctCounter<256>;
template struct DistinctCounter<512>;

}  // namespace detail

std::size_t Analyzer::State::memory_bytes() const {
  return sizeof(State) + server_index.memory_bytes() + servers.capacity() * sizeof(detail::Server) +
         client_index.memory_bytes() + clients.capacity() * sizeof(detail::Client) +
         pair_index.memory_bytes() + pairs.capacity() * sizeof(detail::Pair) +
         string_index.memory_bytes() + strings.capacity() * sizeof(detail::StringInfo) +
         scanner_index.memory_bytes() + scanners.capacity() * sizeof(detail::BehaviourSubject) +
         victim_index.memory_bytes() + victims.capacity() * sizeof(detail::BehaviourSubject) +
         dns_known.memory_bytes() + heap_bytes;
}

Analyzer::Analyzer(AnalyzerLimits limits) : state_(std::make_unique<State>()) {
  limits.evidence_per_subject = std::min(limits.evidence_per_subject, kMaxEvidence);
  limits.max_servers = std::max<std::size_t>(limits.max_servers, 4);
  limits.max_clients = std::max<std::size_t>(limits.max_clients, 4);
  limits.max_pairs = std::max<std::size_t>(limits.max_pairs, 4);
  limits.max_behaviour_subjects = std::max<std::size_t>(limits.max_behaviour_subjects, 4);
  state_->limits = limits;
}

Analyzer::~Analyzer() = default;
Analyzer::Analyzer(Analyzer&&) noexcept = default;
Analyzer& Analyzer::operator=(Analyzer&&) noexcept = default;

void Analyzer::add(RecordId id, const sieve::Record& record, Timestamp expires_at) {
  using detail::Kinds;
  State& s = *state_;
  if (s.finished) return;
  AnalysisStats& stats = s.stats;
  if (stats.records == 0 || record.first_seen < stats.first_record) {
    stats.first_record = record.first_seen;
  }
  stats.last_record = std::max(stats.last_record, record.first_seen);
  ++stats.records;
  if (record.category == scope::Category::DD) {
    ++stats.records_ignored;  // never stored (I3); defensive
    return;
  }
  const Kinds kinds = detail::classify(record.matches);
  bool used = false;
  if (kinds.scan) {
    detail::add_behaviour(s, s.scanner_index, s.scanners, record.src, record.dst,
                          sieve::RuleKind::scan, id, record, expires_at);
  }
  if (kinds.amplification) {
    // The victim receives datagrams from the service port (sieve/behaviour.h): the side that
    // is not on the match's `service_port`, or without it, the side on the higher port.
    bool victim_is_src = record.src.port >= record.dst.port;
    for (const sieve::Match& match : record.matches) {
      if (match.kind != sieve::RuleKind::amplification) continue;
      if (const auto* port = detail::find_measure(match, "service_port"); port != nullptr) {
        victim_is_src = record.src.port != static_cast<std::uint16_t>(port->value);
      }
    }
    const sieve::Endpoint& victim = victim_is_src ? record.src : record.dst;
    const sieve::Endpoint& reflector = victim_is_src ? record.dst : record.src;
    detail::add_behaviour(s, s.victim_index, s.victims, victim, reflector,
                          sieve::RuleKind::amplification, id, record, expires_at);
  }
  if (kinds.scan || kinds.amplification) {
    ++stats.records_behaviour;
    used = true;
  }
  const bool outbound =
      record.category == scope::Category::DF || record.category == scope::Category::FF;
  const bool behaviour_only = (kinds.scan || kinds.amplification) && !kinds.other_than_behaviour;
  if (outbound && kinds.domain && detail::is_lookup(record)) {
    detail::add_lookup(s, record);
    ++stats.records_outbound;
    used = true;
  } else if (outbound && !behaviour_only) {
    detail::add_outbound(s, id, record, expires_at, kinds);
    ++stats.records_outbound;
    used = true;
  }
  if (!used) ++stats.records_ignored;
  if ((stats.records & 0xfff) == 0) {
    stats.peak_memory_bytes = std::max<std::uint64_t>(stats.peak_memory_bytes, s.memory_bytes());
  }
}

AnalysisStats Analyzer::stats() const {
  const State& s = *state_;
  AnalysisStats stats = s.stats;
  stats.servers = s.servers.size();
  stats.clients = s.clients.size();
  stats.pairs = s.pairs.size();
  stats.strings = s.strings.size();
  stats.behaviour_subjects = s.scanners.size() + s.victims.size();
  stats.peak_memory_bytes = std::max<std::uint64_t>(stats.peak_memory_bytes, s.memory_bytes());
  return stats;
}

std::size_t Analyzer::memory_bytes() const { return state_->memory_bytes(); }

AnalysisResult Analyzer::finish(const AnalysisOptions& options) {
  AnalysisResult result;
  result.stats = stats();
  if (state_->finished) return result;
  state_->finished = true;
  detail::score(*state_, options, result);
  return result;
}

}  // namespace mamori::analysis
