#include "mamori/ledger/entry.h"

#include <algorithm>
#include <array>

namespace mamori::ledger {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 5> kFields = {"at", "body", "prev", "seq", "type"};

// Offset of the first byte that is not well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or npos. Checked before JSON parsing so the error can
// name the byte without quoting the text around it.
std::size_t invalid_utf8_at(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;  // allowed range of the second byte
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // overlong
      if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // overlong
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + length > size) return i;
    if (bytes[i + 1] < low || bytes[i + 1] > high) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

}  // namespace

std::string canonical_leaf(const LedgerEntry& entry) {
  // nlohmann::json's object is a std::map, so dump() writes keys sorted; no indentation and
  // ensure_ascii off give one compact UTF-8 line. `strict` throws on invalid UTF-8 rather than
  // silently replacing bytes: a leaf must hash exactly what the caller recorded, and bodies
  // built from operator text must be validated before they get here.
  json leaf = json::object();
  leaf["at"] = format_rfc3339_micros(entry.at);
  leaf["body"] = entry.body;
  leaf["prev"] = hash_to_hex(entry.prev);
  leaf["seq"] = entry.seq;
  leaf["type"] = entry.type;
  return leaf.dump(-1, ' ', false, json::error_handler_t::strict);
}

Result<LedgerEntry> parse_leaf(std::string_view line) {
  if (const std::size_t bad = invalid_utf8_at(line); bad != std::string_view::npos) {
    return fail("ledger leaf: invalid UTF-8 at byte {}", bad);
  }
  json object;
  try {
    object = json::parse(line);
  } catch (const json::parse_error& error) {
    return fail("ledger leaf: not valid JSON (error near byte {})", error.byte);
  } catch (const json::exception&) {
    // out_of_range 406: a number too large for a double, e.g. 1e999.
    return fail("ledger leaf: not valid JSON (a number is out of range)");
  }
  if (!object.is_object()) return fail("ledger leaf: expected a JSON object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(kFields.begin(), kFields.end(), key) == kFields.end()) {
      return fail("ledger leaf: unexpected field '{}'", key);
    }
  }
  for (const std::string_view field : kFields) {
    if (!object.contains(field)) return fail("ledger leaf: missing field '{}'", field);
  }

  LedgerEntry entry;
  const json& seq = object["seq"];
  if (!seq.is_number_unsigned()) {
    return fail("ledger leaf: field 'seq' must be an unsigned integer");
  }
  entry.seq = seq.get<std::uint64_t>();

  const json& at = object["at"];
  if (!at.is_string()) return fail("ledger leaf: field 'at' must be an RFC 3339 string");
  auto timestamp = parse_rfc3339(at.get_ref<const std::string&>());
  if (!timestamp) return fail("ledger leaf: field 'at': {}", timestamp.error().message);
  if (timestamp->nanos % 1'000 != 0) {
    // canonical_leaf writes microseconds; a finer time could not be written back.
    return fail("ledger leaf: field 'at' has sub-microsecond digits");
  }
  entry.at = *timestamp;

  const json& type = object["type"];
  if (!type.is_string() || type.get_ref<const std::string&>().empty()) {
    return fail("ledger leaf: field 'type' must be a non-empty string");
  }
  entry.type = type.get<std::string>();

  const json& body = object["body"];
  if (!body.is_object()) return fail("ledger leaf: field 'body' must be a JSON object");
  entry.body = body;

  const json& prev = object["prev"];
  if (!prev.is_string()) return fail("ledger leaf: field 'prev' must be a string of 64 hex digits");
  auto prev_hash = hash_from_hex(prev.get_ref<const std::string&>());
  if (!prev_hash) return fail("ledger leaf: field 'prev': {}", prev_hash.error().message);
  entry.prev = *prev_hash;
  return entry;
}

}  // namespace mamori::ledger
