#pragma once
// sieve/shard: the sieve on every core ([sieve] workers = N). Internal to the sieve module:
// Sieve::create builds one of these when workers > 1; nothing else includes this header (the
// tests do, for the router).
//
// A sharded sieve is N complete single-threaded sieves (shards: each its own flow table,
// matcher scratch and behaviour engine), run by N threads: the calling one (shard 0) and N-1
// workers. The caller does not route: it appends each packet to a batch that every thread
// walks in full. Per packet each thread decodes the headers (decode_packet: link, network,
// transport, no application parsing; ~12 ns, cheaper than handing a packet to another
// thread), keeps one sieve's expiry schedule, asks ShardRouter whose packet it is and
// processes its own. A stable packet (capture::RawPacket::stable: a capture file's mapping)
// enters the batch as its span, so no byte is copied; any other is copied into the batch
// once. A full batch goes to every worker; the caller runs shard 0 on it kCallerLag batches
// later, so that no thread waits for another at each batch (the shards' loads differ from
// batch to batch, and in lock-step every batch would cost the slower of the two). A worker
// that has caught up polls briefly for the next batch before it sleeps (a futex wake-up costs
// tens of µs, about one batch's part). A fixed pool of kBatchesInFlight batches bounds what is
// in flight: when a worker falls behind, the caller waits for it (backpressure, never
// unbounded memory, never a lost packet).
//
// Stable packets: their bytes must stay valid until the sieve's next summary(),
// stop_selection() or finish() returns, or the sieve is destroyed (every capture file source
// outlives the sieve reading it).
//
// What stays exactly as one sieve would do it:
//   - every flow lives in one shard (the router is symmetric), so its packets are processed in
//     capture order by one state;
//   - flow expiry runs on the schedule one sieve would run it (every thread sees every
//     packet's time and expires its shard at the same point of the packet stream);
//   - an undecodable packet is counted once (by shard 0);
//   - stop_selection(): every packet handed over before it is processed under selection, none
//     after (a stop marker travels in the batches, and the call waits for all shards to reach
//     it);
//   - the summary is the sum of the shards' (RunSummary::merge), the packet times the
//     caller's.
// Records produced on worker threads travel back with their batch and are delivered to the
// RecordSink on the calling thread, from process(), stop_selection(), summary() and finish():
// the sink need not be thread-safe. Their order across shards differs from one sieve's; as a
// set they are the same, up to the limits below.
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
//     shards, so each shard's count-min sketch sees about 1/N of them. A server just above
//     max_server_clients on one link can look unpopular to every shard, and its pairs are then
//     selected: more selection, never less (a C2 server's few clients are unaffected);
//   - a scanner probing ports above its own source port (e.g. 50000 from 45000): those flows
//     are keyed by the target, so its targets split over the shards and its count is divided;
//   - the bounds are divided: each shard's flow table holds max(1024, ceil(max_flows / N))
//     flows and its behaviour engine gets behaviour_memory_mb / N, so eviction and the
//     behaviour memory bound act per shard (a skewed shard evicts before the total reaches
//     max_flows).
// A sieve with workers = 1 is the plain single-threaded sieve: none of this code runs.
//
// Measured: speed in docs/benchmarks.md, "All cores" (bench/sharded_sieve_bench.cc). In the
// detection-profile test capture, beacon server popularity made 13-30 extra beacon records of
// ~3300 with 2 shards and 81-107 with 4 (seeds 1234, 99, 7, 31337); nothing else differed.

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

// The packets and markers every thread walks in order, and the records each worker produced.
struct ShardBatch {
  enum class Op : std::uint8_t { packet, stop_selection, finish, quit };
  struct Item {
    Op op = Op::packet;
    capture::LinkType link_type = capture::LinkType::ethernet;
    std::uint32_t wire_length = 0;
    Timestamp timestamp{};
    const std::uint8_t* stable = nullptr;  // a stable packet's bytes; else at `offset` in bytes
    std::size_t offset = 0;
    std::size_t length = 0;
  };
  std::vector<Item> items;
  std::vector<std::uint8_t> bytes;           // copies of the packets that are not stable
  std::vector<std::vector<Record>> records;  // per worker (shard 1..N-1)
  std::uint32_t parts_left = 0;  // threads yet to walk it (workers and caller); under mutex_

  std::span<const std::uint8_t> data_of(const Item& item) const {
    return item.stable != nullptr
               ? std::span<const std::uint8_t>(item.stable, item.length)
               : std::span<const std::uint8_t>(bytes.data() + item.offset, item.length);
  }
};

class ShardedSieve {
 public:
  // Builds shard `index` emitting into `sink` (the caller's sink for shard 0, a collecting one
  // for the workers).
  using ShardFactory =
      std::function<Result<std::unique_ptr<ShardWorker>>(std::uint32_t index, RecordSink& sink)>;

  // Items per batch, and batches in flight: the workers hold at most kBatchesInFlight batches
  // (their copied bytes each kBatchBytes plus one oversized packet).
  static constexpr std::size_t kBatchPackets = 512;
  static constexpr std::size_t kBatchBytes = std::size_t{512} << 10;
  static constexpr std::size_t kBatchesInFlight = 64;
  // Batches the caller hands over before it walks shard 0's part of the oldest of them, so a
  // worker whose shard is lighter in a burst goes on with the next batches instead of waiting
  // for the caller to finish the current one.
  static constexpr std::size_t kCallerLag = 4;

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

 private:
  struct Worker;
  ShardedSieve(ShardRouter router, RecordSink& sink);

  // One thread's walk of a batch as shard `shard`; true at a finish or quit marker.
  bool run_part(ShardWorker& shard_worker, std::uint32_t shard, const ShardBatch& batch,
                Timestamp& next_expiry) const;
  void worker_loop(Worker& worker);
  // The next batch for a worker whose next sequence number is `next`.
  ShardBatch* wait_for_batch(std::uint64_t next);
  // Counts one thread's walk of `batch` as done; the last one makes it returnable.
  void part_done(ShardBatch& batch);
  void append_marker(ShardBatch::Op op);
  // Hands the filling batch to every worker, walks shard 0's part of the batch handed over
  // kCallerLag batches before, and takes a spare batch.
  void hand_over();
  void walk_local_oldest();
  // Delivers the records of the batches every thread is done with and makes them spare; waits
  // for one when none is spare (backpressure), or for all of them with `wait_for_all`.
  void collect(bool wait_for_all);
  void hand_over_marker_and_wait(ShardBatch::Op op);
  void merge_summaries();

  ShardRouter router_;
  RecordSink& sink_;
  std::unique_ptr<ShardWorker> local_;  // shard 0, on the calling thread
  Timestamp local_next_expiry_;
  std::deque<ShardBatch*> local_pending_;  // handed over, shard 0's part not walked yet
  std::vector<std::unique_ptr<Worker>> workers_;

  std::vector<std::unique_ptr<ShardBatch>> pool_;
  std::vector<ShardBatch*> spare_;
  ShardBatch* filling_ = nullptr;

  // Shared with the workers: guarded by mutex_.
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable batch_done_;
  std::deque<ShardBatch*> in_flight_;  // handed over, oldest first
  std::uint64_t in_flight_first_ = 0;  // sequence number of in_flight_.front()
  // Batches handed over so far: what a worker polls before it sleeps on work_ready_.
  std::atomic<std::uint64_t> handed_over_{0};
  std::vector<ShardBatch*> done_;          // every thread is done with these
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
