#pragma once
// sieve/shard: the sieve on every core ([sieve] workers = N). Internal to the sieve module:
// Sieve::create builds one of these when workers > 1; nothing else includes this header (the
// tests do, for the router).
//
// A sharded sieve is S complete single-threaded sieves (shards: each its own flow table,
// matcher scratch and behaviour engine), walked by T threads (lanes): the calling one (lane 0)
// and T-1 workers; Sieve::create makes S = kShardsPerThread x T. The caller does not route:
// it appends each packet to a batch that every lane walks in full. Per packet a lane decodes
// the headers (decode_packet: link, network, transport, no application parsing; ~12 ns,
// cheaper than handing a packet to another thread), keeps one sieve's expiry schedule, asks
// ShardRouter whose packet it is and processes it if that shard is one of its own. A stable
// packet (capture::RawPacket::stable: a capture file's mapping) enters the batch as its span,
// so no byte is copied; any other is copied into the batch once. A full batch goes to every
// worker; the caller walks its part kCallerLag batches later, so that no thread waits for
// another at each batch (the loads differ from batch to batch, and in lock-step every batch
// would cost the slowest part). A worker that has caught up polls briefly for the next batch
// before it sleeps (a futex wake-up costs tens of µs, about one batch's part). A fixed pool
// of kBatchesInFlight batches bounds what is in flight: when a worker falls behind, the caller
// waits for it (backpressure, never unbounded memory, never a lost packet).
//
// Balance. Which clients carry the traffic changes all the time, and a keyed hash splits them
// unevenly (on the 512 MiB bench capture, the busier of two halves carried 54 % of the bytes
// at the median key and 60 % at the 90th percentile); the caller also reads and fills the
// batches. So a shard is not tied to a
// thread: every kBalancePeriod batches the caller looks at how many batches each worker has
// left to walk. A worker about to run dry (kHungryBacklog) takes a shard from the lane with
// the most left; a worker far behind (kBehindBacklog) gives one to the lane with the least.
// The shard moved is the one whose recent packet count is nearest half the difference, and
// one move completes before the next is decided. A move happens at a batch boundary of the
// giving lane: the shard stops there (its cursor and expiry schedule go with it, through
// mutex_). A new lane behind that point parks the shard until it gets there; a new lane past
// it walks those batches again for that shard alone, from the routes it noted on its first
// walk (ShardBatch::routes: only the shard's own packets are decoded again). The batches wait
// for it: a batch is done when every shard has walked it. So each shard still walks every
// batch once, in order, whichever threads walk it.
//
// Stable packets: their bytes must stay valid until the sieve's next summary(),
// stop_selection() or finish() returns, or the sieve is destroyed (every capture file source
// outlives the sieve reading it).
//
// What stays exactly as one sieve would do it:
//   - every flow lives in one shard (the router is symmetric), so its packets are processed in
//     capture order by one state (on one thread at a time);
//   - flow expiry runs on the schedule one sieve would run it (every shard sees every
//     packet's time and expires at the same point of the packet stream);
//   - an undecodable packet is counted once (by shard 0);
//   - stop_selection(): every packet handed over before it is processed under selection, none
//     after (a stop marker travels in the batches, and the call waits for all shards to reach
//     it);
//   - the summary is the sum of the shards' (RunSummary::merge), the packet times the
//     caller's.
// Records travel back with their batch (per shard) and are delivered to the RecordSink on the
// calling thread, from process(), stop_selection(), summary() and finish(): the sink need not
// be thread-safe. Their order across shards differs from one sieve's; as a set they are the
// same, up to the limits below.
//
// Sharding key (ShardRouter). Behaviour rules judge subjects across flows (scan: the
// initiator; amplification: the victim; beacon: the client/server pair and the client's
// series), so the key must keep a subject's flows in one shard, not only a flow's two
// directions. The router orients each flow by its service side, from the direction-free flow
// key: a UDP port of an amplification rule is the server's; else the lower port is the
// server's (ICMP: the flow key puts the request type on the requester's side and the code on
// the responder's, so the echo requester is the client); equal ports and portless packets
// (non-first fragments, other protocols) take the lower address as the client. The shard is a
// keyed hash (random per run) of the CLIENT address. So a scanner probing service ports from
// an ephemeral one, a beacon client, and an amplification victim (replies come from the
// service port to it) each stay in one shard.
//
// Where a sharded sieve can select differently from one sieve (documented, measured in
// tests/sieve/sharded_sieve_test.cc and bench/sharded_sieve_bench.cc):
//   - beacon server popularity (server_clients): a server's clients are spread over the
//     shards, so the shards' beacon rules count them together (SharedServerClients in
//     behaviour.h). A shard can see clients that another shard, further on in the packet
//     stream (by at most the batches in flight), has counted already: a server with more than
//     max_server_clients clients can be judged popular a moment earlier or later than one
//     sieve would (a C2 server's few clients are unaffected);
//   - a scanner probing ports above its own source port (e.g. 50000 from 45000): those flows
//     are keyed by the target, so its targets split over the shards and its count is divided;
//   - the bounds are divided: each shard's flow table holds max(1024, ceil(max_flows / S))
//     flows and its behaviour engine gets behaviour_memory_mb / S, so eviction and the
//     behaviour memory bound act per shard (a skewed shard evicts before the total reaches
//     max_flows). The beacon rules' shared server counts are sized as one sieve's; they are
//     held once, outside the shards' shares, and not in the summary's behaviour memory_bytes.
// A sieve with workers = 1 is the plain single-threaded sieve: none of this code runs.
//
// Measured: speed in docs/benchmarks.md, "All cores" (bench/sharded_sieve_bench.cc). In the
// detection-profile test capture (seeds 1234, 99, 7, 31337), 0-6 beacon records of ~3300
// differed from one sieve's with workers 2 and 4; counted per shard instead, 13-30 did with 2
// shards and 81-107 with 4 or more; nothing else differed.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "mamori/capture/packet_source.h"
#include "mamori/core/error.h"
#include "mamori/decode/packet.h"
#include "mamori/flow/flow_key.h"
#include "mamori/sieve/record.h"
#include "mamori/sieve/run_summary.h"

