#include "mamori/flowexport/flow_template.h"

namespace mamori::flowexport {
namespace {

// How a mapped Information Element may be encoded.
enum class Encoding : std::uint8_t { address4, address16, unsigned_int, exact };

struct Mapping {
  FieldTarget target = FieldTarget::skip;
  Encoding encoding = Encoding::unsigned_int;
  std::uint16_t width = 0;  // type width: the maximum for unsigned_int, the only one for exact
};

// IANA IPFIX Information Elements; ids 1..127 are shared with NetFlow v9 (RFC 3954 §8).
Mapping data_mapping(std::uint16_t id) {
  switch (id) {
    case 1:
      return {FieldTarget::octet_delta, Encoding::unsigned_int, 8};
    case 2:
      return {FieldTarget::packet_delta, Encoding::unsigned_int, 8};
    case 4:
      return {FieldTarget::ip_protocol, Encoding::unsigned_int, 1};
    case 6:
      return {FieldTarget::tcp_flags, Encoding::unsigned_int, 2};
    case 7:
      return {FieldTarget::source_port, Encoding::unsigned_int, 2};
    case 8:
      return {FieldTarget::source_v4, Encoding::address4, 4};
    case 10:
      return {FieldTarget::ingress_interface, Encoding::unsigned_int, 4};
    case 11:
      return {FieldTarget::destination_port, Encoding::unsigned_int, 2};
    case 12:
      return {FieldTarget::destination_v4, Encoding::address4, 4};
    case 14:
      return {FieldTarget::egress_interface, Encoding::unsigned_int, 4};
    case 21:
      return {FieldTarget::end_uptime, Encoding::unsigned_int, 4};
    case 22:
      return {FieldTarget::start_uptime, Encoding::unsigned_int, 4};
    case 27:
      return {FieldTarget::source_v6, Encoding::address16, 16};
    case 28:
      return {FieldTarget::destination_v6, Encoding::address16, 16};
    case 32:
      return {FieldTarget::icmp_type_code, Encoding::unsigned_int, 2};
    case 85:
      return {FieldTarget::octet_total, Encoding::unsigned_int, 8};
    case 86:
      return {FieldTarget::packet_total, Encoding::unsigned_int, 8};
    case 139:
      return {FieldTarget::icmp_type_code, Encoding::unsigned_int, 2};
    case 150:
      return {FieldTarget::start_seconds, Encoding::exact, 4};
    case 151:
      return {FieldTarget::end_seconds, Encoding::exact, 4};
    case 152:
      return {FieldTarget::start_millis, Encoding::exact, 8};
    case 153:
      return {FieldTarget::end_millis, Encoding::exact, 8};
    case 160:
      return {FieldTarget::system_init_millis, Encoding::exact, 8};
    case 176:
      return {FieldTarget::icmp_type, Encoding::unsigned_int, 1};
    case 177:
      return {FieldTarget::icmp_code, Encoding::unsigned_int, 1};
    case 178:
      return {FieldTarget::icmp_type, Encoding::unsigned_int, 1};
    case 179:
      return {FieldTarget::icmp_code, Encoding::unsigned_int, 1};
    default:
      return {};
  }
}

bool length_fits(const Mapping& m, std::uint16_t length) {
  switch (m.encoding) {
    case Encoding::address4:
      return length == 4;
    case Encoding::address16:
      return length == 16;
    case Encoding::unsigned_int:
      return length >= 1 && length <= m.width;
    case Encoding::exact:
      return length == m.width;
  }
  return false;
}

std::uint64_t load_unsigned(std::span<const std::uint8_t> bytes) {
  std::uint64_t value = 0;
  for (const std::uint8_t byte : bytes) value = (value << 8) | byte;
  return value;
}

void store(FieldTarget target, std::span<const std::uint8_t> bytes, RawRecord& out) {
  const auto value = [&] { return load_unsigned(bytes); };
  switch (target) {
    case FieldTarget::skip:
      break;
    case FieldTarget::source_v4:
      out.source = IpAddress::v4_bytes(bytes.first<4>());
      break;
    case FieldTarget::destination_v4:
      out.destination = IpAddress::v4_bytes(bytes.first<4>());
      break;
    case FieldTarget::source_v6:
      out.source = IpAddress::v6(bytes.first<16>());
      break;
    case FieldTarget::destination_v6:
      out.destination = IpAddress::v6(bytes.first<16>());
      break;
    case FieldTarget::source_port:
      out.source_port = static_cast<std::uint16_t>(value());
      break;
    case FieldTarget::destination_port:
      out.destination_port = static_cast<std::uint16_t>(value());
      break;
    case FieldTarget::ip_protocol:
      out.ip_protocol = static_cast<std::uint8_t>(value());
      break;
    case FieldTarget::tcp_flags:
      out.tcp_flags = static_cast<std::uint16_t>(value());
      break;
    case FieldTarget::octet_delta:
      out.octet_delta = value();
      break;
    case FieldTarget::packet_delta:
      out.packet_delta = value();
      break;
    case FieldTarget::octet_total:
      out.octet_total = value();
      break;
    case FieldTarget::packet_total:
      out.packet_total = value();
      break;
    case FieldTarget::start_seconds:
      out.start_seconds = value();
      break;
    case FieldTarget::end_seconds:
      out.end_seconds = value();
      break;
    case FieldTarget::start_millis:
      out.start_millis = value();
      break;
    case FieldTarget::end_millis:
      out.end_millis = value();
      break;
    case FieldTarget::start_uptime:
      out.start_uptime = value();
      break;
    case FieldTarget::end_uptime:
      out.end_uptime = value();
      break;
    case FieldTarget::system_init_millis:
      out.system_init_millis = value();
      break;
    case FieldTarget::ingress_interface:
      out.ingress_interface = static_cast<std::uint32_t>(value());
      break;
    case FieldTarget::egress_interface:
      out.egress_interface = static_cast<std::uint32_t>(value());
      break;
    case FieldTarget::icmp_type_code:
      // type * 256 + code; a reduced-size (1-byte) encoding leaves the type 0.
      out.icmp_type = static_cast<std::uint8_t>(value() >> 8);
      out.icmp_code = static_cast<std::uint8_t>(value());
      break;
    case FieldTarget::icmp_type:
      out.icmp_type = static_cast<std::uint8_t>(value());
      break;
    case FieldTarget::icmp_code:
      out.icmp_code = static_cast<std::uint8_t>(value());
      break;
  }
}

}  // namespace

Result<FlowTemplate> compile_template(TemplateKind kind, std::span<const FieldSpec> fields,
                                      bool variable_length) {
  FlowTemplate plan;
  plan.kind = kind;
  plan.fields.reserve(fields.size());
  bool source = false;
  bool destination = false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const FieldSpec& spec = fields[i];
    const bool variable = variable_length && spec.length == kVariableLength;
    Mapping mapping;
    if (!spec.enterprise) {
      mapping = data_mapping(spec.id);
      // Options data records are never flows: only the exporter's clock is taken from them.
      if (kind == TemplateKind::options && mapping.target != FieldTarget::system_init_millis) {
        mapping = {};
      }
    }
    if (mapping.target != FieldTarget::skip) {
      if (variable || !length_fits(mapping, spec.length)) {
        return fail(
            "field {} (information element {}) has {} length {}, which its type does "
            "not allow",
            i, spec.id, variable ? "variable" : "fixed", spec.length);
      }
      source |=
          mapping.target == FieldTarget::source_v4 || mapping.target == FieldTarget::source_v6;
      destination |= mapping.target == FieldTarget::destination_v4 ||
                     mapping.target == FieldTarget::destination_v6;
    }
    plan.fields.push_back({variable ? kVariableLength : spec.length, mapping.target});
    plan.min_record_length += variable ? 1 : spec.length;
  }
  if (plan.min_record_length == 0) {
    return fail("its {} fields add up to records of 0 bytes", fields.size());
  }
  plan.has_addresses = source && destination;
  return plan;
}

std::optional<std::size_t> decode_record(const FlowTemplate& plan, ByteReader& reader,
                                         RawRecord& out) {
  for (std::size_t i = 0; i < plan.fields.size(); ++i) {
    const TemplateField& field = plan.fields[i];
    std::size_t length = field.length;
    if (field.length == kVariableLength) {
      // RFC 7011 §7: one length byte, or 255 followed by a 2-byte length.
      std::uint8_t short_length = 0;
      if (!reader.u8(short_length)) return i;
      length = short_length;
      if (short_length == 255) {
        std::uint16_t long_length = 0;
        if (!reader.u16(long_length)) return i;
        length = long_length;
      }
    }
    std::span<const std::uint8_t> bytes;
    if (!reader.bytes(length, bytes)) return i;
    store(field.target, bytes, out);
  }
  return std::nullopt;
}

}  // namespace mamori::flowexport
