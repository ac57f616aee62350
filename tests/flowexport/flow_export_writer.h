#pragma once
// Test-only writers that build IPFIX messages and NetFlow v9 packets byte by byte, so every
// test states exactly what is on the wire. Lengths are patched when a set or message ends.

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <utility>
#include <vector>

#include "mamori/flowexport/flow_export_decoder.h"

namespace mamori::flowexport::testing {

class Writer {
 public:
  Writer& u8(std::uint64_t v) {
    bytes_.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Writer& u16(std::uint64_t v) { return u8(v >> 8).u8(v); }
  Writer& u32(std::uint64_t v) { return u16(v >> 16).u16(v); }
  Writer& u64(std::uint64_t v) { return u32(v >> 32).u32(v); }
  // An unsigned integer in `width` bytes (reduced-size encoding).
  Writer& uint(std::uint64_t v, std::size_t width) {
    for (std::size_t i = width; i > 0; --i) u8(v >> (8 * (i - 1)));
    return *this;
  }
  Writer& raw(std::span<const std::uint8_t> b) {
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  Writer& zeros(std::size_t n) {
    bytes_.insert(bytes_.end(), n, 0);
    return *this;
  }
  void patch_u16(std::size_t at, std::uint64_t v) {
    bytes_[at] = static_cast<std::uint8_t>(v >> 8);
    bytes_[at + 1] = static_cast<std::uint8_t>(v);
  }
  std::size_t size() const { return bytes_.size(); }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

// A field specifier: information element id and length; `pen` != 0 sets the enterprise bit.
struct Field {
  std::uint16_t id = 0;
  std::uint16_t length = 0;
  std::uint32_t pen = 0;
};

// Builds one IPFIX message (RFC 7011 §3.1 header) or NetFlow v9 packet (RFC 3954 §5.1).
class MessageWriter {
 public:
  static MessageWriter ipfix(std::uint32_t export_time, std::uint32_t sequence,
                             std::uint32_t domain) {
    MessageWriter m(true);
    m.w.u16(10).u16(0).u32(export_time).u32(sequence).u32(domain);
    return m;
  }
  static MessageWriter netflow_v9(std::uint32_t sys_uptime, std::uint32_t unix_secs,
                                  std::uint32_t sequence, std::uint32_t source_id,
                                  std::uint16_t count = 0) {
    MessageWriter m(false);
    m.w.u16(9).u16(count).u32(sys_uptime).u32(unix_secs).u32(sequence).u32(source_id);
    return m;
  }

  MessageWriter& begin_set(std::uint16_t id) {
    set_start_ = w.size();
    w.u16(id).u16(0);
    return *this;
  }
  MessageWriter& end_set(std::size_t padding = 0) {
    w.zeros(padding);
    w.patch_u16(set_start_ + 2, w.size() - set_start_);
    set_ends_.push_back(w.size());
    return *this;
  }
  // A template record inside a template set (IPFIX 2 / v9 0).
  MessageWriter& template_record(std::uint16_t id, std::initializer_list<Field> fields) {
    w.u16(id).u16(fields.size());
    return field_specifiers(fields);
  }
  // An IPFIX options template record (set 3): the first `scope` fields are scope fields.
  MessageWriter& options_template_record(std::uint16_t id, std::uint16_t scope,
                                         std::initializer_list<Field> fields) {
    w.u16(id).u16(fields.size()).u16(scope);
    return field_specifiers(fields);
  }
  // A NetFlow v9 options template (flowset 1).
  MessageWriter& v9_options_template(std::uint16_t id, std::initializer_list<Field> scope,
                                     std::initializer_list<Field> options) {
    w.u16(id).u16(scope.size() * 4).u16(options.size() * 4);
    field_specifiers(scope);
    return field_specifiers(options);
  }
  // A complete template set holding one template record.
  MessageWriter& template_set(std::uint16_t id, std::initializer_list<Field> fields) {
    return begin_set(ipfix_ ? 2 : 0).template_record(id, fields).end_set();
  }

  std::vector<std::uint8_t> finish() {
    if (ipfix_) w.patch_u16(2, w.size());
    return w.bytes();
  }
  // Offsets where each set ended, in order.
  const std::vector<std::size_t>& set_ends() const { return set_ends_; }

  Writer w;

 private:
  explicit MessageWriter(bool ipfix) : ipfix_(ipfix) {}
  MessageWriter& field_specifiers(std::initializer_list<Field> fields) {
    for (const Field& f : fields) {
      w.u16(f.pen != 0 ? (f.id | 0x8000) : f.id).u16(f.length);
      if (f.pen != 0) w.u32(f.pen);
    }
    return *this;
  }

  bool ipfix_;
  std::size_t set_start_ = 0;
  std::vector<std::size_t> set_ends_;
};

inline ExporterId exporter(std::uint32_t v4, std::uint16_t port = 4739) {
  return {IpAddress::v4(v4), port};
}

inline std::array<std::uint8_t, 16> v6_bytes(std::uint16_t last) {
  // 2001:db8::<last> (documentation prefix, RFC 3849)
  std::array<std::uint8_t, 16> b{};
  b[0] = 0x20;
  b[1] = 0x01;
  b[2] = 0x0d;
  b[3] = 0xb8;
  b[14] = static_cast<std::uint8_t>(last >> 8);
  b[15] = static_cast<std::uint8_t>(last);
  return b;
}

inline std::size_t count_kind(const DecodeResult& r, ProblemKind kind) {
  std::size_t n = 0;
  for (const DecodeProblem& p : r.problems) n += p.kind == kind;
  return n;
}

}  // namespace mamori::flowexport::testing
