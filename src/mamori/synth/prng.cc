#include "mamori/synth/prng.h"

#include <bit>
#include <cstring>

namespace mamori::synth {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t hash_label(std::string_view label) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : label) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint32_t neg_log_q16(std::uint64_t x) {
  if (x == 0) x = 1;
  // log2(x) = k + log2(m), m = x / 2^k in [1, 2), held in Q1.30; the fraction bits come from
  // repeated squaring (m^2 >= 2 means the next bit is 1).
  const int k = 63 - std::countl_zero(x);
  std::uint64_t m = k >= 30 ? x >> (k - 30) : x << (30 - k);
  std::uint64_t fraction = 0;  // Q.30
  for (int bit = 29; bit >= 0; --bit) {
    m = (m * m) >> 30;
    if (m >= (std::uint64_t{2} << 30)) {
      m >>= 1;
      fraction |= std::uint64_t{1} << bit;
    }
  }
  const std::uint64_t log2_q30 = (static_cast<std::uint64_t>(k) << 30) | fraction;
  const std::uint64_t neg_log2_q30 = (std::uint64_t{53} << 30) - log2_q30;
  constexpr std::uint64_t kLn2Q30 = 744261118;  // ln 2 × 2^30
  // Q30 × Q30 would overflow; drop 14 bits from each factor (Q16 × Q16 = Q32), then to Q16.
  return static_cast<std::uint32_t>(((neg_log2_q30 >> 14) * (kLn2Q30 >> 14)) >> 16);
}

Rng::Rng(std::uint64_t seed) {
  std::uint64_t state = seed;
  for (auto& word : s_) word = splitmix64(state);
}

Rng Rng::from_state(const std::uint64_t (&state)[4]) {
  Rng rng(0);
  for (int i = 0; i < 4; ++i) rng.s_[i] = state[i];
  return rng;
}

std::uint64_t Rng::next() {
  const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = std::rotl(s_[3], 45);
  return result;
}

std::uint64_t Rng::below(std::uint64_t bound) {
  if (bound == 0) return 0;
  // Lemire, "Fast Random Integer Generation in an Interval" (2019): multiply-shift, with
  // rejection of the few products that would make the result uneven.
  __extension__ using u128 = unsigned __int128;
  u128 product = u128{next()} * bound;
  auto low = static_cast<std::uint64_t>(product);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = u128{next()} * bound;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

std::int64_t Rng::between(std::int64_t lo, std::int64_t hi) {
  const auto span = static_cast<std::uint64_t>(hi - lo);
  if (span == UINT64_MAX) return static_cast<std::int64_t>(next());
  return lo + static_cast<std::int64_t>(below(span + 1));
}

std::int64_t Rng::exponential(std::int64_t mean) {
  if (mean <= 0) return 0;
  const std::uint64_t u = (next() >> 11) + 1;  // [1, 2^53]
  const std::uint64_t q16 = neg_log_q16(u);
  const auto m = static_cast<std::uint64_t>(mean);
  if (m < (std::uint64_t{1} << 40)) return static_cast<std::int64_t>((m * q16) >> 16);
  return static_cast<std::int64_t>((m >> 16) * q16);
}

std::int64_t Rng::jitter(std::int64_t mean, std::int64_t spread) {
  if (spread <= 0) return mean;
  std::int64_t sum = 0;
  for (int i = 0; i < 4; ++i) sum += between(-spread, spread);
  return mean + sum / 4;
}

std::uint64_t Rng::log_uniform(std::uint64_t lo, std::uint64_t hi) {
  if (lo == 0) lo = 1;
  if (hi <= lo) return lo;
  const int lo_bits = 64 - std::countl_zero(lo);
  const int hi_bits = 64 - std::countl_zero(hi);
  const int bits = static_cast<int>(between(lo_bits, hi_bits));
  const std::uint64_t floor = std::uint64_t{1} << (bits - 1);
  std::uint64_t value = floor + below(floor);
  if (value < lo) value = lo;
  if (value > hi) value = hi;
  return value;
}

std::size_t Rng::weighted(std::span<const std::uint32_t> weights) {
  std::uint64_t total = 0;
  for (const auto w : weights) total += w;
  std::uint64_t r = below(total);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return weights.empty() ? 0 : weights.size() - 1;
}

void Rng::fill(std::span<std::uint8_t> out) {
  std::size_t i = 0;
  for (; i + 8 <= out.size(); i += 8) {
    std::uint64_t r = next();
    if constexpr (std::endian::native == std::endian::big) r = std::byteswap(r);
    std::memcpy(out.data() + i, &r, 8);  // little-endian on every host
  }
  if (i < out.size()) {
    std::uint64_t r = next();
    for (; i < out.size(); ++i, r >>= 8) out[i] = static_cast<std::uint8_t>(r);
  }
}

Rng Rng::fork(std::string_view label) { return Rng(next() ^ hash_label(label)); }

}  // namespace mamori::synth
