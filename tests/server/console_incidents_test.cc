// The console's registry routes over HTTPS on loopback (issue 8, docs/console-api.md): an operator
// files a first report (速報), then an interim (続報) and a final one (確報) for an incident of
// its organisation, and the phase and the overdue state follow while the deadlines stay where
// the detection put them; every report is in the organisation's submission trail; another
// operator neither sees the incident nor adds to it (404, the same as an incident that does not
// exist); an invalid report is 400 naming the field; and GET /api/notices gives an operator its
// own organisations' notices, most urgent first, exactly as `mamori notices --json` does, with
// the warnings other operators' reports give it and nothing of another organisation's.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "console_fixture.h"
#include "mamori/registry/import.h"
#include "mamori/registry/sqlite_registry.h"

namespace mamori::server {
namespace {

using namespace console_testing;
using governance::Role;

const std::string kMamori = std::string(MAMORI_BINARY_DIR) + "/src/mamori/cli/mamori";

// Two organisations of the same sector (so that one's incident warns the other): org-a acts
// through the fixture's "operator", org-b through "operator-b".
class ConsoleRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(env.start());
    ASSERT_NO_FATAL_FAILURE(env.add_user("operator-b", Role::operator_));
    auto opened = registry::open_sqlite_registry(env.dir.file("registry.db"));
    ASSERT_TRUE(opened) << opened.error().message;
    storage = std::move(*opened);
    for (const auto& [id, member] :
         {std::pair{"org-a", "operator"}, std::pair{"org-b", "operator-b"}}) {
      registry::Organisation organisation;
      organisation.id = id;
      organisation.name = std::string("試験組織 ") + id;
      organisation.ci_sectors = {"electricity"};
      organisation.operator_users = {member};
      ASSERT_TRUE(storage->put_organisation(organisation));
    }
  }

  // As `user`, with a session cookie and its CSRF token (the console's way).
  httplib::Headers session_of(const std::string& user) {
    env.clock.advance(Duration::seconds(61));  // past the login limiter's window
    const Login login = env.login(user);
    return {{"Cookie", login.cookie}, {"X-CSRF-Token", login.csrf}};
  }

  json report(const std::string& phase, const std::string& organisation) const {
    json body = {{"format", "mamori-incident-report-v1"},
                 {"phase", phase},
                 {"reporter", "CSIRT 当番"},
                 {"organisation_id", organisation},
                 {"detected_at", format_rfc3339_seconds(detected)},
                 {"known", "VPN装置への不審なログイン"}};
    if (phase == "final") {
      body["cause"] = "VPN装置の既知の脆弱性";
      body["service_impact"] = "なし";
      body["techniques"] = {"T1133"};
      body["indicators"] = {{{"type", "ip"}, {"value", "203.0.113.77"}}};
      body["measures"] = "装置を更新し、認証情報を再発行";
    }
    return body;
  }

  // Files a first report as `headers` for `organisation`; returns the incident's id.
  std::string open_incident(const httplib::Headers& headers, const std::string& organisation) {
    auto filed = env.call("POST", "/api/incidents", headers, report("first", organisation).dump());
    EXPECT_TRUE(filed);
    if (!filed) return {};
    EXPECT_EQ(filed->status, 201) << filed->body;
    return body_of(filed)["incident"].value("id", "");
  }

  std::size_t stored_reports(const std::string& incident_id) {
    auto incident = storage->incident(incident_id);
    EXPECT_TRUE(incident && *incident) << incident_id;
    return incident && *incident ? (*incident)->reports.size() : 0;
  }

  ConsoleEnv env;
  std::unique_ptr<registry::RegistryStorage> storage;
  Timestamp detected = env.clock.now();
};

