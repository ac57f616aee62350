#pragma once
// flow/flow_entry: the state of one bidirectional flow (one active-timeout segment of it) as
// the flow table keeps it. 128 bytes, 64-byte aligned: exactly two cache lines, the first
// holding what a lookup compares. Fields the sieve owns are public members; the rest is kept
// by the table and read through accessors.

#include <array>
#include <cstdint>
#include <string_view>

#include "mamori/core/ip.h"
#include "mamori/core/time.h"
#include "mamori/flow/flow_key.h"
#include "mamori/scope/category.h"

namespace mamori::flow {

// Forward is from the initiator (the source of the flow's first packet) to the responder.
enum class Direction : std::uint8_t { forward = 0, reverse = 1 };

constexpr int index_of(Direction direction) { return static_cast<int>(direction); }

// The sieve's decision for a flow. The table never sets it, except when a new entry starts
// from a remembered verdict (see FlowTable, "recall").
enum class Verdict : std::uint8_t { undecided = 0, selected = 1, not_selected = 2 };

enum class EndReason : std::uint8_t {
  tcp_closed,      // RST, or FIN in both directions, plus the grace period
  idle_timeout,    // no packet for idle_timeout
  active_timeout,  // the segment reached active_timeout; the flow continues (counters reset)
  evicted,         // the table was full; the least recently seen flow made room
  end_of_input,    // drain()
  kCount
};
inline constexpr int kEndReasonCount = static_cast<int>(EndReason::kCount);

constexpr std::string_view to_string(EndReason reason) {
  constexpr std::string_view names[] = {"tcp_closed", "idle_timeout", "active_timeout", "evicted",
                                        "end_of_input"};
  return names[static_cast<int>(reason)];
}

// `annotation` when the sieve has no side data for a flow.
inline constexpr std::uint32_t kNoAnnotation = 0xffffffffu;

class alignas(64) FlowEntry {
 public:
  const IpAddress& initiator() const { return initiator_; }
  const IpAddress& responder() const { return responder_; }
  std::uint16_t initiator_port() const { return initiator_port_; }
  std::uint16_t responder_port() const { return responder_port_; }
  std::uint8_t protocol() const { return protocol_; }
  // The key in the forward direction (initiator → responder).
  FlowKey key() const {
    return {initiator_, responder_, initiator_port_, responder_port_, protocol_};
  }

  // Of the current segment: earliest and latest packet timestamps, per-direction packets,
  // bytes (wire_length) and the union of TCP flags.
  Timestamp first_seen() const { return first_seen_; }
  Timestamp last_seen() const { return last_seen_; }
  std::uint64_t packets(Direction direction) const { return packets_[index_of(direction)]; }
  std::uint64_t bytes(Direction direction) const { return bytes_[index_of(direction)]; }
  std::uint8_t tcp_flags(Direction direction) const { return tcp_flags_[index_of(direction)]; }
  std::uint64_t total_packets() const { return packets_[0] + packets_[1]; }

  // TCP: RST, or FIN in both directions, was seen; the flow ends at close_deadline().
  bool closing() const { return (state_ & kClosing) != 0; }
  Timestamp close_deadline() const { return closing() ? mark_ : Timestamp{}; }

 private:
  friend class FlowTable;
  static constexpr std::uint8_t kFinForward = 0x01;
  static constexpr std::uint8_t kFinReverse = 0x02;
  static constexpr std::uint8_t kClosing = 0x04;

  // Cache line 0: the key, the sieve's per-packet fields, the hash and last_seen.
  IpAddress initiator_;
  IpAddress responder_;
  std::uint16_t initiator_port_ = 0;
  std::uint16_t responder_port_ = 0;
  std::uint8_t protocol_ = 0;
  std::uint8_t state_ = 0;  // kFin*, kClosing; survive an active-timeout reset
  std::array<std::uint8_t, 2> tcp_flags_{};

 public:
  // Sieve-owned; the table only initialises them (and keeps them across active timeouts).
  scope::Category category = scope::Category::FF;
  Verdict verdict = Verdict::undecided;
  std::array<std::uint16_t, 2> inspected{};  // payload bytes already inspected per direction

 private:
  std::uint64_t hash_ = 0;
  Timestamp last_seen_;

  // Cache line 1: counters and the table's bookkeeping.
  Timestamp first_seen_;
  std::array<std::uint64_t, 2> packets_{};
  std::array<std::uint64_t, 2> bytes_{};
  std::uint32_t prev_ = 0;  // LRU or closing list; next_ also links the free list
  std::uint32_t next_ = 0;
  Timestamp mark_;  // LRU list: when last moved to its tail; closing list: the close deadline

 public:
  std::uint32_t annotation = kNoAnnotation;  // sieve-owned index into its side data
};

static_assert(sizeof(FlowEntry) == 128, "FlowEntry must stay two cache lines");
static_assert(alignof(FlowEntry) == 64);

}  // namespace mamori::flow
