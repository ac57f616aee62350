#pragma once
// synth/truth: the ground-truth file X.truth.json written beside X.pcap. Format
// "mamori-synth-truth" version 1 (README.md documents every field):
//   - `flows`: every flow a demo rule matches or an attack scenario made: 5-tuple, initiator
//     (the side whose packet comes first in the capture), scope category by the address
//     plan, start/end, packet and byte counts, matching rule ids, names and fingerprints.
//     A flow is selected iff `rules` is non-empty and its category is authorized (never DD).
//   - `benign`: counts of all other flows; `unselected_hosts`: addresses that occur in no
//     flow a rule matches outside DD, so they must appear in no sieve output (I1).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/core/time.h"
#include "mamori/synth/flow_facts.h"

namespace mamori::synth {

struct TruthFlow {
  FlowFacts facts;
  std::vector<std::string> rules;
  std::string category;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  // frame bytes
  Timestamp end;
};

struct TruthHeader {
  std::uint64_t seed = 0;
  std::uint64_t size_mb = 0;
  std::optional<std::string> canary;
  std::string content_marker;
  std::string pcap;  // file names, relative to the truth file
  std::string ruleset;
  std::string bench_ruleset;  // "" when not written
  Timestamp start;
  Timestamp end;
  std::uint64_t packets = 0;
  std::uint64_t file_bytes = 0;
};

struct TruthRule {
  std::string id;
  std::string kind;
  std::string description;
};

class Truth {
 public:
  // Records a flow; returns its index for add_packet().
  std::size_t add(FlowFacts facts, std::vector<std::string> rules, std::string category);
  void add_packet(std::size_t index, std::size_t frame_bytes, Timestamp time);
  // A benign flow: only counted (per scenario), its hosts remembered. Returns the id to
  // pass to add_benign_packet().
  std::size_t add_benign(const FlowFacts& facts);
  void add_benign_packet(std::size_t id, std::size_t frame_bytes) {
    ++benign_packets_;
    benign_bytes_ += frame_bytes;
    ++benign_[id].packets;
    benign_[id].bytes += frame_bytes;
  }

  const std::vector<TruthFlow>& flows() const { return flows_; }
  std::uint64_t benign_flows() const { return benign_flows_; }

  Result<void> write(const std::filesystem::path& path, const TruthHeader& header,
                     const std::vector<TruthRule>& rules) const;

 private:
  struct BenignCount {
    std::string scenario;
    std::uint64_t flows = 0;
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
  };
  std::vector<TruthFlow> flows_;
  std::vector<BenignCount> benign_;
  std::set<IpAddress> hosts_;
  std::uint64_t benign_flows_ = 0;
  std::uint64_t benign_packets_ = 0;
  std::uint64_t benign_bytes_ = 0;
};

}  // namespace mamori::synth
