#include "mamori/server/https_event_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mamori/server/http_parser.h"

namespace mamori::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kListenerKey = 0;
constexpr std::uint64_t kWakeKey = 1;
constexpr std::uint64_t kFirstConnectionKey = 2;
constexpr std::size_t kReadChunk = std::size_t{16} * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// How long and how much a closing connection is drained (Phase::draining).
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = std::size_t{4} << 20;

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

struct BioMethodDeleter {
  void operator()(BIO_METHOD* method) const { BIO_meth_free(method); }
};

// A socket BIO that sends with MSG_NOSIGNAL: a client that has gone away makes a write fail
// with EPIPE instead of raising SIGPIPE, which would end the whole process (tests, benchmarks)
// unless every embedding program ignored it.
int socket_bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t sent = ::send(static_cast<int>(BIO_get_fd(bio, nullptr)), data,
                              static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(bio);
  }
  return static_cast<int>(sent);
}

int socket_bio_read(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t received =
      ::recv(static_cast<int>(BIO_get_fd(bio, nullptr)), data, static_cast<std::size_t>(size), 0);
  if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(bio);
  }
  return static_cast<int>(received);
}

std::unique_ptr<BIO_METHOD, BioMethodDeleter> make_socket_bio_method() {
  // The socket BIO's own control (fd get/set, flush, eof) is kept; only read and write change.
  const BIO_METHOD* socket = BIO_s_socket();
  std::unique_ptr<BIO_METHOD, BioMethodDeleter> method(BIO_meth_new(
      BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "mamori socket"));
  if (!method) return method;
  BIO_meth_set_write(method.get(), socket_bio_write);
  BIO_meth_set_read(method.get(), socket_bio_read);
  BIO_meth_set_ctrl(method.get(), BIO_meth_get_ctrl(socket));
  BIO_meth_set_create(method.get(), BIO_meth_get_create(socket));
  BIO_meth_set_destroy(method.get(), BIO_meth_get_destroy(socket));
  return method;
}

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

struct Listener {
  int fd = -1;
  int port = 0;
};

Result<Listener> listen_on(const std::string& address, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return fail("{}", gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, &freeaddrinfo);
  std::string last_error = "no address";
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      last_error = std::strerror(errno);
      close_fd(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    const int bound_port = bound.ss_family == AF_INET6
                               ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                               : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return Listener{fd, bound_port};
  }
  return fail("{}", last_error);
}

std::pair<std::string, int> peer_of(const sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&peer);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    return {text, ntohs(in6->sin6_port)};
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(&peer);
  ::inet_ntop(AF_INET, &in4->sin_addr, text, sizeof text);
  return {text, ntohs(in4->sin_port)};
}

httplib::Request make_request(const http::RequestHead& head, std::string body,
                              const std::string& remote_addr, int remote_port) {
  httplib::Request req;
  req.method = head.method;
  req.target = head.target;
  req.path = head.path;
  req.version = head.minor_version == 0 ? "HTTP/1.0" : "HTTP/1.1";
  for (const auto& [name, value] : head.headers) req.headers.emplace(name, value);
  for (auto& [name, value] : http::parse_query(head.query)) {
    req.params.emplace(std::move(name), std::move(value));
  }
  req.body = std::move(body);
  req.remote_addr = remote_addr;
  req.remote_port = remote_port;
  return req;
}

// The bytes of a response: its head, then its body unless the request was HEAD.
std::string serialize(const httplib::Request& req, const httplib::Response& res, bool keep_alive) {
  // response_head writes the framing fields itself and drops the handler's.
  const http::Fields fields(res.headers.begin(), res.headers.end());
  std::string bytes = http::response_head(res.status, fields, res.body.size(), keep_alive);
  const bool bodiless = req.method == "HEAD" || res.status == 204 || res.status == 304;
  if (!bodiless) bytes += res.body;
  return bytes;
}

}  // namespace

// ---- the handler threads ------------------------------------------------------------------

class Loop;

struct Job {
  Loop* loop = nullptr;
  std::uint64_t connection = 0;
  httplib::Request request;
  bool keep_alive = false;  // as the request asked
};

