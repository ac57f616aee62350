#include "mamori/sieve/record_json.h"

#include <limits>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mamori/decode/app.h"

namespace mamori::sieve {
namespace {

using nlohmann::json;

IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }

// 2026-11-22T02:37:19Z and 2026-11-22T02:38:00Z, computed with Python's calendar.timegm.
constexpr std::int64_t kFirstSeconds = 1795315039;
constexpr std::int64_t kLastSeconds = 1795315080;

Record full_record() {
  Record r;
  r.sensor = "gw-1";
  r.flow_id = "0123456789abcdef0123456789abcdef";
  r.category = scope::Category::FD;
  r.first_seen = Timestamp{kFirstSeconds * 1'000'000'000 + 123'456'000};
  r.last_seen = Timestamp{kLastSeconds * 1'000'000'000 + 1'000};
  r.protocol = 6;
  r.src = {ip("198.51.100.7"), 51234, scope::CountryCode::from("US")};
  r.dst = {ip("133.242.0.9"), 443, scope::kJapan};
  r.packets = {12, 10};
  r.bytes = {3400, 18000};
  r.tcp_flags = 0x02 | 0x10 | 0x01 | 0x08;  // SYN ACK FIN PSH
  r.dns = {{"c2.example.net", 1, 0, {ip("203.0.113.5"), ip("2001:db8::5")}},
           {"x.example", 28, std::nullopt, {}}};
  // JA3 string and its MD5 (hashlib.md5) as an example value.
  r.tls = TlsInfo{"c2.example.net",
                  {"h2", "http/1.1"},
                  "1.3",
                  "771,4865-4866,0-23-65281,29-23-24,0",
                  "3a366762f6c191d06acf4daf46ecd6ca",
                  "t13d1516h2_8daaf6152771_e5627efa2ab1"};
  r.http = {{"GET", "c2.example.net", "curl/8.0"}};
  r.matches = {{"c2-ip-1", RuleKind::ip, {}}, {"cmd-1", RuleKind::bytes, {0xde, 0xad, 0xbe, 0xef}}};
  return r;
}

constexpr std::string_view kFullLine =
    R"({"v":3,"sensor":"gw-1","flow":"0123456789abcdef0123456789abcdef","category":"FD",)"
    R"("first_seen":"2026-11-22T02:37:19.123456Z","last_seen":"2026-11-22T02:38:00.000001Z",)"
    R"("proto":"tcp","src":{"ip":"198.51.100.7","port":51234,"country":"US"},)"
    R"("dst":{"ip":"133.242.0.9","port":443,"country":"JP"},"packets":{"fwd":12,"rev":10},)"
    R"("bytes":{"fwd":3400,"rev":18000},"tcp_flags":"SAFP",)"
    R"("dns":[{"name":"c2.example.net","type":1,"rcode":0,"answers":["203.0.113.5","2001:db8::5"]},)"
    R"({"name":"x.example","type":28,"rcode":null,"answers":[]}],)"
    R"("tls":{"sni":"c2.example.net","alpn":["h2","http/1.1"],"version":"1.3",)"
    R"("ja3":"771,4865-4866,0-23-65281,29-23-24,0","ja3_hash":"3a366762f6c191d06acf4daf46ecd6ca",)"
    R"("ja4":"t13d1516h2_8daaf6152771_e5627efa2ab1"},)"
    R"("http":[{"method":"GET","host":"c2.example.net","user_agent":"curl/8.0"}],)"
    R"("matches":[{"rule":"c2-ip-1","kind":"ip"},{"rule":"cmd-1","kind":"bytes","command_hex":"deadbeef"}]})";

Record minimal_record() {
  Record r;
  r.sensor = "s";
  r.flow_id = "ffffffffffffffffffffffffffffffff";
  r.category = scope::Category::FF;
  r.first_seen = Timestamp::from_seconds(kFirstSeconds);
  r.last_seen = r.first_seen;
  r.protocol = 47;  // GRE: no name, written as its number
  r.src = {ip("2001:db8::1"), 0, {}};
  r.dst = {ip("2001:db8:ffff::2"), 0, {}};
  return r;
}

constexpr std::string_view kMinimalLine =
    R"({"v":3,"sensor":"s","flow":"ffffffffffffffffffffffffffffffff","category":"FF",)"
    R"("first_seen":"2026-11-22T02:37:19.000000Z","last_seen":"2026-11-22T02:37:19.000000Z",)"
    R"("proto":"47","src":{"ip":"2001:db8::1","port":0,"country":null},)"
    R"("dst":{"ip":"2001:db8:ffff::2","port":0,"country":null},"packets":{"fwd":0,"rev":0},)"
    R"("bytes":{"fwd":0,"rev":0},"tcp_flags":"","dns":[],"tls":null,"http":[],"matches":[]})";

// Parses kFullLine, applies `edit`, and returns the reader's verdict.
template <class Edit>
Result<Record> read_edited(Edit edit) {
  json value = json::parse(kFullLine);
  edit(value);
  return record_from_json(value);
}

TEST(RecordJson, SerializesFullRecordExactly) {
  EXPECT_EQ(record_to_json_line(full_record()), kFullLine);
}

TEST(RecordJson, SerializesMinimalRecordExactly) {
  EXPECT_EQ(record_to_json_line(minimal_record()), kMinimalLine);
}

TEST(RecordJson, RoundTripsThroughLineAndValue) {
  for (const Record& record : {full_record(), minimal_record()}) {
    auto from_line = record_from_json_line(record_to_json_line(record));
    ASSERT_TRUE(from_line) << from_line.error().message;
    EXPECT_EQ(*from_line, record);
    auto from_value = record_from_json(record_to_json(record));
    ASSERT_TRUE(from_value) << from_value.error().message;
    EXPECT_EQ(*from_value, record);
  }
}

TEST(RecordJson, SortedAndOrderedFormsHoldTheSameContent) {
  EXPECT_EQ(record_to_json(full_record()), json::parse(kFullLine));
}

TEST(RecordJson, UnicodeSurvivesRoundTrip) {
  Record record = full_record();
  record.tls->sni = "例え.テスト";
  record.http[0].user_agent = "Mozilla/5.0 (日本語; ü)";
  const std::string line = record_to_json_line(record);
  EXPECT_NE(line.find("例え.テスト"), std::string::npos);  // UTF-8 as is, not \u escapes
  auto back = record_from_json_line(line);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, record);
}

TEST(RecordJson, InvalidUtf8IsReplacedNotThrown) {
  Record record = minimal_record();
  record.http = {{"GET",
                  "a\xff\xfe"
                  "b",
                  "x\xc3"}};
  std::string line;
  ASSERT_NO_THROW(line = record_to_json_line(record));
  auto back = record_from_json_line(line);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->http[0].host,
            "a\xef\xbf\xbd\xef\xbf\xbd"
            "b");  // two U+FFFD
}

