#pragma once
// tests/integration/workspace: a temporary directory in which the real `mamori` binary runs as
// a user would run it, with a governed installation: overseer, sensor and pseudonym keys, an
// approval covering the current configuration, and an analyst who reads for a configured purpose.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mamori/privacy/pseudonymizer.h"
#include "mamori/sieve/record.h"

namespace mamori::testing {

namespace fs = std::filesystem;

inline const std::string kMamori = std::string(MAMORI_BINARY_DIR) + "/src/mamori/cli/mamori";
inline const std::string kCountryDb = std::string(MAMORI_SOURCE_DIR) + "/data/iptoasn-country.mmdb";
constexpr std::string_view kCanary = "CANARY-7f3a9c-do-not-keep";

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct CommandRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class Workspace {
 public:
  Workspace() {
    char pattern[] = "/tmp/mamori-e2e-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  ~Workspace() { fs::remove_all(dir_); }
  const fs::path& dir() const { return dir_; }

  CommandRun mamori(const std::string& arguments, const std::string& label) const {
    const auto out = dir_ / (label + ".stdout");
    const auto err = dir_ / (label + ".stderr");
    const std::string command =
        kMamori + " " + arguments + " > '" + out.string() + "' 2> '" + err.string() + "'";
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
  }

  // Writes mamori.toml (with its [governance] and [access] sections) and, unless told not
  // to, has the overseer approve every configured category (one approval per legal basis)
  // for a window around now: keys and the analyst user are created on first use.
  void write_config(const std::string& categories, const std::string& db = "run.db",
                    bool approve = true, const std::string& extra = "") {
    categories_ = categories;
    db_ = db;
    extra_ = extra;
    approvals_.clear();
    render_config();
    if (!fs::exists(dir_ / "sensor.key")) {
      run_ok("keys new --role sensor --out '" + (dir_ / "sensor").string() + "'", "keys-sensor");
      run_ok("keys new --role overseer --out '" + (dir_ / "overseer").string() + "'",
             "keys-overseer");
    }
    if (!fs::exists(dir_ / "pseudonym.keys")) {
      run_ok("keys pseudonym --out '" + (dir_ / "pseudonym.keys").string() + "'", "keys-pseudonym");
    }
    if (!fs::exists(dir_ / "analyst.password")) {
      std::ofstream(dir_ / "analyst.password") << "correct horse battery staple\n";
    }
    // Users live in the store the configuration names: add the analyst to each new one.
    if (stores_with_users_.insert(db).second) {
      run_ok("users add " + config() + " --name analyst --role analyst --password-file '" +
                 (dir_ / "analyst.password").string() + "'",
             "users-add");
    }
    if (approve) {
      std::string list;
      for (const char* category : {"FF", "FD", "DF"}) {
        if (categories.find(category) == std::string::npos) continue;
        list += (list.empty() ? "" : ",") + std::string(category);
      }
      this->approve(list);
    }
  }

  // For each category in the comma list: drafts a request under that category's legal basis
  // from the current configuration and has the overseer (or `key`) sign it. The configuration
  // then runs under exactly these approvals; an empty list leaves it with none.
  void approve(const std::string& categories,
               const std::string& not_before = "2020-01-01T00:00:00Z",
               const std::string& not_after = "2099-01-01T00:00:00Z",
               const std::string& key = "overseer.key") {
    approvals_.clear();
    render_config();
    std::istringstream list(categories);
    for (std::string category; std::getline(list, category, ',');) {
      const std::string basis = category == "FF"   ? "foreign-foreign"
                                : category == "FD" ? "foreign-domestic"
                                                   : "domestic-foreign";
      const auto request = dir_ / ("request-" + category + ".json");
      const auto approval = dir_ / ("approval-" + category + ".json");
      run_ok("approval request " + config() + " --id req-e2e-" + category + " --basis " + basis +
                 " --categories " + category + " --not-before " + not_before + " --not-after " +
                 not_after + " --out '" + request.string() + "'",
             "approval-request");
      run_ok("approve --key '" + (dir_ / key).string() + "' --request '" + request.string() +
                 "' --out '" + approval.string() + "'",
             "approve");
      approvals_.push_back(approval.filename().string());
    }
    render_config();
  }

  // Runs the configuration under exactly these approval files (names inside the workspace).
  void use_approvals(const std::vector<std::string>& files) {
    approvals_ = files;
    render_config();
  }

  // Extra lines of the [privacy] section (after key_file), e.g. "clear = \"none\"".
  void set_privacy(const std::string& lines) {
    privacy_ = lines;
    render_config();
  }

  // A record address as the key holder sees it: pseudonyms ("p<epoch>:…") re-identified with
  // the workspace's pseudonym key file, clear addresses as they are. Tests hold the key, as
  // the overseer would, to compare records with ground truth.
  std::string clear_address(const std::string& text) {
    auto parsed = sieve::parse_address_text(text);
    if (!parsed)
      throw std::runtime_error("record address does not parse: " + parsed.error().message);
    if (parsed->pseudonym_epoch == 0) return text;
    if (!keys_) {
      auto keys = privacy::Pseudonymizer::open((dir_ / "pseudonym.keys").string());
      if (!keys) throw std::runtime_error(keys.error().message);
      keys_.emplace(std::move(*keys));
    }
    auto address = keys_->reidentify({parsed->pseudonym_epoch, parsed->ip});
    if (!address) throw std::runtime_error(address.error().message);
    return address->to_string();
  }

  // Arguments with which the analyst reads for the configured purpose.
  std::string analyst() const {
    return "--user analyst --password-file '" + (dir_ / "analyst.password").string() +
           "' --purpose attack-analysis";
  }

  void run_ok(const std::string& arguments, const std::string& label) const {
    const CommandRun run = mamori(arguments, label);
    if (run.exit_code != 0) {
      throw std::runtime_error("mamori " + arguments + " failed: " + run.err);
    }
  }
  std::string config() const { return "--config '" + (dir_ / "mamori.toml").string() + "'"; }
  std::string capture() const { return (dir_ / "capture.pcap").string(); }

 private:
  void render_config() const {
    std::string approvals;
    for (const auto& file : approvals_)
      approvals += (approvals.empty() ? "\"" : ", \"") + file + "\"";
    std::ofstream config(dir_ / "mamori.toml");
    config << "sensor = \"gw-e2e\"\n"
           << "country_db = \"" << kCountryDb << "\"\n"
           << "categories = " << categories_ << "\n"
           << "ruleset = \"capture.rules.toml\"\n"
           << "store = \"sqlite:" << db_ << "\"\n"
           << "inspect_bytes = 4096\n"
           << extra_ << "\n"
           << "[governance]\n"
           << "overseer_key = \"overseer.pub\"\n"
           << "ledger_key = \"sensor.key\"\n"
           << "approvals = [" << approvals << "]\n"
           << "retention = \"30d\"\n"
           << "[privacy]\n"
           << "key_file = \"pseudonym.keys\"\n"
           << privacy_ << "\n"
           << "[share]\n"
           << "k = 2\n"
           << "window = \"1h\"\n"
           << "[[access.purposes]]\n"
           << "id = \"attack-analysis\"\n"
           << "label_ja = \"特定不正行為による被害の防止のための分析\"\n"
           << "label_en = \"analysis to prevent damage from attacks\"\n"
           << "roles = [\"analyst\", \"overseer\"]\n";
  }

  fs::path dir_;
  std::string categories_;
  std::string db_;
  std::string extra_;
  std::string privacy_;
  std::optional<privacy::Pseudonymizer> keys_;
  std::vector<std::string> approvals_;
  std::set<std::string> stores_with_users_;
};

}  // namespace mamori::testing
