#pragma once
// synth/infrastructure: the attack side of one seed (C2 servers and networks, infected
// hosts, scanner, reflectors, webshell) drawn from the address plan, the demo ruleset that
// selects it, and the size plan (duration, population sizes) derived from --size-mb.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/ip.h"
#include "mamori/synth/address_plan.h"
#include "mamori/synth/rules.h"
#include "mamori/synth/scenario.h"
#include "mamori/synth/tls_hello.h"

namespace mamori::synth {

// Names and patterns of the demo ruleset. Domains live under RFC 2606 example names.
inline constexpr std::string_view kC2Domain = "c2.example.net";              // exact rule
inline constexpr std::string_view kC2DgaSuffix = "cdn-sync.example.net";     // ".x" suffix rule
inline constexpr std::string_view kC2HttpZone = "update-check.example.org";  // "*.x" rule
inline constexpr std::string_view kC2RelayDomain = "relay.dyn-update.example.org";  // list
inline constexpr std::string_view kC2SpareDomain = "gw.telemetry-hub.example.net";  // list
inline constexpr std::uint16_t kC2RawPort = 4444;
inline constexpr std::string_view kImplantMagic{"\xde\xc0\xad\x0b\x13\x37\x00\x01", 8};
inline constexpr std::string_view kWebshellPattern = "@eval(base64_decode(";
inline constexpr std::string_view kBotCommands[] = {
    "powershell.exe -nop -w hidden -enc",
    "/bin/busybox wget http://",
    "cmd.exe /c whoami",
};

struct Infrastructure {
  IpAddress c2_ip;                     // DE hosting, TLS beacons; rule c2-ip
  Prefix c2_net;                       // NL /28 the beacons hop across; rule c2-net
  Prefix c2_net6;                      // DE IPv6 /64; rule c2-net6
  IpAddress c2_domain_server;          // US hosting, SNI c2.example.net
  IpAddress c2_dga_server;             // US hosting, SNI <random>.cdn-sync.example.net
  IpAddress c2_ja_server;              // RU hosting, implant TLS profile (ja3/ja4 rules only)
  IpAddress c2_raw_server;             // CN hosting, custom protocol on kC2RawPort
  IpAddress c2_http_server;            // US hosting, HTTP Host <x>.update-check.example.org
  IpAddress scanner;                   // foreign scanner; rule scanner
  Prefix scan_target;                  // domestic /24
  std::vector<IpAddress> reflectors;   // open resolvers abused for amplification
  IpAddress amp_victim;                // domestic
  IpAddress webshell_attacker;         // foreign
  IpAddress webshell_server;           // domestic web server with a planted webshell
  IpAddress dd_infected;               // domestic host running the implant against...
  IpAddress dd_server;                 // ...a domestic server (DD: matches rules, never selected)
  std::vector<IpAddress> infected;     // domestic IPv4 hosts
  std::vector<IpAddress> infected_v6;  // domestic IPv6 hosts
  std::vector<IpAddress> ff_victims;   // foreign hosts beaconing through Japan (FF)
  TlsFingerprint implant;              // JA3/JA4 of the implant's ClientHello
};

Plan make_plan(std::uint64_t size_mb, Timestamp start, std::optional<Duration> duration);

Infrastructure make_infrastructure(const AddressPlan& plan, std::uint64_t seed,
                                   std::size_t infected_count);

// The demo ruleset; list files are named "<file_stem>.<list>.txt".
std::vector<SynthRule> demo_rules(const Infrastructure& infra, std::string_view file_stem);

}  // namespace mamori::synth
