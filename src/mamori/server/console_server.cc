#include "mamori/server/console_server.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/ssl.h>
#include <nlohmann/json.hpp>

#include "mamori/analysis/sqlite_findings.h"
#include "mamori/governance/access.h"
#include "mamori/ledger/merkle.h"
#include "mamori/ledger/tree_head.h"
#include "mamori/server/console_computers.h"
#include "mamori/server/console_findings.h"
#include "mamori/server/console_incidents.h"
#include "mamori/server/console_intel.h"
#include "mamori/server/console_jobs.h"
#include "mamori/server/console_notices.h"
#include "mamori/server/console_rbac.h"
#include "mamori/server/console_sessions.h"
#include "mamori/server/console_static.h"
#include "mamori/server/console_statistics.h"
#include "mamori/server/console_support.h"
#include "mamori/server/https_event_server.h"
#include "mamori/sieve/record_json.h"
#include "mamori/sieve/ruleset.h"
#include "mamori/site/access_gate.h"
#include "mamori/site/maintenance.h"
#include "mamori/store/governance_storage.h"

namespace mamori::server {
namespace {

using console::send_error;
using console::send_json;
using nlohmann::json;

constexpr std::string_view kCookieName = "mamori_session";
constexpr std::size_t kMaxUserName = 128;
constexpr std::size_t kMaxPassword = 1024;
constexpr std::size_t kDefaultRecordLimit = 100;
constexpr std::size_t kMaxRecordLimit = 1000;
constexpr std::int64_t kDaySeconds = 86'400;
// Read connections for who is calling: a lookup takes a few microseconds, so a handful serve
// every request thread of a console host without one waiting for another.
constexpr std::size_t kGovernanceReaders = 8;

bool is_api_path(std::string_view path) {
  return path == "/api" || path.starts_with("/api/") || path == "/healthz" || path == "/metrics";
}

bool is_unsafe(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// Methods as metric labels: a fixed set, so a client cannot add label values.
std::string_view method_label(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "OTHER";
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The value of cookie `name` in a Cookie header, if present.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t end = header.find(';');
    const std::string_view pair = trim(header.substr(0, end));
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
      return std::string(trim(pair.substr(eq + 1)));
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string public_key_hex(const ledger::PublicKey& key) {
  std::string hex(key.bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), key.bytes.data(), key.bytes.size());
  hex.pop_back();
  return hex;
}

// Who is calling.
struct Caller {
  governance::User user = {};
  bool via_session = false;
  std::optional<Session> session = {};  // via_session
  std::string session_id = {};          // via_session
};

}  // namespace

struct ConsoleServer::Impl {
  ConsoleConfig config;
  site::Installation* installation = nullptr;
  const Clock* clock = nullptr;
  std::unique_ptr<console::StorePool> stores;
  // Who is calling, and logins, are read through connections of the console's own to the
  // installation's database (read-only, opened on first use), not through the installation's
  // under site_mutex: a request's identity never waits for another's ledger append, and a
  // change committed by any process (`mamori users disable`) shows at the next request.
  console::GovernancePool users{
      [this] { return store::open_governance_reader(installation->sieve.store); },
      kGovernanceReaders};
  DashboardCache dashboard_cache{std::chrono::seconds(1)};
  std::unique_ptr<SessionTable> sessions;
  std::unique_ptr<LoginLimiter> limiter;
  console::Metrics metrics;
  MetricsSource more_metrics;         // may be empty
  std::string static_root;            // canonical static_dir, or empty when there is none
  std::vector<std::string> rule_ids;  // of the configured ruleset, for the dashboard
  std::string dummy_hash;             // verified against when a user does not exist
  std::string findings_path;          // the findings database of `mamori analyze`

  // The installation: its Ledger and governance storage are single-threaded. (Requests read
  // users through `users` above; the I7 gate reads them here, as it writes the ledger.)
  std::mutex site_mutex;

  std::unique_ptr<LedgerJobs> jobs;

  std::unique_ptr<HttpsServer> http;  // last: destroyed (and stopped) first

  // ---- dispatch -------------------------------------------------------------------------

