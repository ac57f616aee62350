// Tests for intel/provenance: the text and JSON forms of labels and consent scopes, and the
// errors for malformed labels.

#include "mamori/intel/provenance.h"

#include <gtest/gtest.h>

namespace mamori::intel {
namespace {

TEST(Provenance, ParsesAndPrintsEveryLabel) {
  auto labels =
      parse_labels("comm_info, shareable,secret,provider:jpcert(to=agency|council_member;for=*)");
  ASSERT_TRUE(labels) << labels.error().message;
  EXPECT_TRUE(labels->comm_info);
  EXPECT_TRUE(labels->shareable);
  EXPECT_TRUE(labels->secret);
  ASSERT_EQ(labels->providers.size(), 1u);
  EXPECT_EQ(labels->providers[0].organisation, "jpcert");
  EXPECT_EQ(labels->providers[0].scope.recipients,
            (std::vector<RecipientClass>{RecipientClass::agency, RecipientClass::council_member}));
  EXPECT_EQ(to_string(*labels),
            "comm_info,shareable,secret,provider:jpcert(to=agency|council_member;for=*)");
  auto again = parse_labels(to_string(*labels));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *labels);
}

TEST(Provenance, EmptyTextIsNoLabels) {
  auto labels = parse_labels("  ");
  ASSERT_TRUE(labels);
  EXPECT_TRUE(labels->empty());
  EXPECT_EQ(to_string(*labels), "");
}

TEST(Provenance, ProviderWithoutScopeAllowsNothing) {
  auto labels = parse_labels("provider:acme-power");
  ASSERT_TRUE(labels);
  EXPECT_FALSE(labels->providers[0].scope.allows(RecipientClass::agency, "attack-analysis"));
  EXPECT_EQ(to_string(*labels), "provider:acme-power");
}

TEST(Provenance, ConsentScopeNeedsBothClassAndPurpose) {
  auto labels = parse_labels("provider:acme(to=council_member;for=attack-analysis|warning)");
  ASSERT_TRUE(labels);
  const ConsentScope& scope = labels->providers[0].scope;
  EXPECT_TRUE(scope.allows(RecipientClass::council_member, "warning"));
  EXPECT_FALSE(scope.allows(RecipientClass::council_member, "research"));
  EXPECT_FALSE(scope.allows(RecipientClass::public_, "warning"));
}

TEST(Provenance, ErrorsNameTheLabelAndTheProblem) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : {
           Case{"comm_info,confidential", "label 2 'confidential' is unknown"},
           Case{"secret,secret", "label 2 'secret' is given twice"},
           Case{"comm_info,,secret", "label 2 is empty"},
           Case{"provider:", "the provider needs an organisation id"},
           Case{"provider:ACME", "is not an organisation id"},
           Case{"provider:acme(to=agency", "lacks ')'"},
           Case{"provider:acme(to=embassy)", "unknown recipient class 'embassy'"},
           Case{"provider:acme(when=now)", "key 'when' is unknown"},
           Case{"provider:acme(for=Bad Purpose)", "is not a purpose id"},
           Case{"provider:a,provider:a", "provider 'a' is given twice"},
       }) {
    auto labels = parse_labels(c.text);
    ASSERT_FALSE(labels) << c.text;
    EXPECT_NE(labels.error().message.find(c.expected), std::string::npos)
        << c.text << " -> " << labels.error().message;
  }
}

TEST(Provenance, JsonRoundTripAndStrictFields) {
  auto labels = parse_labels("secret,provider:jpcert(to=agency;for=attack-analysis)");
  ASSERT_TRUE(labels);
  auto back = labels_from_json(labels_to_json(*labels), "labels");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, *labels);

  nlohmann::json misspelt = labels_to_json(*labels);
  misspelt["secrte"] = true;
  auto refused = labels_from_json(misspelt, "part.labels");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("part.labels.secrte"), std::string::npos)
      << refused.error().message;
}

}  // namespace
}  // namespace mamori::intel
