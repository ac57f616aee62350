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

// A shard and the sink that collects its records into the batch being walked. Its lane (the
// thread that walks it) changes when balance() moves it; the hand-over goes through mutex_,
// which orders everything the old lane did before what the new one does.
struct ShardedSieve::Shard {
  std::unique_ptr<ShardWorker> worker;
  BatchSink sink;
  // Set by the lane that gives the shard away: the next batch the shard walks, and its expiry
  // schedule there.
  std::uint64_t cursor = 0;
  Timestamp next_expiry;
  std::uint64_t packets = 0;                   // walked so far, by its lane
  std::atomic<std::uint64_t> packets_seen{0};  // a copy of `packets` for balance()
};

// A thread and the shards it walks. The caller is lane 0.
struct ShardedSieve::Lane {
  std::uint32_t index = 0;
  // The lane's own thread alone touches these.
  std::vector<std::uint32_t> owned;
  std::vector<std::uint8_t> mine;     // per shard: owned
  std::vector<std::uint32_t> parked;  // given to the lane at a batch it has not reached
  std::uint64_t next = 0;             // sequence number of the next batch to walk
  Timestamp next_expiry;
  // Read by balance().
  std::atomic<std::uint64_t> walked{0};  // batches walked
  // Mail, under mutex_ (`mail` also read without it, as a hint).
  std::atomic<bool> mail{false};
  std::vector<std::pair<std::uint32_t, std::uint32_t>> gives;  // shard, to which lane
  std::vector<std::uint32_t> arrivals;
  std::uint32_t expected = 0;  // moves to this lane asked for and not yet adopted
  std::thread thread;
};

ShardedSieve::ShardedSieve(ShardRouter router, RecordSink& sink)
    : router_(std::move(router)), sink_(sink) {}

Result<std::unique_ptr<ShardedSieve>> ShardedSieve::create(ShardRouter router, RecordSink& sink,
                                                           const ShardFactory& factory) {
  const std::uint32_t threads = router.shards();
  return create(std::move(router), threads, sink, factory);
}

Result<std::unique_ptr<ShardedSieve>> ShardedSieve::create(ShardRouter router,
                                                           std::uint32_t threads, RecordSink& sink,
                                                           const ShardFactory& factory) {
  const std::uint32_t shards = router.shards();
  if (threads < 1 || threads > shards) {
    return fail("sieve: {} threads cannot walk {} shards", threads, shards);
  }
  std::unique_ptr<ShardedSieve> sharded(new ShardedSieve(std::move(router), sink));
  for (std::uint32_t index = 0; index < shards; ++index) {
    auto shard = std::make_unique<Shard>();
    auto worker = factory(index, shard->sink);
    if (!worker) return fail(worker.error());
    shard->worker = std::move(*worker);
    sharded->shards_.push_back(std::move(shard));
  }
  sharded->owner_.resize(shards);
  sharded->last_walked_.assign(shards, 0);
  for (std::uint32_t index = 0; index < threads; ++index) {
    auto lane = std::make_unique<Lane>();
    lane->mine.assign(shards, 0);
    lane->index = index;
    sharded->lanes_.push_back(std::move(lane));
  }
  for (std::uint32_t shard = 0; shard < shards; ++shard) {
    Lane& lane = *sharded->lanes_[shard % threads];
    lane.owned.push_back(shard);
    lane.mine[shard] = 1;
    sharded->owner_[shard] = shard % threads;
  }
  for (std::size_t i = 0; i < kBatchesInFlight; ++i) {
    auto batch = std::make_unique<ShardBatch>();
    batch->items.reserve(kBatchPackets);
    batch->records.resize(shards);
    batch->routes.resize(threads);
    sharded->spare_.push_back(batch.get());
    sharded->pool_.push_back(std::move(batch));
  }
  sharded->filling_ = sharded->spare_.back();
  sharded->spare_.pop_back();
  // Threads last: a failed shard above leaves none to stop.
  for (std::size_t index = 1; index < sharded->lanes_.size(); ++index) {
    Lane* lane = sharded->lanes_[index].get();
    lane->thread = std::thread([raw = sharded.get(), lane] { raw->worker_loop(*lane); });
  }
  return sharded;
}

