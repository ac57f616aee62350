#pragma once
// synth/truth: the ground-truth file X.truth.json written beside X.pcap. Format
// "mamori-synth-truth" (README.md documents every field); the reader is truth_reader.h.
// Version 1 (standard profile):
//   - `flows`: every flow a demo rule matches or an attack scenario made: 5-tuple, initiator
//     (the side whose packet comes first in the capture), scope category by the address
//     plan, start/end, packet and byte counts, matching rule ids, names and fingerprints.
//     A flow is selected iff `rules` is non-empty and its category is authorized (never DD).
//   - `benign`: counts of all other flows; `unselected_hosts`: addresses that occur in no
//     flow a rule matches outside DD, so they must appear in no sieve output (I1).
// Version 2 (detection profile) adds to version 1:
//   - `profile` ("detection") and `thresholds`: the behaviour rules' default thresholds the
//     verdicts refer to (reference.h);
//   - per flow `decoy` (a benign decoy's flow, listed although benign) and `end_ns`;
//   - `actors`: {id, kind (scan | amplification | beacon | c2 | decoy), scenario, decoy_of and
//     role (decoys), subject, first_activity(_ns), last_activity(_ns), expected_detectable,
//     near_threshold, reason, detectable_from(_ns) (null when not detectable), trips (the
//     behaviour kinds whose default rule is expected to select some of its flows), measures,
//     parameters, flows (indices into `flows`)};
//   - `c2_servers` and `decoy_servers`: {address, role, actors, expected_detectable};
//   and drops `unselected_hosts` (behaviour rules select by what hosts do, not who they are).

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
#include "mamori/synth/reference.h"

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

  bool operator==(const TruthRule&) const = default;
};

// Who an actor is. scan: `address` = the scanner; amplification: `address` = the victim;
// c2: `address` = the server (`network` when its bots hop across that network); beacon:
// client (initiator), server (responder), port (the server's) and protocol. A decoy has the
// subject of the kind it resembles (decoy_of).
struct TruthSubject {
  std::optional<IpAddress> address;
  std::optional<Prefix> network;
  std::optional<IpAddress> client;
  std::optional<IpAddress> server;
  std::uint16_t port = 0;
  std::uint8_t protocol = 0;

  bool operator==(const TruthSubject&) const = default;
};

using NamedValues = std::vector<std::pair<std::string, double>>;

struct TruthActor {
  std::string id;        // "<kind>-NN", unique
  std::string kind;      // scan | amplification | beacon | c2 | decoy
  std::string scenario;  // the generator, e.g. "scan_slow", "ntp_client"
  std::string decoy_of;  // decoys: scan | amplification | beacon; "" otherwise
  std::string role;      // decoys: ntp | update | health_check | busy_client | resolver
  TruthSubject subject;
  Timestamp first_activity;  // start of its first flow
  Timestamp last_activity;   // last packet of its last flow
  // At the default thresholds (DetectionThresholds): a selector should flag it. Always false
  // for decoys; for c2: some beacon pair of the server is expected detectable.
  bool expected_detectable = false;
  bool near_threshold = false;  // the verdict does not hold with the reference's margins
  std::string reason;           // why not detectable (or why near); "" otherwise
  std::optional<Timestamp> detectable_from;  // when the reference first crosses
  // The behaviour kinds whose default rule some subject of its flows crosses (the reference
  // over the actor's flows alone): for decoys, selections of benign flows to expect; for
  // attacks, its own kind when detectable plus incidental ones (the reflectors of a
  // spoofed-only amplification look like scanners).
  std::vector<std::string> trips;
  NamedValues measures;            // reference measurements (reference.h)
  NamedValues parameters;          // what the generator drew
  std::vector<std::size_t> flows;  // indices into the truth's flows

  bool operator==(const TruthActor&) const = default;
};

struct TruthServer {
  IpAddress address;
  std::string role;  // c2: "c2"; decoys: ntp | update | health_check
  std::vector<std::string> actors;
  bool expected_detectable = false;  // c2: as its c2 actor; decoys: false

  bool operator==(const TruthServer&) const = default;
};

// What version 2 adds.
struct DetectionTruth {
  DetectionThresholds thresholds;
  std::vector<TruthActor> actors;
  std::vector<TruthServer> c2_servers;
  std::vector<TruthServer> decoy_servers;
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

  // Version 1, or version 2 when `detection` is given.
  Result<void> write(const std::filesystem::path& path, const TruthHeader& header,
                     const std::vector<TruthRule>& rules,
                     const DetectionTruth* detection = nullptr) const;

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
