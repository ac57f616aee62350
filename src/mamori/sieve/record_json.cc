#include "mamori/sieve/record_json.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <span>

#include "mamori/decode/app.h"
#include "mamori/sieve/record_json_checks.h"
#include "mamori/sieve/record_json_reader.h"
#include "mamori/sieve/record_json_writer.h"

namespace mamori::sieve {
namespace {

using nlohmann::json;
using record_json_checks::is_country;
using record_json_checks::is_hex;
using record_json_checks::is_measure_name;
using record_json_checks::kEndOfMaxYearSeconds;
using record_json_checks::kFlowIdDigits;
using record_json_checks::kHexDigits;
using record_json_checks::kMaxYear;
using record_json_checks::kMinYear;
using record_json_checks::kTimeLength;

// ---------------------------------------------------------------------------------------------
// Writing. One template builds both the sorted (nlohmann::json) and the ordered form, so the
// two can never disagree on content.

template <class Json>
Json endpoint_json(const Endpoint& endpoint) {
  Json out = Json::object();
  out["ip"] = address_text(endpoint.ip, endpoint.pseudonym_epoch);
  out["port"] = endpoint.port;
  out["country"] = endpoint.country.known() ? Json(endpoint.country.to_string()) : Json(nullptr);
  return out;
}

template <class Json>
Json direction_json(const std::array<std::uint64_t, 2>& values) {
  Json out = Json::object();
  out["fwd"] = values[0];
  out["rev"] = values[1];
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string text;
  text.reserve(bytes.size() * 2);
  for (const std::uint8_t byte : bytes) {
    text.push_back(kHexDigits[byte >> 4]);
    text.push_back(kHexDigits[byte & 0x0f]);
  }
  return text;
}

template <class Json>
Json dns_json(const std::vector<DnsEntry>& entries) {
  Json out = Json::array();
  const std::size_t count = std::min(entries.size(), kMaxDnsEntries);
  for (std::size_t i = 0; i < count; ++i) {
    const DnsEntry& entry = entries[i];
    Json item = Json::object();
    item["name"] = entry.name;
    item["type"] = entry.type;
    item["rcode"] = entry.rcode ? Json(*entry.rcode) : Json(nullptr);
    Json answers = Json::array();
    const std::size_t answer_count = std::min(entry.answers.size(), decode::kMaxDnsAnswers);
    for (std::size_t a = 0; a < answer_count; ++a) {
      answers.push_back(address_text(entry.answers[a], entry.answers_pseudonym_epoch));
    }
    item["answers"] = std::move(answers);
    out.push_back(std::move(item));
  }
  return out;
}

template <class Json>
Json tls_json(const std::optional<TlsInfo>& tls) {
  if (!tls) return Json(nullptr);
  Json out = Json::object();
  out["sni"] = tls->sni;
  Json alpn = Json::array();
  for (const auto& protocol : tls->alpn) alpn.push_back(protocol);
  out["alpn"] = std::move(alpn);
  out["version"] = tls->version;
  out["ja3"] = tls->ja3;
  out["ja3_hash"] = tls->ja3_hash;
  out["ja4"] = tls->ja4;
  return out;
}

template <class Json>
Json http_json(const std::vector<HttpInfo>& requests) {
  Json out = Json::array();
  const std::size_t count = std::min(requests.size(), kMaxHttpEntries);
  for (std::size_t i = 0; i < count; ++i) {
    Json item = Json::object();
    item["method"] = requests[i].method;
    item["host"] = requests[i].host;
    item["user_agent"] = requests[i].user_agent;
    out.push_back(std::move(item));
  }
  return out;
}

template <class Json>
Json matches_json(const std::vector<Match>& matches) {
  Json out = Json::array();
  const std::size_t count = std::min(matches.size(), kMaxMatches);
  for (std::size_t i = 0; i < count; ++i) {
    const Match& match = matches[i];
    Json item = Json::object();
    item["rule"] = match.rule;
    item["kind"] = std::string(to_string(match.kind));
    if (match.kind == RuleKind::bytes) {
      const std::size_t length = std::min(match.command.size(), kMaxCommandBytes);
      item["command_hex"] = to_hex(std::span(match.command.data(), length));
    }
    if (is_behaviour(match.kind)) {
      Json measured = Json::object();
      const std::size_t measures = std::min(match.measured.size(), kMaxMeasures);
      for (std::size_t m = 0; m < measures; ++m) {
        // Counts stay integers in the text ("targets":73, not 73.0).
        const double value = match.measured[m].value;
        if (std::trunc(value) == value && std::fabs(value) < 9.0e15) {
          measured[match.measured[m].name] = static_cast<std::int64_t>(value);
        } else {
          measured[match.measured[m].name] = value;
        }
      }
      item["measured"] = std::move(measured);
    }
    out.push_back(std::move(item));
  }
  return out;
}

template <class Json>
Json build_json(const Record& record) {
  Json out = Json::object();
  out["v"] = kRecordVersion;
  out["sensor"] = record.sensor;
  out["flow"] = record.flow_id;
  out["category"] = std::string(scope::to_string(record.category));
  out["first_seen"] = format_rfc3339_micros(record.first_seen);
  out["last_seen"] = format_rfc3339_micros(record.last_seen);
  out["proto"] = protocol_name(record.protocol);
  out["src"] = endpoint_json<Json>(record.src);
  out["dst"] = endpoint_json<Json>(record.dst);
  out["packets"] = direction_json<Json>(record.packets);
  out["bytes"] = direction_json<Json>(record.bytes);
  out["tcp_flags"] = tcp_flags_string(record.tcp_flags);
  out["dns"] = dns_json<Json>(record.dns);
  out["tls"] = tls_json<Json>(record.tls);
  out["http"] = http_json<Json>(record.http);
  out["matches"] = matches_json<Json>(record.matches);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading. Every check names the field by its path; values are never echoed (I1).

std::string join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return fmt::format("{}.{}", path, key);
}

std::string indexed(std::string_view path, std::size_t index) {
  return fmt::format("{}[{}]", path, index);
}

// An unknown key comes from the input: show it only if it looks like a field name.
std::string printable_key(std::string_view key) {
  const bool plain =
      !key.empty() && key.size() <= 40 && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
      });
  return plain ? std::string(key) : std::string("<unprintable>");
}

