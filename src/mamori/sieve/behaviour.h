#pragma once
// sieve/behaviour: the behaviour selectors (rule kinds scan, amplification, beacon). Unlike the
// indicator kinds, which match what one flow carries, these match what a source, a victim or a
// host↔server pair did across flows; once one crosses its rule's thresholds, its flows are
// selected for a hold time, and each selection carries the measured values and the thresholds
// (Match::measured) so that the record alone explains it. The sieve feeds flow events in with
// packet time; this engine never reads a clock, never logs, never writes anything anywhere: its
// state is in memory only (I1) and is bounded by a byte budget fixed at create().
//
// Subjects and what is measured (all windows are packet time)
//   scan          subject: the initiator address. An attempt is a flow it starts that looks
//                 opened by it: TCP whose first packet has SYN (SYN+ACK: its SYN took another
//                 path, answered at once); UDP unless it goes from a well-known port (< 1024)
//                 to an ephemeral one (a response, e.g. a reflection whose request was not
//                 seen); ICMP/ICMPv6 request types (echo, timestamp, information, address mask;
//                 node information), not errors; any other protocol. So backscatter (RSTs,
//                 ICMP errors) and reflected responses do not make their sender a scanner,
//                 and neither does UDP scanning from a well-known source port. Its target is
//                 (responder address, responder port, protocol). An attempt is answered when
//                 the responder's first packet (on_reply) is not a TCP RST (SYN-ACK, data; for
//                 UDP/ICMP any reply). Flags when, within the window,
//                   targets ≥ min_targets  and  failed_ratio ≥ min_failed_ratio,
//                   failed_ratio = (attempts − answered) / attempts,
//                 where `attempts` are the decided ones: not those of the last reply_grace to
//                 2 × reply_grace, whose reply may still be in flight (a fast scan has many of
//                 them; counting them as answered would hide it, as failed would accuse a
//                 busy client). targets is a
//                 HyperLogLog estimate (core/sketch.h, P = 7: ~7 % error at 64 targets, ~9 %
//                 at 1000+), capped at attempts. A busy client (answered attempts) never flags.
//   amplification subject: the victim, i.e. the endpoint that receives UDP datagrams sent FROM a
//                 port in udp_ports (either orientation of the flow: at a gateway a flow may
//                 begin with a response whose spoofed request never crossed the link).
//                 response_bytes = bytes from a service port to the victim, request_bytes =
//                 bytes from the victim to a service port. Flags when, within the window,
//                   response_bytes ≥ min_response_bytes  and
//                   response_bytes / max(request_bytes, 1) ≥ min_ratio.
//   beacon        subject: the pair (initiator, responder, responder port, protocol). A series
//                 is a run of consecutive flow starts whose gaps all lie within [min_interval,
//                 max_interval]; a gap outside it (a chatty pair, or a silence) starts a new
//                 series at that start (a start earlier than the last one seen is ignored).
//                 The last 16 gaps of the series are kept, in whole milliseconds. Flags when
//                   connections ≥ min_connections  and  cv ≤ max_cv,
//                 connections = kept gaps + 1, cv = population stddev / mean of the kept gaps,
//                 and  server_clients ≤ max_server_clients  and
//                 client_series ≤ max_client_series.
//                 Periodic traffic that is not command and control has context the pair lacks:
//                 a protocol periodic by design (NTP polls: responder ports in periodic_ports
//                 are not judged, no state is kept for them), or a server that many clients
//                 return to (software update, telemetry: C2 servers are reached by the few
//                 hosts infected on one link). server_clients counts the distinct clients with a
//                 recurring pair to the pair's server (address, port, protocol): a pair counts
//                 when it is admitted to tracking (its second start within about
//                 max_interval) and again once per epoch of max_interval while it recurs, in a
//                 count-min sketch that halves every epoch (so an estimate of the clients of
//                 the current epoch plus a fading memory of earlier ones; it never undercounts
//                 the tracked clients that recurred in the current epoch; a client refused
//                 tracking for want of memory does not count). A C2 server reached by more
//                 clients than max_server_clients on one link is left to the indicator rules
//                 and to the analysis' fan-in findings.
//                 The client's side is the mirror image: a monitoring system polls several
//                 endpoints at once, each pair as regular as a beacon, while an implant keeps
//                 one channel to its C2 at a time (a hopping one moves on, it does not fan out).
//                 client_series counts the regular series the pair's client keeps at once: a
//                 series registers for its client while it looks regular (≥ 2 kept gaps, cv ≤
//                 max_cv, server_clients ≤ max_server_clients) and stays current until twice
//                 its mean interval passes without a start. A client table remembers up to
//                 kMaxClientSeries series per client (direct-mapped by the client's keyed
//                 hash, 1/8 of the rule's memory; a client that meets a slot held by another
//                 client with a current series is not remembered, so at the bound a pair is
//                 judged without this context: more selection, never less). The context is
//                 checked at every crossing: a flagged pair whose server became popular or
//                 whose client turned out to fan out loses its flag and hold at once.
//
// Windows. scan and amplification count in two epochs of window / 2 aligned to absolute packet
// time (the current one and the previous one): what is counted always lies within the last
// `window` (span_s ≤ window_s in every record), and a steady actor is judged over at least the
// last window / 2. Counting of a subject starts when it is admitted to tracking (below).
//
// Flagging, hold and measured values. Thresholds are checked on the events that can raise the
// measurement (scan: its attempts, at most every max(1, min_targets / 8) of them; amplification:
// every response datagram; beacon: every start). A subject is flagged from the first check
// that crosses; the hold is refreshed by every later crossing check and lasts `window` (scan,
// amplification) or max_interval (beacon) after the latest one. While the hold lasts, every
// flow of the subject is selected, including the flow whose event crossed:
//   scan: flows the source initiates; amplification: UDP flows between the victim and an
//   endpoint using one of the rule's ports; beacon: flows of the pair.
// A hit's measured values are those of the latest crossing check (the snapshot taken when the
// subject was flagged, refreshed while it keeps crossing), sorted by name:
//   scan          answered, attempts, failed_ratio, min_failed_ratio, min_targets, span_s,
//                 targets, window_s
//   amplification min_ratio, min_response_bytes, ratio, request_bytes, response_bytes,
//                 service_port (the port carrying the majority of response datagrams; exact when
//                 one port carries more than half), span_s, window_s
//   beacon        client_series, connections, cv, max_client_series, max_cv, max_interval_s,
//                 max_server_clients, mean_interval_s, min_connections, min_interval_s,
//                 server_clients, span_s
// span_s is the time the counts cover (scan, amplification: from the start of the oldest epoch
// counted, or the subject's admission if later; beacon: from the first kept start).
//
// Bounded memory (the design for an adversarial capture with millions of spoofed sources)
//   Per rule, all sized at create() from an equal share of memory_bytes:
//   - an admission sketch: a blocked count-min (core/sketch.h), 1/4 of the share (amplification:
//     two, response and request bytes, 1/8 each), aged by halving every epoch;
//   - a table of full entries: buckets of 8 ways, each bucket a 64-byte directory line (per way
//     a 32-bit tag, the epoch of its last event, a score and flags) plus 8 entries (scan 256 B,
//     amplification 128 B, beacon 192 B).
//   A subject without an entry only counts in the sketch. It is admitted once its estimate
//   reaches kAdmit (scan: 4 attempts; amplification: min_response_bytes / 64 response bytes;
//   beacon: 2 starts) and then takes, in its bucket: an empty way; else a stale way (nothing
//   left in its window and no hold: reused, counted in `expired`); else the least valuable
//   unflagged way — probationary ways (no event since admission) before protected ones,
//   lowest score first, the score halving per epoch without events — but only if the
//   candidate's sketch estimate exceeds that way's score (TinyLFU); else it is refused
//   (`refused`). Flagged ways are never evicted during their hold. Scores: scan, unanswered
//   attempts; amplification, KiB of responses; beacon, the series length; each starts at the
//   admission estimate.
//   So one-off spoofed sources churn among themselves while active actors keep their entries.
//   What is given up at the bound: events of a subject before its admission (scan targets
//   and attempts, amplification responses, beacon starts are not counted; the request bytes
//   of an amplification victim are seeded from the request sketch so that its ratio is not
//   overstated), and under a flood whose sketch noise exceeds an actor's own rate an actor can
//   be refused or evicted and missed. Never: growth past the budget, or a crash.
// memory_bytes() is fixed at create() and never changes; it is ≤ the budget given.
//
// Keys: addresses and targets are hashed with SipHash-1-3 under keys derived from `seed` (random
// per run in the sieve; fixed in tests), a pair by a keyed non-linear mix of its initiator's and
// target's hashes; so crafted addresses cannot aim at a bucket, a sketch cell or a register.
// Costs: a new flow costs two SipHashes (initiator; target, for scan and beacon rules) and per
// scan or beacon rule one directory line and one sketch line, all prefetched together before
// use, plus the entry's lines when tracked; a service datagram one SipHash per subject and per
// amplification rule a directory line and a sketch line, likewise. The keyed hashes of the
// latest addresses and target are kept, so the look-ahead, the events and selections() of one
// packet hash each address once. The look-ahead (prefetch_flow_start, prefetch_udp) lets the
// caller start those loads before its own flow-table work: the sieve does, and most of the
// misses then overlap with its flow-table miss. Aging the sketches is O(1) per epoch (a block
// catches up on its halvings when touched, core/sketch.h), so a burst of events after an epoch
// boundary pays nothing for the size of the sketches. The tables sit in huge pages (core/sketch.h
// FixedArray). No allocation: selections() allocates only for the hits it appends (the measure
// vectors and their names). Measured on a shared 2-core VM (noisy, ± 20 %):
// bench/behaviour_bench.cc, all three rules: ~180 ns per new flow with the state
// cache-resident, ~300 ns with 64 MiB in DRAM (no look-ahead there); ~100 / ~300 ns per DNS
// response datagram. End to end (bench/behaviour_sieve_bench.cc, paired): the synthetic capture
// ~10-15 % slower with the rules on (mostly the four random lines of each new flow and the
// records' measured values), a flood of spoofed one-packet SYN sources ~75-85 % slower (the
// worst case: four random DRAM lines per packet against the flow table's two or three).
// Single-threaded: one engine per sieve; the engines of a sharded sieve's shards may share
// their beacon rules' server popularity (SharedServerClients, below), the one thread-safe part.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <variant>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/core/sketch.h"
#include "mamori/core/time.h"
#include "mamori/sieve/match_set.h"
#include "mamori/sieve/record.h"

