// Tests for analysis/candidates: the candidate fragment is a ruleset the sieve accepts (parsed
// and, written to disk, loaded), existing rules that cover a candidate leave it out, rule ids
// avoid the existing ones, descriptions are escaped, and bad candidates are refused.

#include "mamori/analysis/candidates.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mamori/sieve/ruleset.h"
#include "support/temp_dir.h"

namespace mamori::analysis {
namespace {

// A fresh directory under the system temp dir (support/temp_dir.h), named mamori-analysis-*.
struct TempDir : test_support::TempDir {
  TempDir() : test_support::TempDir("mamori-analysis") {}
};

std::vector<CandidateIndicator> sample() {
  return {
      {"ip", "192.0.2.66/32", 61.5, {"f-0011223344556677"}, "c2 score 61.5; \"quoted\" \\ \x01"},
      {"ip", "2001:db8::7/128", 44, {}, "v6 server"},
      {"domain", ".cdn-sync.example.net", 52, {"f-aa"}, "DGA-like names"},
      {"domain", "c2.example.org", 40, {}, "name"},
      {"ja3", "e7d705a3286e19ea42f587b344ee6865", 70, {"f-bb"}, "implant"},
      {"ja4", "t13d1516h2_8daaf6152771_e5627efa2ab1", 35, {}, "implant ja4"},
  };
}

TEST(CandidateRuleset, FragmentParsesAsASieveRuleset) {
  auto fragment = candidate_ruleset(sample());
  ASSERT_TRUE(fragment.has_value()) << fragment.error().message;
  EXPECT_EQ(fragment->rules, 6u);
  auto parsed = sieve::parse_ruleset(fragment->text, "candidates.toml", ".");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  ASSERT_EQ(parsed->rules.size(), 6u);
  EXPECT_EQ(parsed->name, "analysis-candidates");
  EXPECT_EQ(parsed->rules[0].kind, sieve::RuleKind::ip);
  EXPECT_EQ(parsed->rules[0].values, std::vector<std::string>{"192.0.2.66/32"});
  EXPECT_EQ(parsed->rules[2].values, std::vector<std::string>{".cdn-sync.example.net"});
  EXPECT_EQ(parsed->rules[4].kind, sieve::RuleKind::ja3);
  EXPECT_TRUE(parsed->rules[0].id.starts_with("cand-ip-"));
  // The rationale survives escaping, with the finding ids appended.
  EXPECT_NE(parsed->rules[0].description.find("\"quoted\" \\ \x01"), std::string::npos);
  EXPECT_NE(parsed->rules[0].description.find("[f-0011223344556677]"), std::string::npos);
  EXPECT_NE(fragment->text.find("NOT APPROVED"), std::string::npos);
}

TEST(CandidateRuleset, WrittenFileLoadsWithTheSieveLoader) {
  TempDir dir;
  const auto out = dir.file("candidates.toml");
  auto written = write_candidate_ruleset(sample(), std::nullopt, out);
  ASSERT_TRUE(written.has_value()) << written.error().message;
  auto loaded = sieve::load_ruleset(out);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->rules.size(), 6u);
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
}

TEST(CandidateRuleset, ExistingRulesCoverCandidatesAndKeepTheirIds) {
  TempDir dir;
  const auto existing = dir.file("approved.toml");
  {
    std::ofstream file(existing);
    file << "[[rule]]\nid = \"c2-net\"\nkind = \"ip\"\nvalue = \"192.0.2.0/24\"\n"
            "[[rule]]\nid = \"c2-zone\"\nkind = \"domain\"\nvalue = \".example.org\"\n"
            "[[rule]]\nid = \"implant\"\nkind = \"ja3\"\n"
            "value = \"e7d705a3286e19ea42f587b344ee6865\"\n";
  }
  const auto out = dir.file("candidates.toml");
  auto written = write_candidate_ruleset(sample(), existing, out);
  ASSERT_TRUE(written.has_value()) << written.error().message;
  EXPECT_EQ(written->rules, 3u);  // v6 ip, the DGA suffix, ja4
  ASSERT_EQ(written->covered.size(), 3u);
  EXPECT_EQ(written->covered[0].value, "192.0.2.66/32");
  EXPECT_EQ(written->covered[1].value, "c2.example.org");
  EXPECT_EQ(written->covered[2].kind, "ja3");
  auto loaded = sieve::load_ruleset(out);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->rules.size(), 3u);

  // A suffix rule covers names strictly below it and suffix candidates at or below it.
  auto approved = sieve::load_ruleset(existing);
  ASSERT_TRUE(approved.has_value());
  auto more =
      candidate_ruleset(std::vector<CandidateIndicator>{{"domain", "example.org", 1, {}, ""},
                                                        {"domain", ".example.org", 1, {}, ""},
                                                        {"domain", ".a.example.org", 1, {}, ""},
                                                        {"domain", "badexample.org", 1, {}, ""}},
                        &*approved);
  ASSERT_TRUE(more.has_value());
  EXPECT_EQ(more->rules, 2u);  // the apex and badexample.org are not covered
  EXPECT_EQ(more->covered.size(), 2u);
}

TEST(CandidateRuleset, RuleIdsAvoidExistingIds) {
  std::vector<CandidateIndicator> one = {{"ip", "203.0.113.5/32", 50, {}, "x"}};
  auto first = candidate_ruleset(one);
  ASSERT_TRUE(first.has_value());
  auto parsed = sieve::parse_ruleset(first->text, "a.toml", ".");
  ASSERT_TRUE(parsed.has_value());
  const std::string id = parsed->rules[0].id;
  sieve::Ruleset existing;
  sieve::Rule rule;
  rule.id = id;
  rule.kind = sieve::RuleKind::port;
  rule.values = {"443"};
  existing.rules.push_back(rule);
  auto second = candidate_ruleset(one, &existing);
  ASSERT_TRUE(second.has_value());
  auto reparsed = sieve::parse_ruleset(second->text, "b.toml", ".");
  ASSERT_TRUE(reparsed.has_value());
  EXPECT_EQ(reparsed->rules[0].id, id + "-2");
}

TEST(CandidateRuleset, RefusesWhatTheSieveWouldNotAccept) {
  EXPECT_FALSE(candidate_ruleset(std::vector<CandidateIndicator>{{"bytes", "abc", 1, {}, ""}}));
  EXPECT_FALSE(
      candidate_ruleset(std::vector<CandidateIndicator>{{"ip", "p2:100.64.0.1", 1, {}, ""}}));
  EXPECT_FALSE(candidate_ruleset(std::vector<CandidateIndicator>{{"domain", "a b", 1, {}, ""}}));
  // Duplicates collapse to one rule.
  auto twice = candidate_ruleset(std::vector<CandidateIndicator>{
      {"ip", "192.0.2.1", 1, {}, ""}, {"ip", "192.0.2.1/32", 1, {}, ""}});
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(twice->rules, 1u);
  // No candidates: still a valid (empty) ruleset.
  auto none = candidate_ruleset({});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(sieve::parse_ruleset(none->text, "c.toml", ".").has_value());
}

}  // namespace
}  // namespace mamori::analysis
