// End-to-end tests of `mamori intel publish` and `mamori intel deliveries` driving the real
// binary: publishing a product into a TAXII collection is a provision to the collection's
// audience — decided by the dissemination rules, on the ledger before anything is stored — and
// what the collection then holds is the sanitized tier only (I8), as STIX that validates against
// the OASIS schemas. Refusals (by the rules, because the product cannot be made clean, because a
// provider's TLP is stricter than the collection's tier allows) are recorded and add nothing.
// The collection is read back through TaxiiStore without running mamorid.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "intel/stix_validation.h"
#include "intel_product_sample.h"
#include "mamori/core/time.h"
#include "mamori/server/taxii_store.h"
#include "workspace.h"

namespace {

namespace fs = std::filesystem;
using mamori::testing::CommandRun;
using mamori::testing::read_file;
using mamori::testing::Workspace;
using nlohmann::json;
using namespace mamori::testing::intel_sample;  // NOLINT(google-build-using-namespace)

constexpr const char* kPublic = "33333333-3333-4333-8333-333333333333";        // T3, public
constexpr const char* kCouncil = "22222222-2222-4222-8222-222222222222";       // T2, obligation
constexpr const char* kNoObligation = "22222222-2222-4222-8222-2222222222bb";  // T2, none
constexpr const char* kOperators = "22222222-2222-4222-8222-2222222222cc";     // T2, operators
constexpr const char* kNoAudience = "44444444-4444-4444-8444-444444444444";    // T3, no audience

// One [[taxii.collections]] entry; `facts` are its audience lines.
std::string collection_entry(const char* id, const char* title, int tier,
                             const std::string& facts) {
  return "[[taxii.collections]]\nid = \"" + std::string(id) + "\"\ntitle = \"" + title +
         "\"\ntier = " + std::to_string(tier) + "\n" + facts;
}

std::string taxii_section() {
  return "[taxii]\ncertificate = \"tls/server.crt\"\nprivate_key = \"tls/server.key\"\n"
         "database = \"taxii.db\"\n" +
         collection_entry(kPublic, "public (T3)", 3, "audience = \"public\"\n") +
         collection_entry(kCouncil, "council members (T2)", 2,
                          "audience = \"council_member\"\n"
                          "confidentiality_obligation = \"council-rules-2026\"\n") +
         collection_entry(kNoObligation, "council without rules (T2)", 2,
                          "audience = \"council_member\"\n") +
         collection_entry(kOperators, "designated operators (T2)", 2,
                          "audience = \"designated_operator\"\n") +
         collection_entry(kNoAudience, "contributions", 3, "");
}

class Publish : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = std::make_unique<Workspace>();
    ws_->write_config("[\"FF\"]", "run.db", /*approve=*/false, taxii_section());
    std::ofstream(ws_->dir() / "product.json") << sample_product("apt-pub").dump(2);
    const CommandRun put = run("intel product put '" + path("product.json") + "'", "put");
    ASSERT_EQ(put.exit_code, 0) << put.err;
  }
  void TearDown() override { ws_.reset(); }

  static std::string path(const std::string& name) { return (ws_->dir() / name).string(); }
  static std::string analyst() {
    return "--user analyst --password-file '" + path("analyst.password") + "'";
  }
  static CommandRun run(const std::string& arguments, const std::string& label) {
    return ws_->mamori(arguments + " " + ws_->config() + " " + analyst(), label);
  }
  static CommandRun publish(const std::string& product, const std::string& collection,
                            const std::string& label, const std::string& extra = "") {
    return run("intel publish --id " + product + " --collection " + collection + " --legal-basis " +
                   kBasis + " --purpose attack-analysis " + extra,
               label);
  }

  // The collection's objects as stored, read without mamorid.
  static std::vector<mamori::server::StoredObject> collection(const std::string& id) {
    const mamori::SystemClock clock;
    auto store = mamori::server::TaxiiStore::open(path("taxii.db"), clock);
    EXPECT_TRUE(store) << store.error().message;
    if (!store) return {};
    mamori::server::ObjectFilter all;
    all.version = mamori::server::VersionMatch::kAll;
    all.limit = 10'000;
    auto page = (*store)->objects(id, all, /*with_json=*/true);
    EXPECT_TRUE(page) << page.error().message;
    return page ? page->objects : std::vector<mamori::server::StoredObject>{};
  }

  // Ledger entries of one type, through an export as the overseer would read them.
  static std::vector<json> events(const std::string& type) {
    const auto file = ws_->dir() / "ledger.jsonl";
    const CommandRun exported =
        ws_->mamori("ledger export " + ws_->config() + " --out '" + file.string() + "'", "export");
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    std::vector<json> out;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      auto entry = json::parse(line, nullptr, false);
      if (entry.is_object() && entry.value("type", "") == type) out.push_back(entry);
    }
    return out;
  }

  static std::unique_ptr<Workspace> ws_;
};

