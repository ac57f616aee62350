#pragma once
// synth/prng: the generator's only source of randomness. xoshiro256** seeded through
// splitmix64, with integer-only distributions, so that one seed yields byte-identical output
// with any compiler, standard library or libm (the std:: distributions are
// implementation-defined and libm's log/exp may differ in the last bit).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace mamori::synth {

// One splitmix64 step: advances `state` and returns the next output.
std::uint64_t splitmix64(std::uint64_t& state);

// FNV-1a of a label: derives independent streams from one seed ("c2", "benign", ...).
std::uint64_t hash_label(std::string_view label);

// -ln(x / 2^53) for x in [1, 2^53], in Q16 fixed point (integer arithmetic only).
std::uint32_t neg_log_q16(std::uint64_t x);

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  // A generator with exactly this xoshiro256** state (not all zero); for known-answer tests.
  static Rng from_state(const std::uint64_t (&state)[4]);

  std::uint64_t next();
  std::uint32_t next32() { return static_cast<std::uint32_t>(next() >> 32); }
  std::uint16_t next16() { return static_cast<std::uint16_t>(next() >> 48); }

  // Uniform in [0, bound); bound 0 returns 0.
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [lo, hi], both inclusive; lo <= hi.
  std::int64_t between(std::int64_t lo, std::int64_t hi);
  // True with probability per_mille / 1000.
  bool chance(std::uint32_t per_mille) { return below(1000) < per_mille; }
  // Exponentially distributed with the given mean (any unit), at most ~37 × mean.
  std::int64_t exponential(std::int64_t mean);
  // mean ± up to spread, roughly bell-shaped (sum of four uniforms).
  std::int64_t jitter(std::int64_t mean, std::int64_t spread);
  // Bit length uniform between those of lo and hi, then uniform within: a heavy-ish tail.
  std::uint64_t log_uniform(std::uint64_t lo, std::uint64_t hi);
  // Index drawn with the given relative weights (not all zero).
  std::size_t weighted(std::span<const std::uint32_t> weights);

  void fill(std::span<std::uint8_t> out);

  // An independent stream derived from this generator's next output and a label.
  Rng fork(std::string_view label);

  template <class T>
  const T& pick(std::span<const T> items) {
    return items[below(items.size())];
  }

 private:
  std::uint64_t s_[4];
};

}  // namespace mamori::synth
