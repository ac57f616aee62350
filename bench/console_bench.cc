// Console API read latency (issue 8: "API read latency p50/p99 under 200 concurrent clients
// (wrk on loopback), goal p99 < 50 ms for dashboard queries on 10M records").
// Run: build/bench/console_bench [records]   (default 1,000,000; or MAMORI_BENCH_RECORDS)
//   MAMORI_BENCH_CONNECTIONS (default 200), MAMORI_BENCH_SECONDS (default 20),
//   MAMORI_BENCH_TIMEOUT: wrk's --timeout in seconds (default 2, wrk's own default),
//   MAMORI_BENCH_THREADS: the console's handler threads ([console] threads, default 16 as in
//   mamorid), MAMORI_BENCH_KEEP=1 keeps the temporary installation (its path is printed),
//   MAMORI_BENCH_DIR=<a kept installation> serves that one again instead of filling a new one
//   (the record count argument is then ignored; the directory is kept).
//
// Not Google Benchmark: wrk does the measuring. Setup (not timed by wrk, fill time printed):
// a governed installation in a temp dir (mamori.toml, sensor ledger key, ruleset of kRules ip
// rules), an SQLite store filled through Store::append in batches of 10 k with synthetic
// records spread over kSpanDays days up to now (one run per day, the three categories, 1-2
// matches each over kRules rules), an analyst with an API token, and the ConsoleServer on
// 127.0.0.1 with an ephemeral port. Then two timed dashboard requests on their own (the query
// cost without concurrency), then `wrk -t2 -cC -dDs --timeout Ts --latency` against /api/session
// (the trivial endpoint: authentication, TLS, JSON) and /api/dashboard (days=14), and p50/p90/p99
// and requests/s of each, and their ratios.
//
// The token never appears on a command line or in the output: wrk reads it from its
// environment in a Lua script (MAMORI_BENCH_TOKEN), written to the temp dir.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

#include "bench_random.h"
#include "mamori/core/time.h"
#include "mamori/governance/access.h"
#include "mamori/ledger/keys.h"
#include "mamori/server/console_config.h"
#include "mamori/server/console_server.h"
#include "mamori/site/installation.h"
#include "mamori/store/store.h"

namespace {

namespace fs = std::filesystem;
using namespace mamori;

constexpr int kRules = 15;
constexpr std::int64_t kSpanDays = 16;  // more than the dashboard's default 14 days
constexpr std::int64_t kDaySeconds = 86'400;
constexpr std::size_t kChunk = 10'000;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "console_bench: %s\n", message.c_str());
  std::exit(1);
}

template <typename T>
T must(Result<T> result, const char* what) {
  if (!result) die(fmt::format("{}: {}", what, result.error().message));
  return std::move(*result);
}

void must(const Result<void>& result, const char* what) {
  if (!result) die(fmt::format("{}: {}", what, result.error().message));
}

std::size_t env_number(const char* name, std::size_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 10) : fallback;
}

using Random = mamori::bench::SplitMix64;

std::string rule_name(std::uint64_t index) { return fmt::format("c2-ip-{:02}", index); }

// A small selected flow (the dashboard counts records; their size only matters for the fill
// time and the page cache): IPv4, 1-2 ip matches over kRules rules.
sieve::Record make_record(std::uint64_t sequence, Timestamp first_seen, Random& random) {
  sieve::Record r;
  r.sensor = "gw-bench";
  r.flow_id = fmt::format("{:032x}", sequence + 1);
  r.category = static_cast<scope::Category>(random.next() % 3);
  r.first_seen = first_seen;
  r.last_seen = first_seen + Duration::seconds(static_cast<std::int64_t>(random.next() % 60));
  r.protocol = 6;
  r.src = {IpAddress::v4(0xc6330000u | static_cast<std::uint32_t>(random.next() & 0xffff)),
           static_cast<std::uint16_t>(1024 + random.next() % 60000),
           scope::CountryCode::from("US")};
  r.dst = {IpAddress::v4(0x85f20000u | static_cast<std::uint32_t>(random.next() & 0xffff)), 443,
           r.category == scope::Category::FF ? scope::CountryCode::from("DE") : scope::kJapan};
  r.packets = {random.next() % 100, random.next() % 100};
  r.bytes = {random.next() % 100000, random.next() % 1000000};
  r.tcp_flags = 0x1b;
  const std::size_t matches = 1 + random.next() % 2;
  for (std::size_t i = 0; i < matches; ++i) {
    r.matches.push_back({rule_name(random.next() % kRules), sieve::RuleKind::ip, {}});
  }
  return r;
}