std::unique_ptr<Workspace> Publish::ws_;

TEST_F(Publish, Invariant_I8_PublicCollectionHoldsOnlyTheSanitizedProduct) {
  const CommandRun published = publish("apt-pub", kPublic, "publish-t3", "--json");
  ASSERT_EQ(published.exit_code, 0) << published.err;
  const json out = json::parse(published.out);
  EXPECT_EQ(out["tier"], "T3");
  EXPECT_EQ(out["tlp"], "TLP:CLEAR");
  EXPECT_EQ(out["collection"]["id"], kPublic);
  EXPECT_EQ(out["recipient"], std::string("taxii:") + kPublic);
  EXPECT_EQ(out["class"], "public");

  const auto objects = collection(kPublic);
  ASSERT_FALSE(objects.empty());
  EXPECT_EQ(out["objects"], objects.size());
  EXPECT_EQ(out["added"], objects.size());
  std::string all_json;
  json bundle = {{"type", "bundle"},
                 {"id", "bundle--6b7f0a4e-3c1d-4e2f-9a8b-7c6d5e4f3a2b"},
                 {"objects", json::array()}};
  bool has_indicator = false;
  for (const auto& o : objects) {
    EXPECT_EQ(o.provider, "");  // mamori's own product
    all_json += o.json + "\n";
    const json object = json::parse(o.json);
    bundle["objects"].push_back(object);
    if (o.type == "indicator") has_indicator = true;
    if (o.type != "marking-definition") {
      EXPECT_EQ(object["object_marking_refs"],
                json::array({"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"}))
          << o.id;  // TLP:CLEAR
    }
  }
  EXPECT_TRUE(has_indicator);
  for (const char* value : {kCommInfoVictim, kCommInfoC2, kCommInfoFinding, kCommInfoNote,
                            kSecretIncident, kSecretActivity}) {
    EXPECT_FALSE(contains(all_json, value)) << value;
    EXPECT_FALSE(contains(published.out + published.err, value)) << value;
  }
  EXPECT_TRUE(contains(all_json, "203.0.113.0/24"));  // generalised by the author's leave

  // What the collection holds is valid STIX 2.1 (OASIS schemas).
  const fs::path bundle_file = ws_->dir() / "published.bundle.json";
  std::ofstream(bundle_file) << bundle.dump(2);
  const auto validation = mamori::intel::testing::validate_stix_files({bundle_file}, ws_->dir());
  EXPECT_EQ(validation.exit_code, 0) << validation.output;

  // The provision is on the ledger, naming the collection as the recipient.
  const auto made = events("provision.made");
  ASSERT_EQ(made.size(), 1U);
  EXPECT_EQ(made[0]["body"]["recipient"]["id"], std::string("taxii:") + kPublic);
  EXPECT_EQ(made[0]["body"]["recipient"]["class"], "public");
  EXPECT_EQ(made[0]["body"]["recipient"]["name"], "public (T3)");
  EXPECT_EQ(made[0]["body"]["tier"], "T3");
  EXPECT_EQ(made[0]["seq"], out["ledger_seq"]);
  EXPECT_TRUE(events("provision.refused").empty());

  // It is a provision like any other.
  const CommandRun list = run("intel provisions --json", "provisions");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  ASSERT_EQ(json::parse(list.out).size(), 1U);
  EXPECT_EQ(json::parse(list.out)[0]["recipient"], std::string("taxii:") + kPublic);

  // The English summary names the count, tier, TLP and collection.
  const CommandRun again = publish("apt-pub", kPublic, "publish-t3-text");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(contains(again.out, kPublic)) << again.out;
  EXPECT_TRUE(contains(again.out, "TLP:CLEAR")) << again.out;
  EXPECT_TRUE(contains(again.out, "T3")) << again.out;
  EXPECT_TRUE(contains(again.out, "STIX 2.1 objects")) << again.out;
  EXPECT_EQ(events("provision.made").size(), 2U);
}

