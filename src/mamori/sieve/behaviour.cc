#include "mamori/sieve/behaviour.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mamori/core/sketch.h"

namespace mamori::sieve {
namespace {

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint8_t kIcmpV6 = 58;
constexpr std::uint8_t kTcpSyn = 0x02;
constexpr std::uint8_t kTcpRst = 0x04;
constexpr std::uint8_t kTcpAck = 0x10;

// Whether a new flow looks opened by its initiator (behaviour.h, scan). ICMP flows carry the
// type in the initiator port (flow/flow_key.h): only request types open anything.
bool is_attempt(const BehaviourFlow& flow, std::uint8_t first_tcp_flags) {
  switch (flow.protocol) {
    case kTcp:
      return (first_tcp_flags & kTcpSyn) != 0;
    case kUdp:
      return !(flow.initiator_port < 1024 && flow.responder_port >= 1024);
    case kIcmp:
      return flow.initiator_port == 8 || flow.initiator_port == 13 || flow.initiator_port == 15 ||
             flow.initiator_port == 17;
    case kIcmpV6:
      return flow.initiator_port == 128 || flow.initiator_port == 139;
    default:
      return true;
  }
}

// Admission marks (sketch estimates): low enough that an actor is tracked early, high enough
// that the bulk of one-off subjects stays in the sketch.
constexpr std::uint32_t kScanAdmit = 4;                   // attempts
constexpr std::uint32_t kBeaconAdmit = 2;                 // starts
constexpr std::uint64_t kAmplificationAdmitDivisor = 64;  // of min_response_bytes

// ---- The bounded table -------------------------------------------------------------------------
// Buckets of kWays ways. The directory line of a bucket holds per way what eviction needs
// (tag, epoch of the last event, score, flags), so that choosing a victim reads one cache line;
// the entries themselves sit in a separate array.

constexpr std::size_t kWays = 8;
constexpr std::uint16_t kUsed = 0x8000;
constexpr std::uint16_t kFlagged = 0x4000;    // flagged at its latest crossing (hold may be over)
constexpr std::uint16_t kProtected = 0x2000;  // had an event after its admission
constexpr std::uint16_t kScoreMask = 0x1fff;  // scores saturate at 8191

struct Slot {
  std::uint32_t tag = 0;
  std::uint16_t epoch = 0;  // low 16 bits of the rule epoch of its latest event
  std::uint16_t meta = 0;
};

struct alignas(64) Bucket {
  std::array<Slot, kWays> ways{};
};
static_assert(sizeof(Bucket) == 64);

std::uint32_t score_of(const Slot& slot) { return slot.meta & kScoreMask; }

void set_score(Slot& slot, std::uint64_t score) {
  const auto capped = static_cast<std::uint16_t>(std::min<std::uint64_t>(score, kScoreMask));
  slot.meta = static_cast<std::uint16_t>((slot.meta & ~kScoreMask) | capped);
}

// Ages (in epochs since a way's latest event) from which its subject holds nothing: its counts
// have rolled out of the window, and a flag's hold is over.
struct Staleness {
  std::uint16_t unflagged = 2;
  std::uint16_t flagged = 3;
};

struct PairKey {
  IpAddress initiator;
  IpAddress responder;
  std::uint16_t port = 0;
  std::uint8_t protocol = 0;
};

// Key comparisons as 64-bit words (IpAddress's defaulted comparison calls memcmp).
bool same_key(const IpAddress& a, const IpAddress& b) {
  std::array<std::uint64_t, 2> x{};
  std::array<std::uint64_t, 2> y{};
  std::memcpy(x.data(), a.bytes().data(), 16);
  std::memcpy(y.data(), b.bytes().data(), 16);
  return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}
bool same_key(const PairKey& a, const PairKey& b) {
  return a.port == b.port && a.protocol == b.protocol && same_key(a.initiator, b.initiator) &&
         same_key(a.responder, b.responder);
}

enum class ClaimResult { empty, expired, expired_flagged, evicted, refused };

template <class Entry>
class Table {
 public:
  static constexpr std::size_t kBytesPerBucket = sizeof(Bucket) + kWays * sizeof(Entry);

  struct Ref {
    Slot* slot = nullptr;
    Entry* entry = nullptr;
    explicit operator bool() const { return slot != nullptr; }
  };

  Table() = default;
  explicit Table(std::size_t buckets) : buckets_(buckets), entries_(buckets * kWays) {}

  // The most buckets whose directory and entries occupy at most `bytes` (at least one).
  static std::size_t buckets_for(std::size_t bytes) {
    std::size_t buckets = std::max<std::size_t>(1, bytes / kBytesPerBucket);
    while (buckets > 1 && footprint(buckets) > bytes) --buckets;
    return buckets;
  }
  static std::size_t footprint(std::size_t buckets) {
    return FixedArray<Bucket>::footprint(buckets * sizeof(Bucket)) +
           FixedArray<Entry>::footprint(buckets * kWays * sizeof(Entry));
  }

  // Always inlined, like every prefetch helper here: GCC deletes calls to a function that only
  // prefetches (it finds it "pure").
  [[gnu::always_inline]] void prefetch(std::uint64_t hash) const {
    __builtin_prefetch(&buckets_[reduce_hash(hash, buckets_.size())]);
  }

  template <class Key>
  Ref find(std::uint64_t hash, const Key& key) {
    const std::size_t b = reduce_hash(hash, buckets_.size());
    const auto tag = static_cast<std::uint32_t>(hash);
    Bucket& bucket = buckets_[b];
    // The ways whose tag matches, without a branch per way; then their keys (almost always
    // none or one).
    unsigned candidates = 0;
    for (std::size_t i = 0; i < kWays; ++i) {
      const Slot& slot = bucket.ways[i];
      candidates |= static_cast<unsigned>((slot.meta & kUsed) != 0 && slot.tag == tag) << i;
    }
    while (candidates != 0) {
      const auto i = static_cast<std::size_t>(std::countr_zero(candidates));
      candidates &= candidates - 1;
      if (same_key(entries_[b * kWays + i].key, key))
        return {&bucket.ways[i], &entries_[b * kWays + i]};
    }
    return {};
  }

  // Finds a way for a new subject whose sketch estimate is `value` (in score units); see the
  // policy in behaviour.h. On success `out` is the way, marked used with score `value`; the
  // caller initializes the entry.
  ClaimResult claim(std::uint64_t hash, std::uint64_t value, std::uint16_t epoch, Staleness stale,
                    Ref& out) {
    const std::size_t b = reduce_hash(hash, buckets_.size());
    const Bucket& bucket = buckets_[b];
    // One pass without a branch per way: the free ways (empty, or stale) as a mask, and the
    // least valuable unflagged way as the lowest (rank, aged score), the first on ties.
    unsigned free_ways = 0;
    std::uint32_t best_key = std::numeric_limits<std::uint32_t>::max();
    std::size_t best = kWays;
    for (std::size_t i = 0; i < kWays; ++i) {
      const Slot& slot = bucket.ways[i];
      const auto age = static_cast<std::uint16_t>(epoch - slot.epoch);
      const bool flagged = (slot.meta & kFlagged) != 0;
      const bool is_free =
          (slot.meta & kUsed) == 0 || age >= (flagged ? stale.flagged : stale.unflagged);
      free_ways |= static_cast<unsigned>(is_free) << i;
      const std::uint32_t rank = (slot.meta & kProtected) != 0 ? 1 : 0;
      const std::uint32_t score = score_of(slot) >> std::min<int>(age, 15);
      const std::uint32_t key =
          flagged ? std::numeric_limits<std::uint32_t>::max() : (rank << 16) | score;
      best = key < best_key ? i : best;
      best_key = std::min(key, best_key);
    }
    if (free_ways != 0) {
      const auto i = static_cast<std::size_t>(std::countr_zero(free_ways));
      const Slot& slot = bucket.ways[i];
      const ClaimResult result = (slot.meta & kUsed) == 0      ? ClaimResult::empty
                                 : (slot.meta & kFlagged) != 0 ? ClaimResult::expired_flagged
                                                               : ClaimResult::expired;
      return take(b, i, hash, value, epoch, out, result);
    }
    if (best == kWays || value <= (best_key & 0xffff)) return ClaimResult::refused;
    return take(b, best, hash, value, epoch, out, ClaimResult::evicted);
  }

