#pragma once
// capture/live_source: packets from a network interface through libpcap, memory-mapped with
// TPACKET_V3 on Linux. A packet's bytes are copied by libpcap from the kernel ring into one
// buffer that the next call to next() overwrites; they are never written anywhere (I1).
//
// Why these settings (libpcap 1.10, pcap-linux.c): libpcap asks the kernel for TPACKET_V3
// unless immediate mode is on, in which case it falls back to TPACKET_V2, because V3 hands
// packets over a block at a time and that buffering cannot be turned off. V3 is what a sensor
// wants (variable-size frames, so a 256 KiB snaplen costs no ring space per small packet, and
// one wake-up per block instead of per packet), so immediate mode stays off. In V3 the
// pcap timeout becomes the block-retire timeout: a partly filled block is handed over after
// at most about twice that time. A timeout of 0 would mean "never" (UINT_MAX ms), so packets on a
// quiet link would wait forever; it must be positive, and it bounds the delivery delay.
//
// The handle is non-blocking and next() waits in poll() on libpcap's selectable descriptor
// and on an eventfd that stop() writes, so a stop request wakes it even when no packet ever
// comes. After stop() the source delivers every packet the kernel captured up to one drain
// period (twice the block timeout plus a margin) after the stop, so that packets already in a
// not yet retired block are not lost, and then ends: at the first packet stamped after that,
// or when the ring has nothing more once the period is over. Packets waiting in the ring when
// the period ends (a sieve behind a busy link) are still delivered; the period bounds the wait
// for new ones, not the reading of captured ones. A wall-clock end time (an approval's
// not_after) ends it too: no packet stamped at or after it is returned.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "mamori/capture/packet_source.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"

struct pcap;

namespace mamori::capture {

struct LiveOptions {
  std::string interface = {};
  std::uint32_t snaplen = 256 * 1024;  // libpcap's MAXIMUM_SNAPLEN: whole packets
  bool promiscuous = true;
  std::uint32_t buffer_bytes = 64u << 20;  // the kernel ring
  int timeout_ms = 20;                     // TPACKET_V3 block-retire timeout; must be > 0
  bool immediate = false;                // true makes libpcap use TPACKET_V2 (see above); for tests
  std::optional<Timestamp> end_at = {};  // wall clock: next() ends here (approval not_after)
};

// Counters as libpcap reports them for the handle (pcap_stats(3PCAP)).
struct LiveStats {
  std::uint64_t received = 0;           // ps_recv: packets the capture saw
  std::uint64_t dropped = 0;            // ps_drop: lost because the ring was full
  std::uint64_t interface_dropped = 0;  // ps_ifdrop: dropped by the interface or its driver
  std::uint64_t delivered = 0;          // packets next() returned
};

class LivePacketSource final : public PacketSource {
 public:
  // Creates and activates the capture. Errors name the interface and carry libpcap's text.
  static Result<std::unique_ptr<LivePacketSource>> open(const LiveOptions& options);
  ~LivePacketSource() override;
  LivePacketSource(const LivePacketSource&) = delete;
  LivePacketSource& operator=(const LivePacketSource&) = delete;

  // packet, or end after stop() (once drained) or at end_at, or error (e.g. the interface
  // disappeared). Called from one thread.
  NextStatus next(RawPacket& out) override;
  const Error& error() const override { return error_; }
  std::uint64_t bytes_read() const override { return bytes_read_; }  // captured bytes delivered
  std::uint64_t bytes_total() const override { return 0; }           // unknown: a live link

  // Asks next() to end; safe from any thread (a signal watcher), returns at once.
  void stop();
  // Reading thread only (libpcap's handle is not shared).
  Result<LiveStats> stats() const;
  // True when next() ended because the clock reached end_at.
  bool reached_end_time() const { return reached_end_time_; }
  const std::string& interface() const { return interface_; }
  // The TPACKET version of the kernel ring (1, 2 or 3) as the socket reports it; 0 if unknown.
  int tpacket_version() const;

 private:
  LivePacketSource(pcap* handle, std::string interface, int wake_fd);
  NextStatus fail_with(const char* what);
  // Waits until libpcap's descriptor is readable, the wake fd is written or `timeout_ms`
  // passes (-1: no limit). False on a poll error (error_ is set).
  bool wait(int timeout_ms);
  NextStatus end();

  pcap* handle_;
  std::string interface_;
  int wake_fd_;
  int pcap_fd_ = -1;
  std::int64_t fraction_to_nanos_ = 1000;
  int timeout_ms_ = 20;
  std::optional<Timestamp> end_at_;
  std::atomic<bool> stop_requested_{false};
  std::optional<std::chrono::steady_clock::time_point> drain_until_;
  std::optional<Timestamp> drain_stamp_;  // the same instant on the packets' (wall) clock
  bool ended_ = false;
  bool failed_ = false;
  bool reached_end_time_ = false;
  LinkType link_type_ = LinkType::ethernet;
  std::uint64_t delivered_ = 0;
  std::uint64_t bytes_read_ = 0;
  Error error_;
};

}  // namespace mamori::capture
