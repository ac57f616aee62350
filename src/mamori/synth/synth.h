#pragma once
// synth/synth: `mamori synth` — writes a deterministic synthetic capture X.pcap with benign
// background traffic and attack scenarios, the matching demo ruleset X.rules.toml (lists
// beside it), the ground truth X.truth.json, and optionally the benchmark ruleset
// X.bench.rules.toml. The same options give byte-identical files on every machine.
//
// Determinism contract: output depends only on SynthOptions. All randomness comes from
// synth/prng (integer arithmetic, no std:: distributions, no libm), scenarios draw from
// their own streams derived from the seed, and the engine breaks time ties by creation order.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"

namespace mamori::synth {

// 2026-11-01T00:00:00Z, the default start of every capture.
inline constexpr Timestamp kDefaultStart = Timestamp::from_seconds(1793491200);

struct SynthOptions {
  std::string out_path;  // X.pcap; the other files are named after it
  std::uint64_t seed = 1;
  std::uint64_t size_mb = 16;  // capture size in MiB (2^20 bytes), ±10 %; at least 1
  // Planted in every benign payload; 1..48 characters of [A-Za-z0-9._~-] (safe in URLs,
  // headers and DNS) so tests can prove it reaches no output.
  std::optional<std::string> canary;
  bool bench_rules = false;  // also write X.bench.rules.toml (demo rules + large lists)
  Timestamp start = kDefaultStart;
  std::optional<Duration> duration;  // default: from size_mb, 4 s per MiB in [240 s, 1 h]
  std::size_t bench_ip_rules = 100'000;
  std::size_t bench_domain_rules = 10'000;
  std::size_t bench_byte_rules = 1'000;
};

struct SynthSummary {
  std::string pcap_path;
  std::string rules_path;
  std::string truth_path;
  std::optional<std::string> bench_rules_path;
  std::vector<std::string> list_paths;  // values_file lists written beside the rulesets
  std::uint64_t packets = 0;
  std::uint64_t file_bytes = 0;
  std::uint64_t flows = 0;
  std::uint64_t truth_flows = 0;  // flows listed in the truth file
  std::uint64_t benign_flows = 0;
  Timestamp start;
  Timestamp end;  // last packet
};

Result<SynthSummary> synthesize(const SynthOptions& options);

}  // namespace mamori::synth
