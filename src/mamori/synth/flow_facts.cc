#include "mamori/synth/flow_facts.h"

#include <algorithm>

namespace mamori::synth {
namespace {

void append(std::string& out, bool& open, std::span<const std::uint8_t> head, bool has_fill) {
  if (!open) return;
  const std::size_t room = kFactsPayloadBytes - std::min(out.size(), kFactsPayloadBytes);
  const std::size_t take = std::min(room, head.size());
  out.append(reinterpret_cast<const char*>(head.data()), take);
  if (has_fill || out.size() >= kFactsPayloadBytes) open = false;
}

}  // namespace

void collect_payload(FlowFacts& facts, std::span<const Message> messages) {
  bool open[2] = {true, true};
  for (const auto& m : messages) {
    const bool client = m.from == Side::client;
    append(client ? facts.client_payload : facts.server_payload, open[client ? 0 : 1], m.head,
           m.fill > 0);
  }
}

void collect_payload(FlowFacts& facts, std::span<const Datagram> datagrams) {
  bool open[2] = {true, true};
  for (const auto& d : datagrams) {
    const bool client = d.from == Side::client;
    append(client ? facts.client_payload : facts.server_payload, open[client ? 0 : 1], d.head,
           d.fill > 0);
  }
}

}  // namespace mamori::synth