TEST(RecordJson, TruncatesBelowMicroseconds) {
  Record record = minimal_record();
  record.first_seen = Timestamp{kFirstSeconds * 1'000'000'000 + 999'999'999};
  record.last_seen = record.first_seen;
  auto back = record_from_json_line(record_to_json_line(record));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->first_seen.nanos, kFirstSeconds * 1'000'000'000 + 999'999'000);
}

TEST(RecordJson, WritingEnforcesCaps) {
  Record record = minimal_record();
  record.matches = {{"b", RuleKind::bytes, std::vector<std::uint8_t>(kMaxCommandBytes + 30, 0xab)}};
  for (int i = 0; i < 12; ++i) record.dns.push_back({"d.example", 1, 0, {}});
  record.dns[0].answers.assign(decode::kMaxDnsAnswers + 5, ip("192.0.2.1"));
  for (int i = 0; i < 7; ++i) record.http.push_back({"GET", "h", "u"});
  for (int i = 0; i < 11; ++i) record.matches.push_back({"r", RuleKind::port, {}});
  const json value = json::parse(record_to_json_line(record));
  std::string expected_hex;
  for (std::size_t i = 0; i < kMaxCommandBytes; ++i) expected_hex += "ab";
  EXPECT_EQ(value["matches"][0]["command_hex"], expected_hex);
  EXPECT_EQ(value["dns"].size(), kMaxDnsEntries);
  EXPECT_EQ(value["dns"][0]["answers"].size(), decode::kMaxDnsAnswers);
  EXPECT_EQ(value["http"].size(), kMaxHttpEntries);
  EXPECT_EQ(value["matches"].size(), kMaxMatches);
  // What was written is readable again: the caps of writer and reader agree.
  auto back = record_from_json(value);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->matches[0].command.size(), kMaxCommandBytes);
}