std::unexpected<Error> field_error(std::string_view path, std::string_view what) {
  return fail("record field '{}': {}", path, what);
}

// Checks that `value` at `path` is an object whose keys are exactly `keys`.
Result<void> check_object(const json& value, std::string_view path,
                          std::initializer_list<std::string_view> keys) {
  if (!value.is_object()) {
    return path.empty() ? fail("record: expected a JSON object")
                        : field_error(path, "expected an object");
  }
  for (const auto& item : value.items()) {
    if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) {
      return fail("record field '{}' is not part of the record schema (v{})",
                  join(path, printable_key(item.key())), kRecordVersion);
    }
  }
  for (const std::string_view key : keys) {
    if (!value.contains(key)) return fail("record field '{}' is missing", join(path, key));
  }
  return {};
}

Result<std::string> read_string(const json& object, std::string_view path, std::string_view key,
                                bool non_empty = false) {
  const json& value = object[std::string(key)];
  if (!value.is_string()) return field_error(join(path, key), "expected a string");
  const auto& text = value.get_ref<const std::string&>();
  if (non_empty && text.empty()) return field_error(join(path, key), "must not be empty");
  return text;
}

Result<std::uint64_t> read_uint(const json& value, std::string_view path, std::uint64_t max) {
  std::uint64_t number = 0;
  if (value.is_number_unsigned()) {
    number = value.get<std::uint64_t>();
  } else if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    number = static_cast<std::uint64_t>(value.get<std::int64_t>());
  } else {
    return field_error(path, fmt::format("expected an integer 0..{}", max));
  }
  if (number > max) return field_error(path, fmt::format("expected an integer 0..{}", max));
  return number;
}

Result<AddressText> read_address(const json& value, std::string_view path) {
  if (!value.is_string()) return field_error(path, "expected an IP address string");
  auto address = parse_address_text(value.get_ref<const std::string&>());
  if (!address) return field_error(path, address.error().message);
  return *address;
}

