// The console API server over HTTPS on loopback (issue 8 items 1-2, docs/console-api.md): the RBAC
// table enforced for every route and role, sessions and their cookie, CSRF, the login limiter,
// malformed and oversized bodies, security headers, static files without traversal, the I7 gate
// in front of record reads, and the oversight endpoints.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "console_fixture.h"
#include "mamori/analysis/sqlite_findings.h"
#include "mamori/governance/events.h"
#include "mamori/registry/attack.h"
#include "mamori/registry/sqlite_registry.h"
#include "mamori/server/console_rbac.h"
#include "store/raw_sqlite.h"

namespace mamori::server {
namespace {

using namespace console_testing;
using governance::Role;

class ConsoleServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(env.start()); }
  ConsoleEnv env;
};

// A path of the route with its {parameters} filled in.
std::string concrete_path(std::string_view pattern) {
  std::string path;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '{') {
      const std::size_t end = pattern.find('}', i);
      path += "no-such-id";
      i = end + 1;
    } else {
      path += pattern[i++];
    }
  }
  return path;
}

// The status the table promises, as far as authorization goes: 401/403, or 0 for "let through"
// (the handler then answers whatever it answers, never 401 or 403 for authorization).
int expected_access(const Route& route, std::optional<Role> role) {
  return access_status(route, role);
}

void expect_access(const httplib::Result& res, const Route& route, std::optional<Role> role,
                   const std::string& how) {
  ASSERT_TRUE(res) << how << " " << route.method << " " << route.pattern;
  const int expected = expected_access(route, role);
  const std::string what =
      fmt::format("{} {} {} as {}: {} {}", how, route.method, route.pattern,
                  role ? governance::to_string(*role) : "anonymous", res->status, res->body);
  if (expected == 0) {
    EXPECT_NE(res->status, 401) << what;
    EXPECT_NE(res->status, 403) << what;
    EXPECT_LT(res->status, 500) << what;
  } else {
    EXPECT_EQ(res->status, expected) << what;
    EXPECT_EQ(error_code(res), expected == 401 ? "unauthenticated" : "forbidden") << what;
  }
}

TEST_F(ConsoleServerTest, EveryRouteAndRoleWithASessionIsAsTheTableSays) {
  for (const Route& route : console_routes()) {
    const std::string path = concrete_path(route.pattern);
    const std::string method(route.method);
    expect_access(env.call(method, path), route, std::nullopt, "session");
    for (Role role : kRoles) {
      // A fresh login each time: DELETE /api/session ends the session it is called with. The
      // limiter's window is moved past for each login (5 per minute from 127.0.0.1).
      env.clock.advance(Duration::seconds(61));
      const Login login = env.login(user_name(role));
      httplib::Headers headers = {{"Cookie", login.cookie}, {"X-CSRF-Token", login.csrf}};
      expect_access(env.call(method, path, headers), route, role, "session");
    }
  }
}

TEST_F(ConsoleServerTest, EveryRouteAndRoleWithAnApiTokenIsAsTheTableSays) {
  for (const Route& route : console_routes()) {
    const std::string path = concrete_path(route.pattern);
    const std::string method(route.method);
    for (Role role : kRoles) {
      expect_access(env.call(method, path, env.bearer(user_name(role))), route, role, "token");
    }
  }
}

