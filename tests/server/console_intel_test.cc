// The console's read-only registry and intelligence routes over HTTPS on loopback (issue 8,
// docs/console-api.md): GET /api/computers gives an operator its own organisations' filed
// computers and nothing of another organisation's, the government every organisation's;
// GET /api/products and /api/products/{id} give the stored T1 products (latest version, every
// version, the provisions of the product); GET /api/provisions what was provided to whom, with
// filters, to the overseer too, never the content handed over. Before the databases exist
// every list is empty and nothing is created.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "console_fixture.h"
#include "intel/intel_fixture.h"
#include "mamori/intel/sqlite_intel_storage.h"
#include "mamori/registry/import.h"
#include "mamori/registry/sqlite_registry.h"

namespace mamori::server {
namespace {

using namespace console_testing;
using governance::Role;

class ConsoleReadTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(env.start()); }

  json get_ok(const std::string& path, const std::string& user) {
    auto res = env.call("GET", path, env.bearer(user));
    EXPECT_TRUE(res) << path;
    if (!res) return json();
    EXPECT_EQ(res->status, 200) << path << " as " << user << ": " << res->body;
    return body_of(res);
  }

  ConsoleEnv env;
};

TEST_F(ConsoleReadTest, ComputersAreTheOperatorsOwnAndEveryOrganisationsForTheGovernment) {
  EXPECT_EQ(get_ok("/api/computers", "operator"),
            json({{"organisations", json::array()}, {"computers", json::array()}}));
  auto storage = env.register_organisations();
  ASSERT_NE(storage, nullptr);
  const auto computer = [](std::string id, std::string organisation, std::string product) {
    registry::ImportantComputer c;
    c.id = std::move(id);
    c.organisation_id = std::move(organisation);
    c.category = registry::DeviceCategory::vpn_gateway;
    c.vendor = "Fortinet";
    c.product = std::move(product);
    c.version = "7.0.1";
    c.internet_facing = true;
    return c;
  };
  for (const auto& c : {computer("org-a/vpn-1", "org-a", "FortiOS"),
                        computer("org-b/vpn-9", "org-b", "FortiProxy")}) {
    ASSERT_TRUE(storage->file_computer(c, registry::first_filing(c, env.clock.now(), "admin")));
  }

  const json mine = get_ok("/api/computers", "operator");
  ASSERT_EQ(mine["organisations"].size(), 1u) << mine.dump();
  EXPECT_EQ(mine["organisations"][0]["id"], "org-a");
  EXPECT_EQ(mine["organisations"][0]["name"], "組織A");
  ASSERT_EQ(mine["computers"].size(), 1u) << mine.dump();
  EXPECT_EQ(mine["computers"][0]["id"], "org-a/vpn-1");
  EXPECT_EQ(mine["computers"][0]["category"], "vpn-gateway");
  EXPECT_EQ(mine["computers"][0]["internet_facing"], true);
  EXPECT_EQ(mine.dump().find("org-b"), std::string::npos);
  EXPECT_EQ(mine.dump().find("FortiProxy"), std::string::npos);
  // No contacts or operator user names go out.
  EXPECT_FALSE(mine["organisations"][0].contains("operator_users"));

  for (const char* government : {"analyst", "admin"}) {
    const json all = get_ok("/api/computers", government);
    EXPECT_EQ(all["organisations"].size(), 2u) << government;
    ASSERT_EQ(all["computers"].size(), 2u) << government;
    EXPECT_EQ(all["computers"][1]["id"], "org-b/vpn-9");
  }
  auto refused = env.call("GET", "/api/computers", env.bearer("overseer"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
}

TEST_F(ConsoleReadTest, ProductsAndProvisionsAsStoredWithoutTheContentHandedOver) {
  const std::string intel_db = (env.dir.path() / "intel.db").string();
  // Nothing stored yet: empty lists, 404 for a product, and no database created by a GET.
  EXPECT_EQ(get_ok("/api/products", "analyst"), json({{"products", json::array()}}));
  EXPECT_EQ(get_ok("/api/provisions", "overseer"), json({{"provisions", json::array()}}));
  auto missing = env.call("GET", "/api/products/apt-sample", env.bearer("analyst"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_FALSE(std::filesystem::exists(intel_db));

  {
    auto storage = intel::open_sqlite_intel_storage(intel_db);
    ASSERT_TRUE(storage) << storage.error().message;
    intel::Product product = intel::testing::sample_product();
    auto first = (*storage)->save_product(product);
    ASSERT_TRUE(first) << first.error().message;
    product.title = "改訂: C2 サーバへのビーコン通信";
    auto second = (*storage)->save_product(product);
    ASSERT_TRUE(second) << second.error().message;
    for (const auto& [seq, recipient, version] :
         {std::tuple{std::uint64_t{7}, "nisc", 1u}, std::tuple{std::uint64_t{9}, "jpcert", 2u}}) {
      intel::ProvisionRecord record;
      record.ledger_seq = seq;
      record.at = intel::testing::later(static_cast<std::int64_t>(seq));
      record.recipient_id = recipient;
      record.recipient_class = intel::RecipientClass::agency;
      record.product_id = "apt-sample";
      record.product_version = version;
      record.type = intel::ProvisionType::tiered;
      record.tier = intel::Tier::t2;
      record.legal_basis = "art-41";
      record.purpose = "attack-analysis";
      record.provided_by = "analyst-1";
      record.content = intel::product_to_json(version == 1 ? *first : *second);
      ASSERT_TRUE((*storage)->record_provision(record));
    }
  }

  const json products = get_ok("/api/products", "analyst");
  ASSERT_EQ(products["products"].size(), 1u) << products.dump();
  EXPECT_EQ(products["products"][0]["id"], "apt-sample");
  EXPECT_EQ(products["products"][0]["version"], 2);
  EXPECT_EQ(products["products"][0]["title"], "改訂: C2 サーバへのビーコン通信");

  const json detail = get_ok("/api/products/apt-sample", "admin");
  EXPECT_EQ(detail["product"]["version"], 2);
  EXPECT_EQ(detail["product"]["parts"].size(), intel::testing::sample_product().parts.size());
  ASSERT_EQ(detail["versions"].size(), 2u);
  EXPECT_EQ(detail["versions"][0]["version"], 1);
  ASSERT_EQ(detail["provisions"].size(), 2u);
  EXPECT_EQ(detail["provisions"][0]["recipient_id"], "nisc");

  // An earlier version whole, with the same history and provisions; a version that does not
  // exist is 404, one that is not a positive integer 400 naming the parameter.
  const json earlier = get_ok("/api/products/apt-sample?version=1", "analyst");
  EXPECT_EQ(earlier["product"]["version"], 1);
  EXPECT_EQ(earlier["product"]["title"], intel::testing::sample_product().title);
  EXPECT_EQ(earlier["versions"], detail["versions"]);
  EXPECT_EQ(earlier["provisions"], detail["provisions"]);
  EXPECT_EQ(get_ok("/api/products/apt-sample?version=2", "analyst")["product"], detail["product"]);
  auto unknown = env.call("GET", "/api/products/apt-sample?version=3", env.bearer("analyst"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  for (const char* bad : {"0", "-1", "x", "", "1x", "4294967296"}) {
    auto refused = env.call("GET", std::string("/api/products/apt-sample?version=") + bad,
                            env.bearer("analyst"));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << bad;
    EXPECT_EQ(json::parse(refused->body)["error"]["field"], "version") << bad;
  }

  const json all = get_ok("/api/provisions", "overseer");
  ASSERT_EQ(all["provisions"].size(), 2u) << all.dump();
  const json& first = all["provisions"][0];
  EXPECT_EQ(first["ledger_seq"], 7);
  EXPECT_EQ(first["recipient_class"], "agency");
  EXPECT_EQ(first["tier"], "T2");
  EXPECT_EQ(first["product_version"], 1);
  // What was handed over stays in the intel database: no part value of the product appears.
  EXPECT_EQ(all.dump().find("c2.example.net"), std::string::npos);
  const json filtered = get_ok("/api/provisions?recipient=jpcert", "analyst");
  ASSERT_EQ(filtered["provisions"].size(), 1u);
  EXPECT_EQ(filtered["provisions"][0]["ledger_seq"], 9);
  EXPECT_TRUE(get_ok("/api/provisions?product=other", "analyst")["provisions"].empty());

  // The overseer inspects provisions but does not read T1 products; operators neither.
  for (const auto& [user, path] :
       {std::pair{"overseer", "/api/products"}, std::pair{"overseer", "/api/products/apt-sample"},
        std::pair{"operator", "/api/provisions"}}) {
    auto refused = env.call("GET", path, env.bearer(user));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403) << user << " " << path;
  }
}

}  // namespace
}  // namespace mamori::server
