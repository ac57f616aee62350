// The TAXII 2.1 server over HTTPS on loopback (issue 7 acceptance: every endpoint, pagination,
// filters, 401/403/404/406/413/415/422, POST with status resources, versions, manifest), driven
// with cpp-httplib's SSLClient verifying the test's self-signed certificate, and once with the
// curl command line.

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "mamori/intel/stix_writer.h"
#include "mamori/server/taxii_server.h"
#include "taxii_fixture.h"

namespace mamori::server {
namespace {

using nlohmann::json;
using namespace testing;

constexpr std::string_view kT1 = "11111111-1111-4111-8111-111111111111";
constexpr std::string_view kT2 = "22222222-2222-4222-8222-222222222222";
constexpr std::string_view kT3 = "33333333-3333-4333-8333-333333333333";
constexpr std::string_view kDrop = "44444444-4444-4444-8444-444444444444";  // write-only, T3
constexpr std::string_view kUnknown = "55555555-5555-4555-8555-555555555555";

// 2026-11-22T00:00:00Z
constexpr Timestamp kT0 = Timestamp::from_seconds(1'795'305'600);
constexpr Duration kHour = Duration::seconds(3600);

constexpr std::size_t kBatchA = 10;  // added at kT0
constexpr std::size_t kBatchB = 15;  // added at kT0 + 1h
constexpr std::size_t kMalware = 2;  // added at kT0 + 2h, with the three versions below

class TaxiiServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new Environment();
    env_->start();
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  struct Environment {
    TempDir dir;
    ManualClock clock{kT0};
    std::unique_ptr<TaxiiStore> store;
    std::unique_ptr<TaxiiServer> server;
    std::string cert;
    std::string versioned_id = intel::stix::new_id("indicator");
    std::vector<std::string> malware_ids;

    void start() {
      cert = (dir.path() / "cert.pem").string();
      const std::string key = (dir.path() / "key.pem").string();
      ASSERT_TRUE(write_self_signed_certificate(cert, key, {"127.0.0.1", "localhost"}, 1));
      auto opened = TaxiiStore::open((dir.path() / "taxii.db").string(), clock);
      ASSERT_TRUE(opened) << opened.error().message;
      store = std::move(*opened);
      load();

      TaxiiConfig config;
      config.address = "127.0.0.1";
      config.port = 0;
      config.certificate = cert;
      config.private_key = key;
      config.max_content_length = std::size_t{64} * 1024;
      config.max_page_size = 20;
      config.threads = 4;
      config.collections = {
          {std::string(kT1), "agencies (T1)", "", 1, true, false},
          {std::string(kT2), "council members (T2)", "for council members", 2, true, true},
          {std::string(kT3), "public (T3)", "", 3, true, false},
          {std::string(kDrop), "contributions drop box", "", 3, false, true},
      };
      config.members = {
          {"agency", cheap_password_hash("agency-pw"), 1, false},
          {"council", cheap_password_hash("council-pw"), 2, true},
          {"operator", cheap_password_hash("operator-pw"), 3, false},
          {"council2", cheap_password_hash("council2-pw"), 2, false},
          {"sharer", cheap_password_hash("sharer-pw"), 2, true, /*share_contributions=*/true},
      };
      auto started = TaxiiServer::start(std::move(config), *store, clock);
      ASSERT_TRUE(started) << started.error().message;
      server = std::move(*started);
    }

    void load() {
      auto add = [&](std::string_view collection,
                     const std::vector<intel::stix::StixObject>& objects) {
        std::vector<NewObject> rows;
        rows.reserve(objects.size());
        for (const auto& o : objects) rows.push_back(stored(o));
        auto added = store->add(collection, rows, "");
        ASSERT_TRUE(added) << added.error().message;
      };
      std::vector<intel::stix::StixObject> a;
      for (std::size_t i = 0; i < kBatchA; ++i) {
        a.emplace_back(make_indicator(fmt::format("192.0.2.{}", i + 1), kT0));
      }
      add(kT2, a);
      clock.advance(kHour);
      std::vector<intel::stix::StixObject> b;
      for (std::size_t i = 0; i < kBatchB; ++i) {
        b.emplace_back(make_indicator(fmt::format("198.51.100.{}", i + 1), kT0 + kHour));
      }
      add(kT2, b);
      clock.advance(kHour);
      std::vector<intel::stix::StixObject> c;
      for (std::size_t i = 0; i < kMalware; ++i) {
        auto m = make_malware(fmt::format("bot family {}", i), kT0);
        malware_ids.push_back(m.common.id);
        c.emplace_back(m);
      }
      // Three versions of one indicator (modified kT0, +1 min, +2 min).
      for (int v = 0; v < 3; ++v) {
        auto indicator = make_indicator("203.0.113.9", kT0, versioned_id);
        indicator.common.modified = kT0 + Duration::seconds(std::int64_t{60} * v);
        c.emplace_back(indicator);
      }
      add(kT2, c);
      add(kT1, {make_indicator("203.0.113.1", kT0)});
      add(kT3, {make_indicator("203.0.113.3", kT0)});
    }
  };

  static std::unique_ptr<httplib::SSLClient> client(std::string_view user = "council",
                                                    std::string_view password = "council-pw") {
    auto cli = std::make_unique<httplib::SSLClient>("127.0.0.1", env_->server->port());
    cli->set_ca_cert_path(env_->cert);
    cli->enable_server_certificate_verification(true);
    if (!user.empty()) cli->set_basic_auth(std::string(user), std::string(password));
    cli->set_default_headers({{"Accept", std::string(kTaxiiMediaType)}});
    return cli;
  }

  static std::string collection_path(std::string_view id, std::string_view rest = "") {
    return fmt::format("/intel/collections/{}/{}", id, rest);
  }

  // GET that must succeed with `status`; returns the parsed body.
  static json get(const std::string& path, int status = 200, std::string_view user = "council",
                  std::string_view password = "council-pw") {
    auto res = client(user, password)->Get(path);
    EXPECT_TRUE(res) << path << ": " << httplib::to_string(res.error());
    if (!res) return {};
    EXPECT_EQ(res->status, status) << path << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), kTaxiiMediaType) << path;
    return json::parse(res->body, nullptr, false);
  }