TEST_F(ConsoleServerTest, AnInvalidTokenIs401EvenOnPublicRoutes) {
  auto res = env.call("GET", "/healthz", {{"Authorization", "Bearer mmr_not-a-token"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(error_code(res), "unauthenticated");
  auto fine = env.call("GET", "/healthz");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
  EXPECT_EQ(body_of(fine), json({{"status", "ok"}}));
}

TEST_F(ConsoleServerTest, UnknownRoutesAre404AndOtherMethods405) {
  auto unknown = env.call("GET", "/api/nothing-here", env.bearer("admin"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(error_code(unknown), "not_found");
  auto method = env.call("PUT", "/api/session", env.bearer("admin"), "{}");
  ASSERT_TRUE(method);
  EXPECT_EQ(method->status, 405);
}

TEST_F(ConsoleServerTest, LoginSetsAStrictCookieAndLogoutForgetsTheSession) {
  const Login login = env.login("analyst");
  EXPECT_NE(login.set_cookie.find("mamori_session="), std::string::npos);
  EXPECT_NE(login.set_cookie.find("; Secure"), std::string::npos) << login.set_cookie;
  EXPECT_NE(login.set_cookie.find("; HttpOnly"), std::string::npos) << login.set_cookie;
  EXPECT_NE(login.set_cookie.find("; SameSite=Strict"), std::string::npos) << login.set_cookie;
  EXPECT_NE(login.set_cookie.find("; Path=/"), std::string::npos) << login.set_cookie;
  EXPECT_EQ(login.cookie.size(), std::string("mamori_session=").size() + 43);
  EXPECT_EQ(login.body["user"], "analyst");
  EXPECT_EQ(login.body["role"], "analyst");
  EXPECT_EQ(login.csrf.size(), 43u);
  ASSERT_TRUE(login.body["expires_at"].is_string());
  EXPECT_TRUE(parse_rfc3339(login.body["expires_at"].get<std::string>()));

  auto who = env.call("GET", "/api/session", {{"Cookie", login.cookie}});
  ASSERT_TRUE(who);
  EXPECT_EQ(who->status, 200);
  EXPECT_FALSE(who->has_header("Set-Cookie"));
  EXPECT_EQ(body_of(who), login.body);

  // Logging out is an unsafe method: it needs the CSRF token too.
  auto refused = env.call("DELETE", "/api/session", {{"Cookie", login.cookie}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_EQ(error_code(refused), "csrf");
  auto out =
      env.call("DELETE", "/api/session", {{"Cookie", login.cookie}, {"X-CSRF-Token", login.csrf}});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 204);
  EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
  auto gone = env.call("GET", "/api/session", {{"Cookie", login.cookie}});
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 401);
}

TEST_F(ConsoleServerTest, SessionsExpireAfterTheirTtl) {
  const Login login = env.login("overseer");
  env.clock.advance(Duration::seconds(480 * 60 - 1));
  auto alive = env.call("GET", "/api/session", {{"Cookie", login.cookie}});
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->status, 200);
  env.clock.advance(Duration::seconds(1));
  auto expired = env.call("GET", "/api/session", {{"Cookie", login.cookie}});
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->status, 401);
}

TEST_F(ConsoleServerTest, WrongUnknownAndDisabledUsersAre401) {
  for (const auto& [user, password] : {std::pair{"analyst", "wrong"}, std::pair{"nobody", "x"},
                                       std::pair{"retired", "retired-password"}}) {
    env.clock.advance(Duration::seconds(61));
    const json body = {{"user", user}, {"password", password}};
    auto res = env.call("POST", "/api/session", {}, body.dump());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << user;
    EXPECT_EQ(error_code(res), "bad_credentials") << user;
    EXPECT_FALSE(res->has_header("Set-Cookie")) << user;
  }
  auto metrics = env.call("GET", "/metrics", env.bearer("admin"));
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("mamori_console_login_failures_total 3"), std::string::npos)
      << metrics->body;
}

TEST_F(ConsoleServerTest, TooManyLoginAttemptsAre429WithRetryAfter) {
  const json wrong = {{"user", "analyst"}, {"password", "guess"}};
  for (int i = 0; i < 5; ++i) {
    auto res = env.call("POST", "/api/session", {}, wrong.dump());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << i;
  }
  // Now even the right password waits: the limit counts attempts, not failures.
  const json right = {{"user", "analyst"}, {"password", password_of("analyst")}};
  auto limited = env.call("POST", "/api/session", {}, right.dump());
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(error_code(limited), "too_many_attempts");
  ASSERT_TRUE(limited->has_header("Retry-After"));
  const int retry = std::stoi(limited->get_header_value("Retry-After"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  // Per client address: another user name from the same address waits too.
  const json other = {{"user", "overseer"}, {"password", password_of("overseer")}};
  auto also = env.call("POST", "/api/session", {}, other.dump());
  ASSERT_TRUE(also);
  EXPECT_EQ(also->status, 429);

  env.clock.advance(Duration::seconds(retry));
  auto allowed = env.call("POST", "/api/session", {}, right.dump());
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
}

TEST_F(ConsoleServerTest, MalformedJsonIs400NamingTheOffsetOrField) {
  auto broken = env.call("POST", "/api/session", {}, R"({"user": "analyst",)");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 400);
  EXPECT_EQ(error_code(broken), "malformed_json");
  EXPECT_NE(body_of(broken)["error"]["message"].get<std::string>().find("byte"), std::string::npos);

  auto wrong_type = env.call("POST", "/api/session", {}, R"({"user": 5, "password": "x"})");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 400);
  EXPECT_EQ(error_field(wrong_type), "user");

  auto missing = env.call("POST", "/api/session", {}, R"({"user": "analyst"})");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(error_field(missing), "password");

  auto not_object = env.call("POST", "/api/session", {}, "[1,2]");
  ASSERT_TRUE(not_object);
  EXPECT_EQ(not_object->status, 400);

  auto form =
      env.call("POST", "/api/session", {}, "user=analyst", "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 415);
}

TEST_F(ConsoleServerTest, BodiesAboveMaxBodyBytesAre413) {
  const std::string big = R"({"user": "analyst", "password": ")" + std::string(5000, 'x') + "\"}";
  auto res = env.call("POST", "/api/session", {}, big);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(error_code(res), "body_too_large");
  EXPECT_TRUE(res->has_header("Content-Security-Policy"));
}

TEST_F(ConsoleServerTest, UnsafeMethodsOnASessionNeedTheCsrfToken) {
  const Login login = env.login("overseer");
  auto missing = env.call("POST", "/api/oversight/verify", {{"Cookie", login.cookie}}, "{}");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 403);
  EXPECT_EQ(error_code(missing), "csrf");
  auto wrong = env.call("POST", "/api/oversight/verify",
                        {{"Cookie", login.cookie}, {"X-CSRF-Token", std::string(43, 'A')}}, "{}");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
  EXPECT_EQ(error_code(wrong), "csrf");
  auto right = env.call("POST", "/api/oversight/verify",
                        {{"Cookie", login.cookie}, {"X-CSRF-Token", login.csrf}}, "{}");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 202);
  // A bearer token is not sent by browsers on their own: no CSRF token needed.
  auto token = env.call("POST", "/api/oversight/verify", env.bearer("overseer"), "{}");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->status, 202);
}