  // Calls f(slot, entry) for every used way.
  template <class F>
  void for_each_used(F f) const {
    for (std::size_t b = 0; b < buckets_.size(); ++b) {
      for (std::size_t i = 0; i < kWays; ++i) {
        const Slot& slot = buckets_[b].ways[i];
        if ((slot.meta & kUsed) != 0) f(slot, entries_[b * kWays + i]);
      }
    }
  }

  std::size_t capacity() const { return entries_.size(); }
  std::size_t memory_bytes() const { return buckets_.memory_bytes() + entries_.memory_bytes(); }

 private:
  ClaimResult take(std::size_t b, std::size_t i, std::uint64_t hash, std::uint64_t value,
                   std::uint16_t epoch, Ref& out, ClaimResult result) {
    Slot& slot = buckets_[b].ways[i];
    slot.tag = static_cast<std::uint32_t>(hash);
    slot.epoch = epoch;
    slot.meta = kUsed;
    set_score(slot, value);
    out = {&slot, &entries_[b * kWays + i]};
    return result;
  }

  FixedArray<Bucket> buckets_;
  FixedArray<Entry> entries_;
};

// ---- Entries ---------------------------------------------------------------------------------

struct alignas(64) ScanEntry {
  IpAddress key;
  std::int64_t epoch = 0;                   // the epoch of index 0 below
  std::int64_t grace_slot = 0;              // the reply-grace slot of pending[0]
  std::int64_t tracked_since = 0;           // ns
  std::int64_t hold_until = 0;              // ns; flagged while time < hold_until
  std::array<std::uint32_t, 2> attempts{};  // [0] current epoch, [1] previous
  std::array<std::uint32_t, 2> answered{};
  std::array<std::uint32_t, 2> pending{};  // attempts of the current / previous grace slot
  std::uint32_t seen = 0;                  // attempts since admission (saturating)
  std::uint32_t next_check = 0;            // check thresholds when `seen` reaches this
  // The latest crossing check: the values a hit reports.
  std::uint32_t snap_targets = 0;
  std::uint32_t snap_attempts = 0;
  std::uint32_t snap_answered = 0;
  std::uint32_t snap_pending = 0;
  std::int64_t snap_span = 0;  // ns
  TwoEpochHyperLogLog<7> targets;
};
static_assert(sizeof(ScanEntry) == 256);

struct alignas(64) AmplificationEntry {
  IpAddress key;
  std::int64_t epoch = 0;
  std::int64_t tracked_since = 0;
  std::int64_t hold_until = 0;
  std::array<std::uint64_t, 2> response{};  // [0] current epoch, [1] previous
  std::array<std::uint64_t, 2> request{};
  std::uint16_t majority_port = 0;  // Boyer–Moore majority vote over response datagrams
  std::uint32_t majority_votes = 0;
  std::uint64_t snap_response = 0;
  std::uint64_t snap_request = 0;
  std::int64_t snap_span = 0;
  std::uint16_t snap_port = 0;
};
static_assert(sizeof(AmplificationEntry) == 128);

struct alignas(64) BeaconEntry {
  PairKey key;
  std::uint8_t gaps = 0;  // kept gaps, ≤ kMaxBeaconGaps
  std::uint8_t head = 0;  // next write position in gap_ms
  std::int64_t last_start = 0;
  std::int64_t hold_until = 0;
  std::array<std::uint32_t, kMaxBeaconGaps> gap_ms{};
  std::uint32_t snap_connections = 0;
  double snap_mean_ms = 0;
  double snap_cv = 0;
  double snap_span_ms = 0;
  std::uint32_t snap_server_clients = 0;
  std::uint16_t counted_epoch = 0;  // the epoch in which the pair last counted for its server
  std::uint8_t snap_client_series = 0;
};
static_assert(sizeof(BeaconEntry) == 192);

// The regular series one client keeps (behaviour.h, beacon: client_series). Times in whole
// seconds of packet time: "current" is judged against twice an interval of at least 1 s.
struct alignas(64) ClientSeriesEntry {
  std::uint64_t client = 0;  // the client's keyed hash; 0: empty
  struct Series {
    std::uint32_t target = 0;  // the target's keyed hash, high half; 0: empty
    std::uint32_t last_s = 0;  // the latest start while regular
    std::uint32_t mean_s = 0;  // its mean interval, rounded up
  };
  std::array<Series, kMaxClientSeries> series{};
};
static_assert(sizeof(ClientSeriesEntry) == 64);

std::uint32_t whole_seconds(Timestamp time) {
  const std::int64_t s = time.nanos / 1'000'000'000;
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, 0, 0xffff'ffff));
}

bool current(const ClientSeriesEntry::Series& series, std::uint32_t now_s) {
  return series.target != 0 && now_s >= series.last_s &&
         std::uint64_t{now_s - series.last_s} <= 2 * std::uint64_t{series.mean_s};
}

// Direct-mapped by the client's keyed hash (a crafted address cannot aim at a slot).
class ClientSeriesTable {
 public:
  ClientSeriesTable() = default;
  explicit ClientSeriesTable(std::size_t bytes) : slots_(std::max<std::size_t>(1, bytes / 64)) {}

  std::size_t memory_bytes() const { return slots_.memory_bytes(); }

  // A series of `client` to `target` is regular at `now_s` with the mean interval `mean_s`.
  void note(std::uint64_t client, std::uint32_t target, std::uint32_t now_s, std::uint32_t mean_s) {
    ClientSeriesEntry& e = slot(client);
    if (e.client != client) {
      const bool held = std::any_of(e.series.begin(), e.series.end(),
                                    [&](const auto& s) { return current(s, now_s); });
      if (held) return;  // another client's series are current: this one is not remembered
      e = ClientSeriesEntry{};
      e.client = client;
    }
    // Its own series, else an empty or past one, else the one that started longest ago.
    ClientSeriesEntry::Series* place = nullptr;
    for (auto& s : e.series) {
      if (s.target == target) {
        place = &s;
        break;
      }
    }
    if (place == nullptr) {
      for (auto& s : e.series) {
        if (!current(s, now_s) && (place == nullptr || s.last_s < place->last_s)) place = &s;
      }
    }
    if (place == nullptr) {
      place = &*std::min_element(e.series.begin(), e.series.end(),
                                 [](const auto& a, const auto& b) { return a.last_s < b.last_s; });
    }
    *place = {target, now_s, std::max<std::uint32_t>(1, mean_s)};
  }

  // The client's current series other than the one to `target`.
  std::uint32_t others(std::uint64_t client, std::uint32_t target, std::uint32_t now_s) const {
    const ClientSeriesEntry& e = slots_[index(client)];
    if (e.client != client) return 0;
    return static_cast<std::uint32_t>(std::count_if(e.series.begin(), e.series.end(), [&](auto& s) {
      return s.target != target && current(s, now_s);
    }));
  }