class HandlerPool {
 public:
  HandlerPool(const HttpsHandlers& handlers, int threads) : handlers_(handlers) {
    for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { run(); });
  }
  ~HandlerPool() { stop(); }

  void submit(Job job) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

  // Returns once no handler runs; jobs not yet started are dropped.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      jobs_.clear();
    }
    ready_.notify_all();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  void run();

  const HttpsHandlers& handlers_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// ---- the event loops ----------------------------------------------------------------------

struct Connection {
  // draining: the last answer is sent and the write side shut; what the client still sends
  // is read and dropped until it closes (see Loop::advance).
  enum class Phase { handshake, reading, handling, writing, draining };

  std::uint64_t key = 0;
  int fd = -1;
  SSL* ssl = nullptr;
  Phase phase = Phase::handshake;
  std::string received;                   // not yet consumed
  std::optional<http::RequestHead> head;  // parsed; its body may still be on its way
  bool continue_sent = false;
  std::string sending;
  std::size_t sent = 0;
  bool close_after_sending = false;
  std::size_t drained = 0;
  Clock::time_point deadline;
  std::string remote_addr;
  int remote_port = 0;

  ~Connection() {
    if (ssl != nullptr) SSL_free(ssl);  // frees its BIO, which does not own the fd
    close_fd(fd);
  }
};

struct Completion {
  std::uint64_t connection;
  std::string bytes;
  bool keep_alive;
};

struct LoopShared {
  const HttpsServerOptions& options;
  const HttpsHandlers& handlers;
  SSL_CTX* ssl_ctx;
  BIO_METHOD* bio_method;
  int listener_fd;
  HandlerPool* pool;
  std::atomic<std::size_t>& connections;
  const std::atomic<bool>& stopping;
};

class Loop {
 public:
  explicit Loop(LoopShared shared) : shared_(shared) {}
  ~Loop() {
    connections_.clear();
    close_fd(wake_fd_);
    close_fd(epoll_fd_);
  }