  void handle(const httplib::Request& req, httplib::Response& res) {
    const bool api = is_api_path(req.path);
    console::set_security_headers(res, api);
    if (!api) {
      if (req.method == "GET" || req.method == "HEAD") return serve_static(req, res);
      return send_error(res, 405, "method_not_allowed", "this method is not allowed here",
                        "このメソッドは使用できません");
    }
    const auto match = match_route(req.method, req.path);
    if (!match) {
      if (path_has_route(req.path)) {
        return send_error(res, 405, "method_not_allowed", "this method is not allowed here",
                          "このメソッドは使用できません");
      }
      return send_error(res, 404, "not_found", "no such resource", "該当するリソースがありません");
    }
    const Route& route = *match->route;
    std::optional<Caller> caller;
    const int refused = identify(req, res, caller);
    if (refused != 0) return;
    if (caller && caller->via_session && is_unsafe(req.method) && !route.is_public) {
      const std::string token = req.get_header_value("X-CSRF-Token");
      if (!SessionTable::csrf_matches(*caller->session, token)) {
        return send_error(res, 403, "csrf",
                          "the X-CSRF-Token header is missing or does not match the session",
                          "CSRFトークンがないか一致しません");
      }
    }
    const int status =
        access_status(route, caller ? std::optional(caller->user.role) : std::nullopt);
    if (status == 401) {
      return send_error(res, 401, "unauthenticated", "log in first", "ログインが必要です");
    }
    if (status == 403) {
      return send_error(res, 403, "forbidden", "your role may not do this",
                        "この操作を行う権限がありません");
    }
    switch (route.id) {
      case RouteId::healthz:
        return send_json(res, 200, {{"status", "ok"}});
      case RouteId::metrics:
        res.status = 200;
        res.set_content(metrics.render(sessions->count()) + (more_metrics ? more_metrics() : ""),
                        "text/plain; version=0.0.4");
        return;
      case RouteId::session_create:
        return login(req, res);
      case RouteId::session_get:
        return session_body(res, *caller);
      case RouteId::session_delete:
        return logout(res, *caller);
      case RouteId::dashboard:
        return dashboard(req, res);
      case RouteId::purposes:
        return purposes(res);
      case RouteId::records:
        return records(req, res, *caller);
      case RouteId::oversight_head:
        return oversight_head(res);
      case RouteId::oversight_verify:
        return start_verify(res, *caller);
      case RouteId::job_get:
        return job(res, *caller, match->params.at(0));
      case RouteId::oversight_report:
        return report(req, res);
      case RouteId::findings_list:
        return findings(res, std::nullopt);
      case RouteId::finding_get:
        return findings(res, match->params.at(0));
      case RouteId::incidents_list:
        return send_registry(res,
                             list_incidents(installation->config_path, caller->user, clock->now()));
      case RouteId::incident_create:
      case RouteId::incident_report:  // the incident's id is the one parameter
        return file_incident(req, res, *caller, match->params);
      case RouteId::notices:
        return send_registry(res, list_notices(installation->config_path, caller->user));
      case RouteId::computers:
        return send_registry(res, list_computers(installation->config_path, caller->user));
      case RouteId::products_list:
        return send_intel(res, list_products(installation->config_path));
      case RouteId::product_get:
        return product(req, res, match->params.at(0));
      case RouteId::provisions:
        return send_intel(res,
                          list_provisions(installation->config_path, req.get_param_value("product"),
                                          req.get_param_value("recipient")));
    }
    send_error(res, 404, "not_found", "no such resource", "該当するリソースがありません");
  }