namespace mamori::sieve {

class RecordSink;

namespace detail {

// Whether the sieve processes a packet decoded with `status` (the rest are counted as
// undecodable and go no further).
inline bool processable(decode::DecodeStatus status) {
  return status == decode::DecodeStatus::ok || status == decode::DecodeStatus::non_first_fragment ||
         status == decode::DecodeStatus::unknown_transport;
}

// One shard's single-threaded sieve state, as the sharded sieve drives it. `packet` and
// `status` are decode_packet(raw)'s; expiry is driven from outside (expire()).
class ShardWorker {
 public:
  virtual ~ShardWorker() = default;
  virtual void shard_process(const capture::RawPacket& raw, const decode::DecodedPacket& packet,
                             decode::DecodeStatus status) = 0;
  virtual void shard_expire(Timestamp now) = 0;
  virtual void shard_stop_selection() = 0;
  virtual void shard_finish() = 0;
  virtual const RunSummary& shard_summary() const = 0;
};

// Picks the shard of a decoded packet's flow (see above). Same shard for both directions of a
// flow and for every flow of a client.
class ShardRouter {
 public:
  // `service_udp_ports`: the UDP ports of the ruleset's amplification rules.
  ShardRouter(std::uint32_t shards, std::span<const std::uint16_t> service_udp_ports,
              std::uint64_t seed);

  std::uint32_t shards() const { return shards_; }
  std::uint32_t shard_of(const decode::DecodedPacket& packet) const;
  // The address the shard is derived from: the flow's client as oriented above.
  const IpAddress& client_of(const decode::DecodedPacket& packet) const;

 private:
  bool service_udp_port(std::uint16_t port) const {
    return ((service_ports_[port >> 6] >> (port & 63)) & 1) != 0;
  }

