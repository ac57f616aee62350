// The fast record reader (sieve/record_json_reader.h) against the reference reader over the
// nlohmann DOM (record_from_json_line_reference): on generated records of every shape and on
// many corruptions of them, record_from_json_line must give the reference's verdict, the same
// Record or the same error message, and the fast reader must never accept what the reference
// refuses or read anything differently.

#include "mamori/sieve/record_json_reader.h"
#include "mamori/sieve/record_json_writer.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mamori/decode/app.h"
#include "mamori/sieve/record_json.h"

namespace mamori::sieve {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::int64_t kBaseSeconds = 1795315039;  // 2026-11-22T02:37:19Z

class RecordGenerator {
 public:
  explicit RecordGenerator(std::uint64_t seed) : random_(seed) {}

  Record make() {
    Record r;
    r.sensor = pick({"gw-1", "s", "sensor-東京", "a\"quoted\\name", "tab\there"});
    r.flow_id = hex(16, chance(10));
    r.category = static_cast<scope::Category>(below(4));
    r.first_seen = Timestamp{kBaseSeconds * 1'000'000'000 +
                             static_cast<std::int64_t>(below(1'000'000'000'000)) * 1000};
    r.last_seen = r.first_seen + Duration{static_cast<std::int64_t>(below(100'000'000)) * 1000};
    if (chance(20)) r.first_seen = r.last_seen;
    const std::uint8_t protocols[] = {6, 17, 1, 58, 47, 0, 255, 132};
    r.protocol = protocols[below(std::size(protocols))];
    r.src = endpoint();
    r.dst = endpoint();
    r.packets = {number(), number()};
    r.bytes = {number(), number()};
    r.tcp_flags = static_cast<std::uint8_t>(below(256));
    for (std::uint64_t i = below(4) == 0 ? below(kMaxDnsEntries + 1) : 0; i > 0; --i) {
      DnsEntry entry;
      entry.name = text();
      entry.type = static_cast<std::uint16_t>(below(65536));
      if (!chance(4)) entry.rcode = static_cast<std::uint8_t>(below(256));
      entry.answers_pseudonym_epoch = chance(3) ? static_cast<std::uint32_t>(1 + below(9)) : 0;
      for (std::uint64_t a = below(decode::kMaxDnsAnswers + 1); a > 0; --a)
        entry.answers.push_back(address());
      r.dns.push_back(std::move(entry));
    }
    if (chance(2)) {
      TlsInfo tls{text(), {}, pick({"1.2", "1.3", ""}), text(), hex(16, false), text()};
      for (std::uint64_t i = below(4); i > 0; --i) tls.alpn.push_back(text());
      r.tls = std::move(tls);
    }
    for (std::uint64_t i = below(3) == 0 ? below(kMaxHttpEntries + 1) : 0; i > 0; --i)
      r.http.push_back({pick({"GET", "POST", ""}), text(), text()});
    for (std::uint64_t i = below(kMaxMatches + 1); i > 0; --i) r.matches.push_back(match());
    return r;
  }

  std::uint64_t below(std::uint64_t n) { return random_() % n; }
  bool chance(std::uint64_t one_in) { return below(one_in) == 0; }

 private:
  std::string pick(std::initializer_list<const char*> options) {
    return *(options.begin() + below(options.size()));
  }

  std::string hex(std::size_t bytes, bool upper) {
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
      const std::uint64_t byte = below(256);
      out += upper ? fmt::format("{:02X}", byte) : fmt::format("{:02x}", byte);
    }
    return out;
  }

  std::uint64_t number() {
    switch (below(4)) {
      case 0:
        return 0;
      case 1:
        return below(1000);
      case 2:
        return random_();
      default:
        return std::numeric_limits<std::uint64_t>::max();
    }
  }

  // Names, hostile header values and invalid UTF-8 (written as U+FFFD), control characters
  // (written as escapes), quotes and backslashes.
  std::string text() {
    switch (below(8)) {
      case 0:
        return "";
      case 1:
        return "例え.テスト";
      case 2:
        return "Mozilla/5.0 (\"x\"; \\ /)";
      case 3:
        return std::string("ctl\x01\x1f\n\r\t\b\f", 10);
      case 4:
        return "bad\xff\xfe utf8 \xc3";
      case 5:
        return "emoji 😀 ü";
      case 6:
        return std::string("nul\0inside", 10);
      default:
        return fmt::format("host{}.example.net", below(1000));
    }
  }

