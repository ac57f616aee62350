#include "mamori/flow/flow_table.h"

#include <gtest/gtest.h>

#include <limits>

#include "flow_test_util.h"

namespace mamori::flow {
namespace {

using decode::tcp_flag::ack;
using decode::tcp_flag::fin;
using decode::tcp_flag::rst;
using decode::tcp_flag::syn;
using testing::ip;
using testing::make_table;
using testing::ms;
using testing::Recorder;
using testing::tcp;
using testing::udp;

constexpr std::int64_t kIdleMs = 10'000;
constexpr std::int64_t kActiveMs = 60'000;
constexpr std::int64_t kGraceMs = 2'000;

FlowTableConfig small_config(std::uint32_t max_flows = 16) {
  FlowTableConfig config;
  config.max_flows = max_flows;
  config.idle_timeout = Duration::millis(kIdleMs);
  config.active_timeout = Duration::millis(kActiveMs);
  config.tcp_close_grace = Duration::millis(kGraceMs);
  config.hash_seed = 42;
  return config;
}

constexpr Timestamp plus_ns(Timestamp t, std::int64_t nanos) { return {t.nanos + nanos}; }

TEST(FlowTable, FirstPacketSourceIsTheInitiatorAndRepliesAreReverse) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  const auto first =
      table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 443, ms(0), syn, 60), ended);
  ASSERT_NE(first.entry, nullptr);
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(first.recalled);
  EXPECT_EQ(first.direction, Direction::forward);
  EXPECT_EQ(first.entry->initiator(), ip("192.0.2.1"));
  EXPECT_EQ(first.entry->responder(), ip("198.51.100.7"));
  EXPECT_EQ(first.entry->initiator_port(), 40000);
  EXPECT_EQ(first.entry->responder_port(), 443);
  EXPECT_EQ(first.entry->verdict, Verdict::undecided);
  EXPECT_EQ(first.entry->annotation, kNoAnnotation);

  const auto reply = table.find_or_create(
      tcp("198.51.100.7", 443, "192.0.2.1", 40000, ms(5), syn | ack, 70), ended);
  EXPECT_EQ(reply.entry, first.entry);
  EXPECT_FALSE(reply.created);
  EXPECT_EQ(reply.direction, Direction::reverse);
  const auto third =
      table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 443, ms(9), ack, 1500), ended);
  EXPECT_EQ(third.entry, first.entry);
  EXPECT_EQ(third.direction, Direction::forward);

  const FlowEntry& e = *first.entry;
  EXPECT_EQ(e.packets(Direction::forward), 2u);
  EXPECT_EQ(e.packets(Direction::reverse), 1u);
  EXPECT_EQ(e.bytes(Direction::forward), 1560u);
  EXPECT_EQ(e.bytes(Direction::reverse), 70u);
  EXPECT_EQ(e.tcp_flags(Direction::forward), syn | ack);
  EXPECT_EQ(e.tcp_flags(Direction::reverse), syn | ack);
  EXPECT_EQ(e.first_seen(), ms(0));
  EXPECT_EQ(e.last_seen(), ms(9));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(ended.ended.empty());

  // Same hosts, other port: another flow. Same ports swapped between the same hosts: another.
  EXPECT_TRUE(
      table.find_or_create(tcp("192.0.2.1", 40001, "198.51.100.7", 443, ms(10)), ended).created);
  EXPECT_TRUE(
      table.find_or_create(tcp("192.0.2.1", 443, "198.51.100.7", 40000, ms(10)), ended).created);
  EXPECT_TRUE(
      table.find_or_create(udp("192.0.2.1", 40000, "198.51.100.7", 443, ms(10)), ended).created);
  EXPECT_EQ(table.size(), 4u);
  EXPECT_EQ(table.counters().created, 4u);
}

TEST(FlowTable, FindHasNoSideEffects) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  const auto r = table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(0)), ended);
  Direction direction = Direction::forward;
  const FlowKey reverse{ip("198.51.100.7"), ip("192.0.2.1"), 53, 5000, 17};
  EXPECT_EQ(table.find(reverse, &direction), r.entry);
  EXPECT_EQ(direction, Direction::reverse);
  EXPECT_EQ(r.entry->total_packets(), 1u);
  EXPECT_EQ(table.find({ip("198.51.100.7"), ip("192.0.2.1"), 53, 5001, 17}), nullptr);
}

