#include "mamori/synth/reference.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace mamori::synth {
namespace {

constexpr std::uint8_t kTcpFin = 0x01;
constexpr std::uint8_t kTcpSyn = 0x02;
constexpr std::uint8_t kTcpRst = 0x04;
constexpr std::uint8_t kTcpAck = 0x10;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

// Rounded to 4 decimals without libm (values are non-negative).
double round4(double value) {
  if (!(value > 0)) return 0;
  const double scaled = value * 10000;
  auto whole = static_cast<std::int64_t>(scaled);
  if (scaled - static_cast<double>(whole) >= 0.5) ++whole;
  return static_cast<double>(whole) / 10000;
}

std::uint64_t isqrt(std::uint64_t n) {
  std::uint64_t lo = 0;
  std::uint64_t hi = std::uint64_t{1} << 32;
  while (lo + 1 < hi) {
    const std::uint64_t mid = (lo + hi) / 2;
    if (mid * mid <= n) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// sqrt(cv2) to 4 decimals through an integer square root.
double cv_of(double cv2) {
  if (!(cv2 > 0)) return 0;
  const double scaled = cv2 * 1e8;
  if (scaled >= 1.8e19) return 1e5;  // beyond any threshold; keeps the cast defined
  return static_cast<double>(isqrt(static_cast<std::uint64_t>(scaled))) / 10000;
}

std::int64_t epoch_of(Timestamp t, std::int64_t epoch) {
  return t.nanos >= 0 ? t.nanos / epoch : -((-t.nanos + epoch - 1) / epoch);
}

using Target = std::tuple<IpAddress, std::uint16_t, std::uint8_t>;

bool answered(const RefFlow& flow) { return flow.replied && !flow.reply_rst; }

// Distinct targets and answered attempts of the attempts in [lo, hi] of a sliding window.
class ScanWindow {
 public:
  void add(const RefFlow& flow) {
    ++targets_[{flow.responder, flow.responder_port, flow.protocol}];
    answered_ += answered(flow) ? 1 : 0;
    ++attempts_;
  }
  void remove(const RefFlow& flow) {
    const auto it = targets_.find({flow.responder, flow.responder_port, flow.protocol});
    if (--it->second == 0) targets_.erase(it);
    answered_ -= answered(flow) ? 1 : 0;
    --attempts_;
  }
  std::size_t targets() const { return targets_.size(); }
  std::uint64_t attempts() const { return attempts_; }
  double failed() const {
    return attempts_ == 0
               ? 0
               : static_cast<double>(attempts_ - answered_) / static_cast<double>(attempts_);
  }

 private:
  std::map<Target, std::uint32_t> targets_;
  std::uint64_t answered_ = 0;
  std::uint64_t attempts_ = 0;
};

struct AmpEvent {
  Timestamp time;
  bool response = false;
  std::uint64_t bytes = 0;
};

double ratio_of(std::uint64_t response, std::uint64_t request) {
  return static_cast<double>(response) / static_cast<double>(std::max<std::uint64_t>(request, 1));
}

}  // namespace

bool is_service_port(const DetectionThresholds& t, std::uint16_t port) {
  return std::find(t.amplification_ports.begin(), t.amplification_ports.end(), port) !=
         t.amplification_ports.end();
}

Evaluation evaluate_scan(std::span<const RefFlow* const> attempts, const DetectionThresholds& t) {
  Evaluation out;
  const std::int64_t epoch = std::max<std::int64_t>(1, t.scan_window.nanos / 2);
  const auto min_targets = static_cast<std::size_t>(t.scan_min_targets);
  const auto strong_targets = static_cast<std::size_t>((t.scan_min_targets * 5 + 3) / 4);
  const auto weak_targets = static_cast<std::size_t>(t.scan_min_targets * 3 / 4);
  bool strong = false;
  bool weak = false;
  std::size_t peak_targets = 0;
  double peak_failed = 0;
  std::uint64_t peak_attempts = 0;
  // Aligned: the current and the previous epoch of window / 2, as the sieve counts.
  ScanWindow aligned;
  std::size_t lo = 0;
  // Sliding: the last full window, for the "clearly never" side.
  ScanWindow sliding;
  std::size_t slo = 0;
  std::set<Target> all;
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    const RefFlow& flow = *attempts[i];
    all.insert({flow.responder, flow.responder_port, flow.protocol});
    aligned.add(flow);
    const std::int64_t first_epoch = epoch_of(flow.start, epoch) - 1;
    while (lo < i && epoch_of(attempts[lo]->start, epoch) < first_epoch)
      aligned.remove(*attempts[lo++]);
    sliding.add(flow);
    while (slo < i && attempts[slo]->start.nanos <= flow.start.nanos - t.scan_window.nanos) {
      sliding.remove(*attempts[slo++]);
    }
    const std::size_t targets = aligned.targets();
    const double failed = aligned.failed();
    if (targets >= min_targets && failed >= t.scan_min_failed_ratio) {
      if (!out.crosses) out.first_crossing = flow.start;
      out.crosses = true;
    }
    if (targets >= strong_targets && failed >= std::min(1.0, t.scan_min_failed_ratio + 0.05)) {
      strong = true;
    }
    if (sliding.targets() >= weak_targets && sliding.failed() >= t.scan_min_failed_ratio - 0.2) {
      weak = true;
    }
    if (targets > peak_targets) {
      peak_targets = targets;
      peak_failed = failed;
      peak_attempts = aligned.attempts();
    }
  }
  out.clear = out.crosses ? strong : !weak;
  out.measures = {{"attempts", static_cast<double>(peak_attempts)},
                  {"attempts_total", static_cast<double>(attempts.size())},
                  {"failed_ratio", round4(peak_failed)},
                  {"targets", static_cast<double>(peak_targets)},
                  {"targets_total", static_cast<double>(all.size())}};
  return out;
}

Evaluation evaluate_amplification(const IpAddress& victim, std::span<const RefFlow* const> flows,
                                  const DetectionThresholds& t) {
  std::vector<AmpEvent> events;
  std::uint64_t response_total = 0;
  std::uint64_t request_total = 0;
  for (const RefFlow* flow : flows) {
    for (const auto& d : flow->datagrams) {
      const IpAddress& src = d.from_initiator ? flow->initiator : flow->responder;
      const IpAddress& dst = d.from_initiator ? flow->responder : flow->initiator;
      const std::uint16_t sport = d.from_initiator ? flow->initiator_port : flow->responder_port;
      const std::uint16_t dport = d.from_initiator ? flow->responder_port : flow->initiator_port;
      if (dst == victim && is_service_port(t, sport)) {
        events.push_back({d.time, true, d.bytes});
        response_total += d.bytes;
      }
      if (src == victim && is_service_port(t, dport)) {
        events.push_back({d.time, false, d.bytes});
        request_total += d.bytes;
      }
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const AmpEvent& a, const AmpEvent& b) { return a.time < b.time; });
  Evaluation out;
  const std::int64_t epoch = std::max<std::int64_t>(1, t.amplification_window.nanos / 2);
  const auto min_bytes = static_cast<double>(t.amplification_min_response_bytes);
  bool strong = false;
  bool weak = false;
  std::uint64_t response = 0, request = 0, s_response = 0, s_request = 0;
  std::uint64_t peak_response = 0, peak_request = 0;
  std::size_t lo = 0, slo = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const AmpEvent& e = events[i];
    (e.response ? response : request) += e.bytes;
    (e.response ? s_response : s_request) += e.bytes;
    const std::int64_t first_epoch = epoch_of(e.time, epoch) - 1;
    while (lo < i && epoch_of(events[lo].time, epoch) < first_epoch) {
      (events[lo].response ? response : request) -= events[lo].bytes;
      ++lo;
    }
    while (slo < i && events[slo].time.nanos <= e.time.nanos - t.amplification_window.nanos) {
      (events[slo].response ? s_response : s_request) -= events[slo].bytes;
      ++slo;
    }
    if (!e.response) continue;
    const auto r = static_cast<double>(response);
    const double ratio = ratio_of(response, request);
    if (r >= min_bytes && ratio >= t.amplification_min_ratio) {
      if (!out.crosses) out.first_crossing = e.time;
      out.crosses = true;
    }
    if (r >= 1.5 * min_bytes && ratio >= 1.5 * t.amplification_min_ratio) strong = true;
    if (static_cast<double>(s_response) >= 0.6 * min_bytes &&
        ratio_of(s_response, s_request) >= 0.6 * t.amplification_min_ratio) {
      weak = true;
    }
    if (response > peak_response) {
      peak_response = response;
      peak_request = request;
    }
  }
  out.clear = out.crosses ? strong : !weak;
  out.measures = {{"ratio", round4(ratio_of(peak_response, peak_request))},
                  {"request_bytes", static_cast<double>(peak_request)},
                  {"request_bytes_total", static_cast<double>(request_total)},
                  {"response_bytes", static_cast<double>(peak_response)},
                  {"response_bytes_total", static_cast<double>(response_total)}};
  return out;
}

