#pragma once
// synth/flow_facts: what the generator knows about a flow it starts, in the terms selection
// rules use (endpoints, ports, names, fingerprints, leading payload bytes). Ground truth is
// computed from these facts by the reference matcher (rules.h), for every flow, attack or
// benign, so the truth file cannot drift from what was generated.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mamori/core/ip.h"
#include "mamori/core/time.h"
#include "mamori/synth/flow.h"
#include "mamori/synth/tls_hello.h"

namespace mamori::synth {

// How many leading payload bytes per direction the facts keep for `bytes` rules; the demo
// ruleset's patterns all lie within the first 512 bytes of their direction.
inline constexpr std::size_t kFactsPayloadBytes = 1024;

struct FlowFacts {
  std::string scenario;  // generator name, e.g. "c2_tls_ip"
  bool attack = false;   // made by an attack scenario (vs. benign traffic and decoys)
  // A benign flow of a detection-profile decoy (NTP polling, update checks, ...): recorded in
  // the truth like attack flows although it is benign.
  bool decoy = false;
  // Detection profile: indices of the actors (actors.h ActorBook) the flow belongs to.
  std::vector<std::uint32_t> actors;
  std::uint8_t protocol = 0;
  IpAddress client;
  std::uint16_t client_port = 0;  // ICMP: the echo identifier
  IpAddress server;
  std::uint16_t server_port = 0;
  bool initiator_is_server = false;  // the first captured packet is the server's
  Timestamp start;
  std::string sni;
  std::vector<std::string> http_hosts;
  std::vector<std::string> dns_names;
  std::optional<TlsFingerprint> tls;
  std::string client_payload;  // leading explicit bytes client→server (≤ kFactsPayloadBytes)
  std::string server_payload;
};

// Fills client_payload/server_payload from the messages' heads in order, stopping a
// direction at its first generated fill (fill bytes are random and match no pattern).
void collect_payload(FlowFacts& facts, std::span<const Message> messages);
void collect_payload(FlowFacts& facts, std::span<const Datagram> datagrams);

}  // namespace mamori::synth
