#pragma once
// synth/recipes: flows that several scenarios build: paths between two hosts as the tap
// sees them (router MACs, TTLs, round trips, VLAN), DNS lookups, TLS sessions, HTTP
// exchanges, QUIC transfers, ICMP echo. Each returns the flow with its facts filled in.

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mamori/synth/dns_message.h"
#include "mamori/synth/http_message.h"
#include "mamori/synth/scenario.h"
#include "mamori/synth/tls_hello.h"

namespace mamori::synth {

// The router MACs of the tapped link: the domestic side and two international peers.
inline constexpr MacAddress kDomesticRouter = {0x02, 0x00, 0x4a, 0x50, 0x00, 0x01};
inline constexpr MacAddress kForeignRouterA = {0x02, 0x00, 0x49, 0x58, 0x00, 0x01};
inline constexpr MacAddress kForeignRouterB = {0x02, 0x00, 0x49, 0x58, 0x00, 0x02};

// Client source ports: 49152–65535 (IANA dynamic range, Windows and macOS) or 32768–60999
// (Linux); never a port a demo rule names.
std::uint16_t ephemeral_port(Rng& rng);

FlowPath make_path(const SynthContext& ctx, Rng& rng, const IpAddress& client,
                   std::uint16_t client_port, const IpAddress& server, std::uint16_t server_port);

struct DnsLookup {
  std::string name;
  std::uint16_t type = dns_type::a;
  DnsAnswer answer;
};
MadeFlow dns_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                  const DnsLookup& lookup, std::span<const std::uint8_t> canary);

struct TlsSession {
  TlsProfile profile = TlsProfile::chrome;
  std::string sni;
  // (request, response) plaintext sizes of each exchange after the handshake.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> exchanges;
  Duration think{};  // pause between exchanges
  // Encrypted server handshake bytes (certificates etc.) in TLS 1.3; 0: typical (2.3–4.8 kB).
  std::uint64_t server_flight = 0;
  TcpClosing closing = TcpClosing::client_fin;
};
MadeFlow tls_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                  const TlsSession& session, std::span<const std::uint8_t> canary);

struct HttpExchange {
  HttpRequestSpec request;
  HttpResponseSpec response;
  FillKind response_fill = FillKind::text;
};
MadeFlow http_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                   std::vector<HttpExchange> exchanges, std::span<const std::uint8_t> canary);

// A QUIC-like UDP/443 connection downloading about `bytes`.
MadeFlow quic_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                   std::uint64_t bytes, std::span<const std::uint8_t> canary);

MadeFlow ping_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                   int count, std::span<const std::uint8_t> canary);

// Generic TCP conversation (bulk transfers, custom protocols).
MadeFlow tcp_flow(const SynthContext& ctx, Rng& rng, const FlowPath& path, Timestamp start,
                  std::vector<Message> messages, TcpClosing closing,
                  std::span<const std::uint8_t> canary);

// Transfer rate of one direction in bit/s, drawn per flow.
std::uint64_t draw_rate(Rng& rng, bool server);

}  // namespace mamori::synth

namespace mamori::synth {

// DNS resolvers clients use: the ISP's (domestic, index picks one of a few) or a public one.
IpAddress domestic_resolver(const SynthContext& ctx, std::uint64_t index);
IpAddress public_resolver(std::uint64_t index, bool v6);

}  // namespace mamori::synth
