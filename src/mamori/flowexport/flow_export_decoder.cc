#include "mamori/flowexport/flow_export_decoder.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace mamori::flowexport {
namespace {

constexpr std::size_t kIpfixHeaderSize = 16;
constexpr std::size_t kV9HeaderSize = 20;
constexpr std::size_t kSetHeaderSize = 4;
constexpr std::uint16_t kIpfixTemplateSet = 2;
constexpr std::uint16_t kIpfixOptionsTemplateSet = 3;
constexpr std::uint16_t kV9TemplateFlowset = 0;
constexpr std::uint16_t kV9OptionsTemplateFlowset = 1;
constexpr std::uint16_t kFirstDataSetId = 256;
constexpr std::uint16_t kEnterpriseBit = 0x8000;
// Milliseconds since the epoch that still fit a Timestamp's int64 nanoseconds (year 2262).
constexpr std::uint64_t kMaxMillis = std::numeric_limits<std::int64_t>::max() / 1'000'000;

std::optional<Timestamp> from_millis(std::uint64_t millis) {
  if (millis > kMaxMillis) return std::nullopt;
  return Timestamp{static_cast<std::int64_t>(millis) * 1'000'000};
}

std::uint16_t load_u16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

}  // namespace

bool DecodeResult::malformed() const {
  return std::any_of(problems.begin(), problems.end(),
                     [](const DecodeProblem& p) { return p.kind == ProblemKind::malformed; });
}

struct FlowExportDecoder::Message {
  const ExporterId& exporter;
  std::span<const std::uint8_t> datagram;
  Timestamp received;
  DecodeResult result = {};
  FlowExportProtocol protocol = FlowExportProtocol::ipfix;
  const char* what = "flow export datagram";
  std::uint32_t domain = 0;
  Timestamp exported = {};
  std::uint32_t sys_uptime = 0;  // NetFlow v9 header, milliseconds
  Session* session = nullptr;
  std::uint64_t data_records = 0;
  // False once a data set's records could not all be counted (unknown template, fault).
  bool records_countable = true;

  template <class... Args>
  void problem(ProblemKind kind, std::size_t offset, fmt::format_string<Args...> format,
               Args&&... args) {
    result.problems.push_back({kind, offset,
                               fmt::format("{} at byte {}: {}", what, offset,
                                           fmt::format(format, std::forward<Args>(args)...))});
  }

  TemplateKey key(std::uint16_t template_id) const {
    return {exporter, protocol, domain, template_id};
  }
};

FlowExportDecoder::FlowExportDecoder(DecoderLimits limits)
    : limits_(limits), templates_(limits.max_templates, limits.template_timeout) {}

DecodeResult FlowExportDecoder::decode(const ExporterId& exporter,
                                       std::span<const std::uint8_t> datagram, Timestamp received) {
  ++stats_.messages;
  Message m{exporter, datagram, received};
  templates_.expire(received);
  if (datagram.size() < 2) {
    m.problem(ProblemKind::malformed, 0, "{} bytes are too short for a version field",
              datagram.size());
  } else if (const std::uint16_t version = load_u16(datagram, 0); version == 10) {
    decode_ipfix(m);
  } else if (version == 9) {
    decode_netflow_v9(m);
  } else {
    m.problem(ProblemKind::malformed, 0, "version {} is neither IPFIX (10) nor NetFlow v9 (9)",
              version);
  }
  stats_.records += m.result.records.size();
  if (m.result.malformed()) ++stats_.malformed;
  return std::move(m.result);
}

