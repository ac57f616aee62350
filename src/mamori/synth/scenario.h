#pragma once
// synth/scenario: the contract between traffic generators ("scenarios") and the engine.
// A scenario is a small generator with its own random stream that starts flows at times it
// chooses; the engine asks it for its next start time and merges all flows by packet time.
// New scenarios (jittered or hopping C2, low-and-slow scans, periodic benign decoys, ...)
// are new Scenario classes or new configurations of the existing ones, registered in
// synth.cc; nothing else changes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/time.h"
#include "mamori/synth/address_plan.h"
#include "mamori/synth/flow.h"
#include "mamori/synth/flow_facts.h"
#include "mamori/synth/payload_fill.h"
#include "mamori/synth/rules.h"

namespace mamori::synth {

struct Infrastructure;

// Time and volume parameters derived from the requested size (infrastructure.cc).
struct Plan {
  Timestamp start;
  Timestamp end;
  std::uint64_t target_bytes = 0;
  std::size_t c2_hosts = 50;  // infected domestic hosts over all C2 variants
  Duration beacon_period = Duration::seconds(60);
  std::size_t scan_ports = 4;
  std::size_t amp_queries = 200;
  std::size_t webshell_requests = 12;
  std::size_t jp_clients = 256;  // benign populations
  std::size_t foreign_sites = 64;
  std::size_t domestic_sites = 16;
  std::size_t foreign_clients = 64;
};

// Read-only state every scenario sees.
struct SynthContext {
  const AddressPlan& plan;
  const FillContext& fill;
  const RuleMatcher& rules;
  const Infrastructure& infra;
  const Plan& timing;
  std::vector<std::uint8_t> canary;  // planted in benign payloads; empty when not requested
  std::string content_marker;        // planted in attack query strings and bodies
  std::uint64_t seed = 0;
};

// Where scenarios hand new flows. The flow's first packet must not be earlier than the
// scenario's announced next_start().
class FlowSink {
 public:
  virtual ~FlowSink() = default;
  virtual void add(std::unique_ptr<Flow> flow, FlowFacts facts) = 0;
};

class Scenario {
 public:
  virtual ~Scenario() = default;
  // When the scenario starts its next flow(s); nullopt once it has nothing more to start.
  virtual std::optional<Timestamp> next_start() const = 0;
  // Starts the flow(s) due at next_start() and advances.
  virtual void start_next(FlowSink& sink) = 0;
};

// A flow and what is known about it.
struct MadeFlow {
  std::unique_ptr<Flow> flow;
  FlowFacts facts;
};

}  // namespace mamori::synth