 private:
  std::size_t index(std::uint64_t client) const {
    return reduce_hash(remix64(client), slots_.size());
  }
  ClientSeriesEntry& slot(std::uint64_t client) { return slots_[index(client)]; }
  FixedArray<ClientSeriesEntry> slots_;
};

// ---- Rules -----------------------------------------------------------------------------------

std::int64_t epoch_of(Timestamp time, std::int64_t epoch_nanos) {
  return time.nanos <= 0 ? 0 : time.nanos / epoch_nanos;
}

double seconds(std::int64_t nanos) { return static_cast<double>(nanos) / 1e9; }

// A hit's measured values, each name built once in place from a literal of known length (an
// initializer list of Measure would build every name twice: hits are built per selected flow).
std::vector<Measure> measure_list(
    std::initializer_list<std::pair<std::string_view, double>> values) {
  std::vector<Measure> out;
  out.reserve(values.size());
  for (const auto& [name, value] : values) out.push_back(Measure{std::string(name), value});
  return out;
}

struct RuleBase {
  std::int64_t epoch_nanos = 1;
  std::int64_t epoch = -1;                                            // the latest epoch seen
  std::int64_t epoch_end = std::numeric_limits<std::int64_t>::min();  // ns; where it ends
  Timestamp latest;                                                   // the latest event time seen
  std::uint64_t flagged_ways = 0;  // ways with kFlagged set (≥ the subjects within a hold)
  Staleness stale;
  BehaviourRuleStats stats;

  std::uint16_t epoch16() const { return static_cast<std::uint16_t>(epoch); }

  // Moves the rule's clock to `time`; returns how many epochs passed (sketches age by that).
  std::int64_t advance(Timestamp time) {
    latest = std::max(latest, time);
    if (time.nanos < epoch_end) return 0;  // the common case, without a division
    const std::int64_t now = epoch_of(time, epoch_nanos);
    if (now <= epoch) return 0;
    const std::int64_t passed = epoch < 0 ? 0 : now - epoch;
    epoch = now;
    epoch_end = now < std::numeric_limits<std::int64_t>::max() / epoch_nanos - 1
                    ? (now + 1) * epoch_nanos
                    : std::numeric_limits<std::int64_t>::max();
    return passed;
  }

  // An event of a tracked subject: its score ages by the epochs it was idle; it is protected.
  void touch(Slot& slot) const {
    const auto age = static_cast<std::uint16_t>(epoch16() - slot.epoch);
    if (age > 0) set_score(slot, score_of(slot) >> std::min<int>(age, 15));
    slot.epoch = epoch16();
    slot.meta |= kProtected;
  }

  void set_flag(Slot& slot) {
    if ((slot.meta & kFlagged) != 0) return;
    slot.meta |= kFlagged;
    ++flagged_ways;
    ++stats.flagged;
  }
  // Clears the way's flag once the hold is over, so it can be evicted again.
  void expire_flag(Slot& slot, std::int64_t hold_until, Timestamp time) {
    if (time.nanos < hold_until) return;
    clear_flag(slot);
  }
  void clear_flag(Slot& slot) {
    if ((slot.meta & kFlagged) == 0) return;
    slot.meta &= static_cast<std::uint16_t>(~kFlagged);
    --flagged_ways;
  }

  template <class Entry>
  bool admit(Table<Entry>& table, std::uint64_t hash, std::uint64_t value,
             typename Table<Entry>::Ref& out) {
    switch (table.claim(hash, value, epoch16(), stale, out)) {
      case ClaimResult::empty:
        break;
      case ClaimResult::expired_flagged:
        --flagged_ways;
        ++stats.expired;
        break;
      case ClaimResult::expired:
        ++stats.expired;
        break;
      case ClaimResult::evicted:
        ++stats.evicted;
        break;
      case ClaimResult::refused:
        ++stats.refused;
        return false;
    }
    ++stats.admitted;
    return true;
  }

  // The counters, with tracked / flagged_now counted over the table at the latest event time.
  template <class Entry>
  BehaviourRuleStats live_stats(const Table<Entry>& table) const {
    BehaviourRuleStats out = stats;
    out.tracked = 0;
    out.flagged_now = 0;
    table.for_each_used([&](const Slot& slot, const Entry& entry) {
      const auto age = static_cast<std::uint16_t>(epoch16() - slot.epoch);
      const bool flagged = (slot.meta & kFlagged) != 0;
      if (age >= (flagged ? stale.flagged : stale.unflagged)) return;
      ++out.tracked;
      // Only a flagged way can be within a hold: other entries are not read.
      out.flagged_now += flagged && entry.hold_until > latest.nanos ? 1 : 0;
    });
    return out;
  }
};

// Span covered by two-epoch counts: from the start of the oldest epoch holding any, or the
// subject's admission if later, to `time`.
std::int64_t span_of(std::int64_t epoch, bool previous_has_counts, std::int64_t epoch_nanos,
                     std::int64_t tracked_since, Timestamp time) {
  const std::int64_t oldest = (previous_has_counts ? epoch - 1 : epoch) * epoch_nanos;
  return std::max<std::int64_t>(0, time.nanos - std::max(oldest, tracked_since));
}

struct ScanRule : RuleBase {
  ScanParams params;
  CountMinSketch<std::uint16_t> sketch;
  Table<ScanEntry> table;

  [[gnu::always_inline]] void prefetch(std::uint64_t hash) const {
    table.prefetch(hash);
    sketch.prefetch(remix64(hash));
  }

  void roll(ScanEntry& e, Timestamp time) const {
    if (epoch > e.epoch) {
      if (epoch == e.epoch + 1) {
        e.attempts = {0, e.attempts[0]};
        e.answered = {0, e.answered[0]};
        e.targets.rotate();
      } else {
        e.attempts = {};
        e.answered = {};
        e.targets.clear();
      }
      e.epoch = epoch;
    }
    if (params.reply_grace.nanos <= 0) return;
    const std::int64_t slot = std::max<std::int64_t>(0, time.nanos) / params.reply_grace.nanos;
    if (slot <= e.grace_slot) return;
    e.pending = {0, slot == e.grace_slot + 1 ? e.pending[0] : 0u};
    e.grace_slot = slot;
  }

  void attempt(const IpAddress& source, std::uint64_t hash, std::uint64_t target_hash,
               Timestamp time) {
    if (const auto passed = advance(time); passed > 0) age(passed);
    auto ref = table.find(hash, source);
    if (!ref) {
      const std::uint16_t estimate = sketch.add(remix64(hash));
      if (estimate < kScanAdmit) {
        ++stats.below_admission;
        return;
      }
      if (!admit(table, hash, estimate, ref)) return;
      *ref.entry = ScanEntry{};
      ref.entry->key = source;
      ref.entry->epoch = epoch;
      ref.entry->tracked_since = time.nanos;
    } else {
      touch(*ref.slot);
      set_score(*ref.slot, score_of(*ref.slot) + 1);
    }
    ScanEntry& e = *ref.entry;
    roll(e, time);
    ++e.attempts[0];
    if (params.reply_grace.nanos > 0) ++e.pending[0];
    e.seen = e.seen == std::numeric_limits<std::uint32_t>::max() ? e.seen : e.seen + 1;
    e.targets.add(target_hash);
    expire_flag(*ref.slot, e.hold_until, time);
    if (e.seen >= e.next_check) check(ref, time);
  }

  void reply(const IpAddress& source, std::uint64_t hash, Timestamp time) {
    if (const auto passed = advance(time); passed > 0) age(passed);
    auto ref = table.find(hash, source);
    if (!ref) return;
    touch(*ref.slot);
    roll(*ref.entry, time);
    ++ref.entry->answered[0];
    set_score(*ref.slot, score_of(*ref.slot) == 0 ? 0 : score_of(*ref.slot) - 1);
  }

