// core/sketch: SipHash against reference vectors, count-min and HyperLogLog against exact counts
// (error bounds asserted), determinism under a fixed seed.

#include "mamori/core/sketch.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <unordered_map>
#include <vector>

namespace mamori {
namespace {

HashKey reference_key() {
  // The key 00 01 .. 0f of the SipHash paper, as two little-endian words.
  return HashKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
}

std::vector<std::uint8_t> counting_bytes(std::size_t n) {
  std::vector<std::uint8_t> bytes(n);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<std::uint8_t>(i);
  return bytes;
}

TEST(SipHash, MatchesReferenceVectors) {
  const HashKey key = reference_key();
  // SipHash-2-4: the paper's example and the reference implementation's vectors.
  EXPECT_EQ(siphash(key, counting_bytes(0), 2, 4), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(siphash(key, counting_bytes(1), 2, 4), 0x74f839c593dc67fdULL);
  EXPECT_EQ(siphash(key, counting_bytes(8), 2, 4), 0x93f5f5799a932462ULL);
  EXPECT_EQ(siphash(key, counting_bytes(15), 2, 4), 0xa129ca6149be45e5ULL);
  // SipHash-1-3 (the default), as computed by `openssl mac ... -macopt c-rounds:1
  // -macopt d-rounds:3 SIPHASH` (which prints the value's little-endian bytes).
  EXPECT_EQ(siphash(key, counting_bytes(0)), 0xabac0158050fc4dcULL);
  EXPECT_EQ(siphash(key, counting_bytes(15)), 0xd320d86d2a519956ULL);
  const std::vector<std::uint8_t> a32(32, 'a');
  EXPECT_EQ(siphash(key, a32), 0xc4388c885f7d0576ULL);
}

TEST(SipHash, WordFormEqualsByteForm) {
  std::mt19937_64 rng(7);
  const HashKey key = HashKey::from_seed(42);
  for (std::size_t n = 0; n <= 6; ++n) {
    std::vector<std::uint64_t> words(n);
    for (auto& w : words) w = rng();
    std::vector<std::uint8_t> bytes(n * 8);
    for (std::size_t i = 0; i < n; ++i) {
      for (int b = 0; b < 8; ++b) bytes[i * 8 + b] = static_cast<std::uint8_t>(words[i] >> (8 * b));
    }
    EXPECT_EQ(siphash13_words(key, words), siphash(key, bytes)) << n;
  }
}

TEST(SipHash, SeedDeterminesKey) {
  EXPECT_EQ(HashKey::from_seed(1).k0, HashKey::from_seed(1).k0);
  EXPECT_EQ(HashKey::from_seed(1).k1, HashKey::from_seed(1).k1);
  EXPECT_NE(HashKey::from_seed(1).k0, HashKey::from_seed(2).k0);
  EXPECT_NE(HashKey::from_seed(1, 0).k0, HashKey::from_seed(1, 1).k0);
  const std::array<std::uint64_t, 2> words{1, 2};
  EXPECT_NE(siphash13_words(HashKey::from_seed(1), words),
            siphash13_words(HashKey::from_seed(2), words));
}

TEST(ReduceHash, StaysInRangeAndSpreads) {
  std::array<int, 10> buckets{};
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100'000; ++i) {
    const std::size_t b = reduce_hash(rng(), buckets.size());
    ASSERT_LT(b, buckets.size());
    ++buckets[b];
  }
  for (int count : buckets) EXPECT_NEAR(count, 10'000, 500);
}

TEST(FixedArray, ZeroedAlignedAndFootprintKnown) {
  struct alignas(64) Line {
    std::array<std::uint64_t, 8> words{};
  };
  FixedArray<Line> small(10);
  EXPECT_EQ(small.size(), 10u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(small.data()) % 64, 0u);
  for (const Line& line : small) {
    for (const std::uint64_t w : line.words) ASSERT_EQ(w, 0u);
  }
  EXPECT_EQ(small.memory_bytes(), 640u);
  // From 2 MiB on the block is mapped in whole pages: the footprint rounds up to 4 KiB.
  FixedArray<Line> large((3u << 20) / 64 + 1);
  EXPECT_EQ(large.memory_bytes(), (3u << 20) + 4096);
  large[large.size() - 1].words[7] = 5;
  EXPECT_EQ(large[large.size() - 1].words[7], 5u);
  EXPECT_EQ(CountMinSketch<std::uint16_t>::footprint(100), 64u);
}

// Zipf-like traffic: a few heavy items and a long tail of one-off items, as sources on a link.
std::vector<std::uint64_t> skewed_stream(std::size_t events, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> items;
  items.reserve(events);
  for (std::size_t i = 0; i < events; ++i) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    items.push_back(static_cast<std::uint64_t>(std::pow(200'000.0, u)));  // 1 .. 200000
  }
  return items;
}

TEST(CountMinSketch, NeverUndercountsAndOvercountsWithinBound) {
  const HashKey key = HashKey::from_seed(11);
  CountMinSketch<std::uint16_t> sketch(64 * 1024);  // 1024 blocks of 8 + 8 + 8 + 7 counters
  std::unordered_map<std::uint64_t, std::uint32_t> exact;
  const auto stream = skewed_stream(200'000, 5);
  for (const std::uint64_t item : stream) {
    const std::array<std::uint64_t, 1> w{item};
    sketch.add(siphash13_words(key, w));
    ++exact[item];
  }
  // Bound: N / (blocks * narrowest row) = 200000 / 7168 ≈ 28 expected overestimate at most.
  const double bound = 200'000.0 / (sketch.block_count() * CountMinSketch<std::uint16_t>::kWidth);
  double total_error = 0;
  std::size_t above_3_bounds = 0;
  for (const auto& [item, count] : exact) {
    const std::array<std::uint64_t, 1> w{item};
    const std::uint16_t estimate = sketch.estimate(siphash13_words(key, w));
    ASSERT_GE(estimate, count);
    total_error += estimate - count;
    above_3_bounds += (estimate - count) > 3 * bound;
  }
  const double mean_error = total_error / static_cast<double>(exact.size());
  EXPECT_LT(mean_error, bound);
  EXPECT_LT(static_cast<double>(above_3_bounds), 0.01 * static_cast<double>(exact.size()));
}

TEST(CountMinSketch, ConservativeUpdateAddsAmountsAndSaturates) {
  CountMinSketch<std::uint32_t> sketch(64);  // one block: every item shares it
  EXPECT_EQ(sketch.block_count(), 1u);
  EXPECT_EQ(sketch.add(0x1234, 1000), 1000u);
  EXPECT_EQ(sketch.add(0x1234, 24), 1024u);
  EXPECT_EQ(sketch.estimate(0x1234), 1024u);
  EXPECT_EQ(sketch.add(0x1234, 0xffffffffu), 0xffffffffu);
  CountMinSketch<std::uint16_t> small(1);  // rounded up to one block
  EXPECT_EQ(small.memory_bytes(), 64u);
  for (int i = 0; i < 70'000; ++i) small.add(99);
  EXPECT_EQ(small.estimate(99), 0xffff);
}

TEST(CountMinSketch, DecayHalvesAndClearEmpties) {
  CountMinSketch<std::uint16_t> sketch(4096);
  for (int i = 0; i < 9; ++i) sketch.add(777);
  sketch.decay();
  EXPECT_EQ(sketch.estimate(777), 4);
  sketch.decay();
  EXPECT_EQ(sketch.estimate(777), 2);
  sketch.clear();
  EXPECT_EQ(sketch.estimate(777), 0);
  EXPECT_EQ(sketch.memory_bytes(), 4096u);
}

// decay() is lazy (a block catches up when touched); the estimates must be those of halving
// every counter at once: min(c >> k) == min(c) >> k, and an add after decay builds on that.
TEST(CountMinSketch, LazyDecayEqualsHalvingEveryCounter) {
  const HashKey key = HashKey::from_seed(21);
  CountMinSketch<std::uint16_t> sketch(64 * 64);
  auto hash = [&](std::uint64_t item) {
    const std::array<std::uint64_t, 1> w{item};
    return siphash13_words(key, w);
  };
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20'000; ++i)
    sketch.add(hash(rng() % 500), static_cast<std::uint16_t>(1 + rng() % 7));
  std::vector<std::uint16_t> before;
  for (std::uint64_t item = 0; item < 500; ++item) before.push_back(sketch.estimate(hash(item)));
  sketch.decay(0);  // nothing
  sketch.decay();
  sketch.decay(2);
  for (std::uint64_t item = 0; item < 500; ++item) {
    ASSERT_EQ(sketch.estimate(hash(item)), before[item] >> 3) << item;
  }
  // Touch half the items (their blocks catch up), then decay again: all still exact.
  for (std::uint64_t item = 0; item < 500; item += 2) {
    ASSERT_EQ(sketch.add(hash(item), 0), before[item] >> 3) << item;
  }
  sketch.decay(4);
  for (std::uint64_t item = 0; item < 500; ++item) {
    ASSERT_EQ(sketch.estimate(hash(item)), before[item] >> 7) << item;
  }
  sketch.decay(9);  // 16 halvings in all: every 16-bit counter is empty
  for (std::uint64_t item = 0; item < 500; ++item) ASSERT_EQ(sketch.estimate(hash(item)), 0);
  EXPECT_EQ(sketch.add(hash(1), 5), 5);

  CountMinSketch<std::uint32_t> wide(64);
  wide.add(0x77, 0x80000000u);
  wide.decay(31);
  EXPECT_EQ(wide.estimate(0x77), 1u);
  wide.decay();
  EXPECT_EQ(wide.estimate(0x77), 0u);
}

// A block's stamp is 16 bits: a block left untouched for 2^16 + 3 halvings must not read as
// 3 halvings behind (the periodic catch-up pass keeps lags apart), and a long gap empties all.
TEST(CountMinSketch, LongUntouchedBlocksAgeFully) {
  CountMinSketch<std::uint16_t> sketch(4096);
  sketch.add(0x1234, 1000);
  for (int i = 0; i < 65'539; ++i) sketch.decay();
  EXPECT_EQ(sketch.estimate(0x1234), 0);
  EXPECT_EQ(sketch.add(0x1234, 1), 1);
  CountMinSketch<std::uint32_t> wide(4096);
  wide.add(0x1234, 1000);
  wide.decay(std::uint64_t{1} << 40);  // a gap of many epochs at once
  EXPECT_EQ(wide.estimate(0x1234), 0u);
  wide.add(0x1234, 9);
  wide.decay(65'536);
  EXPECT_EQ(wide.estimate(0x1234), 0u);
}

TEST(CountMinSketch, DeterministicUnderSeed) {
  auto run = [](std::uint64_t seed) {
    const HashKey key = HashKey::from_seed(seed);
    CountMinSketch<std::uint16_t> sketch(2048);
    for (std::uint64_t i = 0; i < 5000; ++i) {
      const std::array<std::uint64_t, 1> w{i % 700};
      sketch.add(siphash13_words(key, w));
    }
    std::vector<std::uint16_t> estimates;
    for (std::uint64_t i = 0; i < 700; ++i) {
      const std::array<std::uint64_t, 1> w{i};
      estimates.push_back(sketch.estimate(siphash13_words(key, w)));
    }
    return estimates;
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

// Relative errors of TwoEpochHyperLogLog<P> over `trials` independent keys at n distinct items.
template <int P>
std::pair<double, double> hll_errors(std::size_t n, int trials) {
  double sum = 0;
  double sum_squares = 0;
  for (int t = 0; t < trials; ++t) {
    const HashKey key = HashKey::from_seed(1000 + t);
    TwoEpochHyperLogLog<P> hll;
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::array<std::uint64_t, 1> w{i};
      const std::uint64_t h = siphash13_words(key, w);
      hll.add(h);
      hll.add(h);  // duplicates change nothing
    }
    const double error = (hll.estimate() - static_cast<double>(n)) / static_cast<double>(n);
    sum += error;
    sum_squares += error * error;
  }
  return {sum / trials, std::sqrt(sum_squares / trials)};
}

TEST(TwoEpochHyperLogLog, AccuracyFrom16To10000WithinDocumentedError) {
  // P = 6 (64 registers, 64 bytes for both epochs): 1.04 / 8 = 13 % standard error.
  for (const std::size_t n : {16u, 64u, 256u, 1000u, 10000u}) {
    const auto [bias, rms] = hll_errors<6>(n, 200);
    EXPECT_LT(std::abs(bias), 0.03) << n;
    EXPECT_LT(rms, n <= 64 ? 0.10 : 0.15) << n;
  }
  // P = 7: 9.2 %.
  for (const std::size_t n : {16u, 1000u, 10000u}) {
    const auto [bias, rms] = hll_errors<7>(n, 200);
    EXPECT_LT(std::abs(bias), 0.03) << n;
    EXPECT_LT(rms, 0.105) << n;
  }
}

TEST(TwoEpochHyperLogLog, EmptyIsZeroAndSmallCountsAreNearExact) {
  TwoEpochHyperLogLog<6> hll;
  EXPECT_EQ(hll.estimate(), 0.0);
  const HashKey key = HashKey::from_seed(9);
  for (std::uint64_t i = 0; i < 3; ++i) {
    const std::array<std::uint64_t, 1> w{i};
    hll.add(siphash13_words(key, w));
  }
  EXPECT_NEAR(hll.estimate(), 3.0, 0.5);
}

TEST(TwoEpochHyperLogLog, RotateKeepsThePreviousEpochForOneRotation) {
  const HashKey key = HashKey::from_seed(21);
  auto add_range = [&](TwoEpochHyperLogLog<7>& hll, std::uint64_t from, std::uint64_t to) {
    for (std::uint64_t i = from; i < to; ++i) {
      const std::array<std::uint64_t, 1> w{i};
      hll.add(siphash13_words(key, w));
    }
  };
  TwoEpochHyperLogLog<7> hll;
  add_range(hll, 0, 500);
  hll.rotate();
  EXPECT_EQ(hll.estimate_current(), 0.0);
  EXPECT_NEAR(hll.estimate(), 500, 500 * 0.3);
  add_range(hll, 250, 750);  // half overlaps the previous epoch
  EXPECT_NEAR(hll.estimate_current(), 500, 500 * 0.3);
  EXPECT_NEAR(hll.estimate(), 750, 750 * 0.3);
  hll.rotate();
  EXPECT_NEAR(hll.estimate(), 500, 500 * 0.3);  // only 250..750 remain
  hll.rotate();
  EXPECT_EQ(hll.estimate(), 0.0);
  add_range(hll, 0, 10);
  hll.clear();
  EXPECT_EQ(hll.estimate(), 0.0);
}

TEST(TwoEpochHyperLogLog, SaturatedRegistersStayFinite) {
  TwoEpochHyperLogLog<4> hll;
  for (int i = 0; i < 16; ++i) hll.add(static_cast<std::uint64_t>(i) << 60);  // rank 15 each
  const double estimate = hll.estimate();
  EXPECT_TRUE(std::isfinite(estimate));
  EXPECT_GT(estimate, 16.0 * 16384);
}

}  // namespace
}  // namespace mamori