  // Sets `caller` from a bearer token or the session cookie. Returns non-zero (and has
  // answered) when the request is refused outright: a bearer token that is not valid.
  int identify(const httplib::Request& req, httplib::Response& res, std::optional<Caller>& caller) {
    const std::string authorization = req.get_header_value("Authorization");
    if (!authorization.empty()) {
      constexpr std::string_view kBearer = "Bearer ";
      const std::string_view token =
          std::string_view(authorization).starts_with(kBearer)
              ? trim(std::string_view(authorization).substr(kBearer.size()))
              : std::string_view();
      std::optional<governance::User> user;
      if (!token.empty() && token.size() <= 256) {
        auto owner = token_owner(token);
        if (!owner) {
          send_error(res, 500, "internal", "the user storage failed", "利用者情報を読めません");
          return 500;
        }
        if (*owner && !(*owner)->disabled) user = std::move(**owner);
      }
      if (!user) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, "unauthenticated", "the API token is not valid",
                   "APIトークンが無効です");
        return 401;
      }
      caller = Caller{.user = std::move(*user)};
      return 0;
    }
    const auto id = cookie_value(req.get_header_value("Cookie"), kCookieName);
    if (!id) return 0;
    auto session = sessions->find(*id);
    if (!session) return 0;
    // The user as stored now: removed or disabled since the login ends the session.
    std::optional<governance::User> user;
    {
      auto found = stored_user(session->user);
      if (!found) {
        send_error(res, 500, "internal", "the user storage failed", "利用者情報を読めません");
        return 500;
      }
      if (*found && !(*found)->disabled) user = std::move(**found);
    }
    if (!user) {
      sessions->remove(*id);
      return 0;
    }
    caller = Caller{.user = std::move(*user),
                    .via_session = true,
                    .session = std::move(session),
                    .session_id = *id};
    return 0;
  }

  // A user as stored now (disabled or not), by name or by API token, through a connection of
  // `users`.
  Result<std::optional<governance::User>> stored_user(const std::string& name) {
    return read_users([&](auto& storage) { return storage.find_user(name); });
  }
  Result<std::optional<governance::User>> token_owner(std::string_view token) {
    return read_users(
        [&](auto& storage) { return storage.find_token_owner(governance::token_digest(token)); });
  }
  template <class Lookup>
  Result<std::optional<governance::User>> read_users(Lookup lookup) {
    auto storage = users.acquire();
    if (!storage) return fail(storage.error());
    return lookup(**storage);
  }

  // ---- JSON bodies ----------------------------------------------------------------------

  // The body as a JSON object; answers 415/400 and returns none when it is not one.
  std::optional<json> json_body(const httplib::Request& req, httplib::Response& res) {
    const std::string type = req.get_header_value("Content-Type");
    if (!std::string_view(type).starts_with("application/json")) {
      send_error(res, 415, "unsupported_media_type", "send the body as application/json",
                 "本文は application/json で送信してください");
      return std::nullopt;
    }
    json body;
    try {
      body = json::parse(req.body);
    } catch (const json::parse_error& e) {
      send_error(res, 400, "malformed_json",
                 fmt::format("the body is not valid JSON (at byte {})", e.byte),
                 fmt::format("本文が正しいJSONではありません（{}バイト目）", e.byte));
      return std::nullopt;
    }
    if (!body.is_object()) {
      send_error(res, 400, "malformed_json", "the body must be a JSON object",
                 "本文はJSONオブジェクトでなければなりません");
      return std::nullopt;
    }
    return body;
  }

  // A required string member of at most `max` bytes; answers 400 naming the field.
  static std::optional<std::string> string_field(const json& body, const char* name,
                                                 std::size_t max, httplib::Response& res) {
    const auto found = body.find(name);
    if (found == body.end() || !found->is_string() ||
        found->get_ref<const std::string&>().empty()) {
      send_error(res, 400, "invalid_field", fmt::format("'{}' must be a non-empty string", name),
                 fmt::format("'{}' は空でない文字列でなければなりません", name), name);
      return std::nullopt;
    }
    const auto& text = found->get_ref<const std::string&>();
    if (text.size() > max) {
      send_error(res, 400, "invalid_field", fmt::format("'{}' is too long", name),
                 fmt::format("'{}' が長すぎます", name), name);
      return std::nullopt;
    }
    return text;
  }

  // ---- session --------------------------------------------------------------------------

  json session_json(const std::string& user, governance::Role role, const Session& session) {
    return {{"user", user},
            {"role", std::string(governance::to_string(role))},
            {"csrf_token", session.csrf_token},
            {"expires_at", format_rfc3339_seconds(session.expires_at)}};
  }

