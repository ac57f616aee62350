#pragma once
// sieve/flow_record_sieve: the sieve for links where only routers' flow exports (IPFIX,
// NetFlow v9: flowexport/) are available. Flow records carry machine information only —
// addresses, ports, protocol, counts, times, TCP flags — so of an approved ruleset the ip, port
// and behaviour (scan, amplification, beacon) rules apply; content rules (domain, ja3, ja4,
// bytes) cannot, are skipped, and the summary names how many and which.
//
// The same guarantees as the packet sieve (sieve.h):
// - I3: every record is classified by country before any state exists for it; DD and
//   categories the authorization does not cover are dropped and only counted. A record whose
//   opener cannot be told from the record alone is kept only when both orientations are
//   authorized (the protective reading the packet sieve applies to unknown openers).
// - I1: unselected flows leave nothing but counters; the pending state below lives only in
//   memory and is bounded by SieveConfig::max_flows.
// - Only selected flows become Records, through the RecordSink; records have no application
//   fields (flow exports have none).
//
// Pairing. Exporters send one record per direction. A record waits (pending) for the record of
// the reverse direction for `pair_wait` of receive time; records of the same direction that
// arrive meanwhile are added to it (active-timeout exports of a long flow). When the reverse
// record arrives the flow is complete; otherwise it completes alone when the wait passes, when
// the pending table is full (the oldest is ended: flows_evicted), at finish() or at
// stop_selection(). The initiator of a pair is the side whose record started earlier; when the
// exporter gives both the same start (softflowd does), the TCP side with SYN but no ACK, then
// the side with the higher port (ephemeral client ports lie above service ports), then the
// side whose record arrived first.
//
// Behaviour rules are driven when a flow completes: on_flow_start with the initiator's TCP flags
// and the flow's start time, on_reply with the responder's flags when the reverse record came,
// on_udp_bytes with each direction's octets for the rules' UDP ports, then selections(). Flow
// exports arrive after their flows end, so events reach the engine out of start order by up to
// the exporters' timeouts plus pair_wait; the engine's windows absorb that.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/flowexport/flow_export_record.h"
#include "mamori/scope/category.h"
#include "mamori/scope/classifier.h"
#include "mamori/sieve/matchers.h"
#include "mamori/sieve/record.h"
#include "mamori/sieve/sieve.h"
#include "mamori/sieve/sieve_config.h"

namespace mamori::sieve {

struct FlowSieveOptions {
  // How long (receive time) a record waits for its reverse-direction record.
  Duration pair_wait = Duration::seconds(30);
};

struct FlowCategoryCounters {
  std::uint64_t packets = 0;  // as the exports count them
  std::uint64_t bytes = 0;
  std::uint64_t flows = 0;
  std::uint64_t selected_flows = 0;
};

struct FlowBehaviourSummary {
  std::string rule;
  std::string kind;
  std::uint64_t capacity = 0;
  std::uint64_t admitted = 0;
  std::uint64_t refused = 0;
  std::uint64_t evicted = 0;
  std::uint64_t flagged = 0;
  std::uint64_t selections = 0;
};

// The counters of one flow-export run, in the style of RunSummary: totals by category and by
// reason, rule ids, never an address or a field value.
struct FlowSieveSummary {
  std::uint64_t export_records = 0;  // flow records given to the sieve
  std::uint64_t packets = 0;         // their packet counts
  std::uint64_t bytes = 0;           // their octet counts
  std::array<FlowCategoryCounters, scope::kCategoryCount> by_category{};
  std::uint64_t dropped_domestic_records = 0;      // DD: never processed (I3)
  std::uint64_t dropped_unauthorized_records = 0;  // category not covered by the authorization
  std::uint64_t dropped_outside_agreement_records = 0;
  std::uint64_t records_after_stop = 0;  // arrived after stop_selection(): only counted
  std::uint64_t flows = 0;               // in-scope flows (a pair of records is one flow)
  std::uint64_t paired_flows = 0;        // of them, flows whose reverse record arrived
  std::uint64_t selected_flows = 0;
  std::uint64_t records = 0;        // records emitted
  std::uint64_t flows_evicted = 0;  // pending flows ended early: the table was full
  std::uint64_t rules = 0;
  std::uint64_t rules_not_applicable = 0;  // content rules: flow exports carry no content
  std::vector<std::string> not_applicable_rules = {};  // their ids
  std::uint64_t behaviour_memory_bytes = 0;
  std::vector<FlowBehaviourSummary> behaviour = {};
  Timestamp first_seen = {};  // earliest flow start of an in-scope record
  Timestamp last_seen = {};   // latest flow end of an in-scope record
  double wall_seconds = 0;

  nlohmann::json to_json() const;
  // Human-readable bilingual (English / 日本語) summary for the terminal.
  std::string to_text() const;
};

class FlowRecordSieve {
 public:
  // The classifier, ruleset and sink must outlive the sieve.
  static Result<std::unique_ptr<FlowRecordSieve>> create(const SieveConfig& config,
                                                         const scope::Classifier& classifier,
                                                         const CompiledRuleset& rules,
                                                         RecordSink& sink,
                                                         FlowSieveOptions options = {});
  ~FlowRecordSieve();
  FlowRecordSieve(const FlowRecordSieve&) = delete;
  FlowRecordSieve& operator=(const FlowRecordSieve&) = delete;

  void process(const flowexport::FlowExportRecord& record);
  // Completes pending flows that waited pair_wait or longer before `now` (receive time); the
  // collector calls it while no datagram arrives.
  void expire(Timestamp now);
  // Completes every pending flow: selected ones become records.
  void finish();
  // Stops selection now (the approval expired): pending selected flows are recorded, and no
  // further flow is selected or recorded; later records are only counted.
  void stop_selection();

  const FlowSieveSummary& summary() const;

 private:
  struct State;
  explicit FlowRecordSieve(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mamori::sieve