ShardedSieve::~ShardedSieve() {
  // No threads to stop when finished, or when create() failed before starting them.
  if (finished_ || lanes_.size() < 2 || !lanes_[1]->thread.joinable()) return;
  // Like an unfinished single sieve, open flows are dropped: nothing reaches the sink, so no
  // thread needs to look at another packet.
  skip_packets_.store(true, std::memory_order_relaxed);
  filling_->items.clear();
  filling_->bytes.clear();
  hand_over_marker_and_wait(ShardBatch::Op::quit);
  for (std::size_t index = 1; index < lanes_.size(); ++index) lanes_[index]->thread.join();
}

// Every thread reads the headers of every packet, and a capture larger than the cache makes
// each a miss (the packets are ~1 KB apart, too sparse for the hardware prefetcher): asking for
// the first two lines a few packets ahead overlaps the misses with the work on the current one.
// Measured on the 512 MiB bench capture: a thread's CPU time per pass fell by about a quarter.
constexpr std::size_t kPrefetchAhead = 8;

bool ShardedSieve::walk_owned(Lane& lane, ShardBatch& batch) {
  for (const std::uint32_t shard : lane.owned) shards_[shard]->sink.into = &batch.records[shard];
  std::vector<std::uint16_t>& routes = batch.routes[lane.index];
  routes.resize(batch.items.size());
  const bool skip = skip_packets_.load(std::memory_order_relaxed);
  const std::size_t count = batch.items.size();
  bool last = false;
  for (std::size_t i = 0; i < count && !last; ++i) {
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
        const capture::RawPacket raw = batch.packet_of(item);
        decode::DecodedPacket packet;
        const auto status = decode::decode_packet(raw, packet);
        if (!processable(status)) {
          routes[i] = kUnprocessable;
          if (lane.mine[0] != 0) shards_[0]->worker->shard_process(raw, packet, status);  // once
          break;
        }
        // One sieve expires its flows at most once per second of packet time, at the first
        // processable packet past the mark: every shard does so at the same packet.
        if (raw.timestamp >= lane.next_expiry) {
          for (const std::uint32_t shard : lane.owned) {
            shards_[shard]->worker->shard_expire(raw.timestamp);
          }
          lane.next_expiry = raw.timestamp + Duration::seconds(1);
        }
        const std::uint32_t shard = router_.shard_of(packet);
        routes[i] = static_cast<std::uint16_t>(shard);
        if (lane.mine[shard] != 0) {
          Shard& target = *shards_[shard];
          target.worker->shard_process(raw, packet, status);
          ++target.packets;
        }
        break;
      }
      case ShardBatch::Op::stop_selection:
        for (const std::uint32_t shard : lane.owned) {
          shards_[shard]->worker->shard_stop_selection();
        }
        break;
      case ShardBatch::Op::finish:
        for (const std::uint32_t shard : lane.owned) shards_[shard]->worker->shard_finish();
        last = true;
        break;
      case ShardBatch::Op::quit:
        last = true;
        break;
    }
  }
  for (const std::uint32_t shard : lane.owned) {
    Shard& done = *shards_[shard];
    done.sink.into = nullptr;
    done.packets_seen.store(done.packets, std::memory_order_relaxed);
  }
  return last;
}

// The lane walked `batch` before, with every shard's packets routed: only the shard's own
// packets are decoded again (and the undecodable ones for shard 0, which counts them).
void ShardedSieve::walk_one(Lane& lane, std::uint32_t shard, ShardBatch& batch) {
  Shard& moving = *shards_[shard];
  moving.sink.into = &batch.records[shard];
  const std::vector<std::uint16_t>& routes = batch.routes[lane.index];
  const bool skip = skip_packets_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < batch.items.size(); ++i) {
    const ShardBatch::Item& item = batch.items[i];
    if (item.op == ShardBatch::Op::stop_selection) moving.worker->shard_stop_selection();
    if (item.op == ShardBatch::Op::finish) moving.worker->shard_finish();
    if (item.op != ShardBatch::Op::packet || skip) continue;
    const std::uint16_t route = routes[i];
    if (route == kUnprocessable && shard != 0) continue;
    if (route != kUnprocessable && item.timestamp >= moving.next_expiry) {
      moving.worker->shard_expire(item.timestamp);
      moving.next_expiry = item.timestamp + Duration::seconds(1);
    }
    if (route != kUnprocessable && route != shard) continue;
    const capture::RawPacket raw = batch.packet_of(item);
    decode::DecodedPacket packet;
    const auto status = decode::decode_packet(raw, packet);
    moving.worker->shard_process(raw, packet, status);
    ++moving.packets;
  }
  moving.sink.into = nullptr;
  moving.packets_seen.store(moving.packets, std::memory_order_relaxed);
}

