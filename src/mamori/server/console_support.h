#pragma once
// server/console_support: the console server's parts that are not routes — JSON responses and
// errors in the contract's shape, the security headers, the pools of record-store and
// governance-storage connections, and the request counters behind /metrics
// (console_server.h).

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
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

// Single-threaded connections (a store::Store, a governance::GovernanceStorage) handed to one
// request at a time, at most `max_open` of them: a request beyond that waits for one to come
// back instead of opening (and, with SQLite, closing and optimizing) a connection of its own,
// which under 200 clients cost more than the requests themselves. Connections are opened when
// first needed and stay open for the pool's lifetime. Thread-safe.
template <class Connection>
class ConnectionPool {
 public:
  using Factory = std::function<Result<std::unique_ptr<Connection>>()>;

  ConnectionPool(Factory open, std::size_t max_open)
      : open_(std::move(open)), max_open_(std::max<std::size_t>(max_open, 1)) {}

  // A connection for as long as it lives; then back to the pool.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (connection_) pool_->give_back(std::move(connection_));
    }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // An idle connection, a new one while fewer than max_open exist, else waits for one.
  Result<Lease> acquire() {
    {
      std::unique_lock lock(mutex_);
      returned_.wait(lock, [this] { return !idle_.empty() || open_count_ < max_open_; });
      if (!idle_.empty()) {
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(connection));
      }
      ++open_count_;  // reserved before opening, outside the lock
    }
    auto opened = open_();
    if (!opened) {
      {
        std::lock_guard lock(mutex_);
        --open_count_;
      }
      returned_.notify_one();
      return fail(opened.error());
    }
    return Lease(*this, std::move(*opened));
  }

 private:
  void give_back(std::unique_ptr<Connection> connection) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(connection));
    }
    returned_.notify_one();
  }

  Factory open_;
  std::size_t max_open_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::size_t open_count_ = 0;  // connections in idle_ and leased
  std::vector<std::unique_ptr<Connection>> idle_;
};

using StorePool = ConnectionPool<store::Store>;
using GovernancePool = ConnectionPool<governance::GovernanceStorage>;

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
