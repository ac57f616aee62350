#pragma once
// sieve/run_summary: the counters of one sieve run. Counters are the only trace unselected
// traffic leaves (I1): totals by category and by reason, never an address or a byte.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/time.h"
#include "mamori/decode/packet.h"
#include "mamori/scope/category.h"

namespace mamori::sieve {

struct CategoryCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t flows = 0;
  std::uint64_t selected_flows = 0;
};

// One behaviour rule's state at the end of a run (sieve/behaviour.h explains each counter):
// the only trace the subjects it tracked leave.
struct BehaviourRuleSummary {
  std::string rule;
  std::string kind;
  std::uint64_t capacity = 0;  // full tracking entries its memory share holds
  std::uint64_t admitted = 0;
  std::uint64_t refused = 0;  // admissions refused at the memory bound
  std::uint64_t evicted = 0;  // tracked subjects replaced at the memory bound
  std::uint64_t flagged = 0;  // subjects that crossed the thresholds
  std::uint64_t selections = 0;
};

struct RunSummary {
  std::uint64_t packets = 0;  // every packet read
  std::uint64_t bytes = 0;    // wire bytes of every packet read
  std::array<CategoryCounters, scope::kCategoryCount> by_category{};
  std::uint64_t dropped_domestic_packets = 0;           // DD: never processed (I3)
  std::uint64_t dropped_unauthorized_packets = 0;       // category not covered by the authorization
  std::uint64_t dropped_undecodable_packets = 0;        // no IP header could be decoded
  std::uint64_t dropped_outside_agreement_packets = 0;  // party agreement: not the party's
  decode::DecodeCounters decode;
  std::uint64_t flows = 0;
  std::uint64_t selected_flows = 0;
  std::uint64_t records = 0;
  std::uint64_t flows_evicted = 0;           // ended early because max_flows was reached
  std::uint64_t flows_recalled = 0;          // evicted flows that came back with their verdict
  std::uint64_t truncated_inspections = 0;   // app parsers that saw too few bytes
  std::uint64_t behaviour_memory_bytes = 0;  // fixed at start, within behaviour_memory_mb
  std::vector<BehaviourRuleSummary> behaviour;
  Timestamp first_packet;
  Timestamp last_packet;
  double wall_seconds = 0;
  std::string input_error;  // set when the input ended with an error (after all good packets)

  // Adds the counters of `other`, a summary of another shard of the same run (same ruleset):
  // counters and behaviour rule counters (matched by position) sum, packet times widen,
  // wall_seconds is the longer one, input_error the first set. Summing the shards of a sharded
  // sieve gives what one sieve would count.
  void merge(const RunSummary& other);

  double gbit_per_second() const {
    return wall_seconds > 0 ? static_cast<double>(bytes) * 8 / wall_seconds / 1e9 : 0;
  }
  nlohmann::json to_json() const;
  // Human-readable bilingual (English / 日本語) summary for the terminal.
  std::string to_text() const;
};

}  // namespace mamori::sieve