Evaluation evaluate_beacon(std::span<const Timestamp> starts, const DetectionThresholds& t) {
  constexpr std::size_t kKeptGaps = 16;  // sieve/behaviour.h kMaxBeaconGaps
  Evaluation out;
  std::vector<double> gaps;  // the kept gaps of the current series, oldest first
  const double max_cv2 = t.beacon_max_cv * t.beacon_max_cv;
  const double strong_cv2 = max_cv2 * 0.75 * 0.75;
  const double weak_cv2 = max_cv2 * 1.5 * 1.5;
  const std::size_t min_connections = t.beacon_min_connections;
  bool strong = false;
  bool weak = false;
  std::size_t peak_connections = starts.empty() ? 0 : 1;
  double peak_cv2 = 0;
  double peak_mean = 0;
  for (std::size_t i = 1; i < starts.size(); ++i) {
    const Duration gap = starts[i] - starts[i - 1];
    if (gap < t.beacon_min_interval || gap > t.beacon_max_interval) {
      gaps.clear();
      continue;
    }
    gaps.push_back(static_cast<double>(gap.nanos));
    if (gaps.size() > kKeptGaps) gaps.erase(gaps.begin());
    double sum = 0;
    for (const double g : gaps) sum += g;
    const double mean = sum / static_cast<double>(gaps.size());
    double squares = 0;
    for (const double g : gaps) squares += (g - mean) * (g - mean);
    const double cv2 = squares / static_cast<double>(gaps.size()) / (mean * mean);
    const std::size_t connections = gaps.size() + 1;
    const bool crossing = connections >= min_connections && cv2 <= max_cv2;
    if (crossing) {
      if (!out.crosses) {
        out.first_crossing = starts[i];
        peak_connections = 0;  // from now on, report the strongest crossing check
      }
      out.crosses = true;
    }
    if (connections >= min_connections + 2 && cv2 <= strong_cv2) strong = true;
    if (connections + 2 > min_connections && cv2 <= weak_cv2) weak = true;
    if ((crossing || !out.crosses) &&
        (connections > peak_connections || (connections == peak_connections && cv2 < peak_cv2))) {
      peak_connections = connections;
      peak_cv2 = cv2;
      peak_mean = mean;
    }
  }
  out.clear = out.crosses ? strong : !weak;
  // The strongest crossing check when it crosses, else the longest series.
  out.measures = {{"connections", static_cast<double>(peak_connections)},
                  {"cv", cv_of(peak_cv2)},
                  {"mean_interval_s", round4(peak_mean / 1e9)}};
  return out;
}

