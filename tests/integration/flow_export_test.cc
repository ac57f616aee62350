// End to end over flow exports: softflowd reads a synthetic capture and exports its flows as
// IPFIX (and NetFlow v9) to `mamori collect` on 127.0.0.1; the records the collector stores
// must be the flows that `mamori sieve` selects from the same capture with the same ip/port
// rules: same 5-tuples (orientation included), same packet counts per direction, and the same
// IP-layer byte counts. A content rule in the ruleset is reported as not applicable and
// selects nothing from flow records. Nothing is sent anywhere but 127.0.0.1.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "workspace.h"

namespace {

namespace fs = std::filesystem;
using mamori::testing::CommandRun;
using mamori::testing::kMamori;
using mamori::testing::read_file;
using mamori::testing::Workspace;
using nlohmann::json;

const char* const kSoftflowd = "/usr/sbin/softflowd";

// Port rules for services synth's standard profile uses, an ip rule, and one content rule
// (which cannot apply to flow records).
constexpr std::string_view kRules = R"(
[[rule]]
id = "https"
kind = "port"
value = "tcp/443"

[[rule]]
id = "dns"
kind = "port"
value = "udp/53"

[[rule]]
id = "ssh"
kind = "port"
value = "tcp/22"

[[rule]]
id = "some-domain"
kind = "domain"
value = ".example"
)";

using Tuple = std::tuple<std::string, int, std::string, int, std::string>;
struct Counts {
  std::array<std::uint64_t, 2> packets{};
  std::array<std::uint64_t, 2> bytes{};
};

std::vector<json> parse_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

std::string describe(const Tuple& t) {
  return std::get<4>(t) + " " + std::get<0>(t) + ":" + std::to_string(std::get<1>(t)) + " -> " +
         std::get<2>(t) + ":" + std::to_string(std::get<3>(t));
}

// Records by 5-tuple, keeping those matched by a rule other than the content rule (the packet
// sieve may also select flows by domain; the flow sieve cannot).
std::map<Tuple, Counts> by_tuple(const std::vector<json>& records) {
  std::map<Tuple, Counts> out;
  for (const auto& record : records) {
    bool indicator = false;
    for (const auto& match : record["matches"]) indicator |= match["rule"] != "some-domain";
    if (!indicator) continue;
    Counts& c = out[Tuple(record["src"]["ip"], record["src"]["port"], record["dst"]["ip"],
                          record["dst"]["port"], record["proto"])];
    int d = 0;
    for (const char* direction : {"fwd", "rev"}) {
      c.packets[d] += record["packets"][direction].get<std::uint64_t>();
      c.bytes[d] += record["bytes"][direction].get<std::uint64_t>();
      ++d;
    }
  }
  return out;
}

// `mamori collect` in the background: started, its "listening on" line read from stderr.
class Collector {
 public:
  Collector(const Workspace& workspace, const std::string& label) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
    stdout_path_ = workspace.dir() / (label + ".stdout");
    const std::string config = (workspace.dir() / "mamori.toml").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], 2);
      const int out = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(out, 1);
      ::close(pipe_fds[0]);
      ::execl(kMamori.c_str(), kMamori.c_str(), "collect", "--json", "--config", config.c_str(),
              "--listen", "127.0.0.1:0", "--pair-wait", "3600", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    err_ = ::fdopen(pipe_fds[0], "r");
    std::array<char, 4096> line{};
    while (std::fgets(line.data(), line.size(), err_) != nullptr) {
      const std::string text(line.data());
      stderr_ += text;
      const std::string marker = "mamori collect: listening on 127.0.0.1:";
      if (const auto at = text.find(marker); at != std::string::npos) {
        port_ = std::stoi(text.substr(at + marker.size()));
        return;
      }
    }
  }
  ~Collector() {
    if (pid_ > 0 && exit_code_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (err_ != nullptr) std::fclose(err_);
  }
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  int port() const { return port_; }
  const std::string& err() const { return stderr_; }

  // SIGTERM, then the exit code; the summary JSON is on stdout.
  int stop() {
    ::kill(pid_, SIGTERM);
    std::array<char, 4096> line{};
    while (std::fgets(line.data(), line.size(), err_) != nullptr) stderr_ += line.data();
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }
  json summary() const { return json::parse(read_file(stdout_path_)); }

 private:
  pid_t pid_ = -1;
  FILE* err_ = nullptr;
  int port_ = 0;
  int exit_code_ = -1;
  std::string stderr_;
  fs::path stdout_path_;
};

class FlowExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    workspace_ = new Workspace();
    const CommandRun synth = workspace_->mamori(
        "synth --out '" + workspace_->capture() + "' --seed 20261203 --size-mb 1", "synth");
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
    std::ofstream(workspace_->dir() / "capture.rules.toml") << kRules;
    workspace_->write_config(R"(["FF", "FD", "DF"])", "sieve.db");
    const CommandRun sieve =
        workspace_->mamori("sieve --json --no-progress " + workspace_->config() + " --input '" +
                               workspace_->capture() + "'",
                           "sieve");
    ASSERT_EQ(sieve.exit_code, 0) << sieve.err;
    const CommandRun records = workspace_->mamori(
        "records --limit 0 --format jsonl " + workspace_->config() + " " + workspace_->analyst(),
        "sieve-records");
    ASSERT_EQ(records.exit_code, 0) << records.err;
    expected_ = new std::map<Tuple, Counts>(by_tuple(parse_lines(records.out)));
  }
  static void TearDownTestSuite() {
    delete expected_;
    delete workspace_;
  }

  // Runs softflowd with the export `version` into a fresh store; returns the stored records.
  static std::vector<json> collect(const std::string& version, json& summary) {
    workspace_->write_config(R"(["FF", "FD", "DF"])", "collect-v" + version + ".db");
    Collector collector(*workspace_, "collect-v" + version);
    EXPECT_NE(collector.port(), 0) << collector.err();
    if (collector.port() == 0) return {};
    // -r: the whole capture, every flow exported at its end (softflowd exits after that). No
    // -c: with a control socket path of its own, softflowd 1.1.0 -r does not exit.
    const std::string command =
        std::string(kSoftflowd) + " -d -r '" + workspace_->capture() +
        "' -n 127.0.0.1:" + std::to_string(collector.port()) + " -v " + version + " -p '" +
        (workspace_->dir() / "softflowd.pid").string() + "' > '" +
        (workspace_->dir() / ("softflowd-v" + version + ".out")).string() + "' 2>&1";
    const int status = std::system(command.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << read_file(workspace_->dir() / ("softflowd-v" + version + ".out"));
    EXPECT_EQ(collector.stop(), 0) << collector.err();
    summary = collector.summary();
    // Nothing lost on loopback: every record softflowd says it exported was decoded ("Flows
    // exported: 720 (1041 records) in 34 packets"). Its sequence numbers are not used for this:
    // softflowd 1.1.0 does not number IPFIX data records as RFC 7011 says.
    const std::string report = read_file(workspace_->dir() / ("softflowd-v" + version + ".out"));
    const auto open = report.find("Flows exported: ");
    const auto at = open == std::string::npos ? open : report.find('(', open);
    EXPECT_NE(at, std::string::npos) << report;
    if (at != std::string::npos) {
      EXPECT_EQ(summary.at("collector").at("records").get<std::uint64_t>(),
                std::stoull(report.substr(at + 1)));
      EXPECT_EQ(summary.at("export_records"), summary.at("collector").at("records"));
    }
    const CommandRun records = workspace_->mamori(
        "records --limit 0 --format jsonl " + workspace_->config() + " " + workspace_->analyst(),
        "collect-records-v" + version);
    EXPECT_EQ(records.exit_code, 0) << records.err;
    return parse_lines(records.out);
  }

  static void expect_same_as_sieve(const std::vector<json>& records) {
    const auto collected = by_tuple(records);
    ASSERT_FALSE(expected_->empty()) << "the ruleset selects nothing from the capture";
    std::size_t missed = 0, extra = 0, differing = 0;
    for (const auto& [tuple, counts] : *expected_) {
      const auto it = collected.find(tuple);
      if (it == collected.end()) {
        if (++missed <= 5) ADD_FAILURE() << "not collected: " << describe(tuple);
        continue;
      }
      if (it->second.packets != counts.packets) {
        if (++differing <= 5) {
          ADD_FAILURE() << describe(tuple) << " packets " << it->second.packets[0] << "/"
                        << it->second.packets[1] << ", sieve " << counts.packets[0] << "/"
                        << counts.packets[1];
        }
        continue;
      }
      // The sieve counts frame bytes (Ethernet header included); exporters count IP bytes.
      // synth tags some links' frames with 802.1Q, whose headers are 18 bytes, not 14.
      for (int d = 0; d < 2; ++d) {
        const std::uint64_t untagged = counts.bytes[d] - 14 * counts.packets[d];
        const std::uint64_t tagged = counts.bytes[d] - 18 * counts.packets[d];
        const std::uint64_t ip_bytes = it->second.bytes[d] == tagged ? tagged : untagged;
        if (it->second.bytes[d] != ip_bytes && ++differing <= 5) {
          ADD_FAILURE() << describe(tuple) << " direction " << d << " bytes " << it->second.bytes[d]
                        << ", sieve (IP layer) " << ip_bytes;
        }
      }
    }
    for (const auto& [tuple, counts] : collected) {
      if (!expected_->contains(tuple) && ++extra <= 5) {
        ADD_FAILURE() << "collected but not selected by the sieve: " << describe(tuple);
      }
    }
    EXPECT_EQ(missed, 0u);
    EXPECT_EQ(extra, 0u);
    EXPECT_EQ(differing, 0u);
  }

  static void expect_summary(const json& summary) {
    EXPECT_EQ(summary.at("rules_not_applicable"), 1);
    EXPECT_EQ(summary.at("not_applicable_rules"), json::array({"some-domain"}));
    const auto& collector = summary.at("collector");
    EXPECT_GT(collector.at("datagrams").get<std::uint64_t>(), 0u);
    EXPECT_EQ(collector.at("malformed_datagrams"), 0);
    EXPECT_EQ(collector.at("oversize_datagrams"), 0);
    EXPECT_EQ(collector.at("unknown_template_sets"), 0);
    EXPECT_EQ(summary.at("records"), summary.at("selected_flows"));
  }

  static Workspace* workspace_;
  static std::map<Tuple, Counts>* expected_;
};

Workspace* FlowExport::workspace_ = nullptr;
std::map<Tuple, Counts>* FlowExport::expected_ = nullptr;

TEST_F(FlowExport, IpfixFromSoftflowdSelectsTheSameFlowsAsThePacketSieve) {
  json summary;
  const auto records = collect("10", summary);
  expect_summary(summary);
  expect_same_as_sieve(records);
}

TEST_F(FlowExport, NetflowV9FromSoftflowdSelectsTheSameFlowsAsThePacketSieve) {
  json summary;
  const auto records = collect("9", summary);
  expect_summary(summary);
  expect_same_as_sieve(records);
}

}  // namespace
