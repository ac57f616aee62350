#pragma once
// synth/c2_beacons: command-and-control beaconing. One BeaconScenario is one C2 variant:
// a set of infected hosts calling a set of servers (several = hopping) at a fixed period
// with jitter, over TLS (per-beacon connections, with a chosen client profile and SNI
// style), plain HTTP (tasks carrying bot commands in responses), or a persistent custom
// binary protocol. Variants differ only in configuration, so harder variants (more
// jitter, hopping across a /24, sleep schedules) are new configurations.

#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "mamori/synth/infrastructure.h"
#include "mamori/synth/scenario.h"
#include "mamori/synth/tls_hello.h"

namespace mamori::synth {

struct BeaconConfig {
  enum class Kind : std::uint8_t { tls, http, raw };
  enum class Sni : std::uint8_t { cover, fixed, dga };

  std::string scenario;  // name in the truth file
  Kind kind = Kind::tls;
  std::vector<IpAddress> hosts;
  std::vector<IpAddress> servers;  // one per beacon, drawn at random when several
  std::uint16_t port = 443;
  TlsProfile profile = TlsProfile::chrome;
  Sni sni = Sni::cover;
  std::string name;  // fixed SNI, DGA zone, HTTP zone, or the raw variant's lookup name
  Duration period = Duration::seconds(60);
  std::uint32_t jitter_per_mille = 20;  // ± this fraction of the period
  std::uint32_t lookup_every = 0;       // DNS lookup before every N-th beacon; 0: never
};

class BeaconScenario final : public Scenario {
 public:
  BeaconScenario(const SynthContext& ctx, BeaconConfig config, std::uint64_t seed);
  std::optional<Timestamp> next_start() const override;
  void start_next(FlowSink& sink) override;

 private:
  struct Due {
    Timestamp time;
    std::size_t host;
    bool operator>(const Due& other) const {
      return time != other.time ? time > other.time : host > other.host;
    }
  };
  void beacon(FlowSink& sink, std::size_t host, Timestamp time);
  void persistent(FlowSink& sink, std::size_t host, Timestamp time);
  std::string sni_for(std::size_t host);
  void lookup(FlowSink& sink, std::size_t host, Timestamp time, const std::string& name,
              const IpAddress& answer);

  const SynthContext& ctx_;
  BeaconConfig config_;
  Rng rng_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  std::vector<std::uint32_t> count_;  // beacons per host so far
};

// The demo's C2 variants over the seed's infrastructure.
std::vector<std::unique_ptr<Scenario>> make_c2_scenarios(const SynthContext& ctx);

}  // namespace mamori::synth