namespace mamori::sieve {

struct ScanParams {
  std::uint32_t min_targets = 64;               // 8 .. 1'000'000
  Duration window = Duration::seconds(300);     // 2 s .. 1 day
  double min_failed_ratio = 0.8;                // 0 .. 1
  Duration reply_grace = Duration::seconds(2);  // 0 .. window / 4
};

// Reflection/amplification services (US-CERT TA14-017A and later): QOTD 17, chargen 19, DNS 53,
// TFTP 69, portmap 111, NTP 123, NetBIOS 137, SNMP 161, CLDAP 389, RIPv1 520, MS-SQL 1434,
// SSDP 1900, ARMS 3283, WS-Discovery 3702, mDNS 5353, CoAP 5683, Ubiquiti 10001, memcached 11211.
inline constexpr std::array<std::uint16_t, 18> kAmplificationPorts = {
    17, 19, 53, 69, 111, 123, 137, 161, 389, 520, 1434, 1900, 3283, 3702, 5353, 5683, 10001, 11211};

struct AmplificationParams {
  std::vector<std::uint16_t> udp_ports = {kAmplificationPorts.begin(), kAmplificationPorts.end()};
  double min_ratio = 10;                       // > 0
  std::uint64_t min_response_bytes = 100'000;  // 1 .. 2^40
  Duration window = Duration::seconds(60);     // 2 s .. 1 day
};

struct BeaconParams {
  std::uint32_t min_connections = 8;                  // 3 .. kMaxBeaconGaps + 1
  double max_cv = 0.2;                                // 0 .. 10
  Duration min_interval = Duration::seconds(5);       // 1 ms .. max_interval
  Duration max_interval = Duration::seconds(21'600);  // 6 h; .. 7 days
  std::uint32_t max_server_clients = 8;               // 1 .. 65535
  std::vector<std::uint16_t> periodic_ports = {123};  // responder ports not judged
  std::uint32_t max_client_series = 1;                // 1 .. kMaxClientSeries - 1
};

inline constexpr std::uint32_t kMaxBeaconGaps = 16;   // gaps kept per pair
inline constexpr std::uint32_t kMaxClientSeries = 4;  // regular series remembered per client

using BehaviourParams = std::variant<ScanParams, AmplificationParams, BeaconParams>;

struct BehaviourRule {
  RuleIndex rule = 0;  // the rule's index in the CompiledRuleset
  BehaviourParams params = ScanParams{};
};

// What the engine sees of a flow, oriented as the flow table orients it.
struct BehaviourFlow {
  IpAddress initiator;
  IpAddress responder;
  std::uint16_t initiator_port = 0;
  std::uint16_t responder_port = 0;
  std::uint8_t protocol = 0;  // IP protocol number

