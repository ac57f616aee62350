// TAXII 2.1 serving throughput (issue 7: "serving them over TAXII pages, goal >= 20k objects/s").
// Run: build-*/bench/taxii_bench --benchmark_min_time=1
//
// Setup (not timed): 100k indicators made with the intel STIX model, written by the intel STIX
// writer (new_object → write_object) into one T2 collection of a TAXII store in a temp dir; a
// TaxiiServer on 127.0.0.1 with a fresh self-signed certificate.
// Serve: one HTTPS client (cpp-httplib SSLClient, certificate verified, HTTP Basic, keep-alive)
// reads the whole collection in pages of 1000 through `next` (items = objects served). The
// default match[version]=last is in force, so every page also runs the latest-version check.
// Load: writing the 100k objects into the store (items = objects stored).

#include <benchmark/benchmark.h>

#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "mamori/intel/stix.h"
#include "mamori/intel/stix_pattern.h"
#include "mamori/server/taxii_server.h"
#include "mamori/server/taxii_store.h"
#include "mamori/server/tls_certificate.h"

namespace {

namespace fs = std::filesystem;
using namespace mamori;
using namespace mamori::intel::stix;

constexpr std::int64_t kStart = 1'795'315'039;  // 2026-11-22T02:37:19Z
constexpr std::string_view kCollection = "22222222-2222-4222-8222-222222222222";

std::vector<server::NewObject> make_rows(std::size_t count) {
  static const ManualClock clock(Timestamp::from_seconds(kStart));
  static const std::string org = new_id("identity");
  const ObjectFactory factory(clock, org, {Tlp::kAmber});
  std::vector<server::NewObject> rows;
  rows.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    Indicator indicator;
    indicator.common = factory.common("indicator");
    indicator.name = "C2 address";
    indicator.indicator_types = {"malicious-activity"};
    const std::string text =
        fmt::format("10.{}.{}.{}", (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF);
    auto pattern = render_pattern(any_of(ObservableProperty::kIpv4, {text}));
    if (!pattern) std::abort();
    indicator.pattern = std::move(*pattern);
    indicator.valid_from = clock.now();
    indicator.kill_chain_phases = {attack_phase("command-and-control")};
    auto row = server::new_object(StixObject(std::move(indicator)));
    if (!row) std::abort();
    rows.push_back(std::move(*row));
  }
  return rows;
}

std::string temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "mamori-taxii-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

std::string cheap_hash(std::string_view password) {
  if (sodium_init() < 0) std::abort();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    std::abort();
  }
  return out.data();
}

void BM_TaxiiLoad(benchmark::State& state) {
  const auto rows = make_rows(static_cast<std::size_t>(state.range(0)));
  const SystemClock clock;
  for (auto _ : state) {
    auto store = server::TaxiiStore::open(":memory:", clock);
    if (!store) std::abort();
    if (!(*store)->add(kCollection, rows, "")) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TaxiiLoad)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_TaxiiServePages(benchmark::State& state) {
  const auto total = static_cast<std::size_t>(state.range(0));
  const std::size_t page_size = 1000;
  const std::string dir = temp_dir();
  const SystemClock clock;
  auto store = server::TaxiiStore::open(dir + "/taxii.db", clock);
  if (!store) std::abort();
  if (!(*store)->add(kCollection, make_rows(total), "")) std::abort();

  server::TaxiiConfig config;
  config.port = 0;
  config.certificate = dir + "/cert.pem";
  config.private_key = dir + "/key.pem";
  if (!server::write_self_signed_certificate(config.certificate, config.private_key,
                                             {"127.0.0.1"})) {
    std::abort();
  }
  config.max_page_size = page_size;
  config.collections = {{std::string(kCollection), "council (T2)", "", 2, true, false}};
  // Production-cost argon2id: the server verifies it once, then uses its digest cache.
  config.members = {{"council", cheap_hash("council-pw"), 2, false}};
  const std::string cert = config.certificate;
  auto started = server::TaxiiServer::start(std::move(config), **store, clock);
  if (!started) {
    state.SkipWithError(started.error().message.c_str());
    return;
  }
  httplib::SSLClient client("127.0.0.1", (*started)->port());
  client.set_ca_cert_path(cert);
  client.enable_server_certificate_verification(true);
  client.set_basic_auth("council", "council-pw");
  client.set_keep_alive(true);
  client.set_default_headers({{"Accept", std::string(server::kTaxiiMediaType)}});
  const std::string base =
      fmt::format("/intel/collections/{}/objects/?limit={}", kCollection, page_size);
  std::size_t served = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string next;
    std::size_t objects = 0;
    while (true) {
      std::string path = base;
      if (!next.empty()) path.append("&next=").append(next);
      auto res = client.Get(path);
      if (!res || res->status != 200) {
        state.SkipWithError("a page request failed");
        return;
      }
      bytes += res->body.size();
      const auto body = nlohmann::json::parse(res->body);
      objects += body["objects"].size();
      if (!body["more"].get<bool>()) break;
      next = body["next"].get<std::string>();
    }
    if (objects != total) {
      state.SkipWithError("the pages did not hold every object exactly once");
      return;
    }
    served += objects;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(served));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  (*started)->stop();
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}
BENCHMARK(BM_TaxiiServePages)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