TEST(FlowTable, Ipv6FlowsAreMatchedBothWays) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  const auto a =
      table.find_or_create(udp("2001:db8::1", 5000, "2001:db8:ffff::53", 53, ms(0)), ended);
  const auto b =
      table.find_or_create(udp("2001:db8:ffff::53", 53, "2001:db8::1", 5000, ms(1)), ended);
  EXPECT_EQ(a.entry, b.entry);
  EXPECT_EQ(b.direction, Direction::reverse);
  // An IPv6 address that differs only in the high bits is a different flow.
  EXPECT_TRUE(table.find_or_create(udp("2001:db9::1", 5000, "2001:db8:ffff::53", 53, ms(2)), ended)
                  .created);
  // The IPv4-mapped form of an IPv4 address is the same address.
  const auto v4 = table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(3)), ended);
  const auto mapped =
      table.find_or_create(udp("::ffff:198.51.100.7", 53, "::ffff:192.0.2.1", 5000, ms(4)), ended);
  EXPECT_EQ(v4.entry, mapped.entry);
  EXPECT_EQ(mapped.direction, Direction::reverse);
  EXPECT_EQ(table.size(), 3u);
}

TEST(FlowTable, IcmpEchoAndReplyAreOneFlow) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  const auto request = table.find_or_create(
      testing::packet(decode::ip_protocol::icmp, "192.0.2.1", 8, "198.51.100.7", 0, ms(0)), ended);
  const auto reply = table.find_or_create(
      testing::packet(decode::ip_protocol::icmp, "198.51.100.7", 0, "192.0.2.1", 0, ms(1)), ended);
  EXPECT_EQ(request.entry, reply.entry);
  EXPECT_EQ(reply.direction, Direction::reverse);
  EXPECT_EQ(request.entry->initiator_port(), 8);  // type
  EXPECT_EQ(request.entry->responder_port(), 0);  // code
}

TEST(FlowTable, NonFirstFragmentsFormTheThreeTupleFlow) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  const auto first = table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(0)), ended);
  auto later = udp("192.0.2.1", 0, "198.51.100.7", 0, ms(1));
  later.has_transport = false;
  later.is_fragment = true;
  const auto fragment = table.find_or_create(later, ended);
  EXPECT_TRUE(fragment.created);
  EXPECT_NE(fragment.entry, first.entry);
  EXPECT_EQ(fragment.entry->initiator_port(), 0);
  EXPECT_EQ(fragment.entry->responder_port(), 0);
  later.timestamp = ms(2);
  EXPECT_EQ(table.find_or_create(later, ended).entry, fragment.entry);
  EXPECT_EQ(fragment.entry->packets(Direction::forward), 2u);
}

TEST(FlowTable, IdleTimeoutAtTheExactBoundary) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  const auto a = table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(1000)), ended);
  // One nanosecond before the boundary: same flow.
  const Timestamp just_before = plus_ns(ms(1000 + kIdleMs), -1);
  const auto b =
      table.find_or_create(udp("198.51.100.7", 53, "192.0.2.1", 5000, just_before), ended);
  EXPECT_FALSE(b.created);
  EXPECT_EQ(b.entry, a.entry);
  // expire() one nanosecond before the new boundary ends nothing; at it, the flow.
  const Timestamp boundary = just_before + Duration::millis(kIdleMs);
  EXPECT_EQ(table.expire(plus_ns(boundary, -1), ended), 0u);
  EXPECT_TRUE(ended.ended.empty());
  EXPECT_EQ(table.expire(boundary, ended), 1u);
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::idle_timeout);
  EXPECT_EQ(ended.ended[0].packets[0], 1u);
  EXPECT_EQ(ended.ended[0].packets[1], 1u);
  EXPECT_EQ(ended.ended[0].last_seen, just_before);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.counters().ended_by(EndReason::idle_timeout), 1u);
}

TEST(FlowTable, PacketAtTheIdleBoundaryStartsANewFlowWithoutExpire) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(0)), ended);
  // The reply comes exactly idle_timeout later: the old flow ended, the reply initiates anew.
  const auto late =
      table.find_or_create(udp("198.51.100.7", 53, "192.0.2.1", 5000, ms(kIdleMs)), ended);
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::idle_timeout);
  EXPECT_EQ(ended.ended[0].key.src, ip("192.0.2.1"));
  EXPECT_TRUE(late.created);
  EXPECT_EQ(late.direction, Direction::forward);
  EXPECT_EQ(late.entry->initiator(), ip("198.51.100.7"));
  EXPECT_EQ(table.size(), 1u);
}