void FlowExportDecoder::decode_ipfix(Message& m) {
  m.protocol = FlowExportProtocol::ipfix;
  m.what = "ipfix message";
  const std::size_t size = m.datagram.size();
  if (size < kIpfixHeaderSize) {
    m.problem(ProblemKind::malformed, 0, "truncated header ({} bytes needed, {} present)",
              kIpfixHeaderSize, size);
    return;
  }
  ByteReader header(m.datagram);
  std::uint16_t version = 0;
  std::uint16_t length = 0;
  std::uint32_t export_time = 0;
  std::uint32_t sequence = 0;
  header.u16(version);
  header.u16(length);
  header.u32(export_time);
  header.u32(sequence);
  header.u32(m.domain);
  m.exported = Timestamp::from_seconds(export_time);
  if (length < kIpfixHeaderSize) {
    m.problem(ProblemKind::malformed, 2, "message length {} is shorter than the {}-byte header",
              length, kIpfixHeaderSize);
    return;
  }
  std::size_t end = length;
  const bool complete = length <= size;
  if (!complete) {
    m.problem(ProblemKind::malformed, 2, "message length {} exceeds the datagram ({} bytes)",
              length, size);
    end = size;
  } else if (length < size) {
    m.problem(ProblemKind::ignored, length, "{} bytes after the message ignored", size - length);
  }
  m.session = &session({m.exporter, m.protocol, m.domain});
  check_sequence(m, sequence);

  for (std::size_t offset = kIpfixHeaderSize; offset < end;) {
    if (end - offset < kSetHeaderSize) {
      m.problem(ProblemKind::malformed, offset, "truncated set header ({} bytes left, {} needed)",
                end - offset, kSetHeaderSize);
      break;
    }
    const std::uint16_t set_id = load_u16(m.datagram, offset);
    const std::uint16_t set_length = load_u16(m.datagram, offset + 2);
    if (set_length < kSetHeaderSize) {
      m.problem(ProblemKind::malformed, offset,
                "set id {} length {} is shorter than its {}-byte header", set_id, set_length,
                kSetHeaderSize);
      break;
    }
    if (set_length > end - offset) {
      if (complete) {
        m.problem(ProblemKind::malformed, offset,
                  "set id {} length {} exceeds the message ({} bytes)", set_id, set_length, length);
      } else {
        m.problem(ProblemKind::malformed, offset,
                  "set id {} length {} runs past the {} bytes received", set_id, set_length, size);
      }
      break;
    }
    const std::size_t base = offset + kSetHeaderSize;
    const ByteReader body(m.datagram.subspan(base, set_length - kSetHeaderSize));
    if (set_id == kIpfixTemplateSet || set_id == kIpfixOptionsTemplateSet) {
      template_set_ipfix(m, body, base, set_id);
    } else if (set_id >= kFirstDataSetId) {
      data_set(m, body, base, set_id);
    } else {
      m.problem(ProblemKind::ignored, offset, "set id {} is reserved; {} bytes skipped", set_id,
                set_length);
    }
    offset += set_length;
  }
  // IPFIX sequence numbers count data records sent before the message (RFC 7011 §3.1), so the
  // next one is known only when every data record of this message could be counted.
  if (complete && m.records_countable && !m.result.malformed()) {
    m.session->expected_sequence = sequence + static_cast<std::uint32_t>(m.data_records);
  } else {
    m.session->expected_sequence.reset();
  }
}

void FlowExportDecoder::decode_netflow_v9(Message& m) {
  m.protocol = FlowExportProtocol::netflow_v9;
  m.what = "netflow v9 packet";
  const std::size_t size = m.datagram.size();
  if (size < kV9HeaderSize) {
    m.problem(ProblemKind::malformed, 0, "truncated header ({} bytes needed, {} present)",
              kV9HeaderSize, size);
    return;
  }
  // The header's record count is not checked: exporters disagree on what it counts.
  ByteReader header(m.datagram);
  std::uint32_t unix_secs = 0;
  std::uint32_t sequence = 0;
  header.skip(4);
  header.u32(m.sys_uptime);
  header.u32(unix_secs);
  header.u32(sequence);
  header.u32(m.domain);
  m.exported = Timestamp::from_seconds(unix_secs);
  m.session = &session({m.exporter, m.protocol, m.domain});
  check_sequence(m, sequence);
  // RFC 3954 §5.1: the sequence number counts export packets.
  m.session->expected_sequence = sequence + 1;

  for (std::size_t offset = kV9HeaderSize; offset < size;) {
    if (size - offset < kSetHeaderSize) {
      m.problem(ProblemKind::malformed, offset,
                "truncated flowset header ({} bytes left, {} needed)", size - offset,
                kSetHeaderSize);
      break;
    }
    const std::uint16_t flowset_id = load_u16(m.datagram, offset);
    const std::uint16_t flowset_length = load_u16(m.datagram, offset + 2);
    if (flowset_length < kSetHeaderSize) {
      m.problem(ProblemKind::malformed, offset,
                "flowset id {} length {} is shorter than its {}-byte header", flowset_id,
                flowset_length, kSetHeaderSize);
      break;
    }
    if (flowset_length > size - offset) {
      m.problem(ProblemKind::malformed, offset,
                "flowset id {} length {} exceeds the packet ({} bytes)", flowset_id, flowset_length,
                size);
      break;
    }
    const std::size_t base = offset + kSetHeaderSize;
    const ByteReader body(m.datagram.subspan(base, flowset_length - kSetHeaderSize));
    if (flowset_id == kV9TemplateFlowset) {
      template_flowset_v9(m, body, base);
    } else if (flowset_id == kV9OptionsTemplateFlowset) {
      options_flowset_v9(m, body, base);
    } else if (flowset_id >= kFirstDataSetId) {
      data_set(m, body, base, flowset_id);
    } else {
      m.problem(ProblemKind::ignored, offset, "flowset id {} is reserved; {} bytes skipped",
                flowset_id, flowset_length);
    }
    offset += flowset_length;
  }
}

