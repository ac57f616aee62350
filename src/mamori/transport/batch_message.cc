#include "mamori/transport/batch_message.h"

#include <sodium.h>

#include <array>

#include "mamori/sieve/record_json.h"

namespace mamori::transport {
namespace {

using nlohmann::json;

constexpr int kVersion = 1;

std::string_view kind_name(MessageKind kind) {
  switch (kind) {
    case MessageKind::kBegin:
      return "begin";
    case MessageKind::kBatch:
      return "batch";
    case MessageKind::kEnd:
      return "end";
  }
  return "batch";
}

json info_to_json(const store::RunInfo& info) {
  return json{{"sensor", info.sensor},
              {"started_at", format_rfc3339_micros(info.started_at)},
              {"config_hash", info.config_hash},
              {"ruleset_hash", info.ruleset_hash},
              {"input", info.input},
              {"approval_id", info.approval_id},
              {"legal_basis", info.legal_basis},
              {"agreement_id", info.agreement_id},
              {"retention_s", info.retention.nanos / 1'000'000'000}};
}

Result<std::string> get_string(const json& object, const char* field, std::string_view where) {
  const auto it = object.find(field);
  if (it == object.end() || !it->is_string()) {
    return fail("transport message: {}.{}: missing or not a string", where, field);
  }
  return it->get<std::string>();
}

Result<store::RunInfo> info_from_json(const json& value) {
  if (!value.is_object()) return fail("transport message: header.info: not an object");
  store::RunInfo info;
  const std::pair<const char*, std::string*> strings[] = {{"sensor", &info.sensor},
                                                          {"config_hash", &info.config_hash},
                                                          {"ruleset_hash", &info.ruleset_hash},
                                                          {"input", &info.input},
                                                          {"approval_id", &info.approval_id},
                                                          {"legal_basis", &info.legal_basis},
                                                          {"agreement_id", &info.agreement_id}};
  for (const auto& [field, out] : strings) {
    auto text = get_string(value, field, "header.info");
    if (!text) return fail(text.error());
    *out = std::move(*text);
  }
  auto started = get_string(value, "started_at", "header.info");
  if (!started) return fail(started.error());
  auto started_at = parse_rfc3339(*started);
  if (!started_at) return fail("transport message: header.info.started_at: not RFC 3339");
  info.started_at = *started_at;
  const auto retention = value.find("retention_s");
  if (retention == value.end() || !retention->is_number_integer()) {
    return fail("transport message: header.info.retention_s: missing or not an integer");
  }
  info.retention = Duration::seconds(retention->get<std::int64_t>());
  return info;
}

}  // namespace

std::string make_run_key(std::string_view sensor) {
  std::string key;
  for (const char c : sensor.substr(0, 64)) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '-';
    key.push_back(plain ? c : '_');
  }
  if (key.empty()) key = "sensor";
  std::array<unsigned char, 16> random{};
  if (sodium_init() < 0) std::abort();  // libsodium cannot start: no safe randomness
  randombytes_buf(random.data(), random.size());
  std::array<char, 33> hex{};
  sodium_bin2hex(hex.data(), hex.size(), random.data(), random.size());
  key.push_back('-');
  key.append(hex.data(), 32);
  return key;
}

std::string message_id(MessageKind kind, std::string_view run_key, std::uint64_t seq) {
  switch (kind) {
    case MessageKind::kBegin:
      return fmt::format("{}/begin", run_key);
    case MessageKind::kEnd:
      return fmt::format("{}/end", run_key);
    case MessageKind::kBatch:
      break;
  }
  return fmt::format("{}/{}", run_key, seq);
}

std::string encode_header(MessageKind kind, std::string_view run_key, const store::RunInfo& info,
                          std::uint64_t seq, std::size_t records, const nlohmann::json& summary,
                          std::optional<Timestamp> ended_at) {
  const json header{{"mamori", kind_name(kind)},
                    {"v", kVersion},
                    {"run", run_key},
                    {"info", info_to_json(info)},
                    {"seq", seq},
                    {"records", records},
                    {"summary", summary},
                    {"ended_at", ended_at ? json(format_rfc3339_micros(*ended_at)) : json()}};
  return header.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string encode_message(const BatchMessage& message) {
  std::string payload = encode_header(
      message.kind, message.run_key, message.info, message.seq, message.records.size(),
      message.summary,
      message.kind == MessageKind::kEnd ? std::optional(message.ended_at) : std::nullopt);
  for (const sieve::Record& record : message.records) {
    payload.push_back('\n');
    sieve::append_record_json_line(record, payload);
  }
  return payload;
}

Result<BatchMessage> decode_message(std::string_view payload) {
  const std::size_t newline = payload.find('\n');
  const json header = json::parse(payload.substr(0, newline), nullptr, false);
  if (header.is_discarded() || !header.is_object()) {
    return fail("transport message: line 1: not a JSON object header");
  }
  BatchMessage message;
  auto kind = get_string(header, "mamori", "header");
  if (!kind) return fail(kind.error());
  if (*kind == "begin") {
    message.kind = MessageKind::kBegin;
  } else if (*kind == "batch") {
    message.kind = MessageKind::kBatch;
  } else if (*kind == "end") {
    message.kind = MessageKind::kEnd;
  } else {
    return fail("transport message: header.mamori: not begin, batch or end");
  }
  const auto version = header.find("v");
  if (version == header.end() || !version->is_number_integer() ||
      version->get<std::int64_t>() != kVersion) {
    return fail("transport message: header.v: must be {}", kVersion);
  }
  auto run = get_string(header, "run", "header");
  if (!run) return fail(run.error());
  if (run->empty() || run->size() > 200) return fail("transport message: header.run: bad length");
  message.run_key = std::move(*run);
  const auto info = header.find("info");
  if (info == header.end()) return fail("transport message: header.info: missing");
  auto parsed_info = info_from_json(*info);
  if (!parsed_info) return fail(parsed_info.error());
  message.info = std::move(*parsed_info);
  const auto seq = header.find("seq");
  const auto count = header.find("records");
  if (seq == header.end() || !seq->is_number_unsigned() || count == header.end() ||
      !count->is_number_unsigned()) {
    return fail("transport message: header.seq/records: missing or not unsigned integers");
  }
  message.seq = seq->get<std::uint64_t>();
  const std::uint64_t records = count->get<std::uint64_t>();
  if (message.kind == MessageKind::kEnd) {
    const auto summary = header.find("summary");
    if (summary != header.end()) message.summary = *summary;
    auto ended = get_string(header, "ended_at", "header");
    if (!ended) return fail(ended.error());
    auto ended_at = parse_rfc3339(*ended);
    if (!ended_at) return fail("transport message: header.ended_at: not RFC 3339");
    message.ended_at = *ended_at;
  }
  if (message.kind != MessageKind::kBatch) {
    if (newline != std::string_view::npos) {
      return fail("transport message: a {} message carries no records", *kind);
    }
    return message;
  }
  if (records > 1'000'000) return fail("transport message: header.records: too many");
  message.records.resize(static_cast<std::size_t>(records));
  std::string_view rest =
      newline == std::string_view::npos ? std::string_view{} : payload.substr(newline + 1);
  for (std::size_t i = 0; i < message.records.size(); ++i) {
    if (newline == std::string_view::npos || (rest.empty() && i < message.records.size())) {
      return fail("transport message: {} records announced, {} present", records, i);
    }
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (auto ok = sieve::record_from_json_line(line, message.records[i]); !ok) {
      return fail("transport message: line {}: {}", i + 2, ok.error().message);
    }
  }
  if (!rest.empty()) return fail("transport message: more lines than the {} announced", records);
  return message;
}

}  // namespace mamori::transport