  void login(const httplib::Request& req, httplib::Response& res) {
    auto body = json_body(req, res);
    if (!body) return;
    auto name = string_field(*body, "user", kMaxUserName, res);
    if (!name) return;
    auto password = string_field(*body, "password", kMaxPassword, res);
    if (!password) return;
    if (auto wait = limiter->attempt(req.remote_addr, *name)) {
      res.set_header("Retry-After", std::to_string(*wait));
      return send_error(
          res, 429, "too_many_attempts",
          fmt::format("too many login attempts; try again in {} s", *wait),
          fmt::format("ログインの試行が多すぎます。{}秒後に再試行してください", *wait));
    }
    auto found = stored_user(*name);
    if (!found) {
      return send_error(res, 500, "internal", "the user storage failed", "利用者情報を読めません");
    }
    const std::optional<governance::User> user = std::move(*found);
    // argon2id runs also for unknown users, so that the answer's timing does not tell which
    // names exist.
    const bool usable = user && !user->disabled && !user->password_hash.empty();
    const bool verified =
        governance::verify_password(usable ? user->password_hash : dummy_hash, *password);
    if (!usable || !verified) {
      metrics.count_login_failure();
      return send_error(res, 401, "bad_credentials", "wrong user name or password",
                        "利用者名またはパスワードが違います");
    }
    const NewSession created = sessions->create(user->name, user->role);
    res.set_header("Set-Cookie",
                   fmt::format("{}={}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Strict",
                               kCookieName, created.id, config.session_ttl_minutes * 60));
    send_json(res, 200, session_json(user->name, user->role, created.session));
  }

  void session_body(httplib::Response& res, const Caller& caller) {
    if (!caller.via_session) {
      // A bearer token has no session: who it is, without a CSRF token.
      return send_json(res, 200,
                       {{"user", caller.user.name},
                        {"role", std::string(governance::to_string(caller.user.role))},
                        {"csrf_token", nullptr},
                        {"expires_at", nullptr}});
    }
    send_json(res, 200, session_json(caller.user.name, caller.user.role, *caller.session));
  }

  void logout(httplib::Response& res, const Caller& caller) {
    if (caller.via_session) sessions->remove(caller.session_id);
    res.set_header(
        "Set-Cookie",
        fmt::format("{}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict", kCookieName));
    res.status = 204;
  }

  // ---- statistics -----------------------------------------------------------------------

  void dashboard(const httplib::Request& req, httplib::Response& res) {
    std::int64_t days = 14;
    if (req.has_param("days")) {
      const auto parsed = parse_integer(req.get_param_value("days"));
      if (!parsed || *parsed < 1 || *parsed > kMaxDashboardDays) {
        return send_error(res, 400, "invalid_parameter", "days must be an integer from 1 to 90",
                          "days は1から90の整数でなければなりません", "days");
      }
      days = *parsed;
    }
    const Timestamp now = clock->now();
    const std::int64_t today = now.seconds() / kDaySeconds;
    // One request computes the body while the others are served the previous one or wait for
    // it (console_statistics.h); an early return below releases them.
    auto cached = dashboard_cache.find(days, today);
    if (!cached) return store_failed(res);
    if (const auto* body = std::get_if<std::string>(&*cached)) {
      res.status = 200;
      res.set_content(*body, std::string(console::kJsonType));
      return;
    }
    auto& refresh = std::get<DashboardCache::Refresh>(*cached);
    auto store = stores->acquire();
    if (!store) return store_failed(res);
    auto body = dashboard_json(**store, rule_ids, now, days);
    if (!body) return store_failed(res);
    send_json(res, 200, *body);
    refresh.put(res.body);
  }

  void purposes(httplib::Response& res) {
    json list = json::array();
    for (const auto& purpose : installation->governance.access.purposes) list.push_back(purpose.id);
    send_json(res, 200, {{"purposes", std::move(list)}});
  }

  void store_failed(httplib::Response& res) {
    send_error(res, 500, "store_failed", "the record store failed",
               "記録ストアでエラーが発生しました");
  }
  void ledger_failed(httplib::Response& res) {
    send_error(res, 500, "ledger_failed", "the ledger failed; nothing was shown",
               "台帳でエラーが発生しました。何も表示していません");
  }

  // ---- records (I7) ---------------------------------------------------------------------