TEST_F(Publish, CouncilCollectionGetsT2WithTheObligationRecorded) {
  const CommandRun published = publish("apt-pub", kCouncil, "publish-t2", "--json");
  ASSERT_EQ(published.exit_code, 0) << published.err;
  const json out = json::parse(published.out);
  EXPECT_EQ(out["tier"], "T2");
  EXPECT_EQ(out["tlp"], "TLP:AMBER+STRICT");
  std::string all_json;
  for (const auto& o : collection(kCouncil)) all_json += o.json;
  EXPECT_FALSE(all_json.empty());
  for (const char* value : {kCommInfoVictim, kCommInfoC2, kCommInfoFinding, kCommInfoNote}) {
    EXPECT_FALSE(contains(all_json, value)) << value;
  }
  const auto made = events("provision.made");
  ASSERT_EQ(made.size(), 1U);
  EXPECT_EQ(made[0]["body"]["confidentiality_obligation"], "council-rules-2026");
  // Nothing went anywhere else.
  EXPECT_TRUE(collection(kPublic).empty());
}

TEST_F(Publish, RefusedByTheRulesIsRecordedAndAddsNothing) {
  // A council collection whose audience has no confidentiality obligation.
  const CommandRun refused = publish("apt-pub", kNoObligation, "publish-no-obligation");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(contains(refused.err, "no_confidentiality_obligation")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "nothing was added")) << refused.err;
  EXPECT_TRUE(refused.out.empty()) << refused.out;
  // Designated operators that are not council members may not receive T2.
  const CommandRun operators = publish("apt-pub", kOperators, "publish-operators");
  EXPECT_NE(operators.exit_code, 0);
  EXPECT_TRUE(contains(operators.err, "tier_not_allowed")) << operators.err;

  const auto recorded = events("provision.refused");
  ASSERT_EQ(recorded.size(), 2U);
  EXPECT_EQ(recorded[0]["body"]["recipient"]["id"], std::string("taxii:") + kNoObligation);
  EXPECT_EQ(recorded[0]["body"]["refusal"], "no_confidentiality_obligation");
  EXPECT_EQ(recorded[0]["body"]["requested_tier"], "T2");
  EXPECT_EQ(recorded[1]["body"]["recipient"]["id"], std::string("taxii:") + kOperators);
  EXPECT_EQ(recorded[1]["body"]["refusal"], "tier_not_allowed");
  EXPECT_TRUE(events("provision.made").empty());
  EXPECT_TRUE(collection(kNoObligation).empty());
  EXPECT_TRUE(collection(kOperators).empty());
}

TEST_F(Publish, ProductThatCannotBeMadeCleanFailsLoudlyAndAddsNothing) {
  // An essential secret that T3 may not hold, and that cannot be generalised.
  json product = sample_product("apt-secret");
  product["parts"][6]["essential"] = true;  // the secret incident summary
  std::ofstream(ws_->dir() / "secret.json") << product.dump(2);
  const CommandRun put = run("intel product put '" + path("secret.json") + "'", "put-secret");
  ASSERT_EQ(put.exit_code, 0) << put.err;

  const CommandRun refused = publish("apt-secret", kPublic, "publish-secret");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(contains(refused.err, "derivation_failed")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "incident")) << refused.err;  // names the part
  EXPECT_FALSE(contains(refused.err, kSecretIncident)) << refused.err;
  EXPECT_TRUE(refused.out.empty()) << refused.out;
  const auto recorded = events("provision.refused");
  ASSERT_EQ(recorded.size(), 1U);
  EXPECT_EQ(recorded[0]["body"]["refusal"], "derivation_failed");
  EXPECT_FALSE(contains(recorded[0].dump(), kSecretIncident));
  EXPECT_TRUE(events("provision.made").empty());
  EXPECT_TRUE(collection(kPublic).empty());
}