  bool operator==(const BehaviourFlow&) const = default;
};

struct BehaviourHit {
  RuleIndex rule = 0;
  std::vector<Measure> measured = {};  // sorted by name, unique, finite; ≤ kMaxMeasures
};

struct BehaviourRuleStats {
  RuleIndex rule = 0;
  RuleKind kind = RuleKind::scan;
  std::size_t memory_bytes = 0;       // sketch(es) + table (+ port bitmap) of this rule
  std::uint64_t capacity = 0;         // full entries
  std::uint64_t tracked = 0;          // entries holding a live subject at the latest event time
  std::uint64_t flagged_now = 0;      // of them, flagged and within their hold
  std::uint64_t below_admission = 0;  // events of untracked subjects under the admission mark
  std::uint64_t admitted = 0;         // entries given to subjects
  std::uint64_t refused = 0;          // admissions refused: no way worth replacing
  std::uint64_t evicted = 0;          // live unflagged subjects replaced
  std::uint64_t expired = 0;          // stale entries reused
  std::uint64_t flagged = 0;          // times a subject became flagged (from unflagged)
  std::uint64_t hits = 0;             // selections appended
};

struct BehaviourStats {
  std::size_t memory_bytes = 0;
  std::vector<BehaviourRuleStats> rules;  // in the order of the rules given to create()
};

// One beacon rule's server_clients, shared by the engines of a sharded sieve's shards. The
// router keeps a client's pairs in one shard but spreads a server's clients over all of them,
// so a count per shard would see about 1/S of a server's clients: each engine adds the clients
// it admits here instead, and reads the count of all. Thread-safe (a mutex: a count is added
// when a pair is admitted or recurs in a new epoch, and read when a regular pair is judged,
// far less often than per packet). Ages by halving once per epoch of absolute packet time:
// the first shard to enter an epoch halves it; a count from a shard still in an earlier
// epoch is dropped (one sieve would have halved it away). What can differ from one sieve's
// count: a shard sees the counts another shard, ahead in the packet stream by at most the
// batches in flight, has added already, so a server that one sieve would judge popular a
// moment later can be judged so a moment earlier (bounded by the sharded sieve's batches in
// flight; a server with at most max_server_clients clients in the epoch is never judged
// popular for it).
class SharedServerClients {
 public:
  // Each engine that shares the counts sets aside the bytes its own count would have taken
  // (BehaviourEngine::create); allocate() then sizes the counts to their sum, once every engine
  // is made and before any is used, so the run's behaviour memory stays within its budget.
  void set_aside(std::size_t bytes);
  void allocate();
  // Adds a client of `server` counted in `epoch`; returns the server's estimate.
  std::uint16_t add(std::uint64_t server, std::int64_t epoch);
  std::uint16_t estimate(std::uint64_t server, std::int64_t epoch);
  std::size_t memory_bytes() const { return counts_.memory_bytes(); }

