#pragma once
// analysis/analyzer_state: the Analyzer's tables (internal to the module). Every table is a
// dense vector of aggregates indexed by a FlatIndex (open addressing over 32-bit positions),
// so an entry costs its aggregate plus ~12 bytes of index, iteration follows insertion order
// (deterministic output), and thinning a table is one pass that keeps a mask.
//
// Entry sizes (x86-64, GCC 12; index ≈ key + 8 B of slots), used by README.md:
//   Server 344 B + 32 B index + evidence (≤ 8 B × evidence_per_subject) + timeline (≤ 4 B × 48)
//   Pair 104 B + 16 B index;  Client 12 B + 32 B index;  string 40 B + 32 B + text + evidence
//   behaviour subject 280 B + 32 B index + evidence

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "mamori/analysis/analyzer.h"
#include "mamori/analysis/finding.h"
#include "mamori/core/ip.h"

namespace mamori::analysis::detail {

inline constexpr std::uint32_t kNone = 0xffffffffu;
// Connection starts of one pair closer than this are one burst (parallel connections), not an
// interval of the beacon.
inline constexpr double kMinIntervalSeconds = 1.0;
inline constexpr std::size_t kPendingStarts = 4;  // reorder window per pair
inline constexpr std::size_t kTimelineBuckets = 48;
inline constexpr std::size_t kMaxMeasureNames = 64;
inline constexpr std::size_t kMeasuresPerSubject = 8;

inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// An address (16 bytes, IPv4-mapped for IPv4) and its pseudonym epoch, as two words so that
// hashing and comparing never touch memcmp.
struct EndpointKey {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  std::uint32_t epoch = 0;
  bool operator==(const EndpointKey&) const = default;

  IpAddress address() const {
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &high, 8);
    std::memcpy(bytes.data() + 8, &low, 8);
    return IpAddress::v6(bytes);
  }
};

inline EndpointKey key_of(const IpAddress& ip, std::uint32_t epoch) {
  EndpointKey key;
  std::memcpy(&key.high, ip.bytes().data(), 8);
  std::memcpy(&key.low, ip.bytes().data() + 8, 8);
  key.epoch = epoch;
  return key;
}

inline EndpointKey key_of(const sieve::Endpoint& endpoint) {
  return key_of(endpoint.ip, endpoint.pseudonym_epoch);
}

struct EndpointHash {
  std::uint64_t operator()(const EndpointKey& key) const {
    return mix64(key.high ^ mix64(key.low ^ (std::uint64_t{key.epoch} << 32)));
  }
};

struct PairKey {
  std::uint32_t client = 0;
  std::uint32_t server = 0;
  bool operator==(const PairKey&) const = default;
};

struct PairHash {
  std::uint64_t operator()(const PairKey& key) const {
    return mix64((std::uint64_t{key.client} << 32) | key.server);
  }
};

struct StringHash {
  std::uint64_t operator()(const std::string& key) const {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : key) h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001b3ULL;
    return mix64(h);
  }
};

// Key → dense position. Keys are unique; insert() is only called for absent keys.
template <class Key, class Hash>
class FlatIndex {
 public:
  std::size_t size() const { return keys_.size(); }
  const Key& key(std::uint32_t index) const { return keys_[index]; }
  const std::vector<Key>& keys() const { return keys_; }

  std::uint32_t find(const Key& key) const {
    if (slots_.empty()) return kNone;
    for (std::size_t slot = Hash{}(key)&mask_;; slot = (slot + 1) & mask_) {
      const std::uint32_t index = slots_[slot];
      if (index == kNone) return kNone;
      if (keys_[index] == key) return index;
    }
  }

  std::uint32_t insert(Key key) {
    if ((keys_.size() + 1) * 2 > slots_.size()) {
      resize(std::max<std::size_t>(16, slots_.size() * 2));
    }
    const auto index = static_cast<std::uint32_t>(keys_.size());
    keys_.push_back(std::move(key));
    place(index);
    return index;
  }

