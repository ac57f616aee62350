#pragma once
// transport/batch_message: the payload of one message on the records subject (version 1).
// Every message is self-contained, so the central site can apply it alone, in any order
// relative to redeliveries:
//
//   line 1      a JSON object header:
//                 {"mamori":"begin"|"batch"|"end", "v":1, "run":RUN_KEY, "info":RUN_INFO,
//                  "seq":N, "records":K, "summary":JSON|null, "ended_at":RFC3339|null}
//               RUN_INFO: {"sensor","started_at" (RFC 3339 µs),"config_hash","ruleset_hash",
//               "input","approval_id","legal_basis","agreement_id","retention_s"}
//               seq: the batch's number in its run (1, 2, …; 0 for begin and end)
//   lines 2…    for "batch" only: exactly K records, one per line, in the canonical
//               sieve/record_json.h form (record_to_json_line), '\n'-separated.
//
// The message id (header Nats-Msg-Id, and the store's batch key) is RUN_KEY "/begin",
// RUN_KEY "/" seq, or RUN_KEY "/end". RUN_KEY is the sensor name (characters other than
// [A-Za-z0-9_-] replaced by '_') "-" 32 random hex digits.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/sieve/record.h"
#include "mamori/store/store.h"

namespace mamori::transport {

enum class MessageKind { kBegin, kBatch, kEnd };

struct BatchMessage {
  MessageKind kind = MessageKind::kBatch;
  std::string run_key = {};
  store::RunInfo info = {};
  std::uint64_t seq = 0;
  std::vector<sieve::Record> records = {};
  nlohmann::json summary = {};
  Timestamp ended_at = {};
};

// A fresh run key for `sensor`.
std::string make_run_key(std::string_view sensor);
// The message id of a message.
std::string message_id(MessageKind kind, std::string_view run_key, std::uint64_t seq);

// The header line (no newline) of a message; records are appended by the caller.
std::string encode_header(MessageKind kind, std::string_view run_key, const store::RunInfo& info,
                          std::uint64_t seq, std::size_t records, const nlohmann::json& summary,
                          std::optional<Timestamp> ended_at);
// A whole message.
std::string encode_message(const BatchMessage& message);
// Parses a payload. Errors name the line and field, never values.
Result<BatchMessage> decode_message(std::string_view payload);

}  // namespace mamori::transport
