#include "mamori/synth/infrastructure.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "mamori/synth/prng.h"

namespace mamori::synth {
namespace {

std::string hex(std::string_view bytes) {
  std::string out = "hex:";
  for (const char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

// Hosts drawn from named ranges of the plan, never twice.
class Picker {
 public:
  explicit Picker(std::uint64_t seed) : rng_(seed) {}
  IpAddress in(std::string_view range) {
    const Prefix prefix = *Prefix::parse(range);
    for (;;) {
      // One draw per statement: argument evaluation order is unspecified in C++.
      const std::uint64_t index = rng_.next();
      const std::uint64_t salt = rng_.next();
      const IpAddress address = AddressPlan::host_in(prefix, index, salt);
      if (used_.insert(address).second) return address;
    }
  }
  IpAddress in_pool(const AddressPlan& plan, Pool pool) {
    for (;;) {
      const std::uint64_t index = rng_.next();
      const std::uint64_t salt = rng_.next();
      const IpAddress address = plan.host(pool, index, salt);
      if (used_.insert(address).second) return address;
    }
  }
  Rng& rng() { return rng_; }

 private:
  Rng rng_;
  std::set<IpAddress> used_;
};

}  // namespace

Plan make_plan(std::uint64_t size_mb, Timestamp start, std::optional<Duration> duration) {
  Plan plan;
  plan.start = start;
  const std::int64_t seconds =
      std::clamp<std::int64_t>(static_cast<std::int64_t>(size_mb) * 4, 240, 3600);
  plan.end = start + (duration ? *duration : Duration::seconds(seconds));
  plan.target_bytes = size_mb * 1024 * 1024;
  plan.c2_hosts = std::clamp<std::size_t>(size_mb * 8, 12, 50);
  plan.scan_ports = std::clamp<std::size_t>(size_mb / 2, 2, 16);
  plan.amp_queries = std::clamp<std::size_t>(size_mb * 30, 40, 3000);
  plan.webshell_requests = std::clamp<std::size_t>(size_mb * 2, 6, 60);
  plan.jp_clients = std::clamp<std::size_t>(size_mb * 16, 128, 20000);
  plan.foreign_sites = std::clamp<std::size_t>(size_mb * 2, 48, 3000);
  plan.domestic_sites = std::clamp<std::size_t>(size_mb / 2, 12, 800);
  plan.foreign_clients = std::clamp<std::size_t>(size_mb * 4, 48, 5000);
  return plan;
}

Infrastructure make_infrastructure(const AddressPlan& plan, std::uint64_t seed,
                                   std::size_t infected_count) {
  Picker pick(seed ^ hash_label("infrastructure"));
  Infrastructure infra;
  infra.c2_ip = pick.in("5.9.0.0/16");
  infra.c2_net = Prefix(pick.in("5.79.64.0/18"), 28);
  infra.c2_net6 = Prefix(pick.in("2a01:4f8::/31"), 64);
  infra.c2_domain_server = pick.in("52.0.0.0/11");
  infra.c2_dga_server = pick.in("139.59.0.0/16");
  infra.c2_ja_server = pick.in("95.163.0.0/17");
  infra.c2_raw_server = pick.in("223.4.0.0/14");
  infra.c2_http_server = pick.in("45.32.0.0/16");
  infra.scanner = pick.in("85.17.0.0/16");
  infra.scan_target = Prefix(pick.in("219.94.128.0/17"), 24);
  for (const char* range : {"45.32.0.0/16", "139.59.0.0/16", "176.9.0.0/16", "78.46.0.0/15",
                            "163.172.0.0/20", "177.0.0.0/17"}) {
    infra.reflectors.push_back(pick.in(range));
    infra.reflectors.push_back(pick.in(range));
  }
  infra.amp_victim = pick.in("1.0.16.0/24");
  infra.webshell_attacker = pick.in("5.79.64.0/18");
  infra.webshell_server = pick.in_pool(plan, Pool::jp_servers);
  infra.dd_infected = pick.in_pool(plan, Pool::jp_infected);
  infra.dd_server = pick.in_pool(plan, Pool::jp_servers);
  const std::size_t v6 = std::max<std::size_t>(1, infected_count / 12);
  for (std::size_t i = 0; i + v6 < infected_count; ++i) {
    infra.infected.push_back(pick.in_pool(plan, Pool::jp_infected));
  }
  for (std::size_t i = 0; i < v6; ++i) {
    infra.infected_v6.push_back(pick.in_pool(plan, Pool::jp_clients_v6));
  }
  for (int i = 0; i < 3; ++i) infra.ff_victims.push_back(pick.in_pool(plan, Pool::foreign_clients));

  std::vector<std::uint8_t> scratch;
  ClientHelloSpec hello;
  hello.profile = TlsProfile::implant;
  hello.sni = "www.example.com";  // JA4 only records that an SNI is present
  Rng rng(seed);
  infra.implant = write_client_hello(scratch, hello, rng);
  return infra;
}

std::vector<SynthRule> demo_rules(const Infrastructure& infra, std::string_view file_stem) {
  std::vector<SynthRule> rules;
  const auto add = [&](std::string id, std::string kind, std::string description,
                       std::vector<std::string> values, std::string values_file = {}) {
    rules.push_back({std::move(id), std::move(kind), std::move(description), std::move(values),
                     std::move(values_file)});
  };
  add("c2-ip", "ip", "C2 server contacted by TLS beacons", {infra.c2_ip.to_string()});
  add("c2-net", "ip", "C2 network; beacons hop between its hosts", {infra.c2_net.to_string()});
  add("c2-net6", "ip", "IPv6 C2 network", {infra.c2_net6.to_string()});
  add("c2-domain", "domain", "C2 domain (exact)", {std::string(kC2Domain)});
  add("c2-dga", "domain", "C2 domains generated under one zone (suffix)",
      {"." + std::string(kC2DgaSuffix)});
  add("c2-http", "domain", "HTTP C2 front (wildcard suffix)", {"*." + std::string(kC2HttpZone)});
  add("c2-domain-list", "domain", "Further C2 domains from a shared feed",
      {std::string(kC2RelayDomain), std::string(kC2SpareDomain)},
      fmt::format("{}.c2-domains.txt", file_stem));
  add("implant-ja3", "ja3", "TLS fingerprint (JA3 MD5) of the C2 implant",
      {infra.implant.ja3_hash});
  add("implant-ja4", "ja4", "TLS fingerprint (JA4) of the C2 implant", {infra.implant.ja4});
  add("c2-port", "port", "Custom C2 protocol port", {std::to_string(kC2RawPort)});
  add("implant-magic", "bytes", "Magic header of the implant's binary protocol",
      {hex(kImplantMagic)});
  add("webshell-eval", "bytes", "PHP webshell loader in an HTTP request body",
      {std::string(kWebshellPattern)});
  std::vector<std::string> commands;
  for (const auto command : kBotCommands) commands.emplace_back(command);
  add("bot-commands", "bytes", "Commands sent to bots and webshells", commands,
      fmt::format("{}.commands.txt", file_stem));
  add("scanner", "ip", "Port scanner", {infra.scanner.to_string()});
  std::vector<std::string> reflectors;
  for (const auto& r : infra.reflectors) reflectors.push_back(r.to_string());
  add("dns-reflectors", "ip", "Open resolvers abused for DNS amplification", reflectors,
      fmt::format("{}.reflectors.txt", file_stem));
  return rules;
}

}  // namespace mamori::synth
