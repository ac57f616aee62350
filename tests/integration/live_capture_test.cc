// Live capture end to end: the real `mamori sieve --interface` captures on one end of a veth
// pair inside a network namespace the test creates, tcpreplay sends a synthetic capture into
// the other end, and SIGTERM ends the run. The run must end the way a file run ends (open
// flows decided, store flushed, summary written) and keep the same records as `mamori sieve
// --input` over the same file. Traffic never leaves that namespace: both veth ends live in it,
// and the namespace is deleted whatever happens. Needs root (namespaces, raw sockets); skipped
// with the reason only when the namespace cannot be created.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workspace.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using mamori::testing::CommandRun;
using mamori::testing::kMamori;
using mamori::testing::read_file;
using mamori::testing::Workspace;
using nlohmann::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Bounds every wait so that a broken run fails the test rather than hanging it.
constexpr auto kPatience = 60s;

int shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A network namespace with a veth pair inside it (vethA, vethB), both up. IPv6 is off in the
// namespace so the kernel sends nothing of its own (no router solicitations, no DAD) and the
// only packets on the link are the test's. Deleted in the destructor, which also removes the
// veth pair.
class VethNamespace {
 public:
  VethNamespace() {
    static int counter = 0;
    name_ = "mamori-live-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
    const std::string log = "/tmp/" + name_ + ".log";
    if (shell("ip netns add " + name_ + " > " + log + " 2>&1") != 0) {
      skip_ = "cannot create a network namespace (ip netns add): " + read_file(log);
      fs::remove(log);
      return;
    }
    created_ = true;
    // Best effort: a kernel without IPv6 has nothing to switch off.
    shell(
        exec("sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; "
             "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null"));
    // A jumbo MTU so that no synthetic packet is too long to replay.
    const std::string ip = "ip -n " + name_ + " ";
    if (shell(ip + "link add vethA mtu 9000 type veth peer name vethB mtu 9000 >> " + log +
              " 2>&1") != 0 ||
        shell(ip + "link set vethA up >> " + log + " 2>&1") != 0 ||
        shell(ip + "link set vethB up >> " + log + " 2>&1") != 0) {
      error_ = "cannot set up the veth pair: " + read_file(log);
    }
    fs::remove(log);
  }
  ~VethNamespace() {
    if (created_) shell("ip netns del " + name_ + " > /dev/null 2>&1");
  }
  VethNamespace(const VethNamespace&) = delete;
  VethNamespace& operator=(const VethNamespace&) = delete;

  const std::string& name() const { return name_; }
  const std::string& skip() const { return skip_; }
  const std::string& error() const { return error_; }
  std::string exec(const std::string& command) const {
    return "ip netns exec " + name_ + " " + command;
  }

 private:
  std::string name_;
  std::string skip_;
  std::string error_;
  bool created_ = false;
};

// `mamori sieve --interface vethA` inside the namespace, run in the background: stdout goes
// to a file, stderr through a pipe the test reads to know when the capture is active.
// `ip netns exec` execs the command, so the child's pid is mamori's own.
class LiveSieve {
 public:
  LiveSieve(const VethNamespace& ns, const Workspace& workspace, const std::string& label)
      : out_path_(workspace.dir() / (label + ".stdout")) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    const std::string config = (workspace.dir() / "mamori.toml").string();
    std::vector<std::string> args = {"ip",       "netns", "exec",        ns.name(),
                                     kMamori,    "sieve", "--json",      "--no-progress",
                                     "--config", config,  "--interface", "vethA"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "ip", &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    err_fd_ = pipe_fds[0];
  }
  ~LiveSieve() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (err_fd_ >= 0) close(err_fd_);
  }
  LiveSieve(const LiveSieve&) = delete;
  LiveSieve& operator=(const LiveSieve&) = delete;

  bool started() const { return pid_ > 0; }

  // Reads stderr until the "capturing on" line (true) or until stderr closes or time runs
  // out (false).
  bool wait_until_capturing() {
    const auto deadline = SteadyClock::now() + kPatience;
    while (err_.find("mamori sieve: capturing on vethA") == std::string::npos) {
      if (!read_stderr(deadline)) return false;
    }
    return true;
  }

  void signal(int number) const { kill(pid_, number); }

  // Waits for the exit (stderr closes first), then returns what the run printed.
  CommandRun wait_for_exit() {
    const auto deadline = SteadyClock::now() + kPatience;
    while (read_stderr(deadline)) {
    }
    int status = 0;
    CommandRun run;
    if (SteadyClock::now() < deadline && waitpid(pid_, &status, 0) == pid_) {
      pid_ = -1;
      run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    run.out = read_file(out_path_);
    run.err = err_;
    return run;
  }

 private:
  // Appends what stderr has; false at its end or past the deadline.
  bool read_stderr(SteadyClock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left <= 0ms) return false;
    pollfd fd{.fd = err_fd_, .events = POLLIN, .revents = 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[4096];
    const ssize_t got = read(err_fd_, buffer, sizeof buffer);
    if (got <= 0) return false;
    err_.append(buffer, static_cast<std::size_t>(got));
    return true;
  }

  fs::path out_path_;
  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::string err_;
};

