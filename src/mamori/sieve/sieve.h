#pragma once
// sieve/sieve: the automated selection loop (機械的な選別). Packets go in; only records of
// flows that match an approved selection condition come out, through a RecordSink. Raw
// packets and everything about unselected flows live only in memory here and are erased when
// the flow ends: they leave nothing but counters in RunSummary (I1, I2, I3).
//
// Per packet: decode → (existing flow? cost: one lookup) → else classify by country; DD and
// unauthorized categories are dropped before any flow state exists (I3) → flow table →
// while undecided, inspect up to inspect_bytes per direction: endpoint/port rules on the first
// packet, DNS/TLS/HTTP machine information, byte patterns → verdict.

#include <cstdint>
#include <memory>
#include <vector>

#include "mamori/capture/packet_source.h"
#include "mamori/scope/classifier.h"
#include "mamori/sieve/matchers.h"
#include "mamori/sieve/record.h"
#include "mamori/sieve/run_summary.h"
#include "mamori/sieve/sieve_config.h"

namespace mamori::sieve {

// Receives the records of selected flows, never anything else.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void emit(Record&& record) = 0;
};

class Sieve {
 public:
  // The classifier, ruleset and sink must outlive the sieve. Fails when the flow table or
  // the pattern-matching scratch cannot be set up.
  static Result<std::unique_ptr<Sieve>> create(const SieveConfig& config,
                                               const scope::Classifier& classifier,
                                               const CompiledRuleset& rules, RecordSink& sink);
  ~Sieve();
  Sieve(const Sieve&) = delete;
  Sieve& operator=(const Sieve&) = delete;

  void process(const capture::RawPacket& packet);
  // Ends every open flow: selected ones become records, the rest are erased.
  void finish();
  // Stops selection now (e.g. the approval expired): open selected flows are recorded up to
  // this moment, and no further flow is selected or recorded; packets are still counted.
  void stop_selection();

  const RunSummary& summary() const;
  RunSummary& summary();

 private:
  struct State;
  explicit Sieve(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mamori::sieve
