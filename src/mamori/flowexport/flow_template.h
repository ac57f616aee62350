#pragma once
// flowexport/flow_template: a compiled IPFIX / NetFlow v9 template (the decoding plan for its
// data records) and the decoding of one data record with it.
//
// Only the Information Elements mamori uses are mapped to a target; every other field is
// skipped by its length (enterprise-specific fields always are). A mapped field must have a
// length its type allows: 4 or 16 bytes for addresses, 1..width bytes for unsigned integers
// (reduced-size encoding, RFC 7011 §6.2), the exact width for dateTime fields. Anything else
// makes the whole template invalid, so its data sets are dropped and counted rather than
// misread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mamori/core/byte_reader.h"
#include "mamori/core/error.h"
#include "mamori/core/ip.h"

namespace mamori::flowexport {

// IPFIX field length meaning "variable length, encoded in front of the value" (RFC 7011 §7).
inline constexpr std::uint16_t kVariableLength = 65535;

enum class FieldTarget : std::uint8_t {
  skip,
  source_v4,
  destination_v4,
  source_v6,
  destination_v6,
  source_port,
  destination_port,
  ip_protocol,
  tcp_flags,
  octet_delta,
  packet_delta,
  octet_total,
  packet_total,
  start_seconds,
  end_seconds,
  start_millis,
  end_millis,
  start_uptime,
  end_uptime,
  system_init_millis,
  ingress_interface,
  egress_interface,
  icmp_type_code,
  icmp_type,
  icmp_code,
};

// One field specifier as it appears on the wire.
struct FieldSpec {
  std::uint16_t id = 0;  // without the enterprise bit
  std::uint16_t length = 0;
  bool enterprise = false;
};

struct TemplateField {
  std::uint16_t length = 0;  // kVariableLength only in IPFIX templates
  FieldTarget target = FieldTarget::skip;
};

enum class TemplateKind : std::uint8_t { data, options };

struct FlowTemplate {
  TemplateKind kind = TemplateKind::data;
  std::vector<TemplateField> fields = {};
  // Options templates: the first `scope_fields` fields are the scope (RFC 7011 §3.4.2.2).
  std::size_t scope_fields = 0;
  // Bytes of the shortest record (a variable-length field counts its 1-byte length prefix);
  // always >= 1 in a valid template, so decoding a data set always advances.
  std::size_t min_record_length = 0;
  // Data templates: carries a source and a destination address (else records are dropped).
  bool has_addresses = false;
  // A refused template is kept (so its data sets are counted as such, not as unknown).
  bool valid = true;
};

// Builds the decoding plan. `variable_length` is true for IPFIX (65535 means variable) and
// false for NetFlow v9 (65535 is an ordinary length). Options templates map only
// systemInitTimeMilliseconds (IE 160); their data records are never flows. An error names
// the field index, IE and length: it becomes the reason the template was refused.
Result<FlowTemplate> compile_template(TemplateKind kind, std::span<const FieldSpec> fields,
                                      bool variable_length);

// The mapped values of one data record, before protocol-specific time conversion.
struct RawRecord {
  std::optional<IpAddress> source = {};
  std::optional<IpAddress> destination = {};
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint8_t ip_protocol = 0;
  std::uint16_t tcp_flags = 0;
  std::optional<std::uint64_t> octet_delta = {};
  std::optional<std::uint64_t> packet_delta = {};
  std::optional<std::uint64_t> octet_total = {};
  std::optional<std::uint64_t> packet_total = {};
  std::optional<std::uint64_t> start_seconds = {};
  std::optional<std::uint64_t> end_seconds = {};
  std::optional<std::uint64_t> start_millis = {};
  std::optional<std::uint64_t> end_millis = {};
  std::optional<std::uint64_t> start_uptime = {};
  std::optional<std::uint64_t> end_uptime = {};
  std::optional<std::uint64_t> system_init_millis = {};
  std::optional<std::uint32_t> ingress_interface = {};
  std::optional<std::uint32_t> egress_interface = {};
  std::optional<std::uint8_t> icmp_type = {};
  std::optional<std::uint8_t> icmp_code = {};
};

// Decodes one record at the reader's position. On failure returns the index of the field that
// runs past the end of the reader's bytes; the reader's offset is then unspecified.
std::optional<std::size_t> decode_record(const FlowTemplate& plan, ByteReader& reader,
                                         RawRecord& out);

}  // namespace mamori::flowexport