  std::uint32_t shards_;
  std::vector<std::uint64_t> service_ports_;  // bitmap over the 65536 UDP ports
  std::uint64_t key0_;
  std::uint64_t key1_;
};

// The packets and markers every thread walks in order, and the records each shard produced.
struct ShardBatch {
  enum class Op : std::uint8_t { packet, stop_selection, finish, quit };
  struct Item {
    Op op = Op::packet;
    capture::LinkType link_type = capture::LinkType::ethernet;
    std::uint32_t wire_length = 0;
    Timestamp timestamp{};
    const std::uint8_t* stable = nullptr;  // a stable packet's bytes; else at `offset` in bytes
    std::uint32_t offset = 0;              // < kBatchBytes + one packet
    std::uint32_t length = 0;  // a packet's captured bytes (a snap length, far below 4 GiB)
  };
  static_assert(sizeof(Item) == 32, "two items per cache line: the caller writes one per packet");
  std::vector<Item> items;
  std::vector<std::uint8_t> bytes;           // copies of the packets that are not stable
  std::vector<std::vector<Record>> records;  // per shard
  // Per lane, per item: the shard the lane's walk routed the packet to (kUnprocessable: not
  // processed), so that a shard moving to a lane that is further on catches up cheaply.
  std::vector<std::vector<std::uint16_t>> routes;
  std::uint32_t parts_left = 0;  // shards yet to walk it; under mutex_

  std::span<const std::uint8_t> data_of(const Item& item) const {
    return item.stable != nullptr
               ? std::span<const std::uint8_t>(item.stable, item.length)
               : std::span<const std::uint8_t>(bytes.data() + item.offset, item.length);
  }
  capture::RawPacket packet_of(const Item& item) const {
    return {.timestamp = item.timestamp,
            .wire_length = item.wire_length,
            .link_type = item.link_type,
            .data = data_of(item),
            .stable = item.stable != nullptr};
  }
};

class ShardedSieve {
 public:
  // Builds shard `index` emitting into `sink` (a sink that collects the shard's records into
  // the batch being walked; the caller delivers them).
  using ShardFactory =
      std::function<Result<std::unique_ptr<ShardWorker>>(std::uint32_t index, RecordSink& sink)>;

  // Items per batch, and batches in flight: the workers hold at most kBatchesInFlight batches
  // (their copied bytes each kBatchBytes plus one oversized packet).
  static constexpr std::size_t kBatchPackets = 512;
  static constexpr std::size_t kBatchBytes = std::size_t{512} << 10;
  static constexpr std::size_t kBatchesInFlight = 64;
  // Batches the caller hands over before it walks its part of the oldest of them, so a worker
  // whose shards are lighter in a burst goes on with the next batches instead of waiting for
  // the caller to finish the current one.
  static constexpr std::size_t kCallerLag = 8;
  // Shards per thread that Sieve::create asks for: enough that moving one shifts a small
  // share of the load (see "Balance" above).
  static constexpr std::uint32_t kShardsPerThread = 4;
  // How often (in batches handed over) the caller looks at the balance; a worker with at most
  // kHungryBacklog batches left to walk takes a shard, one with kBehindBacklog gives one.
  static constexpr std::uint64_t kBalancePeriod = 8;
  static constexpr std::uint64_t kHungryBacklog = 2;
  static constexpr std::uint64_t kBehindBacklog = 24;

  // `threads` (1..router.shards()) threads walk the router's shards: the caller and
  // threads - 1 workers.
  static Result<std::unique_ptr<ShardedSieve>> create(ShardRouter router, std::uint32_t threads,
                                                      RecordSink& sink,
                                                      const ShardFactory& factory);
  // One thread per shard.
  static Result<std::unique_ptr<ShardedSieve>> create(ShardRouter router, RecordSink& sink,
                                                      const ShardFactory& factory);
  ~ShardedSieve();  // finishes (joins the workers) if finish() was not called
  ShardedSieve(const ShardedSieve&) = delete;
  ShardedSieve& operator=(const ShardedSieve&) = delete;

