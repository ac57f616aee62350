#pragma once
// synth/synth: `mamori synth` — writes a deterministic synthetic capture X.pcap with benign
// background traffic and attack scenarios, the matching demo ruleset X.rules.toml (lists
// beside it), the ground truth X.truth.json, and optionally the benchmark ruleset
// X.bench.rules.toml. The same options give byte-identical files on every machine.
//
// Determinism contract: output depends only on SynthOptions. All randomness comes from
// synth/prng (integer arithmetic, no std:: distributions, no libm), scenarios draw from
// their own streams derived from the seed, and the engine breaks time ties by creation order.
//
// Profiles: `standard` (the demo: indicator rules, C2 variants, scan, amplification,
// webshell; truth version 1) and `detection` (behaviour scenarios with ground truth for
// evaluating selectors and detectors: jittered and hopping C2 beacons, fast and low-and-slow
// scans, reflection amplification, benign periodic and busy decoys; a ruleset of behaviour
// rules at the default thresholds; truth version 2 with `actors`). README.md documents both;
// read the truth back with read_truth() (truth_reader.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/synth/reference.h"
#include "mamori/synth/truth_reader.h"

namespace mamori::synth {

// 2026-11-01T00:00:00Z, the default start of every capture.
inline constexpr Timestamp kDefaultStart = Timestamp::from_seconds(1793491200);

enum class Profile : std::uint8_t { standard, detection };
std::string_view profile_name(Profile profile);  // "standard", "detection"
std::optional<Profile> parse_profile(std::string_view text);

// The detection profile's defaults and limits: its scenarios need hours of simulated time
// and a few MiB of attack and decoy traffic.
inline constexpr Duration kDetectionDuration = Duration::seconds(std::int64_t{3} * 3600);
inline constexpr Duration kDetectionMinDuration = Duration::seconds(3600);
inline constexpr std::uint64_t kDetectionMinSizeMb = 16;

struct SynthOptions {
  std::string out_path;  // X.pcap; the other files are named after it
  std::uint64_t seed = 1;
  std::uint64_t size_mb = 16;  // capture size in MiB (2^20 bytes), ±10 %; at least 1
  // Planted in every benign payload; 1..48 characters of [A-Za-z0-9._~-] (safe in URLs,
  // headers and DNS) so tests can prove it reaches no output.
  std::optional<std::string> canary;
  bool bench_rules = false;  // also write X.bench.rules.toml (demo rules + large lists)
  Timestamp start = kDefaultStart;
  // Standard default: from size_mb, 4 s per MiB in [240 s, 1 h]; detection default:
  // kDetectionDuration (at least kDetectionMinDuration).
  std::optional<Duration> duration;
  std::size_t bench_ip_rules = 100'000;
  std::size_t bench_domain_rules = 10'000;
  std::size_t bench_byte_rules = 1'000;
  // `detection` needs size_mb ≥ kDetectionMinSizeMb (32 or more keeps the benign share high).
  Profile profile = Profile::standard;
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
  std::uint64_t actors = 0;  // detection profile: actors in the truth
  Timestamp start;
  Timestamp end;  // last packet
};

Result<SynthSummary> synthesize(const SynthOptions& options);

}  // namespace mamori::synth
