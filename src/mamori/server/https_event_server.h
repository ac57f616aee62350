#pragma once
// server/https_event_server: the HTTPS server under mamorid's two services (console_server.h,
// taxii_server.h). A few epoll loops own the connections (TLS handshake, reading and parsing
// requests, writing responses, timeouts) and a fixed pool of handler threads runs the
// handlers, first come first served. A client that keeps its connection open costs a socket
// and a few kilobytes, not a thread: cpp-httplib's server gave every keep-alive connection a
// thread until it closed, so 200 clients needed 200 threads, and on two cores their
// scheduling was the p99 latency (docs/benchmarks.md, "Console API").
//
// The handlers keep cpp-httplib's Request and Response types (only the fields a server fills
// in: method, target, path, version, headers, params, body, remote_addr/port; status, headers,
// body); the wire format is http_parser.h's. Not supported: chunked request bodies (501),
// pipelined requests are answered one after the other, no response compression or ranges.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <httplib.h>

#include "mamori/core/error.h"

namespace mamori::server {

struct HttpsServerOptions {
  std::string address = "127.0.0.1";  // a numeric address or a host name to bind
  int port = 0;                       // 0: an ephemeral port (see HttpsServer::port)
  std::string certificate;            // PEM certificate chain file
  std::string private_key;            // PEM private key file
  int handler_threads = 16;           // requests handled at once; the others queue in order
  int io_threads = 0;                 // epoll loops; 0: one per core, at most 4
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_head_bytes = std::size_t{16} * 1024;  // request line and header fields
  std::size_t max_connections = 10'000;                 // further connections are closed at once
  std::chrono::milliseconds idle_timeout{5'000};        // TLS handshake, or a keep-alive wait
  std::chrono::milliseconds request_timeout{30'000};    // to receive a request or send a response
};

struct HttpsHandlers {
  // Answers a request (status, headers, body). May block: it runs on a handler thread. What it
  // throws is answered 500 through on_error.
  std::function<void(const httplib::Request&, httplib::Response&)> handle;
  // Fills in an error the server answers itself; res.status is set (400, 413, 417, 431, 500,
  // 501, 505). The request has what was parsed of it, possibly nothing.
  std::function<void(const httplib::Request&, httplib::Response&)> on_error;
  // Told of every answer, after handle or on_error (metrics). Optional.
  std::function<void(const httplib::Request&, const httplib::Response&)> on_answered;
};

class HttpsServer {
 public:
  // Binds, loads the certificate and key and starts serving. Errors: "WHO: cannot listen on
  // ADDRESS:PORT (reason)", "WHO: cannot load the TLS certificate … and private key …".
  static Result<std::unique_ptr<HttpsServer>> start(HttpsServerOptions options,
                                                    HttpsHandlers handlers, std::string_view who);
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;
  ~HttpsServer();

  int port() const;
  // Stops accepting, waits for the handlers running now to return, and closes every
  // connection (their responses unsent). Idempotent.
  void stop();

  struct Impl;

 private:
  explicit HttpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mamori::server
