#include "mamori/scope/classifier.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <vector>

namespace mamori::scope {
namespace {

IpAddress address(std::string_view text) {
  const auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

Prefix prefix(std::string_view text) {
  const auto parsed = Prefix::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Prefix{});
}

const CountryCode kUs = CountryCode::from("US");
const CountryCode kKr = CountryCode::from("KR");

// A small world: Japan, the US and Korea, some space in nobody's table.
std::shared_ptr<const CountryTable> small_world() {
  const std::vector<std::pair<Prefix, CountryCode>> networks = {
      {prefix("133.0.0.0/8"), kJapan}, {prefix("2001:240::/32"), kJapan},
      {prefix("8.0.0.0/8"), kUs},      {prefix("8.8.8.0/24"), kUs},
      {prefix("2001:4860::/32"), kUs}, {prefix("1.208.0.0/12"), kKr},
      {prefix("10.0.0.0/8"), kUs},  // a database bug the table must not believe
  };
  return std::make_shared<const CountryTable>(CountryTable::from_networks(networks));
}

CategorySet all_but_dd() {
  CategorySet set;
  set.add(Category::FF);
  set.add(Category::FD);
  set.add(Category::DF);
  return set;
}

Classifier make(const Overrides& overrides = {},
                UnknownAddresses unknown = UnknownAddresses::Domestic,
                CategorySet authorized = all_but_dd()) {
  ClassifierOptions options;
  options.unknown_addresses = unknown;
  options.authorized = authorized;
  return Classifier(small_world(), overrides, options);
}

Category category(const Classifier& classifier, std::string_view from, std::string_view to) {
  return classifier.classify(address(from), address(to)).category;
}

TEST(Classifier, EveryCategoryByInitiatorAndResponder) {
  const Classifier classifier = make();
  EXPECT_EQ(category(classifier, "8.8.8.8", "8.1.1.1"), Category::FF);
  EXPECT_EQ(category(classifier, "8.8.8.8", "133.1.2.3"), Category::FD);
  EXPECT_EQ(category(classifier, "133.1.2.3", "8.8.8.8"), Category::DF);
  EXPECT_EQ(category(classifier, "133.1.2.3", "133.4.5.6"), Category::DD);
  EXPECT_EQ(category(classifier, "2001:4860::1", "2001:240::1"), Category::FD);
  EXPECT_EQ(category(classifier, "2001:240::1", "8.8.8.8"), Category::DF);
  EXPECT_EQ(category(classifier, "1.208.0.1", "2001:4860::1"), Category::FF);
}

TEST(Classifier, ReportsBothCountries) {
  const Classifier classifier = make();
  const auto result = classifier.classify(address("1.208.0.1"), address("133.1.2.3"));
  EXPECT_EQ(result.category, Category::FD);
  EXPECT_EQ(result.initiator_country, kKr);
  EXPECT_EQ(result.responder_country, kJapan);
  const auto unknown = classifier.classify(address("192.168.0.1"), address("45.0.0.1"));
  EXPECT_FALSE(unknown.initiator_country.known());
  EXPECT_FALSE(unknown.responder_country.known());
}

TEST(Classifier, Ipv4MappedAddressesClassifyAsIpv4) {
  const Classifier classifier = make();
  EXPECT_EQ(category(classifier, "::ffff:8.8.8.8", "::ffff:133.1.2.3"), Category::FD);
  EXPECT_EQ(category(classifier, "::ffff:133.1.2.3", "133.9.9.9"), Category::DD);
}

TEST(Classifier, UnknownAddressesAreDomesticByDefault) {
  EXPECT_EQ(ClassifierOptions{}.unknown_addresses, UnknownAddresses::Domestic);
  const Classifier classifier = make();
  EXPECT_EQ(classifier.unknown_addresses(), UnknownAddresses::Domestic);
  // Private, reserved, and unlisted (45.0.0.1 is in no network of the small world).
  for (const char* unknown : {"10.1.2.3", "192.168.0.1", "100.64.0.1", "127.0.0.1", "45.0.0.1",
                              "fd00::1", "fe80::1", "2a00::1"}) {
    EXPECT_TRUE(classifier.is_domestic(address(unknown))) << unknown;
    EXPECT_EQ(category(classifier, unknown, "133.1.2.3"), Category::DD) << unknown;
    EXPECT_EQ(category(classifier, "8.8.8.8", unknown), Category::FD) << unknown;
  }
}

TEST(Classifier, UnknownAddressesCanBeForeign) {
  const Classifier classifier = make({}, UnknownAddresses::Foreign);
  EXPECT_EQ(classifier.unknown_addresses(), UnknownAddresses::Foreign);
  for (const char* unknown : {"10.1.2.3", "192.168.0.1", "45.0.0.1", "fd00::1", "2a00::1"}) {
    EXPECT_FALSE(classifier.is_domestic(address(unknown))) << unknown;
    EXPECT_EQ(category(classifier, unknown, "133.1.2.3"), Category::FD) << unknown;
    EXPECT_EQ(category(classifier, "8.8.8.8", unknown), Category::FF) << unknown;
  }
  // Known countries are not affected by the policy.
  EXPECT_EQ(category(classifier, "133.1.2.3", "133.4.5.6"), Category::DD);
}

TEST(Classifier, ParsesTheUnknownAddressesSetting) {
  EXPECT_EQ(parse_unknown_addresses("domestic"), UnknownAddresses::Domestic);
  EXPECT_EQ(parse_unknown_addresses("foreign"), UnknownAddresses::Foreign);
  EXPECT_FALSE(parse_unknown_addresses("Domestic").has_value());
  EXPECT_FALSE(parse_unknown_addresses("").has_value());
  EXPECT_EQ(to_string(UnknownAddresses::Foreign), "foreign");
}

TEST(Classifier, OverridesWinOverTheDatabase) {
  Overrides overrides;
  overrides.add(prefix("8.8.4.0/24"), true);       // a US block counted as domestic
  overrides.add(prefix("133.200.0.0/16"), false);  // a JP block counted as foreign
  overrides.add(prefix("133.200.7.0/24"), true);   // ... except this part: longest wins
  overrides.add(prefix("10.9.0.0/16"), false);     // private space, against the policy
  overrides.add(prefix("2001:4860:1::/48"), true);
  const Classifier classifier = make(overrides);
  EXPECT_TRUE(classifier.is_domestic(address("8.8.4.4")));
  EXPECT_FALSE(classifier.is_domestic(address("8.8.5.4")));
  EXPECT_FALSE(classifier.is_domestic(address("133.200.1.1")));
  EXPECT_TRUE(classifier.is_domestic(address("133.200.7.1")));
  EXPECT_TRUE(classifier.is_domestic(address("133.201.0.1")));
  EXPECT_FALSE(classifier.is_domestic(address("10.9.1.1")));
  EXPECT_TRUE(classifier.is_domestic(address("10.8.1.1")));
  EXPECT_TRUE(classifier.is_domestic(address("2001:4860:1::1")));
  EXPECT_FALSE(classifier.is_domestic(address("2001:4860:2::1")));
  // The country stays the database's.
  const auto result = classifier.classify(address("8.8.4.4"), address("133.200.1.1"));
  EXPECT_EQ(result.category, Category::DF);
  EXPECT_EQ(result.initiator_country, kUs);
  EXPECT_EQ(result.responder_country, kJapan);
}

TEST(Classifier, ShortOverrideBeatsLongerDatabaseNetwork) {
  Overrides overrides;
  overrides.add(prefix("8.0.0.0/7"), true);  // covers the database's 8.0.0.0/8 and 8.8.8.0/24
  const Classifier classifier = make(overrides);
  EXPECT_TRUE(classifier.is_domestic(address("8.8.8.8")));
  EXPECT_TRUE(classifier.is_domestic(address("9.1.1.1")));
  EXPECT_EQ(category(classifier, "8.8.8.8", "133.1.1.1"), Category::DD);
}

TEST(Classifier, SeveralDomesticCountries) {
  ClassifierOptions options;
  options.domestic_countries = {kJapan, kKr};
  options.authorized = all_but_dd();
  const Classifier classifier(small_world(), {}, options);
  EXPECT_EQ(category(classifier, "1.208.0.1", "133.1.2.3"), Category::DD);
  EXPECT_EQ(category(classifier, "8.8.8.8", "1.208.0.1"), Category::FD);

  options.domestic_countries = {kUs};
  const Classifier us(small_world(), {}, options);
  EXPECT_EQ(category(us, "8.8.8.8", "133.1.2.3"), Category::DF);
}

TEST(Classifier, AdmitsOnlyAuthorizedCategories) {
  CategorySet only_fd;
  only_fd.add(Category::FD);
  const Classifier classifier = make({}, UnknownAddresses::Domestic, only_fd);
  EXPECT_TRUE(classifier.admits(Category::FD));
  EXPECT_FALSE(classifier.admits(Category::FF));
  EXPECT_FALSE(classifier.admits(Category::DF));
  EXPECT_FALSE(classifier.admits(Category::DD));
  EXPECT_EQ(classifier.authorized(), only_fd);

  const Classifier nothing = make({}, UnknownAddresses::Domestic, CategorySet{});
  for (const auto c : {Category::FF, Category::FD, Category::DF, Category::DD}) {
    EXPECT_FALSE(nothing.admits(c)) << to_string(c);
  }
}

TEST(Classifier, ReversedSwapsTheMixedCategories) {
  EXPECT_EQ(reversed(Category::FD), Category::DF);
  EXPECT_EQ(reversed(Category::DF), Category::FD);
  EXPECT_EQ(reversed(Category::FF), Category::FF);
  EXPECT_EQ(reversed(Category::DD), Category::DD);
  const Classifier classifier = make();
  const auto forward = classifier.classify(address("8.8.8.8"), address("133.1.2.3"));
  const auto backward = classifier.classify(address("133.1.2.3"), address("8.8.8.8"));
  EXPECT_EQ(reversed(forward.category), backward.category);
}

TEST(Classifier, WithoutCountryTableEverythingIsUnknown) {
  ClassifierOptions options;
  options.authorized = all_but_dd();
  const Classifier classifier(nullptr, {}, options);
  EXPECT_EQ(category(classifier, "8.8.8.8", "133.1.2.3"), Category::DD);
}

TEST(Classifier, RealDatabase) {
  auto table = CountryTable::load(std::filesystem::path(MAMORI_SOURCE_DIR) / "data" /
                                  "iptoasn-country.mmdb");
  ASSERT_TRUE(table.has_value()) << table.error().message;
  ClassifierOptions options;
  options.authorized = all_but_dd();
  const Classifier classifier(std::make_shared<const CountryTable>(std::move(*table)), {}, options);
  EXPECT_EQ(category(classifier, "8.8.8.8", "133.242.0.1"), Category::FD);
  EXPECT_EQ(category(classifier, "2001:240::1", "2606:4700:4700::1111"), Category::DF);
  EXPECT_EQ(category(classifier, "1.1.1.1", "2001:4860:4860::8888"), Category::FF);
  EXPECT_EQ(category(classifier, "203.178.136.1", "2001:200::1"), Category::DD);
  EXPECT_EQ(category(classifier, "192.168.1.1", "210.140.10.1"), Category::DD);
  EXPECT_EQ(category(classifier, "8.8.8.8", "10.0.0.1"), Category::FD);
}

// I3: only categories covered by the active authorization are processed; DD never.
TEST(Invariant_I3, DomesticPairIsNeverAdmitted) {
  CategorySet everything;
  for (const auto c : {Category::FF, Category::FD, Category::DF, Category::DD}) everything.add(c);
  EXPECT_FALSE(everything.contains(Category::DD));
  const Classifier classifier = make({}, UnknownAddresses::Domestic, everything);
  for (const auto& [from, to] : std::vector<std::pair<const char*, const char*>>{
           {"133.1.2.3", "133.4.5.6"},    // JP ↔ JP
           {"2001:240::1", "133.4.5.6"},  // JP over IPv6 ↔ JP
           {"10.0.0.1", "133.4.5.6"},     // private (unknown → domestic) ↔ JP
           {"192.168.1.1", "10.0.0.2"},   // private ↔ private
           {"45.0.0.1", "fd00::1"},       // unlisted ↔ unique local
       }) {
    const auto result = classifier.classify(address(from), address(to));
    EXPECT_EQ(result.category, Category::DD) << from << " → " << to;
    EXPECT_FALSE(classifier.admits(result.category)) << from << " → " << to;
  }
  EXPECT_FALSE(classifier.admits(Category::DD));
}

TEST(Invariant_I3, UnauthorizedCategoryIsNotAdmitted) {
  CategorySet only_df;
  only_df.add(Category::DF);
  const Classifier classifier = make({}, UnknownAddresses::Domestic, only_df);
  const auto ff = classifier.classify(address("8.8.8.8"), address("1.208.0.1"));
  const auto fd = classifier.classify(address("8.8.8.8"), address("133.1.2.3"));
  const auto df = classifier.classify(address("133.1.2.3"), address("8.8.8.8"));
  EXPECT_EQ(ff.category, Category::FF);
  EXPECT_EQ(fd.category, Category::FD);
  EXPECT_EQ(df.category, Category::DF);
  EXPECT_FALSE(classifier.admits(ff.category));
  EXPECT_FALSE(classifier.admits(fd.category));
  EXPECT_TRUE(classifier.admits(df.category));
}

}  // namespace
}  // namespace mamori::scope