ShardBatch* ShardedSieve::batch_at(std::uint64_t sequence) {
  const std::lock_guard lock(mutex_);
  return in_flight_[sequence - in_flight_first_];
}

// The caller asked `from` (at a batch boundary) to give `shard` to lane `to`: the shard stops
// here, at from.next, and the new lane walks it from there.
void ShardedSieve::give(Lane& from, std::uint32_t shard, std::uint32_t to) {
  std::erase(from.owned, shard);
  from.mine[shard] = 0;
  Shard& moving = *shards_[shard];
  moving.cursor = from.next;
  moving.next_expiry = from.next_expiry;
  {
    const std::lock_guard lock(mutex_);
    lanes_[to]->arrivals.push_back(shard);
    lanes_[to]->mail.store(true, std::memory_order_relaxed);
  }
  work_ready_.notify_all();
  batch_done_.notify_all();
}

void ShardedSieve::adopt(Lane& lane, std::uint32_t shard) {
  if (lane.owned.empty()) lane.next_expiry = shards_[shard]->next_expiry;
  lane.owned.push_back(shard);
  lane.mine[shard] = 1;
  {
    const std::lock_guard lock(mutex_);
    --lane.expected;
  }
  moves_done_.fetch_add(1, std::memory_order_relaxed);
  work_ready_.notify_all();
}

void ShardedSieve::adopt_parked(Lane& lane) {
  for (std::size_t i = 0; i < lane.parked.size();) {
    const std::uint32_t shard = lane.parked[i];
    if (shards_[shard]->cursor == lane.next) {
      lane.parked.erase(lane.parked.begin() + static_cast<std::ptrdiff_t>(i));
      adopt(lane, shard);
    } else {
      ++i;
    }
  }
}

void ShardedSieve::handle_mail(Lane& lane) {
  if (lane.mail.load(std::memory_order_acquire)) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> gives;
    std::vector<std::uint32_t> arrivals;
    {
      const std::lock_guard lock(mutex_);
      gives.swap(lane.gives);
      arrivals.swap(lane.arrivals);
      lane.mail.store(false, std::memory_order_relaxed);
    }
    for (const auto& [shard, to] : gives) give(lane, shard, to);
    for (const std::uint32_t shard : arrivals) {
      // The old lane walked it up to its cursor. Behind this lane: walk it alone up to here
      // (those batches wait for it, so they are still in flight). Ahead: park it until this
      // lane gets there.
      Shard& moving = *shards_[shard];
      if (moving.cursor > lane.next) {
        lane.parked.push_back(shard);
        continue;
      }
      for (std::uint64_t sequence = moving.cursor; sequence < lane.next; ++sequence) {
        ShardBatch& batch = *batch_at(sequence);
        walk_one(lane, shard, batch);
        part_done(batch, 1);
      }
      adopt(lane, shard);
    }
  }
  adopt_parked(lane);
}

// How long a worker that has caught up polls for the next batch before it sleeps: a few
// batches' worth of the caller's filling, far less than a scheduler time slice.
constexpr auto kPollBeforeSleep = std::chrono::microseconds(50);

ShardBatch* ShardedSieve::wait_for_batch(Lane& lane) {
  const auto ready = [&] {
    return handed_over_.load(std::memory_order_acquire) > lane.next ||
           lane.mail.load(std::memory_order_relaxed);
  };
  if (!ready()) {
    const auto until = std::chrono::steady_clock::now() + kPollBeforeSleep;
    while (!ready() && std::chrono::steady_clock::now() < until) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }
  std::unique_lock lock(mutex_);
  work_ready_.wait(lock, [&] {
    return lane.next < in_flight_first_ + in_flight_.size() ||
           lane.mail.load(std::memory_order_relaxed);
  });
  // Mail first: a shard to give away must not walk a batch past the one it was asked at
  // (past the last one, nothing would take it).
  if (lane.mail.load(std::memory_order_relaxed)) return nullptr;
  return in_flight_[lane.next - in_flight_first_];
}

