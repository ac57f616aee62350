// STIX 2.1 export: ids, timestamps, TLP 2.0 markings, the writer's checks, and the acceptance
// test of issue 7: every exported bundle validates against the OASIS STIX 2.1 JSON schemas,
// checked by ajv through tools/stix-validate.mjs (needs node and `npm ci`: scripts/setup).

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "mamori/intel/stix.h"
#include "mamori/intel/stix_reader.h"
#include "mamori/intel/stix_writer.h"
#include "stix_samples.h"
#include "stix_validation.h"
#include "support/temp_dir.h"

namespace mamori::intel::stix {
namespace {

namespace fs = std::filesystem;
using testing::kSampleTime;
using testing::sample_objects;

const fs::path kSourceDir = MAMORI_SOURCE_DIR;

using TempDir = test_support::TempDir;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

using Validation = intel::testing::StixValidation;

Validation validate(const std::vector<fs::path>& files, const fs::path& scratch) {
  return intel::testing::validate_stix_files(files, scratch);
}

// ---- ids and timestamps ----------------------------------------------------------------------

TEST(StixIds, NewIdsAreVersion4UuidsOfTheirType) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_id("indicator");
    ASSERT_TRUE(is_valid_id(id, "indicator")) << id;
    EXPECT_EQ(id.size(), std::string("indicator--").size() + 36);
    EXPECT_EQ(id[11 + 14], '4');
    EXPECT_NE(std::string("89ab").find(id[11 + 19]), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000U);  // 122 random bits: a repeat means a broken generator
}

TEST(StixIds, IdFromBytesSetsVersionAndVariant) {
  std::array<std::uint8_t, 16> ones{};
  ones.fill(0xFF);
  EXPECT_EQ(id_from_bytes("report", ones), "report--ffffffff-ffff-4fff-bfff-ffffffffffff");
  std::array<std::uint8_t, 16> zeros{};
  EXPECT_EQ(id_from_bytes("note", zeros), "note--00000000-0000-4000-8000-000000000000");
}

TEST(StixIds, Validation) {
  EXPECT_TRUE(is_valid_id("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"));
  EXPECT_TRUE(is_valid_id("x-custom-obj--94868C89-83C2-464B-929B-A1A8AA3C8487", "x-custom-obj"));
  EXPECT_EQ(id_type("attack-pattern--94868c89-83c2-464b-929b-a1a8aa3c8487"), "attack-pattern");
  EXPECT_FALSE(is_valid_id("indicator--94868c89-83c2-464b-929b-a1a8aa3c8487", "malware"));
  EXPECT_FALSE(is_valid_id("indicator--94868c89-83c2-664b-929b-a1a8aa3c8487"));  // version 6
  EXPECT_FALSE(is_valid_id("indicator--94868c89-83c2-464b-c29b-a1a8aa3c8487"));  // variant
  EXPECT_FALSE(is_valid_id("indicator--94868c8983c2-464b-929b-a1a8aa3c8487a"));
  EXPECT_FALSE(is_valid_id("Indicator--94868c89-83c2-464b-929b-a1a8aa3c8487"));
  EXPECT_FALSE(is_valid_id("in--94868c89-83c2-464b-929b-a1a8aa3c8487"));
  EXPECT_FALSE(is_valid_id("indicator-94868c89-83c2-464b-929b-a1a8aa3c8487"));
  EXPECT_FALSE(is_valid_id(""));
  EXPECT_EQ(id_type("garbage"), "");
}

TEST(StixTimestamps, MillisecondPrecisionUtc) {
  EXPECT_EQ(format_timestamp(kSampleTime), "2026-11-22T02:37:19.123Z");
  EXPECT_EQ(format_timestamp(kSampleTime + Duration{999'999}), "2026-11-22T02:37:19.123Z");
  EXPECT_EQ(format_timestamp(Timestamp{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(Timestamp{-1}), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(parse_timestamp("2026-11-22T02:37:19.123Z").value(), kSampleTime);
  EXPECT_EQ(parse_timestamp("2026-11-22T02:37:19Z").value(),
            truncate_to_millis(kSampleTime - Duration::millis(123)));
  EXPECT_EQ(parse_timestamp("2026-11-22T02:37:19.123456789Z").value().nanos,
            kSampleTime.nanos + 456'789);
  EXPECT_FALSE(parse_timestamp("2026-11-22T02:37:19.123+09:00"));  // STIX: UTC only
  EXPECT_FALSE(parse_timestamp("2026-11-22 02:37:19Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-22T02:37:19.Z"));
  EXPECT_FALSE(parse_timestamp("2026-13-22T02:37:19Z"));
  EXPECT_FALSE(parse_timestamp(""));
}

// ---- TLP 2.0 ---------------------------------------------------------------------------------

TEST(StixTlp, CompiledMarkingsEqualTheVendoredOasisObjects) {
  const auto vendored =
      nlohmann::json::parse(read_file(kSourceDir / "data" / "tlp2-markings.json"));
  ASSERT_EQ(vendored["marking_definitions"].size(), kAllTlp.size());
  for (Tlp tlp : kAllTlp) {
    EXPECT_EQ(vendored["by_name"][std::string(tlp_name(tlp))], std::string(tlp_marking_id(tlp)));
    const auto written = nlohmann::json::parse(write_object(tlp_marking(tlp)).value());
    bool found = false;
    for (const auto& expected : vendored["marking_definitions"]) {
      if (expected["id"] == tlp_marking_id(tlp)) {
        EXPECT_EQ(written, expected) << tlp_name(tlp);
        found = true;
      }
    }
    EXPECT_TRUE(found) << tlp_name(tlp);
    EXPECT_EQ(tlp_from_marking_id(tlp_marking_id(tlp)), tlp);
  }
  EXPECT_EQ(vendored["extension_definition"]["id"], std::string(kTlpExtensionId));
}

TEST(StixTlp, LegacyTlp1IdsMapToTheirTlp2Meaning) {
  const auto vendored =
      nlohmann::json::parse(read_file(kSourceDir / "data" / "tlp2-markings.json"));
  const auto& legacy = vendored["legacy_tlp1_by_name"];
  ASSERT_EQ(legacy.size(), 4U);
  for (const auto& [name, id] : legacy.items()) {
    const auto tlp = tlp_from_marking_id(id.get<std::string>());
    ASSERT_TRUE(tlp.has_value()) << name;
    const std::string expected = name == "TLP:WHITE" ? "TLP:CLEAR" : name;
    EXPECT_EQ(tlp_name(*tlp), expected);
  }
  EXPECT_FALSE(tlp_from_marking_id("marking-definition--00000000-0000-4000-8000-000000000000"));
}

TEST(StixTlp, TierMappingAndProviderWishesOnlyTighten) {
  EXPECT_EQ(tlp_for_tier(1), Tlp::kRed);
  EXPECT_EQ(tlp_for_tier(2), Tlp::kAmberStrict);
  EXPECT_EQ(tlp_for_tier(3), Tlp::kClear);
  EXPECT_EQ(tlp_for_tier(7), Tlp::kRed);
  EXPECT_EQ(tlp_for_tier(3, Tlp::kGreen), Tlp::kGreen);
  EXPECT_EQ(tlp_for_tier(2, Tlp::kRed), Tlp::kRed);
  EXPECT_EQ(tlp_for_tier(2, Tlp::kClear), Tlp::kAmberStrict);  // a wish never loosens
  EXPECT_EQ(tlp_for_tier(1, Tlp::kClear), Tlp::kRed);
}

// ---- references ------------------------------------------------------------------------------

TEST(StixReferences, AttackAndCve) {
  auto technique = attack_reference("T1566");
  ASSERT_TRUE(technique);
  EXPECT_EQ(technique->source_name, "mitre-attack");
  EXPECT_EQ(technique->url, "https://attack.mitre.org/techniques/T1566/");
  auto sub = attack_reference("T1566.001");
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->external_id, "T1566.001");
  EXPECT_EQ(sub->url, "https://attack.mitre.org/techniques/T1566/001/");
  for (const char* bad : {"T156", "T15666", "1566", "T1566.01", "T1566-001", "TA0001", ""}) {
    EXPECT_FALSE(attack_reference(bad)) << bad;
  }
  auto cve = cve_reference("CVE-2024-3400");
  ASSERT_TRUE(cve);
  EXPECT_EQ(cve->source_name, "cve");
  EXPECT_EQ(cve->url, "https://www.cve.org/CVERecord?id=CVE-2024-3400");
  EXPECT_TRUE(cve_reference("CVE-2021-1234567"));
  for (const char* bad : {"CVE-2024-340", "cve-2024-3400", "CVE-24-3400", "CVE-2024-34a0"}) {
    EXPECT_FALSE(cve_reference(bad)) << bad;
  }
}

// ---- writer ----------------------------------------------------------------------------------

TEST(StixWriter, BundleHoldsTheReferencedTlpDefinitionsFirst) {
  auto objects = sample_objects(Tlp::kAmber);
  auto text = write_bundle(objects);
  ASSERT_TRUE(text) << text.error().message;
  const auto bundle = nlohmann::json::parse(*text);
  EXPECT_EQ(bundle["type"], "bundle");
  EXPECT_TRUE(is_valid_id(bundle["id"].get<std::string>(), "bundle"));
  ASSERT_EQ(bundle["objects"].size(), objects.size() + 1);
  EXPECT_EQ(bundle["objects"][0]["id"], std::string(tlp_marking_id(Tlp::kAmber)));
  for (const auto& object : bundle["objects"]) {
    EXPECT_EQ(object["spec_version"], "2.1");
    if (object["type"] == "marking-definition") continue;
    EXPECT_EQ(object["object_marking_refs"][0], std::string(tlp_marking_id(Tlp::kAmber)));
    EXPECT_EQ(object["created"], "2026-11-22T02:37:19.123Z");
    EXPECT_FALSE(object.contains("provider"));  // provenance stays inside mamori
  }
  // Already present: not added twice.
  objects.insert(objects.begin(), tlp_marking(Tlp::kAmber));
  const auto again = nlohmann::json::parse(write_bundle(objects).value());
  EXPECT_EQ(again["objects"].size(), objects.size());
}

TEST(StixWriter, PropertyOrderStartsWithTypeSpecVersionId) {
  const auto objects = sample_objects(Tlp::kGreen);
  const std::string text = write_object(objects[1]).value();
  EXPECT_EQ(text.rfind(R"({"type":"indicator","spec_version":"2.1","id":"indicator--)", 0), 0U)
      << text;
}

TEST(StixWriter, EscapesStringsForJson) {
  Note note;
  note.common.id = "note--00000000-0000-4000-8000-000000000000";
  note.content = std::string("q\"b\\n\nt\tc\x01z\x1f日本") + std::string(1, '\0');
  note.object_refs = {"report--00000000-0000-4000-8000-000000000000"};
  const std::string text = write_object(note).value();
  EXPECT_NE(text.find(R"("content":"q\"b\\n\nt\tc\u0001z\u001f日本\u0000")"), std::string::npos)
      << text;
  EXPECT_EQ(nlohmann::json::parse(text)["content"], note.content);
}

TEST(StixWriter, RefusesBrokenObjectsNamingIndexIdAndField) {
  auto objects = sample_objects(Tlp::kRed);
  auto expect_error = [&](std::vector<StixObject> bad, const std::string& fragment) {
    auto written = write_bundle(bad);
    ASSERT_FALSE(written) << fragment;
    EXPECT_NE(written.error().message.find(fragment), std::string::npos) << written.error().message;
  };
  {
    auto bad = objects;
    std::get<Indicator>(bad[1]).common.modified = kSampleTime - Duration::seconds(1);
    expect_error(bad, "object 1 (" + object_id(bad[1]) + "): modified: earlier than created");
  }
  {
    auto bad = objects;
    std::get<Indicator>(bad[1]).common.id = "malware--00000000-0000-4000-8000-000000000000";
    expect_error(bad,
                 "object 1 (malware--00000000-0000-4000-8000-000000000000): id: not a "
                 "indicator id");
  }
  {
    auto bad = objects;
    std::get<Report>(bad[11]).object_refs.clear();
    expect_error(bad, "object 11");
    expect_error(bad, "object_refs: required");
  }
  {
    auto bad = objects;
    std::get<Note>(bad[10]).content = "bad \xC3\x28 utf-8";
    expect_error(bad, "object 10 (" + object_id(bad[10]) + "): content: not valid UTF-8");
  }
  {
    auto bad = objects;
    std::get<Relationship>(bad[8]).target_ref = "not an id";
    expect_error(bad, "target_ref: not a STIX id");
  }
  {
    auto bad = objects;
    std::get<Sighting>(bad[7]).where_sighted_refs = {object_id(bad[1])};
    expect_error(bad, "where_sighted_refs/0: not an identity or location id");
  }
  {
    auto bad = objects;
    std::get<Indicator>(bad[1]).common.object_marking_refs = {object_id(bad[0])};
    expect_error(bad, "object_marking_refs/0: not a marking-definition id");
  }
  {
    auto bad = objects;
    std::get<Indicator>(bad[1]).valid_until = kSampleTime;
    expect_error(bad, "valid_until: not later than valid_from");
  }
  EXPECT_FALSE(write_bundle(std::vector<StixObject>{}));
  BundleOptions bad_id;
  bad_id.bundle_id = "report--00000000-0000-4000-8000-000000000000";
  EXPECT_FALSE(write_bundle(objects, bad_id));
}

// ---- acceptance: OASIS schemas with ajv ------------------------------------------------------

TEST(StixSchema, EveryExportedBundleValidates) {
  TempDir dir;
  std::vector<fs::path> files;
  std::uint8_t seed = 1;
  for (Tlp tlp : kAllTlp) {
    const auto bundle = write_bundle(sample_objects(tlp, seed++));
    ASSERT_TRUE(bundle) << bundle.error().message;
    files.push_back(dir.path() / fmt::format("bundle-{}.json", tlp_value(tlp)));
    write_file(files.back(), *bundle);
  }
  // All five markings in one bundle, objects carrying several of them, plus a statement marking.
  auto objects = sample_objects(Tlp::kClear, 42);
  for (Tlp tlp : kAllTlp) objects.emplace_back(tlp_marking(tlp));
  std::get<Indicator>(objects[1]).common.object_marking_refs = {
      std::string(tlp_marking_id(Tlp::kAmberStrict)), std::string(tlp_marking_id(Tlp::kGreen))};
  MarkingDefinition statement;
  statement.id = new_id("marking-definition");
  statement.created = kSampleTime;
  statement.name = "Confidentiality obligation (サイバー対処能力強化法)";
  statement.statement = "Council members only; do not share \"outside\" \\ the council.";
  objects.emplace_back(statement);
  std::get<Note>(objects[10]).common.object_marking_refs.push_back(statement.id);
  files.push_back(dir.path() / "bundle-mixed.json");
  write_file(files.back(), write_bundle(objects).value());
  // One object alone per type, so a failure names its type.
  for (const auto& object : sample_objects(Tlp::kRed, 99)) {
    files.push_back(dir.path() / fmt::format("single-{}.json", type_name(object)));
    write_file(files.back(), write_bundle(std::span(&object, 1)).value());
  }

  const Validation result = validate(files, dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  for (const auto& file : files) {
    EXPECT_NE(result.output.find(file.string() + ": valid"), std::string::npos) << file;
  }
}

TEST(StixSchema, ValidatorRejectsBrokenBundles) {
  TempDir dir;
  const auto good = nlohmann::json::parse(write_bundle(sample_objects(Tlp::kGreen)).value());
  struct Case {
    std::string name;
    std::function<void(nlohmann::json&)> breakage;
    std::string expected;  // a fragment of the validator's message
  };
  const std::vector<Case> cases = {
      {"no-pattern-type", [](auto& b) { b["objects"][2].erase("pattern_type"); }, "pattern_type"},
      {"bad-created", [](auto& b) { b["objects"][2]["created"] = "2026-11-22 02:37:19Z"; },
       "/created"},
      {"bad-id", [](auto& b) { b["objects"][3]["id"] = "indicator--1234"; }, "/id"},
      {"no-spec-version", [](auto& b) { b["objects"][1].erase("spec_version"); }, "spec_version"},
      // note is missing from bundle.json's list; the per-type pass must still catch this.
      {"note-without-content", [](auto& b) { b["objects"][11].erase("content"); }, "content"},
      {"unknown-type", [](auto& b) { b["objects"][1]["type"] = "x-mamori-thing"; },
       "no OASIS schema"},
  };
  std::vector<fs::path> files;
  for (const auto& c : cases) {
    auto broken = good;
    c.breakage(broken);
    files.push_back(dir.path() / (c.name + ".json"));
    write_file(files.back(), broken.dump());
  }
  // Sanity: the unbroken bundle passes, so the failures come from the breakage. One run of the
  // validator for all files (each start compiles the schemas); its report is split per file.
  files.push_back(dir.path() / "good.json");
  write_file(files.back(), good.dump());
  const Validation result = validate(files, dir.path());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  auto section = [&](const fs::path& file) {
    const std::size_t start = result.output.find(file.string() + ": ");
    if (start == std::string::npos) return std::string();
    const std::size_t end = result.output.find("\n/", start);
    std::string text = result.output.substr(start, end == std::string::npos ? end : end - start);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string report = section(files[i]);
    EXPECT_EQ(report.rfind(files[i].string() + ": invalid", 0), 0U) << cases[i].name << "\n"
                                                                    << result.output;
    EXPECT_NE(report.find(cases[i].expected), std::string::npos) << cases[i].name << "\n" << report;
  }
  EXPECT_EQ(section(files.back()), files.back().string() + ": valid");
}

// ---- round trip ------------------------------------------------------------------------------

TEST(StixRoundTrip, ImportOfAnExportGivesTheSameObjects) {
  for (Tlp tlp : kAllTlp) {
    const auto objects = sample_objects(tlp);
    const auto imported = read_bundle(write_bundle(objects).value(), "jpcert");
    ASSERT_TRUE(imported) << imported.error().message;
    EXPECT_TRUE(imported->errors.empty());
    EXPECT_TRUE(imported->skipped.empty());
    EXPECT_EQ(imported->opaque_patterns, 0U);
    ASSERT_EQ(imported->objects.size(), objects.size() + 1);  // + the TLP definition
    EXPECT_EQ(imported->objects[0], StixObject([&] {
                auto marking = tlp_marking(tlp);
                marking.provider = "provider:jpcert";
                return marking;
              }()));
    for (std::size_t i = 0; i < objects.size(); ++i) {
      StixObject expected = objects[i];
      std::visit(
          [](auto& o) {
            using T = std::decay_t<decltype(o)>;
            if constexpr (!std::is_same_v<T, MarkingDefinition>)
              o.common.provider = "provider:jpcert";
            if constexpr (std::is_same_v<T, Indicator>)
              o.parsed_pattern = parse_pattern(o.pattern).value();
          },
          expected);
      EXPECT_EQ(imported->objects[i + 1], expected) << "object " << i << " " << type_name(expected);
    }
  }
}

TEST(StixRoundTrip, ExportOfAnImportIsByteIdentical) {
  BundleOptions options;
  options.bundle_id = "bundle--6a8b2c0e-1d4f-4a8e-9c3b-2f1e0d9c8b7a";
  const std::string first = write_bundle(sample_objects(Tlp::kAmberStrict), options).value();
  const auto imported = read_bundle(first, "cert-example");
  ASSERT_TRUE(imported);
  EXPECT_EQ(write_bundle(imported->objects, options).value(), first);
}

}  // namespace
}  // namespace mamori::intel::stix