  IpAddress address() {
    if (chance(3)) {
      std::array<std::uint8_t, 16> bytes{};
      for (auto& b : bytes) b = static_cast<std::uint8_t>(below(256));
      if (chance(4)) bytes = {0x20, 0x01, 0x0d, 0xb8};
      return IpAddress::v6(bytes);
    }
    return IpAddress::v4(static_cast<std::uint32_t>(random_()));
  }

  Endpoint endpoint() {
    Endpoint e;
    e.ip = address();
    e.port = static_cast<std::uint16_t>(below(65536));
    if (!chance(3)) e.country = scope::CountryCode::from(pick({"JP", "US", "DE", "ZZ"}));
    if (chance(3)) {
      e.pseudonym_epoch = chance(8) ? 4294967295u : static_cast<std::uint32_t>(1 + below(1000));
    }
    return e;
  }

  Match match() {
    Match m;
    m.rule = pick({"c2-ip-1", "r", "ルール", "x\"y"});
    m.kind = static_cast<RuleKind>(below(9));
    if (m.kind == RuleKind::bytes) {
      for (std::uint64_t i = below(kMaxCommandBytes + 1); i > 0; --i)
        m.command.push_back(static_cast<std::uint8_t>(below(256)));
    }
    if (is_behaviour(m.kind)) {
      // Sorted and unique, as validate_record requires; integers, fractions, extremes.
      const char* names[] = {"connections", "cv",      "failed_ratio", "mean_interval_s",
                             "min_targets", "ratio",   "targets",      "window_s",
                             "x",           "z_9_long"};
      for (const char* name : names) {
        if (m.measured.size() == kMaxMeasures || !chance(2)) continue;
        const double values[] = {0,
                                 73,
                                 0.08,
                                 -1.5,
                                 1e-7,
                                 123456789.25,
                                 9.0e15,
                                 1e300,
                                 -0.0,
                                 2.5e-310,
                                 4503599627370497.0,
                                 -12,
                                 1.0 / 3};
        m.measured.push_back({name, values[below(std::size(values))]});
      }
    }
    return m;
  }

  std::mt19937_64 random_;
};

// Record equality, and measured values equal to the bit (operator== takes -0.0 for 0.0).
// Replaces invalid UTF-8 (which the reference writes as U+FFFD) and fractional measures
// (which it writes in its own shortest form) in `record`, keeping every other string.
void make_writable(Record& record) {
  auto fix = [](std::string& text) {
    if (text.find('\xff') != std::string::npos) {  // text()'s only invalid UTF-8
      text = "was invalid \u00fc \"q\" \\ \x01";
    }
  };
  fix(record.sensor);
  for (auto& entry : record.dns) fix(entry.name);
  if (record.tls) {
    fix(record.tls->sni);
    for (auto& protocol : record.tls->alpn) fix(protocol);
    fix(record.tls->ja3);
    fix(record.tls->ja4);
  }
  for (auto& http : record.http) {
    fix(http.method);
    fix(http.host);
    fix(http.user_agent);
  }
  for (auto& match : record.matches) {
    fix(match.rule);
    for (auto& measure : match.measured) {
      measure.value = std::trunc(measure.value);
      if (!(std::fabs(measure.value) < 9.0e15)) measure.value = -12;
    }
  }
}

void expect_same(const Record& a, const Record& b, const std::string& context) {
  ASSERT_EQ(a, b) << context;
  for (std::size_t i = 0; i < a.matches.size(); ++i) {
    for (std::size_t m = 0; m < a.matches[i].measured.size(); ++m) {
      EXPECT_EQ(std::bit_cast<std::uint64_t>(a.matches[i].measured[m].value),
                std::bit_cast<std::uint64_t>(b.matches[i].measured[m].value))
          << context;
    }
  }
}

// The whole contract for one input text. Returns whether the fast reader took it.
bool check_line(std::string_view line, Record& reused) {
  const std::string context = fmt::format("line: {}", line);
  auto reference = record_from_json_line_reference(line);
  auto read = record_from_json_line(line);
  EXPECT_EQ(read.has_value(), reference.has_value()) << context;
  if (read && reference) expect_same(*read, *reference, context);
  if (!read && !reference) {
    EXPECT_EQ(read.error().message, reference.error().message) << context;
  }
  // The fast reader alone, into a fresh and into a used Record.
  Record fresh;
  const bool fast = read_record_line_fast(line, fresh);
  if (fast) {
    EXPECT_TRUE(reference) << "fast reader accepted what the reference refuses: "
                           << (reference ? std::string() : reference.error().message) << "\n"
                           << context;
    if (reference) expect_same(fresh, *reference, context);
  }
  const bool fast_reused = read_record_line_fast(line, reused);
  EXPECT_EQ(fast_reused, fast) << context;
  if (fast_reused && reference) expect_same(reused, *reference, context);
  // The overload that fills a Record agrees too.
  auto into = record_from_json_line(line, reused);
  EXPECT_EQ(into.has_value(), reference.has_value()) << context;
  if (into && reference) expect_same(reused, *reference, context);
  if (!into && !reference) {
    EXPECT_EQ(into.error().message, reference.error().message) << context;
  }
  return fast;
}

