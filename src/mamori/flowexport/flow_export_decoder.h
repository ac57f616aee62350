#pragma once
// flowexport/flow_export_decoder: decodes the UDP payloads a flow collector receives, IPFIX
// (RFC 7011, version 10) and NetFlow v9 (RFC 3954), into FlowExportRecords.
//
// Flow exports carry no payload: they are machine information (addresses, ports, protocol,
// counts, interfaces, times), which is why the ip/port/behaviour selectors apply to them.
//
// Contract:
// - decode() never throws, never reads outside the datagram and always terminates. A fault
//   becomes a DecodeProblem naming the byte offset and the field ("ipfix message at byte 20:
//   set id 256 length 70000 exceeds the message (120 bytes)"); records decoded from sets
//   before the fault are still returned. Problem texts carry offsets, ids and lengths only,
//   never field values or addresses.
// - Templates are learnt per (exporter, protocol, observation domain / source id, template
//   id), refreshed when re-sent, bounded (oldest evicted) and expire after a timeout.
//   A data set whose template is not known (yet) is dropped and counted.
// - Sequence numbers are checked per (exporter, protocol, domain): IPFIX counts data records,
//   NetFlow v9 counts export packets. A forward jump is a gap whose size is added to
//   `sequence_missing`; a backward jump (reordering, exporter restart) only resynchronises.
// - Time: receive times come from the caller (no clock is read here).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mamori/core/byte_reader.h"
#include "mamori/core/time.h"
#include "mamori/flowexport/flow_export_record.h"
#include "mamori/flowexport/template_cache.h"

namespace mamori::flowexport {

struct DecoderLimits {
  // Templates kept for all exporters together; the least recently sent one is evicted.
  std::size_t max_templates = 4096;
  // RFC 7011 §8.4 template lifetime over UDP; zero disables expiry.
  Duration template_timeout = Duration::seconds(std::int64_t{30} * 60);
  // A template with more field specifiers is refused (bounds the cache's memory).
  std::size_t max_template_fields = 256;
  // Exporter/domain pairs whose sequence and clock state is kept; the least recently seen
  // one is forgotten.
  std::size_t max_sessions = 4096;
};

enum class ProblemKind : std::uint8_t {
  malformed,         // structure broken: the rest of the set or message was not decoded
  unknown_template,  // data set for a template not (or no longer) known: dropped
  invalid_template,  // template refused, or a data set using a refused template: dropped
  ignored,           // well-formed but not used (reserved set id, trailing bytes)
};

struct DecodeProblem {
  ProblemKind kind = ProblemKind::malformed;
  std::size_t offset = 0;  // byte offset in the datagram
  std::string message = {};
};

struct DecodeResult {
  std::vector<FlowExportRecord> records = {};
  std::vector<DecodeProblem> problems = {};
  // Sequence numbers skipped just before this datagram (records for IPFIX, packets for v9).
  std::uint64_t sequence_missing = 0;

  bool malformed() const;
};

struct DecoderStats {
  std::uint64_t messages = 0;                   // datagrams given to decode()
  std::uint64_t records = 0;                    // flow records returned
  std::uint64_t malformed = 0;                  // datagrams with at least one malformed problem
  std::uint64_t unknown_template = 0;           // data sets dropped: template not known
  std::uint64_t invalid_template = 0;           // template records refused
  std::uint64_t invalid_template_sets = 0;      // data sets dropped: their template was refused
  std::uint64_t options_records = 0;            // options data records (skipped, not flows)
  std::uint64_t records_without_addresses = 0;  // data records of templates without addresses
  std::uint64_t templates_learnt = 0;           // template records accepted (new or refreshed)
  std::uint64_t templates_withdrawn = 0;
  std::uint64_t templates_evicted = 0;
  std::uint64_t templates_expired = 0;
  std::uint64_t sequence_gaps = 0;     // forward jumps of a sequence number
  std::uint64_t sequence_missing = 0;  // their total size
  std::size_t templates = 0;           // templates cached now
};

// Sequence accounting of one exporter/protocol/domain.
struct SequenceStatus {
  ExporterId exporter = {};
  FlowExportProtocol protocol = FlowExportProtocol::ipfix;
  std::uint32_t domain = 0;
  std::uint64_t gaps = 0;
  std::uint64_t missing = 0;
};

class FlowExportDecoder {
 public:
  explicit FlowExportDecoder(DecoderLimits limits = {});

  // Decodes one UDP payload received from `exporter` at `received`.
  DecodeResult decode(const ExporterId& exporter, std::span<const std::uint8_t> datagram,
                      Timestamp received);

  DecoderStats stats() const;
  std::vector<SequenceStatus> sequence_status() const;

 private:
  struct SessionKey {
    ExporterId exporter = {};
    FlowExportProtocol protocol = FlowExportProtocol::ipfix;
    std::uint32_t domain = 0;
    constexpr auto operator<=>(const SessionKey&) const = default;
  };
  struct Session {
    std::optional<std::uint32_t> expected_sequence;
    std::optional<std::uint64_t> system_init_millis;  // IPFIX IE 160 from options data
    std::uint64_t gaps = 0;
    std::uint64_t missing = 0;
    std::uint64_t last_used = 0;
  };
  // What one message's sets share while they are decoded.
  struct Message;

  void decode_ipfix(Message& m);
  void decode_netflow_v9(Message& m);
  void template_set_ipfix(Message& m, ByteReader body, std::size_t base, std::uint16_t set_id);
  void template_flowset_v9(Message& m, ByteReader body, std::size_t base);
  void options_flowset_v9(Message& m, ByteReader body, std::size_t base);
  void learn_template(Message& m, std::size_t offset, std::uint16_t template_id, TemplateKind kind,
                      std::span<const FieldSpec> fields, std::size_t field_count,
                      std::size_t scope_count);
  void data_set(Message& m, ByteReader body, std::size_t base, std::uint16_t set_id);
  FlowExportRecord finish_record(const Message& m, std::uint16_t template_id,
                                 const RawRecord& raw) const;
  Session& session(const SessionKey& key);
  void check_sequence(Message& m, std::uint32_t sequence);

  DecoderLimits limits_;
  TemplateCache templates_;
  std::map<SessionKey, Session> sessions_;
  std::uint64_t tick_ = 0;
  DecoderStats stats_;
};

}  // namespace mamori::flowexport