  void check(Table<ScanEntry>::Ref ref, Timestamp time) {
    ScanEntry& e = *ref.entry;
    const std::uint64_t attempts = std::uint64_t{e.attempts[0]} + e.attempts[1];
    if (attempts < params.min_targets) {  // targets ≤ attempts: cannot cross before
      e.next_check = e.seen + static_cast<std::uint32_t>(params.min_targets - attempts);
      return;
    }
    e.next_check = e.seen + std::max<std::uint32_t>(1, params.min_targets / 8);
    const std::uint64_t answered =
        std::min<std::uint64_t>(std::uint64_t{e.answered[0]} + e.answered[1], attempts);
    const std::uint64_t pending =
        std::min<std::uint64_t>(std::uint64_t{e.pending[0]} + e.pending[1], attempts - answered);
    // Judged over the decided attempts only: a fast scan has many of its attempts still within
    // the grace, and counting those as answered would hide it.
    const std::uint64_t decided = attempts - pending;
    if (decided < params.min_targets) return;
    const double failed = static_cast<double>(decided - answered) / static_cast<double>(decided);
    if (failed < params.min_failed_ratio) return;
    const auto targets = std::min<std::uint64_t>(
        static_cast<std::uint64_t>(std::llround(e.targets.estimate())), decided);
    if (targets < params.min_targets) return;
    e.snap_targets = static_cast<std::uint32_t>(targets);
    e.snap_attempts = static_cast<std::uint32_t>(attempts);
    e.snap_answered = static_cast<std::uint32_t>(answered);
    e.snap_pending = static_cast<std::uint32_t>(pending);
    e.snap_span = span_of(e.epoch, e.attempts[1] > 0, epoch_nanos, e.tracked_since, time);
    e.hold_until = time.nanos + params.window.nanos;
    set_flag(*ref.slot);
  }

  void age(std::int64_t passed) { sketch.decay(static_cast<std::uint64_t>(passed)); }

  std::vector<Measure> measures(const ScanEntry& e) const {
    const double attempts = e.snap_attempts;
    // attempts: the decided ones, the ratio's base (pending ones are not judged).
    const double decided = attempts - e.snap_pending;
    const double failed = decided <= 0 ? 0.0 : (decided - e.snap_answered) / decided;
    return measure_list({{"answered", static_cast<double>(e.snap_answered)},
                         {"attempts", decided},
                         {"failed_ratio", failed},
                         {"min_failed_ratio", params.min_failed_ratio},
                         {"min_targets", static_cast<double>(params.min_targets)},
                         {"span_s", seconds(e.snap_span)},
                         {"targets", static_cast<double>(e.snap_targets)},
                         {"window_s", seconds(params.window.nanos)}});
  }
};

using PortBitmap = std::vector<std::uint64_t>;  // 65536 bits
constexpr std::size_t kPortWords = 65536 / 64;

bool has_port(const PortBitmap& bitmap, std::uint16_t port) {
  return !bitmap.empty() && ((bitmap[port >> 6] >> (port & 63)) & 1) != 0;
}

struct AmplificationRule : RuleBase {
  AmplificationParams params;
  PortBitmap ports;
  std::uint64_t admit_bytes = 1;
  CountMinSketch<std::uint32_t> responses;
  CountMinSketch<std::uint32_t> requests;
  Table<AmplificationEntry> table;

  [[gnu::always_inline]] void prefetch_response(std::uint64_t hash) const {
    table.prefetch(hash);
    responses.prefetch(remix64(hash));
  }
  [[gnu::always_inline]] void prefetch_request(std::uint64_t hash) const {
    table.prefetch(hash);
    requests.prefetch(remix64(hash));
  }

  static std::uint32_t clamp32(std::size_t bytes) {
    return static_cast<std::uint32_t>(
        std::min<std::size_t>(bytes, std::numeric_limits<std::uint32_t>::max()));
  }

  void roll(AmplificationEntry& e) const {
    if (epoch <= e.epoch) return;
    if (epoch == e.epoch + 1) {
      e.response = {0, e.response[0]};
      e.request = {0, e.request[0]};
    } else {
      e.response = {};
      e.request = {};
    }
    e.epoch = epoch;
  }

  void response(const IpAddress& victim, std::uint64_t hash, std::uint16_t service_port,
                std::size_t bytes, Timestamp time) {
    auto ref = table.find(hash, victim);
    if (!ref) {
      const std::uint32_t estimate = responses.add(remix64(hash), clamp32(bytes));
      if (estimate < admit_bytes) {
        ++stats.below_admission;
        return;
      }
      if (!admit(table, hash, estimate >> 10, ref)) return;
      *ref.entry = AmplificationEntry{};
      ref.entry->key = victim;
      ref.entry->epoch = epoch;
      ref.entry->tracked_since = time.nanos;
      // Requests seen before admission (approximately, from the sketch): without them the
      // victim's ratio would be overstated.
      ref.entry->request[0] = requests.estimate(remix64(hash));
    } else {
      touch(*ref.slot);
    }
    AmplificationEntry& e = *ref.entry;
    roll(e);
    e.response[0] += bytes;
    if (e.majority_votes == 0) {
      e.majority_port = service_port;
      e.majority_votes = 1;
    } else if (e.majority_port == service_port) {
      ++e.majority_votes;
    } else {
      --e.majority_votes;
    }
    const std::uint64_t received = e.response[0] + e.response[1];
    set_score(*ref.slot, received >> 10);
    expire_flag(*ref.slot, e.hold_until, time);
    const std::uint64_t sent = e.request[0] + e.request[1];
    if (received < params.min_response_bytes) return;
    if (static_cast<double>(received) <
        params.min_ratio * static_cast<double>(std::max<std::uint64_t>(sent, 1))) {
      return;
    }
    e.snap_response = received;
    e.snap_request = sent;
    e.snap_port = e.majority_port;
    e.snap_span = span_of(e.epoch, e.response[1] > 0, epoch_nanos, e.tracked_since, time);
    e.hold_until = time.nanos + params.window.nanos;
    set_flag(*ref.slot);
  }

  void request(const IpAddress& victim, std::uint64_t hash, std::size_t bytes) {
    auto ref = table.find(hash, victim);
    if (!ref) {
      requests.add(remix64(hash), clamp32(bytes));
      return;
    }
    touch(*ref.slot);
    roll(*ref.entry);
    ref.entry->request[0] += bytes;
  }

  void age(std::int64_t passed) {
    responses.decay(static_cast<std::uint64_t>(passed));
    requests.decay(static_cast<std::uint64_t>(passed));
  }

  std::vector<Measure> measures(const AmplificationEntry& e) const {
    const double request = static_cast<double>(std::max<std::uint64_t>(e.snap_request, 1));
    return measure_list({{"min_ratio", params.min_ratio},
                         {"min_response_bytes", static_cast<double>(params.min_response_bytes)},
                         {"ratio", static_cast<double>(e.snap_response) / request},
                         {"request_bytes", static_cast<double>(e.snap_request)},
                         {"response_bytes", static_cast<double>(e.snap_response)},
                         {"service_port", static_cast<double>(e.snap_port)},
                         {"span_s", seconds(e.snap_span)},
                         {"window_s", seconds(params.window.nanos)}});
  }
};

struct BeaconRule : RuleBase {
  BeaconParams params;
  CountMinSketch<std::uint16_t> sketch;
  CountMinSketch<std::uint16_t> server_clients;   // recurring pairs per server (address, port)
  SharedServerClients* shared_clients = nullptr;  // instead of server_clients, when sharded
  ClientSeriesTable client_series;                // regular series per client
  PortBitmap periodic_ports;                      // responder ports not judged
  Table<BeaconEntry> table;

