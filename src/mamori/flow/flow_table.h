#pragma once
// flow/flow_table: the bidirectional flow table of the sieve. Bounded: every byte is allocated
// at construction from max_flows (entries are constructed lazily in that block; nothing is
// allocated per flow). Single-threaded: one table per sieve thread.
//
// How the sieve uses it
//   For every in-scope packet: `auto r = table.find_or_create(packet, on_end)`. It returns the
//   entry, the packet's direction and whether the entry was just created, and it has already
//   counted the packet (packets/bytes per direction, TCP flags, first/last seen). On
//   `r.created`, the sieve sets `category` (from the entry's initiator and responder: a
//   recalled entry keeps its original initiator, so the packet may be the reverse one) and,
//   unless `r.recalled`, decides the verdict.
//   Regularly (every N packets, or when packet time advanced >= 1 s) it calls
//   `table.expire(packet_time, on_end)`; at the end of input `table.drain(on_end)`.
//
// Ends of flows: `on_end(FlowEntry&, EndReason)` is called exactly once per ended flow (and
// once per finished segment for active_timeout), before the entry is reused. The handler may
// change the sieve-owned fields but must not call into the table.
//   tcp_closed     RST, or FIN seen in both directions, then `tcp_close_grace` of packet time
//                  (so the final ACK is still counted to the flow). A SYN without ACK during the
//                  grace ends the old flow at once and starts a new one (port reuse).
//   idle_timeout   no packet for idle_timeout: a packet at last_seen + idle_timeout or later
//                  starts a new flow; expire(now) ends flows with last_seen + idle <= now.
//   active_timeout a packet at first_seen + active_timeout or later ends the segment before it
//                  is counted; the same entry continues with counters, flags, first/last seen
//                  reset to that packet (verdict, category, inspected and annotation kept;
//                  `r.new_segment` is set). Applied on packet arrival only, so segments do not
//                  depend on how often expire() is called; a flow silent since its active
//                  deadline ends by idle timeout with its whole last segment.
//   evicted        the table is full: the least recently seen flow makes room (closing flows
//                  first, reported as tcp_closed and counted in closed_early). "Least recently"
//                  is exact with lru_granularity 0, else within lru_granularity.
//   end_of_input   drain(): every remaining flow (closing ones as tcp_closed).
//
// Recall ("what is evicted early is still decided correctly"): when a flow is ended early
// (evicted, or closed early) with a decided verdict, its verdict, `annotation` (as the handler
// left it: rewrite it to a tag that outlives your side data, or kNoAnnotation) and direction
// are remembered in a VerdictMemory. If a later packet of it creates a new entry before the
// flow would have idled out, the entry starts with that verdict and annotation as tag, keeps
// the original initiator (the packet may then be reverse), and `r.recalled` is set.
//
// Keys (see flow_key.h): ICMP is keyed by (type, code), a reply joining its request's flow.
// Non-first fragments (has_transport == false) have ports 0: they form the 3-tuple flow
// (src, dst, protocol), separate from the 5-tuple flow of the first fragment, because they
// cannot be matched to it without reassembly. The sieve counts them there and must not inspect
// their payload as if it began a transport payload.
//
// Time is packet time. Times are expected to be nondecreasing; with out-of-order timestamps the
// table stays correct and bounded, but idle/close expiry by expire() may come later than exact
// (by at most the disorder), and first_seen/last_seen are the min/max timestamps seen.
//
// Costs: find_or_create reads one index chunk and one entry (two cache lines, one 128-byte
// block) for a known flow, and writes the two LRU neighbours it relinks (at most once per
// lru_granularity); see the look-ahead below to overlap those misses across packets.
// Creating at capacity adds the victim's chunk and its verdict memory cell, prefetched one
// eviction ahead. expire() is O(flows ended): it stops at the first flow still alive.
// Memory at max_flows = 1M: 128 MB entries + 6.4 MB index + 2.1 MB verdict memory (130 MiB),
// in huge pages where the kernel grants them.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/decode/packet.h"
#include "mamori/flow/block.h"
#include "mamori/flow/flow_entry.h"
#include "mamori/flow/flow_index.h"
#include "mamori/flow/flow_key.h"
#include "mamori/flow/verdict_memory.h"

