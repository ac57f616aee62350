#pragma once
// Helpers for the flow tests: packets from text addresses, a recording end handler.

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "mamori/decode/packet.h"
#include "mamori/flow/flow_table.h"

namespace mamori::flow::testing {

inline IpAddress ip(std::string_view text) {
  const auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

inline Timestamp ms(std::int64_t milliseconds) { return {milliseconds * 1'000'000}; }

inline decode::DecodedPacket packet(std::uint8_t protocol, std::string_view src,
                                    std::uint16_t src_port, std::string_view dst,
                                    std::uint16_t dst_port, Timestamp time,
                                    std::uint8_t tcp_flags = 0, std::uint32_t length = 100) {
  decode::DecodedPacket p;
  p.timestamp = time;
  p.wire_length = length;
  p.src = ip(src);
  p.dst = ip(dst);
  p.ip_version = p.src.is_v4() ? 4 : 6;
  p.protocol = protocol;
  p.src_port = src_port;
  p.dst_port = dst_port;
  p.tcp_flags = tcp_flags;
  p.has_transport = true;
  return p;
}

inline decode::DecodedPacket tcp(std::string_view src, std::uint16_t src_port, std::string_view dst,
                                 std::uint16_t dst_port, Timestamp time,
                                 std::uint8_t flags = decode::tcp_flag::ack,
                                 std::uint32_t length = 100) {
  return packet(decode::ip_protocol::tcp, src, src_port, dst, dst_port, time, flags, length);
}

inline decode::DecodedPacket udp(std::string_view src, std::uint16_t src_port, std::string_view dst,
                                 std::uint16_t dst_port, Timestamp time,
                                 std::uint32_t length = 100) {
  return packet(decode::ip_protocol::udp, src, src_port, dst, dst_port, time, 0, length);
}

// What the handler saw of an ended flow (copied: the entry is reused afterwards).
struct Ended {
  FlowKey key;
  EndReason reason = EndReason::end_of_input;
  std::uint64_t packets[2] = {};
  std::uint64_t bytes[2] = {};
  std::uint8_t flags[2] = {};
  Timestamp first_seen;
  Timestamp last_seen;
  Verdict verdict = Verdict::undecided;
  std::uint32_t annotation = kNoAnnotation;
};

inline Ended snapshot(const FlowEntry& entry, EndReason reason) {
  Ended e;
  e.key = entry.key();
  e.reason = reason;
  for (Direction d : {Direction::forward, Direction::reverse}) {
    e.packets[index_of(d)] = entry.packets(d);
    e.bytes[index_of(d)] = entry.bytes(d);
    e.flags[index_of(d)] = entry.tcp_flags(d);
  }
  e.first_seen = entry.first_seen();
  e.last_seen = entry.last_seen();
  e.verdict = entry.verdict;
  e.annotation = entry.annotation;
  return e;
}

struct Recorder {
  std::vector<Ended> ended;
  void operator()(FlowEntry& entry, EndReason reason) { ended.push_back(snapshot(entry, reason)); }
};

inline FlowTable make_table(const FlowTableConfig& config) {
  auto table = FlowTable::create(config);
  EXPECT_TRUE(table.has_value()) << (table ? "" : table.error().message);
  return std::move(table).value();
}

}  // namespace mamori::flow::testing
