#pragma once
// bench/bench_random: splitmix64, the benchmarks' generator of synthetic records: fast and
// reproducible; benchmark inputs need variety, not statistical quality.

#include <cstdint>

namespace mamori::bench {

struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

}  // namespace mamori::bench