  // The record query from the parameters; answers 400 naming the parameter.
  std::optional<store::RecordQuery> record_query(const httplib::Request& req,
                                                 httplib::Response& res) {
    store::RecordQuery query;
    query.limit = kDefaultRecordLimit;
    const auto bad = [&](const char* field, const char* en, const char* ja) {
      send_error(res, 400, "invalid_parameter", en, ja, field);
      return std::nullopt;
    };
    if (req.has_param("category")) {
      const auto category = scope::parse_category(req.get_param_value("category"));
      if (!category || *category == scope::Category::DD) {
        return bad("category", "category must be FF, FD or DF",
                   "category は FF, FD, DF のいずれかです");
      }
      query.category = *category;
    }
    if (req.has_param("rule")) {
      const std::string rule = req.get_param_value("rule");
      if (rule.empty() || rule.size() > 128) {
        return bad("rule", "rule must be a rule id", "rule はルールIDでなければなりません");
      }
      query.rule = rule;
    }
    for (const char* name : {"since", "until"}) {
      if (!req.has_param(name)) continue;
      auto t = parse_rfc3339(req.get_param_value(name));
      if (!t)
        return bad(name, "must be an RFC 3339 time", "RFC 3339 形式の時刻でなければなりません");
      (std::string_view(name) == "since" ? query.since : query.until) = *t;
    }
    if (req.has_param("after")) {
      const auto after = parse_integer(req.get_param_value("after"));
      if (!after || *after < 0) {
        return bad("after", "after must be a record id", "after は記録IDでなければなりません");
      }
      query.after = *after;
    }
    if (req.has_param("limit")) {
      const auto limit = parse_integer(req.get_param_value("limit"));
      if (!limit || *limit < 1 || *limit > static_cast<std::int64_t>(kMaxRecordLimit)) {
        return bad("limit", "limit must be an integer from 1 to 1000",
                   "limit は1から1000の整数でなければなりません");
      }
      query.limit = static_cast<std::size_t>(*limit);
    }
    return query;
  }

  void records(const httplib::Request& req, httplib::Response& res, const Caller& caller) {
    auto query = record_query(req, res);
    if (!query) return;
    std::optional<std::string> purpose;
    if (req.has_param("purpose") && !req.get_param_value("purpose").empty()) {
      purpose = req.get_param_value("purpose");
    }
    auto store = stores->acquire();
    if (!store) return store_failed(res);
    Result<site::ReadGrant> grant = fail("not decided");
    {
      // The gate records its decision — a refusal too, a missing purpose included — on the
      // ledger before answering.
      std::lock_guard lock(site_mutex);
      grant = site::authorize_read_for(*installation, **store, caller.user.name, purpose, *query);
    }
    if (!grant) {
      // authorize_read fails with "refused / 拒否: …" for a decision (already on the ledger)
      // and with anything else for a storage or ledger failure.
      const std::string& message = grant.error().message;
      if (!message.starts_with("refused")) return ledger_failed(res);
      if (!purpose) {
        return send_error(res, 400, "purpose_required",
                          "state the purpose of this read (purpose=…)",
                          "閲覧の目的（purpose）を指定してください", "purpose");
      }
      return send_error(res, 403, "refused", message, message, "purpose");
    }
    auto found = (*store)->query(*query);
    if (!found) return store_failed(res);
    {
      // Recorded before anything is shown: no ledger entry, no records.
      std::lock_guard lock(site_mutex);
      if (auto recorded = site::record_read(*installation, *grant, *query, found->size());
          !recorded) {
        return ledger_failed(res);
      }
    }
    json rows = json::array();
    for (const auto& stored : *found) {
      rows.push_back({{"id", stored.id}, {"record", sieve::record_to_json(stored.record)}});
    }
    const bool full_page = query->limit != 0 && found->size() == query->limit;
    send_json(res, 200,
              {{"records", std::move(rows)},
               {"next_after", full_page ? json(found->back().id) : json(nullptr)}});
  }

  // ---- oversight ------------------------------------------------------------------------

