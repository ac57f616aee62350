// The tier re-check of objects stored into a collection (the tier → maximum TLP relation of
// intel/stix.h, members' POSTs refused per object) and the delivery log of members' GETs, over
// HTTPS on loopback like taxii_server_test.cc, plus the schema migration that added the log.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "mamori/intel/stix_writer.h"
#include "mamori/server/taxii_server.h"
#include "mamori/store/sqlite_db.h"
#include "taxii_fixture.h"

namespace mamori::server {
namespace {

using nlohmann::json;
using namespace testing;
using intel::stix::Tlp;

constexpr std::string_view kT1 = "11111111-1111-4111-8111-111111111111";
constexpr std::string_view kT2 = "22222222-2222-4222-8222-222222222222";
constexpr std::string_view kT3 = "33333333-3333-4333-8333-333333333333";

// 2026-11-22T00:00:00Z
constexpr Timestamp kT0 = Timestamp::from_seconds(1'795'305'600);

intel::stix::Indicator marked_indicator(std::string_view address, Timestamp at,
                                        std::vector<std::string> markings) {
  auto indicator = make_indicator(address, at);
  indicator.common.object_marking_refs = std::move(markings);
  return indicator;
}

std::string marking(Tlp tlp) { return std::string(intel::stix::tlp_marking_id(tlp)); }

// ---- the relation --------------------------------------------------------------------------

TEST(TierTlp, EachTierAllowsAtMostItsOwnMarking) {
  EXPECT_EQ(intel::stix::max_tlp_for_tier(1), Tlp::kRed);
  EXPECT_EQ(intel::stix::max_tlp_for_tier(2), Tlp::kAmberStrict);
  EXPECT_EQ(intel::stix::max_tlp_for_tier(3), Tlp::kClear);
  // Unknown tiers allow nothing restricted.
  EXPECT_EQ(intel::stix::max_tlp_for_tier(0), Tlp::kClear);
  EXPECT_EQ(intel::stix::max_tlp_for_tier(4), Tlp::kClear);
  for (int tier = 1; tier <= 3; ++tier) {
    // A product of a tier, without provider wishes, is marked exactly what the tier allows.
    EXPECT_EQ(intel::stix::tlp_for_tier(tier), intel::stix::max_tlp_for_tier(tier)) << tier;
    for (Tlp tlp : intel::stix::kAllTlp) {
      EXPECT_EQ(intel::stix::tlp_allowed_at_tier(tlp, tier),
                tlp <= intel::stix::max_tlp_for_tier(tier))
          << tier << " " << intel::stix::tlp_name(tlp);
    }
  }
  EXPECT_TRUE(intel::stix::tlp_allowed_at_tier(Tlp::kRed, 1));
  EXPECT_TRUE(intel::stix::tlp_allowed_at_tier(Tlp::kAmber, 2));
  EXPECT_FALSE(intel::stix::tlp_allowed_at_tier(Tlp::kRed, 2));
  EXPECT_FALSE(intel::stix::tlp_allowed_at_tier(Tlp::kGreen, 3));
  // A provider's stricter wish makes the product's marking exceed a less sensitive tier.
  EXPECT_FALSE(intel::stix::tlp_allowed_at_tier(intel::stix::tlp_for_tier(3, Tlp::kAmber), 3));
}

TEST(TierTlp, CollectionTierCheckReadsTheStrictestMarking) {
  const auto clear = stored(marked_indicator("192.0.2.1", kT0, {marking(Tlp::kClear)}));
  EXPECT_EQ(clear.tlp, Tlp::kClear);
  EXPECT_TRUE(check_collection_tier(clear, 3));

  const auto both = stored(
      marked_indicator("192.0.2.2", kT0, {marking(Tlp::kClear), marking(Tlp::kAmberStrict)}));
  EXPECT_EQ(both.tlp, Tlp::kAmberStrict);
  EXPECT_TRUE(check_collection_tier(both, 1));
  EXPECT_TRUE(check_collection_tier(both, 2));
  auto refused = check_collection_tier(both, 3);
  ASSERT_FALSE(refused);
  const std::string& m = refused.error().message;
  EXPECT_NE(m.find(both.id), std::string::npos) << m;
  EXPECT_NE(m.find("TLP:AMBER+STRICT"), std::string::npos) << m;
  EXPECT_NE(m.find("TLP:CLEAR"), std::string::npos) << m;
  EXPECT_EQ(m.find("192.0.2.2"), std::string::npos) << m;

  // Unmarked objects take the collection's tier.
  const auto unmarked = stored(make_indicator("192.0.2.3", kT0));
  EXPECT_FALSE(unmarked.tlp);
  EXPECT_TRUE(check_collection_tier(unmarked, 3));

  // From JSON: a legacy TLP 1.0 id (RED) with TLP 1.0 GREEN, and a statement marking (not TLP,
  // ignored).
  json red = json::parse(intel::stix::write_object(make_indicator("192.0.2.4", kT0)).value());
  red["object_marking_refs"] = {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
                                "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
                                "marking-definition--0f1c7a2e-8f51-4d3e-9d3c-2a1b6c7d8e9f"};
  auto parsed = new_object_from_json(red.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->tlp, Tlp::kRed);
  EXPECT_FALSE(check_collection_tier(*parsed, 2));
  red["object_marking_refs"] = {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"};
  parsed = new_object_from_json(red.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->tlp, Tlp::kClear);  // TLP 1.0 WHITE
  red["object_marking_refs"] = "not a list";
  EXPECT_FALSE(new_object_from_json(red.dump()));
}

// ---- over HTTPS ----------------------------------------------------------------------------

class TierAndDeliveries : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = (dir_.path() / "cert.pem").string();
    const std::string key = (dir_.path() / "key.pem").string();
    ASSERT_TRUE(write_self_signed_certificate(cert_, key, {"127.0.0.1"}, 1));
    auto opened = TaxiiStore::open((dir_.path() / "taxii.db").string(), clock_);
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    TaxiiConfig config;
    config.address = "127.0.0.1";
    config.port = 0;
    config.certificate = cert_;
    config.private_key = key;
    config.max_page_size = 4;
    config.threads = 2;
    config.collections = {
        {std::string(kT1), "agencies (T1)", "", 1, true, true},
        {std::string(kT2), "council (T2)", "", 2, true, true},
        {std::string(kT3), "public (T3)", "", 3, true, true},
    };
    config.members = {
        {"agency", cheap_password_hash("agency-pw"), 1, true},
        {"council", cheap_password_hash("council-pw"), 2, true},
    };
    auto started = TaxiiServer::start(std::move(config), *store_, clock_);
    ASSERT_TRUE(started) << started.error().message;
    server_ = std::move(*started);
  }

  std::unique_ptr<httplib::SSLClient> client(const std::string& user = "council",
                                             const std::string& password = "council-pw") const {
    auto cli = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port());
    cli->set_ca_cert_path(cert_);
    cli->enable_server_certificate_verification(true);
    cli->set_basic_auth(user, password);
    cli->set_default_headers({{"Accept", std::string(kTaxiiMediaType)}});
    return cli;
  }

