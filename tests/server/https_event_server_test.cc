// The event-driven HTTPS server (src/mamori/server/https_event_server.h) on loopback: keep-alive
// connections that do not hold handler threads, the errors it answers itself, pipelining,
// 100-continue, timeouts, the connection limit and stopping with a handler still running.

#include "mamori/server/https_event_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <csignal>

#include <atomic>
#include <barrier>
#include <condition_variable>
#include <filesystem>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>

#include "mamori/server/tls_certificate.h"
#include "support/temp_dir.h"

namespace mamori::server {
namespace {

class HttpsEventServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certificate_ = dir_.path().string() + "/server.crt";
    private_key_ = dir_.path().string() + "/server.key";
    ASSERT_TRUE(write_self_signed_certificate(certificate_, private_key_, {"127.0.0.1"}));
  }

  HttpsServerOptions options() const {
    HttpsServerOptions o;
    o.certificate = certificate_;
    o.private_key = private_key_;
    o.handler_threads = 2;
    o.io_threads = 2;
    o.max_body_bytes = 1024;
    return o;
  }

  // Echoes what the server parsed, as "METHOD PATH q=<param q> body=<body>".
  static HttpsHandlers echo_handlers() {
    HttpsHandlers h;
    h.handle = [](const httplib::Request& req, httplib::Response& res) {
      if (req.path == "/throw") throw std::runtime_error("handler failure");
      res.status = 200;
      res.set_header("X-Remote-Port", std::to_string(req.remote_port));
      res.set_content(
          req.method + " " + req.path + " q=" + req.get_param_value("q") + " body=" + req.body,
          "text/plain");
    };
    h.on_error = [](const httplib::Request&, httplib::Response& res) {
      res.set_content("error " + std::to_string(res.status), "text/plain");
    };
    return h;
  }

  std::unique_ptr<HttpsServer> start(HttpsServerOptions o, HttpsHandlers h) {
    auto server = HttpsServer::start(std::move(o), std::move(h), "test server");
    EXPECT_TRUE(server) << (server ? "" : server.error().message);
    return server ? std::move(*server) : nullptr;
  }

  static std::unique_ptr<httplib::SSLClient> client(int port) {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    c->enable_server_certificate_verification(false);
    c->set_keep_alive(true);
    c->set_read_timeout(10, 0);
    return c;
  }

  test_support::TempDir dir_{"mamori-https-server"};
  std::string certificate_;
  std::string private_key_;
};