std::string beacon_key(const IpAddress& initiator, const IpAddress& responder, std::uint16_t port,
                       std::uint8_t protocol) {
  return fmt::format("{}|{}|{}|{}", initiator.to_string(), responder.to_string(), port, protocol);
}

SubjectEvaluations evaluate_all(std::span<const RefFlow> flows, const DetectionThresholds& t) {
  std::map<IpAddress, std::vector<const RefFlow*>> sources;
  std::map<IpAddress, std::vector<const RefFlow*>> victims;
  std::map<std::string, std::vector<Timestamp>> pairs;
  for (const auto& flow : flows) {
    sources[flow.initiator].push_back(&flow);
    pairs[beacon_key(flow.initiator, flow.responder, flow.responder_port, flow.protocol)].push_back(
        flow.start);
    std::set<IpAddress> touched;
    for (const auto& d : flow.datagrams) {
      const bool service_src =
          is_service_port(t, d.from_initiator ? flow.initiator_port : flow.responder_port);
      const bool service_dst =
          is_service_port(t, d.from_initiator ? flow.responder_port : flow.initiator_port);
      if (service_src) touched.insert(d.from_initiator ? flow.responder : flow.initiator);
      if (service_dst) touched.insert(d.from_initiator ? flow.initiator : flow.responder);
    }
    for (const auto& victim : touched) victims[victim].push_back(&flow);
  }
  SubjectEvaluations out;
  for (auto& [source, attempts] : sources) {
    std::stable_sort(attempts.begin(), attempts.end(),
                     [](const RefFlow* a, const RefFlow* b) { return a->start < b->start; });
    out.scan.emplace(source.to_string(), evaluate_scan(attempts, t));
  }
  for (const auto& [victim, list] : victims) {
    out.amplification.emplace(victim.to_string(), evaluate_amplification(victim, list, t));
  }
  for (auto& [key, starts] : pairs) {
    std::sort(starts.begin(), starts.end());
    out.beacon.emplace(key, evaluate_beacon(starts, t));
  }
  return out;
}