void ShardedSieve::worker_loop(Lane& lane) {
  for (;;) {
    handle_mail(lane);
    ShardBatch* batch = wait_for_batch(lane);
    if (batch == nullptr) continue;
    const bool last = walk_owned(lane, *batch);
    const auto parts = static_cast<std::uint32_t>(lane.owned.size());
    ++lane.next;
    lane.walked.store(lane.next, std::memory_order_relaxed);
    part_done(*batch, parts);
    if (last) {
      drain_arrivals(lane);
      return;
    }
  }
}

void ShardedSieve::drain_arrivals(Lane& lane) {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(
          lock, [&] { return lane.mail.load(std::memory_order_relaxed) || lane.expected == 0; });
      if (!lane.mail.load(std::memory_order_relaxed)) return;
    }
    handle_mail(lane);
  }
}

void ShardedSieve::part_done(ShardBatch& batch, std::uint32_t shards) {
  bool returned = false;
  {
    const std::lock_guard lock(mutex_);
    // Every shard walks the batches in order (a moved one too: the new lane walks it from
    // where the old one stopped), so the last walk of a batch follows the last walk of every
    // older one: it is the oldest in flight.
    batch.parts_left -= shards;
    if (batch.parts_left == 0) {
      in_flight_.pop_front();
      ++in_flight_first_;
      done_.push_back(&batch);
      returned = true;
    }
  }
  if (returned) batch_done_.notify_all();
}

void ShardedSieve::process(const capture::RawPacket& raw) {
  if (packets_++ == 0) first_packet_ = raw.timestamp;
  last_packet_ = raw.timestamp;
  ShardBatch* batch = filling_;
  if (batch->items.size() >= kBatchPackets ||
      (!raw.stable && !batch->bytes.empty() &&
       batch->bytes.size() + raw.data.size() > kBatchBytes)) {
    hand_over();
    balance();
    batch = filling_;
  }
  // Built in place: a copy through the stack cost a store-forwarding stall per packet (two
  // 8-byte stores read back as one 16-byte load), the caller's largest cost but the walk.
  ShardBatch::Item& item = batch->items.emplace_back();
  item.link_type = raw.link_type;
  item.wire_length = raw.wire_length;
  item.timestamp = raw.timestamp;
  item.length = static_cast<std::uint32_t>(raw.data.size());
  if (raw.stable) {
    item.stable = raw.data.data();
  } else {
    item.offset = static_cast<std::uint32_t>(batch->bytes.size());
    batch->bytes.insert(batch->bytes.end(), raw.data.begin(), raw.data.end());
  }
}

void ShardedSieve::append_marker(ShardBatch::Op op) {
  if (filling_->items.size() >= kBatchPackets) hand_over();
  filling_->items.push_back({.op = op});
}