TEST(RecordJsonReader, ReadsEveryGeneratedRecordLikeTheReference) {
  RecordGenerator generator(1);
  Record reused = generator.make();
  std::size_t fast = 0;
  constexpr std::size_t kRecords = 3000;
  for (std::size_t i = 0; i < kRecords; ++i) {
    const Record record = generator.make();
    ASSERT_TRUE(validate_record(record)) << validate_record(record).error().message;
    const std::string line = record_to_json_line(record);
    // Every canonical line is the fast reader's: that is where the speed comes from.
    EXPECT_TRUE(check_line(line, reused)) << line;
    fast += 1;
    if (HasFailure()) return;
  }
  EXPECT_EQ(fast, kRecords);
}

// The direct writer (record_json_writer.h) writes exactly the reference's line whenever it
// writes at all, and declines exactly the records with invalid UTF-8 or non-integral measures.
TEST(RecordJsonWriter, WritesEveryGeneratedRecordLikeTheReference) {
  RecordGenerator generator(2);
  std::size_t written = 0;
  std::size_t declined = 0;
  constexpr std::size_t kRecords = 20000;
  for (std::size_t i = 0; i < kRecords; ++i) {
    Record record = generator.make();
    // Half the records with only well-formed text and integral measures, so the writer's own
    // escaping meets every string shape, not only the declining ones.
    if (i % 2 == 0) make_writable(record);
    const std::string reference = record_to_json_line_reference(record);
    std::string line = "kept:";
    if (write_record_line_fast(record, line)) {
      ++written;
      ASSERT_EQ(line, "kept:" + reference) << "record " << i;
    } else {
      ++declined;
      ASSERT_EQ(line, "kept:") << "a declined record left output behind";
    }
    ASSERT_EQ(record_to_json_line(record), reference) << "record " << i;
  }
  EXPECT_GT(written, kRecords / 2);  // every writable one, and some of the others
  EXPECT_GT(declined, kRecords / 10);
}

TEST(RecordJsonReader, ReadsOlderVersionsAndRefusesOthersLikeTheReference) {
  RecordGenerator generator(2);
  Record reused;
  for (int i = 0; i < 200; ++i) {
    ordered_json value = ordered_json::parse(record_to_json_line(generator.make()));
    for (const ordered_json& v :
         {ordered_json(1), ordered_json(2), ordered_json(3), ordered_json(0), ordered_json(4),
          ordered_json(-1), ordered_json(1.0), ordered_json("3"), ordered_json(nullptr)}) {
      value["v"] = v;
      const std::string line = value.dump();
      const bool fast = check_line(line, reused);
      const bool supported = v.is_number_integer() && v.get<int>() >= kOldestRecordVersion &&
                             v.get<int>() <= kRecordVersion;
      EXPECT_EQ(fast, supported) << line;
    }
  }
}

// Same content, other spellings: whitespace, escapes for everything, keys reordered. The
// reference reads them all; the fast reader takes the first two and declines the third.
TEST(RecordJsonReader, OtherSpellingsOfTheSameRecord) {
  RecordGenerator generator(3);
  Record reused;
  for (int i = 0; i < 300; ++i) {
    const Record record = generator.make();
    const ordered_json value = ordered_json::parse(record_to_json_line(record));
    const std::string indented = value.dump(2, ' ', false);
    EXPECT_TRUE(check_line(indented, reused));
    EXPECT_TRUE(check_line(" \t\r\n" + value.dump() + "\n\n", reused));
    const std::string ascii = value.dump(-1, ' ', /*ensure_ascii=*/true);
    EXPECT_TRUE(check_line(ascii, reused));
    const json sorted = json::parse(record_to_json_line(record));
    EXPECT_FALSE(check_line(sorted.dump(), reused));
  }
}

