// The console's session table, login limiter and route table (server/console_sessions.h,
// server/console_rbac.h), without HTTP: time comes from a ManualClock, never from sleeping.

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "mamori/server/console_rbac.h"
#include "mamori/server/console_sessions.h"

namespace mamori::server {
namespace {

using governance::Role;

constexpr Timestamp kT0 = Timestamp::from_seconds(1'795'305'600);

TEST(ConsoleSessions, IdsAreRandom256BitBase64UrlAndExpire) {
  ManualClock clock(kT0);
  SessionTable table(clock, Duration::seconds(600));
  const NewSession a = table.create("alice", Role::analyst);
  const NewSession b = table.create("alice", Role::analyst);
  EXPECT_EQ(a.id.size(), 43u);  // 32 bytes, base64url without padding
  EXPECT_EQ(
      a.id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_NE(a.id, b.id);
  EXPECT_NE(a.session.csrf_token, b.session.csrf_token);
  EXPECT_NE(a.id, a.session.csrf_token);
  EXPECT_EQ(a.session.expires_at, kT0 + Duration::seconds(600));

  auto found = table.find(a.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user, "alice");
  EXPECT_EQ(found->role, Role::analyst);
  EXPECT_EQ(table.count(), 2u);

  clock.advance(Duration::seconds(599));
  EXPECT_TRUE(table.find(a.id));
  clock.advance(Duration::seconds(1));
  EXPECT_FALSE(table.find(a.id));
  EXPECT_EQ(table.count(), 0u);
}

TEST(ConsoleSessions, UnknownAndMalformedIdsFindNothing) {
  ManualClock clock(kT0);
  SessionTable table(clock, Duration::seconds(600));
  const NewSession a = table.create("alice", Role::analyst);
  EXPECT_FALSE(table.find(""));
  EXPECT_FALSE(table.find(a.id.substr(1)));
  EXPECT_FALSE(table.find(a.id + "A"));
  std::string altered = a.id;
  altered[0] = altered[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(table.find(altered));
  EXPECT_FALSE(table.find(std::string(43, '.')));
  EXPECT_TRUE(table.find(a.id));
}

TEST(ConsoleSessions, RemoveAndRemoveUser) {
  ManualClock clock(kT0);
  SessionTable table(clock, Duration::seconds(600));
  const NewSession a = table.create("alice", Role::analyst);
  const NewSession a2 = table.create("alice", Role::analyst);
  const NewSession b = table.create("bob", Role::overseer);
  EXPECT_TRUE(table.remove(a.id));
  EXPECT_FALSE(table.remove(a.id));
  EXPECT_FALSE(table.find(a.id));
  table.remove_user("alice");
  EXPECT_FALSE(table.find(a2.id));
  EXPECT_TRUE(table.find(b.id));
}

TEST(ConsoleSessions, CsrfTokenMustMatchExactly) {
  ManualClock clock(kT0);
  SessionTable table(clock, Duration::seconds(600));
  const NewSession a = table.create("alice", Role::analyst);
  EXPECT_TRUE(SessionTable::csrf_matches(a.session, a.session.csrf_token));
  EXPECT_FALSE(SessionTable::csrf_matches(a.session, ""));
  EXPECT_FALSE(SessionTable::csrf_matches(a.session, a.session.csrf_token.substr(1)));
  EXPECT_FALSE(SessionTable::csrf_matches(a.session, a.id));
}

TEST(ConsoleLoginLimiter, LimitsPerAddressAndPerUserName) {
  ManualClock clock(kT0);
  LoginLimiter limiter(clock, 3);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.attempt("10.0.0.1", "alice"));
  const auto wait = limiter.attempt("10.0.0.1", "alice");
  ASSERT_TRUE(wait);
  EXPECT_GE(*wait, 1);
  EXPECT_LE(*wait, 60);
  // The same name from elsewhere is limited too (per user name) ...
  EXPECT_TRUE(limiter.attempt("10.0.0.2", "alice"));
  // ... and the same address for another name (per address).
  EXPECT_TRUE(limiter.attempt("10.0.0.1", "bob"));
  // Another address with another name is not.
  EXPECT_FALSE(limiter.attempt("10.0.0.2", "bob"));

  clock.advance(Duration::seconds(30));
  const auto later = limiter.attempt("10.0.0.1", "alice");
  ASSERT_TRUE(later);
  EXPECT_EQ(*later, 30);
  clock.advance(Duration::seconds(30));
  EXPECT_FALSE(limiter.attempt("10.0.0.1", "alice"));
}

TEST(ConsoleRbac, EveryRouteIsPublicOrHasRolesAndPatternsAreUnique) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const Route& route : console_routes()) {
    EXPECT_TRUE(route.is_public != !route.roles.empty()) << route.pattern;
    EXPECT_TRUE(seen.emplace(std::string(route.method), std::string(route.pattern)).second)
        << route.method << " " << route.pattern;
    EXPECT_TRUE(route.pattern.starts_with("/api/") || route.pattern == "/healthz" ||
                route.pattern == "/metrics")
        << route.pattern;
  }
}

TEST(ConsoleRbac, MatchingTakesParametersAndHeadAsGet) {
  auto job = match_route("GET", "/api/jobs/abc");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->route->id, RouteId::job_get);
  ASSERT_EQ(job->params.size(), 1u);
  EXPECT_EQ(job->params[0], "abc");
  EXPECT_FALSE(match_route("GET", "/api/jobs/"));
  EXPECT_FALSE(match_route("GET", "/api/jobs/a/b"));
  EXPECT_FALSE(match_route("GET", "/api/session/"));
  auto head = match_route("HEAD", "/healthz");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->route->id, RouteId::healthz);
  EXPECT_FALSE(match_route("PUT", "/api/session"));
  EXPECT_TRUE(path_has_route("/api/session"));
  EXPECT_FALSE(path_has_route("/api/nothing"));
}

TEST(ConsoleRbac, AccessStatusIs401ForAnonymousAnd403ForOtherRoles) {
  const auto records = match_route("GET", "/api/records");
  ASSERT_TRUE(records);
  EXPECT_EQ(access_status(*records->route, std::nullopt), 401);
  EXPECT_EQ(access_status(*records->route, Role::analyst), 0);
  EXPECT_EQ(access_status(*records->route, Role::overseer), 403);
  const auto health = match_route("GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(access_status(*health->route, std::nullopt), 0);
}

}  // namespace
}  // namespace mamori::server
