#pragma once
// capture/packet_source: the contract every packet source (capture file, live interface)
// fulfils. A packet's bytes stay valid until the next call to next() (while the source lives
// when the packet says it is stable); they live in memory only and are never copied to any
// file or log by capture (I1).

#include <cstdint>
#include <span>
#include <string>

#include "mamori/capture/link_type.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"

namespace mamori::capture {

struct RawPacket {
  Timestamp timestamp;
  std::uint32_t wire_length = 0;  // length on the wire (may exceed data.size() by snaplen)
  LinkType link_type = LinkType::ethernet;
  std::span<const std::uint8_t> data;
  // True when `data` stays valid for as long as the source lives, not only until the next
  // call to next(): a capture file's mapping or a caller's buffer. A consumer may then keep
  // the span instead of copying the bytes (the sharded sieve hands them to its workers so).
  bool stable = false;
};

enum class NextStatus { packet, end, error };

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  // packet: `out` holds the next packet. end: no more packets. error: the source is
  // corrupt or failed at some point; error() says what and at which byte offset. Every
  // packet before the fault has already been returned.
  virtual NextStatus next(RawPacket& out) = 0;
  virtual const Error& error() const = 0;
  // Bytes consumed so far and total size when known (0 when unknown), for progress bars.
  virtual std::uint64_t bytes_read() const = 0;
  virtual std::uint64_t bytes_total() const = 0;
};

}  // namespace mamori::capture
