// Property test: random churn (eviction, idle/active timeouts, TCP close, recall) against a
// naive model of the semantics documented in flow_table.h. The model keeps flows in a std::map
// and finds victims and expired flows by scanning; it shares no data structure with the table.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>
#include <vector>

#include "flow_test_util.h"
#include "mamori/flow/flow_table.h"

namespace mamori::flow {
namespace {

using testing::Ended;
using testing::ms;

struct ModelFlow {
  FlowKey forward;
  std::uint64_t packets[2] = {};
  std::uint64_t bytes[2] = {};
  std::uint8_t flags[2] = {};
  bool fin[2] = {};
  bool closing = false;
  Timestamp close_deadline;
  Timestamp first;
  Timestamp last;
  std::uint64_t touched = 0;  // LRU order
  std::uint64_t closed = 0;   // closing order
  Verdict verdict = Verdict::undecided;
  std::uint32_t annotation = kNoAnnotation;
};

struct ModelCell {
  bool used = false;
  std::uint64_t check = 0;
  FlowKey forward;
  Verdict verdict = Verdict::undecided;
  std::uint32_t tag = 0;
  std::int64_t expiry_seconds = 0;
};

struct Expected {
  Direction direction = Direction::forward;
  bool created = false;
  bool recalled = false;
  bool new_segment = false;
};

using CanonicalKey = std::tuple<IpAddress, IpAddress, std::uint16_t, std::uint16_t, std::uint8_t>;

CanonicalKey canonical(const FlowKey& key) {
  const CanonicalKey a{key.src, key.dst, key.src_port, key.dst_port, key.protocol};
  const CanonicalKey b{key.dst, key.src, key.dst_port, key.src_port, key.protocol};
  return std::min(a, b);
}

// The test's "sieve" rewrites the annotation of evicted flows (a tag outliving side data).
std::uint32_t retag(std::uint32_t annotation) { return annotation ^ 0x40000000u; }

class Model {
 public:
  Model(const FlowTableConfig& config, const FlowHasher& hasher, std::uint32_t recall_slots)
      : config_(config), hasher_(hasher), cells_(recall_slots) {}

  Expected packet(const decode::DecodedPacket& p, std::vector<Ended>& events) {
    const FlowKey key = key_of(p);
    const Timestamp t = p.timestamp;
    if (auto it = flows_.find(canonical(key)); it != flows_.end()) {
      ModelFlow& f = it->second;
      const bool syn_only = p.protocol == 6 && p.has_transport && (p.tcp_flags & 0x12) == 0x02;
      const bool stale =
          f.closing ? (t >= f.close_deadline || syn_only) : (t - f.last >= config_.idle_timeout);
      if (!stale) {
        Expected r{key == f.forward ? Direction::forward : Direction::reverse, false, false, false};
        if (!f.closing) f.touched = ++sequence_;
        if (!f.closing && t - f.first >= config_.active_timeout) {
          events.push_back(snapshot(f, EndReason::active_timeout));
          f.packets[0] = f.packets[1] = f.bytes[0] = f.bytes[1] = 0;
          f.flags[0] = f.flags[1] = 0;
          f.first = f.last = t;
          r.new_segment = true;
        }
        record(f, r.direction, p);
        return r;
      }
      events.push_back(snapshot(f, f.closing ? EndReason::tcp_closed : EndReason::idle_timeout));
      flows_.erase(it);
    }
    if (flows_.size() == config_.max_flows) make_room(t, events);
    return create(key, p, events);
  }

  void expire(Timestamp now, std::vector<Ended>& events) {
    for (const bool closing : {true, false}) {
      std::vector<std::pair<std::uint64_t, CanonicalKey>> due;
      for (const auto& [k, f] : flows_) {
        if (f.closing != closing) continue;
        if (closing ? now >= f.close_deadline : now - f.last >= config_.idle_timeout) {
          due.emplace_back(closing ? f.closed : f.touched, k);
        }
      }
      std::sort(due.begin(), due.end());
      for (const auto& [order, k] : due) {
        events.push_back(
            snapshot(flows_.at(k), closing ? EndReason::tcp_closed : EndReason::idle_timeout));
        flows_.erase(k);
      }
    }
  }