  Result<void> open() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) return fail("epoll: {}", std::strerror(errno));
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.u64 = kWakeKey;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0 || !listen_again()) {
      return fail("epoll: {}", std::strerror(errno));
    }
    return {};
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  }

  void join() {
    wake();
    if (thread_.joinable()) thread_.join();
  }

  // From a handler thread: the response for `connection`, to be sent by this loop.
  void complete(Completion completion) {
    {
      std::lock_guard lock(mutex_);
      completions_.push_back(std::move(completion));
    }
    wake();
  }

 private:
  // Every loop waits on the listener; EPOLLEXCLUSIVE wakes one of them per connection.
  bool listen_again() {
    epoll_event listen{};
    listen.events = EPOLLIN | EPOLLEXCLUSIVE;
    listen.data.u64 = kListenerKey;
    listening_ = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, shared_.listener_fd, &listen) == 0;
    return listening_;
  }

  void run() {
    std::vector<epoll_event> events(256);
    auto next_sweep = Clock::now() + std::chrono::seconds(1);
    while (!shared_.stopping.load()) {
      const int count =
          ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 1000);
      if (count < 0 && errno != EINTR) break;
      for (int i = 0; i < count; ++i) {
        const std::uint64_t key = events[static_cast<std::size_t>(i)].data.u64;
        if (key == kListenerKey) {
          accept_all();
        } else if (key == kWakeKey) {
          std::uint64_t ignored = 0;
          [[maybe_unused]] const ssize_t read = ::read(wake_fd_, &ignored, sizeof ignored);
          take_completions();
        } else if (auto found = connections_.find(key); found != connections_.end()) {
          advance(*found->second);
        }
      }
      if (const auto now = Clock::now(); now >= next_sweep) {
        close_expired(now);
        if (!listening_) listen_again();
        next_sweep = now + std::chrono::seconds(1);
      }
    }
  }

  void accept_all() {
    for (;;) {
      sockaddr_storage peer{};
      socklen_t length = sizeof peer;
      const int fd = ::accept4(shared_.listener_fd, reinterpret_cast<sockaddr*>(&peer), &length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        // Out of descriptors or memory: the listener stays readable, so waiting on it would
        // spin. This loop stops waiting on it until the next sweep (a second).
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          listening_ = ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, shared_.listener_fd, nullptr) != 0;
        }
        return;  // EAGAIN: another loop took it, or none is left
      }
      if (shared_.connections.fetch_add(1) >= shared_.options.max_connections) {
        shared_.connections.fetch_sub(1);
        ::close(fd);
        continue;
      }
      const int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      auto connection = std::make_unique<Connection>();
      connection->key = next_key_++;
      connection->fd = fd;
      std::tie(connection->remote_addr, connection->remote_port) = peer_of(peer);
      connection->deadline = Clock::now() + shared_.options.idle_timeout;
      connection->ssl = SSL_new(shared_.ssl_ctx);
      BIO* bio = connection->ssl ? BIO_new(shared_.bio_method) : nullptr;
      if (bio == nullptr) {
        ERR_clear_error();
        forget(std::move(connection));
        continue;
      }
      BIO_set_fd(bio, fd, BIO_NOCLOSE);
      SSL_set_bio(connection->ssl, bio, bio);
      SSL_set_accept_state(connection->ssl);
      epoll_event event{};
      event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      event.data.u64 = connection->key;
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
        forget(std::move(connection));
        continue;
      }
      Connection& placed =
          *connections_.emplace(connection->key, std::move(connection)).first->second;
      advance(placed);
    }
  }

  void take_completions() {
    std::vector<Completion> done;
    {
      std::lock_guard lock(mutex_);
      done.swap(completions_);
    }
    for (auto& completion : done) {
      auto found = connections_.find(completion.connection);
      if (found == connections_.end()) continue;  // closed (timed out or by the peer) meanwhile
      Connection& connection = *found->second;
      connection.sending = std::move(completion.bytes);
      connection.sent = 0;
      connection.close_after_sending = !completion.keep_alive;
      connection.phase = Connection::Phase::writing;
      connection.deadline = Clock::now() + shared_.options.request_timeout;
      advance(connection);
    }
  }

  void close_expired(Clock::time_point now) {
    std::vector<std::uint64_t> expired;
    for (const auto& [key, connection] : connections_) {
      // A request being handled is not the client's delay; its answer is awaited.
      if (connection->phase != Connection::Phase::handling && connection->deadline <= now) {
        expired.push_back(key);
      }
    }
    for (const std::uint64_t key : expired) {
      // An established connection is told it ends (close_notify, best effort, not awaited);
      // a draining one has been told already.
      if (const auto& connection = connections_.at(key);
          connection->phase == Connection::Phase::reading ||
          connection->phase == Connection::Phase::writing) {
        SSL_shutdown(connection->ssl);
        ERR_clear_error();
      }
      close(key);
    }
  }

  void close(std::uint64_t key) {
    auto found = connections_.find(key);
    if (found == connections_.end()) return;
    auto connection = std::move(found->second);
    connections_.erase(found);
    forget(std::move(connection));
  }

  void forget(std::unique_ptr<Connection> connection) {
    // Closing the descriptor removes it from the epoll set.
    connection.reset();
    shared_.connections.fetch_sub(1);
  }

  // Runs the connection's state machine until it waits for the socket or for a handler.
  // Edge-triggered: each step goes on until OpenSSL reports it would block.
  void advance(Connection& connection) {
    for (;;) {
      switch (connection.phase) {
        case Connection::Phase::handshake: {
          const int rc = SSL_do_handshake(connection.ssl);
          if (rc == 1) {
            connection.phase = Connection::Phase::reading;
            connection.deadline = Clock::now() + shared_.options.idle_timeout;
            continue;
          }
          if (!would_block(connection, rc)) return close(connection.key);
          return;
        }
        case Connection::Phase::reading: {
          const auto step = read_request(connection);
          if (step == Step::closed) return close(connection.key);
          if (step == Step::wait) return;
          continue;  // a request went to the handlers, or an answer is to be written
        }
        case Connection::Phase::handling:
          return;
        case Connection::Phase::draining: {
          char buffer[kReadChunk];
          for (;;) {
            const ssize_t got = ::recv(connection.fd, buffer, sizeof buffer, 0);
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            if (got < 0 && errno == EINTR) continue;
            connection.drained += got > 0 ? static_cast<std::size_t>(got) : 0;
            if (got <= 0 || connection.drained > kLingerBytes) return close(connection.key);
          }
        }
        case Connection::Phase::writing: {
          while (connection.sent < connection.sending.size()) {
            const std::size_t left = connection.sending.size() - connection.sent;
            const int wrote = SSL_write(connection.ssl, connection.sending.data() + connection.sent,
                                        static_cast<int>(std::min<std::size_t>(left, 1 << 30)));
            if (wrote <= 0) {
              if (!would_block(connection, wrote)) return close(connection.key);
              return;
            }
            connection.sent += static_cast<std::size_t>(wrote);
          }
          connection.sending.clear();
          connection.sent = 0;
          if (connection.close_after_sending) {
            // Closing now, while a refused body is still arriving, would make the kernel
            // answer it with a reset, and the client could lose the answer before reading it
            // (or die of SIGPIPE while writing). So: close_notify, shut the write side, and
            // drop what still comes until the client closes, for a bounded time and amount.
            SSL_shutdown(connection.ssl);
            ERR_clear_error();
            ::shutdown(connection.fd, SHUT_WR);
            connection.phase = Connection::Phase::draining;
            connection.deadline = Clock::now() + kLingerTime;
            continue;
          }
          connection.phase = Connection::Phase::reading;
          // A 100 Continue leaves the head in place: its body is still to come.
          if (!connection.head) connection.deadline = Clock::now() + shared_.options.idle_timeout;
          continue;
        }
      }
    }
  }

  enum class Step { wait, progressed, closed };

  Step read_request(Connection& connection) {
    const HttpsServerOptions& options = shared_.options;
    for (;;) {
      if (!connection.head && !connection.received.empty()) {
        auto parsed = http::parse_request_head(connection.received, options.max_head_bytes,
                                               options.max_body_bytes);
        if (parsed.state == http::HeadState::failed) {
          answer_error(connection, parsed.error.status, parsed.head);
          return Step::progressed;
        }
        if (parsed.state == http::HeadState::complete) {
          connection.received.erase(0, parsed.head.head_bytes);
          connection.head = std::move(parsed.head);
          connection.continue_sent = false;
          connection.deadline = Clock::now() + options.request_timeout;
        }
      }
      if (connection.head) {
        const std::size_t length = connection.head->content_length;
        if (connection.received.size() >= length) {
          std::string body = connection.received.substr(0, length);
          connection.received.erase(0, length);
          auto request = make_request(*connection.head, std::move(body), connection.remote_addr,
                                      connection.remote_port);
          const bool keep_alive = connection.head->keep_alive;
          connection.head.reset();
          connection.phase = Connection::Phase::handling;
          shared_.pool->submit(Job{this, connection.key, std::move(request), keep_alive});
          return Step::progressed;
        }
        if (connection.head->expect_continue && !connection.continue_sent) {
          connection.continue_sent = true;
          connection.sending = std::string(kContinue);
          connection.sent = 0;
          connection.close_after_sending = false;
          connection.phase = Connection::Phase::writing;
          return Step::progressed;
        }
      }
      // More bytes are needed. The buffer holds at most one head (a longer one is refused 431
      // by the parse above) or one body and one read beyond it.
      char buffer[kReadChunk];
      const int got = SSL_read(connection.ssl, buffer, sizeof buffer);
      if (got <= 0) return would_block(connection, got) ? Step::wait : Step::closed;
      connection.received.append(buffer, static_cast<std::size_t>(got));
    }
  }

  // A request the server refuses itself: the answer, then the connection closes, since what
  // follows the refused part cannot be framed.
  void answer_error(Connection& connection, int status, const http::RequestHead& partial) {
    httplib::Request req =
        make_request(partial, {}, connection.remote_addr, connection.remote_port);
    httplib::Response res;
    res.status = status;
    if (shared_.handlers.on_error) shared_.handlers.on_error(req, res);
    if (shared_.handlers.on_answered) shared_.handlers.on_answered(req, res);
    connection.head.reset();
    connection.received.clear();
    connection.sending = serialize(req, res, false);
    connection.sent = 0;
    connection.close_after_sending = true;
    connection.phase = Connection::Phase::writing;
    connection.deadline = Clock::now() + shared_.options.request_timeout;
  }

  // After an OpenSSL call returned `rc` <= 0: whether it only has to wait for the socket.
  static bool would_block(Connection& connection, int rc) {
    const int error = SSL_get_error(connection.ssl, rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return true;
    ERR_clear_error();  // a client's broken handshake or reset is not the server's error
    return false;
  }

  LoopShared shared_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::uint64_t next_key_ = kFirstConnectionKey;
  bool listening_ = false;  // the listener is in this loop's epoll set
  std::mutex mutex_;
  std::vector<Completion> completions_;
};