 private:
  void age_to(std::int64_t epoch);  // under mutex_

  std::mutex mutex_;
  std::size_t set_aside_ = 0;
  CountMinSketch<std::uint16_t> counts_{0};  // one block until allocate()
  std::int64_t epoch_ = -1;                  // the latest epoch any shard entered
};

class BehaviourEngine {
 public:
  // Validates the rules (errors name the rule index and the parameter) and reserves all state:
  // memory_bytes is the hard bound for everything the engine holds, including its own object.
  // Fails when the budget is below the fixed overhead (the engine object, 8 KiB per port
  // bitmap) plus kMinBytesPerRule per rule.
  // `shared_server_clients`: empty, or one per beacon rule (in the order of `rules`), used
  // instead of the rule's own count: the engine sets its count's bytes aside for it and
  // reserves none itself (so they are not in memory_bytes()). Every engine sharing them must
  // have the same `seed`.
  static Result<BehaviourEngine> create(
      std::vector<BehaviourRule> rules, std::size_t memory_bytes, std::uint64_t seed,
      std::span<SharedServerClients* const> shared_server_clients = {});
  static constexpr std::size_t kMinBytesPerRule = 4096;

  BehaviourEngine(BehaviourEngine&&) noexcept;
  BehaviourEngine& operator=(BehaviourEngine&&) noexcept;
  ~BehaviourEngine();