FrameSummary summarize_frame(std::span<const std::uint8_t> frame) {
  FrameSummary out;
  if (frame.size() < 14) return out;
  std::size_t at = 12;
  std::uint16_t type = be16(frame.data() + at);
  if (type == 0x8100 && frame.size() >= 18) {
    at += 4;
    type = be16(frame.data() + at);
  }
  at += 2;
  std::size_t l4 = 0;
  if (type == 0x0800 && frame.size() >= at + 20) {
    out.protocol = frame[at + 9];
    out.src = IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(frame.data() + at + 12, 4));
    out.dst = IpAddress::v4_bytes(std::span<const std::uint8_t, 4>(frame.data() + at + 16, 4));
    l4 = at + std::size_t{frame[at] & 0x0fu} * 4;
  } else if (type == 0x86dd && frame.size() >= at + 40) {
    out.protocol = frame[at + 6];
    out.src = IpAddress::v6(std::span<const std::uint8_t, 16>(frame.data() + at + 8, 16));
    out.dst = IpAddress::v6(std::span<const std::uint8_t, 16>(frame.data() + at + 24, 16));
    l4 = at + 40;
  } else {
    return out;
  }
  if ((out.protocol == 6 && frame.size() >= l4 + 14) ||
      (out.protocol == 17 && frame.size() >= l4 + 8)) {
    out.src_port = be16(frame.data() + l4);
    out.dst_port = be16(frame.data() + l4 + 2);
    if (out.protocol == 6) out.tcp_flags = frame[l4 + 13];
  } else if ((out.protocol == 1 || out.protocol == 58) && frame.size() >= l4 + 8) {
    out.src_port = out.dst_port = be16(frame.data() + l4 + 4);  // echo identifier
  }
  out.ok = true;
  return out;
}

void add_packet(RefFlow& flow, const FrameSummary& packet, Timestamp time, std::size_t frame_bytes,
                const DetectionThresholds& t) {
  if (flow.packets == 0) {
    flow.protocol = packet.protocol;
    flow.initiator = packet.src;
    flow.initiator_port = packet.src_port;
    flow.responder = packet.dst;
    flow.responder_port = packet.dst_port;
    flow.start = time;
  }
  ++flow.packets;
  const bool from_initiator =
      packet.src == flow.initiator && packet.src_port == flow.initiator_port;
  if (!from_initiator && !flow.replied) {
    flow.replied = true;
    flow.reply_rst = packet.protocol == 6 && (packet.tcp_flags & kTcpRst) != 0;
  }
  if (packet.protocol == 17 &&
      (is_service_port(t, packet.src_port) || is_service_port(t, packet.dst_port))) {
    flow.datagrams.push_back({time, from_initiator, static_cast<std::uint32_t>(frame_bytes)});
  }
}

RefFlowTable::RefFlowTable(const DetectionThresholds& t, Duration idle)
    : thresholds_(t), idle_(idle) {}

void RefFlowTable::add(Timestamp time, std::span<const std::uint8_t> frame) {
  const FrameSummary packet = summarize_frame(frame);
  if (!packet.ok) return;
  const bool forward =
      std::tie(packet.src, packet.src_port) < std::tie(packet.dst, packet.dst_port);
  const Key key =
      forward ? Key{packet.protocol, packet.src, packet.src_port, packet.dst, packet.dst_port}
              : Key{packet.protocol, packet.dst, packet.dst_port, packet.src, packet.src_port};
  auto it = open_.find(key);
  const bool syn =
      packet.protocol == 6 && (packet.tcp_flags & kTcpSyn) && !(packet.tcp_flags & kTcpAck);
  if (it != open_.end() && ((time - it->second.last) >= idle_ || (syn && it->second.closed))) {
    open_.erase(it);
    it = open_.end();
  }
  if (it == open_.end()) {
    flows_.emplace_back();
    it = open_.emplace(key, Open{flows_.size() - 1, time, false}).first;
  }
  Open& open = it->second;
  open.last = time;
  if (packet.protocol == 6 && (packet.tcp_flags & (kTcpFin | kTcpRst))) open.closed = true;
  add_packet(flows_[open.index], packet, time, frame.size(), thresholds_);
}

std::vector<RefFlow> RefFlowTable::finish() {
  open_.clear();
  std::stable_sort(flows_.begin(), flows_.end(),
                   [](const RefFlow& a, const RefFlow& b) { return a.start < b.start; });
  return std::move(flows_);
}

}  // namespace mamori::synth
