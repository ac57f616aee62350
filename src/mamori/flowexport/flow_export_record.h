#pragma once
// flowexport/flow_export_record: what one decoded flow export record carries, and who sent it.
//
// A flow export record is machine information only: addresses, ports, protocol, counts,
// interfaces and times. Exporters never put packet payload into these fields, which is why
// the ip/port/behaviour selectors of the sieve can apply to them (integration: a later issue).

#include <compare>
#include <cstdint>
#include <optional>

#include "mamori/core/ip.h"
#include "mamori/core/time.h"

namespace mamori::flowexport {

// The UDP source of a datagram, as the collector saw it. Templates are scoped to it.
struct ExporterId {
  IpAddress address;
  std::uint16_t port = 0;

  constexpr auto operator<=>(const ExporterId&) const = default;
};

enum class FlowExportProtocol : std::uint8_t { ipfix, netflow_v9 };

struct FlowExportRecord {
  FlowExportProtocol protocol = FlowExportProtocol::ipfix;
  ExporterId exporter = {};
  // IPFIX observation domain id or NetFlow v9 source id.
  std::uint32_t domain = 0;
  std::uint16_t template_id = 0;
  // IPFIX export time or NetFlow v9 unix secs of the message header.
  Timestamp exported = {};
  // When the collector received the datagram (given by the caller).
  Timestamp received = {};

  IpAddress source = {};
  IpAddress destination = {};
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint8_t ip_protocol = 0;
  std::uint16_t tcp_flags = 0;
  // Delta counts when the template has them, otherwise total counts, otherwise 0.
  std::uint64_t octets = 0;
  std::uint64_t packets = 0;
  // Absolute times; absent when the template carries no usable time field.
  std::optional<Timestamp> start = {};
  std::optional<Timestamp> end = {};
  std::optional<std::uint32_t> ingress_interface = {};
  std::optional<std::uint32_t> egress_interface = {};
  std::optional<std::uint8_t> icmp_type = {};
  std::optional<std::uint8_t> icmp_code = {};
};

}  // namespace mamori::flowexport