  // A new flow (after scope admission). `first_tcp_flags`: the TCP flags of the flow's first
  // packet (ignored for other protocols). Scan rules count the flow when it is an attempt (see
  // above; a first packet with SYN+ACK, i.e. its SYN took another path, is an attempt answered
  // at once), beacon rules always.
  void on_flow_start(const BehaviourFlow& flow, std::uint8_t first_tcp_flags, Timestamp time);
  // The first packet from the responder of a flow; `tcp_flags` are that packet's.
  void on_reply(const BehaviourFlow& flow, std::uint8_t tcp_flags, Timestamp time);
  // A UDP datagram of a flow in which wants_udp_port() holds for either port. direction 0:
  // initiator → responder, 1: the reverse. `bytes`: what the sieve counts for the flow.
  void on_udp_bytes(const BehaviourFlow& flow, int direction, std::size_t bytes, Timestamp time);
  // O(1), inline; false for every port when there is no amplification rule.
  bool wants_udp_port(std::uint16_t port) const {
    // Most datagrams carry an ephemeral port above every service port: no bitmap load.
    return port <= udp_port_max_ && udp_ports_ != nullptr &&
           ((udp_ports_[port >> 6] >> (port & 63)) & 1) != 0;
  }

  // Optional look-ahead, for the caller to issue as early as it knows the packet (e.g. before
  // its own flow-table work), so that the engine's cache misses overlap with that work instead
  // of stalling the event. No effect on any result; the keyed hashes computed here are kept for
  // the events of the same packet.
  // A flow about to be reported to on_flow_start (oriented as it will be):
  void prefetch_flow_start(const BehaviourFlow& flow, std::uint8_t first_tcp_flags);
  // A UDP datagram from `source` to `destination` about to be reported to on_udp_bytes:
  void prefetch_udp(const IpAddress& source, std::uint16_t source_port,
                    const IpAddress& destination, std::uint16_t destination_port);

  // Appends (does not clear `out`) one hit per behaviour rule whose flagged subject this flow
  // belongs to at `time`. The sieve calls it for each new flow after on_flow_start, and after
  // on_udp_bytes, so the flow whose event crossed a threshold is selected too.
  void selections(const BehaviourFlow& flow, Timestamp time, std::vector<BehaviourHit>& out);

  // What the engine holds: fixed at create(), ≤ the budget given to it.
  std::size_t memory_bytes() const;
  // O(table size): `tracked` and `flagged_now` are counted over the directories.
  BehaviourStats stats() const;
  // stats() without `tracked` and `flagged_now` (left 0): O(rules), for a summary at the end of
  // a run that does not report them.
  BehaviourStats counters() const;

 private:
  struct State;
  explicit BehaviourEngine(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  const std::uint64_t* udp_ports_ = nullptr;  // the union port bitmap, held by state_
  std::uint16_t udp_port_max_ = 0;            // its highest port
};

}  // namespace mamori::sieve
