#include "mamori/flow/flow_table.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <new>

namespace mamori::flow {

namespace {

// Whether at least `span` passed from `since` to `now`, without overflow for any timestamps
// (hostile captures can carry any 64-bit time). `span` is never negative.
bool elapsed(Timestamp since, Timestamp now, Duration span) {
  return now.nanos >= since.nanos &&
         static_cast<std::uint64_t>(now.nanos) - static_cast<std::uint64_t>(since.nanos) >=
             static_cast<std::uint64_t>(span.nanos);
}

Timestamp saturating_add(Timestamp t, Duration d) {
  if (t.nanos > std::numeric_limits<std::int64_t>::max() - d.nanos) {
    return {std::numeric_limits<std::int64_t>::max()};
  }
  return {t.nanos + d.nanos};
}

// Branch-free on purpose: the entry is usually a cache miss, and a mispredicted branch on its
// bytes (the packet's direction is a coin toss to the predictor) would discard the work the
// CPU has started on the following packets, serialising their misses.
bool matches(const FlowEntry& entry, const FlowKey& key, Direction& direction) {
  // Combined as integers: && would branch, and clang rightly flags & on bools.
  const auto both = [](bool a, bool b) {
    return static_cast<unsigned>(a) & static_cast<unsigned>(b);
  };
  const unsigned forward =
      both(entry.initiator_port() == key.src_port, entry.responder_port() == key.dst_port) &
      both(same_address(entry.initiator(), key.src), same_address(entry.responder(), key.dst));
  const unsigned reverse =
      both(entry.initiator_port() == key.dst_port, entry.responder_port() == key.src_port) &
      both(same_address(entry.initiator(), key.dst), same_address(entry.responder(), key.src));
  direction = forward != 0 ? Direction::forward : Direction::reverse;
  return ((forward | reverse) & static_cast<unsigned>(entry.protocol() == key.protocol)) != 0;
}

// A SYN without ACK opens a new connection: in a closing flow it means the port is reused.
bool opens_connection(const decode::DecodedPacket& packet) {
  constexpr std::uint8_t mask = decode::tcp_flag::syn | decode::tcp_flag::ack;
  return packet.protocol == decode::ip_protocol::tcp && packet.has_transport &&
         (packet.tcp_flags & mask) == decode::tcp_flag::syn;
}

}  // namespace

Result<FlowTable> FlowTable::create(const FlowTableConfig& config) {
  if (config.max_flows == 0 || config.max_flows > kMaxFlows) {
    return fail("flow table: max_flows {} is outside 1..{}", config.max_flows, kMaxFlows);
  }
  if (config.idle_timeout.nanos <= 0) return fail("flow table: idle_timeout must be positive");
  if (config.active_timeout.nanos <= 0) {
    return fail("flow table: active_timeout must be positive");
  }
  if (config.tcp_close_grace.nanos < 0) {
    return fail("flow table: tcp_close_grace must not be negative");
  }
  if (config.lru_granularity.nanos < 0) {
    return fail("flow table: lru_granularity must not be negative");
  }
  return FlowTable(config);
}

FlowTable::FlowTable(const FlowTableConfig& config)
    : config_(config),
      hasher_(config.hash_seed),
      entries_(config.max_flows, /*zeroed=*/false),
      index_(config.max_flows),
      memory_(config.recall_slots != 0 ? config.recall_slots
                                       : std::max<std::uint32_t>(config.max_flows / 8, 1)) {
  config_.recall_slots = memory_.slot_count();
}

std::size_t FlowTable::memory_bytes() const {
  return std::size_t{config_.max_flows} * sizeof(FlowEntry) + index_.memory_bytes() +
         memory_.memory_bytes() + sizeof(FlowTable);
}

FlowLookup FlowTable::find_or_create(const decode::DecodedPacket& packet, FlowEndHandler on_end) {
  return find_or_create(packet, hash_of(packet), on_end);
}

FlowLookup FlowTable::find_or_create(const decode::DecodedPacket& packet, std::uint64_t hash,
                                     FlowEndHandler on_end) {
  assert(!in_handler_ && "the end handler must not call into the flow table");
  const FlowKey key = key_of(packet);
  assert(hash == hasher_(key) && "find_or_create: hash is not hash_of(packet)");
  Direction direction = Direction::forward;
  const std::uint32_t found = index_.find(
      hash, [&](std::uint32_t entry) { return matches(entries_[entry], key, direction); });
  if (found == FlowIndex::kNotFound) return create_flow(key, hash, packet, on_end);

  FlowEntry& entry = entries_[found];
  const Timestamp now = packet.timestamp;
  if (entry.closing()) {
    if (now >= entry.mark_ || opens_connection(packet)) {
      end_flow(found, EndReason::tcp_closed, on_end);
      return create_flow(key, hash, packet, on_end);
    }
  } else if (elapsed(entry.last_seen_, now, config_.idle_timeout)) {
    end_flow(found, EndReason::idle_timeout, on_end);
    return create_flow(key, hash, packet, on_end);
  } else if (config_.lru_granularity.nanos == 0 ||
             elapsed(entry.mark_, now, config_.lru_granularity)) {
    // Moved at most once per granularity: the list stays ordered by mark_, and
    // mark_ <= last_seen < mark_ + granularity holds for every open flow.
    if (lru_.tail != found) {
      unlink(lru_, found);
      link_tail(lru_, found);
    }
    entry.mark_ = now;
  }

  FlowLookup result{&entry, direction, false, false, false};
  if (!entry.closing() && elapsed(entry.first_seen_, now, config_.active_timeout)) {
    notify(on_end, entry, EndReason::active_timeout);
    start_segment(entry, now);
    result.new_segment = true;
  }
  record(entry, direction, packet);
  return result;
}

FlowLookup FlowTable::create_flow(const FlowKey& key, std::uint64_t hash,
                                  const decode::DecodedPacket& packet, FlowEndHandler on_end) {
  const Timestamp now = packet.timestamp;
  if (counters_.remembered != 0) memory_.prefetch(hash);  // read after make_room's misses
  if (size_ == config_.max_flows) make_room(now, on_end);
  const std::uint32_t index = allocate();
  // Default-initialised (every member has an initialiser): no zeroing pass over the padding.
  FlowEntry& entry = *::new (static_cast<void*>(&entries_[index])) FlowEntry;
  FlowLookup result{&entry, Direction::forward, true, false, false};

  FlowKey forward = key;
  if (counters_.remembered != 0) {
    if (const auto remembered = memory_.take(hash, now)) {
      entry.verdict = remembered->verdict;
      entry.annotation = remembered->tag;
      result.recalled = true;
      ++counters_.recalled;
      // Keep the original initiator: this packet may be the responder's.
      if (remembered->initiator_first != source_is_canonical_first(key)) {
        forward = key.reversed();
        result.direction = Direction::reverse;
      }
    }
  }
  entry.initiator_ = forward.src;
  entry.responder_ = forward.dst;
  entry.initiator_port_ = forward.src_port;
  entry.responder_port_ = forward.dst_port;
  entry.protocol_ = forward.protocol;
  entry.hash_ = hash;
  entry.first_seen_ = now;
  entry.last_seen_ = now;
  entry.mark_ = now;
  index_.insert(hash, index);
  link_tail(lru_, index);
  ++size_;
  ++counters_.created;
  counters_.peak_flows = std::max<std::uint64_t>(counters_.peak_flows, size_);
  record(entry, result.direction, packet);
  return result;
}

void FlowTable::make_room(Timestamp now, FlowEndHandler on_end) {
  // Closing flows are finished but for stray segments: they go first.
  const bool closing = closing_.head != kNone;
  const std::uint32_t index = closing ? closing_.head : lru_.head;
  FlowEntry& entry = entries_[index];
  if (!closing) prefetch_eviction(entry);
  const EndReason reason = closing ? EndReason::tcp_closed : EndReason::evicted;
  if (closing) ++counters_.closed_early;
  notify(on_end, entry, reason);
  // Remembered after the handler ran: it may have rewritten verdict and annotation.
  const Timestamp expiry =
      closing ? entry.mark_ : saturating_add(entry.last_seen_, config_.idle_timeout);
  if (entry.verdict != Verdict::undecided) remember(entry, now, expiry);
  remove(index);
}

// Under sustained eviction the victims are consecutive in the LRU list. While evicting `head`,
// the next victim (prefetched by the previous eviction) is in cache: fetch its index chunk and
// verdict memory cell, and the entry after it. Steady state: no demand miss on the victims.
void FlowTable::prefetch_eviction(const FlowEntry& head) const {
  if (head.next_ == kNone) return;
  const FlowEntry& next = entries_[head.next_];
  index_.prefetch(next.hash_);
  memory_.prefetch(next.hash_);
  if (next.next_ != kNone) {
    const char* bytes = reinterpret_cast<const char*>(&entries_[next.next_]);
    __builtin_prefetch(bytes, 1);
    __builtin_prefetch(bytes + 64, 1);
  }
}

void FlowTable::remember(const FlowEntry& entry, Timestamp now, Timestamp expiry) {
  const VerdictMemory::Remembered remembered{entry.verdict, entry.annotation,
                                             source_is_canonical_first(entry.key())};
  if (memory_.store(entry.hash_, remembered, now, expiry) ==
      VerdictMemory::StoreResult::replaced_live) {
    ++counters_.forgotten;
  }
  ++counters_.remembered;
}

void FlowTable::notify(FlowEndHandler on_end, FlowEntry& entry, EndReason reason) {
  in_handler_ = true;
  on_end(entry, reason);
  in_handler_ = false;
  ++counters_.ended[static_cast<int>(reason)];
}

void FlowTable::end_flow(std::uint32_t index, EndReason reason, FlowEndHandler on_end) {
  notify(on_end, entries_[index], reason);
  remove(index);
}

void FlowTable::remove(std::uint32_t index) {
  FlowEntry& entry = entries_[index];
  index_.erase(entry.hash_, index);
  unlink(entry.closing() ? closing_ : lru_, index);
  entry.next_ = free_head_;
  free_head_ = index;
  --size_;
}

void FlowTable::record(FlowEntry& entry, Direction direction, const decode::DecodedPacket& packet) {
  const int d = index_of(direction);
  ++entry.packets_[d];
  entry.bytes_[d] += packet.wire_length;
  if (packet.timestamp < entry.first_seen_) entry.first_seen_ = packet.timestamp;
  if (packet.timestamp > entry.last_seen_) entry.last_seen_ = packet.timestamp;
  if (packet.protocol != decode::ip_protocol::tcp || !packet.has_transport) return;

  const std::uint8_t flags = packet.tcp_flags;
  entry.tcp_flags_[d] |= flags;
  if ((flags & decode::tcp_flag::fin) != 0) {
    entry.state_ |=
        direction == Direction::forward ? FlowEntry::kFinForward : FlowEntry::kFinReverse;
  }
  constexpr std::uint8_t both_fins = FlowEntry::kFinForward | FlowEntry::kFinReverse;
  if (!entry.closing() &&
      ((flags & decode::tcp_flag::rst) != 0 || (entry.state_ & both_fins) == both_fins)) {
    begin_closing(index_of_entry(entry));
  }
}

void FlowTable::begin_closing(std::uint32_t index) {
  FlowEntry& entry = entries_[index];
  unlink(lru_, index);
  entry.state_ |= FlowEntry::kClosing;
  entry.mark_ = saturating_add(entry.last_seen_, config_.tcp_close_grace);
  link_tail(closing_, index);
}

void FlowTable::start_segment(FlowEntry& entry, Timestamp now) {
  entry.packets_ = {};
  entry.bytes_ = {};
  entry.tcp_flags_ = {};
  entry.first_seen_ = now;
  entry.last_seen_ = now;
}

std::size_t FlowTable::expire(Timestamp now, FlowEndHandler on_end) {
  assert(!in_handler_ && "the end handler must not call into the flow table");
  std::size_t ended = 0;
  while (closing_.head != kNone && now >= entries_[closing_.head].mark_) {
    end_flow(closing_.head, EndReason::tcp_closed, on_end);
    ++ended;
  }
  while (lru_.head != kNone && elapsed(entries_[lru_.head].last_seen_, now, config_.idle_timeout)) {
    end_flow(lru_.head, EndReason::idle_timeout, on_end);
    ++ended;
  }
  return ended;
}

std::size_t FlowTable::drain(FlowEndHandler on_end) {
  assert(!in_handler_ && "the end handler must not call into the flow table");
  std::size_t ended = 0;
  for (const auto& [list, reason] :
       {std::pair{closing_, EndReason::tcp_closed}, std::pair{lru_, EndReason::end_of_input}}) {
    for (std::uint32_t index = list.head; index != kNone;) {
      const std::uint32_t next = entries_[index].next_;  // the handler must not relink
      notify(on_end, entries_[index], reason);
      ++ended;
      index = next;
    }
  }
  index_.clear();
  memory_.clear();
  lru_ = {};
  closing_ = {};
  free_head_ = kNone;
  high_water_ = 0;
  size_ = 0;
  return ended;
}

const FlowEntry* FlowTable::find(const FlowKey& key, Direction* direction) const {
  return find(key, hasher_(key), direction);
}

const FlowEntry* FlowTable::find(const FlowKey& key, std::uint64_t hash,
                                 Direction* direction) const {
  assert(hash == hasher_(key) && "find: hash is not the key's");
  Direction found_direction = Direction::forward;
  const std::uint32_t found = index_.find(
      hash, [&](std::uint32_t entry) { return matches(entries_[entry], key, found_direction); });
  if (found == FlowIndex::kNotFound) return nullptr;
  if (direction != nullptr) *direction = found_direction;
  return &entries_[found];
}

std::uint32_t FlowTable::allocate() {
  if (free_head_ != kNone) {
    const std::uint32_t index = free_head_;
    free_head_ = entries_[index].next_;
    return index;
  }
  return high_water_++;
}

void FlowTable::link_tail(List& list, std::uint32_t index) {
  FlowEntry& entry = entries_[index];
  entry.prev_ = list.tail;
  entry.next_ = kNone;
  if (list.tail != kNone) {
    entries_[list.tail].next_ = index;
  } else {
    list.head = index;
  }
  list.tail = index;
}

void FlowTable::unlink(List& list, std::uint32_t index) {
  const FlowEntry& entry = entries_[index];
  if (entry.prev_ != kNone) {
    entries_[entry.prev_].next_ = entry.next_;
  } else {
    list.head = entry.next_;
  }
  if (entry.next_ != kNone) {
    entries_[entry.next_].prev_ = entry.prev_;
  } else {
    list.tail = entry.prev_;
  }
}

}  // namespace mamori::flow
