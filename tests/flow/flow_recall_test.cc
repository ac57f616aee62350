// Recall of verdicts of flows ended early, drain(), configuration, hostile times, memory.
#include <gtest/gtest.h>

#include <limits>

#include "flow_test_util.h"
#include "mamori/flow/flow_table.h"

namespace mamori::flow {
namespace {

using decode::tcp_flag::rst;
using decode::tcp_flag::syn;
using testing::ip;
using testing::make_table;
using testing::ms;
using testing::Recorder;
using testing::tcp;
using testing::udp;

FlowTableConfig config_for(std::uint32_t max_flows) {
  FlowTableConfig config;
  config.max_flows = max_flows;
  config.idle_timeout = Duration::seconds(10);
  config.active_timeout = Duration::seconds(60);
  config.tcp_close_grace = Duration::seconds(2);
  config.recall_slots = 1024;
  config.hash_seed = 11;
  return config;
}

// Two newcomers: in a 2-flow table they push out every older flow.
void push_out(FlowTable& table, FlowEndHandler on_end, Timestamp at) {
  table.find_or_create(udp("203.0.113.1", 1, "203.0.113.9", 9, at), on_end);
  table.find_or_create(udp("203.0.113.2", 2, "203.0.113.9", 9, at), on_end);
}

TEST(FlowRecall, EvictedVerdictAndTagComeBackWithTheNextPacket) {
  FlowTable table = make_table(config_for(2));
  Recorder ended;
  const auto a = table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(0)), ended);
  a.entry->verdict = Verdict::selected;
  a.entry->annotation = 77;
  push_out(table, ended, ms(100));
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::evicted);
  EXPECT_EQ(ended.ended[0].verdict, Verdict::selected);
  EXPECT_EQ(table.counters().remembered, 1u);

  const auto again =
      table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(200)), ended);
  EXPECT_TRUE(again.created);
  EXPECT_TRUE(again.recalled);
  EXPECT_EQ(again.entry->verdict, Verdict::selected);
  EXPECT_EQ(again.entry->annotation, 77u);
  EXPECT_EQ(again.direction, Direction::forward);
  EXPECT_EQ(table.counters().recalled, 1u);
  EXPECT_EQ(table.counters().created, 4u);

  // A recall consumes the memory: evicted again undecided, it comes back undecided.
  again.entry->verdict = Verdict::undecided;
  push_out(table, ended, ms(300));
  const auto third =
      table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(400)), ended);
  EXPECT_TRUE(third.created);
  EXPECT_FALSE(third.recalled);
  EXPECT_EQ(third.entry->verdict, Verdict::undecided);
  EXPECT_EQ(third.entry->annotation, kNoAnnotation);
}

TEST(FlowRecall, ReplyAfterEvictionKeepsTheOriginalInitiator) {
  FlowTable table = make_table(config_for(2));
  Recorder ended;
  const auto a = table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 443, ms(0)), ended);
  a.entry->verdict = Verdict::not_selected;
  push_out(table, ended, ms(100));
  const auto reply =
      table.find_or_create(tcp("198.51.100.7", 443, "192.0.2.1", 40000, ms(200)), ended);
  EXPECT_TRUE(reply.recalled);
  EXPECT_EQ(reply.entry->verdict, Verdict::not_selected);
  EXPECT_EQ(reply.direction, Direction::reverse);
  EXPECT_EQ(reply.entry->initiator(), ip("192.0.2.1"));
  EXPECT_EQ(reply.entry->initiator_port(), 40000);
  EXPECT_EQ(reply.entry->packets(Direction::reverse), 1u);
  EXPECT_EQ(reply.entry->packets(Direction::forward), 0u);
}

TEST(FlowRecall, TheHandlerChoosesWhatIsRemembered) {
  // The sieve frees side data on eviction and leaves a tag that outlives it.
  auto retag = [](FlowEntry& entry, EndReason reason) {
    if (reason == EndReason::evicted) entry.annotation = 9000 + entry.annotation;
  };
  FlowTable table = make_table(config_for(2));
  const auto a = table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(0)), retag);
  a.entry->verdict = Verdict::selected;
  a.entry->annotation = 5;
  push_out(table, retag, ms(1));
  const auto back = table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(2)), retag);
  EXPECT_TRUE(back.recalled);
  EXPECT_EQ(back.entry->annotation, 9005u);

  // A handler that withdraws the decision: nothing is remembered.
  auto withdraw = [](FlowEntry& entry, EndReason) { entry.verdict = Verdict::undecided; };
  FlowTable other = make_table(config_for(2));
  const auto c = other.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(0)), withdraw);
  c.entry->verdict = Verdict::selected;
  push_out(other, withdraw, ms(1));
  EXPECT_EQ(other.counters().remembered, 0u);
  EXPECT_FALSE(
      other.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(2)), withdraw).recalled);
}

