#pragma once
// sieve/behaviour_rule: the thresholds of behaviour rules (kinds scan, amplification, beacon)
// as a ruleset states them, and their canonical form. A behaviour rule has no values to match;
// its parameters are what the overseer approves, so the loader turns them into canonical
// "name=value" strings in Rule::values — every parameter, defaults filled in, sorted by name —
// and the ruleset hash (ruleset.h, layout unchanged) binds them like any other values.
//
//   [[rule]]
//   id = "scan-wide"
//   kind = "scan"
//   min_targets = 64            # distinct (address, port, protocol) targets of one source
//   window = "5m"               # duration: "90s", "5m", "2h", or an integer of seconds
//   min_failed_ratio = 0.8      # share of attempts unanswered or refused
//
//   kind = "amplification": ports (UDP service ports, integers), min_ratio (response/request
//   bytes), min_response_bytes, window
//   kind = "beacon": min_connections, max_cv (stddev/mean of the intervals), min_interval,
//   max_interval, max_server_clients (clients returning to the pair's server), periodic_ports
//   (server ports of services periodic by design; an empty array judges every port),
//   max_client_series (1..3: regular series the pair's client keeps at once)
//
// Canonical values: counts and byte counts as decimal integers, durations as whole seconds
// with an "s" ("window=300s"), ratios with the shortest text that reads back as the same
// double ("min_failed_ratio=0.8"), ports ascending and unique, comma-separated
// ("ports=53,123,1900"; "periodic_ports=" when empty).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/sieve/record.h"

namespace mamori::sieve {

enum class ParamType { count, ratio, duration, ports };

// One parameter a behaviour kind accepts, with its allowed range and default (canonical text).
struct BehaviourParam {
  std::string_view name;
  ParamType type = ParamType::count;
  double min = 0;  // inclusive; durations in seconds
  double max = 0;  // inclusive
  std::string_view default_value;
  std::string_view meaning;
  bool may_be_empty = false;  // ports: an empty list is allowed (canonical "name=")
};

// The parameters of a behaviour kind, in name order; empty for other kinds.
std::span<const BehaviourParam> behaviour_params(RuleKind kind);

// A parameter's value as written in TOML (already read by the loader).
struct ParamInput {
  std::optional<std::int64_t> integer = {};
  std::optional<double> number = {};
  std::optional<std::string> text = {};
  std::vector<std::int64_t> integers = {};  // for `ports`
  bool is_array = false;
};

// Canonical "name=value" for one parameter; errors say what is wrong without the file/line
// (the loader adds where).
Result<std::string> canonical_param(const BehaviourParam& param, const ParamInput& input);

// Cross-parameter checks on a kind's complete canonical values (e.g. beacon min_interval below
// max_interval); empty when they hold.
std::optional<std::string> check_params(RuleKind kind, std::span<const std::string> values);

// Reads parameters back from canonical values (used when compiling a ruleset).
struct ScanThresholds {
  std::uint32_t min_targets = 64;
  Duration window = Duration::seconds(300);
  double min_failed_ratio = 0.8;
};
struct AmplificationThresholds {
  std::vector<std::uint16_t> ports;
  double min_ratio = 10;
  std::uint64_t min_response_bytes = 100'000;
  Duration window = Duration::seconds(60);
};
struct BeaconThresholds {
  std::uint32_t min_connections = 8;
  double max_cv = 0.2;
  Duration min_interval = Duration::seconds(5);
  Duration max_interval = Duration::seconds(std::int64_t{6} * 3600);
  std::uint32_t max_server_clients = 8;
  std::vector<std::uint16_t> periodic_ports = {123};
  std::uint32_t max_client_series = 1;
};
Result<ScanThresholds> scan_thresholds(std::span<const std::string> values);
Result<AmplificationThresholds> amplification_thresholds(std::span<const std::string> values);
Result<BeaconThresholds> beacon_thresholds(std::span<const std::string> values);

}  // namespace mamori::sieve