  void drain(std::vector<Ended>& events) {
    for (const bool closing : {true, false}) {
      std::vector<std::pair<std::uint64_t, CanonicalKey>> all;
      for (const auto& [k, f] : flows_) {
        if (f.closing == closing) all.emplace_back(closing ? f.closed : f.touched, k);
      }
      std::sort(all.begin(), all.end());
      for (const auto& [order, k] : all) {
        events.push_back(
            snapshot(flows_.at(k), closing ? EndReason::tcp_closed : EndReason::end_of_input));
      }
    }
    flows_.clear();
    for (auto& cell : cells_) cell = {};
  }

  ModelFlow& flow(const FlowKey& key) { return flows_.at(canonical(key)); }
  std::size_t size() const { return flows_.size(); }

  FlowCounters counters;

 private:
  void make_room(Timestamp now, std::vector<Ended>& events) {
    const ModelFlow* victim = nullptr;
    for (const auto& [k, f] : flows_) {
      if (f.closing && (victim == nullptr || f.closed < victim->closed)) victim = &f;
    }
    const bool closing = victim != nullptr;
    for (const auto& [k, f] : flows_) {
      if (!closing && (victim == nullptr || f.touched < victim->touched)) victim = &f;
    }
    ModelFlow f = *victim;
    flows_.erase(canonical(f.forward));
    events.push_back(snapshot(f, closing ? EndReason::tcp_closed : EndReason::evicted));
    if (closing) ++counters.closed_early;
    if (!closing) f.annotation = retag(f.annotation);
    if (f.verdict == Verdict::undecided) return;
    const Timestamp expiry = closing ? f.close_deadline : f.last + config_.idle_timeout;
    ModelCell& cell = cells_[hasher_(f.forward) % cells_.size()];
    if (cell.used && now.seconds() < cell.expiry_seconds) ++counters.forgotten;
    cell = {true,         hasher_(f.forward) & ~std::uint64_t{7},
            f.forward,    f.verdict,
            f.annotation, expiry.seconds()};
    ++counters.remembered;
  }

  Expected create(const FlowKey& key, const decode::DecodedPacket& p, std::vector<Ended>&) {
    ModelFlow f;
    f.forward = key;
    f.first = f.last = p.timestamp;
    Expected r{Direction::forward, true, false, false};
    const std::uint64_t hash = hasher_(key);
    ModelCell& cell = cells_[hash % cells_.size()];
    if (counters.remembered != 0 && cell.used && cell.check == (hash & ~std::uint64_t{7})) {
      cell.used = false;
      if (p.timestamp.seconds() < cell.expiry_seconds) {
        r.recalled = true;
        f.forward = cell.forward;
        f.verdict = cell.verdict;
        f.annotation = cell.tag;
        r.direction = key == f.forward ? Direction::forward : Direction::reverse;
        ++counters.recalled;
      }
    }
    f.touched = ++sequence_;
    record(f, r.direction, p);
    flows_[canonical(key)] = f;
    ++counters.created;
    counters.peak_flows = std::max<std::uint64_t>(counters.peak_flows, flows_.size());
    return r;
  }

  void record(ModelFlow& f, Direction direction, const decode::DecodedPacket& p) {
    const int d = index_of(direction);
    ++f.packets[d];
    f.bytes[d] += p.wire_length;
    f.first = std::min(f.first, p.timestamp);
    f.last = std::max(f.last, p.timestamp);
    if (p.protocol != 6 || !p.has_transport) return;
    f.flags[d] |= p.tcp_flags;
    if (p.tcp_flags & 0x01) f.fin[d] = true;
    if (!f.closing && ((p.tcp_flags & 0x04) || (f.fin[0] && f.fin[1]))) {
      f.closing = true;
      f.close_deadline = f.last + config_.tcp_close_grace;
      f.closed = ++sequence_;
    }
  }

  static Ended snapshot(const ModelFlow& f, EndReason reason) {
    Ended e;
    e.key = f.forward;
    e.reason = reason;
    for (int d = 0; d < 2; ++d) {
      e.packets[d] = f.packets[d];
      e.bytes[d] = f.bytes[d];
      e.flags[d] = f.flags[d];
    }
    e.first_seen = f.first;
    e.last_seen = f.last;
    e.verdict = f.verdict;
    e.annotation = f.annotation;
    return e;
  }