// Keeps a write to a connection the server has closed from ending the test binary: SIGPIPE
// is held while it is in scope, and a pending one is taken before it is let through again.
class SigpipeHeld {
 public:
  SigpipeHeld() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~SigpipeHeld() {
    const timespec now{0, 0};
    while (sigtimedwait(&pipe_, nullptr, &now) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeHeld(const SigpipeHeld&) = delete;
  SigpipeHeld& operator=(const SigpipeHeld&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
};

// A TLS connection spoken to byte by byte, for what httplib's client would not send.
class RawTlsClient {
 public:
  explicit RawTlsClient(int port) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    const SigpipeHeld held;
    connected_ = SSL_connect(ssl_) == 1;
  }
  ~RawTlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  RawTlsClient(const RawTlsClient&) = delete;
  RawTlsClient& operator=(const RawTlsClient&) = delete;

  bool connected() const { return connected_; }
  bool send(std::string_view bytes) {
    const SigpipeHeld held;
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
           static_cast<int>(bytes.size());
  }
  // Reads until `needle` has arrived (returns everything so far) or the connection ends.
  std::string read_until(std::string_view needle) {
    while (received_.find(needle) == std::string::npos) {
      if (!read_some()) break;
    }
    return received_;
  }
  // Reads until the server closes the connection: true if it did, false if the socket's
  // receive timeout passed first. A close without close_notify counts as a close.
  bool read_until_closed() {
    for (;;) {
      char buffer[4096];
      const int got = SSL_read(ssl_, buffer, sizeof buffer);
      if (got > 0) {
        received_.append(buffer, static_cast<std::size_t>(got));
        continue;
      }
      return SSL_get_error(ssl_, got) != SSL_ERROR_WANT_READ;
    }
  }
  const std::string& received() const { return received_; }

 private:
  bool read_some() {
    char buffer[4096];
    const int got = SSL_read(ssl_, buffer, sizeof buffer);
    if (got <= 0) return false;
    received_.append(buffer, static_cast<std::size_t>(got));
    return true;
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

std::size_t count_of(std::string_view text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

TEST_F(HttpsEventServerTest, AnswersRequestsOnOneKeepAliveConnection) {
  auto server = start(options(), echo_handlers());
  ASSERT_TRUE(server);
  auto c = client(server->port());
  auto first = c->Get("/a/b%20c?q=x%20y%21");
  auto second = c->Post("/form", "payload", "text/plain");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "GET /a/b c q=x y! body=");
  EXPECT_EQ(second->body, "POST /form q= body=payload");
  // The same client port: the second request came over the first one's connection.
  EXPECT_EQ(first->get_header_value("X-Remote-Port"), second->get_header_value("X-Remote-Port"));
}

// With thread-per-connection serving, each open keep-alive connection held a thread: with two
// threads, the third client waited until one of the first two closed, so this test's barrier
// (every client holds its connection open until all have had a first answer) never completed.
TEST_F(HttpsEventServerTest, OpenKeepAliveConnectionsDoNotHoldHandlerThreads) {
  auto o = options();
  o.handler_threads = 2;
  auto server = start(o, echo_handlers());
  ASSERT_TRUE(server);
  constexpr int kClients = 24;
  std::latch all_answered(kClients);
  std::atomic<int> answered_twice{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      auto c = client(server->port());
      auto first = c->Get("/first?q=" + std::to_string(i));
      all_answered.count_down();
      if (!first || first->status != 200) return;
      all_answered.wait();
      auto second = c->Get("/second?q=" + std::to_string(i));
      if (second && second->body == "GET /second q=" + std::to_string(i) + " body=" &&
          second->get_header_value("X-Remote-Port") == first->get_header_value("X-Remote-Port")) {
        answered_twice.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(answered_twice.load(), kClients);
}

TEST_F(HttpsEventServerTest, BodiesAboveTheLimitAre413AndTheConnectionCloses) {
  auto server = start(options(), echo_handlers());
  ASSERT_TRUE(server);
  RawTlsClient raw(server->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n"));
  EXPECT_TRUE(raw.read_until_closed());
  EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 413 Content Too Large\r\n")) << raw.received();
  EXPECT_NE(raw.received().find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(raw.received().ends_with("error 413"));
}

TEST_F(HttpsEventServerTest, MalformedRequestsAre400AndTheConnectionCloses) {
  auto server = start(options(), echo_handlers());
  ASSERT_TRUE(server);
  for (const std::string bad : {"GET /x HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",
                                "GET /x HTTP/1.1\r\n\r\n",  // no Host
                                "GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                                "Content-Length: 2\r\n\r\n"}) {
    RawTlsClient raw(server->port());
    ASSERT_TRUE(raw.connected());
    ASSERT_TRUE(raw.send(bad));
    EXPECT_TRUE(raw.read_until_closed());
    EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 400 Bad Request\r\n")) << raw.received();
    EXPECT_TRUE(raw.received().ends_with("error 400"));
  }
}

TEST_F(HttpsEventServerTest, ChunkedBodiesAre501) {
  auto server = start(options(), echo_handlers());
  ASSERT_TRUE(server);
  RawTlsClient raw(server->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(
      raw.send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               "3\r\nabc\r\n0\r\n\r\n"));
  EXPECT_TRUE(raw.read_until_closed());
  EXPECT_TRUE(raw.received().starts_with("HTTP/1.1 501 ")) << raw.received();
}

TEST_F(HttpsEventServerTest, PipelinedRequestsAreAnsweredInOrder) {
  auto server = start(options(), echo_handlers());
  ASSERT_TRUE(server);
  RawTlsClient raw(server->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(
      raw.send("POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
               "GET /two?q=2 HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(raw.read_until_closed());
  const std::string& all = raw.received();
  const auto one = all.find("POST /one q= body=abc");
  const auto two = all.find("GET /two q=2 body=");
  const auto three = all.find("GET /three q= body=");
  ASSERT_NE(one, std::string::npos) << all;
  ASSERT_NE(two, std::string::npos) << all;
  ASSERT_NE(three, std::string::npos) << all;
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
  EXPECT_EQ(count_of(all, "HTTP/1.1 200 OK\r\n"), 3U);
  EXPECT_EQ(count_of(all, "Connection: close\r\n"), 1U);
}

TEST_F(HttpsEventServerTest, ExpectContinueGetsAnInterimAnswerBeforeTheBody) {
  auto server = start(options(), echo_handlers());
  ASSERT_TRUE(server);
  RawTlsClient raw(server->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(
      raw.send("PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               "Expect: 100-continue\r\n\r\n"));
  EXPECT_EQ(raw.read_until("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(raw.send("hello"));
  EXPECT_NE(raw.read_until("body=hello").find("PUT /up q= body=hello"), std::string::npos);
}

TEST_F(HttpsEventServerTest, HeadAnswersTheLengthWithoutTheBody) {
  auto server = start(options(), echo_handlers());
  ASSERT_TRUE(server);
  RawTlsClient raw(server->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(raw.read_until_closed());
  const std::string expected_length =
      "Content-Length: " + std::to_string(std::string("HEAD /h q= body=").size()) + "\r\n";
  EXPECT_NE(raw.received().find(expected_length), std::string::npos) << raw.received();
  EXPECT_TRUE(raw.received().ends_with("\r\n\r\n")) << raw.received();
}

TEST_F(HttpsEventServerTest, AHandlerThatThrowsIsAnswered500AndServingGoesOn) {
  std::atomic<int> answered500{0};
  auto h = echo_handlers();
  h.on_answered = [&](const httplib::Request&, const httplib::Response& res) {
    if (res.status == 500) answered500.fetch_add(1);
  };
  auto server = start(options(), std::move(h));
  ASSERT_TRUE(server);
  auto c = client(server->port());
  auto failed = c->Get("/throw");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(failed->body, "error 500");
  auto next = c->Get("/fine");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(answered500.load(), 1);
}

TEST_F(HttpsEventServerTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  auto o = options();
  o.idle_timeout = std::chrono::milliseconds(100);
  auto server = start(o, echo_handlers());
  ASSERT_TRUE(server);
  RawTlsClient raw(server->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  raw.read_until("body=");
  // The socket's 10 s receive timeout bounds the wait; the server's sweep runs each second.
  EXPECT_TRUE(raw.read_until_closed());
  EXPECT_EQ(count_of(raw.received(), "HTTP/1.1 200 OK"), 1U);
}

TEST_F(HttpsEventServerTest, ConnectionsAboveTheLimitAreClosedAtOnce) {
  auto o = options();
  o.max_connections = 1;
  auto server = start(o, echo_handlers());
  ASSERT_TRUE(server);
  RawTlsClient first(server->port());
  ASSERT_TRUE(first.connected());
  RawTlsClient second(server->port());
  EXPECT_FALSE(second.connected());
  ASSERT_TRUE(first.send("GET /still HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(first.read_until("body=").find("GET /still"), std::string::npos);
}

// Out of descriptors, accept() keeps failing while the listener stays readable: a loop that
// kept waiting on it would spin at a full core. The server stops waiting on it until its next
// sweep, and accepts again once descriptors are free.
TEST_F(HttpsEventServerTest, RunningOutOfDescriptorsNeitherSpinsNorStopsAccepting) {
  auto o = options();
  o.io_threads = 1;
  auto server = start(o, echo_handlers());
  ASSERT_TRUE(server);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  std::size_t open_now = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++open_now;
  }
  rlimit low = saved;
  low.rlim_cur = open_now + 8;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  // Plain TCP connections (the kernel completes them; the server must accept them) until the
  // process has no descriptor left, for the clients or the server.
  std::vector<int> sockets;
  for (;;) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(server->port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    sockets.push_back(fd);
  }
  ASSERT_FALSE(sockets.empty());
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const auto began = std::chrono::steady_clock::now();
  // The measuring window: wall time during which only the server runs in this process.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  const auto cpu_us = [](const rusage& r) {
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1'000'000LL + r.ru_utime.tv_usec +
           r.ru_stime.tv_usec;
  };
  const auto wall_us = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - began)
                           .count();
  for (const int fd : sockets) ::close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_LT(cpu_us(after) - cpu_us(before), wall_us / 4) << "the accept loop spun";
  // Descriptors are free again: a new client is served (after at most one sweep).
  auto c = client(server->port());
  auto res = c->Get("/again");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "GET /again q= body=");
}

TEST_F(HttpsEventServerTest, StopWaitsForARunningHandlerAndClosesTheConnections) {
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false;
  bool release = false;
  std::atomic<bool> returned{false};
  HttpsHandlers h = echo_handlers();
  h.handle = [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock lock(mutex);
    entered = true;
    changed.notify_all();
    changed.wait(lock, [&] { return release; });
    res.status = 200;
    returned.store(true);
  };
  auto server = start(options(), std::move(h));
  ASSERT_TRUE(server);
  RawTlsClient raw(server->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return entered; });
  }
  std::thread stopper([&] { server->stop(); });
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  stopper.join();
  EXPECT_TRUE(returned.load());
  EXPECT_TRUE(raw.read_until_closed());
  server->stop();  // idempotent
}

TEST_F(HttpsEventServerTest, AMissingCertificateIsAnErrorNamingTheFiles) {
  auto o = options();
  o.certificate = dir_.path().string() + "/absent.crt";
  auto server = HttpsServer::start(o, echo_handlers(), "test server");
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().message.find("absent.crt"), std::string::npos);
  EXPECT_NE(server.error().message.find("test server"), std::string::npos);
}

TEST_F(HttpsEventServerTest, APortInUseIsAnErrorNamingTheAddress) {
  auto first = start(options(), echo_handlers());
  ASSERT_TRUE(first);
  auto o = options();
  o.port = first->port();
  auto second = HttpsServer::start(o, echo_handlers(), "test server");
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(o.port)),
            std::string::npos)
      << second.error().message;
}

}  // namespace
}  // namespace mamori::server