TEST(RecordJson, CommandHexOnlyForBytesMatches) {
  Record record = minimal_record();
  record.matches = {{"ip-rule", RuleKind::ip, {0x01, 0x02}}, {"empty-bytes", RuleKind::bytes, {}}};
  const json value = json::parse(record_to_json_line(record));
  EXPECT_FALSE(value["matches"][0].contains("command_hex"));
  EXPECT_EQ(value["matches"][1]["command_hex"], "");
}

Record behaviour_record() {
  Record record = minimal_record();
  record.matches = {
      {"scan-wide",
       RuleKind::scan,
       {},
       {{"failed_ratio", 0.96}, {"min_targets", 64}, {"targets", 73}, {"window_s", 60}}},
      {"c2-ip", RuleKind::ip, {}, {}}};
  return record;
}

TEST(RecordJson, BehaviourMatchesCarryTheirMeasuredValues) {
  const Record record = behaviour_record();
  const std::string line = record_to_json_line(record);
  EXPECT_NE(
      line.find(
          R"({"rule":"scan-wide","kind":"scan","measured":{"failed_ratio":0.96,"min_targets":64,)"
          R"("targets":73,"window_s":60}})"),
      std::string::npos)
      << line;
  EXPECT_NE(line.find(R"({"rule":"c2-ip","kind":"ip"})"), std::string::npos) << line;
  auto back = record_from_json_line(line);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->matches[0].measured.size(), 4u);
  EXPECT_EQ(*back, record);
}

TEST(RecordJson, MeasuredValuesAreCheckedOnReadAndWrite) {
  const json value = json::parse(record_to_json_line(behaviour_record()));
  struct Case {
    std::string pointer;
    json replacement;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"/matches/0/measured", json::array(), "matches[0].measured"},
      {"/matches/0/measured/targets", "73", "matches[0].measured.targets"},
      {"/matches/0/measured/Bad-Name", 1, "matches[0].measured"},
      {"/matches/1/measured", json::object(), "matches[1].measured"},  // not a behaviour match
  };
  for (const auto& c : cases) {
    json edited = value;
    edited[json::json_pointer(c.pointer)] = c.replacement;
    auto result = record_from_json(edited);
    ASSERT_FALSE(result) << c.pointer;
    EXPECT_NE(result.error().message.find("'" + c.field + "'"), std::string::npos)
        << c.pointer << ": " << result.error().message;
  }
  json too_many = value;
  for (int i = 0; i < 9; ++i) too_many["matches"][0]["measured"][fmt::format("m{}", i)] = i;
  EXPECT_FALSE(record_from_json(too_many));

  Record record = behaviour_record();
  record.matches[0].measured[1].value = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(validate_record(record));
  record = behaviour_record();
  record.matches[0].measured[1].name = "targets";
  auto twice = validate_record(record);
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("given twice"), std::string::npos);
  record = behaviour_record();
  std::swap(record.matches[0].measured[0], record.matches[0].measured[3]);
  EXPECT_FALSE(validate_record(record));
  record = behaviour_record();
  record.matches[1].measured = {{"x", 1}};
  EXPECT_FALSE(validate_record(record));
}

// I2: the schema is closed; a reader refuses any key the format does not define, at any depth.
TEST(Invariant_I2, RecordJsonRejectsUnknownFields) {
  struct Case {
    json::json_pointer where;
    std::string key;
    std::string expected_field;
  };
  const Case cases[] = {
      {json::json_pointer(""), "url", "url"},
      {json::json_pointer(""), "payload", "payload"},
      {json::json_pointer("/src"), "mac", "src.mac"},
      {json::json_pointer("/packets"), "total", "packets.total"},
      {json::json_pointer("/tls"), "subject", "tls.subject"},
      {json::json_pointer("/dns/1"), "txt", "dns[1].txt"},
      {json::json_pointer("/http/0"), "path", "http[0].path"},
      {json::json_pointer("/matches/0"), "command_hex", "matches[0].command_hex"},
      {json::json_pointer("/matches/1"), "context", "matches[1].context"},
  };
  for (const auto& c : cases) {
    auto result = read_edited([&](json& v) { v[c.where][c.key] = "x"; });
    ASSERT_FALSE(result) << c.expected_field;
    EXPECT_NE(result.error().message.find("'" + c.expected_field + "'"), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("not part of the record schema"), std::string::npos);
  }
}

