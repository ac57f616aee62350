#include "mamori/synth/flow.h"

#include <algorithm>
#include <array>
#include <iterator>

#include "mamori/synth/byte_writer.h"

namespace mamori::synth {
namespace {

constexpr std::size_t kPcapRecordHeader = 16;
constexpr std::size_t kTimestampOption = 12;  // NOP, NOP, kind 8 (RFC 7323)

std::size_t header_bytes(const FlowPath& path, std::size_t tcp_options) {
  const std::size_t link = 14 + (path.vlan ? 4 : 0);
  const std::size_t ip = path.client.ip.is_v4() ? 20 : 40;
  return link + ip + 20 + tcp_options;
}

std::size_t frame_bytes(const FlowPath& path, std::size_t tcp_options, std::size_t payload) {
  return std::max<std::size_t>(header_bytes(path, tcp_options) + payload, kMinEthernetFrame) +
         kPcapRecordHeader;
}

}  // namespace

TcpFlow::TcpFlow(TcpSpec spec, const FillContext& fill)
    : spec_(std::move(spec)), fill_(fill), rng_(spec_.seed) {
  const bool v6 = !spec_.path.client.ip.is_v4();
  const std::size_t options = spec_.timestamps ? kTimestampOption : 0;
  segment_size_ =
      std::min<std::size_t>(spec_.mss - options, FrameBuilder::max_tcp_payload(v6, options));
  for (const Side side : {Side::client, Side::server}) {
    const auto s = static_cast<std::size_t>(side);
    const std::uint64_t rate = std::max<std::uint64_t>(
        side == Side::client ? spec_.client_rate_bps : spec_.server_rate_bps, 64'000);
    gap_[s] =
        Duration{static_cast<std::int64_t>((segment_size_ + 78) * 8 * 1'000'000'000ULL / rate)};
    next_seq_[s] = rng_.next32();
    ip_id_[s] = rng_.next16();
    ts_base_[s] = rng_.next32() >> 2;
    flow_label_[s] = rng_.next32() & 0xfffff;
  }
  estimate();

  const Timestamp t0 = spec_.start;
  const auto c = Side::client;
  const auto s = Side::server;
  const std::uint32_t client_isn = next_seq_[0];
  const std::uint32_t server_isn = next_seq_[1];
  schedule({t0, c, tcp_flags::syn, client_isn, 0});
  next_seq_[0] = client_isn + 1;
  switch (spec_.opening) {
    case TcpOpening::syn_unanswered:
      break;
    case TcpOpening::syn_reset:
      schedule({t0 + spec_.path.server_rtt, s, tcp_flags::rst | tcp_flags::ack, 0, client_isn + 1});
      break;
    case TcpOpening::syn_accept_reset: {
      const Timestamp t1 = t0 + spec_.path.server_rtt;
      schedule({t1, s, tcp_flags::syn | tcp_flags::ack, server_isn, client_isn + 1});
      schedule({t1 + spec_.path.client_rtt, c, tcp_flags::rst, client_isn + 1, 0});
      break;
    }
    case TcpOpening::handshake: {
      const Timestamp t1 = t0 + spec_.path.server_rtt;
      const Timestamp t2 = t1 + spec_.path.client_rtt;
      schedule({t1, s, tcp_flags::syn | tcp_flags::ack, server_isn, client_isn + 1});
      next_seq_[1] = server_isn + 1;
      schedule({t2, c, tcp_flags::ack, client_isn + 1, server_isn + 1});
      if (spec_.messages.empty()) {
        schedule_close(t2, c);
      } else {
        const Message& first = spec_.messages.front();
        start_message(first.from == c ? t2 : t2 + spec_.path.server_rtt);
      }
      break;
    }
  }
  update_next();
}

Duration TcpFlow::rtt(Side side) const {
  return side == Side::client ? spec_.path.client_rtt : spec_.path.server_rtt;
}

void TcpFlow::schedule(const Control& control) {
  auto it = controls_.end();
  while (it != controls_.begin() && std::prev(it)->time > control.time) --it;
  controls_.insert(it, control);
}

void TcpFlow::start_message(Timestamp ready) {
  const Message& message = spec_.messages[message_];
  sent_ = 0;
  unacked_ = 0;
  data_active_ = true;
  segment_time_ = ready + message.delay;
}

void TcpFlow::finish_message(Timestamp last) {
  const Message& message = spec_.messages[message_];
  const Side receiver = other(message.from);
  const bool more = message_ + 1 < spec_.messages.size();
  const bool piggyback = more && spec_.messages[message_ + 1].from == receiver &&
                         spec_.messages[message_ + 1].delay.nanos == 0;
  if (unacked_ > 0 && !piggyback) {
    schedule({last + rtt(receiver), receiver, tcp_flags::ack,
              next_seq_[static_cast<std::size_t>(receiver)],
              next_seq_[static_cast<std::size_t>(message.from)]});
  }
  unacked_ = 0;
  data_active_ = false;
  ++message_;
  if (!more) {
    schedule_close(last, message.from);
    return;
  }
  const Message& next = spec_.messages[message_];
  start_message(next.from == message.from ? last + gap_[static_cast<std::size_t>(next.from)]
                                          : last + rtt(next.from));
}

void TcpFlow::schedule_close(Timestamp last, Side last_sender) {
  Side closer = Side::client;
  bool reset = false;
  switch (spec_.closing) {
    case TcpClosing::none:
      return;
    case TcpClosing::client_fin:
      break;
    case TcpClosing::server_fin:
      closer = Side::server;
      break;
    case TcpClosing::client_rst:
      reset = true;
      break;
    case TcpClosing::server_rst:
      closer = Side::server;
      reset = true;
      break;
  }
  const Side peer = other(closer);
  const auto c = static_cast<std::size_t>(closer);
  const auto p = static_cast<std::size_t>(peer);
  Timestamp t1 = (closer == last_sender ? last : last + rtt(closer)) + spec_.close_delay;
  if (reset) {
    schedule({t1, closer, tcp_flags::rst | tcp_flags::ack, next_seq_[c], next_seq_[p]});
    return;
  }
  schedule({t1, closer, tcp_flags::fin | tcp_flags::ack, next_seq_[c], next_seq_[p]});
  ++next_seq_[c];
  const Timestamp t2 = t1 + rtt(peer);
  schedule({t2, peer, tcp_flags::fin | tcp_flags::ack, next_seq_[p], next_seq_[c]});
  ++next_seq_[p];
  schedule({t2 + rtt(closer), closer, tcp_flags::ack, next_seq_[c], next_seq_[p]});
}

void TcpFlow::update_next() {
  const bool have_control = !controls_.empty();
  if (!have_control && !data_active_) {
    done_ = true;
    return;
  }
  if (have_control && (!data_active_ || controls_.front().time <= segment_time_)) {
    next_ = controls_.front().time;
  } else {
    next_ = segment_time_;
  }
}

std::span<const std::uint8_t> TcpFlow::emit(FrameBuilder& builder) {
  std::span<const std::uint8_t> frame;
  if (!controls_.empty() && (!data_active_ || controls_.front().time <= segment_time_)) {
    const Control control = controls_.front();
    controls_.pop_front();
    frame = build(builder, control.time, control.from, control.flags, control.seq, control.ack, 0);
  } else {
    const Message& message = spec_.messages[message_];
    const auto from = static_cast<std::size_t>(message.from);
    const auto to = static_cast<std::size_t>(other(message.from));
    const std::uint64_t total = message.head.size() + message.fill;
    const std::size_t size =
        static_cast<std::size_t>(std::min<std::uint64_t>(segment_size_, total - sent_));
    const bool last = sent_ + size == total;
    const Timestamp time = segment_time_;
    frame = build(builder, time, message.from,
                  static_cast<std::uint8_t>(tcp_flags::ack | (last ? tcp_flags::psh : 0)),
                  next_seq_[from], next_seq_[to], size);
    sent_ += size;
    next_seq_[from] += static_cast<std::uint32_t>(size);
    ++unacked_;
    if (last) {
      finish_message(time);
    } else {
      if (unacked_ == 2) {
        schedule({time + rtt(other(message.from)), other(message.from), tcp_flags::ack,
                  next_seq_[to], next_seq_[from]});
        unacked_ = 0;
      }
      const std::int64_t gap = gap_[from].nanos;
      segment_time_ = time + Duration{gap + rng_.jitter(0, gap / 8)};
    }
  }
  update_next();
  return frame;
}

std::size_t TcpFlow::write_options(std::span<std::uint8_t, 40> out, Side from, std::uint8_t flags,
                                   std::uint32_t tsval) const {
  const bool syn = flags & tcp_flags::syn;
  std::uint8_t* o = out.data();
  if (syn && spec_.scanner_syn) {  // MSS only, as nmap and masscan send
    o[0] = 2;
    o[1] = 4;
    store_u16(o + 2, spec_.mss);
    return 4;
  }
  if (syn && spec_.timestamps) {  // Linux: MSS, SACK_PERM, TS, NOP, WS
    static constexpr std::uint8_t kLayout[20] = {2, 4, 0, 0, 4, 2, 8, 10, 0, 0,
                                                 0, 0, 0, 0, 0, 0, 1, 3,  3, 7};
    std::copy(std::begin(kLayout), std::end(kLayout), o);
    store_u16(o + 2, spec_.mss);
    store_u32(o + 8, tsval);
    store_u32(o + 12, from == Side::client ? 0 : ts_recent_[static_cast<std::size_t>(from)]);
    return 20;
  }
  if (syn) {  // Windows: MSS, NOP, WS, NOP, NOP, SACK_PERM
    static constexpr std::uint8_t kLayout[12] = {2, 4, 0, 0, 1, 3, 3, 8, 1, 1, 4, 2};
    std::copy(std::begin(kLayout), std::end(kLayout), o);
    store_u16(o + 2, spec_.mss);
    return 12;
  }
  if (spec_.timestamps && !(flags & tcp_flags::rst)) {  // NOP, NOP, TS
    o[0] = 1;
    o[1] = 1;
    o[2] = 8;
    o[3] = 10;
    store_u32(o + 4, tsval);
    store_u32(o + 8, ts_recent_[static_cast<std::size_t>(from)]);
    return kTimestampOption;
  }
  return 0;
}

std::span<const std::uint8_t> TcpFlow::build(FrameBuilder& builder, Timestamp time, Side from,
                                             std::uint8_t flags, std::uint32_t seq,
                                             std::uint32_t ack, std::size_t payload_size) {
  const auto f = static_cast<std::size_t>(from);
  const Endpoint& src = from == Side::client ? spec_.path.client : spec_.path.server;
  const Endpoint& dst = from == Side::client ? spec_.path.server : spec_.path.client;
  const bool syn = flags & tcp_flags::syn;
  const bool rst = flags & tcp_flags::rst;
  const auto tsval =
      static_cast<std::uint32_t>(ts_base_[f] + (time - spec_.start).nanos / 1'000'000);
  std::array<std::uint8_t, 40> options{};
  const std::size_t option_size = write_options(options, from, flags, tsval);
  ts_recent_[static_cast<std::size_t>(other(from))] = tsval;

  const LinkHeader link{src.router, dst.router, spec_.path.vlan};
  IpHeader ip;
  ip.src = src.ip;
  ip.dst = dst.ip;
  ip.ttl = src.ttl;
  ip.id = ip_id_[f]++;
  ip.flow_label = flow_label_[f];
  TcpHeader tcp;
  tcp.src_port = src.port;
  tcp.dst_port = dst.port;
  tcp.seq = seq;
  tcp.ack = (flags & tcp_flags::ack) ? ack : 0;
  tcp.flags = flags;
  tcp.window =
      rst ? 0 : (syn ? 64240 : (from == Side::client ? spec_.client_window : spec_.server_window));
  tcp.options = {options.data(), option_size};
  auto payload = builder.begin_tcp(link, ip, tcp, payload_size);
  if (payload_size > 0) write_payload(spec_.messages[message_], sent_, payload);
  return builder.finish();
}

void TcpFlow::write_payload(const Message& message, std::uint64_t offset,
                            std::span<std::uint8_t> out) {
  std::size_t done = 0;
  if (offset < message.head.size()) {
    done = std::min<std::size_t>(out.size(), message.head.size() - offset);
    std::copy_n(message.head.begin() + static_cast<std::ptrdiff_t>(offset), done, out.begin());
  }
  if (done < out.size()) {
    const std::uint64_t fill_offset = offset + done - message.head.size();
    write_fill(fill_, message.fill_kind, message.fill, fill_offset, out.subspan(done), rng_,
               spec_.canary);
  }
}

void TcpFlow::estimate() {
  const FlowPath& path = spec_.path;
  const std::size_t options = spec_.timestamps ? kTimestampOption : 0;
  std::uint64_t bytes = 0;
  const std::size_t syn_options = spec_.scanner_syn ? 4 : (spec_.timestamps ? 20 : 12);
  bytes += frame_bytes(path, syn_options, 0);  // SYN
  switch (spec_.opening) {
    case TcpOpening::syn_unanswered:
      estimate_ = bytes;
      return;
    case TcpOpening::syn_reset:
      estimate_ = bytes + frame_bytes(path, 0, 0);
      return;
    case TcpOpening::syn_accept_reset:
      estimate_ = bytes + frame_bytes(path, syn_options, 0) + frame_bytes(path, 0, 0);
      return;
    case TcpOpening::handshake:
      bytes += frame_bytes(path, syn_options, 0) + frame_bytes(path, options, 0);
      break;
  }
  for (const auto& message : spec_.messages) {
    const std::uint64_t total = message.head.size() + message.fill;
    const std::uint64_t segments = (total + segment_size_ - 1) / segment_size_;
    bytes += total + segments * frame_bytes(path, options, 0);
    bytes += (segments + 1) / 2 * frame_bytes(path, options, 0);  // ACKs
  }
  if (spec_.closing == TcpClosing::client_rst || spec_.closing == TcpClosing::server_rst) {
    bytes += frame_bytes(path, 0, 0);
  } else if (spec_.closing != TcpClosing::none) {
    bytes += 3 * frame_bytes(path, options, 0);
  }
  estimate_ = bytes;
}

}  // namespace mamori::synth