  bool judged(std::uint16_t responder_port) const {
    return ((periodic_ports[responder_port >> 6] >> (responder_port & 63)) & 1) == 0;
  }
  // The server's key in server_clients: its target hash, remixed away from the pair's keys.
  static std::uint64_t server_key(std::uint64_t target_hash) {
    return remix64(target_hash ^ 0x5be0cd19137e2179ULL);
  }
  void count_client(std::uint64_t target_hash) {
    if (shared_clients != nullptr) {
      shared_clients->add(server_key(target_hash), epoch);
    } else {
      server_clients.add(server_key(target_hash));
    }
  }
  std::uint16_t clients_of(std::uint64_t target_hash) {
    return shared_clients != nullptr ? shared_clients->estimate(server_key(target_hash), epoch)
                                     : server_clients.estimate(server_key(target_hash));
  }

  [[gnu::always_inline]] void prefetch(std::uint64_t hash) const {
    table.prefetch(hash);
    sketch.prefetch(remix64(hash));
  }

  // The series' tag in its client's entry (never 0, the empty tag).
  static std::uint32_t series_tag(std::uint64_t target_hash) {
    return static_cast<std::uint32_t>(target_hash >> 32) | 1u;
  }

  // A flagged pair that its context shows not to be a beacon loses its flag and hold.
  void unflag(Slot& slot, BeaconEntry& e) {
    clear_flag(slot);
    e.hold_until = 0;
  }

  void start(const PairKey& pair, std::uint64_t hash, std::uint64_t client_hash,
             std::uint64_t target_hash, Timestamp time) {
    if (const auto passed = advance(time); passed > 0) age(passed);
    auto ref = table.find(hash, pair);
    if (!ref) {
      const std::uint16_t estimate = sketch.add(remix64(hash));
      if (estimate < kBeaconAdmit) {
        ++stats.below_admission;
        return;
      }
      if (!admit(table, hash, estimate, ref)) return;
      *ref.entry = BeaconEntry{};
      ref.entry->key = pair;
      ref.entry->last_start = time.nanos;
      ref.entry->counted_epoch = epoch16();
      count_client(target_hash);  // a client returning to this server
      return;
    }
    touch(*ref.slot);
    BeaconEntry& e = *ref.entry;
    // A pair counts for its server once per epoch while it recurs, so that the count of a
    // popular service does not fade while its clients keep coming (the sketch halves every
    // epoch).
    if (e.counted_epoch != epoch16()) {
      e.counted_epoch = epoch16();
      count_client(target_hash);
    }
    const std::int64_t gap = time.nanos - e.last_start;
    if (gap < 0) return;  // out of order: the series is kept as it is
    e.last_start = time.nanos;
    if (gap < params.min_interval.nanos || gap > params.max_interval.nanos) {
      e.gaps = 0;
      e.head = 0;
      set_score(*ref.slot, 1);
    } else {
      e.gap_ms[e.head] = static_cast<std::uint32_t>(gap / 1'000'000);
      e.head = static_cast<std::uint8_t>((e.head + 1) % kMaxBeaconGaps);
      e.gaps = static_cast<std::uint8_t>(std::min<std::uint32_t>(e.gaps + 1u, kMaxBeaconGaps));
      set_score(*ref.slot, score_of(*ref.slot) + 1);
    }
    expire_flag(*ref.slot, e.hold_until, time);
    if (e.gaps < 2) return;
    // The kept gaps are the last `gaps` written before `head`; with gaps < 16 they are 0..gaps.
    double sum = 0;
    for (std::size_t i = 0; i < e.gaps; ++i) sum += e.gap_ms[i];
    const double mean = sum / e.gaps;
    double squares = 0;
    for (std::size_t i = 0; i < e.gaps; ++i) squares += (e.gap_ms[i] - mean) * (e.gap_ms[i] - mean);
    const double cv = mean > 0 ? std::sqrt(squares / e.gaps) / mean : 0.0;
    if (!(cv <= params.max_cv)) return;
    const std::uint16_t clients = clients_of(target_hash);
    if (clients > params.max_server_clients) {  // a popular periodic service
      unflag(*ref.slot, e);
      return;
    }
    // Regular so far: the series is current for its client (before it can flag, so that a
    // poller's other series are known by the time its first one has enough connections).
    const std::uint32_t tag = series_tag(target_hash);
    const std::uint32_t now_s = whole_seconds(time);
    client_series.note(client_hash, tag, now_s, static_cast<std::uint32_t>(std::ceil(mean / 1e3)));
    if (e.gaps + 1u < params.min_connections) return;
    const std::uint32_t series = client_series.others(client_hash, tag, now_s) + 1;
    if (series > params.max_client_series) {  // a poller fanning out, not one channel
      unflag(*ref.slot, e);
      return;
    }
    e.snap_client_series = static_cast<std::uint8_t>(series);
    e.snap_server_clients = clients;
    e.snap_connections = e.gaps + 1u;
    e.snap_mean_ms = mean;
    e.snap_cv = cv;
    e.snap_span_ms = sum;
    e.hold_until = time.nanos + params.max_interval.nanos;
    set_flag(*ref.slot);
  }

  void age(std::int64_t passed) {
    sketch.decay(static_cast<std::uint64_t>(passed));
    if (shared_clients == nullptr) server_clients.decay(static_cast<std::uint64_t>(passed));
  }

