#pragma once
// synth/actors: who did what in a detection-profile capture. Scenarios register their actors
// (a scanner, an amplification victim, a beacon pair, a C2 server, a decoy) before the run and
// tag each flow they make with the actors it belongs to (FlowFacts::actors). During the run the
// book sees every packet of those flows (Engine's PacketObserver); afterwards finish() turns
// them into the truth's actor list: flow indices, first and last activity, and the reference
// verdict (reference.h) of whether the default thresholds catch the actor, and when.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mamori/synth/engine.h"
#include "mamori/synth/reference.h"
#include "mamori/synth/truth.h"

namespace mamori::synth {

struct ActorSpec {
  std::string kind;      // scan | amplification | beacon | c2 | decoy
  std::string scenario;  // generator name
  std::string decoy_of;  // decoys: scan | amplification | beacon
  std::string role;      // decoys (ntp, update, ...); c2: "c2"
  TruthSubject subject;
  NamedValues parameters;
};

class ActorBook final : public PacketObserver {
 public:
  explicit ActorBook(DetectionThresholds thresholds) : thresholds_(std::move(thresholds)) {}

  // Registers an actor, or returns the one already registered with the same kind, scenario and
  // subject (its parameters are kept). Registration order fixes the ids.
  std::uint32_t add(ActorSpec spec);
  const ActorSpec& spec(std::uint32_t actor) const { return specs_[actor]; }
  std::size_t size() const { return specs_.size(); }

  void on_packet(std::size_t truth_index, Timestamp time,
                 std::span<const std::uint8_t> frame) override;

  // Actors with at least one flow, ids "<kind>-NN" numbered per kind in registration order.
  DetectionTruth finish(const Truth& truth) const;

  const DetectionThresholds& thresholds() const { return thresholds_; }

 private:
  DetectionThresholds thresholds_;
  std::vector<ActorSpec> specs_;
  std::map<std::string, std::uint32_t> index_;
  std::vector<RefFlow> flows_;  // by truth index
};

}  // namespace mamori::synth