TEST(Invariant_I2, RecordJsonDoesNotEchoOddUnknownKeys) {
  auto result = read_edited([](json& v) { v["GET /secret?q=CANARY HTTP/1.1"] = 1; });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message.find("CANARY"), std::string::npos) << result.error().message;
}

void collect_paths(const json& value, const std::string& path, std::set<std::string>& out) {
  if (value.is_object()) {
    for (const auto& item : value.items()) {
      const std::string child = path.empty() ? item.key() : path + "." + item.key();
      out.insert(child);
      collect_paths(item.value(), child, out);
    }
  } else if (value.is_array()) {
    for (const auto& element : value) collect_paths(element, path + "[]", out);
  }
}

// I2: the set of keys a record can carry is exactly the documented set (record_json.h).
TEST(Invariant_I2, RecordSchemaIsClosed) {
  const std::set<std::string> documented = {"v",
                                            "sensor",
                                            "flow",
                                            "category",
                                            "first_seen",
                                            "last_seen",
                                            "proto",
                                            "src",
                                            "src.ip",
                                            "src.port",
                                            "src.country",
                                            "dst",
                                            "dst.ip",
                                            "dst.port",
                                            "dst.country",
                                            "packets",
                                            "packets.fwd",
                                            "packets.rev",
                                            "bytes",
                                            "bytes.fwd",
                                            "bytes.rev",
                                            "tcp_flags",
                                            "dns",
                                            "dns[].name",
                                            "dns[].type",
                                            "dns[].rcode",
                                            "dns[].answers",
                                            "tls",
                                            "tls.sni",
                                            "tls.alpn",
                                            "tls.version",
                                            "tls.ja3",
                                            "tls.ja3_hash",
                                            "tls.ja4",
                                            "http",
                                            "http[].method",
                                            "http[].host",
                                            "http[].user_agent",
                                            "matches",
                                            "matches[].rule",
                                            "matches[].kind",
                                            "matches[].command_hex"};
  std::set<std::string> emitted;
  collect_paths(record_to_json(full_record()), "", emitted);
  EXPECT_EQ(emitted, documented);

  // Every top-level key is present even when its value is empty, so the line's key set is
  // a constant of the version.
  std::set<std::string> top_full, top_minimal;
  const json full = record_to_json(full_record());
  const json minimal = record_to_json(minimal_record());
  for (const auto& item : full.items()) top_full.insert(item.key());
  for (const auto& item : minimal.items()) top_minimal.insert(item.key());
  EXPECT_EQ(top_full, top_minimal);
  EXPECT_EQ(top_full.size(), 16u);
}

TEST(RecordJson, RejectsMissingFieldsNamingThem) {
  const json full = json::parse(kFullLine);
  for (const auto& item : full.items()) {
    json value = full;
    value.erase(item.key());
    auto result = record_from_json(value);
    ASSERT_FALSE(result) << item.key();
    EXPECT_NE(result.error().message.find("'" + item.key() + "' is missing"), std::string::npos)
        << result.error().message;
  }
  auto nested = read_edited([](json& v) { v["dns"][0].erase("rcode"); });
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().message.find("'dns[0].rcode' is missing"), std::string::npos);
}

