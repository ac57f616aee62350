#pragma once
// sieve/shard: the sieve on every core ([sieve] workers = N). Internal to the sieve module:
// Sieve::create builds one of these when workers > 1; nothing else includes this header (the
// tests do, for the router).
//
// A sharded sieve is N complete single-threaded sieves (shards: each its own flow table,
// matcher scratch and behaviour engine) fed by the calling thread. Per packet the caller decodes
// the headers once (decode_packet: link, network, transport; no application parsing), picks the
// shard with ShardRouter and either processes the packet itself (shard 0 runs on the calling
// thread, on the decode it already has, without a copy) or copies it into the current batch of
// that shard's worker thread (shards 1..N-1). A full batch is handed over through a bounded
// lane: a fixed pool of kBatchesPerLane batches per worker, so when a worker falls behind the
// caller waits for it (backpressure, never unbounded memory, never a lost packet).
//
// What stays exactly as one sieve would do it:
//   - every flow lives in one shard (the router is symmetric), so its packets are processed in
//     capture order by one state;
//   - flow expiry runs on the schedule one sieve would run it (the caller sees every packet's
//     time and sends each shard an `expire` at the same point of its packet stream);
//   - an undecodable packet is counted once (by shard 0);
//   - stop_selection(): every packet handed over before it is processed under selection, none
//     after (a stop marker travels in each lane, and the call waits for all shards to reach
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
// Measured (bench/sharded_sieve_bench.cc, 64 MiB synthetic capture, 80 k packets, demo and
// behaviour rules; on the shared 2-core VM with a load average of 6-7 from other jobs, i.e. no
// idle core): workers = 2 ran at a median 0.84× the speed of workers = 1 (paired, 7
// repetitions; spread 0.65-1.05×), while the calling thread's own CPU time fell from 65 to
// 41 ms per run: the second thread mostly waited for a core. The 1.8× goal is unverified until
// it is measured on a machine with a free second core. In the detection-profile test capture,
// beacon server popularity made 13-30 extra beacon records of ~3300 with 2 shards and 81-107
// with 4 (seeds 1234, 99, 7, 31337); nothing else differed.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
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

// The packets (copied) and markers one worker processes in order, and the records it produced.
struct ShardBatch {
  enum class Op : std::uint8_t { packet, expire, stop_selection, finish, quit };
  struct Item {
    Op op = Op::packet;
    capture::LinkType link_type = capture::LinkType::ethernet;
    std::uint32_t wire_length = 0;
    Timestamp timestamp;
    std::size_t offset = 0;  // into bytes
    std::size_t length = 0;
  };
  std::vector<Item> items;
  std::vector<std::uint8_t> bytes;
  std::vector<Record> records;
};

class ShardedSieve {
 public:
  // Builds shard `index` emitting into `sink` (the caller's sink for shard 0, a collecting one
  // for the workers).
  using ShardFactory =
      std::function<Result<std::unique_ptr<ShardWorker>>(std::uint32_t index, RecordSink& sink)>;

  // Packets per batch and batches per worker lane: a worker holds at most this much copied
  // traffic (kBatchesPerLane × kBatchBytes, plus one oversized packet per batch).
  static constexpr std::size_t kBatchPackets = 512;
  static constexpr std::size_t kBatchBytes = std::size_t{512} << 10;
  static constexpr std::size_t kBatchesPerLane = 4;

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
  struct Lane;
  ShardedSieve(ShardRouter router, RecordSink& sink);

  void append_packet(Lane& lane, const capture::RawPacket& raw);
  void append_marker(Lane& lane, ShardBatch::Op op, Timestamp time);
  void hand_over(Lane& lane);
  void collect(Lane& lane, bool wait_for_all);
  // Hands `op` to every worker and waits until each has processed everything up to it.
  void hand_over_all_and_wait(ShardBatch::Op op);
  void merge_summaries();

  ShardRouter router_;
  RecordSink& sink_;
  std::unique_ptr<ShardWorker> local_;  // shard 0, on the calling thread
  std::vector<std::unique_ptr<Lane>> lanes_;
  RunSummary merged_;
  std::uint64_t packets_ = 0;
  Timestamp first_packet_;
  Timestamp last_packet_;
  Timestamp next_expiry_;
  bool finished_ = false;
  bool discard_records_ = false;  // set by the destructor: the sink may be gone
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace detail
}  // namespace mamori::sieve