TEST_F(Publish, Invariant_I8_ProviderMarkingAboveTheCollectionsTierIsRefused) {
  // A partner's indicators, consented for the public, but which the partner wants kept AMBER.
  const json bundle = {{"type", "bundle"},
                       {"id", "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"},
                       {"objects",
                        {{{"type", "indicator"},
                          {"spec_version", "2.1"},
                          {"id", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"},
                          {"created", "2026-11-01T00:00:00.000Z"},
                          {"modified", "2026-11-01T00:00:00.000Z"},
                          {"indicator_types", {"malicious-activity"}},
                          {"pattern", "[domain-name:value = 'evil.example']"},
                          {"pattern_type", "stix"},
                          {"valid_from", "2026-11-01T00:00:00Z"}}}}};
  std::ofstream(ws_->dir() / "partner.json") << bundle.dump();
  const CommandRun imported =
      run("intel import-stix '" + path("partner.json") +
              "' --provider jpcert --product-id partner-ind --consent-to public "
              "--consent-for attack-analysis",
          "import");
  ASSERT_EQ(imported.exit_code, 0) << imported.err << imported.out;

  const CommandRun refused =
      publish("partner-ind", kPublic, "publish-amber", "--provider-tlp jpcert=amber");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(contains(refused.err, "tier_not_allowed")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "TLP:AMBER")) << refused.err;
  EXPECT_TRUE(contains(refused.err, kPublic)) << refused.err;
  EXPECT_FALSE(contains(refused.err, "evil.example")) << refused.err;
  auto recorded = events("provision.refused");
  ASSERT_EQ(recorded.size(), 1U);
  EXPECT_EQ(recorded[0]["body"]["refusal"], "tier_not_allowed");
  EXPECT_TRUE(events("provision.made").empty());
  EXPECT_TRUE(collection(kPublic).empty());

  // Without the wish the same product may be published.
  const CommandRun allowed = publish("partner-ind", kPublic, "publish-clear", "--json");
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(json::parse(allowed.out)["tlp"], "TLP:CLEAR");
  EXPECT_FALSE(collection(kPublic).empty());
}

TEST_F(Publish, CollectionsWithoutAnAudienceOrUnknownAreNotPublishedTo) {
  const CommandRun no_audience = publish("apt-pub", kNoAudience, "publish-no-audience");
  EXPECT_NE(no_audience.exit_code, 0);
  EXPECT_TRUE(contains(no_audience.err, "no audience")) << no_audience.err;
  const CommandRun unknown =
      publish("apt-pub", "55555555-5555-4555-8555-555555555555", "publish-unknown");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_TRUE(contains(unknown.err, "--collection")) << unknown.err;
  // Neither is a provision: nothing was decided.
  EXPECT_TRUE(events("provision.refused").empty());
  EXPECT_TRUE(events("provision.made").empty());
}

TEST_F(Publish, DeliveriesAreListedForTheOverseer) {
  {
    const mamori::SystemClock clock;
    auto store = mamori::server::TaxiiStore::open(path("taxii.db"), clock);
    ASSERT_TRUE(store) << store.error().message;
    const auto t0 = mamori::parse_rfc3339("2026-11-22T00:00:00Z").value();
    for (int i = 0; i < 3; ++i) {
      mamori::server::Delivery d;
      d.at = t0 + mamori::Duration::seconds(60 * i);
      d.member = i == 2 ? "council-b" : "council-a";
      d.collection_id = kCouncil;
      d.objects = static_cast<std::size_t>(10 + i);
      d.first_date_added = t0.micros() + i;
      d.last_date_added = t0.micros() + 100 + i;
      ASSERT_TRUE((*store)->record_delivery(d));
    }
  }
  std::ofstream(ws_->dir() / "overseer.password") << "overseer password for tests\n";
  ws_->run_ok("users add " + ws_->config() + " --name inspector --role overseer --password-file '" +
                  path("overseer.password") + "'",
              "users-add-overseer");
  const std::string overseer =
      " --user inspector --password-file '" + path("overseer.password") + "'";

  const CommandRun listed = ws_->mamori(
      "intel deliveries --json --member council-a " + ws_->config() + overseer, "deliveries");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const json rows = json::parse(listed.out);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0]["member"], "council-a");
  EXPECT_EQ(rows[0]["collection"], kCouncil);
  EXPECT_EQ(rows[0]["objects"], 10);
  EXPECT_EQ(rows[1]["objects"], 11);
  EXPECT_EQ(rows[0]["at"], "2026-11-22T00:00:00.000000Z");

  const CommandRun window = ws_->mamori(
      "intel deliveries --json --since 2026-11-22T00:01:00Z --until "
      "2026-11-22T00:02:00Z --collection " +
          std::string(kCouncil) + " " + ws_->config() + overseer,
      "deliveries-window");
  ASSERT_EQ(window.exit_code, 0) << window.err;
  ASSERT_EQ(json::parse(window.out).size(), 1U);
  EXPECT_EQ(json::parse(window.out)[0]["objects"], 11);

  const CommandRun text =
      ws_->mamori("intel deliveries " + ws_->config() + overseer, "deliveries-text");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(contains(text.out, "council members (T2)")) << text.out;
  EXPECT_TRUE(contains(text.out, "3 deliveries, 33 objects")) << text.out;

  // Analysts publish; they do not read the delivery log.
  const CommandRun analyst = run("intel deliveries", "deliveries-analyst");
  EXPECT_NE(analyst.exit_code, 0);
  EXPECT_TRUE(contains(analyst.err, "overseer or admin only")) << analyst.err;
}

}  // namespace