  static std::string objects_path(std::string_view collection, std::string_view query = "") {
    return fmt::format("/intel/collections/{}/objects/{}", collection, query);
  }

  json post(std::string_view collection, const json& objects) const {
    auto res = client()->Post(objects_path(collection), json{{"objects", objects}}.dump(),
                              std::string(kTaxiiMediaType));
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, 202) << res->body;
    return json::parse(res->body, nullptr, false);
  }

  void add(std::string_view collection, std::size_t n, std::string_view prefix) {
    std::vector<NewObject> rows;
    for (std::size_t i = 0; i < n; ++i) {
      rows.push_back(stored(make_indicator(fmt::format("{}.{}", prefix, i + 1), kT0)));
    }
    ASSERT_TRUE(store_->add(collection, rows, ""));
  }

  std::vector<Delivery> deliveries(const DeliveryFilter& filter = {}) const {
    auto out = store_->deliveries(filter);
    EXPECT_TRUE(out) << out.error().message;
    return out ? *out : std::vector<Delivery>{};
  }

  TempDir dir_;
  ManualClock clock_{kT0};
  std::string cert_;
  std::unique_ptr<TaxiiStore> store_;
  std::unique_ptr<TaxiiServer> server_;
};

TEST_F(TierAndDeliveries, Invariant_I8_PostOfAnObjectMarkedAboveTheCollectionsTierFails) {
  const auto red = marked_indicator("203.0.113.66", kT0, {marking(Tlp::kRed)});
  const auto clear = marked_indicator("192.0.2.10", kT0, {marking(Tlp::kClear)});
  const auto unmarked = make_malware("public family", kT0);
  json objects = json::array();
  for (const intel::stix::StixObject& o :
       {intel::stix::StixObject(clear), intel::stix::StixObject(red),
        intel::stix::StixObject(unmarked)}) {
    objects.push_back(json::parse(intel::stix::write_object(o).value()));
  }
  const json status = post(kT3, objects);
  EXPECT_EQ(status["total_count"], 3);
  EXPECT_EQ(status["success_count"], 2);
  EXPECT_EQ(status["failure_count"], 1);
  ASSERT_EQ(status["failures"].size(), 1U);
  EXPECT_EQ(status["failures"][0]["id"], red.common.id);
  const std::string message = status["failures"][0]["message"];
  EXPECT_NE(message.find(red.common.id), std::string::npos) << message;
  EXPECT_NE(message.find("TLP:RED"), std::string::npos) << message;
  EXPECT_NE(message.find("/objects/1"), std::string::npos) << message;
  // Never the object's content.
  EXPECT_EQ(status.dump().find("203.0.113.66"), std::string::npos) << status.dump();

  // The accepted objects stay; the refused one is not stored.
  ObjectFilter all;
  auto page = store_->objects(kT3, all, false);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->objects.size(), 2U);
  EXPECT_EQ(page->objects[0].id, clear.common.id);
  EXPECT_EQ(page->objects[1].id, unmarked.common.id);

  // The same RED object is accepted where the tier allows it (T1, by a T1 member); in T2 an
  // AMBER+STRICT object is accepted and the RED one is not.
  auto res = client("agency", "agency-pw")
                 ->Post(objects_path(kT1), json{{"objects", json::array({objects[1]})}}.dump(),
                        std::string(kTaxiiMediaType));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202);
  EXPECT_EQ(json::parse(res->body)["success_count"], 1);
  const auto strict = marked_indicator("192.0.2.11", kT0, {marking(Tlp::kAmberStrict)});
  const json t2 =
      post(kT2, json::array({json::parse(intel::stix::write_object(strict).value()), objects[1]}));
  EXPECT_EQ(t2["success_count"], 1);
  EXPECT_EQ(t2["failure_count"], 1);
  EXPECT_EQ(t2["failures"][0]["id"], red.common.id);
  EXPECT_EQ(store_->count(kT2).value(), 1U);
}