TEST(RecordJson, RejectsWrongTypesNamingTheField) {
  struct Case {
    std::string pointer;
    json value;
    std::string field;
  };
  const Case cases[] = {
      {"/v", "1", "v"},
      {"/v", 4, "v"},
      {"/v", 0, "v"},
      {"/src/ip", "p0:198.51.100.7", "src.ip"},
      {"/src/ip", "p2:", "src.ip"},
      {"/src/ip", "p:198.51.100.7", "src.ip"},
      {"/src/ip", "p4294967296:198.51.100.7", "src.ip"},
      {"/dst/ip", "P2:133.242.0.9", "dst.ip"},
      {"/sensor", 7, "sensor"},
      {"/sensor", "", "sensor"},
      {"/flow", "abc", "flow"},
      {"/flow", "0123456789abcdef0123456789abcdeg", "flow"},
      {"/category", "XX", "category"},
      {"/category", 1, "category"},
      {"/first_seen", 1795315039, "first_seen"},
      {"/first_seen", "2026-11-22T02:37:19Z", "first_seen"},
      {"/first_seen", "2026-11-22T02:37:19.123456+09:00", "first_seen"},
      {"/first_seen", "9999-11-22T02:37:19.123456Z", "first_seen"},
      {"/first_seen", "2026-13-22T02:37:19.123456Z", "first_seen"},
      {"/last_seen", "2026-11-22T02:37:19.123455Z", "last_seen"},  // before first_seen
      {"/proto", 6, "proto"},
      {"/proto", "6", "proto"},
      {"/proto", "256", "proto"},
      {"/proto", "047", "proto"},
      {"/src", "198.51.100.7", "src"},
      {"/src/ip", "198.51.100.300", "src.ip"},
      {"/src/ip", 1, "src.ip"},
      {"/src/port", 65536, "src.port"},
      {"/src/port", -1, "src.port"},
      {"/src/port", 1.5, "src.port"},
      {"/dst/country", "jp", "dst.country"},
      {"/dst/country", "JPN", "dst.country"},
      {"/packets/fwd", "12", "packets.fwd"},
      {"/bytes/rev", -5, "bytes.rev"},
      {"/tcp_flags", "SAX", "tcp_flags"},
      {"/tcp_flags", "SS", "tcp_flags"},
      {"/tcp_flags", 27, "tcp_flags"},
      {"/dns", json::object(), "dns"},
      {"/dns/0", "c2.example.net", "dns[0]"},
      {"/dns/0/name", 5, "dns[0].name"},
      {"/dns/0/type", 65536, "dns[0].type"},
      {"/dns/1/rcode", 256, "dns[1].rcode"},
      {"/dns/0/answers/1", "not-an-ip", "dns[0].answers[1]"},
      {"/tls", "c2.example.net", "tls"},
      {"/tls/alpn", "h2", "tls.alpn"},
      {"/tls/alpn/1", 2, "tls.alpn[1]"},
      {"/tls/ja4", nullptr, "tls.ja4"},
      {"/http", nullptr, "http"},
      {"/http/0/user_agent", json::array(), "http[0].user_agent"},
      {"/matches/0/rule", "", "matches[0].rule"},
      {"/matches/0/kind", "regex", "matches[0].kind"},
      {"/matches/1/command_hex", "DEADBEEF", "matches[1].command_hex"},
      {"/matches/1/command_hex", "abc", "matches[1].command_hex"},
      {"/matches/1/command_hex", std::string(kMaxCommandBytes * 2 + 2, 'a'),
       "matches[1].command_hex"},
  };
  for (const auto& c : cases) {
    auto result = read_edited([&](json& v) { v[json::json_pointer(c.pointer)] = c.value; });
    ASSERT_FALSE(result) << c.pointer << " = " << c.value.dump();
    EXPECT_NE(result.error().message.find("'" + c.field + "'"), std::string::npos)
        << c.pointer << ": " << result.error().message;
  }
}

TEST(RecordJson, RejectsListsOverTheirCaps) {
  struct Case {
    std::string key;
    std::size_t cap;
  };
  for (const auto& [key, cap] :
       {Case{"dns", kMaxDnsEntries}, Case{"http", kMaxHttpEntries}, Case{"matches", kMaxMatches}}) {
    auto at_cap = read_edited([&](json& v) {
      const json first = v[key][0];
      v[key] = json::array();
      for (std::size_t i = 0; i < cap; ++i) v[key].push_back(first);
    });
    EXPECT_TRUE(at_cap) << key << ": " << at_cap.error().message;
    auto over = read_edited([&](json& v) {
      while (v[key].size() <= cap) v[key].push_back(v[key][0]);
    });
    ASSERT_FALSE(over) << key;
    EXPECT_NE(over.error().message.find("'" + key + "'"), std::string::npos);
  }
  auto answers = read_edited([](json& v) {
    v["dns"][0]["answers"] = json::array();
    for (std::size_t i = 0; i <= decode::kMaxDnsAnswers; ++i)
      v["dns"][0]["answers"].push_back("192.0.2.1");
  });
  ASSERT_FALSE(answers);
  EXPECT_NE(answers.error().message.find("'dns[0].answers'"), std::string::npos);
}

