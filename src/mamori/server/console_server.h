#pragma once
// server/console_server: mamorid's web console and its JSON API over HTTPS (issue 8; the
// contract is docs/console-api.md, shared with the web console in web/). Routes and who may
// call them are the one table in console_rbac.h:
//   GET /healthz, GET /metrics (Prometheus text), POST|GET|DELETE /api/session,
//   GET /api/dashboard?days= (console_statistics.h), GET /api/purposes,
//   GET /api/records?purpose=&category=&rule=&since=&until=&after=&limit= (I7, below),
//   GET|POST /api/incidents, POST /api/incidents/{id}/reports (console_incidents.h),
//   GET /api/notices (console_notices.h), GET /api/findings, GET /api/findings/{id}
//   (console_findings.h), GET /api/oversight/head, POST /api/oversight/verify +
//   GET /api/jobs/{id} (console_jobs.h), GET /api/oversight/report?from=&to=&format=json;
//   every other GET outside /api: the built console from static_dir (console_static.h), with
//   index.html for client-side routes.
// Every request passes, in this order:
//   body size (413 from the server, https_event_server.h, before the body is read) → route (404; 405 for another
//   method) → who is calling: `Authorization: Bearer <API token>` or the `mamori_session`
//   cookie (a user disabled or removed since loses the session at once) → CSRF: a request with
//   an unsafe method on a session cookie must carry `X-CSRF-Token` (403 `csrf`) → the table
//   (401 `unauthenticated`, 403 `forbidden`) → the handler (400 naming the field or byte
//   offset for malformed JSON and bad parameters).
// Every response carries the security headers (CSP without inline script, HSTS, nosniff,
// no-referrer, frame-ancestors 'none') and API responses Cache-Control: no-store.
//
// I7: GET /api/records goes through site::authorize_read, which records every decision —
// refusals included, a missing purpose too — on the ledger, and an allowed read is recorded
// by site::record_read with its record count before the records are sent. The caller has
// already been authenticated (session or token); site::authorize_read_for reads the user again,
// so a user disabled meanwhile is refused by the same decision as on the command line.
//
// Threads: the Installation (its ledger and governance storage) is used under one mutex; the
// record store is used through a pool of connections, one per request at a time (a Store is
// single-threaded, store.h), opened with the given factory. Who is calling (token, session,
// login) is read outside that mutex, through a pool of read-only connections of the console's
// own to the installation's database (store::open_governance_reader), so it sees a change
// committed by any process at the next request. A ledger verification job reads the ledger
// through its own connection. Sessions, the login limiter, metrics, jobs and the dashboard's
// cache have their own locks. Nothing here logs requests, credentials, tokens or record
// contents.

#include <functional>
#include <memory>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/server/console_config.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"

namespace mamori::server {

// Opens a new connection to the installation's record store.
using StoreFactory = std::function<Result<std::unique_ptr<store::Store>>()>;
// More lines for /metrics in Prometheus text format (mamorid's scheduled jobs); called on
// request threads, so it must be thread-safe.
using MetricsSource = std::function<std::string()>;

class ConsoleServer {
 public:
  // Loads the certificate and key (ensure_console_certificate makes them), binds
  // config.address:config.port (0: ephemeral, see port()) and serves in a background thread;
  // returns once the server accepts requests. `installation` (opened with
  // site::open_installation, on a database file: an `sqlite::memory:` store has no second
  // connection to read users through, and is refused) and `clock` must outlive the server.
  // `more_metrics`, when set, is appended to /metrics and must outlive the server.
  static Result<std::unique_ptr<ConsoleServer>> start(ConsoleConfig config,
                                                      site::Installation& installation,
                                                      StoreFactory open_store, const Clock& clock,
                                                      MetricsSource more_metrics = {});

  int port() const;
  // Stops accepting, waits for the handlers running now, closes the connections (answers not
  // yet sent are dropped), cancels and joins running jobs. Idempotent.
  void stop();

  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

 private:
  struct Impl;
  explicit ConsoleServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamori::server
