// mamorid itself (src/mamori/server/mamorid/main.cc): with [console] and [taxii] in one
// mamori.toml it serves both, makes the console's self-signed certificate on first start, and
// stops cleanly (exit 0) on SIGTERM. The binary is run as an operator would run it.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>

#include <httplib.h>

#include "console_fixture.h"

namespace mamori::server {
namespace {

using namespace console_testing;

const std::string kMamorid = std::string(MAMORI_BINARY_DIR) + "/src/mamori/server/mamorid";

// A running mamorid whose standard output and error are read line by line.
class Daemon {
 public:
  explicit Daemon(const std::string& config) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      dup2(fds[1], STDERR_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(kMamorid.c_str(), kMamorid.c_str(), "--config", config.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Daemon() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) std::fclose(out_);
  }

  // The next line of output, or none at its end.
  std::optional<std::string> line() {
    if (out_ == nullptr) return std::nullopt;
    char buffer[1024];
    if (std::fgets(buffer, sizeof buffer, out_) == nullptr) return std::nullopt;
    return std::string(buffer);
  }

  // Sends SIGTERM and returns the exit status.
  int terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  std::FILE* out_ = nullptr;
};

TEST(Mamorid, ServesTheConsoleAndTaxiiFromOneConfig) {
  ASSERT_TRUE(std::filesystem::exists(kMamorid)) << kMamorid;
  ConsoleEnv env;
  // The environment's files and users, but mamorid instead of an in-process server.
  ASSERT_NO_FATAL_FAILURE(env.write_files(""));
  {
    auto opened = site::open_installation(env.dir.file("mamori.toml"));
    ASSERT_TRUE(opened) << opened.error().message;
    env.installation = std::move(*opened);
    ASSERT_NO_FATAL_FAILURE(env.add_users());
    env.installation.reset();
  }
  std::ofstream(env.dir.path() / "mamori.toml", std::ios::app)
      << "[taxii]\nport = 0\ncertificate = \"tls/console.crt\"\n"
      << "private_key = \"tls/console.key\"\ndatabase = \"taxii.db\"\n";

  Daemon daemon(env.dir.file("mamori.toml"));
  std::optional<int> console_port;
  std::optional<int> taxii_port;
  bool made_certificate = false;
  const std::regex console_line(R"(console at https://127\.0\.0\.1:(\d+)/)");
  const std::regex taxii_line(R"(TAXII 2\.1 at https://127\.0\.0\.1:(\d+)/taxii2/)");
  while (!console_port || !taxii_port) {
    const auto line = daemon.line();
    ASSERT_TRUE(line) << "mamorid ended before announcing both servers";
    std::smatch match;
    if (line->find("self-signed certificate") != std::string::npos) made_certificate = true;
    if (std::regex_search(*line, match, console_line)) console_port = std::stoi(match[1]);
    if (std::regex_search(*line, match, taxii_line)) taxii_port = std::stoi(match[1]);
  }
  EXPECT_TRUE(made_certificate);
  EXPECT_TRUE(std::filesystem::exists(env.dir.path() / "tls" / "console.key"));

  httplib::SSLClient console("127.0.0.1", *console_port);
  console.enable_server_certificate_verification(false);
  auto health = console.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const json login = {{"user", "analyst"}, {"password", password_of("analyst")}};
  auto session = console.Post("/api/session", login.dump(), "application/json");
  ASSERT_TRUE(session);
  EXPECT_EQ(session->status, 200) << session->body;

  httplib::SSLClient taxii("127.0.0.1", *taxii_port);
  taxii.enable_server_certificate_verification(false);
  auto discovery = taxii.Get("/taxii2/");
  ASSERT_TRUE(discovery);
  EXPECT_EQ(discovery->status, 401);  // TAXII wants its members' credentials

  // The schedule's first retention run (due at start) is logged and shows in /metrics.
  std::string retention_line;
  while (retention_line.empty()) {
    const auto line = daemon.line();
    ASSERT_TRUE(line) << "mamorid ended before its first retention run";
    if (line->find(" retention: ") != std::string::npos) retention_line = *line;
  }
  EXPECT_EQ(retention_line.find("failed"), std::string::npos) << retention_line;
  auto metrics = console.Get("/metrics", env.bearer("admin"));
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("mamori_schedule_runs_total{job=\"retention\",result=\"ok\"} 1\n"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("mamori_console_sessions 1\n"), std::string::npos) << metrics->body;

  EXPECT_EQ(daemon.terminate(), 0);
}

}  // namespace
}  // namespace mamori::server
