#include "mamori/server/https_listener.h"

namespace mamori::server {

void configure_https_server(httplib::SSLServer& http, int threads, std::size_t max_body_bytes) {
  SSL_CTX_set_min_proto_version(http.ssl_context(), TLS1_2_VERSION);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(max_body_bytes);
  http.set_keep_alive_max_count(1000);
  http.set_tcp_nodelay(true);
}

Result<int> HttpsListener::start(httplib::SSLServer& http, const std::string& address, int port,
                                 std::string_view who) {
  if (http_ != nullptr) return fail("{}: already listening", who);
  const int bound =
      port == 0 ? http.bind_to_any_port(address) : (http.bind_to_port(address, port) ? port : -1);
  if (bound <= 0) return fail("{}: cannot listen on {}:{}", who, address, port);
  http_ = &http;
  thread_ = std::thread([this] {
    http_->listen_after_bind();
    finished_.store(true);
  });
  // The socket already accepts connections (they queue); wait only until the accept loop runs,
  // so that stop() is effective from now on.
  while (!http.is_running() && !finished_.load()) std::this_thread::yield();
  return bound;
}

void HttpsListener::stop() {
  if (http_ == nullptr) return;
  // listen_after_bind() may not have reached its accept loop; stop() before that is a no-op,
  // so repeat until the thread reports it has left.
  while (!finished_.load()) {
    http_->stop();
    std::this_thread::yield();
  }
  if (thread_.joinable()) thread_.join();
  http_ = nullptr;
}

}  // namespace mamori::server
