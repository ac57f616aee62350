#include "mamori/sieve/shard.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "mamori/sieve/sieve.h"

namespace mamori::sieve::detail {
namespace {

std::uint64_t splitmix(std::uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A worker's records go into the batch it is processing; the caller delivers them.
class BatchSink final : public RecordSink {
 public:
  void emit(Record&& record) override { into->push_back(std::move(record)); }
  std::vector<Record>* into = nullptr;
};

}  // namespace

ShardRouter::ShardRouter(std::uint32_t shards, std::span<const std::uint16_t> service_udp_ports,
                         std::uint64_t seed)
    : shards_(shards == 0 ? 1 : shards), service_ports_(65536 / 64, 0) {
  for (const std::uint16_t port : service_udp_ports) {
    service_ports_[port >> 6] |= std::uint64_t{1} << (port & 63);
  }
  key0_ = splitmix(seed) | 1;
  key1_ = splitmix(seed) | 1;
}

const IpAddress& ShardRouter::client_of(const decode::DecodedPacket& packet) const {
  // The direction-free flow key (ICMP replies folded onto their request), so that both
  // directions of a flow, which share the key up to reversal, orient alike.
  const flow::FlowKey key = flow::key_of(packet);
  const IpAddress& src = packet.src;  // key.src and key.dst are the packet's addresses
  const IpAddress& dst = packet.dst;
  if (key.protocol == decode::ip_protocol::udp && packet.has_transport) {
    const bool src_service = service_udp_port(key.src_port);
    const bool dst_service = service_udp_port(key.dst_port);
    if (src_service != dst_service) return src_service ? dst : src;
  }
  if (key.src_port != key.dst_port) return key.src_port < key.dst_port ? dst : src;
  return flow::source_is_canonical_first(key) ? src : dst;
}

std::uint32_t ShardRouter::shard_of(const decode::DecodedPacket& packet) const {
  if (shards_ == 1) return 0;
  const auto bytes = client_of(packet).bytes();
  const std::uint64_t hash = flow::detail::mix(flow::detail::load64(bytes.data()) ^ key0_,
                                               flow::detail::load64(bytes.data() + 8) ^ key1_);
  // Multiply-shift onto [0, shards): the high bits of the mix are the well-mixed ones.
  return static_cast<std::uint32_t>(((hash >> 32) * shards_) >> 32);
}

// A worker thread and the batches it shares with the caller. `work` and `done` are guarded by
// `mutex`; everything else below them belongs to the caller, except `worker` and `sink`, which
// the worker thread uses while it holds a batch (the caller touches them only when every batch
// is back: after collect(lane, true)).
struct ShardedSieve::Lane {
  std::unique_ptr<ShardWorker> worker;
  BatchSink sink;

  std::mutex mutex;
  std::condition_variable work_ready;
  std::condition_variable batch_done;
  std::deque<std::unique_ptr<ShardBatch>> work;
  std::vector<std::unique_ptr<ShardBatch>> done;

  std::unique_ptr<ShardBatch> filling;
  std::vector<std::unique_ptr<ShardBatch>> spare;
  std::size_t away = 0;  // handed over and not collected yet
  std::thread thread;

