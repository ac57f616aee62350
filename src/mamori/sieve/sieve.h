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
//
// With config.workers = N > 1 the same API runs 4 x N shards, each a complete sieve of its own,
// on N threads (the calling one included), moving shards between the threads to balance them;
// sieve/shard.h describes the sharding, what stays exact and what is divided. Records still reach the sink on the calling thread only, from
// process(), stop_selection(), summary() and finish().

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "mamori/capture/packet_source.h"
#include "mamori/scope/classifier.h"
#include "mamori/sieve/matchers.h"
#include "mamori/sieve/record.h"
#include "mamori/sieve/run_summary.h"
#include "mamori/sieve/sieve_config.h"

namespace mamori::sieve {

class SharedServerClients;
namespace detail {
class ShardedSieve;
}  // namespace detail

// Receives the records of selected flows, never anything else.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void emit(Record&& record) = 0;
};

class Sieve {
 public:
  // The classifier, ruleset and sink must outlive the sieve. Fails when the flow table or
  // the pattern-matching scratch cannot be set up, or config.workers is not 1..64.
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
  // Sharded: every packet handed to process() before the call is processed under selection,
  // none after; the call waits for every shard.
  void stop_selection();

  // Sharded: waits until every packet handed over is processed and merges the shards'
  // summaries (a synchronisation point: call it after finish(), not per packet). After
  // finish() the merged summary is final and what the caller adds to it stays.
  const RunSummary& summary() const;
  RunSummary& summary();

 private:
  struct State;
  // What the shards of a sharded sieve share: their beacon rules' server popularity.
  struct ShardShared {
    std::vector<std::unique_ptr<SharedServerClients>> server_clients;  // per beacon rule
    std::vector<SharedServerClients*> views;
  };
  Sieve(std::unique_ptr<State> state, std::unique_ptr<ShardShared> shared,
        std::unique_ptr<detail::ShardedSieve> sharded);
  static Result<std::unique_ptr<State>> make_state(
      const SieveConfig& config, const scope::Classifier& classifier, const CompiledRuleset& rules,
      RecordSink& sink, std::uint32_t max_flows, std::size_t behaviour_bytes,
      std::uint64_t behaviour_seed, std::span<SharedServerClients* const> shared_server_clients,
      std::span<const std::uint8_t> flow_id_key);
  std::unique_ptr<State> state_;         // workers = 1
  std::unique_ptr<ShardShared> shared_;  // workers > 1; outlives the shards (declared first)
  std::unique_ptr<detail::ShardedSieve> sharded_;  // workers > 1
};

}  // namespace mamori::sieve