  static void expect_error(const json& body, int status) {
    ASSERT_TRUE(body.is_object());
    EXPECT_TRUE(body.contains("title"));
    EXPECT_EQ(body.value("http_status", ""), std::to_string(status));
  }

  // Follows `next` until more is false; returns the objects' ids in order.
  static std::vector<std::string> all_pages(const std::string& base, std::size_t limit,
                                            std::size_t* pages = nullptr) {
    std::vector<std::string> ids;
    std::string next;
    std::size_t count = 0;
    auto cli = client();
    while (true) {
      std::string path =
          fmt::format("{}{}limit={}", base, base.find('?') == std::string::npos ? "?" : "&", limit);
      if (!next.empty()) path += "&next=" + next;
      auto res = cli->Get(path);
      EXPECT_TRUE(res);
      if (!res) break;
      EXPECT_EQ(res->status, 200) << res->body;
      const json body = json::parse(res->body);
      ++count;
      if (body.contains("objects")) {
        EXPECT_LE(body["objects"].size(), limit);
        for (const auto& o : body["objects"]) ids.push_back(o["id"].get<std::string>());
        EXPECT_FALSE(res->get_header_value("X-TAXII-Date-Added-First").empty());
        EXPECT_FALSE(res->get_header_value("X-TAXII-Date-Added-Last").empty());
      }
      if (!body.value("more", false)) {
        EXPECT_FALSE(body.contains("next"));
        break;
      }
      next = body["next"].get<std::string>();
      if (count > 1000) {
        ADD_FAILURE() << "pagination does not end";
        break;
      }
    }
    if (pages != nullptr) *pages = count;
    return ids;
  }

  static Environment* env_;
};

TaxiiServerTest::Environment* TaxiiServerTest::env_ = nullptr;

constexpr std::size_t kLatestInT2 = kBatchA + kBatchB + kMalware + 1;

TEST_F(TaxiiServerTest, DiscoveryNamesTheApiRoot) {
  const json body = get("/taxii2/");
  EXPECT_EQ(body["title"], "mamori TAXII");
  const std::string root = fmt::format("https://127.0.0.1:{}/intel/", env_->server->port());
  EXPECT_EQ(body["default"], root);
  ASSERT_EQ(body["api_roots"].size(), 1U);
  EXPECT_EQ(body["api_roots"][0], root);
}