TEST_F(TierAndDeliveries, EveryGetThatReturnsObjectsIsADelivery) {
  add(kT2, 6, "192.0.2");
  ObjectFilter all;
  all.limit = 100;
  const auto stored_objects = store_->objects(kT2, all, false).value().objects;
  ASSERT_EQ(stored_objects.size(), 6U);

  auto cli = client();
  // First page: 4 of 6 (max_page_size 4).
  clock_.set(kT0 + Duration::seconds(10));
  auto res = cli->Get(objects_path(kT2));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json first = json::parse(res->body);
  ASSERT_EQ(first["objects"].size(), 4U);
  // Second page through the cursor: the remaining 2.
  clock_.set(kT0 + Duration::seconds(20));
  res = cli->Get(objects_path(kT2, "?next=" + first["next"].get<std::string>()));
  ASSERT_TRUE(res);
  ASSERT_EQ(json::parse(res->body)["objects"].size(), 2U);
  // An empty page (nothing after the last object) is not a delivery; neither is a manifest.
  clock_.set(kT0 + Duration::seconds(30));
  res = cli->Get(objects_path(kT2, "?added_after=2099-01-01T00:00:00Z"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_FALSE(json::parse(res->body).contains("objects"));
  res = cli->Get(fmt::format("/intel/collections/{}/manifest/", kT2));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  // One object fetched by id is a delivery of one object; the agency reads T2 too.
  clock_.set(kT0 + Duration::seconds(40));
  res = client("agency", "agency-pw")->Get(objects_path(kT2, stored_objects[5].id + "/"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;

  const auto log = deliveries();
  ASSERT_EQ(log.size(), 3U);
  EXPECT_EQ(log[0].member, "council");
  EXPECT_EQ(log[0].collection_id, kT2);
  EXPECT_EQ(log[0].objects, 4U);
  EXPECT_EQ(log[0].first_date_added, stored_objects[0].date_added);
  EXPECT_EQ(log[0].last_date_added, stored_objects[3].date_added);
  EXPECT_EQ(log[0].at, kT0 + Duration::seconds(10));
  EXPECT_EQ(log[1].objects, 2U);
  EXPECT_EQ(log[1].first_date_added, stored_objects[4].date_added);
  EXPECT_EQ(log[1].last_date_added, stored_objects[5].date_added);
  EXPECT_EQ(log[1].at, kT0 + Duration::seconds(20));
  EXPECT_EQ(log[2].member, "agency");
  EXPECT_EQ(log[2].objects, 1U);
  EXPECT_EQ(log[2].first_date_added, stored_objects[5].date_added);
  EXPECT_EQ(log[2].last_date_added, stored_objects[5].date_added);
  EXPECT_LT(log[0].seq, log[1].seq);
  EXPECT_LT(log[1].seq, log[2].seq);

  // Filters: member, collection, and a time window [since, until).
  EXPECT_EQ(deliveries({.member = "agency"}).size(), 1U);
  EXPECT_EQ(deliveries({.member = "nobody"}).size(), 0U);
  EXPECT_EQ(deliveries({.collection_id = std::string(kT2)}).size(), 3U);
  EXPECT_EQ(deliveries({.collection_id = std::string(kT3)}).size(), 0U);
  const auto window =
      deliveries({.since = kT0 + Duration::seconds(20), .until = kT0 + Duration::seconds(40)});
  ASSERT_EQ(window.size(), 1U);
  EXPECT_EQ(window[0].seq, log[1].seq);
}

// A database made before the delivery log (schema version 1) keeps its objects and gains the log.
TEST(TaxiiStoreMigration, VersionOneDatabaseGainsTheDeliveryLog) {
  TempDir dir;
  ManualClock clock(kT0);
  const std::string path = (dir.path() / "taxii.db").string();
  {
    auto db = store::sqlite::Database::open(path, false, 1000);
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(db->exec(R"sql(
CREATE TABLE objects (
  date_added    INTEGER PRIMARY KEY,
  collection_id TEXT    NOT NULL,
  id            TEXT    NOT NULL,
  type          TEXT    NOT NULL,
  spec_version  TEXT    NOT NULL,
  version       INTEGER NOT NULL,
  version_text  TEXT    NOT NULL,
  provider      TEXT    NOT NULL,
  json          TEXT    NOT NULL,
  UNIQUE (collection_id, id, version)
);
CREATE INDEX objects_collection ON objects(collection_id, date_added);
CREATE TABLE statuses (
  id            TEXT PRIMARY KEY,
  member        TEXT NOT NULL,
  collection_id TEXT NOT NULL,
  json          TEXT NOT NULL
);
INSERT INTO objects VALUES (7, '22222222-2222-4222-8222-222222222222',
  'indicator--00000000-0000-4000-8000-000000000001', 'indicator', '2.1', 0,
  '2026-11-22T00:00:00.000Z', '', '{}');
PRAGMA application_id = 1835889784;
PRAGMA user_version = 1;
)sql"));
  }
  auto store = TaxiiStore::open(path, clock);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ((*store)->count(kT2).value(), 1U);
  EXPECT_TRUE((*store)->deliveries({}).value().empty());
  Delivery d;
  d.at = kT0;
  d.member = "council";
  d.collection_id = std::string(kT2);
  d.objects = 1;
  d.first_date_added = 7;
  d.last_date_added = 7;
  auto seq = (*store)->record_delivery(d);
  ASSERT_TRUE(seq) << seq.error().message;
  const auto log = (*store)->deliveries({}).value();
  ASSERT_EQ(log.size(), 1U);
  EXPECT_EQ(log[0].seq, *seq);
  EXPECT_EQ(log[0].member, "council");
  // New objects come after the old ones.
  ASSERT_TRUE((*store)->add(kT2, std::vector{stored(make_indicator("192.0.2.1", kT0))}, ""));
  ObjectFilter all;
  EXPECT_EQ((*store)->objects(kT2, all, false).value().objects.back().date_added, kT0.micros());
}

// `mamori intel publish` adds to the file mamorid has open: each add continues after the file's
// latest date_added, not after what its own connection last wrote.
TEST(TaxiiStoreSharedFile, DateAddedStaysUniqueAndIncreasingAcrossConnections) {
  TempDir dir;
  ManualClock clock(kT0);  // stopped: every add runs ahead of it
  const std::string path = (dir.path() / "taxii.db").string();
  auto server = TaxiiStore::open(path, clock);
  ASSERT_TRUE(server) << server.error().message;
  auto publisher = TaxiiStore::open(path, clock);
  ASSERT_TRUE(publisher) << publisher.error().message;
  std::vector<NewObject> burst;
  for (int i = 0; i < 5; ++i) burst.push_back(stored(make_indicator("192.0.2.1", kT0)));
  ASSERT_TRUE((*publisher)->add(kT3, burst, ""));
  ASSERT_TRUE((*server)->add(kT3, std::vector{stored(make_indicator("192.0.2.2", kT0))}, ""));
  ASSERT_TRUE((*publisher)->add(kT3, std::vector{stored(make_indicator("192.0.2.3", kT0))}, ""));
  ObjectFilter all;
  const auto objects = (*server)->objects(kT3, all, false).value().objects;
  ASSERT_EQ(objects.size(), 7U);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    EXPECT_EQ(objects[i].date_added, kT0.micros() + static_cast<std::int64_t>(i));
  }
}

}  // namespace
}  // namespace mamori::server