// Structural corruption: a key removed, added, renamed or repeated, a value of the wrong type
// at every position, numbers in other JSON forms.
TEST(RecordJsonReader, StructuralCorruptionsGetTheReferenceError) {
  RecordGenerator generator(4);
  Record reused;
  const std::vector<ordered_json> replacements = {
      ordered_json(nullptr),  ordered_json(true),  ordered_json(0),    ordered_json(-1),
      ordered_json(1.5),      ordered_json(""),    ordered_json("x"),  ordered_json::array(),
      ordered_json::object(), ordered_json(70000), ordered_json(1e300)};
  for (int i = 0; i < 12; ++i) {
    const ordered_json value = ordered_json::parse(record_to_json_line(generator.make()));
    // Every location in the record, as JSON pointers.
    const ordered_json flat = value.flatten();
    std::vector<std::string> pointers;
    for (const auto& item : flat.items()) {
      pointers.push_back(item.key());
      // and every enclosing object or array
      std::string p = item.key();
      while (!p.empty()) {
        p = p.substr(0, p.rfind('/'));
        pointers.push_back(p);
      }
    }
    for (const std::string& pointer : pointers) {
      if (pointer.empty()) continue;
      const ordered_json::json_pointer where(pointer);
      for (const ordered_json& replacement : replacements) {
        ordered_json edited = value;
        edited[where] = replacement;
        check_line(edited.dump(), reused);
      }
      ordered_json removed = value;
      ordered_json& parent = removed[where.parent_pointer()];
      if (parent.is_object()) {
        parent.erase(where.back());
      } else {
        parent.erase(static_cast<std::size_t>(std::stoul(where.back())));
      }
      check_line(removed.dump(), reused);
      if (value[where.parent_pointer()].is_object()) {
        ordered_json added = value;
        added[where.parent_pointer()]["url"] = "x";
        check_line(added.dump(), reused);
        ordered_json moved = value;  // the key goes to the end of its object
        const ordered_json keep = moved[where];
        moved[where.parent_pointer()].erase(where.back());
        moved[where.parent_pointer()][where.back()] = keep;
        check_line(moved.dump(), reused);
      }
      if (HasFailure()) return;
    }
  }
}