  void oversight_head(httplib::Response& res) {
    std::optional<ledger::SignedTreeHead> head;
    {
      std::lock_guard lock(site_mutex);
      // Other processes (the mamori command) append to the same ledger.
      if (auto refreshed = installation->ledger->refresh(); !refreshed) return ledger_failed(res);
      head = installation->ledger->latest_head();
    }
    const std::string key = public_key_hex(installation->ledger_key->public_key());
    if (!head) {
      return send_json(res, 200,
                       {{"size", 0},
                        {"root", nullptr},
                        {"signed_at", nullptr},
                        {"signature", nullptr},
                        {"key_id", installation->ledger_key->public_key().key_id()},
                        {"public_key", key}});
    }
    send_json(res, 200,
              {{"size", head->tree_size},
               {"root", ledger::hash_to_hex(head->root)},
               {"signed_at", format_rfc3339_micros(head->timestamp)},
               {"signature", ledger::signature_to_hex(head->signature)},
               {"key_id", head->key_id},
               {"public_key", key}});
  }

  void start_verify(httplib::Response& res, const Caller& caller) {
    const auto id = jobs->start_verification(caller.user.name);
    if (!id) {
      res.set_header("Retry-After", "5");
      return send_error(res, 429, "busy", "verifications are already running; try again soon",
                        "検証を実行中です。しばらくしてから再試行してください");
    }
    send_json(res, 202, {{"job", *id}});
  }

  void job(httplib::Response& res, const Caller& caller, const std::string& id) {
    // Another user's job is as unknown as a missing one.
    const auto found = jobs->find(caller.user.name, id);
    if (!found)
      return send_error(res, 404, "not_found", "no such job", "該当するジョブがありません");
    send_json(res, 200,
              {{"state", std::string(to_string(found->state))},
               {"progress", found->progress},
               {"result", found->result}});
  }

  void report(const httplib::Request& req, httplib::Response& res) {
    const Timestamp now = clock->now();
    InspectionRequest request{
        .ledger_url = installation->sieve.store,
        .ledger_key = installation->ledger_key->public_key(),
        .installation = installation->sieve.sensor,
        .from = now - Duration::seconds(30 * kDaySeconds),
        .to = now,
        .generated_at = now,
        .json = req.has_param("format") && req.get_param_value("format") == "json"};
    for (const char* name : {"from", "to"}) {
      if (!req.has_param(name)) continue;
      auto t = parse_rfc3339(req.get_param_value(name));
      if (!t) {
        return send_error(res, 400, "invalid_parameter", "must be an RFC 3339 time",
                          "RFC 3339 形式の時刻でなければなりません", name);
      }
      (std::string_view(name) == "from" ? request.from : request.to) = *t;
    }
    if (request.from >= request.to) {
      return send_error(res, 400, "invalid_parameter", "from must be before to",
                        "from は to より前でなければなりません", "from");
    }
    auto store = stores->acquire();
    if (!store) return store_failed(res);
    auto report = inspection_report(request, **store);
    if (!report) {
      return send_error(res, 500, "report_failed", "the inspection report cannot be made",
                        "検査報告を作成できません");
    }
    res.status = 200;
    res.set_header("Content-Disposition",
                   fmt::format("attachment; filename=\"{}\"", report->filename));
    res.set_content(report->content, report->content_type);
  }

  // ---- findings -------------------------------------------------------------------------

  // The latest analysis run's findings (`id` none), or one of them with its graph.
  void findings(httplib::Response& res, const std::optional<std::string>& id) {
    std::vector<analysis::Finding> latest;
    std::error_code ec;
    // A GET creates nothing: no database yet means no analysis yet.
    if (!findings_path.empty() && std::filesystem::exists(findings_path, ec)) {
      auto store = analysis::open_sqlite_findings(findings_path);
      if (!store) return store_failed(res);
      auto runs = (*store)->runs();
      if (!runs) return store_failed(res);
      if (!runs->empty()) {
        auto found = (*store)->findings(runs->back().id, {});
        if (!found) return store_failed(res);
        latest = std::move(*found);
      }
    }
    if (!id) {
      json list = json::array();
      for (const auto& finding : latest) list.push_back(finding_summary(finding));
      return send_json(res, 200, {{"findings", std::move(list)}});
    }
    const auto found = std::ranges::find(latest, *id, &analysis::Finding::id);
    if (found == latest.end()) {
      return send_error(res, 404, "not_found", "no such finding in the latest analysis",
                        "最新の分析に該当する分析結果がありません");
    }
    json finding = finding_summary(*found);
    finding["subject"] = found->subject;
    json details = json::array();
    for (const auto& detail : found->details) {
      details.push_back(detail.text.empty() ? json{{"name", detail.name}, {"number", detail.number}}
                                            : json{{"name", detail.name}, {"text", detail.text}});
    }
    finding["details"] = std::move(details);
    send_json(res, 200,
              {{"finding", std::move(finding)}, {"graph", finding_graph(*found, latest)}});
  }

