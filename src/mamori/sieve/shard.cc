#include "mamori/sieve/shard.h"

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

// A worker thread: its shard and the sink that collects the shard's records into the batch it
// is walking. The caller touches `shard` only while no batch is in flight (after
// collect(true)), when the mutex has ordered the worker's writes before its reads.
struct ShardedSieve::Worker {
  std::uint32_t index = 0;  // shard number, 1..N-1
  std::unique_ptr<ShardWorker> shard;
  BatchSink sink;
  std::thread thread;
};

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
    auto worker = std::make_unique<Worker>();
    worker->index = index;
    auto shard = factory(index, worker->sink);
    if (!shard) return fail(shard.error());
    worker->shard = std::move(*shard);
    sharded->workers_.push_back(std::move(worker));
  }
  for (std::size_t i = 0; i < kBatchesInFlight; ++i) {
    auto batch = std::make_unique<ShardBatch>();
    batch->items.reserve(kBatchPackets);
    batch->records.resize(shards - 1);
    sharded->spare_.push_back(batch.get());
    sharded->pool_.push_back(std::move(batch));
  }
  sharded->filling_ = sharded->spare_.back();
  sharded->spare_.pop_back();
  // Threads last: a failed shard above leaves none to stop.
  for (auto& worker : sharded->workers_) {
    worker->thread =
        std::thread([raw = sharded.get(), target = worker.get()] { raw->worker_loop(*target); });
  }
  return sharded;
}

ShardedSieve::~ShardedSieve() {
  // No threads to stop when finished, or when create() failed before starting them.
  if (finished_ || workers_.empty() || !workers_.front()->thread.joinable()) return;
  // Like an unfinished single sieve, open flows are dropped: nothing reaches the sink, so no
  // thread needs to look at another packet.
  skip_packets_.store(true, std::memory_order_relaxed);
  filling_->items.clear();
  filling_->bytes.clear();
  hand_over_marker_and_wait(ShardBatch::Op::quit);
  for (auto& worker : workers_) worker->thread.join();
}

// Every thread reads the headers of every packet, and a capture larger than the cache makes
// each a miss (the packets are ~1 KB apart, too sparse for the hardware prefetcher): asking for
// the first two lines a few packets ahead overlaps the misses with the work on the current one.
// Measured on the 512 MiB bench capture: a thread's CPU time per pass fell by about a quarter.
constexpr std::size_t kPrefetchAhead = 8;

bool ShardedSieve::run_part(ShardWorker& shard_worker, std::uint32_t shard, const ShardBatch& batch,
                            Timestamp& next_expiry) const {
  const bool skip = skip_packets_.load(std::memory_order_relaxed);
  const std::size_t count = batch.items.size();
  for (std::size_t i = 0; i < count; ++i) {
    const ShardBatch::Item& item = batch.items[i];
    if (i + kPrefetchAhead < count) {
      const ShardBatch::Item& ahead = batch.items[i + kPrefetchAhead];
      if (ahead.op == ShardBatch::Op::packet && ahead.length > 0) {
        const std::uint8_t* at = batch.data_of(ahead).data();
        __builtin_prefetch(at);
        __builtin_prefetch(at + 64);
      }
    }
    switch (item.op) {
      case ShardBatch::Op::packet: {
        if (skip) break;
        const capture::RawPacket raw{.timestamp = item.timestamp,
                                     .wire_length = item.wire_length,
                                     .link_type = item.link_type,
                                     .data = batch.data_of(item),
                                     .stable = item.stable != nullptr};
        decode::DecodedPacket packet;
        const auto status = decode::decode_packet(raw, packet);
        if (!processable(status)) {
          if (shard == 0) shard_worker.shard_process(raw, packet, status);  // counted once
          break;
        }
        // One sieve expires its flows at most once per second of packet time, at the first
        // processable packet past the mark: every shard does so at the same packet.
        if (raw.timestamp >= next_expiry) {
          shard_worker.shard_expire(raw.timestamp);
          next_expiry = raw.timestamp + Duration::seconds(1);
        }
        if (router_.shard_of(packet) == shard) shard_worker.shard_process(raw, packet, status);
        break;
      }
      case ShardBatch::Op::stop_selection:
        shard_worker.shard_stop_selection();
        break;
      case ShardBatch::Op::finish:
        shard_worker.shard_finish();
        return true;
      case ShardBatch::Op::quit:
        return true;
    }
  }
  return false;
}

// How long a worker that has caught up polls for the next batch before it sleeps: a few
// batches' worth of the caller's filling, far less than a scheduler time slice.
constexpr auto kPollBeforeSleep = std::chrono::microseconds(50);

