#pragma once
// Shared by the tests/server/console_* files: a governed installation in a temporary directory
// (mamori.toml with [governance], [[access.purposes]] and [console], a ledger key, an SQLite
// store holding one run of records, a user and an API token per role and a disabled user, all
// created through the governance storage directly), a built "web console" next to files it
// must never serve, the console server on an ephemeral loopback port, and an HTTPS client
// (certificate verification off: the certificate is self-signed for this test run).

#include <gtest/gtest.h>

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "mamori/core/config.h"
#include "mamori/governance/access.h"
#include "mamori/ledger/keys.h"
#include "mamori/registry/sqlite_registry.h"
#include "mamori/server/console_config.h"
#include "mamori/server/console_server.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"
#include "support/password_hash.h"
#include "support/temp_dir.h"

namespace mamori::server::console_testing {

namespace fs = std::filesystem;
using nlohmann::json;

// Text planted outside the web console's directory and in its dot files: no response may
// ever contain it.
inline constexpr std::string_view kSecret = "SECRET-outside-static-dir-5d1e";
inline constexpr std::string_view kHidden = "HIDDEN-dot-file-77ab";
inline constexpr std::string_view kIndex = "<!doctype html><title>mamori console test</title>";
inline constexpr std::string_view kPurpose = "attack-analysis";

inline constexpr std::array<governance::Role, 4> kRoles = {
    governance::Role::analyst, governance::Role::overseer, governance::Role::operator_,
    governance::Role::admin};

using test_support::cheap_password_hash;

inline std::string user_name(governance::Role role) {
  return std::string(governance::to_string(role));
}
inline std::string password_of(std::string_view user) { return std::string(user) + "-password"; }

struct Login {
  std::string cookie;  // "mamori_session=…"
  std::string csrf;
  std::string set_cookie;  // the whole Set-Cookie header
  json body;
};

struct ConsoleEnv {
  test_support::TempDir dir{"mamori-console"};
  ManualClock clock{SystemClock().now()};
  std::unique_ptr<site::Installation> installation;
  std::unique_ptr<ConsoleServer> server;
  std::map<std::string, std::string> tokens;  // by user name
  std::size_t records = 12;
  std::string store_url;

  // `console_lines`: extra lines of the [console] section.
  void start(const std::string& console_lines = "") {
    write_files(console_lines);
    auto opened = site::open_installation(dir.file("mamori.toml"));
    ASSERT_TRUE(opened) << opened.error().message;
    installation = std::move(*opened);
    store_url = installation->sieve.store;
    add_users();
    add_records();
    auto file = ConfigFile::load(dir.file("mamori.toml"));
    ASSERT_TRUE(file) << file.error().message;
    auto config = load_console_config(*file);
    ASSERT_TRUE(config) << config.error().message;
    auto made = ensure_console_certificate(*config);
    ASSERT_TRUE(made) << made.error().message;
    const std::string url = store_url;
    auto started = ConsoleServer::start(
        std::move(*config), *installation, [url] { return store::open_store(url); }, clock);
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
  }