void write_installation(const fs::path& dir, const Clock& clock) {
  const auto key = ledger::SigningKey::generate(ledger::KeyRole::sensor);
  must(ledger::save_key_pair((dir / "sensor").string(), key, clock.now()), "ledger key");
  std::ofstream(dir / "mamori.toml") << "sensor = \"gw-bench\"\n"
                                     << "country_db = \"country.mmdb\"\n"
                                     << "categories = [\"FF\", \"FD\", \"DF\"]\n"
                                     << "ruleset = \"rules.toml\"\n"
                                     << "store = \"sqlite:run.db\"\n"
                                     << "[governance]\n"
                                     << "ledger_key = \"sensor.key\"\n"
                                     << "retention = \"180d\"\n"
                                     << "[[access.purposes]]\n"
                                     << "id = \"attack-analysis\"\n"
                                     << "label_ja = \"攻撃の分析\"\n"
                                     << "label_en = \"attack analysis\"\n"
                                     << "roles = [\"analyst\"]\n";
  std::ofstream rules(dir / "rules.toml");
  rules << "format = 1\nname = \"bench\"\n";
  for (int i = 0; i < kRules; ++i) {
    rules << fmt::format("[[rule]]\nid = \"{}\"\nkind = \"ip\"\nvalue = [\"192.0.2.{}/32\"]\n",
                         rule_name(static_cast<std::uint64_t>(i)), i + 1);
  }
}