TEST(RecordJson, PseudonymizedAddressesCarryTheirEpochInTheText) {
  Record record = full_record();
  record.dst.pseudonym_epoch = 3;
  record.dns[0].answers_pseudonym_epoch = 7;
  const json value = json::parse(record_to_json_line(record));
  EXPECT_EQ(value["dst"]["ip"], "p3:133.242.0.9");
  EXPECT_EQ(value["src"]["ip"], "198.51.100.7");  // clear: no mark
  EXPECT_EQ(value["dns"][0]["answers"], json::parse(R"(["p7:203.0.113.5","p7:2001:db8::5"])"));
  auto back = record_from_json(value);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, record);
  EXPECT_TRUE(back->dst.pseudonymized());
  EXPECT_FALSE(back->src.pseudonymized());
}

TEST(RecordJson, ReadsVersionOneRecords) {
  auto record = read_edited([](json& v) { v["v"] = 1; });
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(*record, full_record());
}

TEST(RecordJson, OneDnsEntryNeverMixesClearAndPseudonymousAnswers) {
  for (const char* second : {"2001:db8::5", "p8:2001:db8::5"}) {
    auto mixed = read_edited([&](json& v) {
      v["dns"][0]["answers"] = json::array({"p7:203.0.113.5", second});
    });
    ASSERT_FALSE(mixed) << second;
    EXPECT_NE(mixed.error().message.find("'dns[0].answers[1]'"), std::string::npos)
        << mixed.error().message;
  }
}

TEST(RecordHelpers, AddressTextRoundTrips) {
  for (const auto& [text, epoch] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"192.0.2.1", 0}, {"p1:192.0.2.1", 1}, {"p4294967295:2001:db8::1", 4294967295u}}) {
    auto parsed = parse_address_text(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(parsed->pseudonym_epoch, epoch);
    EXPECT_EQ(address_text(parsed->ip, parsed->pseudonym_epoch), text);
  }
  for (const char* bad : {"", "p", "p1", "p01:192.0.2.1", "p1:", "p1:p1:192.0.2.1", "x1:1.2.3.4"}) {
    EXPECT_FALSE(parse_address_text(bad)) << bad;
  }
}

// I1: errors name the field, never the value (which may be an address or hostile bytes).
TEST(RecordJson, ErrorsNeverEchoValues) {
  for (const char* pointer : {"/src/ip", "/dns/0/answers/0", "/flow", "/first_seen", "/proto",
                              "/dst/country", "/matches/1/command_hex", "/tcp_flags"}) {
    auto result =
        read_edited([&](json& v) { v[json::json_pointer(pointer)] = "CANARY-203.0.113.99"; });
    ASSERT_FALSE(result) << pointer;
    EXPECT_EQ(result.error().message.find("CANARY"), std::string::npos) << result.error().message;
    EXPECT_EQ(result.error().message.find("203.0.113"), std::string::npos);
  }
}

TEST(RecordJson, TimesStayInsideTheRepresentableRange) {
  auto last_second = read_edited([](json& v) {
    v["first_seen"] = "2261-12-31T23:59:59.999999Z";
    v["last_seen"] = "2261-12-31T23:59:59.999999Z";
  });
  ASSERT_TRUE(last_second) << last_second.error().message;
  EXPECT_EQ(format_rfc3339_micros(last_second->last_seen), "2261-12-31T23:59:59.999999Z");
  // A leap second on the last day normalises into 2262, which could not be written back.
  auto leap = read_edited([](json& v) { v["last_seen"] = "2261-12-31T23:59:60.000000Z"; });
  ASSERT_FALSE(leap);
  EXPECT_NE(leap.error().message.find("'last_seen'"), std::string::npos);
  auto early = read_edited([](json& v) { v["first_seen"] = "1969-12-31T23:59:59.000000Z"; });
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().message.find("'first_seen'"), std::string::npos);
}

