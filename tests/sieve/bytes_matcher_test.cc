#include "mamori/sieve/bytes_matcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "mamori/sieve/matchers.h"
#include "matcher_test_util.h"

namespace mamori::sieve {
namespace {

using testing::bytes_of;
using testing::must_compile;
using testing::must_parse;
using testing::TempDir;

struct Found {
  std::string rule;
  std::string command;  // the captured command bytes
  bool operator<(const Found& o) const {
    return std::tie(rule, command) < std::tie(o.rule, o.command);
  }
  bool operator==(const Found&) const = default;
};

std::set<Found> scan(const CompiledRuleset& rules, std::string_view payload) {
  MatchScratch scratch;
  EXPECT_TRUE(scratch.prepare(rules));
  std::set<Found> found;
  const auto data = bytes_of(payload);
  EXPECT_TRUE(rules.scan_bytes(data, scratch, [&](const BytesHit& hit) {
    EXPECT_LE(hit.from, hit.to);
    EXPECT_LE(hit.to, data.size());
    const auto command = CompiledRuleset::command_bytes(data, hit);
    found.insert({std::string(rules.rule_id(hit.rule)),
                  std::string(reinterpret_cast<const char*>(command.data()), command.size())});
    return true;
  }));
  return found;
}

TEST(BytesMatcher, LiteralsAreLiteralEvenWithRegexMetacharacters) {
  TempDir dir;
  const auto compiled = must_compile(must_parse(dir, R"(
[[rule]]
id = "meta"
kind = "bytes"
value = ['a.*(b|c)+\d$', "[x]{2}?^"]
)"));
  EXPECT_TRUE(scan(compiled, "aXXXbbb1").empty());
  EXPECT_TRUE(scan(compiled, "xx").empty());
  EXPECT_EQ(scan(compiled, "--a.*(b|c)+\\d$--"), (std::set<Found>{{"meta", "a.*(b|c)+\\d$"}}));
  EXPECT_EQ(scan(compiled, "[x]{2}?^"), (std::set<Found>{{"meta", "[x]{2}?^"}}));
}

TEST(BytesMatcher, HexAndNulBytes) {
  TempDir dir;
  dir.write("p.txt", "hex:00 00 01\nhex:FFfe\n");
  const auto compiled = must_compile(must_parse(dir, R"(
[[rule]]
id = "list"
kind = "bytes"
values_file = "p.txt"
[[rule]]
id = "nul-literal"
kind = "bytes"
value = "A\u0000B"
)"));
  using namespace std::string_literals;
  EXPECT_EQ(scan(compiled, "x\0\0\x01y"s), (std::set<Found>{{"list", "\0\0\x01"s}}));
  EXPECT_EQ(scan(compiled, "\0\x01\0\0"s), std::set<Found>{});
  EXPECT_EQ(scan(compiled, "\xff\xfe"s), (std::set<Found>{{"list", "\xff\xfe"s}}));
  EXPECT_EQ(scan(compiled, "zA\0Bz"s), (std::set<Found>{{"nul-literal", "A\0B"s}}));
  EXPECT_EQ(scan(compiled, "AB"), std::set<Found>{});
}

TEST(BytesMatcher, SamePatternInTwoRulesReportsBoth) {
  TempDir dir;
  const auto compiled = must_compile(must_parse(dir, R"(
[[rule]]
id = "one"
kind = "bytes"
value = "beacon"
[[rule]]
id = "two"
kind = "bytes"
value = ["hex:626561636f6e", "nomatch"]
)"));
  EXPECT_EQ(scan(compiled, "...beacon..."),
            (std::set<Found>{{"one", "beacon"}, {"two", "beacon"}}));
}

TEST(BytesMatcher, CommandCaptureIsCappedAt64Bytes) {
  TempDir dir;
  const std::string pattern(100, 'Q');
  const auto compiled =
      must_compile(must_parse(dir, "[[rule]]\nid='long'\nkind='bytes'\nvalue='" + pattern + "'\n"));
  const std::string payload = "head" + pattern + "tail";
  MatchScratch scratch;
  ASSERT_TRUE(scratch.prepare(compiled));
  std::vector<BytesHit> hits;
  compiled.scan_bytes(bytes_of(payload), scratch, [&](const BytesHit& hit) {
    hits.push_back(hit);
    return true;
  });
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].from, 4u);
  EXPECT_EQ(hits[0].to, 104u);
  EXPECT_EQ(CompiledRuleset::command_bytes(bytes_of(payload), hits[0]).size(), kMaxCommandBytes);
  // A hit that does not fit the data yields nothing rather than reading out of bounds.
  EXPECT_TRUE(CompiledRuleset::command_bytes(bytes_of("short"), hits[0]).empty());
}

TEST(BytesMatcher, StopsWhenTheCallbackSaysSoAndRefusesAnUnpreparedScratch) {
  TempDir dir;
  const auto compiled = must_compile(must_parse(dir, R"(
[[rule]]
id = "a"
kind = "bytes"
value = ["one", "two", "three"]
)"));
  MatchScratch scratch;
  ASSERT_TRUE(scratch.prepare(compiled));
  int calls = 0;
  EXPECT_TRUE(compiled.scan_bytes(bytes_of("one two three"), scratch, [&](const BytesHit&) {
    ++calls;
    return false;
  }));
  EXPECT_EQ(calls, 1);
  MatchScratch unprepared;
  MatchSet set;
  EXPECT_FALSE(compiled.match_bytes(bytes_of("one"), unprepared, set));
  EXPECT_TRUE(set.empty());
}

TEST(BytesMatcher, NoBytesRulesMeansNothingToScan) {
  TempDir dir;
  const auto compiled = must_compile(must_parse(dir, "[[rule]]\nid='a'\nkind='port'\nvalue=1\n"));
  MatchScratch scratch;
  ASSERT_TRUE(scratch.prepare(compiled));
  MatchSet set;
  EXPECT_TRUE(compiled.match_bytes(bytes_of("anything"), scratch, set));
  EXPECT_TRUE(set.empty());
}

// Random binary patterns and payloads against std::string::find.
TEST(BytesMatcher, AgreesWithNaiveSearchOnRandomData) {
  std::mt19937_64 rng(99);
  const auto random_bytes = [&](std::size_t length) {
    std::string out(length, '\0');
    for (char& c : out) c = static_cast<char>("ab\0\xff"[rng() % 4]);
    return out;
  };
  Ruleset ruleset;
  std::vector<std::pair<std::string, RuleIndex>> patterns;
  for (RuleIndex r = 0; r < 20; ++r) {
    Rule rule = testing::make_rule("p" + std::to_string(r), RuleKind::bytes);
    for (int v = 0; v < 5; ++v) {
      rule.values.push_back(random_bytes(3 + rng() % 6));
      rule.value_lines.push_back(static_cast<std::uint32_t>(v + 1));
      patterns.emplace_back(rule.values.back(), r);
    }
    ruleset.rules.push_back(std::move(rule));
  }
  const auto compiled = must_compile(ruleset);
  MatchScratch scratch;
  ASSERT_TRUE(scratch.prepare(compiled));
  for (int round = 0; round < 2000; ++round) {
    const std::string payload = random_bytes(rng() % 200);
    std::set<RuleIndex> expected;
    for (const auto& [pattern, rule] : patterns) {
      if (payload.find(pattern) != std::string::npos) expected.insert(rule);
    }
    std::set<RuleIndex> got;
    const auto data = bytes_of(payload);
    compiled.scan_bytes(data, scratch, [&](const BytesHit& hit) {
      // Every reported hit is a real occurrence of its own pattern.
      const auto& bytes = patterns[hit.pattern].first;
      EXPECT_EQ(payload.substr(hit.from, hit.to - hit.from), bytes);
      got.insert(hit.rule);
      return true;
    });
    EXPECT_EQ(got, expected);
  }
}

TEST(BytesMatcher, ThousandPatternsCompileQuickly) {
  std::mt19937_64 rng(5);
  Rule rule = testing::make_rule("many", RuleKind::bytes);
  for (int i = 0; i < 1000; ++i) {
    std::string pattern(8 + rng() % 24, '\0');
    for (char& c : pattern) c = static_cast<char>(rng());
    rule.values.push_back(pattern);
  }
  Ruleset ruleset;
  ruleset.rules.push_back(rule);
  const auto compiled = must_compile(ruleset);
  EXPECT_EQ(compiled.stats().bytes_patterns, 1000u);
  EXPECT_LT(compiled.stats().bytes_compile_seconds, 30.0);  // ~0.1 s here; generous for CI
  const std::string& needle = rule.values[517];
  MatchScratch scratch;
  ASSERT_TRUE(scratch.prepare(compiled));
  MatchSet set;
  ASSERT_TRUE(compiled.match_bytes(bytes_of("--" + needle + "--"), scratch, set));
  EXPECT_EQ(set.size(), 1u);
}

}  // namespace
}  // namespace mamori::sieve