TEST(FlowTable, ActiveTimeoutEndsTheSegmentAndKeepsTheDecision) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  const auto a =
      table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 443, ms(0), syn), ended);
  a.entry->verdict = Verdict::selected;
  a.entry->category = scope::Category::FD;
  a.entry->annotation = 17;
  a.entry->inspected = {100, 200};
  // Keep the flow busy (never idle) up to one nanosecond before the active deadline.
  for (std::int64_t t = 5000; t < kActiveMs; t += 5000) {
    table.find_or_create(tcp("198.51.100.7", 443, "192.0.2.1", 40000, ms(t), ack, 50), ended);
  }
  const auto before = table.find_or_create(
      tcp("192.0.2.1", 40000, "198.51.100.7", 443, plus_ns(ms(kActiveMs), -1), ack, 10), ended);
  EXPECT_FALSE(before.new_segment);
  EXPECT_TRUE(ended.ended.empty());

  const auto at = table.find_or_create(
      tcp("198.51.100.7", 443, "192.0.2.1", 40000, ms(kActiveMs), ack, 30), ended);
  ASSERT_EQ(ended.ended.size(), 1u);
  const auto& segment = ended.ended[0];
  EXPECT_EQ(segment.reason, EndReason::active_timeout);
  EXPECT_EQ(segment.packets[0], 2u);
  EXPECT_EQ(segment.packets[1], 11u);
  EXPECT_EQ(segment.bytes[1], 550u);
  EXPECT_EQ(segment.first_seen, ms(0));
  EXPECT_EQ(segment.last_seen, plus_ns(ms(kActiveMs), -1));
  EXPECT_EQ(segment.flags[0], syn | ack);

  EXPECT_EQ(at.entry, a.entry);
  EXPECT_FALSE(at.created);
  EXPECT_TRUE(at.new_segment);
  EXPECT_EQ(at.direction, Direction::reverse);
  EXPECT_EQ(at.entry->initiator(), ip("192.0.2.1"));
  EXPECT_EQ(at.entry->first_seen(), ms(kActiveMs));
  EXPECT_EQ(at.entry->packets(Direction::forward), 0u);
  EXPECT_EQ(at.entry->packets(Direction::reverse), 1u);
  EXPECT_EQ(at.entry->bytes(Direction::reverse), 30u);
  EXPECT_EQ(at.entry->tcp_flags(Direction::forward), 0);
  EXPECT_EQ(at.entry->verdict, Verdict::selected);
  EXPECT_EQ(at.entry->category, scope::Category::FD);
  EXPECT_EQ(at.entry->annotation, 17u);
  EXPECT_EQ(at.entry->inspected[1], 200);
  EXPECT_EQ(table.counters().ended_by(EndReason::active_timeout), 1u);
  EXPECT_EQ(table.counters().created, 1u);
}

// Active timeouts are applied on packet arrival only: expire() never splits a flow, so a flow
// silent since its active deadline ends once, by idle timeout, whatever the expire() cadence.
TEST(FlowTable, ExpireLeavesActiveTimeoutsToPackets) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  for (std::int64_t t = 0; t <= kActiveMs - 1000; t += 5000) {
    table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(t)), ended);
  }
  EXPECT_EQ(table.expire(ms(kActiveMs + 1000), ended), 0u);
  EXPECT_EQ(table.expire(ms(kActiveMs - 1000 + kIdleMs), ended), 1u);
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::idle_timeout);
  EXPECT_EQ(ended.ended[0].packets[0], 12u);
}

TEST(FlowTable, FinInBothDirectionsClosesAfterTheGrace) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  const auto a =
      table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 80, ms(0), syn), ended);
  table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 80, ms(100), fin | ack), ended);
  EXPECT_FALSE(a.entry->closing());  // one FIN is a half close
  table.find_or_create(tcp("198.51.100.7", 80, "192.0.2.1", 40000, ms(200), fin | ack), ended);
  EXPECT_TRUE(a.entry->closing());
  EXPECT_EQ(a.entry->close_deadline(), ms(200 + kGraceMs));
  // The final ACK within the grace is counted to the flow, not a new one.
  const auto final_ack =
      table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 80, ms(250), ack), ended);
  EXPECT_FALSE(final_ack.created);
  EXPECT_EQ(final_ack.entry, a.entry);
  EXPECT_EQ(table.expire(plus_ns(ms(200 + kGraceMs), -1), ended), 0u);
  EXPECT_EQ(table.expire(ms(200 + kGraceMs), ended), 1u);
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::tcp_closed);
  EXPECT_EQ(ended.ended[0].packets[0], 3u);
  EXPECT_EQ(ended.ended[0].packets[1], 1u);
  EXPECT_EQ(ended.ended[0].last_seen, ms(250));
  EXPECT_EQ(table.size(), 0u);
}

