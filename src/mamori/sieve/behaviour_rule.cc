#include "mamori/sieve/behaviour_rule.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mamori::sieve {
namespace {

constexpr std::int64_t kDay = 86'400;

// Each list is in name order: the order of the canonical values.
constexpr std::array<BehaviourParam, 3> kScanParams = {{
    {"min_failed_ratio", ParamType::ratio, 0, 1, "0.8",
     "share of attempts unanswered or refused, 0..1"},
    {"min_targets", ParamType::count, 8, 1'000'000, "64",
     "distinct (address, port, protocol) targets of one source"},
    {"window", ParamType::duration, 2, kDay, "300s", "how far back attempts count"},
}};

// UDP services known to answer small requests with large responses: behaviour.h
// kAmplificationPorts (a test keeps the two lists equal).
constexpr std::array<BehaviourParam, 4> kAmplificationParams = {{
    {"min_ratio", ParamType::ratio, 1, 1'000'000, "10",
     "response bytes per request byte toward one victim"},
    {"min_response_bytes", ParamType::count, 1, 1e12, "100000",
     "response bytes toward one victim within the window"},
    {"ports", ParamType::ports, 1, 65535,
     "17,19,53,69,111,123,137,161,389,520,1434,1900,3283,3702,5353,5683,10001,11211",
     "UDP service ports whose responses count"},
    {"window", ParamType::duration, 2, kDay, "60s", "how far back bytes count"},
}};

// Context beyond the pair: a service that is periodic by design (NTP polls its servers) and a
// server that many clients contact again and again (an update or telemetry service) are the
// periodic traffic that is not command and control; behaviour.h says how they are judged.
constexpr std::array<BehaviourParam, 7> kBeaconParams = {{
    {"max_client_series", ParamType::count, 1, 3, "1",
     "regular series the pair's client keeps at once to servers few clients return to, at most "
     "(a poller fans out; an implant keeps one channel)"},
    {"max_cv", ParamType::ratio, 0, 10, "0.2",
     "coefficient of variation (stddev/mean) of the intervals, at most"},
    {"max_interval", ParamType::duration, 1, 7 * kDay, "21600s", "longest interval that counts"},
    {"max_server_clients", ParamType::count, 1, 65535, "8",
     "clients that return to the pair's server (address, port) within about max_interval, at "
     "most"},
    {"min_connections", ParamType::count, 3, 17, "8",
     "connections of one pair, at least (the last 16 intervals are kept)"},
    {"min_interval", ParamType::duration, 1, 7 * kDay, "5s", "shortest interval that counts"},
    {"periodic_ports", ParamType::ports, 1, 65535, "123",
     "server ports of services periodic by design, not judged (may be empty)", true},
}};

std::string format_number(double value) {
  // fmt's shortest round-trip form; integers without a fraction ("10", not "10.0").
  if (std::trunc(value) == value && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<std::int64_t>(value));
  }
  return fmt::format("{}", value);
}

std::optional<double> parse_double(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// name → value text of canonical "name=value" strings.
Result<std::map<std::string, std::string, std::less<>>> split(std::span<const std::string> values) {
  std::map<std::string, std::string, std::less<>> out;
  for (const auto& value : values) {
    const auto equals = value.find('=');
    if (equals == std::string::npos) return fail("'{}' is not name=value", value);
    out.emplace(value.substr(0, equals), value.substr(equals + 1));
  }
  return out;
}

Result<std::string_view> field(const std::map<std::string, std::string, std::less<>>& values,
                               std::string_view name) {
  const auto it = values.find(name);
  if (it == values.end()) return fail("parameter '{}' is missing", name);
  return std::string_view(it->second);
}

Result<double> number_field(const std::map<std::string, std::string, std::less<>>& values,
                            std::string_view name) {
  auto text = field(values, name);
  if (!text) return fail(text.error());
  auto value = parse_double(text->back() == 's' ? text->substr(0, text->size() - 1) : *text);
  if (!value) return fail("parameter '{}' is not a number", name);
  return *value;
}

// A canonical comma-separated port list ("" for none).
Result<std::vector<std::uint16_t>> port_list(
    const std::map<std::string, std::string, std::less<>>& values, std::string_view name) {
  auto text = field(values, name);
  if (!text) return fail(text.error());
  std::vector<std::uint16_t> ports;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto port = parse_double(rest.substr(0, comma));
    if (!port || *port < 1 || *port > 65535 || std::trunc(*port) != *port) {
      return fail("parameter '{}' is not a port list", name);
    }
    ports.push_back(static_cast<std::uint16_t>(*port));
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
  }
  return ports;
}

Duration seconds_of(double value) { return Duration::seconds(static_cast<std::int64_t>(value)); }

}  // namespace

std::span<const BehaviourParam> behaviour_params(RuleKind kind) {
  switch (kind) {
    case RuleKind::scan:
      return kScanParams;
    case RuleKind::amplification:
      return kAmplificationParams;
    case RuleKind::beacon:
      return kBeaconParams;
    default:
      return {};
  }
}

