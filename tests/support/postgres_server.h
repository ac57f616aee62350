#pragma once
// Test support: a real, private PostgreSQL server for the tests of the central deployment
// (the PostgreSQL store, the NATS consumer). Header-only, needs no library: it runs Debian's
// server binaries (/usr/lib/postgresql/<version>/bin, the newest installed) and psql.
//
//   auto& server = mamori::test_support::PostgresServer::shared();  // one per test binary
//   const std::string db = server.create_database();                // fresh, uniquely named
//   open_store("postgres:" + server.conninfo(db));
//
// The server lives in a TempDir: initdb with trust authentication and fsync off (tests need
// no crash safety of the server itself), listening on 127.0.0.1 at a free port and on a unix
// socket in the temp dir. start waits with `pg_ctl start -w` (which polls until the server
// accepts connections) and then confirms with pg_isready; the destructor runs
// `pg_ctl stop -m fast` and removes the directory. As root (CI containers) initdb refuses to
// run, so the server runs as the `postgres` user (created by Debian's postgresql package)
// via runuser, and the directory is handed to it.
//
// Failures throw std::runtime_error with the command's output: a test binary without a
// usable PostgreSQL fails loudly instead of skipping.

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/temp_dir.h"

extern char** environ;

namespace mamori::test_support {

class PostgresServer {
 public:
  PostgresServer() : dir_("mamori-pg") {
    bin_ = find_bin_dir();
    data_ = dir_.file("data");
    socket_dir_ = dir_.path().string();
    log_ = dir_.file("server.log");
    if (::geteuid() == 0) {
      const passwd* user = ::getpwnam("postgres");
      if (user == nullptr) {
        throw std::runtime_error(
            "PostgresServer: running as root needs the 'postgres' user (Debian's postgresql "
            "package) to run the server as");
      }
      as_user_ = {"/usr/sbin/runuser", "-u", "postgres", "--"};
      if (::chown(socket_dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
        throw std::runtime_error("PostgresServer: cannot hand the temp dir to 'postgres'");
      }
    }
    run_or_throw(server_command({bin_ + "/initdb", "-D", data_, "-U", "postgres", "--auth=trust",
                                 "--no-sync", "-E", "UTF8", "--locale=C"}),
                 "initdb");
    // A free port: bound and released at once. Another process could take it in between;
    // then pg_ctl fails and the next attempt picks another port.
    std::string last_error;
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      const std::string options = "-c listen_addresses=127.0.0.1 -c port=" + std::to_string(port_) +
                                  " -c unix_socket_directories=" + socket_dir_ +
                                  " -c fsync=off -c synchronous_commit=on -c full_page_writes=off"
                                  " -c max_connections=200 -c shared_buffers=128MB";
      const Outcome started = run(server_command(
          {bin_ + "/pg_ctl", "start", "-w", "-t", "60", "-D", data_, "-l", log_, "-o", options}));
      if (started.status == 0) {
        running_ = true;
        break;
      }
      last_error = started.output + read_file(log_);
    }
    if (!running_) throw std::runtime_error("PostgresServer: pg_ctl start failed: " + last_error);
    run_or_throw({bin_ + "/pg_isready", "-h", "127.0.0.1", "-p", std::to_string(port_), "-t", "30"},
                 "pg_isready");
  }

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  ~PostgresServer() {
    if (running_) (void)run(server_command({bin_ + "/pg_ctl", "stop", "-m", "fast", "-D", data_}));
  }

  // One server per test binary, started on first use and stopped at exit.
  static PostgresServer& shared() {
    static PostgresServer server;
    return server;
  }

  // libpq keyword/value conninfo for `database` over TCP on 127.0.0.1.
  std::string conninfo(const std::string& database = "postgres") const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + database;
  }
  // The same over the unix socket (no TCP overhead).
  std::string socket_conninfo(const std::string& database = "postgres") const {
    return "host=" + socket_dir_ + " port=" + std::to_string(port_) +
           " user=postgres dbname=" + database;
  }
  int port() const { return port_; }
  const std::string& socket_dir() const { return socket_dir_; }

  // Creates an empty database and returns its name: `name`, or a fresh unique one.
  std::string create_database(std::string name = {}) {
    if (name.empty()) name = "test_" + std::to_string(++databases_);
    psql("CREATE DATABASE \"" + name + "\"");
    return name;
  }

  // Runs SQL statements with psql against `database` (as the superuser); throws on error.
  // Returns psql's unaligned, tuples-only output.
  std::string psql(const std::string& sql, const std::string& database = "postgres") const {
    const Outcome outcome =
        run({bin_ + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socket_dir_,
             "-p", std::to_string(port_), "-U", "postgres", "-d", database, "-c", sql});
    if (outcome.status != 0) throw std::runtime_error("PostgresServer: psql: " + outcome.output);
    return outcome.output;
  }

 private:
  struct Outcome {
    int status = -1;
    std::string output;
  };

  static std::string find_bin_dir() {
    std::vector<std::filesystem::path> found;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
      if (std::filesystem::exists(entry.path() / "bin" / "initdb")) found.push_back(entry.path());
    }
    if (found.empty()) {
      throw std::runtime_error(
          "PostgresServer: no /usr/lib/postgresql/<version>/bin/initdb (install postgresql)");
    }
    // Newest version: compare numerically ("9.6" < "15").
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
      return std::stod(a.filename().string()) < std::stod(b.filename().string());
    });
    return (found.back() / "bin").string();
  }

  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("PostgresServer: socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
    ::close(fd);
    if (!ok) throw std::runtime_error("PostgresServer: cannot find a free port");
    return ntohs(address.sin_port);
  }

  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::vector<std::string> server_command(std::vector<std::string> command) const {
    command.insert(command.begin(), as_user_.begin(), as_user_.end());
    return command;
  }

  // Runs `command` (no shell), its stdout and stderr captured in a file in the temp dir.
  Outcome run(const std::vector<std::string>& command) const {
    const std::string capture = dir_.file("command-" + std::to_string(++commands_) + ".out");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> argv;
    argv.reserve(command.size() + 1);
    for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    Outcome outcome;
    const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      outcome.output = "cannot run " + command[0];
      return outcome;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    outcome.output = read_file(capture);
    std::filesystem::remove(capture);
    return outcome;
  }

  void run_or_throw(const std::vector<std::string>& command, const char* what) const {
    const Outcome outcome = run(command);
    if (outcome.status != 0) {
      throw std::runtime_error(std::string("PostgresServer: ") + what +
                               " failed: " + outcome.output);
    }
  }

  TempDir dir_;
  std::string bin_;
  std::string data_;
  std::string socket_dir_;
  std::string log_;
  std::vector<std::string> as_user_;
  int port_ = 0;
  bool running_ = false;
  std::atomic<int> databases_{0};
  mutable std::atomic<int> commands_{0};
};

}  // namespace mamori::test_support