  std::vector<Measure> measures(const BeaconEntry& e) const {
    return measure_list({{"client_series", static_cast<double>(e.snap_client_series)},
                         {"connections", static_cast<double>(e.snap_connections)},
                         {"cv", e.snap_cv},
                         {"max_client_series", static_cast<double>(params.max_client_series)},
                         {"max_cv", params.max_cv},
                         {"max_interval_s", seconds(params.max_interval.nanos)},
                         {"max_server_clients", static_cast<double>(params.max_server_clients)},
                         {"mean_interval_s", e.snap_mean_ms / 1e3},
                         {"min_connections", static_cast<double>(params.min_connections)},
                         {"min_interval_s", seconds(params.min_interval.nanos)},
                         {"server_clients", static_cast<double>(e.snap_server_clients)},
                         {"span_s", e.snap_span_ms / 1e3}});
  }
};

std::array<std::uint64_t, 2> words_of(const IpAddress& address) {
  std::array<std::uint64_t, 2> words{};
  std::memcpy(words.data(), address.bytes().data(), 16);
  return words;
}

std::uint64_t port_word(std::uint16_t port, std::uint8_t protocol) {
  return std::uint64_t{port} | (std::uint64_t{protocol} << 16);
}

// ---- Validation
// ----------------------------------------------------------------------------------

constexpr std::int64_t kDay = 86'400LL * 1'000'000'000;

Result<void> validate(std::size_t i, const ScanParams& p) {
  if (p.min_targets < 8 || p.min_targets > 1'000'000) {
    return fail("behaviour rule {} (scan): min_targets must be 8..1000000", i);
  }
  if (p.window < Duration::seconds(2) || p.window.nanos > kDay) {
    return fail("behaviour rule {} (scan): window must be 2 s .. 1 day", i);
  }
  if (!(p.min_failed_ratio >= 0 && p.min_failed_ratio <= 1)) {
    return fail("behaviour rule {} (scan): min_failed_ratio must be 0..1", i);
  }
  if (p.reply_grace.nanos < 0 || p.reply_grace.nanos > p.window.nanos / 4) {
    return fail("behaviour rule {} (scan): reply_grace must be 0 .. window / 4", i);
  }
  return {};
}

Result<void> validate(std::size_t i, const AmplificationParams& p) {
  if (p.udp_ports.empty()) return fail("behaviour rule {} (amplification): udp_ports is empty", i);
  if (std::find(p.udp_ports.begin(), p.udp_ports.end(), 0) != p.udp_ports.end()) {
    return fail("behaviour rule {} (amplification): udp_ports must be 1..65535", i);
  }
  if (!(p.min_ratio > 0 && std::isfinite(p.min_ratio))) {
    return fail("behaviour rule {} (amplification): min_ratio must be > 0", i);
  }
  if (p.min_response_bytes < 1 || p.min_response_bytes > (std::uint64_t{1} << 40)) {
    return fail("behaviour rule {} (amplification): min_response_bytes must be 1..2^40", i);
  }
  if (p.window < Duration::seconds(2) || p.window.nanos > kDay) {
    return fail("behaviour rule {} (amplification): window must be 2 s .. 1 day", i);
  }
  return {};
}

Result<void> validate(std::size_t i, const BeaconParams& p) {
  if (p.min_connections < 3 || p.min_connections > kMaxBeaconGaps + 1) {
    return fail("behaviour rule {} (beacon): min_connections must be 3..{}", i, kMaxBeaconGaps + 1);
  }
  if (!(p.max_cv >= 0 && p.max_cv <= 10)) {
    return fail("behaviour rule {} (beacon): max_cv must be 0..10", i);
  }
  if (p.min_interval < Duration::millis(1) || p.max_interval < p.min_interval ||
      p.max_interval.nanos > 7 * kDay) {
    return fail("behaviour rule {} (beacon): need 1 ms ≤ min_interval ≤ max_interval ≤ 7 days", i);
  }
  if (p.max_server_clients < 1 || p.max_server_clients > 65535) {
    return fail("behaviour rule {} (beacon): max_server_clients must be 1..65535", i);
  }
  if (std::find(p.periodic_ports.begin(), p.periodic_ports.end(), 0) != p.periodic_ports.end()) {
    return fail("behaviour rule {} (beacon): periodic_ports holds port 0", i);
  }
  if (p.max_client_series < 1 || p.max_client_series >= kMaxClientSeries) {
    return fail("behaviour rule {} (beacon): max_client_series must be 1..{}", i,
                kMaxClientSeries - 1);
  }
  return {};
}

std::size_t round_down_64(std::size_t bytes) { return bytes / 64 * 64; }

// The size to build a sketch with so that it occupies at most `bytes` (tables from 2 MiB on are
// placed in whole 4 KiB pages).
template <class Counter>
std::size_t fit_sketch(std::size_t bytes) {
  std::size_t fit = round_down_64(bytes);
  while (fit > 64 && CountMinSketch<Counter>::footprint(fit) > bytes) fit -= 64;
  return fit;
}

}  // namespace

// ---- The engine
// ----------------------------------------------------------------------------------

struct BehaviourEngine::State {
  HashKey address_key;
  HashKey pair_key;
  HashKey target_key;
  std::vector<ScanRule> scans;
  std::vector<AmplificationRule> amplifications;
  std::vector<BeaconRule> beacons;
  std::vector<std::pair<RuleKind, std::size_t>> order;  // create() order → kind, index
  PortBitmap udp_ports;                                 // union over amplification rules

  // Keyed hashes of the latest addresses and target seen: the look-ahead, the events and the
  // selections of one packet share them (each address is hashed once per packet), and rules of
  // one kind share a subject hash.
  struct AddressHash {
    IpAddress address;
    std::uint64_t hash = 0;
    bool valid = false;
  };
  std::array<AddressHash, 2> addresses{};
  std::size_t next_address = 0;
  struct TargetHash {
    IpAddress responder;
    std::uint32_t port_word = 0;
    std::uint64_t hash = 0;
    bool valid = false;
    bool pair_valid = false;           // `pair` is the pair of this target and `pair_initiator`
    std::uint64_t pair_initiator = 0;  // the initiator's hash
    std::uint64_t pair = 0;
  } target{};

  std::uint64_t address_hash(const IpAddress& address) {
    for (const AddressHash& m : addresses) {
      if (m.valid && same_key(m.address, address)) return m.hash;
    }
    AddressHash& m = addresses[next_address];
    next_address ^= 1;
    m = {address, siphash13_words(address_key, words_of(address)), true};
    return m.hash;
  }
  // The target (responder, responder port, protocol) of a flow.
  std::uint64_t target_hash(const BehaviourFlow& flow) {
    const auto word = static_cast<std::uint32_t>(port_word(flow.responder_port, flow.protocol));
    if (target.valid && target.port_word == word && same_key(target.responder, flow.responder)) {
      return target.hash;
    }
    const auto b = words_of(flow.responder);
    const std::array<std::uint64_t, 3> words{b[0], b[1], word};
    target = {flow.responder, word, siphash13_words(target_key, words), true, false, 0, 0};
    return target.hash;
  }
  // The pair (initiator, responder, port, protocol) from the initiator's and the target's keyed
  // hashes, mixed non-linearly with a third key: one SipHash less per flow. Collisions still
  // cannot be aimed: both inputs are secret-keyed outputs the traffic never reveals.
  std::uint64_t pair_hash(const BehaviourFlow& flow) {
    const std::uint64_t initiator = address_hash(flow.initiator);
    const std::uint64_t target_of_flow = target_hash(flow);  // refreshes `target`
    if (target.pair_valid && target.pair_initiator == initiator) return target.pair;
    target.pair = remix64(remix64(initiator ^ pair_key.k0) + target_of_flow) ^ pair_key.k1;
    target.pair_initiator = initiator;
    target.pair_valid = true;
    return target.pair;
  }

  std::size_t memory_bytes() const {
    std::size_t total = sizeof(State) + order.capacity() * sizeof(order[0]) +
                        udp_ports.capacity() * sizeof(std::uint64_t) +
                        scans.capacity() * sizeof(ScanRule) +
                        amplifications.capacity() * sizeof(AmplificationRule) +
                        beacons.capacity() * sizeof(BeaconRule);
    for (const auto& r : scans) total += r.sketch.memory_bytes() + r.table.memory_bytes();
    for (const auto& r : amplifications) {
      total += r.ports.capacity() * sizeof(std::uint64_t) + r.responses.memory_bytes() +
               r.requests.memory_bytes() + r.table.memory_bytes();
    }
    for (const auto& r : beacons) {
      total += r.periodic_ports.capacity() * sizeof(std::uint64_t) + r.sketch.memory_bytes() +
               r.server_clients.memory_bytes() + r.client_series.memory_bytes() +
               r.table.memory_bytes();
    }
    return total;
  }
};

BehaviourEngine::BehaviourEngine(std::unique_ptr<State> state)
    : state_(std::move(state)),
      udp_ports_(state_->udp_ports.empty() ? nullptr : state_->udp_ports.data()) {
  for (const AmplificationRule& rule : state_->amplifications) {
    for (const std::uint16_t port : rule.params.udp_ports) {
      udp_port_max_ = std::max(udp_port_max_, port);
    }
  }
}
BehaviourEngine::BehaviourEngine(BehaviourEngine&&) noexcept = default;
BehaviourEngine& BehaviourEngine::operator=(BehaviourEngine&&) noexcept = default;
BehaviourEngine::~BehaviourEngine() = default;

void SharedServerClients::set_aside(std::size_t bytes) {
  const std::lock_guard lock(mutex_);
  set_aside_ += bytes;
}

void SharedServerClients::allocate() {
  const std::lock_guard lock(mutex_);
  counts_ = CountMinSketch<std::uint16_t>(set_aside_);
  epoch_ = -1;
}

std::uint16_t SharedServerClients::add(std::uint64_t server, std::int64_t epoch) {
  const std::lock_guard lock(mutex_);
  age_to(epoch);
  if (epoch < epoch_) return counts_.estimate(server);  // one sieve has halved it away by now
  return counts_.add(server);
}

std::uint16_t SharedServerClients::estimate(std::uint64_t server, std::int64_t epoch) {
  const std::lock_guard lock(mutex_);
  age_to(epoch);
  return counts_.estimate(server);
}

void SharedServerClients::age_to(std::int64_t epoch) {
  if (epoch <= epoch_) return;
  if (epoch_ >= 0) counts_.decay(static_cast<std::uint64_t>(epoch - epoch_));
  epoch_ = epoch;
}

Result<BehaviourEngine> BehaviourEngine::create(std::vector<BehaviourRule> rules,
                                                std::size_t memory_bytes, std::uint64_t seed,
                                                std::span<SharedServerClients* const> shared) {
  std::size_t scans = 0;
  std::size_t amplifications = 0;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto checked =
        std::visit([&](const auto& params) { return validate(i, params); }, rules[i].params);
    if (!checked) return fail(checked.error());
    scans += std::holds_alternative<ScanParams>(rules[i].params) ? 1 : 0;
    amplifications += std::holds_alternative<AmplificationParams>(rules[i].params) ? 1 : 0;
  }
  const std::size_t beacons = rules.size() - scans - amplifications;
  if (!shared.empty() && shared.size() != beacons) {
    return fail("behaviour rules: {} shared server counts for {} beacon rules", shared.size(),
                beacons);
  }