  void write_files(const std::string& console_lines) {
    const auto key = ledger::SigningKey::generate(ledger::KeyRole::sensor);
    ASSERT_TRUE(ledger::save_key_pair(dir.file("sensor"), key, clock.now()));
    std::ofstream(dir.path() / "mamori.toml")
        << "sensor = \"gw-console\"\n"
        << "country_db = \"country.mmdb\"\n"
        << "categories = [\"FF\", \"FD\", \"DF\"]\n"
        << "ruleset = \"rules.toml\"\n"
        << "store = \"sqlite:run.db\"\n"
        << "[governance]\n"
        << "ledger_key = \"sensor.key\"\n"
        << "retention = \"30d\"\n"
        << "[[access.purposes]]\n"
        << "id = \"" << kPurpose << "\"\n"
        << "label_ja = \"特定不正行為による被害の防止のための分析\"\n"
        << "label_en = \"analysis to prevent damage from attacks\"\n"
        << "roles = [\"analyst\", \"overseer\"]\n"
        << "[registry]\n"
        << "path = \"registry.db\"\n"
        << "regimes = \"regimes.json\"\n"
        << "attack_techniques = \"attack.csv\"\n"
        << "[console]\n"
        << "address = \"127.0.0.1\"\n"
        << "port = 0\n"
        << "static_dir = \"web\"\n"
        << "max_body_bytes = 4096\n"
        << "threads = 4\n"
        << console_lines << "\n";
    std::ofstream(dir.path() / "attack.csv")
        << "id,name,tactics,is_subtechnique,deprecated\n"
        << "T1133,External Remote Services,initial-access,false,false\n";
    std::ofstream(dir.path() / "regimes.json")
        << R"({"regimes": [{"id": "nisc-ci", "name_ja": "重要インフラ", "name_en": "critical )"
        << R"(infrastructure", "first_report_within": "24h", "final_report_within": "1d"}]})";
    fs::create_directories(dir.path() / "web" / "assets");
    fs::create_directories(dir.path() / "web" / ".git");
    std::ofstream(dir.path() / "web" / "index.html") << kIndex;
    std::ofstream(dir.path() / "web" / "assets" / "app.js") << "console.log('mamori');\n";
    std::ofstream(dir.path() / "web" / ".hidden") << kHidden;
    std::ofstream(dir.path() / "web" / ".git" / "config") << kHidden;
    std::ofstream(dir.path() / "secret.txt") << kSecret;
    // Symlinks inside the console's directory that lead out of it.
    fs::create_symlink(dir.path() / "secret.txt", dir.path() / "web" / "link.txt");
    fs::create_directory_symlink(dir.path(), dir.path() / "web" / "outside");
  }

  void add_users() {
    auto& users = *installation->governance_storage;
    for (governance::Role role : kRoles) add_user(user_name(role), role);
    ASSERT_TRUE(users.add_user({.name = "retired",
                                .role = governance::Role::analyst,
                                .password_hash = cheap_password_hash(password_of("retired")),
                                .created_at = clock.now(),
                                .disabled = true}));
  }

  // The registry of the tests: org-a, whose operator user is "operator", and org-b, nobody's.
  // Null (and the test failed) when the registry cannot be opened.
  std::unique_ptr<registry::RegistryStorage> register_organisations() {
    auto storage = registry::open_sqlite_registry(dir.file("registry.db"));
    EXPECT_TRUE(storage) << storage.error().message;
    if (!storage) return nullptr;
    registry::Organisation mine;
    mine.id = "org-a";
    mine.name = "組織A";
    mine.operator_users = {"operator"};
    registry::Organisation other;
    other.id = "org-b";
    other.name = "組織B";
    EXPECT_TRUE((*storage)->put_organisation(mine));
    EXPECT_TRUE((*storage)->put_organisation(other));
    return std::move(*storage);
  }

  // Another user with an API token, once the server runs (requests are sequential in the
  // tests, so the installation may be used between them).
  void add_user(const std::string& name, governance::Role role) {
    auto& users = *installation->governance_storage;
    ASSERT_TRUE(users.add_user({.name = name,
                                .role = role,
                                .password_hash = cheap_password_hash(password_of(name)),
                                .created_at = clock.now()}));
    const std::string token = governance::new_api_token();
    ASSERT_TRUE(users.add_token(name, governance::token_digest(token), clock.now()));
    tokens[name] = token;
  }

  // Today's first `records` seconds (UTC), categories in turn FF, FD, DF.
  Timestamp today() const {
    return Timestamp::from_seconds(clock.now().seconds() / 86'400 * 86'400);
  }

  void add_records() {
    auto opened = store::open_store(store_url);
    ASSERT_TRUE(opened) << opened.error().message;
    auto& store = **opened;
    store::RunInfo info;
    info.sensor = "gw-console";
    info.started_at = today();
    info.input = "pcap:console-test.pcap";
    info.approval_id = "approval-test";
    info.legal_basis = "foreign-foreign";
    auto run = store.begin_run(info);
    ASSERT_TRUE(run) << run.error().message;
    std::vector<sieve::Record> batch;
    constexpr scope::Category kCategories[] = {scope::Category::FF, scope::Category::FD,
                                               scope::Category::DF};
    for (std::size_t i = 0; i < records; ++i) {
      sieve::Record r;
      r.sensor = "gw-console";
      r.flow_id = fmt::format("{:032x}", i + 1);
      r.category = kCategories[i % 3];
      r.first_seen = today() + Duration::seconds(static_cast<std::int64_t>(i));
      r.last_seen = r.first_seen + Duration::seconds(1);
      r.protocol = 6;
      r.src = {IpAddress::v4(0xc6336400 | static_cast<std::uint32_t>(i + 1)), 40000,
               scope::CountryCode::from("US")};
      r.dst = {IpAddress::v4(0xcb007105), 443,
               r.category == scope::Category::FF ? scope::CountryCode::from("DE") : scope::kJapan};
      r.packets = {3, 2};
      r.bytes = {300, 200};
      r.matches.push_back({"c2-ip-1", sieve::RuleKind::ip, {}});
      batch.push_back(std::move(r));
    }
    ASSERT_TRUE(store.append(*run, batch));
    ASSERT_TRUE(store.end_run(*run, json::object(), today() + Duration::seconds(60)));
  }

  std::unique_ptr<httplib::SSLClient> client() const {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", server->port());
    client->enable_server_certificate_verification(false);
    client->set_read_timeout(30, 0);
    return client;
  }

  // One request; method is GET, HEAD, POST, PUT, PATCH or DELETE.
  httplib::Result call(const std::string& method, const std::string& path,
                       const httplib::Headers& headers = {}, const std::string& body = "",
                       const std::string& content_type = "application/json") const {
    auto c = client();
    if (method == "GET") return c->Get(path, headers);
    if (method == "HEAD") return c->Head(path, headers);
    if (method == "POST") return c->Post(path, headers, body, content_type);
    if (method == "PUT") return c->Put(path, headers, body, content_type);
    if (method == "PATCH") return c->Patch(path, headers, body, content_type);
    if (method == "DELETE") {
      return body.empty() ? c->Delete(path, headers) : c->Delete(path, headers, body, content_type);
    }
    ADD_FAILURE() << "unsupported method " << method;
    return c->Get(path, headers);
  }

  // Logs `user` in with its password; fails the test unless it gets a session.
  Login login(const std::string& user) const {
    Login out;
    const json body = {{"user", user}, {"password", password_of(user)}};
    auto res = call("POST", "/api/session", {}, body.dump());
    if (!res) {
      ADD_FAILURE() << "login: no response";
      return out;
    }
    EXPECT_EQ(res->status, 200) << res->body;
    out.set_cookie = res->get_header_value("Set-Cookie");
    const std::size_t end = out.set_cookie.find(';');
    out.cookie = out.set_cookie.substr(0, end);
    out.body = json::parse(res->body, nullptr, false);
    if (out.body.is_object() && out.body.contains("csrf_token")) {
      out.csrf = out.body["csrf_token"].get<std::string>();
    }
    return out;
  }

  httplib::Headers bearer(const std::string& user) const {
    return {{"Authorization", "Bearer " + tokens.at(user)}};
  }

  // The ledger's events of `type`, oldest first.
  std::vector<json> events(std::string_view type) const {
    std::vector<json> out;
    auto refreshed = installation->ledger->refresh();
    EXPECT_TRUE(refreshed) << (refreshed ? "" : refreshed.error().message);
    auto visited = site::for_each_event(*installation, type, [&](const ledger::LedgerEntry& e) {
      out.push_back(e.body);
      return true;
    });
    EXPECT_TRUE(visited);
    return out;
  }
};

inline json body_of(const httplib::Result& res) {
  return res ? json::parse(res->body, nullptr, false) : json();
}

inline std::string error_code(const httplib::Result& res) {
  const json body = body_of(res);
  if (!body.is_object() || !body.contains("error")) return {};
  return body["error"].value("code", "");
}

inline std::string error_field(const httplib::Result& res) {
  const json body = body_of(res);
  if (!body.is_object() || !body.contains("error")) return {};
  return body["error"].value("field", "");
}

}  // namespace mamori::server::console_testing
