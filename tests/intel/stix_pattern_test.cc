// STIX patterning subset: rendering with escapes, parsing back, and what stays opaque.

#include "mamori/intel/stix_pattern.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mamori::intel::stix {
namespace {

TEST(StixPattern, RendersOneObservationPerValueJoinedByOr) {
  const auto text =
      render_pattern(any_of(ObservableProperty::kIpv4, {"203.0.113.7", "198.51.100.0/24"}));
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, "[ipv4-addr:value = '203.0.113.7'] OR [ipv4-addr:value = '198.51.100.0/24']");
}

TEST(StixPattern, RendersEveryPropertyPath) {
  Pattern pattern;
  pattern.join = PatternJoin::kAnd;
  pattern.observations = {
      {{{ObservableProperty::kIpv6, "2001:db8::/32"},
        {ObservableProperty::kDomainName, "a.example"}},
       PatternJoin::kAnd},
      {{{ObservableProperty::kUrl, "https://a.example/x"},
        {ObservableProperty::kFileMd5, "d41d8cd98f00b204e9800998ecf8427e"},
        {ObservableProperty::kFileSha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {ObservableProperty::kFileSha256, std::string(64, 'a')},
        {ObservableProperty::kFileSha512, std::string(128, 'F')}},
       PatternJoin::kOr},
  };
  EXPECT_EQ(render_pattern(pattern).value(),
            "[ipv6-addr:value = '2001:db8::/32' AND domain-name:value = 'a.example'] AND "
            "[url:value = 'https://a.example/x' OR file:hashes.MD5 = "
            "'d41d8cd98f00b204e9800998ecf8427e' OR file:hashes.'SHA-1' = "
            "'da39a3ee5e6b4b0d3255bfef95601890afd80709' OR file:hashes.'SHA-256' = '" +
                std::string(64, 'a') + "' OR file:hashes.'SHA-512' = '" + std::string(128, 'F') +
                "']");
  EXPECT_EQ(parse_pattern(render_pattern(pattern).value()).value(), pattern);
}

TEST(StixPattern, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(quote_pattern_string(R"(it's a \ test\')"), R"('it\'s a \\ test\\\'')");
  const std::vector<std::string> values = {
      "it's.example", "back\\slash.example", "\\'",      "''''", "\\\\", "end\\", "]",
      "' OR [x",      "日本語.example",      "new\nline"};
  for (const auto& value : values) {
    const Pattern pattern = any_of(ObservableProperty::kDomainName, {value});
    const auto text = render_pattern(pattern);
    ASSERT_TRUE(text) << value;
    const auto parsed = parse_pattern(*text);
    ASSERT_TRUE(parsed) << *text << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, pattern) << *text;
  }
  // A value crafted to close the literal and add a comparison stays one literal.
  const auto text =
      render_pattern(any_of(ObservableProperty::kUrl, {"x'] OR [ipv4-addr:value = '10.0.0.1"}));
  ASSERT_TRUE(text);
  const auto parsed = parse_pattern(*text);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->observations.size(), 1U);
  EXPECT_EQ(parsed->observations[0].comparisons[0].value, "x'] OR [ipv4-addr:value = '10.0.0.1");
}

TEST(StixPattern, RefusesValuesThatAreNotWhatThePathSays) {
  const std::vector<std::pair<ObservableProperty, std::string>> bad = {
      {ObservableProperty::kIpv4, "2001:db8::1"},
      {ObservableProperty::kIpv4, "300.1.1.1"},
      {ObservableProperty::kIpv4, "10.0.0.1/33"},
      {ObservableProperty::kIpv4, "10.0.0.1/8"},
      {ObservableProperty::kIpv6, "10.0.0.1"},
      {ObservableProperty::kIpv6, "2001:db8::g"},
      {ObservableProperty::kDomainName, ""},
      {ObservableProperty::kUrl, "bad \xFF utf-8"},
      {ObservableProperty::kFileMd5, "abc"},
      {ObservableProperty::kFileSha256, std::string(64, 'g')},
      {ObservableProperty::kFileSha1, std::string(41, 'a')}};
  for (const auto& [property, value] : bad) {
    const auto text = render_pattern(any_of(property, {value}));
    ASSERT_FALSE(text) << object_path(property) << " " << value;
    // The message names the path, never the value.
    EXPECT_NE(text.error().message.find(object_path(property)), std::string::npos);
    if (value.size() > 3) {
      EXPECT_EQ(text.error().message.find(value), std::string::npos);
    }
  }
  EXPECT_FALSE(render_pattern(Pattern{}));
  EXPECT_FALSE(render_pattern(Pattern{{PatternObservation{}}, PatternJoin::kOr}));
}

TEST(StixPattern, ParsesWhatOtherProducersWrite) {
  auto parsed = parse_pattern("[file:hashes.'MD5'='d41d8cd98f00b204e9800998ecf8427e']");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->observations[0].comparisons[0].property, ObservableProperty::kFileMd5);
  parsed = parse_pattern("  [ domain-name:value = 'a.example' ]OR[url:value='http://b/']  ");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->observations.size(), 2U);
  parsed = parse_pattern("[file:hashes.SHA-256 = '" + std::string(64, '0') + "']");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->observations[0].comparisons[0].property, ObservableProperty::kFileSha256);
}

TEST(StixPattern, OtherPatternsAreNotOurs) {
  const std::vector<std::string> opaque = {
      "",
      "[ipv4-addr:value != '10.0.0.1']",
      "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
      "[network-traffic:dst_port = 443]",
      "[email-addr:value = 'a@example']",
      "[domain-name:value = 'a.example'] WITHIN 300 SECONDS",
      "[domain-name:value = 'a' OR domain-name:value = 'b' AND domain-name:value = 'c']",
      "[domain-name:value = 'a'] OR [domain-name:value = 'b'] AND [domain-name:value = 'c']",
      "([domain-name:value = 'a'])",
      "[domain-name:value = 'a'",
      "[domain-name:value = 'a\\x']",
      "[domain-name:value = 'unterminated]",
      "[file:hashes.'SHA-3' = 'aa']",
      "[ipv4-addr:value = 'not-an-address']",
      "[domain-name:value = 'a'] or [domain-name:value = 'b']",
      "[domain-name:value = 'a'] ORX [domain-name:value = 'b']",
  };
  for (const auto& text : opaque) {
    const auto parsed = parse_pattern(text);
    EXPECT_FALSE(parsed) << text;
    if (!parsed) {
      EXPECT_NE(parsed.error().message.find("offset"), std::string::npos) << text;
    }
  }
}

}  // namespace
}  // namespace mamori::intel::stix
