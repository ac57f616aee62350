#pragma once
// synth/attacks: attack scenarios other than beaconing, each a configurable generator:
// a TCP port scan of a domestic /24 (rate and port list are parameters, so a low-and-slow
// scan is a configuration), DNS amplification (spoofed queries seen for part of them, large
// ANY/TXT responses from foreign open resolvers to a domestic victim), commands posted to a
// webshell, and domestic-only (DD) decoys that match rules but must never be selected.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mamori/synth/infrastructure.h"
#include "mamori/synth/scenario.h"

namespace mamori::synth {

// Host name of the domestic site that carries the webshell (it also has benign visitors).
inline constexpr std::string_view kWebshellSite = "www.kaede-ryokan.example.jp";

struct ScanConfig {
  std::string scenario = "port_scan";
  IpAddress scanner;
  Prefix target;
  std::vector<std::uint16_t> ports;
  Timestamp start;
  std::uint32_t probes_per_second = 200;
  std::uint32_t alive_per_mille = 250;  // hosts of the /24 that answer at all
};

class PortScanScenario final : public Scenario {
 public:
  PortScanScenario(const SynthContext& ctx, ScanConfig config, std::uint64_t seed);
  std::optional<Timestamp> next_start() const override;
  void start_next(FlowSink& sink) override;

 private:
  const SynthContext& ctx_;
  ScanConfig config_;
  Rng rng_;
  std::vector<std::pair<std::uint32_t, std::uint16_t>> probes_;  // (host index, port)
  std::size_t next_ = 0;
  Timestamp time_;
  std::uint16_t source_port_ = 0;
};

struct AmplificationConfig {
  std::string scenario = "dns_amplification";
  IpAddress victim;
  std::vector<IpAddress> reflectors;
  Timestamp start;
  Duration length = Duration::seconds(60);
  std::size_t queries = 200;
  std::uint32_t visible_query_per_mille = 300;  // spoofed queries that cross the tap
};

class AmplificationScenario final : public Scenario {
 public:
  AmplificationScenario(const SynthContext& ctx, AmplificationConfig config, std::uint64_t seed);
  std::optional<Timestamp> next_start() const override;
  void start_next(FlowSink& sink) override;

 private:
  const SynthContext& ctx_;
  AmplificationConfig config_;
  Rng rng_;
  std::size_t sent_ = 0;
  Timestamp time_;
};

// A list of one-off flows at fixed times (webshell sessions, DD decoys).
class ScheduledScenario final : public Scenario {
 public:
  using Maker = std::function<void(FlowSink&, Rng&, Timestamp)>;
  ScheduledScenario(std::vector<std::pair<Timestamp, Maker>> events, std::uint64_t seed);
  std::optional<Timestamp> next_start() const override;
  void start_next(FlowSink& sink) override;

 private:
  std::vector<std::pair<Timestamp, Maker>> events_;  // sorted by time
  std::size_t next_ = 0;
  Rng rng_;
};

// Scan, amplification, webshell and DD decoys over the seed's infrastructure.
std::vector<std::unique_ptr<Scenario>> make_attack_scenarios(const SynthContext& ctx);

}  // namespace mamori::synth