// Exactly the form format_rfc3339_micros writes; the year is checked before conversion so
// that no text can overflow the nanosecond clock.
Result<Timestamp> read_time(const json& object, std::string_view key) {
  const json& value = object[std::string(key)];
  constexpr std::string_view kForm = "expected UTC time as YYYY-MM-DDThh:mm:ss.ffffffZ";
  if (!value.is_string()) return field_error(key, kForm);
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() != kTimeLength || text[19] != '.' || text[26] != 'Z')
    return field_error(key, kForm);
  int year = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + 4, year);
  if (error != std::errc{} || end != text.data() + 4 || year < kMinYear || year > kMaxYear) {
    return field_error(key, fmt::format("year outside {}..{}", kMinYear, kMaxYear));
  }
  auto parsed = parse_rfc3339(text);
  if (!parsed) return field_error(key, kForm);
  // Out-of-range days and leap seconds normalise forward (2261-12-31T23:59:60 is 2262): keep
  // only what writes back inside the range.
  if (parsed->nanos < 0 || parsed->seconds() >= kEndOfMaxYearSeconds) {
    return field_error(key, fmt::format("year outside {}..{}", kMinYear, kMaxYear));
  }
  return *parsed;
}

Result<Endpoint> read_endpoint(const json& object, std::string_view key) {
  const json& value = object[std::string(key)];
  if (auto ok = check_object(value, key, {"ip", "port", "country"}); !ok) return fail(ok.error());
  Endpoint endpoint;
  auto address = read_address(value["ip"], join(key, "ip"));
  if (!address) return fail(address.error());
  endpoint.ip = address->ip;
  endpoint.pseudonym_epoch = address->pseudonym_epoch;
  auto port = read_uint(value["port"], join(key, "port"), 65535);
  if (!port) return fail(port.error());
  endpoint.port = static_cast<std::uint16_t>(*port);
  const json& country = value["country"];
  if (!country.is_null()) {
    const bool valid = country.is_string() && is_country(country.get_ref<const std::string&>());
    if (!valid) return field_error(join(key, "country"), "expected two upper-case letters or null");
    endpoint.country = scope::CountryCode::from(country.get_ref<const std::string&>());
  }
  return endpoint;
}

Result<std::array<std::uint64_t, 2>> read_directions(const json& object, std::string_view key) {
  const json& value = object[std::string(key)];
  if (auto ok = check_object(value, key, {"fwd", "rev"}); !ok) return fail(ok.error());
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  auto forward = read_uint(value["fwd"], join(key, "fwd"), kMax);
  if (!forward) return fail(forward.error());
  auto reverse = read_uint(value["rev"], join(key, "rev"), kMax);
  if (!reverse) return fail(reverse.error());
  return std::array<std::uint64_t, 2>{*forward, *reverse};
}

// The array at object[key], checked against its cap.
Result<const json*> read_array(const json& object, std::string_view path, std::string_view key,
                               std::size_t cap) {
  const json& value = object[std::string(key)];
  if (!value.is_array()) return field_error(join(path, key), "expected an array");
  if (value.size() > cap) {
    return field_error(join(path, key), fmt::format("more than {} entries", cap));
  }
  return &value;
}

Result<DnsEntry> read_dns_entry(const json& value, const std::string& path) {
  if (auto ok = check_object(value, path, {"name", "type", "rcode", "answers"}); !ok) {
    return fail(ok.error());
  }
  DnsEntry entry;
  auto name = read_string(value, path, "name");
  if (!name) return fail(name.error());
  entry.name = std::move(*name);
  auto type = read_uint(value["type"], join(path, "type"), 65535);
  if (!type) return fail(type.error());
  entry.type = static_cast<std::uint16_t>(*type);
  if (!value["rcode"].is_null()) {
    auto rcode = read_uint(value["rcode"], join(path, "rcode"), 255);
    if (!rcode) return fail(rcode.error());
    entry.rcode = static_cast<std::uint8_t>(*rcode);
  }
  auto answers = read_array(value, path, "answers", decode::kMaxDnsAnswers);
  if (!answers) return fail(answers.error());
  for (std::size_t i = 0; i < (*answers)->size(); ++i) {
    const std::string answer_path = indexed(join(path, "answers"), i);
    auto address = read_address((**answers)[i], answer_path);
    if (!address) return fail(address.error());
    // One entry's answers are pseudonymized together (field_policy.h), under one epoch.
    if (i == 0) {
      entry.answers_pseudonym_epoch = address->pseudonym_epoch;
    } else if (address->pseudonym_epoch != entry.answers_pseudonym_epoch) {
      return field_error(answer_path,
                         "mixes clear addresses and pseudonyms (or epochs) in one entry");
    }
    entry.answers.push_back(address->ip);
  }
  return entry;
}

