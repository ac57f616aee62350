#pragma once
// synth/reference: a small, independent re-statement of the documented semantics of the sieve's
// behaviour selectors (sieve/behaviour.h: scan, amplification, beacon) at given thresholds. The
// detection profile uses it to say in the truth whether each actor is expected to be detectable
// at the default thresholds, and when (time-to-detect); tests use it to re-derive the same
// answers from the pcap alone. It is exact where the sieve is approximate (distinct targets are
// counted, not estimated; replies count as answered whenever they come), which is why every
// verdict also says whether it holds with margins (`clear`): the generator draws its parameters
// so that every actor is clearly on one side.
//
// Margins (a verdict is `clear` when it holds under both the strict and the relaxed reading):
//   scan           crosses with targets ≥ 1.25 × min_targets and failed ≥ min_failed + 0.05;
//                  never: in every sliding window, targets < 0.75 × min_targets or
//                  failed < min_failed − 0.2
//   amplification  crosses with response ≥ 1.5 × min_response_bytes and ratio ≥ 1.5 × min_ratio;
//                  never: in every sliding window, response < 0.6 × min_response_bytes or
//                  ratio < 0.6 × min_ratio
//   beacon         crosses with connections ≥ min_connections + 2 and cv ≤ 0.75 × max_cv;
//                  never: at every start, connections ≤ min_connections − 2 or
//                  cv > 1.5 × max_cv
//
// Output determinism: only integer arithmetic and IEEE +, −, ×, ÷ (no libm); cv is reported
// through an integer square root.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "mamori/core/ip.h"
#include "mamori/core/time.h"

namespace mamori::synth {

// The default thresholds of the behaviour rules (the values sieve/behaviour_rule.h documents
// as defaults). The detection profile's expected_detectable verdicts refer to these.
struct DetectionThresholds {
  std::uint32_t scan_min_targets = 64;
  Duration scan_window = Duration::seconds(300);
  double scan_min_failed_ratio = 0.8;
  double amplification_min_ratio = 10;
  std::uint64_t amplification_min_response_bytes = 100'000;
  Duration amplification_window = Duration::seconds(60);
  std::vector<std::uint16_t> amplification_ports = {17,  19,   53,   111,  123,  137,  161,
                                                    389, 1900, 3283, 3702, 5353, 11211};
  std::uint32_t beacon_min_connections = 8;
  double beacon_max_cv = 0.2;
  Duration beacon_min_interval = Duration::seconds(5);
  Duration beacon_max_interval = Duration::seconds(std::int64_t{6} * 3600);

  bool operator==(const DetectionThresholds&) const = default;
};

// One UDP datagram of a flow with a service port (amplification_ports) on either side.
struct RefDatagram {
  Timestamp time;
  bool from_initiator = true;
  std::uint32_t bytes = 0;  // frame bytes (the wire length the sieve counts)
};

// A flow as a flow table sees it.
struct RefFlow {
  std::uint8_t protocol = 0;
  IpAddress initiator;
  std::uint16_t initiator_port = 0;
  IpAddress responder;
  std::uint16_t responder_port = 0;
  Timestamp start;
  std::uint64_t packets = 0;
  bool replied = false;    // a packet from the responder was seen
  bool reply_rst = false;  // the responder's first packet was a TCP RST
  std::vector<RefDatagram> datagrams;
};

struct Evaluation {
  bool crosses = false;  // at the exact thresholds
  bool clear = false;    // the verdict also holds with the margins above
  std::optional<Timestamp> first_crossing;
  // Peak values, sorted by name (scan: attempts, failed_ratio, targets, targets_total;
  // amplification: ratio, request_bytes, response_bytes, response_bytes_total;
  // beacon: connections, cv, mean_interval_s).
  std::vector<std::pair<std::string, double>> measures;
};

// `attempts`: the flows one source initiated, sorted by start.
Evaluation evaluate_scan(std::span<const RefFlow* const> attempts, const DetectionThresholds& t);
// `flows`: every flow with a datagram to or from `victim` on a service port.
Evaluation evaluate_amplification(const IpAddress& victim, std::span<const RefFlow* const> flows,
                                  const DetectionThresholds& t);
// `starts`: the flow starts of one (initiator, responder, responder port, protocol) pair, sorted.
Evaluation evaluate_beacon(std::span<const Timestamp> starts, const DetectionThresholds& t);

// Every subject of a set of flows, evaluated. Subject keys: scan and amplification the address
// text; beacon "initiator|responder|port|protocol number".
struct SubjectEvaluations {
  std::map<std::string, Evaluation> scan;
  std::map<std::string, Evaluation> amplification;
  std::map<std::string, Evaluation> beacon;
};
SubjectEvaluations evaluate_all(std::span<const RefFlow> flows, const DetectionThresholds& t);
std::string beacon_key(const IpAddress& initiator, const IpAddress& responder, std::uint16_t port,
                       std::uint8_t protocol);

// What the reference needs of one Ethernet frame (optionally 802.1Q tagged).
struct FrameSummary {
  bool ok = false;
  std::uint8_t protocol = 0;
  IpAddress src;
  IpAddress dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint8_t tcp_flags = 0;
};
FrameSummary summarize_frame(std::span<const std::uint8_t> frame);

// Splits packets into flows like the sieve's flow table: one bidirectional 5-tuple, a new flow
// after `idle` without packets, or at a TCP SYN (without ACK) after a FIN or RST. Packets must be
// fed in capture order.
class RefFlowTable {
 public:
  explicit RefFlowTable(const DetectionThresholds& t, Duration idle = Duration::seconds(60));
  void add(Timestamp time, std::span<const std::uint8_t> frame);
  // The flows in order of their start (ties: order of their first packet).
  std::vector<RefFlow> finish();

 private:
  using Key = std::tuple<std::uint8_t, IpAddress, std::uint16_t, IpAddress, std::uint16_t>;
  struct Open {
    std::size_t index;
    Timestamp last;
    bool closed = false;
  };
  const DetectionThresholds& thresholds_;
  Duration idle_;
  std::map<Key, Open> open_;
  std::vector<RefFlow> flows_;
};

// Adds one packet of a known flow to its RefFlow (the generator's side: flows are known).
void add_packet(RefFlow& flow, const FrameSummary& packet, Timestamp time, std::size_t frame_bytes,
                const DetectionThresholds& t);

bool is_service_port(const DetectionThresholds& t, std::uint16_t port);

}  // namespace mamori::synth