Result<std::string> canonical_param(const BehaviourParam& param, const ParamInput& input) {
  const auto in_range = [&](double value) { return value >= param.min && value <= param.max; };
  const std::string range =
      fmt::format("{}..{}", format_number(param.min), format_number(param.max));
  switch (param.type) {
    case ParamType::count: {
      if (!input.integer) return fail("must be an integer");
      if (!in_range(static_cast<double>(*input.integer))) return fail("must be in {}", range);
      return fmt::format("{}={}", param.name, *input.integer);
    }
    case ParamType::ratio: {
      const std::optional<double> value =
          input.number    ? input.number
          : input.integer ? std::optional<double>(static_cast<double>(*input.integer))
                          : std::nullopt;
      if (!value || !std::isfinite(*value)) return fail("must be a number");
      if (!in_range(*value)) return fail("must be in {}", range);
      return fmt::format("{}={}", param.name, format_number(*value));
    }
    case ParamType::duration: {
      std::int64_t seconds = 0;
      if (input.integer) {
        seconds = *input.integer;
      } else if (input.text) {
        auto duration = parse_duration(*input.text);
        if (!duration) return fail("{}", duration.error().message);
        if (duration->nanos % 1'000'000'000 != 0) return fail("must be whole seconds");
        seconds = duration->nanos / 1'000'000'000;
      } else {
        return fail("must be a duration (\"90s\", \"5m\", \"2h\") or seconds");
      }
      if (!in_range(static_cast<double>(seconds))) {
        return fail("must be in {} seconds", range);
      }
      return fmt::format("{}={}s", param.name, seconds);
    }
    case ParamType::ports: {
      if (!input.is_array || (input.integers.empty() && !param.may_be_empty)) {
        if (param.may_be_empty) return fail("must be an array of port numbers");
        return fail("must be a non-empty array of port numbers");
      }
      std::vector<std::int64_t> ports = input.integers;
      for (const auto port : ports) {
        if (!in_range(static_cast<double>(port))) return fail("port {} is not in {}", port, range);
      }
      std::sort(ports.begin(), ports.end());
      ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
      return fmt::format("{}={}", param.name, fmt::join(ports, ","));
    }
  }
  return fail("unknown parameter type");
}

std::optional<std::string> check_params(RuleKind kind, std::span<const std::string> values) {
  if (kind != RuleKind::beacon) return std::nullopt;
  auto thresholds = beacon_thresholds(values);
  if (!thresholds) return thresholds.error().message;
  if (thresholds->min_interval >= thresholds->max_interval) {
    return "min_interval must be shorter than max_interval";
  }
  return std::nullopt;
}

Result<ScanThresholds> scan_thresholds(std::span<const std::string> values) {
  auto fields = split(values);
  if (!fields) return fail(fields.error());
  auto targets = number_field(*fields, "min_targets");
  auto window = number_field(*fields, "window");
  auto ratio = number_field(*fields, "min_failed_ratio");
  if (!targets) return fail(targets.error());
  if (!window) return fail(window.error());
  if (!ratio) return fail(ratio.error());
  return ScanThresholds{static_cast<std::uint32_t>(*targets), seconds_of(*window), *ratio};
}

Result<AmplificationThresholds> amplification_thresholds(std::span<const std::string> values) {
  auto fields = split(values);
  if (!fields) return fail(fields.error());
  AmplificationThresholds out;
  auto ports = port_list(*fields, "ports");
  if (!ports) return fail(ports.error());
  if (ports->empty()) return fail("parameter 'ports' is empty");
  out.ports = std::move(*ports);
  auto ratio = number_field(*fields, "min_ratio");
  auto bytes = number_field(*fields, "min_response_bytes");
  auto window = number_field(*fields, "window");
  if (!ratio) return fail(ratio.error());
  if (!bytes) return fail(bytes.error());
  if (!window) return fail(window.error());
  out.min_ratio = *ratio;
  out.min_response_bytes = static_cast<std::uint64_t>(*bytes);
  out.window = seconds_of(*window);
  return out;
}

Result<BeaconThresholds> beacon_thresholds(std::span<const std::string> values) {
  auto fields = split(values);
  if (!fields) return fail(fields.error());
  auto connections = number_field(*fields, "min_connections");
  auto cv = number_field(*fields, "max_cv");
  auto shortest = number_field(*fields, "min_interval");
  auto longest = number_field(*fields, "max_interval");
  auto server_clients = number_field(*fields, "max_server_clients");
  auto periodic = port_list(*fields, "periodic_ports");
  auto client_series = number_field(*fields, "max_client_series");
  if (!connections) return fail(connections.error());
  if (!cv) return fail(cv.error());
  if (!shortest) return fail(shortest.error());
  if (!longest) return fail(longest.error());
  if (!server_clients) return fail(server_clients.error());
  if (!periodic) return fail(periodic.error());
  if (!client_series) return fail(client_series.error());
  return BeaconThresholds{static_cast<std::uint32_t>(*connections),
                          *cv,
                          seconds_of(*shortest),
                          seconds_of(*longest),
                          static_cast<std::uint32_t>(*server_clients),
                          std::move(*periodic),
                          static_cast<std::uint32_t>(*client_series)};
}

}  // namespace mamori::sieve