TEST(FlowTable, RstClosesAfterTheGraceAndALaterPacketStartsANewFlow) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  const auto a =
      table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 80, ms(0), syn), ended);
  table.find_or_create(tcp("198.51.100.7", 80, "192.0.2.1", 40000, ms(10), rst | ack), ended);
  EXPECT_TRUE(a.entry->closing());
  // A stray segment inside the grace still belongs to the flow.
  EXPECT_FALSE(
      table
          .find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 80, ms(10 + kGraceMs - 1), ack),
                          ended)
          .created);
  // At the deadline, without any expire() call: the old flow ends, the packet starts anew.
  const auto late = table.find_or_create(
      tcp("192.0.2.1", 40000, "198.51.100.7", 80, ms(10 + kGraceMs), ack), ended);
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::tcp_closed);
  EXPECT_EQ(ended.ended[0].packets[0], 2u);
  EXPECT_EQ(ended.ended[0].flags[1], rst | ack);
  EXPECT_TRUE(late.created);
  EXPECT_FALSE(late.entry->closing());
}

TEST(FlowTable, SynDuringTheGraceIsANewConnection) {
  FlowTable table = make_table(small_config());
  Recorder ended;
  table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 80, ms(0), syn), ended);
  table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 80, ms(10), rst), ended);
  const auto reuse =
      table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 80, ms(20), syn), ended);
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::tcp_closed);
  EXPECT_TRUE(reuse.created);
  EXPECT_EQ(reuse.entry->tcp_flags(Direction::forward), syn);
}

TEST(FlowTable, FullTableEvictsTheLeastRecentlySeenFlow) {
  FlowTable table = make_table(small_config(3));
  Recorder ended;
  table.find_or_create(udp("192.0.2.1", 1, "198.51.100.7", 53, ms(0)), ended);  // A
  table.find_or_create(udp("192.0.2.2", 2, "198.51.100.7", 53, ms(1)), ended);  // B
  table.find_or_create(udp("192.0.2.3", 3, "198.51.100.7", 53, ms(2)), ended);  // C
  table.find_or_create(udp("198.51.100.7", 53, "192.0.2.1", 1, ms(3)), ended);  // A again
  table.find_or_create(udp("192.0.2.4", 4, "198.51.100.7", 53, ms(4)), ended);  // D evicts B
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::evicted);
  EXPECT_EQ(ended.ended[0].key.src, ip("192.0.2.2"));
  table.find_or_create(udp("192.0.2.5", 5, "198.51.100.7", 53, ms(5)), ended);  // E evicts C
  ASSERT_EQ(ended.ended.size(), 2u);
  EXPECT_EQ(ended.ended[1].key.src, ip("192.0.2.3"));
  table.find_or_create(udp("192.0.2.6", 6, "198.51.100.7", 53, ms(6)), ended);  // F evicts A
  ASSERT_EQ(ended.ended.size(), 3u);
  EXPECT_EQ(ended.ended[2].key.src, ip("192.0.2.1"));
  EXPECT_EQ(ended.ended[2].packets[1], 1u);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.counters().ended_by(EndReason::evicted), 3u);
  EXPECT_EQ(table.counters().peak_flows, 3u);
}

TEST(FlowTable, ClosingFlowsMakeRoomFirst) {
  FlowTable table = make_table(small_config(2));
  Recorder ended;
  table.find_or_create(udp("192.0.2.1", 1, "198.51.100.7", 53, ms(0)), ended);
  table.find_or_create(tcp("192.0.2.2", 2, "198.51.100.7", 80, ms(1), syn), ended);
  table.find_or_create(tcp("198.51.100.7", 80, "192.0.2.2", 2, ms(2), rst), ended);
  table.find_or_create(udp("192.0.2.3", 3, "198.51.100.7", 53, ms(3)), ended);
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::tcp_closed);
  EXPECT_EQ(ended.ended[0].key.src, ip("192.0.2.2"));
  EXPECT_EQ(table.counters().closed_early, 1u);
  EXPECT_EQ(table.counters().ended_by(EndReason::evicted), 0u);
}

}  // namespace
}  // namespace mamori::flow
