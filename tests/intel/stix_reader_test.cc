// STIX 2.1 import: provider labels, per-object errors with JSON-pointer paths, skipped types,
// and bundles that are not bundles.

#include "mamori/intel/stix_reader.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/intel/stix_writer.h"
#include "stix_samples.h"

namespace mamori::intel::stix {
namespace {

using nlohmann::json;
using testing::sample_objects;

constexpr std::string_view kBundleId = "bundle--6a8b2c0e-1d4f-4a8e-9c3b-2f1e0d9c8b7a";

json sample_bundle() { return json::parse(write_bundle(sample_objects(Tlp::kGreen)).value()); }

const Common& common_of(const StixObject& object) {
  return std::visit(
      [](const auto& o) -> const Common& {
        if constexpr (std::is_same_v<std::decay_t<decltype(o)>, MarkingDefinition>) {
          static const Common none;
          return none;
        } else {
          return o.common;
        }
      },
      object);
}

TEST(StixReader, EveryObjectCarriesTheProviderLabel) {
  const auto result = read_bundle(sample_bundle().dump(), "council-member-7");
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->objects.size(), 13U);
  for (const auto& object : result->objects) {
    if (const auto* marking = std::get_if<MarkingDefinition>(&object)) {
      EXPECT_EQ(marking->provider, "provider:council-member-7");
      EXPECT_EQ(marking->tlp, Tlp::kGreen);
    } else {
      EXPECT_EQ(common_of(object).provider, "provider:council-member-7") << type_name(object);
    }
  }
  EXPECT_EQ(provider_label("jpcert"), "provider:jpcert");
}

TEST(StixReader, AcceptsWhatItCanAndReportsEachBadObjectWithItsPath) {
  json bundle = sample_bundle();
  auto& objects = bundle["objects"];
  const std::string indicator_id = objects[2]["id"];
  objects[2].erase("valid_from");                                     // missing required field
  objects[3]["pattern"] = 42;                                         // wrong type
  objects[4]["external_references"] = json::array({{{"url", "x"}}});  // no source_name
  objects[6]["kill_chain_phases"][0] = "initial-access";              // not an object
  objects[8]["where_sighted_refs"][0] = "not-an-id";
  objects[9]["created"] = "yesterday";
  objects[10]["spec_version"] = "2.0";
  objects.push_back("a string, not an object");
  objects.push_back({{"id", "indicator--00000000-0000-4000-8000-000000000000"}});  // no type
  const auto result = read_bundle(bundle.dump(), "partner");
  ASSERT_TRUE(result) << result.error().message;

  std::map<std::string, std::string> errors;  // path -> message
  for (const auto& error : result->errors) errors[error.path] = error.message;
  ASSERT_EQ(result->errors.size(), 9U);
  EXPECT_EQ(errors["/objects/2/valid_from"],
            "/objects/2/valid_from (" + indicator_id + "): required");
  EXPECT_EQ(result->errors[0].index, 2U);
  EXPECT_EQ(result->errors[0].id, indicator_id);
  EXPECT_TRUE(errors.contains("/objects/3/pattern"));
  EXPECT_NE(errors["/objects/3/pattern"].find("expected a string"), std::string::npos);
  EXPECT_TRUE(errors.contains("/objects/4/external_references/0/source_name"));
  EXPECT_TRUE(errors.contains("/objects/6/kill_chain_phases/0"));
  EXPECT_TRUE(errors.contains("/objects/8/where_sighted_refs/0"));
  EXPECT_TRUE(errors.contains("/objects/9/created"));
  EXPECT_NE(errors["/objects/10/spec_version"].find("must be \"2.1\""), std::string::npos);
  EXPECT_NE(errors["/objects/13"].find("(no valid id): expected an object"), std::string::npos);
  EXPECT_NE(errors["/objects/14/type"].find("required"), std::string::npos);
  // The other six objects are in, in bundle order.
  ASSERT_EQ(result->objects.size(), 13U + 2 - 9);
  EXPECT_EQ(type_name(result->objects[0]), "marking-definition");
  EXPECT_EQ(type_name(result->objects[1]), "identity");
  EXPECT_EQ(type_name(result->objects[2]), "malware");
  EXPECT_EQ(type_name(result->objects[3]), "vulnerability");
}

TEST(StixReader, MessagesDoNotQuoteValues) {
  json bundle = sample_bundle();
  bundle["objects"][2]["valid_from"] = "203.0.113.99 secret";
  bundle["objects"][3]["created_by_ref"] = "identity--evil.example";
  const auto result = read_bundle(bundle.dump(), "partner");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->errors.size(), 2U);
  for (const auto& error : result->errors) {
    EXPECT_EQ(error.message.find("203.0.113.99"), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find("evil"), std::string::npos) << error.message;
  }
}

TEST(StixReader, SkipsTypesItDoesNotModelAndCountsThem) {
  json bundle = sample_bundle();
  bundle["objects"].push_back({{"type", "campaign"},
                               {"spec_version", "2.1"},
                               {"id", "campaign--00000000-0000-4000-8000-000000000000"},
                               {"created", "2026-01-01T00:00:00.000Z"},
                               {"modified", "2026-01-01T00:00:00.000Z"},
                               {"name", "x"}});
  bundle["objects"].push_back({{"type", "ipv4-addr"},
                               {"id", "ipv4-addr--00000000-0000-5000-8000-000000000000"},
                               {"value", "203.0.113.1"}});
  bundle["objects"].push_back({{"type", "x-acme-widget"}, {"spec_version", "2.1"}});
  bundle["objects"].push_back({{"type", "Not A Type!"}});
  bundle["objects"].push_back({{"type", "marking-definition"},
                               {"spec_version", "2.1"},
                               {"id", "marking-definition--00000000-0000-4000-8000-000000000000"},
                               {"created", "2026-01-01T00:00:00.000Z"},
                               {"extensions", json::object()}});
  const auto result = read_bundle(bundle.dump(), "partner");
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->errors.empty());
  EXPECT_EQ(result->objects.size(), 13U);
  ASSERT_EQ(result->skipped.size(), 5U);
  EXPECT_EQ(result->skipped[0].type, "campaign");
  EXPECT_EQ(result->skipped[0].id, "campaign--00000000-0000-4000-8000-000000000000");
  EXPECT_NE(result->skipped[0].note.find("not modelled"), std::string::npos);
  EXPECT_NE(result->skipped[1].note.find("cyber-observable"), std::string::npos);
  EXPECT_EQ(result->skipped[2].type, "x-acme-widget");
  EXPECT_EQ(result->skipped[3].type, "");  // not a well-formed type: not repeated
  EXPECT_EQ(result->skipped[4].index, 17U);
}

