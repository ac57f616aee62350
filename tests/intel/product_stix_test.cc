// Products as STIX 2.1 bundles (product_stix.h): each part kind maps to its object, every object
// carries the tier's TLP marking and the producing agency, a T3 bundle holds no comm_info or
// secret value (I8), the bundle validates against the OASIS schemas (tools/stix-validate.mjs),
// and imported indicators become a product of provider-labelled parts.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "intel_fixture.h"
#include "mamori/intel/product_stix.h"
#include "mamori/intel/sanitizer.h"
#include "mamori/intel/stix_reader.h"
#include "stix_samples.h"
#include "stix_validation.h"

namespace mamori::intel {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::kCommInfoAddress;
using testing::kCommInfoNote;
using testing::kEmbargoedCve;
using testing::kFindingRef;
using testing::kSecretActivity;
using testing::kSecretIncident;
using testing::kT0;
using testing::kVictimAddress;

const fs::path kSourceDir = MAMORI_SOURCE_DIR;

json bundle_json(const Product& product, const StixExportOptions& options = {}) {
  const ManualClock clock(kT0);
  auto text = product_to_bundle(product, clock, options);
  EXPECT_TRUE(text) << (text ? "" : text.error().message);
  return text ? json::parse(*text) : json::object();
}

std::vector<json> of_type(const json& bundle, std::string_view type) {
  std::vector<json> out;
  for (const auto& object : bundle["objects"]) {
    if (object["type"] == type) out.push_back(object);
  }
  return out;
}

Product derived(Tier tier) {
  auto derivation = derive_tier(testing::stored_sample(), tier);
  EXPECT_TRUE(derivation) << (derivation ? "" : derivation.error().message);
  return derivation->product;
}

// The bundle validates against the OASIS schemas (stix_validation.h).
void expect_valid(const std::string& bundle) {
  std::string pattern = (fs::temp_directory_path() / "mamori-pstix-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  std::ofstream(dir / "bundle.json", std::ios::binary) << bundle;
  const auto result = testing::validate_stix_files({dir / "bundle.json"}, dir);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  fs::remove_all(dir);
}

TEST(ProductStix, EachPartKindMapsToItsObject) {
  const Product product = testing::stored_sample();  // T1: every part as it is
  const json bundle = bundle_json(product);
  ASSERT_EQ(bundle["type"], "bundle");

  // Indicators: ip (v4 and v6), domain, url, hash, one per indicator part, with patterns.
  const auto indicators = of_type(bundle, "indicator");
  ASSERT_EQ(indicators.size(), 7U);
  std::set<std::string> patterns;
  for (const auto& indicator : indicators) patterns.insert(indicator["pattern"]);
  EXPECT_TRUE(patterns.contains("[ipv4-addr:value = '203.0.113.45']"));
  EXPECT_TRUE(patterns.contains("[ipv6-addr:value = '2001:db8:1:2::5']"));
  EXPECT_TRUE(patterns.contains("[domain-name:value = 'c2.example.net']"));
  EXPECT_TRUE(patterns.contains("[url:value = 'https://c2.example.net/gate']"));
  EXPECT_TRUE(
      patterns.contains("[file:hashes.'SHA-256' = "
                        "'9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']"));

  // ATT&CK technique → attack-pattern with the mitre-attack reference.
  const auto attack = of_type(bundle, "attack-pattern");
  ASSERT_EQ(attack.size(), 1U);
  EXPECT_EQ(attack[0]["external_references"][0]["source_name"], "mitre-attack");
  EXPECT_EQ(attack[0]["external_references"][0]["external_id"], "T1071.001");

  // CVEs → vulnerabilities with the cve reference; the embargo is stated.
  const auto vulnerabilities = of_type(bundle, "vulnerability");
  ASSERT_EQ(vulnerabilities.size(), 2U);
  for (const auto& v : vulnerabilities) {
    EXPECT_EQ(v["external_references"][0]["source_name"], "cve");
    EXPECT_EQ(v["external_references"][0]["external_id"], v["name"]);
  }

  // Indicators indicate the technique.
  EXPECT_EQ(of_type(bundle, "relationship").size(), 7U);

  // Findings, incident summaries and text parts, and the five audience notes, are notes.
  const auto notes = of_type(bundle, "note");
  EXPECT_EQ(notes.size(), 3U + 5U);
  std::set<std::string> abstracts;
  for (const auto& note : notes) abstracts.insert(note["abstract"]);
  for (const char* abstract : {"finding 'finding'", "incident_summary 'incident'",
                               "text 'activity'", "strategic (ja)", "technical (en)"}) {
    EXPECT_TRUE(abstracts.contains(abstract)) << abstract;
  }

  // The report references everything and carries the strategic notes in both languages.
  const auto reports = of_type(bundle, "report");
  ASSERT_EQ(reports.size(), 1U);
  const json& report = reports[0];
  EXPECT_EQ(report["name"], product.title);
  const std::string description = report["description"];
  EXPECT_NE(description.find("A campaign against power utilities."), std::string::npos);
  EXPECT_NE(description.find("電力事業者を狙った攻撃活動。"), std::string::npos);
  std::set<std::string> referenced(report["object_refs"].begin(), report["object_refs"].end());
  for (const auto& object : bundle["objects"]) {
    const std::string type = object["type"];
    if (type == "report" || type == "marking-definition") continue;
    EXPECT_TRUE(referenced.contains(object["id"])) << object["id"];
  }

  // The agency's identity made everything; every object is marked TLP:RED (T1).
  const auto identities = of_type(bundle, "identity");
  ASSERT_EQ(identities.size(), 1U);
  const std::string identity_id = identities[0]["id"];
  EXPECT_EQ(identity_id, agency_identity_id("nco"));
  const std::string red(stix::tlp_marking_id(stix::Tlp::kRed));
  for (const auto& object : bundle["objects"]) {
    if (object["type"] == "marking-definition") continue;
    EXPECT_EQ(object["created_by_ref"], identity_id) << object["id"];
    EXPECT_EQ(object["object_marking_refs"], json::array({red})) << object["id"];
  }
  EXPECT_EQ(of_type(bundle, "marking-definition").size(), 1U);
}

TEST(ProductStix, TlpFollowsTierAndTheStrictestProviderWish) {
  const Product t2 = derived(Tier::t2);
  EXPECT_EQ(product_tlp(t2, {}), stix::Tlp::kAmberStrict);
  const Product t3 = derived(Tier::t3);
  EXPECT_EQ(product_tlp(t3, {}), stix::Tlp::kClear);

  // The jpcert part is in T2 (its consent does not matter for the tier); its wish applies.
  StixExportOptions options;
  options.provider_wishes = {{"jpcert", stix::Tlp::kRed}, {"other", stix::Tlp::kGreen}};
  ASSERT_NE(t2.find_part("partner-ioc"), nullptr);
  EXPECT_EQ(product_tlp(t2, options), stix::Tlp::kRed);
  // A wish of a provider whose data is not in the product changes nothing.
  StixExportOptions unrelated;
  unrelated.provider_wishes = {{"other", stix::Tlp::kRed}};
  EXPECT_EQ(product_tlp(t3, unrelated), stix::Tlp::kClear);

  const json bundle = bundle_json(t2, options);
  const std::string red(stix::tlp_marking_id(stix::Tlp::kRed));
  for (const auto& object : bundle["objects"]) {
    if (object["type"] == "marking-definition") continue;
    EXPECT_EQ(object["object_marking_refs"], json::array({red}));
  }
}

TEST(Invariant_I8, T3BundleHoldsNoCommInfoOrSecretValues) {
  const Product t3 = derived(Tier::t3);
  const ManualClock clock(kT0);
  auto text = product_to_bundle(t3, clock);
  ASSERT_TRUE(text) << text.error().message;
  // comm_info (not shareable) and secret values; 192.0.2.10 (comm_info+shareable) may stay.
  for (const char* forbidden : {kCommInfoAddress, kVictimAddress, kFindingRef, kSecretIncident,
                                kSecretActivity, kEmbargoedCve, kCommInfoNote}) {
    EXPECT_EQ(text->find(forbidden), std::string::npos) << forbidden;
  }
  // The generalised C2 address appears as its /24 only.
  EXPECT_NE(text->find("203.0.113.0/24"), std::string::npos);
  // Marked CLEAR.
  EXPECT_NE(text->find(stix::tlp_marking_id(stix::Tlp::kClear)), std::string::npos);
  expect_valid(*text);
}

TEST(Invariant_I8, ExportRefusesAProductHoldingWhatItsTierForbids) {
  Product forged = derived(Tier::t3);
  Part leaked;
  leaked.id = "leaked";
  leaked.kind = PartKind::text;
  leaked.value = kSecretActivity;
  leaked.labels.secret = true;
  forged.parts.push_back(leaked);
  const ManualClock clock(kT0);
  auto text = product_to_bundle(forged, clock);
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("leaked"), std::string::npos) << text.error().message;
  EXPECT_EQ(text.error().message.find(kSecretActivity), std::string::npos);
}

TEST(ProductStix, BundlesOfEveryTierValidate) {
  for (Tier tier : {Tier::t1, Tier::t2, Tier::t3}) {
    const Product product = tier == Tier::t1 ? testing::stored_sample() : derived(tier);
    const ManualClock clock(kT0);
    auto text = product_to_bundle(product, clock);
    ASSERT_TRUE(text) << text.error().message;
    expect_valid(*text);
  }
}

TEST(ProductStix, ImportedIndicatorsBecomeProviderLabelledParts) {
  const ManualClock clock(kT0);
  auto bundle = product_to_bundle(testing::stored_sample(), clock);
  ASSERT_TRUE(bundle) << bundle.error().message;
  auto import = stix::read_bundle(*bundle, "cert-partner");
  ASSERT_TRUE(import) << import.error().message;
  ConsentScope scope;
  scope.recipients = {RecipientClass::agency};
  scope.purposes = {"attack-analysis"};
  auto product =
      product_from_import(*import, "cert-partner", scope, "import-cert-partner-1", kT0, "analyst");
  ASSERT_TRUE(product) << product.error().message;
  EXPECT_EQ(product->product.tier, Tier::t1);
  EXPECT_EQ(product->product.parts.size(), 7U);
  for (const Part& part : product->product.parts) {
    EXPECT_EQ(part.kind, PartKind::indicator);
    ASSERT_EQ(part.labels.providers.size(), 1U);
    EXPECT_EQ(part.labels.providers[0].organisation, "cert-partner");
    EXPECT_EQ(part.labels.providers[0].scope, scope);
  }
  EXPECT_TRUE(validate_product(product->product));

  EXPECT_FALSE(product_from_import(*import, "Not An Org!", scope, "x", kT0, "analyst"));
}

}  // namespace
}  // namespace mamori::intel