Result<std::optional<TlsInfo>> read_tls(const json& object) {
  const json& value = object["tls"];
  if (value.is_null()) return std::optional<TlsInfo>();
  if (auto ok = check_object(value, "tls", {"sni", "alpn", "version", "ja3", "ja3_hash", "ja4"});
      !ok) {
    return fail(ok.error());
  }
  TlsInfo tls;
  std::array<std::pair<std::string_view, std::string*>, 5> strings = {{{"sni", &tls.sni},
                                                                       {"version", &tls.version},
                                                                       {"ja3", &tls.ja3},
                                                                       {"ja3_hash", &tls.ja3_hash},
                                                                       {"ja4", &tls.ja4}}};
  for (auto& [key, target] : strings) {
    auto text = read_string(value, "tls", key);
    if (!text) return fail(text.error());
    *target = std::move(*text);
  }
  const json& alpn = value["alpn"];
  if (!alpn.is_array()) return field_error("tls.alpn", "expected an array");
  for (std::size_t i = 0; i < alpn.size(); ++i) {
    if (!alpn[i].is_string()) return field_error(indexed("tls.alpn", i), "expected a string");
    tls.alpn.push_back(alpn[i].get<std::string>());
  }
  return std::optional<TlsInfo>(std::move(tls));
}

Result<HttpInfo> read_http_entry(const json& value, const std::string& path) {
  if (auto ok = check_object(value, path, {"method", "host", "user_agent"}); !ok) {
    return fail(ok.error());
  }
  HttpInfo http;
  std::array<std::pair<std::string_view, std::string*>, 3> strings = {
      {{"method", &http.method}, {"host", &http.host}, {"user_agent", &http.user_agent}}};
  for (auto& [key, target] : strings) {
    auto text = read_string(value, path, key);
    if (!text) return fail(text.error());
    *target = std::move(*text);
  }
  return http;
}

Result<std::vector<std::uint8_t>> read_hex(const json& value, std::string_view path) {
  constexpr std::string_view kForm = "expected lower-case hex of at most 64 bytes";
  if (!value.is_string()) return field_error(path, kForm);
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() % 2 != 0 || text.size() > kMaxCommandBytes * 2) return field_error(path, kForm);
  std::vector<std::uint8_t> bytes;
  bytes.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const auto high = kHexDigits.find(text[i]);
    const auto low = kHexDigits.find(text[i + 1]);
    if (high == std::string_view::npos || low == std::string_view::npos) {
      return field_error(path, kForm);
    }
    bytes.push_back(static_cast<std::uint8_t>(high << 4 | low));
  }
  return bytes;
}

Result<std::vector<Measure>> read_measured(const json& value, std::string_view path) {
  if (!value.is_object()) return field_error(path, "expected an object");
  if (value.size() > kMaxMeasures) {
    return field_error(path, fmt::format("more than {} values", kMaxMeasures));
  }
  std::vector<Measure> measured;
  for (const auto& [name, number] : value.items()) {
    if (!is_measure_name(name)) {
      return field_error(path, fmt::format("'{}' is not a measure name ([a-z0-9_], at most {})",
                                           printable_key(name), kMaxMeasureNameLength));
    }
    if (!number.is_number() || !std::isfinite(number.get<double>())) {
      return field_error(join(path, name), "expected a finite number");
    }
    measured.push_back(Measure{name, number.get<double>()});
  }
  return measured;
}

Result<Match> read_match(const json& value, const std::string& path) {
  if (!value.is_object()) return field_error(path, "expected an object");
  const auto declared_kind = value.contains("kind") && value["kind"].is_string()
                                 ? parse_rule_kind(value["kind"].get_ref<const std::string&>())
                                 : std::nullopt;
  const bool is_bytes = declared_kind == RuleKind::bytes;
  const bool behaviour = declared_kind && is_behaviour(*declared_kind);
  auto ok = is_bytes    ? check_object(value, path, {"rule", "kind", "command_hex"})
            : behaviour ? check_object(value, path, {"rule", "kind", "measured"})
                        : check_object(value, path, {"rule", "kind"});
  if (!ok) return fail(ok.error());
  Match match;
  auto rule = read_string(value, path, "rule", /*non_empty=*/true);
  if (!rule) return fail(rule.error());
  match.rule = std::move(*rule);
  const json& kind = value["kind"];
  const auto parsed_kind =
      kind.is_string() ? parse_rule_kind(kind.get_ref<const std::string&>()) : std::nullopt;
  if (!parsed_kind) return field_error(join(path, "kind"), "expected a rule kind");
  match.kind = *parsed_kind;
  if (is_bytes) {
    auto command = read_hex(value["command_hex"], join(path, "command_hex"));
    if (!command) return fail(command.error());
    match.command = std::move(*command);
  }
  if (behaviour && value.contains("measured")) {
    auto measured = read_measured(value["measured"], join(path, "measured"));
    if (!measured) return fail(measured.error());
    match.measured = std::move(*measured);
  }
  return match;
}