void HandlerPool::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    httplib::Response res;
    bool answered = false;
    try {
      handlers_.handle(job.request, res);
      answered = res.status >= 100 && res.status <= 599;
    } catch (...) {
      answered = false;  // answered 500 below, as a handler that set no status is
    }
    if (!answered) {
      res = httplib::Response();
      res.status = 500;
      if (handlers_.on_error) handlers_.on_error(job.request, res);
    }
    if (handlers_.on_answered) handlers_.on_answered(job.request, res);
    job.loop->complete(
        Completion{job.connection, serialize(job.request, res, job.keep_alive), job.keep_alive});
  }
}

// ---- the server ---------------------------------------------------------------------------

struct HttpsServer::Impl {
  HttpsServerOptions options;
  HttpsHandlers handlers;
  SslCtx ssl_ctx;
  std::unique_ptr<BIO_METHOD, BioMethodDeleter> bio_method;
  Listener listener;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};
  std::unique_ptr<HandlerPool> pool;
  std::vector<std::unique_ptr<Loop>> loops;
  bool stopped = false;

  ~Impl() {
    stop();
    close_fd(listener.fd);
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    stopping.store(true);
    for (auto& loop : loops) loop->join();
    if (pool) pool->stop();
    loops.clear();  // closes the connections
  }
};