TEST(StixReader, ForeignPatternsStayOpaque) {
  json bundle = sample_bundle();
  bundle["objects"][2]["pattern"] = "[network-traffic:dst_port = 4444] WITHIN 60 SECONDS";
  bundle["objects"][3]["pattern_type"] = "sigma";
  bundle["objects"][3]["pattern"] = "title: x";
  const auto result = read_bundle(bundle.dump(), "partner");
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->errors.empty());
  EXPECT_EQ(result->opaque_patterns, 2U);
  const auto& indicator = std::get<Indicator>(result->objects[2]);
  EXPECT_FALSE(indicator.parsed_pattern);
  EXPECT_EQ(indicator.pattern, "[network-traffic:dst_port = 4444] WITHIN 60 SECONDS");
}

TEST(StixReader, LegacyTlpAndStatementMarkings) {
  json bundle = {{"type", "bundle"}, {"id", kBundleId}};
  bundle["objects"] =
      json::array({{{"type", "marking-definition"},
                    {"spec_version", "2.1"},
                    {"id", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"},
                    {"created", "2017-01-20T00:00:00.000Z"},
                    {"definition_type", "tlp"},
                    {"name", "TLP:AMBER"},
                    {"definition", {{"tlp", "amber"}}}},
                   {{"type", "marking-definition"},
                    {"spec_version", "2.1"},
                    {"id", "marking-definition--00000000-0000-4000-8000-000000000001"},
                    {"created", "2026-01-01T00:00:00Z"},
                    {"definition_type", "statement"},
                    {"definition", {{"statement", "Copyright partner"}}}}});
  const auto result = read_bundle(bundle.dump(), "partner");
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->objects.size(), 2U)
      << (result->errors.empty() ? "" : result->errors[0].message);
  EXPECT_EQ(std::get<MarkingDefinition>(result->objects[0]).tlp, Tlp::kAmber);
  EXPECT_EQ(std::get<MarkingDefinition>(result->objects[1]).statement, "Copyright partner");
}

TEST(StixReader, WholeInputErrors) {
  struct Case {
    std::string text;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {"", "not valid JSON"},
      {"{\"type\": \"bundle\", ", "not valid JSON"},
      {"{\"type\": \"bundle\", \"id\": \"bundle--6a8b2c0e-1d4f-4a8e-9c3b-2f1e0d9c8b7a\", "
       "\"objects\": [\"\xFF\"]}",
       "not valid JSON"},
      {"[]", "/: expected a bundle object"},
      {R"({"type": "report", "id": "bundle--6a8b2c0e-1d4f-4a8e-9c3b-2f1e0d9c8b7a"})",
       "/type: must be \"bundle\""},
      {R"({"id": "bundle--6a8b2c0e-1d4f-4a8e-9c3b-2f1e0d9c8b7a"})", "/type: required"},
      {R"({"type": "bundle"})", "/id: required"},
      {R"({"type": "bundle", "id": "bundle--x"})", "/id: not a bundle id"},
      {R"({"type": "bundle", "id": "bundle--6a8b2c0e-1d4f-4a8e-9c3b-2f1e0d9c8b7a", "objects": {}})",
       "/objects: expected an array"},
  };
  for (const auto& c : cases) {
    const auto result = read_bundle(c.text, "partner");
    ASSERT_FALSE(result) << c.text;
    EXPECT_NE(result.error().message.find(c.fragment), std::string::npos)
        << c.text << " -> " << result.error().message;
  }
  EXPECT_FALSE(read_bundle(sample_bundle().dump(), ""));
  EXPECT_FALSE(read_bundle(sample_bundle().dump(), "bad\norg"));
  const auto empty = read_bundle(
      R"({"type":"bundle","id":"bundle--6a8b2c0e-1d4f-4a8e-9c3b-2f1e0d9c8b7a"})", "partner");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->objects.empty());
  EXPECT_EQ(empty->bundle_id, kBundleId);
}

TEST(StixReader, RangesAndOrderingRules) {
  json bundle = sample_bundle();
  bundle["objects"][2]["confidence"] = 101;
  bundle["objects"][3]["valid_until"] = bundle["objects"][3]["valid_from"];
  bundle["objects"][8]["count"] = -1;
  bundle["objects"][9]["modified"] = "2000-01-01T00:00:00.000Z";
  bundle["objects"][12]["object_refs"] = json::array();
  const auto result = read_bundle(bundle.dump(), "partner");
  ASSERT_TRUE(result);
  std::set<std::string> paths;
  for (const auto& error : result->errors) paths.insert(error.path);
  EXPECT_EQ(paths, (std::set<std::string>{"/objects/2/confidence", "/objects/3/valid_until",
                                          "/objects/8/count", "/objects/9/modified",
                                          "/objects/12/object_refs"}));
}

}  // namespace
}  // namespace mamori::intel::stix