// `records` records over the kSpanDays days ending now, one run per day, in batches of kChunk.
void fill_store(const std::string& url, std::size_t records, const Clock& clock) {
  auto store = must(store::open_store(url), "store");
  const Timestamp end = clock.now();
  const Timestamp start = end - Duration::seconds(kSpanDays * kDaySeconds);
  const double step_micros =
      static_cast<double>(kSpanDays * kDaySeconds) * 1e6 / static_cast<double>(records);
  Random random{42};
  const auto began = std::chrono::steady_clock::now();
  std::size_t next = 0;
  for (std::int64_t day = 0; day < kSpanDays; ++day) {
    const Timestamp day_start = start + Duration::seconds(day * kDaySeconds);
    store::RunInfo info;
    info.sensor = "gw-bench";
    info.started_at = day_start;
    info.input = fmt::format("live:eth1 day {}", day);
    info.approval_id = "approval-bench";
    info.legal_basis = "art-60";
    const store::RunId run = must(store->begin_run(info), "begin_run");
    const auto last =
        static_cast<std::size_t>(static_cast<double>(records) * static_cast<double>(day + 1) /
                                 static_cast<double>(kSpanDays));
    std::vector<sieve::Record> batch;
    batch.reserve(kChunk);
    while (next < last) {
      batch.clear();
      for (; next < last && batch.size() < kChunk; ++next) {
        const auto offset = static_cast<std::int64_t>(static_cast<double>(next) * step_micros);
        batch.push_back(make_record(next, Timestamp::from_micros(start.micros() + offset), random));
      }
      must(store->append(run, batch), "append");
      must(store->flush(), "flush");
    }
    must(store->end_run(run, nlohmann::json{{"records", last}},
                        day_start + Duration::seconds(kDaySeconds - 1)),
         "end_run");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::printf("fill: %zu records in %.1f s (%.0f records/s)\n", records, seconds,
              static_cast<double>(records) / seconds);
  std::fflush(stdout);
}

double to_ms(const std::string& number, const std::string& unit) {
  const double value = std::stod(number);
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60'000;
  return value;  // ms
}

struct WrkFigures {
  std::optional<double> p50_ms, p90_ms, p99_ms;
  double requests_per_second = 0;
  std::string requests_line;  // "N requests in Ts, X read"
  std::string errors_line;    // "Socket errors: …" when wrk printed one
  std::string non_2xx_line;   // "Non-2xx or 3xx responses: N" when wrk printed one
};

WrkFigures parse_wrk(const std::string& output) {
  WrkFigures figures;
  const std::regex percentile(R"(^\s+(50|90|99)%\s+([0-9.]+)(us|ms|s|m)\s*$)");
  const std::regex rate(R"(^Requests/sec:\s+([0-9.]+))");
  std::size_t begin = 0;
  while (begin < output.size()) {
    std::size_t end = output.find('\n', begin);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(begin, end - begin);
    begin = end + 1;
    std::smatch match;
    if (std::regex_match(line, match, percentile)) {
      const double ms = to_ms(match[2], match[3]);
      if (match[1] == "50") figures.p50_ms = ms;
      if (match[1] == "90") figures.p90_ms = ms;
      if (match[1] == "99") figures.p99_ms = ms;
    } else if (std::regex_search(line, match, rate)) {
      figures.requests_per_second = std::stod(match[1]);
    } else if (line.find("requests in") != std::string::npos) {
      figures.requests_line = line;
    } else if (line.find("Socket errors") != std::string::npos) {
      figures.errors_line = line;
    } else if (line.find("Non-2xx") != std::string::npos) {
      figures.non_2xx_line = line;
    }
  }
  return figures;
}

// `timeout`: wrk counts a request without an answer after this long as a timeout and leaves
// it out of the latency distribution (its default, 2 s, would hide slow answers).
WrkFigures run_wrk(const fs::path& script, int port, const std::string& path,
                   std::size_t connections, std::size_t seconds, std::size_t timeout) {
  const std::string command =
      fmt::format("wrk -t2 -c{} -d{}s --timeout {}s --latency -s {} https://127.0.0.1:{}{} 2>&1",
                  connections, seconds, timeout, script.string(), port, path);
  std::printf("\n$ %s\n", command.c_str());
  std::fflush(stdout);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) die("cannot run wrk (apt-get install wrk)");
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  if (status != 0) die(fmt::format("wrk failed ({}):\n{}", status, output));
  WrkFigures figures = parse_wrk(output);
  if (figures.p99_ms && *figures.p99_ms == 0) {
    // No answer within --timeout: wrk prints the empty distribution as zeros.
    figures.p50_ms = figures.p90_ms = figures.p99_ms = std::nullopt;
  }
  const auto show = [](const std::optional<double>& ms) {
    return ms ? fmt::format("{:.2f} ms", *ms) : std::string("-");
  };
  std::printf("%s  p50 %s  p90 %s  p99 %s  %.0f requests/s\n", path.c_str(),
              show(figures.p50_ms).c_str(), show(figures.p90_ms).c_str(),
              show(figures.p99_ms).c_str(), figures.requests_per_second);
  for (const std::string* line :
       {&figures.requests_line, &figures.errors_line, &figures.non_2xx_line}) {
    if (!line->empty()) std::printf("  %s\n", line->c_str());
  }
  std::fflush(stdout);
  return figures;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t records = argc > 1 ? std::strtoull(argv[1], nullptr, 10)
                                       : env_number("MAMORI_BENCH_RECORDS", 1'000'000);
  const std::size_t connections = env_number("MAMORI_BENCH_CONNECTIONS", 200);
  const std::size_t seconds = env_number("MAMORI_BENCH_SECONDS", 20);
  const auto threads =
      static_cast<int>(env_number("MAMORI_BENCH_THREADS", server::ConsoleConfig{}.threads));
  const std::size_t timeout = env_number("MAMORI_BENCH_TIMEOUT", 2);
  if (records == 0 || connections == 0 || seconds == 0 || threads < 1) die("bad arguments");

  const SystemClock clock;
  const char* reuse = std::getenv("MAMORI_BENCH_DIR");
  fs::path dir;
  if (reuse != nullptr && *reuse != '\0') {
    dir = reuse;
  } else {
    std::string pattern = (fs::temp_directory_path() / "mamori-console-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) die("cannot create a temporary directory");
    dir = pattern;
    write_installation(dir, clock);
  }
  auto installation = must(site::open_installation((dir / "mamori.toml").string()), "installation");
  const std::string store_url = installation->sieve.store;
  if (reuse == nullptr || *reuse == '\0') fill_store(store_url, records, clock);
  const std::uint64_t stored =
      must(must(store::open_store(store_url), "store")->count({}), "count");

  // An analyst and its API token, through the governance storage as `mamori users` does (a
  // new name per run, so that a kept installation can be served again).
  const std::string analyst = fmt::format("analyst-{}", ::getpid());
  const std::string token = governance::new_api_token();
  must(installation->governance_storage->add_user(
           {.name = analyst,
            .role = governance::Role::analyst,
            .password_hash = must(governance::hash_password(governance::new_api_token()), "hash"),
            .created_at = clock.now()}),
       "add_user");
  must(installation->governance_storage->add_token(analyst, governance::token_digest(token),
                                                   clock.now()),
       "add_token");

  server::ConsoleConfig config;
  config.address = "127.0.0.1";
  config.port = 0;
  config.certificate = (dir / "tls" / "console.crt").string();
  config.private_key = (dir / "tls" / "console.key").string();
  config.static_dir = (dir / "web").string();
  config.threads = threads;
  must(server::ensure_console_certificate(config), "certificate");
  auto server =
      must(server::ConsoleServer::start(
               config, *installation, [store_url] { return store::open_store(store_url); }, clock),
           "console server");
  const int port = server->port();
  std::printf("console: https://127.0.0.1:%d, %d handler threads, %llu records over %lld days\n",
              port, threads, static_cast<unsigned long long>(stored),
              static_cast<long long>(kSpanDays));

  // One dashboard request alone: what the queries cost without any concurrency.
  {
    httplib::SSLClient client("127.0.0.1", port);
    client.enable_server_certificate_verification(false);
    client.set_read_timeout(600, 0);
    const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
    for (int i = 0; i < 2; ++i) {
      const auto began = std::chrono::steady_clock::now();
      auto res = client.Get("/api/dashboard", headers);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began)
              .count();
      if (!res || res->status != 200) die("the dashboard request failed");
      std::printf("single /api/dashboard request %d: %.1f ms (%zu bytes)\n", i + 1, ms,
                  res->body.size());
      std::fflush(stdout);
    }
  }

  const fs::path script = dir / "bearer.lua";
  std::ofstream(script)
      << "-- The bearer token comes from the environment, never from the command line.\n"
      << "wrk.headers[\"Authorization\"] = \"Bearer \" .. os.getenv(\"MAMORI_BENCH_TOKEN\")\n";
  setenv("MAMORI_BENCH_TOKEN", token.c_str(), 1);
  const WrkFigures session = run_wrk(script, port, "/api/session", connections, seconds, timeout);
  const WrkFigures dashboard =
      run_wrk(script, port, "/api/dashboard", connections, seconds, timeout);
  unsetenv("MAMORI_BENCH_TOKEN");

  if (session.p99_ms && dashboard.p99_ms && session.requests_per_second > 0 &&
      dashboard.requests_per_second > 0) {
    std::printf(
        "\ndashboard / session: p50 %.1fx, p99 %.1fx, requests/s %.3fx; goal p99 < 50 ms: %s\n",
        *dashboard.p50_ms / *session.p50_ms, *dashboard.p99_ms / *session.p99_ms,
        dashboard.requests_per_second / session.requests_per_second,
        *dashboard.p99_ms < 50 ? "met" : "NOT met");
  } else {
    std::printf("\ngoal p99 < 50 ms: NOT met (no latency distribution within --timeout %zus)\n",
                timeout);
  }

  // Not server->stop(): it finishes the requests in progress, which under a slow dashboard
  // are up to one per worker thread, each taking minutes on a large store. The process ends
  // here; the kernel closes the sockets and the store.
  const char* keep = std::getenv("MAMORI_BENCH_KEEP");
  if ((keep != nullptr && std::string(keep) == "1") || (reuse != nullptr && *reuse != '\0')) {
    std::printf("kept: %s\n", dir.c_str());
  } else {
    fs::remove_all(dir);
  }
  std::fflush(stdout);
  std::_Exit(0);
}