HttpsServer::HttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsServer::~HttpsServer() = default;

int HttpsServer::port() const { return impl_->listener.port; }

void HttpsServer::stop() { impl_->stop(); }

Result<std::unique_ptr<HttpsServer>> HttpsServer::start(HttpsServerOptions options,
                                                        HttpsHandlers handlers,
                                                        std::string_view who) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handlers = std::move(handlers);
  const HttpsServerOptions& o = impl->options;

  impl->ssl_ctx.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* ctx = impl->ssl_ctx.get();
  if (ctx == nullptr || SSL_CTX_use_certificate_chain_file(ctx, o.certificate.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, o.private_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    const std::string detail = openssl_error();
    return fail("{}: cannot load the TLS certificate '{}' and private key '{}' ({})", who,
                o.certificate, o.private_key, detail);
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  impl->bio_method = make_socket_bio_method();
  if (!impl->bio_method) return fail("{}: OpenSSL cannot make a socket BIO", who);

  auto listener = listen_on(o.address, o.port);
  if (!listener) {
    return fail("{}: cannot listen on {}:{} ({})", who, o.address, o.port,
                listener.error().message);
  }
  impl->listener = *listener;

  impl->pool = std::make_unique<HandlerPool>(impl->handlers, o.handler_threads);
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  const int io_threads = o.io_threads > 0 ? o.io_threads : static_cast<int>(std::min(cores, 4U));
  for (int i = 0; i < io_threads; ++i) {
    auto loop = std::make_unique<Loop>(
        LoopShared{impl->options, impl->handlers, impl->ssl_ctx.get(), impl->bio_method.get(),
                   impl->listener.fd, impl->pool.get(), impl->connections, impl->stopping});
    if (auto opened = loop->open(); !opened) {
      return fail("{}: cannot start serving: {}", who, opened.error().message);
    }
    impl->loops.push_back(std::move(loop));
  }
  for (auto& loop : impl->loops) loop->start();
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

}  // namespace mamori::server