  // Keeps the entries with keep[i], in order, after replacing every kept key by
  // `rekey(old index, key)`; returns old → new positions (kNone when dropped).
  template <class Rekey>
  std::vector<std::uint32_t> compact(const std::vector<bool>& keep, Rekey rekey) {
    std::vector<std::uint32_t> remap(keys_.size(), kNone);
    std::vector<Key> kept;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (!keep[i]) continue;
      remap[i] = static_cast<std::uint32_t>(kept.size());
      kept.push_back(rekey(static_cast<std::uint32_t>(i), std::move(keys_[i])));
    }
    keys_ = std::move(kept);
    keys_.shrink_to_fit();
    std::size_t slots = 16;
    while (slots < keys_.size() * 2) slots *= 2;
    resize(slots);
    return remap;
  }

  std::size_t memory_bytes() const {
    return keys_.capacity() * sizeof(Key) + slots_.capacity() * sizeof(std::uint32_t);
  }

 private:
  void place(std::uint32_t index) {
    for (std::size_t slot = Hash{}(keys_[index]) & mask_;; slot = (slot + 1) & mask_) {
      if (slots_[slot] == kNone) {
        slots_[slot] = index;
        return;
      }
    }
  }
  void resize(std::size_t slots) {
    slots_.assign(slots, kNone);
    slots_.shrink_to_fit();
    mask_ = slots - 1;
    for (std::size_t i = 0; i < keys_.size(); ++i) place(static_cast<std::uint32_t>(i));
  }

  std::vector<Key> keys_;
  std::vector<std::uint32_t> slots_;
  std::size_t mask_ = 0;
};

// The few most frequent values of something per subject (ports, names, fingerprints): the
// first N distinct values with their counts, and how often any other value occurred.
template <std::size_t N>
struct TopIds {
  struct Item {
    std::uint32_t id = kNone;
    std::uint32_t count = 0;
  };
  std::array<Item, N> items{};
  std::uint32_t other = 0;

  void add(std::uint32_t id) {
    for (Item& item : items) {
      if (item.id == id) {
        ++item.count;
        return;
      }
      if (item.id == kNone) {
        item = {id, 1};
        return;
      }
    }
    ++other;
  }
  // The most frequent tracked value, or kNone.
  std::uint32_t top() const {
    const Item* best = nullptr;
    for (const Item& item : items) {
      if (item.id != kNone && (best == nullptr || item.count > best->count)) best = &item;
    }
    return best != nullptr ? best->id : kNone;
  }
};

// Approximate count of distinct values (linear counting over a bitmap of `Bits` bits): exact
// enough while the count is below ~Bits, saturating at about Bits·ln(Bits). Used where the
// exact sets (pairs) may be thinned.
template <std::size_t Bits>
struct DistinctCounter {
  std::array<std::uint64_t, Bits / 64> words{};

