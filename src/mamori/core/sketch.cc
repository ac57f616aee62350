#include "mamori/core/sketch.h"

#include <cmath>
#include <limits>

namespace mamori {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t load_le(const std::uint8_t* p, std::size_t n) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < n; ++i) value |= std::uint64_t{p[i]} << (8 * i);
  return value;
}

// Ertl (2017), algorithm 6: sigma(x) = x + sum_k x^(2^k) 2^(k-1), tau(x) =
// (1 - x - sum_k (1 - x^(2^-k))^2 2^-k) / 3; both series are summed until they stop changing.
double sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  for (;;) {
    x *= x;
    const double before = z;
    z += x * y;
    y += y;
    if (z == before) return z;
  }
}

double tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  for (;;) {
    x = std::sqrt(x);
    const double before = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
    if (z == before) return z / 3.0;
  }
}

}  // namespace

HashKey HashKey::from_seed(std::uint64_t seed, std::uint64_t domain) {
  std::uint64_t state = seed ^ (domain * 0xd6e8feb86659fd93ULL);
  HashKey key;
  key.k0 = splitmix64(state);
  key.k1 = splitmix64(state);
  return key;
}

std::uint64_t siphash(const HashKey& key, std::span<const std::uint8_t> bytes, int c_rounds,
                      int d_rounds) {
  std::uint64_t v0 = key.k0 ^ 0x736f6d6570736575ULL;
  std::uint64_t v1 = key.k1 ^ 0x646f72616e646f6dULL;
  std::uint64_t v2 = key.k0 ^ 0x6c7967656e657261ULL;
  std::uint64_t v3 = key.k1 ^ 0x7465646279746573ULL;
  const std::size_t whole = bytes.size() / 8 * 8;
  for (std::size_t i = 0; i < whole; i += 8) {
    const std::uint64_t m = load_le(bytes.data() + i, 8);
    v3 ^= m;
    for (int r = 0; r < c_rounds; ++r) sketch_detail::sip_round(v0, v1, v2, v3);
    v0 ^= m;
  }
  const std::uint64_t last = (static_cast<std::uint64_t>(bytes.size()) << 56) |
                             load_le(bytes.data() + whole, bytes.size() - whole);
  v3 ^= last;
  for (int r = 0; r < c_rounds; ++r) sketch_detail::sip_round(v0, v1, v2, v3);
  v0 ^= last;
  v2 ^= 0xff;
  for (int r = 0; r < d_rounds; ++r) sketch_detail::sip_round(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

double hyperloglog_estimate(std::span<const std::uint32_t, 16> histogram, std::uint32_t registers) {
  constexpr int kQ = 14;
  const double m = registers;
  if (histogram[0] == registers) return 0.0;
  // Every register saturated: the estimator diverges; report the ceiling of the range instead
  // (callers only compare against thresholds far below it).
  if (histogram[kQ + 1] == registers) return m * 32768.0;  // m * 2^(q + 1)
  double z = m * tau(1.0 - histogram[kQ + 1] / m);
  for (int k = kQ; k >= 1; --k) z = 0.5 * (z + histogram[k]);
  z += m * sigma(histogram[0] / m);
  constexpr double kAlphaInfinity = 0.7213475204444817;  // 1 / (2 ln 2)
  return kAlphaInfinity * m * m / z;
}

}  // namespace mamori