  void run();
};

void ShardedSieve::Lane::run() {
  for (;;) {
    std::unique_ptr<ShardBatch> batch;
    {
      std::unique_lock lock(mutex);
      work_ready.wait(lock, [this] { return !work.empty(); });
      batch = std::move(work.front());
      work.pop_front();
    }
    sink.into = &batch->records;
    bool last = false;
    for (const ShardBatch::Item& item : batch->items) {
      switch (item.op) {
        case ShardBatch::Op::packet: {
          const capture::RawPacket raw{.timestamp = item.timestamp,
                                       .wire_length = item.wire_length,
                                       .link_type = item.link_type,
                                       .data = std::span<const std::uint8_t>(
                                           batch->bytes.data() + item.offset, item.length)};
          decode::DecodedPacket packet;
          const auto status = decode::decode_packet(raw, packet);
          worker->shard_process(raw, packet, status);
          break;
        }
        case ShardBatch::Op::expire:
          worker->shard_expire(item.timestamp);
          break;
        case ShardBatch::Op::stop_selection:
          worker->shard_stop_selection();
          break;
        case ShardBatch::Op::finish:
          worker->shard_finish();
          last = true;
          break;
        case ShardBatch::Op::quit:
          last = true;
          break;
      }
    }
    sink.into = nullptr;
    {
      const std::lock_guard lock(mutex);
      done.push_back(std::move(batch));
    }
    batch_done.notify_one();
    if (last) return;
  }
}

ShardedSieve::ShardedSieve(ShardRouter router, RecordSink& sink)
    : router_(std::move(router)), sink_(sink) {}

Result<std::unique_ptr<ShardedSieve>> ShardedSieve::create(ShardRouter router, RecordSink& sink,
                                                           const ShardFactory& factory) {
  const std::uint32_t shards = router.shards();
  std::unique_ptr<ShardedSieve> sharded(new ShardedSieve(std::move(router), sink));
  auto local = factory(0, sink);
  if (!local) return fail(local.error());
  sharded->local_ = std::move(*local);
  for (std::uint32_t index = 1; index < shards; ++index) {
    auto lane = std::make_unique<Lane>();
    auto worker = factory(index, lane->sink);
    if (!worker) return fail(worker.error());
    lane->worker = std::move(*worker);
    for (std::size_t i = 0; i < kBatchesPerLane; ++i) {
      auto batch = std::make_unique<ShardBatch>();
      batch->items.reserve(kBatchPackets);
      batch->bytes.reserve(kBatchBytes);
      lane->spare.push_back(std::move(batch));
    }
    lane->filling = std::move(lane->spare.back());
    lane->spare.pop_back();
    sharded->lanes_.push_back(std::move(lane));
  }
  // Threads last: a failed shard above leaves none to stop.
  for (auto& lane : sharded->lanes_) lane->thread = std::thread([raw = lane.get()] { raw->run(); });
  return sharded;
}

ShardedSieve::~ShardedSieve() {
  // No threads to stop when finished, or when create() failed before starting them.
  if (finished_ || lanes_.empty() || !lanes_.front()->thread.joinable()) return;
  // Like an unfinished single sieve, open flows are dropped: nothing reaches the sink.
  discard_records_ = true;
  hand_over_all_and_wait(ShardBatch::Op::quit);
  for (auto& lane : lanes_) lane->thread.join();
}

void ShardedSieve::process(const capture::RawPacket& raw) {
  if (packets_++ == 0) first_packet_ = raw.timestamp;
  last_packet_ = raw.timestamp;
  decode::DecodedPacket packet;
  const auto status = decode::decode_packet(raw, packet);
  if (!processable(status)) {
    local_->shard_process(raw, packet, status);  // counted once, by shard 0
    return;
  }
  // One sieve expires its flows at most once per second of packet time, at the first
  // processable packet past the mark: each shard does so at the same point of its own stream.
  if (raw.timestamp >= next_expiry_) {
    local_->shard_expire(raw.timestamp);
    for (auto& lane : lanes_) append_marker(*lane, ShardBatch::Op::expire, raw.timestamp);
    next_expiry_ = raw.timestamp + Duration::seconds(1);
  }
  const std::uint32_t shard = router_.shard_of(packet);
  if (shard == 0) {
    local_->shard_process(raw, packet, status);
  } else {
    append_packet(*lanes_[shard - 1], raw);
  }
}

void ShardedSieve::append_packet(Lane& lane, const capture::RawPacket& raw) {
  ShardBatch* batch = lane.filling.get();
  if (batch->items.size() >= kBatchPackets ||
      (!batch->items.empty() && batch->bytes.size() + raw.data.size() > kBatchBytes)) {
    hand_over(lane);
    batch = lane.filling.get();
  }
  batch->items.push_back({.op = ShardBatch::Op::packet,
                          .link_type = raw.link_type,
                          .wire_length = raw.wire_length,
                          .timestamp = raw.timestamp,
                          .offset = batch->bytes.size(),
                          .length = raw.data.size()});
  batch->bytes.insert(batch->bytes.end(), raw.data.begin(), raw.data.end());
}

void ShardedSieve::append_marker(Lane& lane, ShardBatch::Op op, Timestamp time) {
  if (lane.filling->items.size() >= kBatchPackets) hand_over(lane);
  lane.filling->items.push_back({.op = op, .timestamp = time});
}

void ShardedSieve::hand_over(Lane& lane) {
  {
    const std::lock_guard lock(lane.mutex);
    lane.work.push_back(std::move(lane.filling));
  }
  lane.work_ready.notify_one();
  ++lane.away;
  collect(lane, false);
}

// Takes back the processed batches and delivers their records; waits for one when no batch is
// spare (backpressure), or for all of them with `wait_for_all`.
void ShardedSieve::collect(Lane& lane, bool wait_for_all) {
  std::vector<std::unique_ptr<ShardBatch>> returned;
  {
    std::unique_lock lock(lane.mutex);
    if (wait_for_all) {
      lane.batch_done.wait(lock, [&lane] { return lane.done.size() == lane.away; });
    } else if (lane.spare.empty() && !lane.filling) {
      lane.batch_done.wait(lock, [&lane] { return !lane.done.empty(); });
    }
    returned.swap(lane.done);
  }
  lane.away -= returned.size();
  for (auto& batch : returned) {
    if (!discard_records_) {
      for (auto& record : batch->records) sink_.emit(std::move(record));
    }
    batch->records.clear();
    batch->items.clear();
    batch->bytes.clear();
    lane.spare.push_back(std::move(batch));
  }
  if (!lane.filling) {
    lane.filling = std::move(lane.spare.back());
    lane.spare.pop_back();
  }
}

void ShardedSieve::hand_over_all_and_wait(ShardBatch::Op op) {
  for (auto& lane : lanes_) {
    append_marker(*lane, op, Timestamp{});
    hand_over(*lane);
  }
  for (auto& lane : lanes_) collect(*lane, true);
}

void ShardedSieve::stop_selection() {
  if (finished_) return;
  local_->shard_stop_selection();
  hand_over_all_and_wait(ShardBatch::Op::stop_selection);
  merge_summaries();
}

void ShardedSieve::finish() {
  if (finished_) return;
  local_->shard_finish();
  hand_over_all_and_wait(ShardBatch::Op::finish);
  for (auto& lane : lanes_) lane->thread.join();
  finished_ = true;
  merge_summaries();
}

RunSummary& ShardedSieve::summary() {
  if (finished_) return merged_;  // final: what the caller adds to it (input_error) stays
  for (auto& lane : lanes_) {
    if (!lane->filling->items.empty()) hand_over(*lane);
  }
  for (auto& lane : lanes_) collect(*lane, true);
  merge_summaries();
  return merged_;
}

// Only while every batch is back: the workers are idle, and the lane mutex ordered their
// writes before these reads.
void ShardedSieve::merge_summaries() {
  merged_ = local_->shard_summary();
  for (const auto& lane : lanes_) merged_.merge(lane->worker->shard_summary());
  if (packets_ > 0) {
    merged_.first_packet = first_packet_;
    merged_.last_packet = last_packet_;
  }
  if (finished_) {
    merged_.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }
}

}  // namespace mamori::sieve::detail