TEST_F(TaxiiServerTest, ApiRootInformation) {
  const json body = get("/intel/");
  EXPECT_EQ(body["title"], "mamori intelligence");
  EXPECT_EQ(body["versions"], json::array({std::string(kTaxiiMediaType)}));
  EXPECT_EQ(body["max_content_length"], 64 * 1024);
  expect_error(get("/other/", 404), 404);
}

TEST_F(TaxiiServerTest, Invariant_I8_MembersSeeOnlyCollectionsTheirTierAllows) {
  auto ids = [](const json& body) {
    std::set<std::string> out;
    for (const auto& c : body["collections"]) out.insert(c["id"].get<std::string>());
    return out;
  };
  using Set = std::set<std::string>;
  EXPECT_EQ(ids(get("/intel/collections/", 200, "agency", "agency-pw")),
            (Set{std::string(kT1), std::string(kT2), std::string(kT3), std::string(kDrop)}));
  EXPECT_EQ(ids(get("/intel/collections/")),
            (Set{std::string(kT2), std::string(kT3), std::string(kDrop)}));
  EXPECT_EQ(ids(get("/intel/collections/", 200, "operator", "operator-pw")),
            (Set{std::string(kT3), std::string(kDrop)}));

  // A collection above the member's tier is 404, exactly like one that does not exist.
  const json hidden = get(collection_path(kT1), 404);
  const json unknown = get(collection_path(kUnknown), 404);
  expect_error(hidden, 404);
  EXPECT_EQ(hidden, unknown);
  expect_error(get(collection_path(kT2, "objects/"), 404, "operator", "operator-pw"), 404);
  expect_error(get(collection_path(kT1, "manifest/"), 404), 404);
  // The agency reads T1.
  const json t1 = get(collection_path(kT1, "objects/"), 200, "agency", "agency-pw");
  EXPECT_EQ(t1["objects"].size(), 1U);
}

TEST_F(TaxiiServerTest, CollectionResourceReportsTheMembersRights) {
  const json c2 = get(collection_path(kT2));
  EXPECT_EQ(c2["id"], kT2);
  EXPECT_EQ(c2["title"], "council members (T2)");
  EXPECT_EQ(c2["description"], "for council members");
  EXPECT_EQ(c2["can_read"], true);
  EXPECT_EQ(c2["can_write"], true);
  EXPECT_EQ(c2["media_types"], json::array({std::string(kStixMediaType)}));
  EXPECT_EQ(get(collection_path(kT3))["can_write"], false);
  // The drop box is writable by the collection, but not by a read-only member.
  EXPECT_EQ(get(collection_path(kDrop), 200, "operator", "operator-pw")["can_write"], false);
  EXPECT_EQ(get(collection_path(kDrop), 200, "operator", "operator-pw")["can_read"], false);
}

TEST_F(TaxiiServerTest, PaginationThroughNextIsExact) {
  for (std::size_t limit : {1U, 7U, 10U, 20U}) {
    std::size_t pages = 0;
    const auto ids = all_pages(collection_path(kT2, "objects/"), limit, &pages);
    EXPECT_EQ(ids.size(), kLatestInT2) << "limit " << limit;
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), kLatestInT2);
    EXPECT_EQ(pages, (kLatestInT2 + limit - 1) / limit) << "limit " << limit;
  }
  // A limit above max_page_size is clamped to it.
  const json body = get(collection_path(kT2, "objects/?limit=500"));
  EXPECT_EQ(body["objects"].size(), 20U);
  EXPECT_TRUE(body["more"].get<bool>());
  // Manifest pages the same way.
  std::size_t pages = 0;
  EXPECT_EQ(all_pages(collection_path(kT2, "manifest/"), 6, &pages).size(), kLatestInT2);
  EXPECT_EQ(pages, (kLatestInT2 + 5) / 6);
}