void FlowExportDecoder::template_set_ipfix(Message& m, ByteReader body, std::size_t base,
                                           std::uint16_t set_id) {
  const bool options = set_id == kIpfixOptionsTemplateSet;
  const TemplateKind kind = options ? TemplateKind::options : TemplateKind::data;
  std::vector<FieldSpec> fields;
  // Fewer than 4 bytes left is padding (RFC 7011 §3.3.1).
  while (body.remaining() >= 4) {
    const std::size_t at = base + body.offset();
    std::uint16_t template_id = 0;
    std::uint16_t field_count = 0;
    body.u16(template_id);
    body.u16(field_count);
    if (template_id == 0 && field_count == 0) break;  // zero padding
    if (field_count == 0) {
      // Withdrawal (RFC 7011 §8.1); the set id as template id withdraws all of that kind.
      if (template_id == set_id) {
        stats_.templates_withdrawn += templates_.withdraw_all(m.key(template_id), kind);
      } else if (template_id >= kFirstDataSetId) {
        stats_.templates_withdrawn += templates_.withdraw(m.key(template_id)) ? 1 : 0;
      } else {
        ++stats_.invalid_template;
        m.problem(ProblemKind::invalid_template, at, "withdrawal of template id {} (below {})",
                  template_id, kFirstDataSetId);
      }
      continue;
    }
    std::uint16_t scope_count = 0;
    if (options && !body.u16(scope_count)) {
      m.problem(ProblemKind::malformed, at,
                "options template {} header runs past the end of the set", template_id);
      return;
    }
    fields.clear();
    for (std::size_t i = 0; i < field_count; ++i) {
      const std::size_t field_at = base + body.offset();
      std::uint16_t id = 0;
      std::uint16_t length = 0;
      const bool enterprise_ok = body.u16(id) && body.u16(length) &&
                                 ((id & kEnterpriseBit) == 0 || body.skip(4));  // the PEN
      if (!enterprise_ok) {
        m.problem(ProblemKind::malformed, field_at,
                  "template {} field {} of {} runs past the end of the set", template_id, i,
                  field_count);
        return;
      }
      if (fields.size() < limits_.max_template_fields) {
        fields.push_back(
            {static_cast<std::uint16_t>(id & ~kEnterpriseBit), length, (id & kEnterpriseBit) != 0});
      }
    }
    learn_template(m, at, template_id, kind, fields, field_count, scope_count);
  }
}

void FlowExportDecoder::template_flowset_v9(Message& m, ByteReader body, std::size_t base) {
  std::vector<FieldSpec> fields;
  while (body.remaining() >= 4) {
    const std::size_t at = base + body.offset();
    std::uint16_t template_id = 0;
    std::uint16_t field_count = 0;
    body.u16(template_id);
    body.u16(field_count);
    if (template_id == 0 && field_count == 0) break;  // zero padding
    fields.clear();
    for (std::size_t i = 0; i < field_count; ++i) {
      const std::size_t field_at = base + body.offset();
      std::uint16_t type = 0;
      std::uint16_t length = 0;
      // NetFlow v9 has no enterprise bit: vendor types above 32767 are plain field types.
      if (!body.u16(type) || !body.u16(length)) {
        m.problem(ProblemKind::malformed, field_at,
                  "template {} field {} of {} runs past the end of the flowset", template_id, i,
                  field_count);
        return;
      }
      if (fields.size() < limits_.max_template_fields) {
        fields.push_back({type, length, type >= kEnterpriseBit});
      }
    }
    learn_template(m, at, template_id, TemplateKind::data, fields, field_count, 0);
  }
}