TEST_F(ConsoleRegistryTest, AnOperatorFilesFirstInterimAndFinalReportsAndThePhaseFollows) {
  auto first =
      env.call("POST", "/api/incidents", session_of("operator"), report("first", "org-a").dump());
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 201) << first->body;
  const json opened = body_of(first);
  const std::string id = opened["incident"]["id"];
  EXPECT_EQ(opened["incident"]["phase"], "first");
  EXPECT_EQ(opened["incident"]["overdue"], false);
  EXPECT_EQ(opened["report_number"], 1);
  // The fixture's regime: first report within 24h, final within 1d of the detection.
  const json deadlines = opened["deadlines"];
  EXPECT_EQ(deadlines["first"], format_rfc3339_seconds(detected + Duration::seconds(86'400)));
  EXPECT_EQ(deadlines["final"], format_rfc3339_seconds(detected + Duration::seconds(86'400)));

  // Two days on the final report is late.
  env.clock.advance(Duration::seconds(2 * 86'400));
  auto late = env.call("GET", "/api/incidents", env.bearer("operator"));
  ASSERT_TRUE(late);
  ASSERT_EQ(body_of(late)["incidents"].size(), 1u);
  EXPECT_EQ(body_of(late)["incidents"][0]["overdue"], true);

  // 続報: the organisation may be left out (it is the incident's); a computer the
  // organisation has not filed is accepted with a warning naming the field.
  json interim = report("interim", "org-a");
  interim.erase("organisation_id");
  interim.erase("detected_at");
  interim["known"] = "侵入経路を調査中";
  interim["affected_computers"] = {"org-a/vpn-9"};
  const std::string reports_path = "/api/incidents/" + id + "/reports";
  auto second = env.call("POST", reports_path, session_of("operator"), interim.dump());
  ASSERT_TRUE(second);
  ASSERT_EQ(second->status, 201) << second->body;
  const json appended = body_of(second);
  EXPECT_EQ(appended["incident"]["id"], id);
  EXPECT_EQ(appended["incident"]["phase"], "interim");
  EXPECT_EQ(appended["incident"]["reports"], 2);
  EXPECT_EQ(appended["incident"]["overdue"], true);  // the final report is still outstanding
  EXPECT_EQ(appended["incident"]["summary"], "侵入経路を調査中");
  EXPECT_EQ(appended["report_number"], 2);
  EXPECT_EQ(appended["deadlines"], deadlines);  // a later report never moves the clock
  ASSERT_EQ(appended["warnings"].size(), 1u) << appended.dump();
  EXPECT_EQ(appended["warnings"][0]["field"], "affected_computers[0]");

  // 確報, through an API token this time.
  auto third =
      env.call("POST", reports_path, env.bearer("operator"), report("final", "org-a").dump());
  ASSERT_TRUE(third);
  ASSERT_EQ(third->status, 201) << third->body;
  const json closed = body_of(third);
  EXPECT_EQ(closed["incident"]["phase"], "final");
  EXPECT_EQ(closed["incident"]["reports"], 3);
  EXPECT_EQ(closed["incident"]["overdue"], false);  // late, but nothing is outstanding now
  EXPECT_EQ(closed["report_number"], 3);
  EXPECT_EQ(closed["deadlines"], deadlines);
  EXPECT_TRUE(closed["warnings"].empty());

  auto listed = env.call("GET", "/api/incidents", env.bearer("operator"));
  ASSERT_TRUE(listed);
  EXPECT_EQ(body_of(listed)["incidents"][0], closed["incident"]);

  // The registry stamped each report with the user and the server's clock, and the
  // organisation's trail holds every one of them.
  auto incident = storage->incident(id);
  ASSERT_TRUE(incident && *incident);
  ASSERT_EQ((*incident)->reports.size(), 3u);
  EXPECT_EQ((*incident)->reports[1].phase, registry::ReportPhase::interim);
  EXPECT_EQ((*incident)->reports[1].submitted_by, "operator");
  // (stored to the microsecond)
  EXPECT_EQ(format_rfc3339_micros((*incident)->reports[1].submitted_at),
            format_rfc3339_micros(env.clock.now()));
  EXPECT_EQ((*incident)->reports[2].phase, registry::ReportPhase::final_);
  auto trail = storage->submissions("org-a");
  ASSERT_TRUE(trail) << trail.error().message;
  std::size_t reports_in_trail = 0;
  for (const auto& submission : *trail) {
    if (submission.kind != registry::SubmissionKind::incident_report) continue;
    ++reports_in_trail;
    EXPECT_EQ(submission.user, "operator");
    EXPECT_EQ(submission.subject, id);
  }
  EXPECT_EQ(reports_in_trail, 3u);
}

TEST_F(ConsoleRegistryTest, AnotherOperatorNeitherSeesNorAddsToAnIncident) {
  const std::string id = open_incident(session_of("operator"), "org-a");
  ASSERT_FALSE(id.empty());

  auto listed = env.call("GET", "/api/incidents", env.bearer("operator-b"));
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200);
  EXPECT_TRUE(body_of(listed)["incidents"].empty()) << listed->body;

  // Someone else's incident and one that does not exist answer the same, whatever the body:
  // a valid report, one for the other organisation, or an invalid one.
  const httplib::Headers operator_b = session_of("operator-b");
  json invalid = report("interim", "org-b");
  invalid.erase("reporter");
  for (const json& body : {report("interim", "org-a"), report("interim", "org-b"), invalid}) {
    auto theirs = env.call("POST", "/api/incidents/" + id + "/reports", operator_b, body.dump());
    auto missing =
        env.call("POST", "/api/incidents/inc-2099-0001/reports", operator_b, body.dump());
    ASSERT_TRUE(theirs);
    ASSERT_TRUE(missing);
    EXPECT_EQ(theirs->status, 404) << theirs->body;
    EXPECT_EQ(error_code(theirs), "not_found");
    EXPECT_EQ(theirs->body, missing->body);
    EXPECT_EQ(theirs->body.find(id), std::string::npos);
  }
  EXPECT_EQ(stored_reports(id), 1u);

  // The government reads it but files nothing (the RBAC table); the overseer has no access.
  for (const char* user : {"analyst", "admin", "overseer"}) {
    auto refused = env.call("POST", "/api/incidents/" + id + "/reports", env.bearer(user),
                            report("interim", "org-a").dump());
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403) << user;
    EXPECT_EQ(error_code(refused), "forbidden") << user;
  }
  EXPECT_EQ(stored_reports(id), 1u);

  // Membership is read on every request: once operator-b acts for org-a, it may add.
  auto org_a = storage->organisation("org-a");
  ASSERT_TRUE(org_a && *org_a);
  (*org_a)->operator_users.push_back("operator-b");
  ASSERT_TRUE(storage->put_organisation(**org_a));
  auto allowed = env.call("POST", "/api/incidents/" + id + "/reports", operator_b,
                          report("interim", "org-a").dump());
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 201) << allowed->body;
  EXPECT_EQ(stored_reports(id), 2u);
}

TEST_F(ConsoleRegistryTest, AnInvalidLaterReportIs400NamingTheField) {
  const httplib::Headers operator_a = session_of("operator");
  const std::string id = open_incident(operator_a, "org-a");
  ASSERT_FALSE(id.empty());
  const std::string path = "/api/incidents/" + id + "/reports";

  struct Case {
    const char* what;
    json body;
    const char* field;
  };
  std::vector<Case> cases;
  json no_reporter = report("interim", "org-a");
  no_reporter.erase("reporter");
  cases.push_back({"missing reporter", no_reporter, "reporter"});
  json incomplete_final = report("final", "org-a");
  incomplete_final.erase("cause");
  incomplete_final.erase("measures");
  cases.push_back({"final without cause", incomplete_final, "cause"});
  json bad_indicator = report("final", "org-a");
  bad_indicator["indicators"] = {{{"type", "ip"}, {"value", "not-an-address"}}};
  cases.push_back({"bad indicator", bad_indicator, "indicators[0].value"});
  json bad_technique = report("final", "org-a");
  bad_technique["techniques"] = {"T9999"};
  cases.push_back({"unknown technique", bad_technique, "techniques[0]"});
  json wrong_type = report("interim", "org-a");
  wrong_type["known"] = 5;
  cases.push_back({"known not a string", wrong_type, "known"});
  json unknown = report("interim", "org-a");
  unknown["colour"] = "red";
  cases.push_back({"unknown field", unknown, "colour"});
  json no_phase = report("interim", "org-a");
  no_phase.erase("phase");
  cases.push_back({"no phase", no_phase, "phase"});
  cases.push_back({"a second first report", report("first", "org-a"), "phase"});
  json other_org = report("interim", "org-b");
  cases.push_back({"another organisation", other_org, "organisation_id"});
  json regime = report("interim", "org-a");
  regime["regime"] = "nisc-ci";
  cases.push_back({"a regime", regime, "regime"});

  for (const Case& c : cases) {
    auto res = env.call("POST", path, operator_a, c.body.dump());
    ASSERT_TRUE(res) << c.what;
    EXPECT_EQ(res->status, 400) << c.what << ": " << res->body;
    EXPECT_EQ(error_field(res), c.field) << c.what << ": " << res->body;
    const json error = body_of(res)["error"];
    EXPECT_FALSE(error.value("message", "").empty()) << c.what;
    EXPECT_FALSE(error.value("message_ja", "").empty()) << c.what;
    // Messages name fields, never repeat what the report says.
    EXPECT_EQ(res->body.find("VPN装置"), std::string::npos) << c.what;
  }
  auto broken = env.call("POST", path, operator_a, R"({"phase": "interim",)");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 400);
  EXPECT_EQ(error_code(broken), "malformed_json");
  EXPECT_EQ(stored_reports(id), 1u);
}

// `mamori notices --json` for `user` on the same installation.
json cli_notices(const ConsoleEnv& env, const std::string& user) {
  const std::string token_file = env.dir.file(user + ".token");
  std::ofstream(token_file) << env.tokens.at(user) << "\n";
  const std::string command = kMamori + " notices --json --config '" + env.dir.file("mamori.toml") +
                              "' --token-file '" + token_file + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return json();
  std::string out;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return json::parse(out, nullptr, false);
}

TEST_F(ConsoleRegistryTest, NoticesAreTheOperatorsOwnMostUrgentFirstAsOnTheCommandLine) {
  // Before anything is filed or imported there is nothing to show.
  auto none = env.call("GET", "/api/notices", env.bearer("operator"));
  ASSERT_TRUE(none);
  ASSERT_EQ(none->status, 200) << none->body;
  EXPECT_EQ(body_of(none), json({{"notices", json::array()}, {"warnings", json::array()}}));

  const auto computer = [](std::string id, std::string organisation, std::string vendor,
                           std::string product, bool internet_facing) {
    registry::ImportantComputer c;
    c.id = std::move(id);
    c.organisation_id = std::move(organisation);
    c.category = registry::DeviceCategory::server;
    c.vendor = std::move(vendor);
    c.product = std::move(product);
    c.version = "1.0";
    c.internet_facing = internet_facing;
    return c;
  };
  for (const auto& c : {computer("org-a/fw-1", "org-a", "Palo Alto Networks", "PAN-OS", false),
                        computer("org-a/vpn-1", "org-a", "Fortinet", "FortiOS", true),
                        computer("org-a/web-1", "org-a", "Apache", "HTTP Server", true),
                        computer("org-b/vpn-1", "org-b", "Fortinet", "FortiOS", true),
                        computer("org-b/mail-1", "org-b", "Microsoft", "Exchange Server", true)}) {
    const std::string by = c.organisation_id == "org-a" ? "operator" : "operator-b";
    ASSERT_TRUE(storage->file_computer(c, registry::first_filing(c, env.clock.now(), by)));
  }
  const auto vulnerability = [](std::string id, std::string vendor, std::string product,
                                std::string due, bool ransomware) {
    registry::Vulnerability v;
    v.cve_id = std::move(id);
    v.vendor = std::move(vendor);
    v.product = std::move(product);
    v.name = v.vendor + " " + v.product + " vulnerability";
    v.date_added = "2026-01-02";
    v.due_date = std::move(due);
    v.required_action = "Apply updates per vendor instructions.";
    if (ransomware) v.known_ransomware = true;
    return v;
  };
  const std::vector<registry::Vulnerability> catalog = {
      vulnerability("CVE-2026-0001", "Fortinet", "FortiOS", "2026-02-01", true),
      vulnerability("CVE-2026-0002", "Palo Alto Networks", "PAN-OS", "2026-01-15", false),
      vulnerability("CVE-2026-0003", "Apache", "HTTP Server", "2026-03-01", false),
      vulnerability("CVE-2026-0004", "Microsoft", "Exchange Server", "2026-01-10", false)};
  ASSERT_TRUE(storage->put_vulnerabilities(catalog));
  ASSERT_TRUE(storage->mark_exploited_in_japan("CVE-2026-0002", "inc-2026-0099"));
  // org-b reports an incident with an indicator: org-a, in the same sector, is warned.
  const httplib::Headers operator_b = session_of("operator-b");
  const std::string theirs = open_incident(operator_b, "org-b");
  ASSERT_FALSE(theirs.empty());
  auto final_report = env.call("POST", "/api/incidents/" + theirs + "/reports", operator_b,
                               report("final", "org-b").dump());
  ASSERT_TRUE(final_report);
  ASSERT_EQ(final_report->status, 201) << final_report->body;

  auto mine = env.call("GET", "/api/notices", session_of("operator"));
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->status, 200) << mine->body;
  const json body = body_of(mine);
  ASSERT_EQ(body["notices"].size(), 1u) << body.dump();
  EXPECT_EQ(body["notices"][0]["organisation_id"], "org-a");
  EXPECT_EQ(body["notices"][0]["organisation_name"], "試験組織 org-a");
  std::vector<std::string> order;
  for (const auto& notice : body["notices"][0]["notices"]) {
    order.push_back(notice["vulnerability_id"].get<std::string>() + " " +
                    notice["computer_id"].get<std::string>());
  }
  EXPECT_EQ(order, (std::vector<std::string>{
                       "CVE-2026-0002 org-a/fw-1",   // exploited in Japan
                       "CVE-2026-0001 org-a/vpn-1",  // internet-facing, known ransomware
                       "CVE-2026-0003 org-a/web-1",  // internet-facing
                   }));
  ASSERT_EQ(body["warnings"].size(), 1u) << body.dump();
  EXPECT_EQ(body["warnings"][0]["organisation_id"], "org-a");
  EXPECT_EQ(body["warnings"][0]["indicators"][0]["value"], "203.0.113.77");
  // Nothing of org-b's: not its id, its computers, its report's text or the incident's id.
  for (const std::string& foreign :
       {std::string("org-b"), std::string("Exchange"), std::string("VPN装置"), theirs}) {
    EXPECT_EQ(mine->body.find(foreign), std::string::npos) << foreign;
  }

  // Exactly what the command line shows the same operator.
  const json cli = cli_notices(env, "operator");
  ASSERT_TRUE(cli.is_object()) << cli.dump();
  json without_names = body;
  for (auto& per_organisation : without_names["notices"])
    per_organisation.erase("organisation_name");
  EXPECT_EQ(without_names, cli);

  // org-b's operator gets its own, and no warning from its own report.
  auto other = env.call("GET", "/api/notices", env.bearer("operator-b"));
  ASSERT_TRUE(other);
  ASSERT_EQ(other->status, 200);
  const json others = body_of(other);
  ASSERT_EQ(others["notices"].size(), 1u);
  EXPECT_EQ(others["notices"][0]["organisation_id"], "org-b");
  ASSERT_EQ(others["notices"][0]["notices"].size(), 2u);
  EXPECT_EQ(others["notices"][0]["notices"][0]["vulnerability_id"], "CVE-2026-0001");  // ransomware
  EXPECT_TRUE(others["warnings"].empty());
  EXPECT_EQ(other->body.find("org-a"), std::string::npos);

  // The government sees every organisation's, as `mamori notices` shows it; the overseer none.
  auto all = env.call("GET", "/api/notices", env.bearer("analyst"));
  ASSERT_TRUE(all);
  ASSERT_EQ(all->status, 200);
  EXPECT_EQ(body_of(all)["notices"].size(), 2u);
  auto overseer = env.call("GET", "/api/notices", env.bearer("overseer"));
  ASSERT_TRUE(overseer);
  EXPECT_EQ(overseer->status, 403);
}

}  // namespace
}  // namespace mamori::server