  auto state = std::make_unique<State>();
  state->address_key = HashKey::from_seed(seed, 1);
  state->pair_key = HashKey::from_seed(seed, 2);
  state->target_key = HashKey::from_seed(seed, 3);
  state->scans.reserve(scans);
  state->amplifications.reserve(amplifications);
  state->beacons.reserve(beacons);
  state->order.reserve(rules.size());
  if (amplifications > 0) state->udp_ports.assign(kPortWords, 0);

  // Fixed overhead first (the engine's own objects and the port bitmaps), then an equal share
  // per rule; within a share, 1/4 admission sketch(es) and the rest the table.
  const std::size_t fixed = state->memory_bytes() + (amplifications + beacons) * kPortWords * 8;
  const std::size_t share =
      rules.empty() || memory_bytes < fixed ? 0 : (memory_bytes - fixed) / rules.size();
  if (!rules.empty() && share < kMinBytesPerRule) {
    return fail("behaviour rules: a memory budget of {} bytes is below the minimum of {}",
                memory_bytes, fixed + rules.size() * kMinBytesPerRule);
  }
  const std::size_t sketch_bytes = round_down_64(share / 4);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    BehaviourRuleStats stats;
    stats.rule = rules[i].rule;
    if (auto* p = std::get_if<ScanParams>(&rules[i].params)) {
      ScanRule& r = state->scans.emplace_back();
      r.params = *p;
      r.epoch_nanos = r.params.window.nanos / 2;
      r.stale = {2, 3};
      r.sketch = CountMinSketch<std::uint16_t>(fit_sketch<std::uint16_t>(sketch_bytes));
      r.table = Table<ScanEntry>(Table<ScanEntry>::buckets_for(share - sketch_bytes));
      stats.kind = RuleKind::scan;
      stats.memory_bytes = r.sketch.memory_bytes() + r.table.memory_bytes();
      stats.capacity = r.table.capacity();
      r.stats = stats;
      state->order.emplace_back(RuleKind::scan, state->scans.size() - 1);
    } else if (auto* a = std::get_if<AmplificationParams>(&rules[i].params)) {
      AmplificationRule& r = state->amplifications.emplace_back();
      r.params = std::move(*a);
      r.epoch_nanos = r.params.window.nanos / 2;
      r.stale = {2, 3};
      r.admit_bytes =
          std::max<std::uint64_t>(1, r.params.min_response_bytes / kAmplificationAdmitDivisor);
      r.ports.assign(kPortWords, 0);
      for (const std::uint16_t port : r.params.udp_ports) {
        r.ports[port >> 6] |= std::uint64_t{1} << (port & 63);
        state->udp_ports[port >> 6] |= std::uint64_t{1} << (port & 63);
      }
      const std::size_t half = fit_sketch<std::uint32_t>(sketch_bytes / 2);
      r.responses = CountMinSketch<std::uint32_t>(half);
      r.requests = CountMinSketch<std::uint32_t>(half);
      r.table =
          Table<AmplificationEntry>(Table<AmplificationEntry>::buckets_for(share - sketch_bytes));
      stats.kind = RuleKind::amplification;
      stats.memory_bytes = r.ports.capacity() * 8 + r.responses.memory_bytes() +
                           r.requests.memory_bytes() + r.table.memory_bytes();
      stats.capacity = r.table.capacity();
      r.stats = stats;
      state->order.emplace_back(RuleKind::amplification, state->amplifications.size() - 1);
    } else {
      BeaconRule& r = state->beacons.emplace_back();
      r.params = std::get<BeaconParams>(rules[i].params);
      r.epoch_nanos = r.params.max_interval.nanos;
      r.stale = {2, 2};
      // A quarter of the sketch budget counts the clients of servers: there are far fewer
      // servers with recurring pairs than pairs seen once.
      r.sketch = CountMinSketch<std::uint16_t>(fit_sketch<std::uint16_t>(sketch_bytes / 4 * 3));
      const std::size_t server_clients_bytes = fit_sketch<std::uint16_t>(sketch_bytes / 4);
      if (shared.empty()) {
        r.server_clients = CountMinSketch<std::uint16_t>(server_clients_bytes);
      } else {
        r.shared_clients = shared[state->beacons.size() - 1];
        r.shared_clients->set_aside(server_clients_bytes);
      }
      r.periodic_ports.assign(kPortWords, 0);
      for (const std::uint16_t port : r.params.periodic_ports) {
        r.periodic_ports[port >> 6] |= std::uint64_t{1} << (port & 63);
      }
      // An eighth of the share remembers the clients' regular series: far fewer clients keep
      // regular series than pairs are tracked.
      const std::size_t client_bytes = round_down_64(share / 8);
      r.client_series = ClientSeriesTable(client_bytes);
      r.table = Table<BeaconEntry>(
          Table<BeaconEntry>::buckets_for(share - sketch_bytes - r.client_series.memory_bytes()));
      stats.kind = RuleKind::beacon;
      stats.memory_bytes = r.periodic_ports.capacity() * 8 + r.sketch.memory_bytes() +
                           r.server_clients.memory_bytes() + r.client_series.memory_bytes() +
                           r.table.memory_bytes();
      stats.capacity = r.table.capacity();
      r.stats = stats;
      state->order.emplace_back(RuleKind::beacon, state->beacons.size() - 1);
    }
  }
  const std::size_t reserved = state->memory_bytes();
  if (reserved > memory_bytes) {
    return fail("behaviour rules: state of {} bytes exceeds the budget of {}", reserved,
                memory_bytes);
  }
  return BehaviourEngine(std::move(state));
}

void BehaviourEngine::prefetch_flow_start(const BehaviourFlow& flow, std::uint8_t first_tcp_flags) {
  State& s = *state_;
  if (!s.scans.empty()) {
    // Selections read the initiator's way while a scan rule holds flagged subjects.
    const bool attempt = is_attempt(flow, first_tcp_flags);
    const std::uint64_t source = s.address_hash(flow.initiator);
    for (const ScanRule& rule : s.scans) {
      if (attempt || rule.flagged_ways != 0) rule.prefetch(source);
    }
  }
  if (!s.beacons.empty()) {
    const std::uint64_t pair = s.pair_hash(flow);
    for (const BeaconRule& rule : s.beacons) rule.prefetch(pair);
  }
}