  // ---- registry -------------------------------------------------------------------------

  void send_registry(httplib::Response& res, const Result<json>& read) {
    if (!read) {
      return send_error(res, 500, "registry_failed", "the registry cannot be read",
                        "登録情報を読めません");
    }
    send_json(res, 200, *read);
  }

  void send_intel(httplib::Response& res, const Result<json>& read) {
    if (!read) {
      return send_error(res, 500, "intel_failed", "the intelligence database cannot be read",
                        "情報成果物のデータベースを読めません");
    }
    send_json(res, 200, *read);
  }

  // ?version=N shows an earlier version; without it, the latest.
  void product(const httplib::Request& req, httplib::Response& res, const std::string& id) {
    std::uint32_t version = 0;
    if (req.has_param("version")) {
      const std::string text = req.get_param_value("version");
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
      if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
          version == 0) {
        return send_error(res, 400, "invalid_parameter", "version must be a positive integer",
                          "版は正の整数で指定してください", "version");
      }
    }
    auto detail = product_detail(installation->config_path, id, version);
    if (!detail) return send_intel(res, fail(detail.error()));
    if (!*detail) {
      return send_error(res, 404, "not_found", "no such intelligence product or version",
                        "該当する情報成果物または版がありません");
    }
    send_json(res, 200, **detail);
  }

  // A first report, or with the incident's id a later one (console_incidents.h).
  void file_incident(const httplib::Request& req, httplib::Response& res, const Caller& caller,
                     const std::vector<std::string>& incident) {
    auto body = json_body(req, res);
    if (!body) return;
    const std::string& config_path = installation->config_path;
    auto filed = incident.empty()
                     ? file_first_report(config_path, caller.user, std::move(*body), clock->now())
                     : file_later_report(config_path, caller.user, incident.front(),
                                         std::move(*body), clock->now());
    if (!filed) {
      const FilingProblem& problem = filed.error();
      return send_error(res, problem.status, problem.code, problem.message,
                        problem.message_ja.empty() ? problem.message : problem.message_ja,
                        problem.field);
    }
    send_json(res, 201, *filed);
  }

  // ---- the web console ------------------------------------------------------------------

  void serve_static(const httplib::Request& req, httplib::Response& res) {
    StaticFile file = find_static_file(static_root, req.path);
    if (file.outcome == StaticLookup::forbidden) {
      return send_error(res, 404, "not_found", "not found", "見つかりません");
    }
    if (file.outcome == StaticLookup::missing) {
      // Client-side routes ("/records") get the console; a missing asset ("/x.js") does not.
      const std::size_t slash = req.path.rfind('/');
      if (req.path.find('.', slash == std::string::npos ? 0 : slash) != std::string::npos) {
        return send_error(res, 404, "not_found", "not found", "見つかりません");
      }
      file = find_static_file(static_root, "/index.html");
      if (file.outcome != StaticLookup::file) {
        return send_error(res, 404, "not_found", "the web console is not installed",
                          "Webコンソールがインストールされていません");
      }
    }
    std::ifstream in(file.path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in && !in.eof()) {
      return send_error(res, 500, "internal", "the file cannot be read", "ファイルを読めません");
    }
    res.status = 200;
    // index.html must be fetched anew (it names the current assets); assets are immutable.
    if (file.path.ends_with("/index.html")) res.set_header("Cache-Control", "no-cache");
    res.set_content(content.str(), content_type_for(file.path));
  }
};

ConsoleServer::ConsoleServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ConsoleServer::~ConsoleServer() { stop(); }

int ConsoleServer::port() const { return impl_->http->port(); }

void ConsoleServer::stop() {
  impl_->http->stop();
  impl_->jobs->stop();
}