// Reads each element of the array at record[key] with `read_one`, appending to `out`.
template <class T, class ReadOne>
Result<void> read_list(const json& record, std::string_view key, std::size_t cap,
                       std::vector<T>& out, ReadOne read_one) {
  auto array = read_array(record, "", key, cap);
  if (!array) return fail(array.error());
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    auto item = read_one((**array)[i], indexed(key, i));
    if (!item) return fail(item.error());
    out.push_back(std::move(*item));
  }
  return {};
}

Result<void> read_header(const json& value, Record& record) {
  auto version = read_uint(value["v"], "v", std::numeric_limits<std::uint64_t>::max());
  if (!version || *version < static_cast<std::uint64_t>(kOldestRecordVersion) ||
      *version > static_cast<std::uint64_t>(kRecordVersion)) {
    return field_error("v", fmt::format("unsupported record version (this build reads {}..{})",
                                        kOldestRecordVersion, kRecordVersion));
  }
  auto sensor = read_string(value, "", "sensor", /*non_empty=*/true);
  if (!sensor) return fail(sensor.error());
  record.sensor = std::move(*sensor);
  auto flow = read_string(value, "", "flow");
  if (!flow) return fail(flow.error());
  if (flow->size() != kFlowIdDigits || !is_hex(*flow)) {
    return field_error("flow", fmt::format("expected {} hex digits", kFlowIdDigits));
  }
  record.flow_id = std::move(*flow);
  const json& category = value["category"];
  const auto parsed_category = category.is_string()
                                   ? scope::parse_category(category.get_ref<const std::string&>())
                                   : std::nullopt;
  if (!parsed_category) return field_error("category", "expected FF, FD, DF or DD");
  record.category = *parsed_category;
  auto first = read_time(value, "first_seen");
  if (!first) return fail(first.error());
  auto last = read_time(value, "last_seen");
  if (!last) return fail(last.error());
  if (*last < *first) return field_error("last_seen", "before first_seen");
  record.first_seen = *first;
  record.last_seen = *last;
  const json& proto = value["proto"];
  const auto protocol =
      proto.is_string() ? parse_protocol_name(proto.get_ref<const std::string&>()) : std::nullopt;
  if (!protocol) return field_error("proto", "expected a protocol name or number 0..255");
  record.protocol = *protocol;
  return {};
}

Result<void> read_counters(const json& value, Record& record) {
  auto src = read_endpoint(value, "src");
  if (!src) return fail(src.error());
  record.src = *src;
  auto dst = read_endpoint(value, "dst");
  if (!dst) return fail(dst.error());
  record.dst = *dst;
  auto packets = read_directions(value, "packets");
  if (!packets) return fail(packets.error());
  record.packets = *packets;
  auto bytes = read_directions(value, "bytes");
  if (!bytes) return fail(bytes.error());
  record.bytes = *bytes;
  const json& flags = value["tcp_flags"];
  const auto parsed_flags =
      flags.is_string() ? parse_tcp_flags(flags.get_ref<const std::string&>()) : std::nullopt;
  if (!parsed_flags) return field_error("tcp_flags", "expected letters of SAFPRUEC");
  record.tcp_flags = *parsed_flags;
  return {};
}

}  // namespace

json record_to_json(const Record& record) { return build_json<json>(record); }

std::string record_to_json_line(const Record& record) {
  std::string line;
  line.reserve(512);
  append_record_json_line(record, line);
  return line;
}

void append_record_json_line(const Record& record, std::string& out) {
  if (!write_record_line_fast(record, out)) out += record_to_json_line_reference(record);
}

