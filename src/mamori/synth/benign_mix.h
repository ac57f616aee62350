#pragma once
// synth/benign_mix: the benign background that fills the capture to the requested size:
// DNS lookups, web browsing over TLS (several client profiles) and plain HTTP, app
// telemetry, QUIC-like UDP/443, bulk downloads, SSH and ping, between fixed populations of
// domestic and foreign clients and sites, in all four scope categories (DF, FD, DD, FF).
// Flow arrivals are a Poisson process whose rate adapts so that the estimated bytes reach
// the budget at the end of the capture window. Every payload carries the canary if set.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mamori/synth/scenario.h"

namespace mamori::synth {

class BenignMix final : public Scenario {
 public:
  // `budget_bytes`: capture bytes the benign flows should add up to.
  BenignMix(const SynthContext& ctx, std::uint64_t budget_bytes, std::uint64_t seed);
  std::optional<Timestamp> next_start() const override;
  void start_next(FlowSink& sink) override;

 private:
  struct Site {
    std::string name;
    IpAddress v4;
    std::optional<IpAddress> v6;
    bool domestic = false;
  };
  struct Pick {
    IpAddress client;
    const Site* site;
    IpAddress server;
  };
  // Largest size one benign flow may have, so small captures still hold many flows.
  std::uint64_t size_cap() const { return std::max<std::uint64_t>(budget_ / 24, 16 * 1024); }
  void build_populations();
  IpAddress clear_host(Pool pool, std::uint64_t index);
  std::string site_name(bool domestic);
  Pick pick_endpoints();
  void add(FlowSink& sink, MadeFlow made, const char* scenario);

  void dns(FlowSink& sink);
  void web_tls(FlowSink& sink, bool api);
  void web_http(FlowSink& sink);
  void quic(FlowSink& sink);
  void bulk(FlowSink& sink);
  void ssh(FlowSink& sink);
  void ping(FlowSink& sink);
  void lookup_before(FlowSink& sink, const Pick& pick, Timestamp& start);

  const SynthContext& ctx_;
  Rng rng_;
  std::uint64_t budget_;
  std::uint64_t used_ = 0;
  std::uint64_t mean_flow_bytes_ = 40'000;
  Timestamp time_;
  std::vector<IpAddress> jp_clients_;
  std::vector<IpAddress> jp_clients_v6_;
  std::vector<IpAddress> foreign_clients_;
  std::vector<IpAddress> foreign_clients_v6_;
  std::vector<Site> foreign_sites_;
  std::vector<Site> domestic_sites_;
  std::vector<IpAddress> ssh_servers_;
};

}  // namespace mamori::synth
