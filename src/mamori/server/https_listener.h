#pragma once
// server/https_listener: the serving thread of an httplib::SSLServer, shared by mamorid's two
// servers (taxii_server.h, console_server.h): bind (port 0: an ephemeral port), run the accept
// loop in its own thread, and stop it so that it is really gone when stop() returns; and the
// connection settings both servers use (configure_https_server).

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <thread>

#include <httplib.h>

#include "mamori/core/error.h"

namespace mamori::server {

// Worker threads, TLS ≥ 1.2, body limit, keep-alive and TCP_NODELAY for `http`. cpp-httplib
// gives a keep-alive connection a worker until it closes (at most 1000 requests, or idle for
// 5 s), so `threads` is also how many clients are served at once: the others wait. Without
// TCP_NODELAY every keep-alive response waited ~40 ms for the client's delayed ACK (Nagle;
// docs/benchmarks.md, "Console API").
void configure_https_server(httplib::SSLServer& http, int threads, std::size_t max_body_bytes);

class HttpsListener {
 public:
  HttpsListener() = default;
  HttpsListener(const HttpsListener&) = delete;
  HttpsListener& operator=(const HttpsListener&) = delete;
  ~HttpsListener() { stop(); }

  // Binds `http` (configured, handlers set) to address:port and serves in a background thread;
  // returns the bound port once the accept loop runs, or an error "WHO: cannot listen on
  // ADDRESS:PORT". `http` must outlive the listener or its stop().
  Result<int> start(httplib::SSLServer& http, const std::string& address, int port,
                    std::string_view who);
  // Stops accepting, lets the requests in progress finish and joins the thread. Idempotent; a
  // listener that never started has nothing to stop.
  void stop();

 private:
  httplib::SSLServer* http_ = nullptr;
  std::thread thread_;
  std::atomic<bool> finished_{false};
};

}  // namespace mamori::server
