// mamorid: the mamori server. This first cut serves the TAXII 2.1 API of the [taxii] section of
// mamori.toml (server/taxii_server.h) until SIGTERM or SIGINT, then finishes the requests in
// progress and exits 0. The web console of issue 8 is not here yet.

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "mamori/core/config.h"
#include "mamori/core/time.h"
#include "mamori/server/taxii_config.h"
#include "mamori/server/taxii_server.h"
#include "mamori/server/taxii_store.h"

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

  auto file = mamori::ConfigFile::load(config_path);
  if (!file) {
    fmt::print(stderr, "mamorid: {}\n", file.error().message);
    return 1;
  }
  auto config = mamori::server::load_taxii_config(*file);
  if (!config) {
    fmt::print(stderr, "mamorid: {}\n", config.error().message);
    return 1;
  }
  const mamori::SystemClock clock;
  auto store = mamori::server::TaxiiStore::open(config->database, clock);
  if (!store) {
    fmt::print(stderr, "mamorid: {}\n", store.error().message);
    return 1;
  }
  const std::string address = config->address;
  const std::string root = config->api_root;
  auto server = mamori::server::TaxiiServer::start(std::move(*config), **store, clock);
  if (!server) {
    fmt::print(stderr, "mamorid: {}\n", server.error().message);
    return 1;
  }
  fmt::print("mamorid: TAXII 2.1 at https://{}:{}/taxii2/ (API root /{}/)\n", address,
             (*server)->port(), root);
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  fmt::print("mamorid: stopping (signal {})\n", signal_number);
  (*server)->stop();
  return 0;
}