std::vector<json> parse_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

// A record without what depends on when packets arrived: tcpreplay re-times them, so first
// and last seen differ, and the flow id is the run's own numbering.
std::multiset<std::string> timing_free(const std::vector<json>& records) {
  std::multiset<std::string> out;
  for (json record : records) {
    for (const char* key : {"flow", "first_seen", "last_seen"}) record.erase(key);
    out.insert(record.dump());
  }
  return out;
}

std::vector<json> ledger_events(const Workspace& workspace, const std::string& type) {
  const auto path = workspace.dir() / "ledger.jsonl";
  workspace.run_ok("ledger export " + workspace.config() + " --out '" + path.string() + "'",
                   "export");
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto entry = json::parse(line, nullptr, false);
    if (entry.is_object() && entry.value("type", "") == type) out.push_back(entry);
  }
  return out;
}

TEST(LiveCaptureOptions, InputAndInterfaceExcludeEachOther) {
  Workspace workspace_;
  workspace_.write_config(R"(["FF"])", "run.db", false);
  const CommandRun both = workspace_.mamori(
      "sieve " + workspace_.config() + " --input x.pcap --interface vethA", "both");
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_NE(both.err.find("exclude each other"), std::string::npos) << both.err;
  const CommandRun neither = workspace_.mamori("sieve " + workspace_.config(), "neither");
  EXPECT_EQ(neither.exit_code, 1);
  EXPECT_NE(neither.err.find("no input"), std::string::npos) << neither.err;
}

class LiveCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ns_.skip().empty()) GTEST_SKIP() << ns_.skip();
    ASSERT_TRUE(ns_.error().empty()) << ns_.error();
  }

  VethNamespace ns_;
  Workspace workspace_;
};