TEST_F(TaxiiServerTest, FiltersByTypeIdAddedAfterAndSpecVersion) {
  auto count = [](const std::string& query) {
    return all_pages(collection_path(kT2, "objects/?" + query), 20).size();
  };
  EXPECT_EQ(count("match[type]=malware"), kMalware);
  EXPECT_EQ(count("match[type]=indicator"), kBatchA + kBatchB + 1);
  EXPECT_EQ(count("match[type]=indicator,malware"), kLatestInT2);
  EXPECT_EQ(count("match[type]=malware&match[type]=indicator"), kLatestInT2);
  EXPECT_EQ(count("match[type]=report"), 0U);
  EXPECT_EQ(count("match[id]=" + env_->malware_ids[0]), 1U);
  EXPECT_EQ(count(fmt::format("match[id]={},{}", env_->malware_ids[0], env_->malware_ids[1])), 2U);
  // Batch A was added at kT0, batch B at kT0+1h, the rest at kT0+2h.
  EXPECT_EQ(count("added_after=2026-11-21T23:59:59Z"), kLatestInT2);
  EXPECT_EQ(count("added_after=2026-11-22T00:30:00Z"), kBatchB + kMalware + 1);
  EXPECT_EQ(count("added_after=2026-11-22T01:30:00.000Z"), kMalware + 1);
  EXPECT_EQ(count("added_after=2026-11-22T03:00:00Z"), 0U);
  EXPECT_EQ(count("match[spec_version]=2.1"), kLatestInT2);
  EXPECT_EQ(count("match[spec_version]=2.0"), 0U);
  EXPECT_EQ(count("match[type]=indicator&added_after=2026-11-22T01:30:00Z"), 1U);
}