void ShardedSieve::hand_over() {
  ShardBatch* batch = filling_;
  filling_ = nullptr;
  batch->parts_left = static_cast<std::uint32_t>(shards_.size());
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

// The caller's part of the oldest batch it has not walked.
void ShardedSieve::walk_local_oldest() {
  Lane& lane = *lanes_[0];
  handle_mail(lane);
  ShardBatch* batch = local_pending_.front();
  local_pending_.pop_front();
  (void)walk_owned(lane, *batch);
  const auto parts = static_cast<std::uint32_t>(lane.owned.size());
  ++lane.next;
  lane.walked.store(lane.next, std::memory_order_relaxed);
  part_done(*batch, parts);
}

void ShardedSieve::balance() {
  if (lanes_.size() < 2 || ++batches_since_balance_ < kBalancePeriod) return;
  batches_since_balance_ = 0;
  {
    const std::lock_guard lock(mutex_);
    // One at a time: the last one's effect shows first.
    for (const auto& lane : lanes_) {
      if (lane->expected > 0) return;
    }
  }
  const std::size_t lanes = lanes_.size();
  // Packets each shard walked since the last look: its recent load.
  std::vector<std::uint64_t> recent(shards_.size());
  std::vector<std::uint64_t> load(lanes, 0);
  std::vector<std::uint32_t> owned(lanes, 0);
  for (std::size_t shard = 0; shard < shards_.size(); ++shard) {
    const std::uint64_t now = shards_[shard]->packets_seen.load(std::memory_order_relaxed);
    recent[shard] = now - std::min(now, last_walked_[shard]);
    last_walked_[shard] = now;
    load[owner_[shard]] += recent[shard];
    ++owned[owner_[shard]];
  }
  // Batches handed over that each lane has not walked yet.
  const std::uint64_t handed = handed_over_.load(std::memory_order_relaxed);
  std::vector<std::uint64_t> backlog(lanes);
  for (std::size_t lane = 0; lane < lanes; ++lane) {
    const std::uint64_t walked = lanes_[lane]->walked.load(std::memory_order_relaxed);
    backlog[lane] = handed - std::min(handed, walked);
  }
  const auto extreme = [&](bool most, std::size_t first, std::size_t except) {
    std::size_t pick = lanes;
    for (std::size_t lane = first; lane < lanes; ++lane) {
      if (lane == except) continue;
      if (pick == lanes || (most ? backlog[lane] > backlog[pick] : backlog[lane] < backlog[pick])) {
        pick = lane;
      }
    }
    return pick;
  };
  // A worker about to run out of batches takes a shard from the lane with most to do; a worker
  // far behind gives one to the lane with least.
  std::size_t from = lanes;
  std::size_t to = lanes;
  if (const std::size_t hungry = extreme(false, 1, lanes); backlog[hungry] <= kHungryBacklog) {
    to = hungry;
    from = extreme(true, 0, hungry);
  } else if (const std::size_t behind = extreme(true, 1, lanes);
             backlog[behind] >= kBehindBacklog) {
    from = behind;
    to = extreme(false, 0, behind);
  }
  if (from == lanes || owned[from] < 2) return;
  // The shard whose recent load is nearest half the difference (the lightest when the
  // packets do not show one: the caller's reading and filling are not in them).
  const std::uint64_t half = load[from] > load[to] ? (load[from] - load[to]) / 2 : 0;
  std::uint32_t pick = 0;
  std::uint64_t best = UINT64_MAX;
  for (std::uint32_t shard = 0; shard < shards_.size(); ++shard) {
    if (owner_[shard] != from) continue;
    const std::uint64_t distance =
        recent[shard] > half ? recent[shard] - half : half - recent[shard];
    if (distance < best) {
      best = distance;
      pick = shard;
    }
  }
  owner_[pick] = static_cast<std::uint32_t>(to);
  {
    const std::lock_guard lock(mutex_);
    ++lanes_[to]->expected;
    if (from != 0) {
      lanes_[from]->gives.emplace_back(pick, static_cast<std::uint32_t>(to));
      lanes_[from]->mail.store(true, std::memory_order_relaxed);
    }
  }
  if (from == 0) {
    give(*lanes_[0], pick, static_cast<std::uint32_t>(to));  // the caller is between batches
  } else {
    work_ready_.notify_all();
  }
}

void ShardedSieve::collect(bool wait_for_all) {
  std::vector<ShardBatch*> returned;
  {
    const std::lock_guard lock(mutex_);
    returned.swap(done_);
  }
  const bool need_one = spare_.empty() && filling_ == nullptr && returned.empty();
  if (wait_for_all || need_one) {
    Lane& caller = *lanes_[0];
    for (;;) {
      // What the caller waits for may be waiting for its part, or for a shard moving to it.
      while (!local_pending_.empty()) walk_local_oldest();
      handle_mail(caller);
      std::unique_lock lock(mutex_);
      batch_done_.wait(lock, [&] {
        return (wait_for_all ? in_flight_.empty() : !done_.empty()) ||
               caller.mail.load(std::memory_order_relaxed);
      });
      if (caller.mail.load(std::memory_order_relaxed)) continue;
      returned.insert(returned.end(), done_.begin(), done_.end());
      done_.clear();
      break;
    }
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
  for (std::size_t index = 1; index < lanes_.size(); ++index) lanes_[index]->thread.join();
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

// Only while every batch is back: no shard is walking, and the mutex ordered the lanes'
// writes before these reads.
void ShardedSieve::merge_summaries() {
  merged_ = shards_[0]->worker->shard_summary();
  for (std::size_t shard = 1; shard < shards_.size(); ++shard) {
    merged_.merge(shards_[shard]->worker->shard_summary());
  }
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