void FlowExportDecoder::options_flowset_v9(Message& m, ByteReader body, std::size_t base) {
  std::vector<FieldSpec> fields;
  // RFC 3954 §6.1: template id, option scope length and option length (both in bytes), then
  // the scope and option field specifiers, then padding.
  while (body.remaining() >= 6) {
    const std::size_t at = base + body.offset();
    std::uint16_t template_id = 0;
    std::uint16_t scope_length = 0;
    std::uint16_t option_length = 0;
    body.u16(template_id);
    body.u16(scope_length);
    body.u16(option_length);
    if (template_id == 0 && scope_length == 0 && option_length == 0) break;  // zero padding
    if (scope_length % 4 != 0 || option_length % 4 != 0) {
      m.problem(ProblemKind::malformed, at,
                "options template {}: scope length {} and option length {} are not multiples "
                "of 4",
                template_id, scope_length, option_length);
      return;
    }
    const std::size_t field_bytes = std::size_t{scope_length} + option_length;
    if (field_bytes > body.remaining()) {
      m.problem(ProblemKind::malformed, at,
                "options template {}: {} bytes of field specifiers exceed the {} left in the "
                "flowset",
                template_id, field_bytes, body.remaining());
      return;
    }
    fields.clear();
    const std::size_t field_count = field_bytes / 4;
    for (std::size_t i = 0; i < field_count; ++i) {
      std::uint16_t type = 0;
      std::uint16_t length = 0;
      body.u16(type);  // cannot fail: field_bytes was checked above
      body.u16(length);
      if (fields.size() < limits_.max_template_fields) {
        fields.push_back({type, length, type >= kEnterpriseBit});
      }
    }
    learn_template(m, at, template_id, TemplateKind::options, fields, field_count,
                   scope_length / 4);
  }
}

void FlowExportDecoder::learn_template(Message& m, std::size_t offset, std::uint16_t template_id,
                                       TemplateKind kind, std::span<const FieldSpec> fields,
                                       std::size_t field_count, std::size_t scope_count) {
  const auto refuse = [&](const std::string& reason) {
    ++stats_.invalid_template;
    m.problem(ProblemKind::invalid_template, offset, "template {} refused: {}", template_id,
              reason);
    // Kept as refused, so that its data sets are dropped as such instead of as unknown.
    if (template_id >= kFirstDataSetId) {
      FlowTemplate refused;
      refused.kind = kind;
      refused.valid = false;
      templates_.put(m.key(template_id), std::move(refused), m.received);
    }
  };
  if (template_id < kFirstDataSetId) {
    refuse(fmt::format("template ids start at {}", kFirstDataSetId));
    return;
  }
  if (field_count == 0) {
    refuse("it has no fields");
    return;
  }
  if (field_count > limits_.max_template_fields) {
    refuse(
        fmt::format("{} fields exceed the limit of {}", field_count, limits_.max_template_fields));
    return;
  }
  if (kind == TemplateKind::options && (scope_count == 0 || scope_count > field_count)) {
    refuse(fmt::format("scope field count {} is not between 1 and the field count {}", scope_count,
                       field_count));
    return;
  }
  Result<FlowTemplate> plan =
      compile_template(kind, fields, m.protocol == FlowExportProtocol::ipfix);
  if (!plan) {
    refuse(plan.error().message);
    return;
  }
  plan->scope_fields = scope_count;
  templates_.put(m.key(template_id), std::move(*plan), m.received);
  ++stats_.templates_learnt;
}

void FlowExportDecoder::data_set(Message& m, ByteReader body, std::size_t base,
                                 std::uint16_t set_id) {
  const std::size_t at = base - kSetHeaderSize;
  const FlowTemplate* plan = templates_.find(m.key(set_id), m.received);
  if (plan == nullptr) {
    ++stats_.unknown_template;
    m.records_countable = false;
    m.problem(ProblemKind::unknown_template, at,
              "data set for template {}, which is not known (yet): {} bytes dropped", set_id,
              body.remaining());
    return;
  }
  if (!plan->valid) {
    ++stats_.invalid_template_sets;
    m.records_countable = false;
    m.problem(ProblemKind::invalid_template, at,
              "data set for refused template {}: {} bytes dropped", set_id, body.remaining());
    return;
  }
  // A rest shorter than the shortest record is padding; min_record_length >= 1, so each
  // iteration advances and the loop ends.
  for (std::size_t index = 0; body.remaining() >= plan->min_record_length; ++index) {
    const std::size_t record_at = base + body.offset();
    RawRecord raw;
    if (const std::optional<std::size_t> field = decode_record(*plan, body, raw)) {
      m.records_countable = false;
      m.problem(ProblemKind::malformed, record_at,
                "record {} of data set {}: field {} runs past the end of the set", index, set_id,
                *field);
      return;
    }
    ++m.data_records;
    if (plan->kind == TemplateKind::options) {
      ++stats_.options_records;
      if (raw.system_init_millis) m.session->system_init_millis = raw.system_init_millis;
    } else if (!plan->has_addresses) {
      ++stats_.records_without_addresses;
    } else {
      m.result.records.push_back(finish_record(m, set_id, raw));
    }
  }
}

