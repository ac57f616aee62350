#pragma once
// sieve/record_json: the on-disk and on-wire form of a Record (record.h), version 3. This
// header is the format's specification; the store keeps exactly these lines, and
// `mamori records --format jsonl` prints them.
//
// One record is one JSON object with exactly these keys, in this order (the schema is closed,
// I2: a reader rejects any other key, at any depth):
//
//   v           3 (kRecordVersion); readers accept 1..3 (1 never has pseudonyms; writers of 1
//               and 2 had no behaviour kinds)
//   sensor      non-empty string
//   flow        32 hex digits
//   category    "FF" | "FD" | "DF" | "DD"
//   first_seen  RFC 3339 UTC with exactly six fractional digits, "2026-11-22T02:37:19.123456Z"
//   last_seen   same form, not before first_seen
//   proto       "tcp" | "udp" | "icmp" | "icmpv6" | the IP protocol number as decimal text
//   src, dst    {"ip": address, "port": 0..65535, "country": "JP" | null (unknown)}
//               src is the initiator. An address is IPv4/IPv6 text in clear, or a pseudonym
//               "p<epoch>:<IPv4/IPv6 text>" (I5: the prefix-preserving pseudonym under key
//               epoch ≥ 1; the country is the real address's). The "p" marks the field.
//   packets     {"fwd": uint64, "rev": uint64}; fwd is src→dst
//   bytes       {"fwd": uint64, "rev": uint64}
//   tcp_flags   letters of "SAFPRUEC" in that order, only those seen ("" for none / not TCP)
//   dns         [{"name": string, "type": 0..65535, "rcode": 0..255 | null (no response),
//                 "answers": [address, ...] (≤ decode::kMaxDnsAnswers; all in clear or
//                 all pseudonyms of one epoch)}, ...]
//               (≤ kMaxDnsEntries)
//   tls         null | {"sni": string, "alpn": [string, ...], "version": string,
//                       "ja3": string, "ja3_hash": string, "ja4": string}
//   http        [{"method": string, "host": string, "user_agent": string}, ...]
//               (≤ kMaxHttpEntries)
//   matches     [{"rule": non-empty string, "kind": "ip"|"domain"|"port"|"ja3"|"ja4"|"bytes"|
//                 "scan"|"amplification"|"beacon",
//                 "command_hex": lower-case hex of ≤ kMaxCommandBytes bytes,
//                 "measured": {name: finite number, ...}}, ...]
//               (≤ kMaxMatches; "command_hex" is present for kind "bytes" only; "measured"
//               for the behaviour kinds only: ≤ kMaxMeasures values, names ≤
//               kMaxMeasureNameLength, ascending — what the rule measured and its thresholds,
//               sieve/behaviour.h)
//
// Every key is always present (optional values are null or empty), so a line's key set is a
// constant of the version. Timestamps carry microseconds: sub-microsecond parts of a Record
// are truncated on writing. Strings are UTF-8; invalid UTF-8 (hostile SNI or User-Agent) is
// written as U+FFFD, so writing never fails. Writing enforces the caps by truncation (defence
// in depth for I2); reading rejects anything over a cap.
//
// Reading never throws; every error names the offending field ("dns[1].answers[0]") and never
// echoes its value (I1).

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/sieve/record.h"

namespace mamori::sieve {

// The record as a JSON value. nlohmann::json sorts object keys; use record_to_json_line for
// the canonical key order.
nlohmann::json record_to_json(const Record& record);
// The canonical compact line (no trailing newline), keys in the documented order. Records
// whose every string is valid UTF-8 and whose measures are integers take a direct writer
// (record_json_writer.h, several times faster); the rest, the reference below.
std::string record_to_json_line(const Record& record);
// The same line appended to `out`, without a string of its own when the direct writer takes it.
void append_record_json_line(const Record& record, std::string& out);
// The same, always through nlohmann::ordered_json: the reference the direct writer is tested
// against.
std::string record_to_json_line_reference(const Record& record);

Result<Record> record_from_json(const nlohmann::json& json);
// The checks record_from_json makes that an in-memory Record can fail (empty sensor, flow id
// not 32 hex digits, times out of range or reversed, country not two letters, empty rule id).
// A Record that passes is read back equal to itself, up to the microsecond truncation, the
// caps and U+FFFD for invalid UTF-8. The store calls this before accepting a record.
Result<void> validate_record(const Record& record);
// Parses one line (or any JSON text holding one record object). Lines in the form
// record_to_json_line writes take a single-pass reader (record_json_reader.h, about ten times
// faster); any other text, and every error, takes record_from_json over the nlohmann DOM, so
// what is accepted and every error message are record_from_json's.
Result<Record> record_from_json_line(std::string_view line);
// The same into `out`, reusing its buffers (bulk reads). On error `out` is unspecified.
Result<void> record_from_json_line(std::string_view line, Record& out);
// The same as record_from_json_line, always through the DOM: the reference the fast reader is
// tested against.
Result<Record> record_from_json_line_reference(std::string_view line);

}  // namespace mamori::sieve