TEST(FlowRecall, NotAfterTheFlowWouldHaveIdledOut) {
  FlowTable table = make_table(config_for(2));
  Recorder ended;
  const auto a = table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(0)), ended);
  a.entry->verdict = Verdict::selected;
  push_out(table, ended, ms(1000));
  // last_seen 0 + idle 10 s: at 10 s the flow would have ended anyway; this is a new flow.
  const auto later =
      table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(10'000)), ended);
  EXPECT_TRUE(later.created);
  EXPECT_FALSE(later.recalled);
  EXPECT_EQ(later.entry->verdict, Verdict::undecided);
}

TEST(FlowRecall, UndecidedAndNormallyEndedFlowsAreNotRemembered) {
  FlowTable table = make_table(config_for(2));
  Recorder ended;
  table.find_or_create(udp("192.0.2.1", 5000, "198.51.100.7", 53, ms(0)), ended);  // undecided
  const auto b = table.find_or_create(udp("192.0.2.2", 5000, "198.51.100.7", 53, ms(0)), ended);
  b.entry->verdict = Verdict::selected;
  table.expire(ms(10'000), ended);  // both idle out: a normal end
  EXPECT_EQ(ended.ended.size(), 2u);
  push_out(table, ended, ms(10'001));
  EXPECT_EQ(table.counters().remembered, 0u);
  const auto b_again =
      table.find_or_create(udp("192.0.2.2", 5000, "198.51.100.7", 53, ms(10'002)), ended);
  EXPECT_FALSE(b_again.recalled);
}

TEST(FlowRecall, ClosingFlowEndedEarlyIsRememberedUntilItsDeadline) {
  FlowTable table = make_table(config_for(2));
  Recorder ended;
  const auto a =
      table.find_or_create(tcp("192.0.2.1", 40000, "198.51.100.7", 80, ms(0), syn), ended);
  a.entry->verdict = Verdict::selected;
  table.find_or_create(tcp("198.51.100.7", 80, "192.0.2.1", 40000, ms(1), rst), ended);
  push_out(table, ended, ms(2));
  ASSERT_FALSE(ended.ended.empty());
  EXPECT_EQ(ended.ended[0].reason, EndReason::tcp_closed);
  EXPECT_EQ(table.counters().closed_early, 1u);
  // A stray segment within the grace gets the verdict back.
  const auto stray =
      table.find_or_create(tcp("198.51.100.7", 80, "192.0.2.1", 40000, ms(500), rst), ended);
  EXPECT_TRUE(stray.recalled);
  EXPECT_EQ(stray.entry->verdict, Verdict::selected);
  EXPECT_EQ(stray.direction, Direction::reverse);
}

TEST(FlowRecall, ANewerEvictionInTheSameSlotIsCountedAsForgotten) {
  FlowTableConfig config = config_for(1);
  config.recall_slots = 1;  // every remembered verdict shares one cell
  FlowTable table = make_table(config);
  Recorder ended;
  auto decide = [&](const decode::DecodedPacket& p) {
    table.find_or_create(p, ended).entry->verdict = Verdict::selected;
  };
  decide(udp("192.0.2.1", 1, "198.51.100.7", 53, ms(0)));
  decide(udp("192.0.2.2", 2, "198.51.100.7", 53, ms(1)));  // evicts 1: remembered
  decide(udp("192.0.2.3", 3, "198.51.100.7", 53, ms(2)));  // evicts 2: overwrites 1
  EXPECT_EQ(table.counters().remembered, 2u);
  EXPECT_EQ(table.counters().forgotten, 1u);
  EXPECT_FALSE(
      table.find_or_create(udp("192.0.2.1", 1, "198.51.100.7", 53, ms(3)), ended).recalled);
}

TEST(FlowTable, DrainEndsEverythingAndLeavesAnEmptyReusableTable) {
  FlowTable table = make_table(config_for(8));
  Recorder ended;
  table.find_or_create(udp("192.0.2.1", 1, "198.51.100.7", 53, ms(0)), ended);
  table.find_or_create(tcp("192.0.2.2", 2, "198.51.100.7", 80, ms(1), syn), ended);
  table.find_or_create(tcp("192.0.2.2", 2, "198.51.100.7", 80, ms(2), rst), ended);
  table.find_or_create(udp("192.0.2.3", 3, "198.51.100.7", 53, ms(3)), ended);
  EXPECT_EQ(table.drain(ended), 3u);
  ASSERT_EQ(ended.ended.size(), 3u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::tcp_closed);
  EXPECT_EQ(ended.ended[0].key.src, ip("192.0.2.2"));
  EXPECT_EQ(ended.ended[1].reason, EndReason::end_of_input);
  EXPECT_EQ(ended.ended[1].key.src, ip("192.0.2.1"));
  EXPECT_EQ(ended.ended[2].key.src, ip("192.0.2.3"));
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.find({ip("192.0.2.1"), ip("198.51.100.7"), 1, 53, 17}), nullptr);
  EXPECT_EQ(table.expire(ms(1'000'000), ended), 0u);
  const auto again = table.find_or_create(udp("192.0.2.1", 1, "198.51.100.7", 53, ms(4)), ended);
  EXPECT_TRUE(again.created);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.counters().ended_by(EndReason::end_of_input), 2u);
}

TEST(FlowTable, RejectsBadConfiguration) {
  FlowTableConfig config = config_for(0);
  EXPECT_FALSE(FlowTable::create(config).has_value());
  config.max_flows = kMaxFlows + 1;
  EXPECT_FALSE(FlowTable::create(config).has_value());
  config = config_for(4);
  config.idle_timeout = Duration{0};
  EXPECT_FALSE(FlowTable::create(config).has_value());
  config = config_for(4);
  config.active_timeout = Duration{-1};
  EXPECT_FALSE(FlowTable::create(config).has_value());
  config = config_for(4);
  config.tcp_close_grace = Duration{-1};
  const auto bad = FlowTable::create(config);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("tcp_close_grace"), std::string::npos);
  config.tcp_close_grace = Duration{0};
  EXPECT_TRUE(FlowTable::create(config).has_value());
}

// Hostile captures can carry any 64-bit timestamp: no overflow, no crash, deadlines saturate.
TEST(FlowTable, ExtremeAndBackwardTimestamps) {
  FlowTable table = make_table(config_for(4));
  Recorder ended;
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  const auto a = table.find_or_create(tcp("192.0.2.1", 1, "198.51.100.7", 80, {kMax}, rst), ended);
  EXPECT_EQ(a.entry->close_deadline(), Timestamp{kMax});
  // Going backwards in time: counted to the same flow; first_seen is the earliest time seen.
  const auto c = table.find_or_create(udp("192.0.2.3", 3, "198.51.100.7", 53, ms(5000)), ended);
  const auto d = table.find_or_create(udp("198.51.100.7", 53, "192.0.2.3", 3, ms(4000)), ended);
  EXPECT_EQ(c.entry, d.entry);
  EXPECT_FALSE(d.created);
  EXPECT_EQ(c.entry->first_seen(), ms(4000));
  EXPECT_EQ(c.entry->last_seen(), ms(5000));

  table.find_or_create(udp("192.0.2.2", 2, "198.51.100.7", 53, {kMin}), ended);
  // From the earliest to the latest time: idle, so a new flow.
  const auto b = table.find_or_create(udp("192.0.2.2", 2, "198.51.100.7", 53, {kMax}), ended);
  EXPECT_TRUE(b.created);
  ASSERT_EQ(ended.ended.size(), 1u);
  EXPECT_EQ(ended.ended[0].reason, EndReason::idle_timeout);
  EXPECT_EQ(ended.ended[0].last_seen, Timestamp{kMin});

  EXPECT_EQ(table.expire({kMin}, ended), 0u);
  // At the end of time: the closed flow and the 5 s one end; the one seen at kMax stays.
  EXPECT_EQ(table.expire({kMax}, ended), 2u);
  EXPECT_EQ(table.size(), 1u);
}

TEST(FlowTable, MemoryIsBoundedByMaxFlows) {
  FlowTableConfig config;
  config.max_flows = 1'000'000;
  FlowTable table = make_table(config);
  EXPECT_EQ(sizeof(FlowEntry), 128u);
  // Entries 128 B each, index 6.4 B and verdict memory 2.1 B per flow: under 130.5 MiB.
  EXPECT_LE(table.memory_bytes(), std::size_t{136'839'168});
  EXPECT_GE(table.memory_bytes(), std::size_t{128'000'000});
  EXPECT_EQ(table.config().recall_slots, 131072u);
}

}  // namespace
}  // namespace mamori::flow
