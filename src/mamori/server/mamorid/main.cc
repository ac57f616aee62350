// mamorid: the mamori server. It serves what mamori.toml configures — the web console and its
// JSON API for a [console] section (server/console_server.h; a self-signed certificate is made
// on first start when none is configured), the TAXII 2.1 API for a [taxii] section
// (server/taxii_server.h), or both — until SIGTERM or SIGINT, then finishes the requests in
// progress and exits 0. With the console (or a [schedule] section) it also runs retention and
// analysis on their schedule (server/maintenance_schedule.h), logging each run.

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "mamori/core/config.h"
#include "mamori/core/time.h"
#include "mamori/server/console_config.h"
#include "mamori/server/console_server.h"
#include "mamori/server/maintenance_schedule.h"
#include "mamori/server/taxii_config.h"
#include "mamori/server/taxii_server.h"
#include "mamori/server/taxii_store.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"

namespace {

int usage() {
  std::fputs("usage: mamorid --config mamori.toml\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--config" || arg == "-c") && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      return usage();
    }
  }
  if (config_path.empty()) return usage();

  // Block the stop signals in every thread (the server's threads inherit the mask) and wait for
  // them here; a peer closing a TLS connection must not kill the process.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Each open client connection is a descriptor; the soft limit (often 1024) is raised to the
  // hard one so that the servers' own limit (10 000 connections) is the one that applies.
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  auto file = mamori::ConfigFile::load(config_path);
  if (!file) {
    fmt::print(stderr, "mamorid: {}\n", file.error().message);
    return 1;
  }
  const bool serve_console = mamori::server::has_console_section(*file);
  const bool serve_taxii = mamori::server::has_section(*file, "taxii");
  if (!serve_console && !serve_taxii) {
    fmt::print(stderr,
               "mamorid: {}: neither [console] nor [taxii] is configured: nothing to serve / "
               "[console] も [taxii] も設定されていません\n",
               file->path());
    return 1;
  }
  const mamori::SystemClock clock;

  // Created before the servers (whose /metrics shows it) and started after them.
  std::unique_ptr<mamori::server::MaintenanceSchedule> schedule;
  if (serve_console || mamori::server::has_section(*file, "schedule")) {
    auto config = mamori::server::load_schedule_config(*file);
    if (!config) {
      fmt::print(stderr, "mamorid: {}\n", config.error().message);
      return 1;
    }
    auto created =
        mamori::server::MaintenanceSchedule::create(std::move(*config), config_path, clock);
    if (!created) {
      fmt::print(stderr, "mamorid: {}\n", created.error().message);
      return 1;
    }
    schedule = std::move(*created);
  }

  std::unique_ptr<mamori::site::Installation> installation;
  std::unique_ptr<mamori::server::ConsoleServer> console;
  if (serve_console) {
    auto console_config = mamori::server::load_console_config(*file);
    if (!console_config) {
      fmt::print(stderr, "mamorid: {}\n", console_config.error().message);
      return 1;
    }
    auto opened = mamori::site::open_installation(config_path);
    if (!opened) {
      fmt::print(stderr, "mamorid: {}\n", opened.error().message);
      return 1;
    }
    installation = std::move(*opened);
    auto made = mamori::server::ensure_console_certificate(*console_config);
    if (!made) {
      fmt::print(stderr, "mamorid: {}\n", made.error().message);
      return 1;
    }
    if (*made) {
      fmt::print("mamorid: made a self-signed certificate {} / 自己署名証明書を作成しました\n",
                 console_config->certificate);
    }
    const std::string address = console_config->address;
    const std::string store_url = installation->sieve.store;
    auto started = mamori::server::ConsoleServer::start(
        std::move(*console_config), *installation,
        [store_url] { return mamori::store::open_store(store_url); }, clock,
        schedule ? mamori::server::MetricsSource(
                       [raw = schedule.get()] { return raw->render_metrics(); })
                 : mamori::server::MetricsSource());
    if (!started) {
      fmt::print(stderr, "mamorid: {}\n", started.error().message);
      return 1;
    }
    console = std::move(*started);
    fmt::print("mamorid: console at https://{}:{}/\n", address, console->port());
  }

  std::unique_ptr<mamori::server::TaxiiStore> taxii_store;
  std::unique_ptr<mamori::server::TaxiiServer> taxii;
  if (serve_taxii) {
    auto config = mamori::server::load_taxii_config(*file);
    if (!config) {
      fmt::print(stderr, "mamorid: {}\n", config.error().message);
      return 1;
    }
    auto store = mamori::server::TaxiiStore::open(config->database, clock);
    if (!store) {
      fmt::print(stderr, "mamorid: {}\n", store.error().message);
      return 1;
    }
    taxii_store = std::move(*store);
    const std::string address = config->address;
    const std::string root = config->api_root;
    auto server = mamori::server::TaxiiServer::start(std::move(*config), *taxii_store, clock);
    if (!server) {
      fmt::print(stderr, "mamorid: {}\n", server.error().message);
      return 1;
    }
    taxii = std::move(*server);
    fmt::print("mamorid: TAXII 2.1 at https://{}:{}/taxii2/ (API root /{}/)\n", address,
               taxii->port(), root);
  }
  if (schedule) {
    schedule->start([](const mamori::server::JobReport& report) {
      fmt::print(report.ok ? stdout : stderr, "mamorid: {} {}: {}{}\n",
                 mamori::format_rfc3339_seconds(report.at), report.job,
                 report.ok ? "" : "failed / 失敗: ", report.message);
      std::fflush(report.ok ? stdout : stderr);
    });
  }
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  fmt::print("mamorid: stopping (signal {})\n", signal_number);
  if (schedule) schedule->stop();
  if (taxii) taxii->stop();
  if (console) console->stop();
  return 0;
}
