// Pseudonymization throughput. Goal (issue "privacy"): >= 20 M IPv4 addresses/s per core with
// AES-NI, caching per flow. Run short: --benchmark_min_time=0.2.
//
// Uncached cases draw fresh random addresses (every call runs the full Crypto-PAn: 32 AES
// blocks for IPv4, 128 for IPv6). Cached cases replay flow-like streams over a fixed set of
// distinct addresses: "zipf" (a few heavy hitters, the usual shape of traffic by host) and
// "uniform" (every address equally likely: the worst case for a direct-mapped cache).
// Arguments: distinct addresses, IPv4 cache entries (16384 is the default).

#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "mamori/privacy/crypto_pan.h"
#include "mamori/privacy/pseudonymizer.h"

namespace {

using mamori::IpAddress;
using namespace mamori::privacy;

constexpr std::size_t kStreamLength = 1 << 20;  // addresses, cycled

PseudonymKeys bench_keys() {
  PseudonymKeys keys;
  PseudonymKey key;
  key.epoch = 1;
  for (std::size_t i = 0; i < key.key.size(); ++i)
    key.key[i] = static_cast<std::uint8_t>(7 * i + 3);
  keys.epochs.push_back(key);
  keys.current = 1;
  return keys;
}

Pseudonymizer make_pseudonymizer(std::size_t cache_entries) {
  auto pseudonymizer =
      Pseudonymizer::create(bench_keys(), {.cache_entries = cache_entries, .v6_cache_entries = 0});
  if (!pseudonymizer) std::abort();
  return std::move(*pseudonymizer);
}

std::vector<IpAddress> random_v4_stream(std::size_t length, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<IpAddress> out(length);
  for (auto& address : out) address = IpAddress::v4(static_cast<std::uint32_t>(rng()));
  return out;
}

// `length` draws from `distinct` random IPv4 addresses, Zipf(1) by rank or uniform.
std::vector<IpAddress> flow_v4_stream(std::size_t distinct, bool zipf, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::vector<IpAddress> hosts = random_v4_stream(distinct, seed + 1);
  std::vector<double> cdf(distinct);
  double total = 0;
  for (std::size_t i = 0; i < distinct; ++i) {
    total += zipf ? 1.0 / static_cast<double>(i + 1) : 1.0;
    cdf[i] = total;
  }
  std::uniform_real_distribution<double> uniform(0, total);
  std::vector<IpAddress> out(kStreamLength);
  for (auto& address : out) {
    const auto it = std::lower_bound(cdf.begin(), cdf.end(), uniform(rng));
    address =
        hosts[std::min<std::size_t>(static_cast<std::size_t>(it - cdf.begin()), distinct - 1)];
  }
  return out;
}

void BM_CryptoPanV4Uncached(benchmark::State& state) {
  auto pan = CryptoPan::create(bench_keys().epochs[0].key);
  if (!pan) std::abort();
  std::mt19937_64 rng(1);
  std::vector<std::uint32_t> addresses(kStreamLength);
  for (auto& address : addresses) address = static_cast<std::uint32_t>(rng());
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pan->anonymize_v4(addresses[i++ & (kStreamLength - 1)]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_CryptoPanV4Uncached);

void BM_PseudonymizeV4Uncached(benchmark::State& state) {
  Pseudonymizer pseudonymizer = make_pseudonymizer(0);
  const std::vector<IpAddress> stream = random_v4_stream(kStreamLength, 2);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pseudonymizer.pseudonymize(stream[i++ & (kStreamLength - 1)]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PseudonymizeV4Uncached);

template <bool kZipf>
void BM_PseudonymizeV4Cached(benchmark::State& state) {
  const auto distinct = static_cast<std::size_t>(state.range(0));
  Pseudonymizer pseudonymizer = make_pseudonymizer(static_cast<std::size_t>(state.range(1)));
  const std::vector<IpAddress> stream = flow_v4_stream(distinct, kZipf, 3);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pseudonymizer.pseudonymize(stream[i++ & (kStreamLength - 1)]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK_TEMPLATE(BM_PseudonymizeV4Cached, true)
    ->Name("BM_PseudonymizeV4Cached/zipf")
    ->ArgsProduct({{1000, 10000, 100000}, {4096, 16384}});
BENCHMARK_TEMPLATE(BM_PseudonymizeV4Cached, false)
    ->Name("BM_PseudonymizeV4Cached/uniform")
    ->ArgsProduct({{1000, 10000}, {4096, 16384}});

void BM_PseudonymizeV6Uncached(benchmark::State& state) {
  Pseudonymizer pseudonymizer = make_pseudonymizer(0);
  std::mt19937_64 rng(4);
  std::vector<IpAddress> stream(1 << 16);
  for (auto& address : stream) {
    std::array<std::uint8_t, 16> bytes{};
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
    bytes[0] = 0x2a;
    address = IpAddress::v6(bytes);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pseudonymizer.pseudonymize(stream[i++ & (stream.size() - 1)]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PseudonymizeV6Uncached);

void BM_ReidentifyV4(benchmark::State& state) {
  Pseudonymizer pseudonymizer = make_pseudonymizer(0);
  const std::vector<IpAddress> stream = random_v4_stream(1 << 16, 5);
  std::vector<Pseudonym> pseudonyms;
  for (const auto& address : stream) pseudonyms.push_back(pseudonymizer.pseudonymize(address));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pseudonymizer.reidentify(pseudonyms[i++ & (pseudonyms.size() - 1)]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ReidentifyV4);

}  // namespace
BENCHMARK_MAIN();