  void add(std::uint64_t hash) {
    const std::uint64_t bit = hash % Bits;
    words[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
  double estimate() const;
};

// Record ids kept as evidence: the first half of the cap, then a ring of the latest ones.
class Evidence {
 public:
  // Returns the growth of the heap capacity in bytes.
  std::size_t add(RecordId id, std::size_t cap) {
    if (ids_.size() < cap) {
      const std::size_t before = ids_.capacity();
      ids_.push_back(id);
      return (ids_.capacity() - before) * sizeof(RecordId);
    }
    const std::size_t head = cap / 2;
    const std::size_t ring = cap - head;
    if (ring == 0) return 0;
    ids_[head + next_] = id;
    next_ = static_cast<std::uint32_t>((next_ + 1) % ring);
    return 0;
  }
  const std::vector<RecordId>& ids() const { return ids_; }
  std::size_t heap_bytes() const { return ids_.capacity() * sizeof(RecordId); }

 private:
  std::vector<RecordId> ids_;
  std::uint32_t next_ = 0;
};

// Counts per bucket of `width` hours from hour `origin` (hours since the epoch), at most
// kTimelineBuckets buckets: when a record falls outside, buckets double in width.
class Timeline {
 public:
  // Returns the growth of the heap capacity in bytes.
  std::size_t add(std::int64_t hour);
  std::int64_t origin_hour() const { return origin_; }
  std::int64_t width_hours() const { return width_; }
  const std::vector<std::uint32_t>& counts() const { return counts_; }
  std::size_t heap_bytes() const { return counts_.capacity() * sizeof(std::uint32_t); }

 private:
  void widen();
  std::int64_t origin_ = 0;
  std::int64_t width_ = 1;
  std::vector<std::uint32_t> counts_;
};

// A foreign responder (the remote end of DF and FF flows).
struct Server {
  std::int64_t first = std::numeric_limits<std::int64_t>::max();  // ns
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  std::int64_t expires = 0;
  std::uint32_t records = 0;
  std::uint32_t indicator_records = 0;    // an ip, domain or bytes rule matched
  std::uint32_t ip_rule_records = 0;      // an ip rule matched (the address is covered)
  std::uint32_t fingerprint_records = 0;  // a ja3 or ja4 rule matched (implant client)
  std::uint32_t port_rule_records = 0;
  std::uint32_t beacon_records = 0;  // a beacon behaviour rule matched
  std::uint32_t tls_records = 0;
  std::uint32_t tls_no_sni = 0;
  std::uint32_t tls_odd_port = 0;
  std::uint32_t thinned_pairs = 0;  // pairs of it dropped by thinning: count clients by `clients`
  TopIds<4> ports;                  // protocol << 16 | port
  TopIds<4> ja3;                    // string ids
  TopIds<4> ja4;
  TopIds<4> names;               // SNI and HTTP Host names
  DistinctCounter<512> clients;  // distinct initiators, survives thinning of pairs
  Evidence evidence;
  Timeline timeline;

  bool known() const { return indicator_records + fingerprint_records > 0; }
};

struct Client {
  std::uint32_t records = 0;
  std::uint32_t fingerprint_records = 0;  // ja3/ja4 rule matches: the client runs the implant
  std::uint32_t lookup_records = 0;       // DNS lookups of a name a domain rule lists
};

struct Pair {
  std::uint32_t records = 0;
  std::uint32_t intervals = 0;
  std::uint32_t fingerprint_records = 0;
  std::uint32_t measured_connections = 0;
  std::int64_t last = 0;  // the latest start turned into an interval (ns)
  std::array<std::int64_t, kPendingStarts> pending{};  // sorted, not yet turned into intervals
  std::uint8_t pending_count = 0;
  bool has_last = false;
  bool domestic = false;   // the client is a domestic pseudonym
  float measured_cv = -1;  // best (lowest) cv a beacon rule measured; -1: none
  float measured_interval = 0;
  double mean = 0;  // Welford over intervals (s)
  double m2 = 0;
  std::array<float, 4> shape{};  // sums of log1p(bytes fwd, bytes rev, packets, duration s)
};

// Turns a connection start into an interval of the pair (Welford), unless it is part of the
// burst of the previous start (closer than kMinIntervalSeconds).
void emit_start(Pair& pair, std::int64_t start);

struct StringInfo {
  bool covered = false;  // a record carrying it matched a rule of its kind
  Evidence evidence;     // records carrying it (at most half the subject cap)
};

struct Measure {
  std::uint32_t name = kNone;  // index into State::measure_names
  double max = 0;
};

// A scanner (initiator of scan matches) or an amplification victim.
struct BehaviourSubject {
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  std::int64_t expires = 0;
  std::uint32_t records = 0;
  std::array<std::uint64_t, 2> bytes{};
  std::array<Measure, kMeasuresPerSubject> measures{};
  DistinctCounter<256> peers;
  TopIds<4> ports;  // the peers' ports
  Evidence evidence;
};

using EndpointIndex = FlatIndex<EndpointKey, EndpointHash>;

}  // namespace mamori::analysis::detail

namespace mamori::analysis {

struct Analyzer::State {
  AnalyzerLimits limits;
  detail::EndpointIndex server_index;
  std::vector<detail::Server> servers;
  detail::EndpointIndex client_index;
  std::vector<detail::Client> clients;
  detail::FlatIndex<detail::PairKey, detail::PairHash> pair_index;
  std::vector<detail::Pair> pairs;
  detail::FlatIndex<std::string, detail::StringHash> string_index;  // "n:", "3:", "4:" + text
  std::vector<detail::StringInfo> strings;
  detail::EndpointIndex scanner_index;
  std::vector<detail::BehaviourSubject> scanners;
  detail::EndpointIndex victim_index;
  std::vector<detail::BehaviourSubject> victims;
  std::vector<std::string> measure_names;
  // Answers of DNS lookups of listed names: servers at these addresses are known C2.
  detail::EndpointIndex dns_known;
  AnalysisStats stats;
  std::string scratch;               // key buffer, so that lookups do not allocate
  std::size_t heap_bytes = 0;        // evidence, timelines and string texts
  std::uint64_t reject_backoff = 0;  // rejections to wait for before thinning again
  bool finished = false;

  std::size_t memory_bytes() const;
};

}  // namespace mamori::analysis