TEST(RecordJson, ValidateRecordNamesWhatTheReaderWouldRefuse) {
  EXPECT_TRUE(validate_record(full_record()));
  EXPECT_TRUE(validate_record(minimal_record()));
  struct Case {
    void (*edit)(Record&);
    const char* field;
  };
  const Case cases[] = {
      {[](Record& r) { r.sensor.clear(); }, "sensor"},
      {[](Record& r) { r.flow_id = "f-1"; }, "flow"},
      {[](Record& r) { r.flow_id = std::string(32, 'g'); }, "flow"},
      {[](Record& r) { r.first_seen = Timestamp{-1}; }, "first_seen"},
      {[](Record& r) { r.last_seen = Timestamp::from_seconds(9'214'646'400); }, "last_seen"},
      {[](Record& r) { r.last_seen = r.first_seen - Duration{1000}; }, "last_seen"},
      {[](Record& r) { r.src.country = scope::CountryCode::from("j1"); }, "src.country"},
      {[](Record& r) { r.matches[1].rule.clear(); }, "matches[1].rule"},
  };
  for (const auto& c : cases) {
    Record record = full_record();
    c.edit(record);
    auto result = validate_record(record);
    ASSERT_FALSE(result) << c.field;
    EXPECT_NE(result.error().message.find(std::string("'") + c.field + "'"), std::string::npos)
        << result.error().message;
  }
  // Whatever validates is read back as written.
  Record record = full_record();
  record.last_seen = record.first_seen + Duration{999};  // same microsecond: still in order
  ASSERT_TRUE(validate_record(record));
  EXPECT_TRUE(record_from_json_line(record_to_json_line(record)));
}

TEST(RecordJson, LineReaderRejectsNonJsonAndNonObjects) {
  EXPECT_FALSE(record_from_json_line(""));
  EXPECT_FALSE(record_from_json_line("{"));
  EXPECT_FALSE(record_from_json_line(std::string(kFullLine) + "x"));
  auto array = record_from_json_line("[1]");
  ASSERT_FALSE(array);
  EXPECT_NE(array.error().message.find("object"), std::string::npos);
  EXPECT_TRUE(record_from_json_line(std::string(kFullLine) + "\n"));
}

TEST(RecordHelpers, RuleKindNamesRoundTrip) {
  for (auto kind : {RuleKind::ip, RuleKind::domain, RuleKind::port, RuleKind::ja3, RuleKind::ja4,
                    RuleKind::bytes, RuleKind::scan, RuleKind::amplification, RuleKind::beacon}) {
    EXPECT_EQ(parse_rule_kind(to_string(kind)), kind);
    EXPECT_EQ(is_behaviour(kind), kind == RuleKind::scan || kind == RuleKind::amplification ||
                                      kind == RuleKind::beacon);
  }
  EXPECT_EQ(to_string(RuleKind::domain), "domain");
  EXPECT_EQ(parse_rule_kind("Bytes"), std::nullopt);
  EXPECT_EQ(parse_rule_kind(""), std::nullopt);
}

TEST(RecordHelpers, ProtocolNames) {
  EXPECT_EQ(protocol_name(6), "tcp");
  EXPECT_EQ(protocol_name(17), "udp");
  EXPECT_EQ(protocol_name(1), "icmp");
  EXPECT_EQ(protocol_name(58), "icmpv6");
  EXPECT_EQ(protocol_name(47), "47");
  EXPECT_EQ(protocol_name(0), "0");
  for (int p = 0; p < 256; ++p) {
    const auto protocol = static_cast<std::uint8_t>(p);
    EXPECT_EQ(parse_protocol_name(protocol_name(protocol)), protocol);
  }
  for (const char* bad : {"", "TCP", "6", "17", "256", "-1", "+4", "04", "1x", "icmp6"}) {
    EXPECT_EQ(parse_protocol_name(bad), std::nullopt) << bad;
  }
}

TEST(RecordHelpers, TcpFlagLetters) {
  // RFC 9293 §3.1: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20; RFC 3168:
  // ECE 0x40, CWR 0x80.
  EXPECT_EQ(tcp_flags_string(0x02), "S");
  EXPECT_EQ(tcp_flags_string(0x12), "SA");
  EXPECT_EQ(tcp_flags_string(0x1b), "SAFP");
  EXPECT_EQ(tcp_flags_string(0x04), "R");
  EXPECT_EQ(tcp_flags_string(0xff), "SAFPRUEC");
  EXPECT_EQ(tcp_flags_string(0), "");
  for (int f = 0; f < 256; ++f) {
    const auto flags = static_cast<std::uint8_t>(f);
    EXPECT_EQ(parse_tcp_flags(tcp_flags_string(flags)), flags);
  }
  EXPECT_EQ(parse_tcp_flags("PFAS"), 0x1b);
  EXPECT_EQ(parse_tcp_flags("SS"), std::nullopt);
  EXPECT_EQ(parse_tcp_flags("s"), std::nullopt);
}

}  // namespace
}  // namespace mamori::sieve