  FlowTableConfig config_;
  FlowHasher hasher_;
  std::map<CanonicalKey, ModelFlow> flows_;
  std::vector<ModelCell> cells_;
  std::uint64_t sequence_ = 0;
};

::testing::AssertionResult same(const Ended& a, const Ended& b) {
  if (a.key == b.key && a.reason == b.reason && a.packets[0] == b.packets[0] &&
      a.packets[1] == b.packets[1] && a.bytes[0] == b.bytes[0] && a.bytes[1] == b.bytes[1] &&
      a.flags[0] == b.flags[0] && a.flags[1] == b.flags[1] && a.first_seen == b.first_seen &&
      a.last_seen == b.last_seen && a.verdict == b.verdict && a.annotation == b.annotation) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << to_string(a.reason) << " vs " << to_string(b.reason) << ", " << a.key.src.to_string()
         << ":" << a.key.src_port << " vs " << b.key.src.to_string() << ":" << b.key.src_port
         << ", packets " << a.packets[0] << "/" << a.packets[1] << " vs " << b.packets[0] << "/"
         << b.packets[1] << ", annotation " << a.annotation << " vs " << b.annotation;
}

decode::DecodedPacket random_packet(std::mt19937_64& rng, const std::vector<FlowKey>& pool,
                                    Timestamp t) {
  // Skewed: a few hot flows live long (active timeouts), the rest churn (evictions, idling).
  const std::size_t hot = std::max<std::size_t>(1, pool.size() / 64);
  const FlowKey& key = rng() % 10 < 8 ? pool[rng() % hot] : pool[hot + rng() % (pool.size() - hot)];
  const bool reverse = rng() % 2 == 0;
  decode::DecodedPacket p;
  p.timestamp = t;
  p.wire_length = 40 + static_cast<std::uint32_t>(rng() % 1460);
  p.src = reverse ? key.dst : key.src;
  p.dst = reverse ? key.src : key.dst;
  p.protocol = key.protocol;
  p.src_port = reverse ? key.dst_port : key.src_port;
  p.dst_port = reverse ? key.src_port : key.dst_port;
  p.has_transport = key.src_port != 0;
  if (p.protocol == 6 && p.has_transport) {
    const std::uint64_t r = rng() % 100;
    p.tcp_flags = r < 5 ? 0x02 : r < 8 ? 0x12 : r < 12 ? 0x11 : r < 14 ? 0x04 : 0x10;
  }
  return p;
}

std::vector<FlowKey> make_pool(std::mt19937_64& rng, std::size_t size) {
  std::vector<FlowKey> pool;
  while (pool.size() < size) {
    const bool v6 = rng() % 4 == 0;
    auto host = [&] {
      const auto n = static_cast<std::uint32_t>(rng() % 40);
      if (!v6) return IpAddress::v4(0xc0000200u + n);
      std::array<std::uint8_t, 16> bytes{0x20, 0x01, 0x0d, 0xb8};
      bytes[15] = static_cast<std::uint8_t>(n);
      return IpAddress::v6(bytes);
    };
    // Every 10 keys, the hot ones first: 6 TCP, 3 UDP, 1 GRE (no ports).
    constexpr std::uint8_t kProtocols[] = {17, 6, 6, 17, 6, 6, 47, 6, 17, 6};
    const std::uint8_t protocol = kProtocols[pool.size() % 10];
    const bool ports = protocol != 47;
    pool.push_back({host(), host(), static_cast<std::uint16_t>(ports ? 1 + rng() % 6 : 0),
                    static_cast<std::uint16_t>(ports ? 1 + rng() % 6 : 0), protocol});
  }
  return pool;
}

struct Churn {
  std::uint64_t seed = 1;
  std::uint32_t max_flows = 32;
  std::size_t pool_size = 300;
  int steps = 100000;
  std::int64_t max_step_ms = 30;  // packet time advances 0 (30%) or 0..max_step_ms ms per step
  int lull_every = 20000;  // a 15 s pause (everything idles out) in the middle of each period
  bool require_all_paths = true;
};

void run_churn(const Churn& churn) {
  const std::uint32_t max_flows = churn.max_flows;
  FlowTableConfig config;
  config.max_flows = max_flows;
  config.idle_timeout = Duration::seconds(10);
  config.active_timeout = Duration::seconds(60);
  config.tcp_close_grace = Duration::seconds(2);
  config.recall_slots = max_flows * 4;
  config.hash_seed = churn.seed;
  FlowTable table = testing::make_table(config);
  Model model(config, table.hasher(), table.verdict_memory().slot_count());
  std::mt19937_64 rng(churn.seed);
  const std::vector<FlowKey> pool = make_pool(rng, churn.pool_size);

  std::vector<Ended> got;
  std::vector<Ended> want;
  auto handler = [&](FlowEntry& entry, EndReason reason) {
    got.push_back(testing::snapshot(entry, reason));
    if (reason == EndReason::evicted) entry.annotation = retag(entry.annotation);
  };
  auto compare = [&](int step) {
    ASSERT_EQ(got.size(), want.size()) << "step " << step;
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_TRUE(same(got[i], want[i])) << step;
    got.clear();
    want.clear();
  };

  Timestamp t = ms(1'000'000);
  for (int step = 0; step < churn.steps; ++step) {
    if (rng() % 10 >= 3) {
      t = t + Duration::millis(static_cast<std::int64_t>(rng() % churn.max_step_ms));
    }
    if (step % churn.lull_every == churn.lull_every / 2) t = t + Duration::seconds(15);
    if (rng() % 100 < 3) {
      const std::size_t ended = table.expire(t, handler);
      model.expire(t, want);
      EXPECT_EQ(ended, want.size());
    } else {
      const auto p = random_packet(rng, pool, t);
      const auto r = table.find_or_create(p, handler);
      const Expected e = model.packet(p, want);
      ASSERT_EQ(r.created, e.created) << step;
      ASSERT_EQ(r.recalled, e.recalled) << step;
      ASSERT_EQ(r.direction, e.direction) << step;
      ASSERT_EQ(r.new_segment, e.new_segment) << step;
      ASSERT_EQ(r.entry->key(), model.flow(key_of(p)).forward) << step;
      if (r.created && !r.recalled) {
        // The sieve decides (one draw for both) and tags the flow with the step number.
        const auto verdict = static_cast<Verdict>(rng() % 3);
        r.entry->verdict = model.flow(key_of(p)).verdict = verdict;
        r.entry->annotation = model.flow(key_of(p)).annotation = static_cast<std::uint32_t>(step);
      }
    }
    compare(step);
    ASSERT_EQ(table.size(), model.size()) << step;
    ASSERT_LE(table.size(), max_flows) << step;
  }
  const std::size_t live = model.size();
  EXPECT_EQ(table.drain(handler), live);
  model.drain(want);
  compare(churn.steps);
  EXPECT_EQ(table.size(), 0u);

  const FlowCounters& c = table.counters();
  EXPECT_EQ(c.created, model.counters.created);
  EXPECT_EQ(c.recalled, model.counters.recalled);
  EXPECT_EQ(c.remembered, model.counters.remembered);
  EXPECT_EQ(c.forgotten, model.counters.forgotten);
  EXPECT_EQ(c.closed_early, model.counters.closed_early);
  EXPECT_EQ(c.peak_flows, model.counters.peak_flows);
  if (!churn.require_all_paths) return;
  // The run must have exercised every path, or it proves little.
  for (int reason = 0; reason < kEndReasonCount; ++reason) {
    EXPECT_GT(c.ended[reason], 0u) << to_string(static_cast<EndReason>(reason));
  }
  EXPECT_GT(c.recalled, 0u);
  EXPECT_GT(c.closed_early, 0u);
}

TEST(FlowModel, SmallTableUnderHeavyChurn) {
  run_churn({.seed = 1, .max_flows = 32, .pool_size = 300, .steps = 150000});
}
TEST(FlowModel, LargerTableUnderChurn) {
  run_churn({.seed = 2,
             .max_flows = 256,
             .pool_size = 2000,
             .steps = 150000,
             .max_step_ms = 5,
             .lull_every = 60000});
}
TEST(FlowModel, OneEntryTable) {
  run_churn({.seed = 3,
             .max_flows = 1,
             .pool_size = 20,
             .steps = 30000,
             .max_step_ms = 30,
             .require_all_paths = false});
}

}  // namespace
}  // namespace mamori::flow
