#include "mamori/synth/flow.h"

#include <algorithm>

namespace mamori::synth {
namespace {

constexpr std::size_t kPcapRecordHeader = 16;

std::size_t datagram_frame_bytes(const FlowPath& path, std::size_t payload) {
  const std::size_t headers = 14 + (path.vlan ? 4 : 0) + (path.client.ip.is_v4() ? 20 : 40) + 8;
  return std::max<std::size_t>(headers + payload, kMinEthernetFrame) + kPcapRecordHeader;
}

}  // namespace

DatagramFlow::DatagramFlow(DatagramSpec spec, const FillContext& fill)
    : spec_(std::move(spec)), fill_(fill), rng_(spec_.seed) {
  for (std::size_t s = 0; s < 2; ++s) {
    ip_id_[s] = rng_.next16();
    flow_label_[s] = rng_.next32() & 0xfffff;
  }
  echo_sequence_ = static_cast<std::uint16_t>(rng_.below(64));
  estimate();
  if (!spec_.datagrams.empty()) due_ = spec_.start + spec_.datagrams.front().after;
  update_next();
}

void DatagramFlow::update_next() {
  const bool have_datagram = index_ < spec_.datagrams.size();
  if (!have_datagram && replies_.empty()) {
    done_ = true;
    return;
  }
  if (!replies_.empty() && (!have_datagram || replies_.front().time <= due_)) {
    next_ = replies_.front().time;
  } else {
    next_ = due_;
  }
}

std::span<const std::uint8_t> DatagramFlow::emit(FrameBuilder& builder) {
  std::span<const std::uint8_t> frame;
  const bool have_datagram = index_ < spec_.datagrams.size();
  if (!replies_.empty() && (!have_datagram || replies_.front().time <= due_)) {
    const Datagram& d = spec_.datagrams[replies_.front().datagram];
    replies_.pop_front();
    frame = build(builder, other(d.from), d.reply_head, d.reply_fill, FillKind::random);
  } else {
    const Datagram& d = spec_.datagrams[index_];
    const Timestamp time = due_;
    frame = build(builder, d.from, d.head, d.fill, d.fill_kind);
    ++copy_;
    if (d.reply_every > 0 && (copy_ % d.reply_every == 0 || copy_ == d.repeat)) {
      const Duration rtt = d.from == Side::client ? spec_.path.server_rtt : spec_.path.client_rtt;
      replies_.push_back({time + rtt, index_});
    }
    if (copy_ < d.repeat) {
      due_ = time + Duration{d.interval.nanos + rng_.jitter(0, d.interval.nanos / 10)};
    } else {
      copy_ = 0;
      ++index_;
      if (index_ < spec_.datagrams.size()) due_ = time + spec_.datagrams[index_].after;
    }
  }
  update_next();
  return frame;
}

std::span<const std::uint8_t> DatagramFlow::build(FrameBuilder& builder, Side from,
                                                  std::span<const std::uint8_t> head,
                                                  std::uint32_t fill, FillKind kind) {
  const auto f = static_cast<std::size_t>(from);
  const Endpoint& src = from == Side::client ? spec_.path.client : spec_.path.server;
  const Endpoint& dst = from == Side::client ? spec_.path.server : spec_.path.client;
  const LinkHeader link{src.router, dst.router, spec_.path.vlan};
  IpHeader ip;
  ip.src = src.ip;
  ip.dst = dst.ip;
  ip.ttl = src.ttl;
  ip.id = ip_id_[f]++;
  ip.dont_fragment = spec_.echo ? false : true;
  ip.flow_label = flow_label_[f];
  const std::size_t limit = FrameBuilder::max_udp_payload(!src.ip.is_v4());
  const std::size_t size = std::min<std::size_t>(head.size() + fill, limit);
  std::span<std::uint8_t> payload;
  if (spec_.echo) {
    if (from == Side::client) ++echo_sequence_;
    payload = builder.begin_echo(link, ip, from == Side::server, spec_.path.client.port,
                                 echo_sequence_, size);
  } else {
    payload = builder.begin_udp(link, ip, src.port, dst.port, size);
  }
  const std::size_t head_size = std::min(head.size(), size);
  std::copy_n(head.begin(), head_size, payload.begin());
  if (size > head_size) {
    write_fill(fill_, kind, size - head_size, 0, payload.subspan(head_size), rng_, spec_.canary);
  }
  return builder.finish();
}

void DatagramFlow::estimate() {
  std::uint64_t bytes = 0;
  for (const auto& d : spec_.datagrams) {
    bytes += d.repeat * datagram_frame_bytes(spec_.path, d.head.size() + d.fill);
    if (d.reply_every > 0) {
      const std::uint64_t replies = (d.repeat + d.reply_every - 1) / d.reply_every;
      bytes += replies * datagram_frame_bytes(spec_.path, d.reply_head.size() + d.reply_fill);
    }
  }
  estimate_ = bytes;
}

}  // namespace mamori::synth