TEST_F(TaxiiServerTest, VersionMatching) {
  const std::string id = env_->versioned_id;
  auto versions_of = [&](const std::string& query) {
    const json body = get(collection_path(kT2, "objects/?match[id]=" + id + "&" + query));
    std::vector<std::string> out;
    for (const auto& o : body.value("objects", json::array())) out.push_back(o["modified"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(versions_of("match[version]=last"), (V{"2026-11-22T00:02:00.000Z"}));
  EXPECT_EQ(versions_of(""), (V{"2026-11-22T00:02:00.000Z"}));
  EXPECT_EQ(versions_of("match[version]=first"), (V{"2026-11-22T00:00:00.000Z"}));
  EXPECT_EQ(
      versions_of("match[version]=all"),
      (V{"2026-11-22T00:00:00.000Z", "2026-11-22T00:01:00.000Z", "2026-11-22T00:02:00.000Z"}));
  EXPECT_EQ(versions_of("match[version]=2026-11-22T00:01:00.000Z"),
            (V{"2026-11-22T00:01:00.000Z"}));
  EXPECT_EQ(versions_of("match[version]=2026-11-22T00:01:00.000Z,2026-11-22T00:00:00.000Z"),
            (V{"2026-11-22T00:00:00.000Z", "2026-11-22T00:01:00.000Z"}));
  // All versions of everything: one more object per extra version.
  EXPECT_EQ(all_pages(collection_path(kT2, "objects/?match[version]=all"), 20).size(),
            kLatestInT2 + 2);
}

TEST_F(TaxiiServerTest, GetOneObjectAndItsVersions) {
  const std::string id = env_->versioned_id;
  auto res = client()->Get(collection_path(kT2, "objects/" + id + "/"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json body = json::parse(res->body);
  ASSERT_EQ(body["objects"].size(), 1U);
  EXPECT_EQ(body["objects"][0]["id"], id);
  EXPECT_EQ(body["objects"][0]["modified"], "2026-11-22T00:02:00.000Z");
  EXPECT_EQ(body["more"], false);
  EXPECT_EQ(res->get_header_value("X-TAXII-Date-Added-First"),
            res->get_header_value("X-TAXII-Date-Added-Last"));
  EXPECT_EQ(get(collection_path(kT2, "objects/" + id + "/?match[version]=all"))["objects"].size(),
            3U);

  const json versions = get(collection_path(kT2, "objects/" + id + "/versions/"));
  EXPECT_EQ(versions["versions"],
            json::array({"2026-11-22T00:00:00.000Z", "2026-11-22T00:01:00.000Z",
                         "2026-11-22T00:02:00.000Z"}));
  EXPECT_EQ(versions["more"], false);
  const json first = get(collection_path(kT2, "objects/" + id + "/versions/?limit=2"));
  EXPECT_EQ(first["versions"].size(), 2U);
  EXPECT_EQ(first["more"], true);
  const json rest = get(collection_path(
      kT2, "objects/" + id + "/versions/?limit=2&next=" + first["next"].get<std::string>()));
  EXPECT_EQ(rest["versions"], json::array({"2026-11-22T00:02:00.000Z"}));

  const std::string unknown = intel::stix::new_id("indicator");
  expect_error(get(collection_path(kT2, "objects/" + unknown + "/"), 404), 404);
  expect_error(get(collection_path(kT2, "objects/" + unknown + "/versions/"), 404), 404);
  expect_error(get(collection_path(kT2, "objects/not-an-id/"), 404), 404);
  // Known in T2, but not in T3.
  expect_error(get(collection_path(kT3, "objects/" + id + "/"), 404), 404);
}

TEST_F(TaxiiServerTest, ManifestEntries) {
  auto res = client()->Get(collection_path(kT2, "manifest/?match[type]=malware"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const json body = json::parse(res->body);
  ASSERT_EQ(body["objects"].size(), kMalware);
  for (const auto& entry : body["objects"]) {
    EXPECT_TRUE(intel::stix::is_valid_id(entry["id"].get<std::string>(), "malware"));
    EXPECT_EQ(entry["version"], "2026-11-22T00:00:00.000Z");
    EXPECT_EQ(entry["media_type"], kStixMediaType);
    EXPECT_EQ(entry["date_added"].get<std::string>().substr(0, 19), "2026-11-22T02:00:00");
  }
  EXPECT_EQ(res->get_header_value("X-TAXII-Date-Added-First"),
            body["objects"][0]["date_added"].get<std::string>());
}

TEST_F(TaxiiServerTest, MissingOrWrongCredentialsAre401) {
  for (const auto& [user, password] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"council", "wrong"}, {"nobody", "council-pw"}, {"council", ""}}) {
    auto res = client(user, password)->Get("/intel/collections/");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << user;
    EXPECT_EQ(res->get_header_value("WWW-Authenticate"),
              R"(Basic realm="mamori TAXII", charset="UTF-8")");
    expect_error(json::parse(res->body), 401);
  }
  // Discovery too needs credentials.
  EXPECT_EQ(client("", "")->Get("/taxii2/")->status, 401);
  // A garbled Authorization header.
  auto cli = client("", "");
  auto res = cli->Get("/taxii2/", {{"Authorization", "Basic !!!"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(TaxiiServerTest, ForbiddenActionsOnVisibleCollectionsAre403) {
  const std::string body = R"({"objects":[]})";
  // T3 is visible to the council but read-only.
  auto res = client()->Post(collection_path(kT3, "objects/"), body, std::string(kTaxiiMediaType));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  expect_error(json::parse(res->body), 403);
  // The drop box takes contributions, but not from a read-only member...
  res = client("operator", "operator-pw")
            ->Post(collection_path(kDrop, "objects/"), body, std::string(kTaxiiMediaType));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  // ...and cannot be read.
  expect_error(get(collection_path(kDrop, "objects/"), 403), 403);
  expect_error(get(collection_path(kDrop, "manifest/"), 403), 403);
  // A POST to a collection the member does not see stays 404.
  res = client("operator", "operator-pw")
            ->Post(collection_path(kT2, "objects/"), body, std::string(kTaxiiMediaType));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(TaxiiServerTest, MediaTypesAre406And415) {
  for (const char* accept : {"application/json", "application/taxii+json;version=2.0",
                             "text/html, application/stix+json"}) {
    auto res = client()->Get("/intel/collections/", {{"Accept", accept}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 406) << accept;
    expect_error(json::parse(res->body), 406);
  }
  for (const char* accept : {"application/taxii+json", "application/taxii+json; version=2.1", "*/*",
                             "text/html, application/*;q=0.5"}) {
    auto res = client()->Get("/intel/collections/", {{"Accept", accept}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << accept;
  }
  auto res =
      client()->Post(collection_path(kT2, "objects/"), R"({"objects":[]})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  expect_error(json::parse(res->body), 415);
}

TEST_F(TaxiiServerTest, BadParametersAndBodiesAre400And422And413) {
  expect_error(get(collection_path(kT2, "objects/?limit=0"), 400), 400);
  expect_error(get(collection_path(kT2, "objects/?limit=ten"), 400), 400);
  expect_error(get(collection_path(kT2, "objects/?added_after=yesterday"), 400), 400);
  expect_error(get(collection_path(kT2, "objects/?next=abc"), 400), 400);
  expect_error(get(collection_path(kT2, "objects/?match[version]=latest"), 400), 400);
  expect_error(get(collection_path(kT2, "objects/?match[spec_version]=3.0"), 400), 400);

  const std::string type(kTaxiiMediaType);
  auto post = [&](const std::string& body) {
    auto res = client()->Post(collection_path(kT2, "objects/"), body, type);
    EXPECT_TRUE(res);
    return res ? res->status : 0;
  };
  EXPECT_EQ(post("{not json"), 400);
  EXPECT_EQ(post(R"({"foo":1})"), 422);
  EXPECT_EQ(post(R"({"objects":[]})"), 422);
  EXPECT_EQ(post(R"({"objects":{}})"), 422);
  EXPECT_EQ(post(std::string(std::size_t{70} * 1024, ' ')), 413);
}

TEST_F(TaxiiServerTest, PostStoresAcceptedObjectsAndReportsTheRestInTheStatus) {
  const Timestamp at = kT0 + Duration::seconds(5);
  const auto good1 = make_indicator("192.0.2.200", at);
  const auto good2 = make_malware("contributed family", at);
  json objects = json::array();
  objects.push_back(json::parse(intel::stix::write_object(good1).value()));
  objects.push_back(json::parse(intel::stix::write_object(good2).value()));
  json broken = objects[0];
  broken["id"] = intel::stix::new_id("indicator");
  broken.erase("pattern");
  objects.push_back(broken);
  objects.push_back({{"type", "campaign"},
                     {"spec_version", "2.1"},
                     {"id", intel::stix::new_id("campaign")},
                     {"created", "2026-11-22T00:00:00.000Z"},
                     {"modified", "2026-11-22T00:00:00.000Z"},
                     {"name", "a campaign"}});
  const json envelope = {{"objects", objects}};

  auto res = client()->Post(collection_path(kT2, "objects/"), envelope.dump(),
                            std::string(kTaxiiMediaType));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  const json status = json::parse(res->body);
  EXPECT_EQ(status["status"], "complete");
  EXPECT_EQ(status["total_count"], 4);
  EXPECT_EQ(status["success_count"], 2);
  EXPECT_EQ(status["failure_count"], 2);
  EXPECT_EQ(status["pending_count"], 0);
  ASSERT_EQ(status["successes"].size(), 2U);
  EXPECT_EQ(status["successes"][0]["id"], good1.common.id);
  EXPECT_EQ(status["successes"][0]["version"], intel::stix::format_timestamp(at));
  ASSERT_EQ(status["failures"].size(), 2U);
  EXPECT_EQ(status["failures"][0]["id"], broken["id"]);
  EXPECT_NE(status["failures"][0]["message"].get<std::string>().find("pattern"), std::string::npos);
  EXPECT_EQ(status["failures"][1]["id"], objects[3]["id"]);

  // The status resource is there for its member, and only for it.
  const std::string status_id = status["id"];
  EXPECT_TRUE(is_uuid(status_id));
  EXPECT_EQ(get("/intel/status/" + status_id + "/"), status);
  expect_error(get("/intel/status/" + status_id + "/", 404, "agency", "agency-pw"), 404);
  expect_error(get("/intel/status/" + std::string(kUnknown) + "/", 404), 404);

  // The accepted objects are served as sent, and stored with the member as provider.
  const json served = get(collection_path(kT2, "objects/" + good1.common.id + "/"));
  EXPECT_EQ(served["objects"][0], objects[0]);
  ObjectFilter filter;
  filter.ids = {good1.common.id, good2.common.id};
  auto page = env_->store->objects(kT2, filter, false);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->objects.size(), 2U);
  for (const auto& o : page->objects) EXPECT_EQ(o.provider, "provider:council");

  // Posting the same version again changes nothing and says so.
  const json again = {{"objects", json::array({objects[0]})}};
  res =
      client()->Post(collection_path(kT2, "objects/"), again.dump(), std::string(kTaxiiMediaType));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202);
  EXPECT_EQ(json::parse(res->body)["success_count"], 1);
  EXPECT_EQ(env_->store->count(kT2).value(), kLatestInT2 + 2 + 2);
  // The drop box takes the council's contributions too.
  res = client()->Post(collection_path(kDrop, "objects/"), again.dump(),
                       std::string(kTaxiiMediaType));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
}

TEST_F(TaxiiServerTest, UnknownPathsAndMethods) {
  expect_error(get("/intel/collections/" + std::string(kT2) + "/nothing/", 404), 404);
  expect_error(get("/intel/unknown/", 404), 404);
  expect_error(get("/", 404), 404);
  auto res = client()->Post("/intel/collections/", "{}", std::string(kTaxiiMediaType));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  res = client()->Delete(collection_path(kT2, "objects/"));
  ASSERT_TRUE(res);
  EXPECT_GE(res->status, 400);
}

// The same server through the curl command line (acceptance: "curl or a test client").
TEST_F(TaxiiServerTest, CurlCommandLine) {
  if (std::system("curl --version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "curl is not installed (scripts/setup installs it)";
  }
  const fs::path out = env_->dir.path() / "curl-body.json";
  auto run = [&](const std::string& credentials) {
    const std::string command = fmt::format(
        "curl --silent --show-error --cacert '{}' {} -H 'Accept: {}' -o '{}' -w '%{{http_code}}' "
        "'https://127.0.0.1:{}/intel/collections/'",
        env_->cert, credentials, kTaxiiMediaType, out.string(), env_->server->port());
    std::FILE* pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    std::string code;
    std::array<char, 64> buffer{};
    while (pipe != nullptr && std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
      code += buffer.data();
    }
    if (pipe != nullptr) pclose(pipe);
    return code;
  };
  EXPECT_EQ(run("-u council:council-pw"), "200");
  std::ifstream in(out);
  const json body = json::parse(in, nullptr, false);
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body["collections"].size(), 3U);
  EXPECT_EQ(run(""), "401");
  EXPECT_EQ(run("-u council:nope"), "401");
}

// A contribution reaches other members only within its provider's consent: the government
// (tier 1) and the contributor always, other readers of the collection only when the provider
// consented (share_contributions). Hidden contributions are absent, not forbidden: a 404 for
// the object, nothing in lists or the manifest.
TEST_F(TaxiiServerTest, ContributionsReachOthersOnlyWithinTheProvidersConsent) {
  const Timestamp at = kT0 + Duration::seconds(7);
  const auto kept = make_indicator("192.0.2.240", at);
  const auto shared = make_indicator("192.0.2.241", at);
  const auto post = [&](std::string_view user, std::string_view password,
                        const intel::stix::Indicator& indicator) {
    const json envelope = {
        {"objects", json::array({json::parse(intel::stix::write_object(indicator).value())})}};
    auto res =
        client(user, password)
            ->Post(collection_path(kT2, "objects/"), envelope.dump(), std::string(kTaxiiMediaType));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(json::parse(res->body)["success_count"], 1);
  };
  post("council", "council-pw", kept);  // no consent to share
  post("sharer", "sharer-pw", shared);  // consented
  const std::string kept_path = collection_path(kT2, "objects/" + kept.common.id + "/");
  const std::string shared_path = collection_path(kT2, "objects/" + shared.common.id + "/");
  // The contributor and the government see its contribution; another council member does not.
  EXPECT_EQ(get(kept_path)["objects"].size(), 1U);
  EXPECT_EQ(get(kept_path, 200, "agency", "agency-pw")["objects"].size(), 1U);
  expect_error(get(kept_path, 404, "council2", "council2-pw"), 404);
  expect_error(get(collection_path(kT2, "objects/" + kept.common.id + "/versions/"), 404,
                   "council2", "council2-pw"),
               404);
  // A consented contribution reaches every reader of the collection.
  EXPECT_EQ(get(shared_path, 200, "council2", "council2-pw")["objects"].size(), 1U);
  EXPECT_EQ(get(shared_path)["objects"].size(), 1U);
  // Lists and the manifest agree: mamori's own objects plus the consented contribution.
  const auto ids_of = [](const json& body, const char* key) {
    std::set<std::string> ids;
    if (body.contains(key)) {
      for (const auto& o : body[key]) ids.insert(o["id"].get<std::string>());
    }
    return ids;
  };
  const std::string filter = "?match[id]=" + kept.common.id + "," + shared.common.id;
  EXPECT_EQ(ids_of(get(collection_path(kT2, "objects/") + filter, 200, "council2", "council2-pw"),
                   "objects"),
            (std::set<std::string>{shared.common.id}));
  EXPECT_EQ(ids_of(get(collection_path(kT2, "manifest/") + filter, 200, "council2", "council2-pw"),
                   "objects"),
            (std::set<std::string>{shared.common.id}));
  EXPECT_EQ(
      ids_of(get(collection_path(kT2, "objects/") + filter, 200, "agency", "agency-pw"), "objects"),
      (std::set<std::string>{kept.common.id, shared.common.id}));
}

}  // namespace
}  // namespace mamori::server