FlowExportRecord FlowExportDecoder::finish_record(const Message& m, std::uint16_t template_id,
                                                  const RawRecord& raw) const {
  FlowExportRecord r;
  r.protocol = m.protocol;
  r.exporter = m.exporter;
  r.domain = m.domain;
  r.template_id = template_id;
  r.exported = m.exported;
  r.received = m.received;
  r.source = raw.source.value_or(IpAddress{});
  r.destination = raw.destination.value_or(IpAddress{});
  r.source_port = raw.source_port;
  r.destination_port = raw.destination_port;
  r.ip_protocol = raw.ip_protocol;
  r.tcp_flags = raw.tcp_flags;
  r.octets = raw.octet_delta ? *raw.octet_delta : raw.octet_total.value_or(0);
  r.packets = raw.packet_delta ? *raw.packet_delta : raw.packet_total.value_or(0);
  r.ingress_interface = raw.ingress_interface;
  r.egress_interface = raw.egress_interface;
  r.icmp_type = raw.icmp_type;
  r.icmp_code = raw.icmp_code;

  // sysUpTime-relative times: NetFlow v9 against the header's uptime at unix secs (the
  // difference taken modulo 2^32, so uptime wrap-around after 49.7 days is harmless); IPFIX
  // against systemInitTimeMilliseconds from the record or, failing that, from options data.
  const std::optional<std::uint64_t> init =
      raw.system_init_millis ? raw.system_init_millis : m.session->system_init_millis;
  const auto from_uptime = [&](std::uint64_t uptime) -> std::optional<Timestamp> {
    if (m.protocol == FlowExportProtocol::netflow_v9) {
      const auto delta =
          static_cast<std::int32_t>(static_cast<std::uint32_t>(uptime) - m.sys_uptime);
      return m.exported + Duration::millis(delta);
    }
    if (!init || *init > kMaxMillis - uptime) return std::nullopt;
    return from_millis(*init + uptime);
  };
  const auto pick = [&](const std::optional<std::uint64_t>& millis,
                        const std::optional<std::uint64_t>& seconds,
                        const std::optional<std::uint64_t>& uptime) -> std::optional<Timestamp> {
    if (millis) return from_millis(*millis);
    if (seconds) return Timestamp::from_seconds(static_cast<std::int64_t>(*seconds));
    if (uptime) return from_uptime(*uptime);
    return std::nullopt;
  };
  r.start = pick(raw.start_millis, raw.start_seconds, raw.start_uptime);
  r.end = pick(raw.end_millis, raw.end_seconds, raw.end_uptime);
  return r;
}

FlowExportDecoder::Session& FlowExportDecoder::session(const SessionKey& key) {
  auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    if (sessions_.size() >= std::max<std::size_t>(limits_.max_sessions, 1)) {
      // Forget the least recently seen exporter/domain (a linear scan, only on a new one).
      sessions_.erase(std::min_element(
          sessions_.begin(), sessions_.end(),
          [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; }));
    }
    it = sessions_.emplace(key, Session{}).first;
  }
  it->second.last_used = ++tick_;
  return it->second;
}

void FlowExportDecoder::check_sequence(Message& m, std::uint32_t sequence) {
  Session& s = *m.session;
  if (!s.expected_sequence) return;
  const std::uint32_t jump = sequence - *s.expected_sequence;
  // A jump of 2^31 or more is read as going backwards (reordering, restart): no gap.
  if (jump == 0 || jump >= 0x8000'0000u) return;
  ++s.gaps;
  s.missing += jump;
  ++stats_.sequence_gaps;
  stats_.sequence_missing += jump;
  m.result.sequence_missing = jump;
}

DecoderStats FlowExportDecoder::stats() const {
  DecoderStats out = stats_;
  out.templates_evicted = templates_.evicted();
  out.templates_expired = templates_.expired();
  out.templates = templates_.size();
  return out;
}

std::vector<SequenceStatus> FlowExportDecoder::sequence_status() const {
  std::vector<SequenceStatus> out;
  out.reserve(sessions_.size());
  for (const auto& [key, s] : sessions_) {
    out.push_back({key.exporter, key.protocol, key.domain, s.gaps, s.missing});
  }
  return out;
}

}  // namespace mamori::flowexport