ShardBatch* ShardedSieve::wait_for_batch(std::uint64_t next) {
  if (handed_over_.load(std::memory_order_acquire) <= next) {
    const auto until = std::chrono::steady_clock::now() + kPollBeforeSleep;
    while (handed_over_.load(std::memory_order_acquire) <= next &&
           std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }
  std::unique_lock lock(mutex_);
  work_ready_.wait(lock, [&] { return next < in_flight_first_ + in_flight_.size(); });
  return in_flight_[next - in_flight_first_];
}

void ShardedSieve::worker_loop(Worker& worker) {
  std::uint64_t next = 0;  // sequence number of the next batch to walk
  Timestamp next_expiry;
  for (;;) {
    ShardBatch* batch = wait_for_batch(next);
    worker.sink.into = &batch->records[worker.index - 1];
    const bool last = run_part(*worker.shard, worker.index, *batch, next_expiry);
    worker.sink.into = nullptr;
    ++next;
    part_done(*batch);
    if (last) return;
  }
}

void ShardedSieve::part_done(ShardBatch& batch) {
  bool returned = false;
  {
    const std::lock_guard lock(mutex_);
    // Every thread walks the batches in order, so the last one done with a batch is done with
    // every older one: it is the oldest in flight.
    if (--batch.parts_left == 0) {
      in_flight_.pop_front();
      ++in_flight_first_;
      done_.push_back(&batch);
      returned = true;
    }
  }
  if (returned) batch_done_.notify_one();
}

void ShardedSieve::process(const capture::RawPacket& raw) {
  if (packets_++ == 0) first_packet_ = raw.timestamp;
  last_packet_ = raw.timestamp;
  ShardBatch* batch = filling_;
  if (batch->items.size() >= kBatchPackets ||
      (!raw.stable && !batch->bytes.empty() &&
       batch->bytes.size() + raw.data.size() > kBatchBytes)) {
    hand_over();
    batch = filling_;
  }
  ShardBatch::Item item{.op = ShardBatch::Op::packet,
                        .link_type = raw.link_type,
                        .wire_length = raw.wire_length,
                        .timestamp = raw.timestamp,
                        .stable = nullptr,
                        .offset = 0,
                        .length = raw.data.size()};
  if (raw.stable) {
    item.stable = raw.data.data();
  } else {
    item.offset = batch->bytes.size();
    batch->bytes.insert(batch->bytes.end(), raw.data.begin(), raw.data.end());
  }
  batch->items.push_back(item);
}

void ShardedSieve::append_marker(ShardBatch::Op op) {
  if (filling_->items.size() >= kBatchPackets) hand_over();
  filling_->items.push_back({.op = op});
}

void ShardedSieve::hand_over() {
  ShardBatch* batch = filling_;
  filling_ = nullptr;
  batch->parts_left = static_cast<std::uint32_t>(workers_.size()) + 1;
  {
    const std::lock_guard lock(mutex_);
    in_flight_.push_back(batch);
  }
  handed_over_.fetch_add(1, std::memory_order_release);
  work_ready_.notify_all();
  local_pending_.push_back(batch);
  if (local_pending_.size() > kCallerLag) walk_local_oldest();
  collect(false);
}

// Shard 0's part of the oldest batch it has not walked; its records go straight to the sink.
void ShardedSieve::walk_local_oldest() {
  ShardBatch* batch = local_pending_.front();
  local_pending_.pop_front();
  (void)run_part(*local_, 0, *batch, local_next_expiry_);
  part_done(*batch);
}

void ShardedSieve::collect(bool wait_for_all) {
  std::vector<ShardBatch*> returned;
  {
    const std::lock_guard lock(mutex_);
    returned.swap(done_);
  }
  const bool need_one = spare_.empty() && filling_ == nullptr && returned.empty();
  if (wait_for_all || need_one) {
    // What the caller waits for may be waiting for shard 0's part.
    while (!local_pending_.empty()) walk_local_oldest();
    std::unique_lock lock(mutex_);
    if (wait_for_all) {
      batch_done_.wait(lock, [this] { return in_flight_.empty(); });
    } else {
      batch_done_.wait(lock, [this] { return !done_.empty(); });
    }
    returned.insert(returned.end(), done_.begin(), done_.end());
    done_.clear();
  }
  const bool deliver = !skip_packets_.load(std::memory_order_relaxed);
  for (ShardBatch* batch : returned) {
    for (auto& records : batch->records) {
      if (deliver) {
        for (auto& record : records) sink_.emit(std::move(record));
      }
      records.clear();
    }
    batch->items.clear();
    batch->bytes.clear();
    spare_.push_back(batch);
  }
  if (filling_ == nullptr) {
    filling_ = spare_.back();
    spare_.pop_back();
  }
}

void ShardedSieve::hand_over_marker_and_wait(ShardBatch::Op op) {
  append_marker(op);
  hand_over();
  collect(true);
}

void ShardedSieve::stop_selection() {
  if (finished_) return;
  hand_over_marker_and_wait(ShardBatch::Op::stop_selection);
  merge_summaries();
}

void ShardedSieve::finish() {
  if (finished_) return;
  hand_over_marker_and_wait(ShardBatch::Op::finish);
  for (auto& worker : workers_) worker->thread.join();
  finished_ = true;
  merge_summaries();
}

RunSummary& ShardedSieve::summary() {
  if (finished_) return merged_;  // final: what the caller adds to it (input_error) stays
  if (!filling_->items.empty()) hand_over();
  collect(true);
  merge_summaries();
  return merged_;
}

// Only while every batch is back: the workers are idle, and the lane mutex ordered their
// writes before these reads.
void ShardedSieve::merge_summaries() {
  merged_ = local_->shard_summary();
  for (const auto& worker : workers_) merged_.merge(worker->shard->shard_summary());
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