// tcpreplay --topspeed compresses the capture's time: a flow the file run ends at the idle
// timeout (60 s by default) and that comes back on the same ports would be one flow live. Both
// runs use timeouts longer than the capture (240 s), so flow boundaries depend on the packets
// alone.
TEST_F(LiveCapture, SigtermEndsTheRunWithTheSameRecordsAsTheFile) {
  const CommandRun synth = workspace_.mamori(
      "synth --out '" + workspace_.capture() + "' --seed 20261203 --size-mb 1", "synth");
  ASSERT_EQ(synth.exit_code, 0) << synth.err;

  // The reference: the same file through `mamori sieve --input`, into a store of its own.
  const std::string timeouts = "idle_timeout = \"1h\"\nactive_timeout = \"2h\"";
  workspace_.write_config(R"(["FF", "FD", "DF"])", "file.db", true, timeouts);
  const CommandRun file_run =
      workspace_.mamori("sieve --json --no-progress " + workspace_.config() + " --input '" +
                            workspace_.capture() + "'",
                        "sieve-file");
  ASSERT_EQ(file_run.exit_code, 0) << file_run.err;
  const CommandRun file_records = workspace_.mamori(
      "records --limit 0 --format jsonl " + workspace_.config() + " " + workspace_.analyst(),
      "records-file");
  ASSERT_EQ(file_records.exit_code, 0) << file_records.err;
  const auto expected = timing_free(parse_lines(file_records.out));
  ASSERT_FALSE(expected.empty()) << "the synthetic capture should have selected flows";

  workspace_.write_config(R"(["FF", "FD", "DF"])", "live.db", true, timeouts);
  LiveSieve sieve(ns_, workspace_, "sieve-live");
  ASSERT_TRUE(sieve.started());
  ASSERT_TRUE(sieve.wait_until_capturing()) << sieve.wait_for_exit().err;
  const int replayed =
      shell(ns_.exec("tcpreplay -q -i vethB --topspeed '" + workspace_.capture() + "' > '" +
                     (workspace_.dir() / "tcpreplay.log").string() + "' 2>&1"));
  ASSERT_EQ(replayed, 0) << read_file(workspace_.dir() / "tcpreplay.log");
  sieve.signal(SIGTERM);
  const CommandRun live_run = sieve.wait_for_exit();
  ASSERT_EQ(live_run.exit_code, 0) << live_run.err;

  const json summary = json::parse(live_run.out);
  const json file_summary = json::parse(file_run.out);
  ASSERT_TRUE(summary.contains("capture")) << summary.dump(2);
  const json& capture = summary["capture"];
  EXPECT_EQ(capture["interface"], "vethA");
  EXPECT_EQ(capture["tpacket_version"], 3);
  EXPECT_EQ(capture["stopped_by"], "SIGTERM");
  for (const char* counter : {"received", "dropped", "interface_dropped", "delivered"}) {
    EXPECT_TRUE(capture.contains(counter) && capture[counter].is_number_unsigned()) << counter;
  }
  EXPECT_EQ(capture["dropped"], 0) << "the ring dropped packets; the records cannot match";
  // Every packet of the file, and nothing else, came over the link.
  EXPECT_EQ(summary["packets"], file_summary["packets"]);
  EXPECT_EQ(capture["delivered"], file_summary["packets"]);
  EXPECT_FALSE(file_summary.contains("capture"));  // file runs keep their summary as it was

  const CommandRun live_records = workspace_.mamori(
      "records --limit 0 --format jsonl " + workspace_.config() + " " + workspace_.analyst(),
      "records-live");
  ASSERT_EQ(live_records.exit_code, 0) << live_records.err;
  const auto kept = timing_free(parse_lines(live_records.out));
  EXPECT_EQ(summary["records"], file_summary["records"]);
  EXPECT_EQ(kept.size(), expected.size());
  EXPECT_TRUE(kept == expected) << "live and file records differ";
  int shown = 0;
  for (const auto& record : expected) {
    if (!kept.contains(record) && ++shown <= 3) ADD_FAILURE() << "not kept live: " << record;
  }
  for (const auto& record : kept) {
    if (!expected.contains(record) && ++shown <= 6) ADD_FAILURE() << "only live: " << record;
  }

  // The run ended in the ledger, as a live run, with the capture's counters.
  const auto started = ledger_events(workspace_, "run.started");
  const auto ended = ledger_events(workspace_, "run.ended");
  ASSERT_FALSE(started.empty());
  ASSERT_FALSE(ended.empty());
  EXPECT_EQ(started.back()["body"]["input"], "live:vethA");
  EXPECT_EQ(ended.back()["body"]["run_id"], started.back()["body"]["run_id"]);
  EXPECT_EQ(ended.back()["body"]["summary"]["capture"], capture);
  EXPECT_EQ(ended.back()["body"]["summary"]["records"], summary["records"]);
}

TEST_F(LiveCapture, SigintStopsACaptureOnAQuietLinkPromptly) {
  const CommandRun synth =
      workspace_.mamori("synth --out '" + workspace_.capture() + "' --seed 7 --size-mb 1", "synth");
  ASSERT_EQ(synth.exit_code, 0) << synth.err;  // for its ruleset
  workspace_.write_config(R"(["FF", "FD", "DF"])");
  LiveSieve sieve(ns_, workspace_, "sieve-quiet");
  ASSERT_TRUE(sieve.started());
  ASSERT_TRUE(sieve.wait_until_capturing()) << sieve.wait_for_exit().err;
  const auto signalled = SteadyClock::now();
  sieve.signal(SIGINT);
  const CommandRun run = sieve.wait_for_exit();
  // Stopping is one drain period (tens of ms) plus the end of the run; well under 5 s even
  // on shared cores.
  EXPECT_LT(SteadyClock::now() - signalled, 5s);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json summary = json::parse(run.out);
  EXPECT_EQ(summary["packets"], 0);
  EXPECT_EQ(summary["capture"]["stopped_by"], "SIGINT");
  EXPECT_EQ(summary["capture"]["delivered"], 0);
  EXPECT_EQ(ledger_events(workspace_, "run.ended").size(), 1u);
}

TEST_F(LiveCapture, MissingInterfaceIsRefusedBeforeARunBegins) {
  const CommandRun synth =
      workspace_.mamori("synth --out '" + workspace_.capture() + "' --seed 7 --size-mb 1", "synth");
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  workspace_.write_config(R"(["FF", "FD", "DF"])");
  const CommandRun run = workspace_.mamori(
      "sieve --no-progress " + workspace_.config() + " --interface mamori-none0", "missing");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("interface 'mamori-none0'"), std::string::npos) << run.err;
  EXPECT_TRUE(ledger_events(workspace_, "run.started").empty());
}

}  // namespace
