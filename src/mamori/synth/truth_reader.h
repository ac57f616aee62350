#pragma once
// synth/truth_reader: reads X.truth.json ("mamori-synth-truth", versions 1 and 2; truth.h and
// README.md describe the format) back into the structures the writer uses, for `mamori eval`
// and tests. Every field the writer emits is checked; errors name the file, the field and the
// array index ("x.truth.json: actors[3].flows[7]: index 912 is out of range") and never echo
// addresses or names from the file.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/synth/truth.h"

namespace mamori::synth {

struct TruthFile {
  int version = 1;
  std::string profile = "standard";  // "detection" for version 2
  TruthHeader header;
  std::vector<TruthRule> rules;
  // Flows as written: facts carry the 5-tuple, initiator, start, names and fingerprints; the
  // leading payload bytes and the actor tags are not in the file (left empty).
  std::vector<TruthFlow> flows;
  // Version 2 only.
  std::optional<DetectionThresholds> thresholds;
  std::vector<TruthActor> actors;
  std::vector<TruthServer> c2_servers;
  std::vector<TruthServer> decoy_servers;
  // Counts of the flows not listed.
  std::uint64_t benign_flows = 0;
  std::uint64_t benign_packets = 0;
  std::uint64_t benign_bytes = 0;
  std::vector<IpAddress> unselected_hosts;  // version 1 only

  const TruthActor* find_actor(std::string_view id) const;
};

Result<TruthFile> read_truth(const std::filesystem::path& path);
// The same from text; `source` names it in errors.
Result<TruthFile> parse_truth(std::string_view text, std::string_view source = "truth");

}  // namespace mamori::synth