  void process(const capture::RawPacket& raw);
  void stop_selection();
  void finish();
  // Waits until every packet handed over is processed, delivers the records, and returns the
  // merged summary: a synchronisation point, not for every packet.
  RunSummary& summary();
  // Shards moved from one thread to another so far (for tests and benchmarks).
  std::uint64_t moves() const { return moves_done_.load(std::memory_order_relaxed); }

 private:
  struct Shard;
  struct Lane;
  ShardedSieve(ShardRouter router, RecordSink& sink);

  static constexpr std::uint16_t kUnprocessable = 0xffff;

  // `lane` walks `batch` (sequence number lane.next) for the shards it owns, noting every
  // packet's route; true at a finish or quit marker.
  bool walk_owned(Lane& lane, ShardBatch& batch);
  // `lane`, which walked `batch` before, walks it again for shard `shard` alone (catching up
  // a shard that moved to it from a lane further back).
  void walk_one(Lane& lane, std::uint32_t shard, ShardBatch& batch);
  void worker_loop(Lane& lane);
  // The next batch for a worker lane, or nullptr when mail came first.
  ShardBatch* wait_for_batch(Lane& lane);
  // A lane that passed the last batch waits for the shards still moving to it.
  void drain_arrivals(Lane& lane);
  // At a batch boundary: hands over the shards the caller asked `lane` to give, and takes
  // those given to it (catching each up to the lane's position first).
  void handle_mail(Lane& lane);
  void adopt(Lane& lane, std::uint32_t shard);
  void adopt_parked(Lane& lane);
  void give(Lane& from, std::uint32_t shard, std::uint32_t to);
  ShardBatch* batch_at(std::uint64_t sequence);
  // Counts `shards` walks of `batch` as done; the last one makes it returnable.
  void part_done(ShardBatch& batch, std::uint32_t shards);
  void append_marker(ShardBatch::Op op);
  // Hands the filling batch to every worker, walks the caller's part of the batch handed
  // over kCallerLag batches before, and takes a spare batch.
  void hand_over();
  void walk_local_oldest();
  // Moves one shard from a thread that falls behind to one that waits (see "Balance").
  void balance();
  // Delivers the records of the batches every shard is done with and makes them spare; waits
  // for one when none is spare (backpressure), or for all of them with `wait_for_all`.
  void collect(bool wait_for_all);
  void hand_over_marker_and_wait(ShardBatch::Op op);
  void merge_summaries();

  ShardRouter router_;
  RecordSink& sink_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::unique_ptr<Lane>> lanes_;  // [0]: the caller
  std::deque<ShardBatch*> local_pending_;     // handed over, the caller's part not walked yet

  std::vector<std::unique_ptr<ShardBatch>> pool_;
  std::vector<ShardBatch*> spare_;
  ShardBatch* filling_ = nullptr;

  // The caller's view of the balance (balance()).
  std::vector<std::uint32_t> owner_;        // lane of each shard, as last moved
  std::vector<std::uint64_t> last_walked_;  // per shard: packets walked at the last look
  std::uint64_t batches_since_balance_ = 0;

  // Shared with the workers: guarded by mutex_.
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable batch_done_;
  std::deque<ShardBatch*> in_flight_;  // handed over, oldest first
  std::uint64_t in_flight_first_ = 0;  // sequence number of in_flight_.front()
  // Batches handed over so far: what a worker polls before it sleeps on work_ready_.
  std::atomic<std::uint64_t> handed_over_{0};
  std::atomic<std::uint64_t> moves_done_{0};
  std::vector<ShardBatch*> done_;          // every shard is done with these
  std::atomic<bool> skip_packets_{false};  // set by the destructor: nothing will be delivered

  RunSummary merged_;
  std::uint64_t packets_ = 0;
  Timestamp first_packet_;
  Timestamp last_packet_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace detail
}  // namespace mamori::sieve