namespace mamori::flow {

struct FlowTableConfig {
  std::uint32_t max_flows = 1u << 20;  // 1 .. kMaxFlows
  Duration idle_timeout = Duration::seconds(60);
  Duration active_timeout = Duration::seconds(1800);
  Duration tcp_close_grace = Duration::seconds(2);
  // 0: exact LRU, a flow moves to the LRU tail with every packet. G > 0: at most once per G of
  // packet time, which saves the random writes to its list neighbours for busy flows; then
  // eviction picks a flow whose last packet is within G of the least recently seen one's,
  // and expire() may end an idle flow up to G late (find_or_create stays exact).
  Duration lru_granularity = Duration{0};
  // Cells of the verdict memory; 0 picks max_flows / 8. Rounded up to a power of two. A cell
  // lasts until another eviction lands on it: raise this when counters().forgotten grows.
  std::uint32_t recall_slots = 0;
  // Pass a random value in production (hash flooding); tests pass fixed seeds.
  std::uint64_t hash_seed = 0;
};

inline constexpr std::uint32_t kMaxFlows = FlowIndex::kMaxEntries;

struct FlowCounters {
  std::uint64_t created = 0;       // entries created (new flows, including recalled ones)
  std::uint64_t recalled = 0;      // created entries that started from a remembered verdict
  std::uint64_t remembered = 0;    // verdicts stored in the verdict memory
  std::uint64_t forgotten = 0;     // stores that overwrote a still valid remembered verdict
  std::uint64_t closed_early = 0;  // closing flows ended before their grace to make room
  std::uint64_t peak_flows = 0;    // most flows live at once
  std::array<std::uint64_t, kEndReasonCount> ended{};  // on_end calls by reason

  std::uint64_t ended_by(EndReason reason) const { return ended[static_cast<int>(reason)]; }
};

struct FlowLookup {
  FlowEntry* entry = nullptr;  // never null after find_or_create
  Direction direction = Direction::forward;
  bool created = false;      // a new flow: the sieve classifies it
  bool recalled = false;     // created with a remembered verdict (and annotation as tag)
  bool new_segment = false;  // an active timeout just ended the previous segment
};

// A non-owning reference to a callable `void(FlowEntry&, EndReason)`: one indirect call per
// ended flow, no allocation. Valid only for the duration of the call it is passed to.
class FlowEndHandler {
 public:
  template <typename F>
  requires(!std::same_as<std::remove_cvref_t<F>, FlowEndHandler> &&
           std::invocable<F&, FlowEntry&, EndReason>)
      // Implicit: passed as a lambda. The requires-clause excludes FlowEndHandler itself, which
      // clang-tidy 16's forwarding-reference check does not read.
      // NOLINTNEXTLINE(google-explicit-constructor,bugprone-forwarding-reference-overload)
      FlowEndHandler(F&& handler)
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(handler)))),
        call_([](void* object, FlowEntry& entry, EndReason reason) {
          (*static_cast<std::remove_reference_t<F>*>(object))(entry, reason);
        }) {}

  void operator()(FlowEntry& entry, EndReason reason) const { call_(object_, entry, reason); }

 private:
  void* object_;
  void (*call_)(void*, FlowEntry&, EndReason);
};

class FlowTable {
 public:
  // Fails when max_flows is 0 or above kMaxFlows, or a timeout is not positive (grace may be 0).
  static Result<FlowTable> create(const FlowTableConfig& config);

  FlowTable(FlowTable&&) noexcept = default;
  FlowTable& operator=(FlowTable&&) noexcept = default;
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;
  ~FlowTable() = default;

  // Finds the packet's flow or creates it (ending a stale or the least recent flow first when
  // needed, through on_end), and counts the packet into it. Never fails, never allocates.
  FlowLookup find_or_create(const decode::DecodedPacket& packet, FlowEndHandler on_end);

  // Ends closing flows past their grace and flows idle for idle_timeout at `now`.
  // Returns the number of flows ended.
  std::size_t expire(Timestamp now, FlowEndHandler on_end);

  // Ends every flow (end_of_input; closing ones tcp_closed) and empties the table and the
  // verdict memory. Returns the number of flows ended.
  std::size_t drain(FlowEndHandler on_end);

