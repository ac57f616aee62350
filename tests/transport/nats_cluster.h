#pragma once
// Test support for the transport tests: real nats-server processes (Debian's
// /usr/sbin/nats-server) with JetStream, on 127.0.0.1 only, in a TempDir.
//
//   NatsCluster single(1);        // one server
//   NatsCluster cluster(3);       // three servers with cluster routes on loopback
//   cluster.start_all();          // waits until every node answers JetStream requests
//   cluster.url();                // "nats://127.0.0.1:P1,nats://127.0.0.1:P2,..."
//   cluster.kill(0);              // SIGKILL, as a crash would
//   cluster.start(0);             // restart on the same ports and store directory
//
// Ports are chosen free at construction and kept for restarts. Readiness is a connection
// plus a JetStream account-info request answered (in a cluster: once the meta leader is
// elected), polled until a deadline, never a fixed sleep. The destructor kills every server.
// Failures throw std::runtime_error.

#include <fcntl.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "../support/temp_dir.h"

extern char** environ;

namespace mamori::test_support {

class NatsCluster {
 public:
  explicit NatsCluster(int nodes) : dir_("mamori-nats") {
    for (int i = 0; i < nodes; ++i) {
      nodes_.push_back(Node{free_port(), nodes > 1 ? free_port() : 0, -1});
    }
    for (int i = 0; i < nodes; ++i) write_config(i);
  }
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;
  ~NatsCluster() {
    for (std::size_t i = 0; i < nodes_.size(); ++i) kill(static_cast<int>(i));
  }

  int size() const { return static_cast<int>(nodes_.size()); }
  std::string url(int i) const { return fmt::format("nats://127.0.0.1:{}", nodes_[i].port); }
  std::string url() const {
    std::string out;
    for (int i = 0; i < size(); ++i) out += (i == 0 ? "" : ",") + url(i);
    return out;
  }
  bool running(int i) const { return nodes_[i].pid > 0; }

  void start_all() {
    for (int i = 0; i < size(); ++i) spawn(i);
    for (int i = 0; i < size(); ++i) wait_ready(i);
  }
  void start(int i) {
    spawn(i);
    wait_ready(i);
  }
  void kill(int i) {
    Node& node = nodes_[i];
    if (node.pid <= 0) return;
    ::kill(node.pid, SIGKILL);
    int status = 0;
    ::waitpid(node.pid, &status, 0);
    node.pid = -1;
  }

 private:
  struct Node {
    int port = 0;
    int cluster_port = 0;
    pid_t pid = -1;
  };

  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("NatsCluster: no free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
  }

  std::string config_path(int i) const { return dir_.file(fmt::format("n{}.conf", i)); }

  void write_config(int i) {
    std::ofstream out(config_path(i));
    out << fmt::format("server_name: n{}\nlisten: 127.0.0.1:{}\n", i, nodes_[i].port);
    out << fmt::format("jetstream {{ store_dir: \"{}\" }}\n", dir_.file(fmt::format("n{}", i)));
    if (size() > 1) {
      out << fmt::format("cluster {{\n  name: mamori-test\n  listen: 127.0.0.1:{}\n  routes: [\n",
                         nodes_[i].cluster_port);
      for (int j = 0; j < size(); ++j) {
        if (j != i) out << fmt::format("    nats-route://127.0.0.1:{}\n", nodes_[j].cluster_port);
      }
      out << "  ]\n}\n";
    }
    if (!out) throw std::runtime_error("NatsCluster: cannot write a config file");
  }

  void spawn(int i) {
    if (nodes_[i].pid > 0) return;
    const std::string log = dir_.file(fmt::format("n{}.log", i));
    const std::string config = config_path(i);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<std::string> args = {"/usr/sbin/nats-server", "-c", config};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("NatsCluster: cannot start /usr/sbin/nats-server");
    nodes_[i].pid = pid;
  }

  // Polls until node i accepts a connection and answers a JetStream request.
  void wait_ready(int i) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
      int status = 0;
      if (::waitpid(nodes_[i].pid, &status, WNOHANG) == nodes_[i].pid) {
        throw std::runtime_error(fmt::format("NatsCluster: node {} exited; see its log", i));
      }
      natsConnection* connection = nullptr;
      if (natsConnection_ConnectTo(&connection, url(i).c_str()) == NATS_OK) {
        jsCtx* js = nullptr;
        jsAccountInfo* info = nullptr;
        jsErrCode code{};
        bool ready = natsConnection_JetStream(&js, connection, nullptr) == NATS_OK &&
                     js_GetAccountInfo(&info, js, nullptr, &code) == NATS_OK;
        if (info != nullptr) jsAccountInfo_Destroy(info);
        if (js != nullptr) jsCtx_Destroy(js);
        natsConnection_Destroy(connection);
        if (ready) return;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error(fmt::format("NatsCluster: node {} not ready within 60 s", i));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  TempDir dir_;
  std::vector<Node> nodes_;
};

}  // namespace mamori::test_support
