// Tests for intel/product: validation of part values by kind (errors never echo the value),
// the T1 audience-note requirement, and the JSON round trip.

#include "mamori/intel/product.h"

#include <gtest/gtest.h>

#include "intel_fixture.h"

namespace mamori::intel {
namespace {

using testing::indicator;
using testing::part;
using testing::sample_product;

TEST(Product, SampleIsValidAndRoundTrips) {
  Product product = testing::stored_sample();
  ASSERT_TRUE(validate_product(product)) << validate_product(product).error().message;
  auto back = product_from_json(product_to_json(product));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(product_to_json(*back), product_to_json(product));
  EXPECT_EQ(back->find_part("cve-embargoed")->embargo_until,
            testing::later(testing::kEmbargoSeconds));
}

TEST(Product, ValuesAreCheckedByKindWithoutEchoingThem) {
  struct Case {
    Part part;
    const char* expected;
  };
  std::vector<Case> cases = {
      {indicator("x", IndicatorType::ip, "203.0.113.999", ""), "is not an IP address"},
      {indicator("x", IndicatorType::cidr, "203.0.113.7", ""), "is not an address prefix"},
      {indicator("x", IndicatorType::domain, "no_dots", ""), "is not a domain name"},
      {indicator("x", IndicatorType::url, "c2.example.net/gate", ""), "is not a URL"},
      {indicator("x", IndicatorType::hash, "abc123", ""), "is not an MD5, SHA-1 or SHA-256"},
      {part("x", PartKind::attack_technique, "T10", ""), "is not an ATT&CK technique id"},
      {part("x", PartKind::vulnerability, "CVE-26-1", ""), "is not a CVE id"},
      {part("x", PartKind::text, "", ""), "is empty"},
  };
  for (const Case& c : cases) {
    Product product = sample_product();
    product.parts.push_back(c.part);
    auto ok = validate_product(product);
    ASSERT_FALSE(ok) << c.expected;
    EXPECT_NE(ok.error().message.find(c.expected), std::string::npos) << ok.error().message;
    EXPECT_NE(ok.error().message.find("part 'x'"), std::string::npos) << ok.error().message;
    EXPECT_EQ(ok.error().message.find(c.part.value.empty() ? "\x01" : c.part.value),
              std::string::npos)
        << "the error echoes the value: " << ok.error().message;
  }
}

TEST(Product, DuplicatePartIdsAreRefused) {
  Product product = sample_product();
  product.parts.push_back(product.parts.front());
  auto ok = validate_product(product);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("part id 'c2-address' is used twice"), std::string::npos);
}

TEST(Product, T1NeedsTechnicalAndStrategicNotesInEnglishAndJapanese) {
  Product product = sample_product();
  std::erase_if(product.notes, [](const AudienceNote& n) {
    return n.audience == Audience::strategic && n.language == "ja";
  });
  auto ok = validate_product(product);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("needs a strategic note in 'ja'"), std::string::npos)
      << ok.error().message;
}

TEST(Product, EmbargoNeedsASecretVulnerability) {
  Product product = sample_product();
  Part cve = part("cve-open", PartKind::vulnerability, "CVE-2026-99999", "");
  cve.embargo_until = testing::later(10);
  product.parts.push_back(cve);
  auto ok = validate_product(product);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("must be labelled secret"), std::string::npos);
}

TEST(Product, JsonErrorsNameTheField) {
  nlohmann::json json = product_to_json(testing::stored_sample());
  json["parts"][2]["kind"] = "rumour";
  auto parsed = product_from_json(json);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("product.parts[2].kind"), std::string::npos)
      << parsed.error().message;

  json = product_to_json(testing::stored_sample());
  json["parts"][0]["labels"]["comm_info"] = "yes";
  parsed = product_from_json(json);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("product.parts[0].labels.comm_info"), std::string::npos)
      << parsed.error().message;
}

TEST(Product, TierNames) {
  EXPECT_EQ(to_string(Tier::t2), "T2");
  EXPECT_EQ(japanese_name(Tier::t3), "周知等用総合整理分析情報");
  ASSERT_TRUE(parse_tier("T1"));
  EXPECT_FALSE(parse_tier("T4"));
}

}  // namespace
}  // namespace mamori::intel