std::string record_to_json_line_reference(const Record& record) {
  return build_json<nlohmann::ordered_json>(record).dump(
      -1, ' ', /*ensure_ascii=*/false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<Record> record_from_json(const json& value) {
  if (auto ok = check_object(
          value, "",
          {"v", "sensor", "flow", "category", "first_seen", "last_seen", "proto", "src", "dst",
           "packets", "bytes", "tcp_flags", "dns", "tls", "http", "matches"});
      !ok) {
    return fail(ok.error());
  }
  Record record;
  if (auto ok = read_header(value, record); !ok) return fail(ok.error());
  if (auto ok = read_counters(value, record); !ok) return fail(ok.error());
  if (auto ok = read_list(value, "dns", kMaxDnsEntries, record.dns, read_dns_entry); !ok) {
    return fail(ok.error());
  }
  auto tls = read_tls(value);
  if (!tls) return fail(tls.error());
  record.tls = std::move(*tls);
  if (auto ok = read_list(value, "http", kMaxHttpEntries, record.http, read_http_entry); !ok) {
    return fail(ok.error());
  }
  if (auto ok = read_list(value, "matches", kMaxMatches, record.matches, read_match); !ok) {
    return fail(ok.error());
  }
  return record;
}

Result<void> validate_record(const Record& record) {
  if (record.sensor.empty()) return field_error("sensor", "must not be empty");
  if (record.flow_id.size() != kFlowIdDigits || !is_hex(record.flow_id)) {
    return field_error("flow", fmt::format("expected {} hex digits", kFlowIdDigits));
  }
  for (const auto& [key, time] :
       {std::pair{"first_seen", record.first_seen}, std::pair{"last_seen", record.last_seen}}) {
    if (time.nanos < 0 || time.seconds() >= kEndOfMaxYearSeconds) {
      return field_error(key, fmt::format("year outside {}..{}", kMinYear, kMaxYear));
    }
  }
  if (record.last_seen.micros() < record.first_seen.micros()) {
    return field_error("last_seen", "before first_seen");
  }
  for (const auto& [key, endpoint] :
       {std::pair{"src", &record.src}, std::pair{"dst", &record.dst}}) {
    if (endpoint->country.known() && !is_country(endpoint->country.to_string())) {
      return field_error(join(key, "country"), "expected two upper-case letters or unknown");
    }
  }
  const std::size_t matches = std::min(record.matches.size(), kMaxMatches);
  for (std::size_t i = 0; i < matches; ++i) {
    const Match& match = record.matches[i];
    if (match.rule.empty()) {
      return field_error(join(indexed("matches", i), "rule"), "must not be empty");
    }
    const std::string measured_path = join(indexed("matches", i), "measured");
    if (!match.measured.empty() && !is_behaviour(match.kind)) {
      return field_error(measured_path, "only behaviour matches carry measured values");
    }
    if (match.measured.size() > kMaxMeasures) {
      return field_error(measured_path, fmt::format("more than {} values", kMaxMeasures));
    }
    for (std::size_t m = 0; m < match.measured.size(); ++m) {
      const Measure& measure = match.measured[m];
      if (!is_measure_name(measure.name) || !std::isfinite(measure.value)) {
        return field_error(measured_path, "a name that is not [a-z0-9_] or a value not finite");
      }
      // Sorted by name, each once: the order a reader gives back, so records round-trip.
      if (m > 0 && !(match.measured[m - 1].name < measure.name)) {
        return field_error(join(measured_path, measure.name), "out of name order or given twice");
      }
    }
  }
  return {};
}

Result<Record> record_from_json_line_reference(std::string_view line) {
  const json value = json::parse(line, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return fail("record: not valid JSON");
  return record_from_json(value);
}

// The fast reader decides the lines it can prove the reference reader would accept, with the
// same result; every other line, and so every error, goes through the reference reader.
Result<Record> record_from_json_line(std::string_view line) {
  Record record;
  if (read_record_line_fast(line, record)) return record;
  return record_from_json_line_reference(line);
}

Result<void> record_from_json_line(std::string_view line, Record& out) {
  if (read_record_line_fast(line, out)) return {};
  auto record = record_from_json_line_reference(line);
  if (!record) return fail(record.error());
  out = std::move(*record);
  return {};
}

}  // namespace mamori::sieve