  // Read-only lookup without side effects; null when absent. Sets `direction` when found.
  const FlowEntry* find(const FlowKey& key, Direction* direction = nullptr) const;
  // Same with the hash already computed (hash_of(packet) for key_of(packet)), e.g. to look
  // before find_or_create(packet, hash, on_end) without hashing twice.
  const FlowEntry* find(const FlowKey& key, std::uint64_t hash,
                        Direction* direction = nullptr) const;

  // Look-ahead (optional) for a sieve that holds decoded packets before processing them: a
  // lookup in a large table is two dependent memory round trips (index chunk, then entry).
  // Pipeline over a batch, e.g. with d = 4..8 and h[i] = hash_of(p[i]) computed once:
  //   prefetch_index(h[i + 2d]); prefetch_entry(h[i + d]); find_or_create(p[i], h[i], on_end);
  // The prefetches are hints without side effects (prefetch_entry reads the chunk, by then
  // cached; for a flow not in it, it fetches the verdict memory cell creation will read). The hash
  // passed to find_or_create must be hash_of() of that same packet.
  std::uint64_t hash_of(const decode::DecodedPacket& packet) const {
    return hasher_(key_of(packet));
  }
  void prefetch_index(std::uint64_t hash) const { index_.prefetch(hash); }
  void prefetch_entry(std::uint64_t hash) const {
    const std::uint32_t entry = index_.likely_entry(hash);
    if (entry == FlowIndex::kNotFound) {
      // Most likely a new flow: creating it will consult the verdict memory.
      if (counters_.remembered != 0) memory_.prefetch(hash);
      return;
    }
    const char* bytes = reinterpret_cast<const char*>(&entries_[entry]);
    __builtin_prefetch(bytes, 1);
    __builtin_prefetch(bytes + 64, 1);
  }
  FlowLookup find_or_create(const decode::DecodedPacket& packet, std::uint64_t hash,
                            FlowEndHandler on_end);

  std::size_t size() const { return size_; }
  std::uint32_t max_flows() const { return config_.max_flows; }
  const FlowTableConfig& config() const { return config_; }
  const FlowCounters& counters() const { return counters_; }
  const FlowHasher& hasher() const { return hasher_; }
  const VerdictMemory& verdict_memory() const { return memory_; }
  // Bytes reserved at construction: entries, index and verdict memory (the entry block is
  // touched, and becomes resident, only as flows are created).
  std::size_t memory_bytes() const;

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  struct List {
    std::uint32_t head = kNone;
    std::uint32_t tail = kNone;
  };

  explicit FlowTable(const FlowTableConfig& config);

  FlowLookup create_flow(const FlowKey& key, std::uint64_t hash,
                         const decode::DecodedPacket& packet, FlowEndHandler on_end);
  void make_room(Timestamp now, FlowEndHandler on_end);
  void prefetch_eviction(const FlowEntry& head) const;
  // Calls the handler (flagged, so that a re-entrant call asserts in debug builds), counts it.
  void notify(FlowEndHandler on_end, FlowEntry& entry, EndReason reason);
  // Calls on_end, counts the reason and removes the entry.
  void end_flow(std::uint32_t index, EndReason reason, FlowEndHandler on_end);
  // Takes the entry out of the index and its list and puts it on the free list.
  void remove(std::uint32_t index);
  void remember(const FlowEntry& entry, Timestamp now, Timestamp expiry);
  void record(FlowEntry& entry, Direction direction, const decode::DecodedPacket& packet);
  void begin_closing(std::uint32_t index);
  void start_segment(FlowEntry& entry, Timestamp now);
  std::uint32_t allocate();

  void link_tail(List& list, std::uint32_t index);
  void unlink(List& list, std::uint32_t index);
  std::uint32_t index_of_entry(const FlowEntry& entry) const {
    return static_cast<std::uint32_t>(&entry - entries_.get());
  }

  FlowTableConfig config_;
  FlowHasher hasher_;
  Block<FlowEntry> entries_;  // constructed lazily: [0, high_water_) were used
  FlowIndex index_;
  VerdictMemory memory_;
  List lru_;                         // open flows, least recently seen first
  List closing_;                     // closing flows, in order of their close deadline
  std::uint32_t free_head_ = kNone;  // ended entries, linked through next_
  std::uint32_t high_water_ = 0;     // entries [high_water_, max_flows) were never used
  std::size_t size_ = 0;
  FlowCounters counters_;
  bool in_handler_ = false;
};

}  // namespace mamori::flow
