#include "mamori/synth/flow.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "test_support.h"

namespace mamori::synth {
namespace {

using testing::parse_frame;

FlowPath test_path(bool v6 = false) {
  FlowPath path;
  path.client = {
      *IpAddress::parse(v6 ? "2400:4000::10" : "126.1.2.3"), 51000, 60, {2, 0, 0, 0, 0, 1}};
  path.server = {*IpAddress::parse(v6 ? "2a01:4f8::20" : "5.9.1.2"), 443, 50, {2, 0, 0, 0, 0, 2}};
  path.client_rtt = Duration::millis(4);
  path.server_rtt = Duration::millis(120);
  return path;
}

struct Emitted {
  Timestamp time;
  std::vector<std::uint8_t> frame;
};

std::vector<Emitted> drain(Flow& flow) {
  FrameBuilder builder;
  std::vector<Emitted> out;
  while (!flow.done()) {
    const Timestamp time = flow.next_time();
    const auto frame = flow.emit(builder);
    out.push_back({time, {frame.begin(), frame.end()}});
  }
  return out;
}

std::uint32_t be32(std::span<const std::uint8_t> p, std::size_t at) {
  return (std::uint32_t{p[at]} << 24) | (std::uint32_t{p[at + 1]} << 16) |
         (std::uint32_t{p[at + 2]} << 8) | p[at + 3];
}

std::vector<std::uint8_t> text(std::string_view s) { return {s.begin(), s.end()}; }

TEST(TcpFlow, HandshakeDataAndFinFollowTcpRules) {
  const FillContext fill(1);
  TcpSpec spec;
  spec.path = test_path();
  spec.start = Timestamp::from_seconds(1000);
  spec.seed = 99;
  spec.messages = {{Side::client, text("GET / HTTP/1.1\r\n\r\n"), 0, FillKind::random, {}},
                   {Side::server, text("HTTP/1.1 200 OK\r\n\r\n"), 20000, FillKind::text, {}}};
  TcpFlow flow(spec, fill);
  const auto packets = drain(flow);
  ASSERT_GE(packets.size(), 10u);

  std::uint32_t next_seq[2] = {0, 0};
  bool seen[2] = {false, false};
  std::string stream[2];
  Timestamp last{};
  for (const auto& p : packets) {
    EXPECT_GE(p.time, last);
    last = p.time;
    const auto f = parse_frame(p.frame);
    ASSERT_TRUE(f.ok);
    const int side = f.src == spec.path.client.ip ? 0 : 1;
    const std::uint32_t seq = be32(f.l4, 4);
    const std::uint32_t ack = be32(f.l4, 8);
    if (seen[side]) {
      EXPECT_EQ(seq, next_seq[side]) << "side " << side;
    }
    if (seen[1 - side] && (f.tcp_flags & tcp_flags::ack)) {
      EXPECT_LE(static_cast<std::int32_t>(ack - next_seq[1 - side]), 0);  // acks only seen data
    }
    seen[side] = true;
    next_seq[side] = seq + static_cast<std::uint32_t>(f.payload.size()) +
                     ((f.tcp_flags & (tcp_flags::syn | tcp_flags::fin)) ? 1 : 0);
    stream[side].append(f.payload.begin(), f.payload.end());
  }
  const auto first = parse_frame(packets[0].frame);
  const auto second = parse_frame(packets[1].frame);
  const auto third = parse_frame(packets[2].frame);
  EXPECT_EQ(first.tcp_flags, tcp_flags::syn);
  EXPECT_EQ(second.tcp_flags, tcp_flags::syn | tcp_flags::ack);
  EXPECT_EQ(third.tcp_flags, tcp_flags::ack);
  EXPECT_EQ(packets[1].time - packets[0].time, spec.path.server_rtt);
  EXPECT_EQ(stream[0], "GET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(stream[1].size(), 19u + 20000u);
  EXPECT_TRUE(stream[1].starts_with("HTTP/1.1 200 OK\r\n\r\n"));
  // Teardown: FIN from the client, FIN from the server, final ACK.
  const auto n = packets.size();
  EXPECT_EQ(parse_frame(packets[n - 3].frame).tcp_flags, tcp_flags::fin | tcp_flags::ack);
  EXPECT_EQ(parse_frame(packets[n - 2].frame).tcp_flags, tcp_flags::fin | tcp_flags::ack);
  EXPECT_EQ(parse_frame(packets[n - 1].frame).tcp_flags, tcp_flags::ack);
  EXPECT_EQ(parse_frame(packets[n - 3].frame).src, spec.path.client.ip);
}

TEST(TcpFlow, EstimateIsCloseToActualBytes) {
  const FillContext fill(1);
  for (const bool v6 : {false, true}) {
    for (const std::uint64_t size : {100ULL, 5000ULL, 300000ULL}) {
      TcpSpec spec;
      spec.path = test_path(v6);
      spec.seed = size;
      spec.messages = {{Side::client, text("request"), 200, FillKind::random, {}},
                       {Side::server, {}, size, FillKind::tls_records, {}}};
      TcpFlow flow(spec, fill);
      const double estimate = static_cast<double>(flow.estimated_bytes());
      double actual = 0;
      for (const auto& p : drain(flow)) actual += static_cast<double>(p.frame.size() + 16);
      EXPECT_NEAR(estimate / actual, 1.0, 0.12) << v6 << " " << size;
    }
  }
}

TEST(TcpFlow, ScanOpenings) {
  const FillContext fill(1);
  const std::pair<TcpOpening, std::vector<std::uint8_t>> cases[] = {
      {TcpOpening::syn_unanswered, {tcp_flags::syn}},
      {TcpOpening::syn_reset, {tcp_flags::syn, tcp_flags::rst | tcp_flags::ack}},
      {TcpOpening::syn_accept_reset,
       {tcp_flags::syn, tcp_flags::syn | tcp_flags::ack, tcp_flags::rst}},
  };
  for (const auto& [opening, flags] : cases) {
    TcpSpec spec;
    spec.path = test_path();
    spec.opening = opening;
    spec.scanner_syn = true;
    TcpFlow flow(spec, fill);
    const auto packets = drain(flow);
    ASSERT_EQ(packets.size(), flags.size());
    for (std::size_t i = 0; i < flags.size(); ++i) {
      EXPECT_EQ(parse_frame(packets[i].frame).tcp_flags, flags[i]);
    }
    EXPECT_EQ(parse_frame(packets[0].frame).l4.size(), 24u);  // MSS option only
  }
}

TEST(TcpFlow, CanaryInEveryFillSegmentWithRoom) {
  const FillContext fill(1);
  TcpSpec spec;
  spec.path = test_path();
  spec.canary = text("CANARY-42");
  spec.messages = {{Side::client, text("hi"), 0, FillKind::random, {}},
                   {Side::server, {}, 100000, FillKind::tls_records, {}}};
  TcpFlow flow(spec, fill);
  int data_segments = 0;
  for (const auto& p : drain(flow)) {
    const auto f = parse_frame(p.frame);
    if (f.src != spec.path.server.ip || f.payload.size() < 64) continue;
    ++data_segments;
    const std::string payload(f.payload.begin(), f.payload.end());
    EXPECT_NE(payload.find("CANARY-42"), std::string::npos);
  }
  EXPECT_GT(data_segments, 50);
}

TEST(DatagramFlow, ExchangesRepeatsAndReplies) {
  const FillContext fill(1);
  DatagramSpec spec;
  spec.path = test_path();
  spec.start = Timestamp::from_seconds(50);
  Datagram request;
  request.head = text("q");
  Datagram burst;
  burst.from = Side::server;
  burst.head = text("D");
  burst.fill = 1000;
  burst.after = Duration::millis(120);
  burst.repeat = 25;
  burst.interval = Duration::millis(1);
  burst.reply_every = 10;
  burst.reply_head = text("A");
  burst.reply_fill = 20;
  spec.datagrams = {request, burst};
  DatagramFlow flow(spec, fill);
  const auto estimate = flow.estimated_bytes();
  std::map<std::string, int> count;
  std::uint64_t bytes = 0;
  Timestamp last{};
  for (const auto& p : drain(flow)) {
    EXPECT_GE(p.time, last);
    last = p.time;
    const auto f = parse_frame(p.frame);
    ASSERT_TRUE(f.ok);
    ++count[std::string(1, static_cast<char>(f.payload[0]))];
    bytes += p.frame.size() + 16;
  }
  EXPECT_EQ(count["q"], 1);
  EXPECT_EQ(count["D"], 25);
  EXPECT_EQ(count["A"], 3);  // after copies 10, 20 and the last
  EXPECT_EQ(estimate, bytes);
}

}  // namespace
}  // namespace mamori::synth
