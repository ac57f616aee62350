#pragma once
// server/console_support: the console server's parts that are not routes — JSON responses and
// errors in the contract's shape, the security headers, the pool of record-store connections,
// the request counters behind /metrics, and the governance-storage wrapper that lets the I7
// gate authenticate a session user (console_server.h).

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/governance/storage.h"
#include "mamori/server/console_server.h"

namespace mamori::server::console {

inline constexpr std::string_view kJsonType = "application/json; charset=utf-8";

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": {"code", "message", "message_ja", "field"?}}
void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                std::string_view message_ja, std::string_view field = {});
// The headers of console_server.h; each only when not already set. `api`: also no-store.
void set_security_headers(httplib::Response& res, bool api);

// Single-threaded Store connections handed to one request at a time, at most `max_open` of
// them: a request beyond that waits for one to come back instead of opening (and, with
// SQLite, closing and optimizing) a connection of its own, which under 200 clients cost more
// than the requests themselves. Connections stay open for the pool's lifetime.
class StorePool {
 public:
  StorePool(StoreFactory open, std::size_t max_open);

  class Lease {
   public:
    Lease(StorePool& pool, std::unique_ptr<store::Store> store);
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    store::Store& operator*() { return *store_; }
    store::Store* operator->() { return store_.get(); }

   private:
    StorePool* pool_;
    std::unique_ptr<store::Store> store_;
  };

  // An idle connection, a new one while fewer than max_open exist, else waits for one.
  Result<Lease> acquire();

 private:
  void give_back(std::unique_ptr<store::Store> store);

  StoreFactory open_;
  std::size_t max_open_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::size_t open_count_ = 0;  // connections in idle_ and leased
  std::vector<std::unique_ptr<store::Store>> idle_;
};

// Counters for /metrics (Prometheus text format 0.0.4).
class Metrics {
 public:
  void count_request(std::string_view route, std::string_view method, int status);
  void count_login_failure();
  std::string render(std::size_t sessions);

 private:
  std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::uint64_t login_failures_ = 0;
};

}  // namespace mamori::server::console