void BehaviourEngine::prefetch_udp(const IpAddress& source, std::uint16_t source_port,
                                   const IpAddress& destination, std::uint16_t destination_port) {
  State& s = *state_;
  for (const AmplificationRule& rule : s.amplifications) {
    if (has_port(rule.ports, source_port)) {
      rule.prefetch_response(s.address_hash(destination));
    }
    if (has_port(rule.ports, destination_port)) {
      rule.prefetch_request(s.address_hash(source));
    }
  }
}

void BehaviourEngine::on_flow_start(const BehaviourFlow& flow, std::uint8_t first_tcp_flags,
                                    Timestamp time) {
  State& s = *state_;
  const bool attempt = !s.scans.empty() && is_attempt(flow, first_tcp_flags);
  const std::uint64_t source = attempt ? s.address_hash(flow.initiator) : 0;
  const std::uint64_t pair_hash = s.beacons.empty() ? 0 : s.pair_hash(flow);
  // Every rule's directory line and sketch block are known from the hashes: start all loads
  // before using any, so that their cache misses overlap instead of queuing.
  if (attempt) {
    for (const ScanRule& rule : s.scans) rule.prefetch(source);
  }
  for (const BeaconRule& rule : s.beacons) rule.prefetch(pair_hash);
  if (attempt) {
    const std::uint64_t target = s.target_hash(flow);
    const bool answered =
        flow.protocol == kTcp && (first_tcp_flags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck);
    for (ScanRule& rule : s.scans) {
      rule.attempt(flow.initiator, source, target, time);
      if (answered) rule.reply(flow.initiator, source, time);
    }
  }
  if (!s.beacons.empty()) {
    const PairKey pair{flow.initiator, flow.responder, flow.responder_port, flow.protocol};
    const std::uint64_t target = s.target_hash(flow);             // computed by pair_hash: cached
    const std::uint64_t client = s.address_hash(flow.initiator);  // hashed by pair_hash: cached
    for (BeaconRule& rule : s.beacons) {
      if (rule.judged(flow.responder_port)) rule.start(pair, pair_hash, client, target, time);
    }
  }
}

void BehaviourEngine::on_reply(const BehaviourFlow& flow, std::uint8_t tcp_flags, Timestamp time) {
  State& s = *state_;
  if (s.scans.empty()) return;
  // A refusal (RST, with or without ACK) leaves the attempt failed; anything else answers it.
  if (flow.protocol == kTcp && (tcp_flags & kTcpRst) != 0) return;
  const std::uint64_t source = s.address_hash(flow.initiator);
  for (ScanRule& rule : s.scans) rule.reply(flow.initiator, source, time);
}

void BehaviourEngine::on_udp_bytes(const BehaviourFlow& flow, int direction, std::size_t bytes,
                                   Timestamp time) {
  State& s = *state_;
  if (s.amplifications.empty() || flow.protocol != kUdp || (direction != 0 && direction != 1)) {
    return;
  }
  const bool forward = direction == 0;
  const IpAddress& sender = forward ? flow.initiator : flow.responder;
  const IpAddress& receiver = forward ? flow.responder : flow.initiator;
  const std::uint16_t sender_port = forward ? flow.initiator_port : flow.responder_port;
  const std::uint16_t receiver_port = forward ? flow.responder_port : flow.initiator_port;
  for (AmplificationRule& rule : s.amplifications) {
    const bool from_service = has_port(rule.ports, sender_port);
    const bool to_service = has_port(rule.ports, receiver_port);
    if (!from_service && !to_service) continue;
    // Both subjects' lines at once (directory and sketch), before either is used.
    if (from_service) rule.prefetch_response(s.address_hash(receiver));
    if (to_service) rule.prefetch_request(s.address_hash(sender));
    if (const auto passed = rule.advance(time); passed > 0) rule.age(passed);
    if (from_service) rule.response(receiver, s.address_hash(receiver), sender_port, bytes, time);
    if (to_service) rule.request(sender, s.address_hash(sender), bytes);
  }
}

void BehaviourEngine::selections(const BehaviourFlow& flow, Timestamp time,
                                 std::vector<BehaviourHit>& out) {
  State& s = *state_;
  auto selected = [&](RuleBase& rule, auto ref) {
    if (!ref) return false;
    rule.expire_flag(*ref.slot, ref.entry->hold_until, time);
    return time.nanos < ref.entry->hold_until;
  };
  for (ScanRule& rule : s.scans) {
    if (rule.flagged_ways == 0) continue;
    const auto ref = rule.table.find(s.address_hash(flow.initiator), flow.initiator);
    if (!selected(rule, ref)) continue;
    ++rule.stats.hits;
    out.push_back({rule.stats.rule, rule.measures(*ref.entry)});
  }
  if (flow.protocol == kUdp) {
    for (AmplificationRule& rule : s.amplifications) {
      if (rule.flagged_ways == 0) continue;
      Table<AmplificationEntry>::Ref ref;
      if (has_port(rule.ports, flow.responder_port)) {
        ref = rule.table.find(s.address_hash(flow.initiator), flow.initiator);
        if (!selected(rule, ref)) ref = {};
      }
      if (!ref && has_port(rule.ports, flow.initiator_port)) {
        ref = rule.table.find(s.address_hash(flow.responder), flow.responder);
        if (!selected(rule, ref)) ref = {};
      }
      if (!ref) continue;
      ++rule.stats.hits;
      out.push_back({rule.stats.rule, rule.measures(*ref.entry)});
    }
  }
  for (BeaconRule& rule : s.beacons) {
    if (rule.flagged_ways == 0) continue;
    const PairKey pair{flow.initiator, flow.responder, flow.responder_port, flow.protocol};
    const auto ref = rule.table.find(s.pair_hash(flow), pair);
    if (!selected(rule, ref)) continue;
    ++rule.stats.hits;
    out.push_back({rule.stats.rule, rule.measures(*ref.entry)});
  }
}

std::size_t BehaviourEngine::memory_bytes() const { return state_->memory_bytes(); }

BehaviourStats BehaviourEngine::stats() const {
  BehaviourStats stats;
  stats.memory_bytes = state_->memory_bytes();
  for (const auto& [kind, index] : state_->order) {
    switch (kind) {
      case RuleKind::scan:
        stats.rules.push_back(state_->scans[index].live_stats(state_->scans[index].table));
        break;
      case RuleKind::amplification: {
        const auto& rule = state_->amplifications[index];
        stats.rules.push_back(rule.live_stats(rule.table));
        break;
      }
      default:
        stats.rules.push_back(state_->beacons[index].live_stats(state_->beacons[index].table));
        break;
    }
  }
  return stats;
}

BehaviourStats BehaviourEngine::counters() const {
  BehaviourStats stats;
  stats.memory_bytes = state_->memory_bytes();
  for (const auto& [kind, index] : state_->order) {
    switch (kind) {
      case RuleKind::scan:
        stats.rules.push_back(state_->scans[index].stats);
        break;
      case RuleKind::amplification:
        stats.rules.push_back(state_->amplifications[index].stats);
        break;
      default:
        stats.rules.push_back(state_->beacons[index].stats);
        break;
    }
  }
  for (BehaviourRuleStats& rule : stats.rules) {
    rule.tracked = 0;
    rule.flagged_now = 0;
  }
  return stats;
}

}  // namespace mamori::sieve