TEST_F(ConsoleServerTest, SecurityHeadersOnEveryResponse) {
  const Login login = env.login("analyst");
  for (const auto& [path, api] :
       {std::pair{"/healthz", true}, std::pair{"/api/session", true},
        std::pair{"/api/nothing", true}, std::pair{"/", false}, std::pair{"/.hidden", false}}) {
    auto res = env.call("GET", path, {{"Cookie", login.cookie}});
    ASSERT_TRUE(res) << path;
    const std::string csp = res->get_header_value("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << path;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << path;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << path;
    EXPECT_NE(res->get_header_value("Strict-Transport-Security").find("max-age="),
              std::string::npos)
        << path;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(res->get_header_value("Referrer-Policy"), "no-referrer") << path;
    if (api) {
      EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store") << path;
    }
  }
  auto json_res = env.call("GET", "/healthz");
  ASSERT_TRUE(json_res);
  EXPECT_EQ(json_res->get_header_value("Content-Type"), "application/json; charset=utf-8");
}

TEST_F(ConsoleServerTest, StaticFilesAndClientRoutesServeTheConsole) {
  auto index = env.call("GET", "/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, kIndex);
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  auto route = env.call("GET", "/records/view");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->status, 200);
  EXPECT_EQ(route->body, kIndex);
  auto script = env.call("GET", "/assets/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  auto missing_asset = env.call("GET", "/assets/missing.js");
  ASSERT_TRUE(missing_asset);
  EXPECT_EQ(missing_asset->status, 404);
}

TEST_F(ConsoleServerTest, PathTraversalAndDotFilesAre404AndNeverLeak) {
  for (const char* path :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt", "/%2E%2E/%2E%2E/secret.txt", "/..%2fsecret.txt",
        "/.hidden", "/.git/config", "/assets/./app.js", "/link.txt", "/outside/secret.txt",
        "/..\\secret.txt", "/%2e%2e%5csecret.txt"}) {
    auto res = env.call("GET", path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path << ": " << res->body;
    EXPECT_EQ(res->body.find(kSecret), std::string::npos) << path;
    EXPECT_EQ(res->body.find(kHidden), std::string::npos) << path;
    EXPECT_NE(res->body, kIndex) << path;
  }
}

TEST_F(ConsoleServerTest, DashboardCountsByDayCategoryAndRuleWithoutRecordContents) {
  auto res = env.call("GET", "/api/dashboard?days=3", env.bearer("overseer"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json body = body_of(res);
  ASSERT_EQ(body["days"].size(), 3u);
  const json& today = body["days"][2];
  EXPECT_EQ(today["date"], format_rfc3339_seconds(env.today()).substr(0, 10));
  EXPECT_EQ(today["FF"], 4);
  EXPECT_EQ(today["FD"], 4);
  EXPECT_EQ(today["DF"], 4);
  EXPECT_EQ(body["days"][0]["FF"], 0);
  EXPECT_EQ(body["records_total"], env.records);
  ASSERT_EQ(body["runs"].size(), 1u);
  EXPECT_EQ(body["runs"][0]["input"], "pcap:console-test.pcap");
  EXPECT_EQ(body["runs"][0]["records"], env.records);
  // Every record of the fixture matched c2-ip-1; the ruleset's other rules matched nothing.
  bool saw_c2 = false;
  for (const json& row : body["by_rule"]) {
    const bool c2 = row["rule"] == "c2-ip-1";
    saw_c2 = saw_c2 || c2;
    EXPECT_EQ(row["records"], c2 ? env.records : 0) << row.dump();
  }
  EXPECT_TRUE(saw_c2) << body["by_rule"].dump();
  // Statistics only: no address of a record appears.
  EXPECT_EQ(res->body.find("198.51.100."), std::string::npos);

  auto bad = env.call("GET", "/api/dashboard?days=91", env.bearer("overseer"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(error_field(bad), "days");
}

TEST_F(ConsoleServerTest, PurposesAreTheConfiguredOnes) {
  auto res = env.call("GET", "/api/purposes", env.bearer("analyst"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(body_of(res), json({{"purposes", {std::string(kPurpose)}}}));
}

TEST_F(ConsoleServerTest, RecordsPageWithNextAfterAndFilters) {
  const Login login = env.login("analyst");
  const httplib::Headers headers = {{"Cookie", login.cookie}};
  auto first = env.call("GET", "/api/records?purpose=attack-analysis&limit=5", headers);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  const json page = body_of(first);
  ASSERT_EQ(page["records"].size(), 5u);
  ASSERT_TRUE(page["next_after"].is_number());
  EXPECT_EQ(page["records"][0]["record"]["flow"], fmt::format("{:032x}", 1));
  auto second = env.call("GET",
                         fmt::format("/api/records?purpose=attack-analysis&limit=100&after={}",
                                     page["next_after"].get<std::int64_t>()),
                         headers);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->status, 200);
  EXPECT_EQ(body_of(second)["records"].size(), env.records - 5);
  EXPECT_TRUE(body_of(second)["next_after"].is_null());

  auto ff = env.call("GET", "/api/records?purpose=attack-analysis&category=FF", headers);
  ASSERT_TRUE(ff);
  ASSERT_EQ(ff->status, 200);
  const json ff_records = body_of(ff)["records"];  // a named copy: the loop must not outlive it
  for (const json& row : ff_records) EXPECT_EQ(row["record"]["category"], "FF");
  EXPECT_EQ(ff_records.size(), 4u);

  for (const char* bad : {"category=DD", "limit=0", "limit=1001", "since=yesterday", "after=-1"}) {
    auto res =
        env.call("GET", fmt::format("/api/records?purpose=attack-analysis&{}", bad), headers);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << bad;
    EXPECT_FALSE(error_field(res).empty()) << bad;
  }
}

TEST_F(ConsoleServerTest, OversightHeadIsTheLedgersLatestSignedHead) {
  // Put something on the ledger first: a read.
  auto read = env.call("GET", "/api/records?purpose=attack-analysis", env.bearer("analyst"));
  ASSERT_TRUE(read);
  ASSERT_EQ(read->status, 200);
  auto res = env.call("GET", "/api/oversight/head", env.bearer("overseer"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json head = body_of(res);
  ASSERT_TRUE(env.installation->ledger->refresh());
  EXPECT_EQ(head["size"], env.installation->ledger->size());
  EXPECT_EQ(head["root"], ledger::hash_to_hex(env.installation->ledger->root()));
  EXPECT_EQ(head["key_id"], env.installation->ledger_key->public_key().key_id());
  EXPECT_EQ(head["public_key"].get<std::string>().size(), 64u);
  EXPECT_EQ(head["signature"].get<std::string>().size(), 128u);
}

json wait_for_job(const ConsoleEnv& env, const httplib::Headers& headers, const std::string& id) {
  // The job runs in the server's background; its state is polled as a client would, with a
  // deadline rather than a fixed sleep.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto res = env.call("GET", "/api/jobs/" + id, headers);
    if (!res || res->status != 200) {
      ADD_FAILURE() << "job poll failed: " << (res ? res->body : "no response");
      return {};
    }
    json body = body_of(res);
    if (body["state"] != "running") return body;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "the job did not finish";
  return {};
}

TEST_F(ConsoleServerTest, VerifyJobChecksTheWholeLedgerForItsOwnerOnly) {
  for (int i = 0; i < 3; ++i) {
    auto read = env.call("GET", "/api/records?purpose=attack-analysis", env.bearer("analyst"));
    ASSERT_TRUE(read);
    ASSERT_EQ(read->status, 200);
  }
  const httplib::Headers overseer = env.bearer("overseer");
  auto started = env.call("POST", "/api/oversight/verify", overseer, "");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  const std::string id = body_of(started)["job"];
  const json job = wait_for_job(env, overseer, id);
  ASSERT_EQ(job["state"], "done") << job.dump();
  EXPECT_EQ(job["progress"], 1.0);
  EXPECT_EQ(job["result"]["intact"], true) << job.dump();
  ASSERT_TRUE(env.installation->ledger->refresh());
  EXPECT_EQ(job["result"]["leaves"], env.installation->ledger->size());
  EXPECT_EQ(job["result"]["signatures_checked"], true);

  // Another user — even an admin — does not see it.
  auto other = env.call("GET", "/api/jobs/" + id, env.bearer("admin"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

TEST_F(ConsoleServerTest, VerifyJobFindsATamperedLedgerEntry) {
  for (int i = 0; i < 3; ++i) {
    auto read = env.call("GET", "/api/records?purpose=attack-analysis", env.bearer("analyst"));
    ASSERT_TRUE(read);
    ASSERT_EQ(read->status, 200);
  }
  {
    // Someone with write access to the database file rewrites the second read's entry.
    store::testing::RawDb raw(env.dir.file("run.db"));
    raw.exec("DROP TRIGGER ledger_entries_no_update");
    raw.exec(
        "UPDATE ledger_entries SET leaf = replace(leaf, '\"records\":12', "
        "'\"records\":0') WHERE seq = 1");
  }
  const httplib::Headers overseer = env.bearer("overseer");
  auto started = env.call("POST", "/api/oversight/verify", overseer, "");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  const json job = wait_for_job(env, overseer, body_of(started)["job"]);
  ASSERT_EQ(job["state"], "done") << job.dump();
  EXPECT_EQ(job["result"]["intact"], false) << job.dump();
  // The altered entry (seq 1) or the first one whose `prev` commits to it (seq 2).
  ASSERT_TRUE(job["result"]["first_bad_seq"].is_number()) << job.dump();
  EXPECT_GE(job["result"]["first_bad_seq"].get<int>(), 1);
  EXPECT_LE(job["result"]["first_bad_seq"].get<int>(), 2);
}

TEST_F(ConsoleServerTest, InspectionReportIsAnAttachment) {
  auto res = env.call("GET", "/api/oversight/report", env.bearer("overseer"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body.substr(0, 200);
  EXPECT_NE(res->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(res->body.find("<html"), std::string::npos);
  auto as_json = env.call("GET", "/api/oversight/report?format=json", env.bearer("overseer"));
  ASSERT_TRUE(as_json);
  ASSERT_EQ(as_json->status, 200);
  EXPECT_EQ(body_of(as_json)["version"], 1);
  auto bad =
      env.call("GET", "/api/oversight/report?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
               env.bearer("overseer"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(ConsoleServerTest, MetricsCountRequestsByRoutePatternNotPath) {
  auto job = env.call("GET", "/api/jobs/some-secret-looking-id", env.bearer("overseer"));
  ASSERT_TRUE(job);
  auto res = env.call("GET", "/metrics", env.bearer("admin"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(
      res->body.find(
          R"(mamori_console_requests_total{route="/api/jobs/{id}",method="GET",status="404"} 1)"),
      std::string::npos)
      << res->body;
  EXPECT_EQ(res->body.find("some-secret-looking-id"), std::string::npos);
  EXPECT_NE(res->body.find("mamori_console_sessions 0"), std::string::npos);
}

TEST_F(ConsoleServerTest, FindingsOfTheLatestAnalysisWithAGraphOfPseudonymousBots) {
  auto none = env.call("GET", "/api/findings", env.bearer("analyst"));
  ASSERT_TRUE(none);
  ASSERT_EQ(none->status, 200) << none->body;
  EXPECT_EQ(body_of(none), json({{"findings", json::array()}}));
  EXPECT_FALSE(fs::exists(env.dir.path() / "findings.db"));  // a GET creates nothing

  auto store = analysis::open_sqlite_findings(env.dir.file("findings.db"));
  ASSERT_TRUE(store) << store.error().message;
  const auto finding = [&](analysis::FindingKind kind, std::string subject, double score) {
    analysis::Finding f;
    f.kind = kind;
    f.subject = std::move(subject);
    f.id = analysis::finding_id(kind, f.subject);
    f.score = score;
    f.confidence = 0.8;
    f.evidence = {1, 2};
    f.evidence_total = 7;
    f.first_seen = env.today();
    f.last_seen = env.today() + Duration::seconds(60);
    f.expires_at = env.today() + Duration::seconds(86'400 * 30);
    return f;
  };
  analysis::AnalysisResult old_run;
  old_run.findings.push_back(finding(analysis::FindingKind::scan, "192.0.2.99", 10));
  analysis::AnalysisRunInfo info;
  info.created_at = env.clock.now();
  info.who = "analyst";
  info.expires_at = analysis::latest_expiry(old_run);
  ASSERT_TRUE((*store)->save(info, old_run));
  analysis::AnalysisResult latest;
  auto c2 = finding(analysis::FindingKind::c2_server, "203.0.113.5", 90);
  c2.details.push_back({"infected_clients", 6});
  c2.details.push_back({"implant_fingerprint", 0, "ja3:3a366762f6c191d06acf4daf46ecd6ca"});
  latest.findings.push_back(c2);
  auto beacon = finding(analysis::FindingKind::beacon, "203.0.113.5", 70);
  // No implant seen, three clients: the graph shows three clients, not zero bots.
  beacon.details.push_back({"infected_clients", 0});
  beacon.details.push_back({"clients", 3});
  latest.findings.push_back(beacon);
  info.expires_at = analysis::latest_expiry(latest);
  ASSERT_TRUE((*store)->save(info, latest));

  auto list = env.call("GET", "/api/findings", env.bearer("analyst"));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  const json listed = body_of(list)["findings"];
  ASSERT_EQ(listed.size(), 2u);  // the latest run only
  EXPECT_EQ(listed[0]["id"], c2.id);
  EXPECT_EQ(listed[0]["detector"], "c2_server");
  EXPECT_EQ(listed[0]["score"], 90.0);

  auto one = env.call("GET", "/api/findings/" + c2.id, env.bearer("analyst"));
  ASSERT_TRUE(one);
  ASSERT_EQ(one->status, 200) << one->body;
  const json body = body_of(one);
  EXPECT_EQ(body["finding"]["subject"], "203.0.113.5");
  const json& nodes = body["graph"]["nodes"];
  ASSERT_GE(nodes.size(), 4u);  // subject, bots, implant fingerprint, the beacon finding
  EXPECT_EQ(nodes[0]["kind"], "c2");
  EXPECT_EQ(nodes[1]["kind"], "bots");
  EXPECT_EQ(nodes[1]["count"], 6);
  EXPECT_EQ(nodes[2]["kind"], "fingerprint");
  EXPECT_EQ(body["graph"]["edges"].size(), nodes.size() - 1);

  auto other = env.call("GET", "/api/findings/" + beacon.id, env.bearer("analyst"));
  ASSERT_TRUE(other);
  ASSERT_EQ(other->status, 200) << other->body;
  const json other_nodes = body_of(other)["graph"]["nodes"];
  ASSERT_GE(other_nodes.size(), 2u);
  EXPECT_EQ(other_nodes[1]["kind"], "bots");
  EXPECT_EQ(other_nodes[1]["count"], 3);

  auto missing = env.call("GET", "/api/findings/f-0000000000000000", env.bearer("analyst"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(ConsoleServerTest, IncidentsOperatorsSeeTheirOwnOrganisationsTheGovernmentAll) {
  auto none = env.call("GET", "/api/incidents", env.bearer("analyst"));
  ASSERT_TRUE(none);
  ASSERT_EQ(none->status, 200) << none->body;
  EXPECT_EQ(body_of(none), json({{"incidents", json::array()}}));
  EXPECT_FALSE(fs::exists(env.dir.path() / "registry.db"));  // a GET creates nothing

  {
    auto storage = env.register_organisations();
    ASSERT_TRUE(storage);
    auto catalog = registry::AttackCatalog::parse(
        "id,name,tactics,is_subtechnique,deprecated\nT1133,External Remote Services,"
        "initial-access,false,false\n",
        "attack.csv");
    ASSERT_TRUE(catalog) << catalog.error().message;
    const Timestamp detected = env.clock.now() - Duration::seconds(48 * 3600);
    for (const auto& [id, organisation] :
         {std::pair{"inc-2026-0001", "org-a"}, std::pair{"inc-2026-0002", "org-b"}}) {
      registry::IncidentReport first;
      first.phase = registry::ReportPhase::first;
      first.reporter = "SOC";
      first.organisation_id = organisation;
      first.detected_at = detected;
      first.known = "VPN装置への不審なログイン";
      auto incident = registry::open_incident(id, "nisc-ci", first, *catalog, "operator",
                                              detected + Duration::seconds(3600));
      ASSERT_TRUE(incident) << incident.error().message;
      ASSERT_TRUE(storage->open_incident(*incident));
    }
  }

  auto own = env.call("GET", "/api/incidents", env.bearer("operator"));
  ASSERT_TRUE(own);
  ASSERT_EQ(own->status, 200) << own->body;
  const json listed = body_of(own)["incidents"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], "inc-2026-0001");
  EXPECT_EQ(listed[0]["organisation"], "org-a");
  EXPECT_EQ(listed[0]["phase"], "first");
  EXPECT_EQ(listed[0]["overdue"], true);  // the final report was due a day after detection
  EXPECT_EQ(listed[0]["summary"], "VPN装置への不審なログイン");
  EXPECT_TRUE(listed[0]["deadlines"]["final"].is_string());

  auto all = env.call("GET", "/api/incidents", env.bearer("admin"));
  ASSERT_TRUE(all);
  ASSERT_EQ(all->status, 200);
  EXPECT_EQ(body_of(all)["incidents"].size(), 2u);

  auto overseer = env.call("GET", "/api/incidents", env.bearer("overseer"));
  ASSERT_TRUE(overseer);
  EXPECT_EQ(overseer->status, 403);
}

TEST_F(ConsoleServerTest, OperatorsFileFirstReportsForTheirOwnOrganisationsOnly) {
  {
    auto storage = env.register_organisations();
    ASSERT_TRUE(storage);
  }
  const Login login = env.login("operator");
  const httplib::Headers session = {{"Cookie", login.cookie}, {"X-CSRF-Token", login.csrf}};
  const auto report = [&](const std::string& organisation) {
    return json{{"format", "mamori-incident-report-v1"},
                {"phase", "first"},
                {"reporter", "SOC"},
                {"organisation_id", organisation},
                {"detected_at", format_rfc3339_seconds(env.clock.now())},
                {"known", "不審な通信を検知"}};
  };
  auto filed = env.call("POST", "/api/incidents", session, report("org-a").dump());
  ASSERT_TRUE(filed);
  ASSERT_EQ(filed->status, 201) << filed->body;
  const json incident = body_of(filed)["incident"];
  EXPECT_TRUE(incident["id"].get<std::string>().starts_with("inc-")) << incident.dump();
  EXPECT_EQ(incident["organisation"], "org-a");
  EXPECT_EQ(incident["phase"], "first");
  EXPECT_EQ(incident["overdue"], false);
  EXPECT_TRUE(body_of(filed)["deadlines"]["final"].is_string());

  auto listed = env.call("GET", "/api/incidents", env.bearer("operator"));
  ASSERT_TRUE(listed);
  ASSERT_EQ(body_of(listed)["incidents"].size(), 1u);
  EXPECT_EQ(body_of(listed)["incidents"][0]["id"], incident["id"]);

  // Another organisation's, and one that does not exist, look the same.
  for (const char* organisation : {"org-b", "org-zzz"}) {
    auto refused = env.call("POST", "/api/incidents", session, report(organisation).dump());
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403) << organisation;
    EXPECT_EQ(error_field(refused), "organisation_id");
  }
  json incomplete = report("org-a");
  incomplete.erase("reporter");
  auto bad = env.call("POST", "/api/incidents", session, incomplete.dump());
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("reporter"), std::string::npos) << bad->body;
  json interim = report("org-a");
  interim["phase"] = "interim";
  auto wrong_phase = env.call("POST", "/api/incidents", session, interim.dump());
  ASSERT_TRUE(wrong_phase);
  EXPECT_EQ(wrong_phase->status, 400);

  // The government reads but does not file (the RBAC table).
  auto analyst = env.call("POST", "/api/incidents", env.bearer("analyst"), report("org-a").dump());
  ASSERT_TRUE(analyst);
  EXPECT_EQ(analyst->status, 403);
  listed = env.call("GET", "/api/incidents", env.bearer("admin"));
  ASSERT_TRUE(listed);
  EXPECT_EQ(body_of(listed)["incidents"].size(), 1u);
}

// The console reads users through connections of its own; the installation's connection (as
// `mamori users disable` in another process) commits the change, and the next request sees it.
TEST_F(ConsoleServerTest, ADisabledUserLosesItsSessionAtOnce) {
  const Login login = env.login("analyst");
  auto before = env.call("GET", "/api/session", {{"Cookie", login.cookie}});
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200);
  auto token_before = env.call("GET", "/api/session", env.bearer("analyst"));
  ASSERT_TRUE(token_before);
  EXPECT_EQ(token_before->status, 200);
  // Requests are sequential here, so the test may use the installation between them.
  ASSERT_TRUE(env.installation->governance_storage->set_disabled("analyst", true));
  auto after = env.call("GET", "/api/session", {{"Cookie", login.cookie}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
  auto token = env.call("GET", "/api/session", env.bearer("analyst"));
  ASSERT_TRUE(token);
  EXPECT_EQ(token->status, 401);
  // Enabled again: the token works at once; the session ended for good.
  ASSERT_TRUE(env.installation->governance_storage->set_disabled("analyst", false));
  auto token_again = env.call("GET", "/api/session", env.bearer("analyst"));
  ASSERT_TRUE(token_again);
  EXPECT_EQ(token_again->status, 200);
  auto session_again = env.call("GET", "/api/session", {{"Cookie", login.cookie}});
  ASSERT_TRUE(session_again);
  EXPECT_EQ(session_again->status, 401);
}

}  // namespace

// I7 (purpose limitation) through the console: a read of selected records without a purpose is
// refused (400 purpose_required) and the refusal is on the ledger; with a configured purpose it
// is allowed and recorded as access.read — user, role, purpose, query and record count — before
// the records are sent; a purpose that is not configured (criminal investigation included) is
// refused (403) and recorded too. Both ways of logging in pass the same gate.
TEST(Invariant_I7, ConsoleRecordReadNeedsPurposeAndIsLedgered) {
  using namespace console_testing;
  ConsoleEnv env;
  ASSERT_NO_FATAL_FAILURE(env.start());
  const Login login = env.login("analyst");
  const httplib::Headers session = {{"Cookie", login.cookie}};

  auto without = env.call("GET", "/api/records", session);
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 400);
  EXPECT_EQ(error_code(without), "purpose_required");
  EXPECT_EQ(error_field(without), "purpose");
  EXPECT_EQ(without->body.find("\"flow\""), std::string::npos);
  auto refusals = env.events(governance::events::kAccessRefused);
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0]["user"], "analyst");
  EXPECT_EQ(refusals[0]["refusal"], "no-purpose");
  EXPECT_TRUE(env.events(governance::events::kAccessRead).empty());

  auto with = env.call("GET", "/api/records?purpose=attack-analysis&category=FD", session);
  ASSERT_TRUE(with);
  ASSERT_EQ(with->status, 200) << with->body;
  const std::size_t shown = body_of(with)["records"].size();
  EXPECT_EQ(shown, 4u);
  auto reads = env.events(governance::events::kAccessRead);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0]["user"], "analyst");
  EXPECT_EQ(reads[0]["role"], "analyst");
  EXPECT_EQ(reads[0]["purpose"], kPurpose);
  EXPECT_EQ(reads[0]["records"], shown);
  EXPECT_EQ(reads[0]["query"]["category"], "FD");

  auto criminal =
      env.call("GET", "/api/records?purpose=criminal-investigation", env.bearer("analyst"));
  ASSERT_TRUE(criminal);
  EXPECT_EQ(criminal->status, 403);
  EXPECT_EQ(error_code(criminal), "refused");
  EXPECT_EQ(criminal->body.find("\"flow\""), std::string::npos);
  refusals = env.events(governance::events::kAccessRefused);
  ASSERT_EQ(refusals.size(), 2u);
  EXPECT_EQ(refusals[1]["refusal"], "criminal-investigation");

  auto by_token = env.call("GET", "/api/records?purpose=attack-analysis", env.bearer("analyst"));
  ASSERT_TRUE(by_token);
  ASSERT_EQ(by_token->status, 200);
  reads = env.events(governance::events::kAccessRead);
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[1]["user"], "analyst");
  EXPECT_EQ(reads[1]["records"], env.records);

  // Other roles never reach the gate: the RBAC table stops them (and nothing is recorded).
  auto overseer = env.call("GET", "/api/records?purpose=attack-analysis", env.bearer("overseer"));
  ASSERT_TRUE(overseer);
  EXPECT_EQ(overseer->status, 403);
  EXPECT_EQ(env.events(governance::events::kAccessRead).size(), 2u);
}

}  // namespace mamori::server