Result<std::unique_ptr<ConsoleServer>> ConsoleServer::start(ConsoleConfig config,
                                                            site::Installation& installation,
                                                            StoreFactory open_store,
                                                            const Clock& clock,
                                                            MetricsSource more_metrics) {
  if (auto ok = check_console_config(config); !ok) return fail("console: {}", ok.error().message);
  if (sodium_init() < 0) return fail("console: libsodium cannot be initialised");
  if (!installation.ledger || !installation.ledger_key || !installation.governance_storage) {
    return fail("console: the installation must be opened with its ledger and governance storage");
  }
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->installation = &installation;
  impl->clock = &clock;
  impl->more_metrics = std::move(more_metrics);
  const ConsoleConfig& c = impl->config;
  // Store connections: enough for the requests that read at once on two to a few dozen cores,
  // few enough for the open-file limit (each SQLite store holds 3 files); more requests wait.
  impl->stores = std::make_unique<console::StorePool>(
      std::move(open_store), std::min<std::size_t>(static_cast<std::size_t>(c.threads), 32));
  impl->sessions = std::make_unique<SessionTable>(
      clock, Duration::seconds(std::int64_t{c.session_ttl_minutes} * 60));
  impl->limiter = std::make_unique<LoginLimiter>(clock, c.login_attempts_per_minute);
  impl->jobs =
      std::make_unique<LedgerJobs>(installation.sieve.store, installation.ledger_key->public_key());
  {
    // A store or user storage that cannot be opened is an error now rather than on every
    // request (an in-memory store, for one, has no second connection to read users through).
    auto probe = impl->stores->acquire();
    if (!probe) return fail("console: {}", probe.error().message);
    auto users = impl->users.acquire();
    if (!users) return fail("console: {}", users.error().message);
  }
  auto dummy = governance::hash_password(random_token());
  if (!dummy) return fail("console: {}", dummy.error().message);
  impl->dummy_hash = std::move(*dummy);
  if (auto ruleset = sieve::load_ruleset(installation.sieve.ruleset)) {
    for (const auto& rule : ruleset->rules) impl->rule_ids.push_back(rule.id);
  }
  auto findings = site::findings_path(installation.config_path);
  if (!findings) return fail("console: {}", findings.error().message);
  impl->findings_path = std::move(*findings);
  {
    std::unique_ptr<char, decltype(&std::free)> root(realpath(c.static_dir.c_str(), nullptr),
                                                     &std::free);
    if (root) impl->static_root = root.get();
  }

  Impl* self = impl.get();
  HttpsHandlers handlers;
  handlers.handle = [self](const httplib::Request& req, httplib::Response& res) {
    self->handle(req, res);
  };
  // Errors the server answers itself (413 above max_body_bytes, 400 for a malformed request,
  // 500 when a handler failed) get the contract's body and the headers too.
  handlers.on_error = [](const httplib::Request& req, httplib::Response& res) {
    console::set_security_headers(res, is_api_path(req.path));
    if (res.status == 413) {
      send_error(res, 413, "body_too_large", "the request body is too large",
                 "リクエスト本文が大きすぎます");
    } else if (res.status >= 500) {
      send_error(res, res.status, "internal", "internal error", "内部エラー");
    } else {
      send_error(res, res.status, "bad_request", "the request was not understood",
                 "リクエストを解釈できません");
    }
  };
  handlers.on_answered = [self](const httplib::Request& req, const httplib::Response& res) {
    const bool api = is_api_path(req.path);
    const auto match = api ? match_route(req.method, req.path) : std::nullopt;
    const std::string_view label = match ? match->route->label() : api ? "unmatched" : "static";
    self->metrics.count_request(label, method_label(req.method), res.status);
  };
  HttpsServerOptions options{.address = c.address,
                             .port = c.port,
                             .certificate = c.certificate,
                             .private_key = c.private_key,
                             .handler_threads = c.threads,
                             .max_body_bytes = c.max_body_bytes};
  auto http = HttpsServer::start(std::move(options), std::move(handlers), "console");
  if (!http) return fail(http.error());
  impl->http = std::move(*http);
  return std::unique_ptr<ConsoleServer>(new ConsoleServer(std::move(impl)));
}

}  // namespace mamori::server