// Hand-written texts for what a DOM edit cannot express: duplicate keys, escaped keys, number
// spellings, surrogates, stray bytes.
TEST(RecordJsonReader, TextLevelCornerCases) {
  Record record;
  record.sensor = "s";
  record.flow_id = std::string(32, 'a');
  record.first_seen = Timestamp::from_seconds(kBaseSeconds);
  record.last_seen = record.first_seen;
  record.protocol = 6;
  record.matches = {{"scan-1", RuleKind::scan, {}, {{"a", 1}, {"b", 0.5}}}};
  const std::string line = record_to_json_line(record);
  ASSERT_NE(line.find(R"("measured":{"a":1,"b":0.5})"), std::string::npos) << line;
  const auto replace = [&line](std::string_view from, std::string_view to) {
    std::string out = line;
    const auto at = out.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) out.replace(at, from.size(), to);
    return out;
  };
  Record reused;
  EXPECT_TRUE(check_line(line, reused));
  const std::vector<std::pair<std::string_view, std::string_view>> edits = {
      {R"("a":1)", R"("a":-0)"},
      {R"("a":1)", R"("a":-0.0)"},
      {R"("a":1)", R"("a":1.0)"},
      {R"("a":1)", R"("a":1e2)"},
      {R"("a":1)", R"("a":1E+2)"},
      {R"("a":1)", R"("a":01)"},
      {R"("a":1)", R"("a":1.)"},
      {R"("a":1)", R"("a":.5)"},
      {R"("a":1)", R"("a":+1)"},
      {R"("a":1)", R"("a":1e400)"},
      {R"("a":1)", R"("a":-1e400)"},
      {R"("a":1)", R"("a":1e-400)"},
      {R"("a":1)", R"("a":4e-320)"},
      {R"("a":1)", R"("a":18446744073709551615)"},
      {R"("a":1)", R"("a":18446744073709551616)"},
      {R"("a":1)", R"("a":-9223372036854775808)"},
      {R"("a":1)", R"("a":-9223372036854775809)"},
      {R"("a":1)", R"("a":9007199254740993)"},
      {R"("a":1)", R"("a":NaN)"},
      {R"("a":1)", R"("a":Infinity)"},
      {R"("a":1)", R"("a":true)"},
      {R"("a":1,"b":0.5)", R"("b":0.5,"a":1)"},
      {R"("a":1,"b":0.5)", R"("a":1,"a":2)"},
      {R"("a":1,"b":0.5)", R"("a":1,"b":0.5,"b":0.5)"},
      {R"("a":1,"b":0.5)", R"("a":1,"b":0.5,)"},
      {R"("a":1)", R"("\u0061":1)"},
      {R"({"v":3,)", R"({"v":3,"v":3,)"},
      {R"({"v":3,)", R"({"\u0076":3,)"},
      {R"({"v":3,)", R"({"v":03,)"},
      {R"({"v":3,)", R"({"v":3.0,)"},
      {R"({"v":3,)", R"({"v":-0,)"},
      {R"({"v":3,)", R"({"v":3e0,)"},
      {R"({"v":3,)", R"({"v":18446744073709551619,)"},
      {R"({"v":3,)", R"({ "v" : 3 ,)"},
      {R"({"v":3,)", "\xef\xbb\xbf{\"v\":3,"},  // a byte order mark
      {R"("sensor":"s")", R"("sensor":"\u0073")"},
      {R"("sensor":"s")", R"("sensor":"\ud83d\ude00")"},
      {R"("sensor":"s")", R"("sensor":"\ud83d")"},
      {R"("sensor":"s")", R"("sensor":"\ude00")"},
      {R"("sensor":"s")", R"("sensor":"\ud83dx")"},
      {R"("sensor":"s")", R"("sensor":"\ud83d\u0041")"},
      {R"("sensor":"s")", R"("sensor":"\u00")"},
      {R"("sensor":"s")", R"("sensor":"\x")"},
      {R"("sensor":"s")", R"("sensor":"\u0000")"},
      {R"("sensor":"s")", R"("sensor":"\uD83D\uDE00")"},
      {R"("sensor":"s")", "\"sensor\":\"\x7f\""},
      {R"("sensor":"s")", "\"sensor\":\"\x1f\""},
      {R"("sensor":"s")", "\"sensor\":\"\xc0\xaf\""},
      {R"("sensor":"s")", "\"sensor\":\"\xe0\x80\xaf\""},
      {R"("sensor":"s")", "\"sensor\":\"\xed\xa0\x80\""},
      {R"("sensor":"s")", "\"sensor\":\"\xf4\x90\x80\x80\""},
      {R"("sensor":"s")", "\"sensor\":\"\xf0\x9f\x98\x80\""},
      {R"("sensor":"s")", "\"sensor\":\"\xf0\x9f\x98\""},
      {R"("sensor":"s")", R"("sensor":"")"},
      {R"("proto":"tcp")", R"("proto":"6")"},
      {R"("proto":"tcp")", R"("proto":"t\u0063p")"},
      {R"("proto":"tcp")", R"("proto":"udp")"},
      {R"("proto":"tcp")", R"("proto":"47")"},
      {R"("country":null)", R"("country":nul)"},
      {R"("country":null)", R"("country":nullx)"},
      {R"("country":null)", R"("country":"JP")"},
      {R"("tls":null)", R"("tls":nul)"},
      {R"("tls":null)", R"("tls":{})"},
      {R"("dns":[])", R"("dns":[,])"},
      {R"("dns":[])", R"("dns":[)"},
      {R"("matches":[{)", R"("matches":[ {)"},
      {R"("kind":"scan")", R"("kind":"ip")"},
      {R"("kind":"scan")", R"("kind":"bytes")"},
      {R"("first_seen":"2026)", R"("first_seen":"+026)"},
      {R"("first_seen":"2026)", R"("first_seen":"-026)"},
      {R"(19.000000Z")", R"(19.000000z")"},
  };
  for (const auto& [from, to] : edits) check_line(replace(from, to), reused);
  check_line(line + "x", reused);
  check_line(line + "{}", reused);
  check_line(std::string(line) + std::string(1, '\0'), reused);
}

// Byte-level corruption of canonical lines: every truncation, and random byte flips,
// insertions and deletions.
TEST(RecordJsonReader, ByteCorruptionsGetTheReferenceVerdict) {
  RecordGenerator generator(5);
  Record reused;
  for (int i = 0; i < 12; ++i) {
    const std::string line = record_to_json_line(generator.make());
    for (std::size_t length = 0; length < line.size(); ++length) {
      check_line(std::string_view(line).substr(0, length), reused);
    }
    const char interesting[] = {'"', '\\', ',', ':', '{', '}',    '[',    ']',    '0', '9',
                                '-', '.',  'e', 'n', ' ', '\x01', '\x80', '\xff', 'a'};
    for (int k = 0; k < 400; ++k) {
      std::string edited = line;
      const std::size_t at = generator.below(edited.size());
      const char byte = generator.chance(2) ? interesting[generator.below(std::size(interesting))]
                                            : static_cast<char>(generator.below(256));
      switch (generator.below(3)) {
        case 0:
          edited[at] = byte;
          break;
        case 1:
          edited.insert(edited.begin() + static_cast<std::ptrdiff_t>(at), byte);
          break;
        default:
          edited.erase(at, 1 + generator.below(4));
          break;
      }
      check_line(edited, reused);
    }
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace mamori::sieve
