#include "mamori/ledger/entry.h"

#include <string>

#include <gtest/gtest.h>

namespace mamori::ledger {
namespace {

using nlohmann::json;

const char* const kEmptyRootHex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

LedgerEntry sample_entry() {
  LedgerEntry entry;
  entry.seq = 7;
  entry.at = parse_rfc3339("2026-12-02T10:00:00.123456Z").value();
  entry.type = "run.started";
  entry.body = {{"ruleset", "r1"}, {"operator", "山田 太郎"}, {"count", 3}};
  entry.prev = empty_tree_root();
  return entry;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(LedgerEntry, CanonicalLeafIsTheGoldenLine) {
  // Keys sorted at every level, no spaces, UTF-8 written as is, six fractional digits.
  EXPECT_EQ(canonical_leaf(sample_entry()),
            std::string("{\"at\":\"2026-12-02T10:00:00.123456Z\",\"body\":{\"count\":3,"
                        "\"operator\":\"山田 太郎\",\"ruleset\":\"r1\"},\"prev\":\"") +
                kEmptyRootHex + "\",\"seq\":7,\"type\":\"run.started\"}");
}

TEST(LedgerEntry, CanonicalLeafDoesNotDependOnInsertionOrder) {
  LedgerEntry a = sample_entry();
  LedgerEntry b = sample_entry();
  b.body = json::object();
  b.body["count"] = 3;
  b.body["operator"] = "山田 太郎";
  b.body["ruleset"] = "r1";
  EXPECT_EQ(canonical_leaf(a), canonical_leaf(b));
  EXPECT_EQ(canonical_leaf(a).find('\n'), std::string::npos);
}

TEST(LedgerEntry, ParseRoundTripsJapaneseAndNestedBodies) {
  LedgerEntry entry = sample_entry();
  entry.body["purpose"] = "サイバー攻撃の実態の把握";
  entry.body["nested"] = {{"z", {1, 2, 3}}, {"a", nullptr}, {"m", {{"k", true}}}};
  entry.seq = 18'446'744'073'709'551'615ull;
  entry.prev = hash_leaf("previous");
  const std::string line = canonical_leaf(entry);
  auto parsed = parse_leaf(line);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->seq, entry.seq);
  EXPECT_EQ(parsed->at, entry.at);
  EXPECT_EQ(parsed->type, entry.type);
  EXPECT_EQ(parsed->body, entry.body);
  EXPECT_EQ(parsed->prev, entry.prev);
  EXPECT_EQ(parsed->body["purpose"].get<std::string>(), "サイバー攻撃の実態の把握");
  EXPECT_EQ(canonical_leaf(*parsed), line);
}

TEST(LedgerEntry, NonCanonicalSpellingParsesButIsNotCanonical) {
  // parse_leaf accepts any JSON spelling; canonical_leaf(parsed) == line is the caller's test.
  const std::string line = canonical_leaf(sample_entry());
  std::string spaced = line;
  spaced.insert(1, " ");
  auto parsed = parse_leaf(spaced);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(canonical_leaf(*parsed), line);
  EXPECT_NE(canonical_leaf(*parsed), spaced);

  std::string escaped = line;
  escaped.replace(escaped.find("山"), std::string("山").size(), "\\u5c71");
  auto unescaped = parse_leaf(escaped);
  ASSERT_TRUE(unescaped);
  EXPECT_EQ(canonical_leaf(*unescaped), line);
}

TEST(LedgerEntry, Invariant_I9_AnyChangeChangesTheLeafHash) {
  const LedgerEntry base = sample_entry();
  const Hash original = hash_leaf(canonical_leaf(base));
  LedgerEntry changed = base;
  changed.seq = 8;
  EXPECT_NE(hash_leaf(canonical_leaf(changed)), original);
  changed = base;
  changed.at = Timestamp{base.at.nanos + 1'000};
  EXPECT_NE(hash_leaf(canonical_leaf(changed)), original);
  changed = base;
  changed.type = "run.stopped";
  EXPECT_NE(hash_leaf(canonical_leaf(changed)), original);
  changed = base;
  changed.body["count"] = 4;
  EXPECT_NE(hash_leaf(canonical_leaf(changed)), original);
  changed = base;
  changed.prev[31] ^= 1;
  EXPECT_NE(hash_leaf(canonical_leaf(changed)), original);
}

// One malformed leaf per field; the error names the field.
TEST(LedgerEntry, ParseErrorsNameTheField) {
  const json good = json::parse(canonical_leaf(sample_entry()));
  auto with = [&](const char* field, json value) {
    json copy = good;
    copy[field] = std::move(value);
    return copy.dump();
  };
  auto without = [&](const char* field) {
    json copy = good;
    copy.erase(field);
    return copy.dump();
  };
  struct Case {
    std::string line;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {with("seq", -1), "field 'seq' must be an unsigned integer"},
      {with("seq", 1.5), "field 'seq' must be an unsigned integer"},
      {with("seq", "7"), "field 'seq' must be an unsigned integer"},
      {R"({"at":"2026-12-02T10:00:00.000000Z","body":{},"prev":")" + std::string(kEmptyRootHex) +
           R"(","seq":18446744073709551616,"type":"t"})",
       "field 'seq' must be an unsigned integer"},
      {with("at", "2026-13-45"), "field 'at'"},
      {with("at", 1234), "field 'at' must be an RFC 3339 string"},
      {with("at", "2026-12-02T10:00:00.123456789Z"), "field 'at' has sub-microsecond digits"},
      {with("type", ""), "field 'type' must be a non-empty string"},
      {with("type", json::array()), "field 'type'"},
      {with("body", "text"), "field 'body' must be a JSON object"},
      {with("body", json::array()), "field 'body' must be a JSON object"},
      {with("prev", "abc"), "field 'prev'"},
      {with("prev", std::string(64, 'x')), "field 'prev'"},
      {with("prev", 5), "field 'prev' must be a string"},
      {with("extra", 1), "unexpected field 'extra'"},
      {without("seq"), "missing field 'seq'"},
      {without("at"), "missing field 'at'"},
      {without("type"), "missing field 'type'"},
      {without("body"), "missing field 'body'"},
      {without("prev"), "missing field 'prev'"},
      {"[1,2,3]", "expected a JSON object"},
      {with("seq", 1).replace(0, 1, "{\"n\":1e999,"), "not valid JSON (a number is out of range)"},
      {"", "not valid JSON"},
      {"{\"seq\":", "not valid JSON"},
      {good.dump() + "x", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_leaf(c.line);
    ASSERT_FALSE(parsed) << c.line;
    EXPECT_TRUE(contains(parsed.error().message, "ledger leaf")) << parsed.error().message;
    EXPECT_TRUE(contains(parsed.error().message, c.expect))
        << c.line << "\n  -> " << parsed.error().message;
  }
}

TEST(LedgerEntry, InvalidUtf8IsRejectedWithItsOffset) {
  const std::string line = canonical_leaf(sample_entry());
  const std::size_t at = line.find("山");
  const std::vector<std::string> bad_sequences = {
      "\xff",             // never valid
      "\xc0\xaf",         // overlong '/'
      "\xe5\xb1",         // truncated 山
      "\xed\xa0\x80",     // UTF-16 surrogate
      "\xf4\x90\x80\x80"  // above U+10FFFF
  };
  for (const auto& bad : bad_sequences) {
    std::string broken = line;
    broken.replace(at, std::string("山").size(), bad);
    auto parsed = parse_leaf(broken);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().message, "ledger leaf: invalid UTF-8 at byte " + std::to_string(at));
  }
  std::string trailing = line;
  trailing.push_back('\xe3');
  EXPECT_FALSE(parse_leaf(trailing));
}

}  // namespace
}  // namespace mamori::ledger
