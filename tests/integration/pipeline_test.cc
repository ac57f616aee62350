// End-to-end tests of the `mamori` command on synthetic captures with ground truth: what is
// selected agrees with the truth, and the invariants hold on every file and stream the run
// produces. The binary is run as a user would run it.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/ip.h"
#include "mamori/sieve/record.h"
#include "workspace.h"

namespace {

namespace fs = std::filesystem;
using mamori::testing::CommandRun;
using mamori::testing::kCanary;
using mamori::testing::read_file;
using mamori::testing::Workspace;
using nlohmann::json;

using FlowTuple = std::tuple<std::string, int, std::string, int, std::string>;

std::string reversed(const std::string& category) {
  return category == "FD" ? "DF" : category == "DF" ? "FD" : category;
}

// The truth's selection under an authorization, with the sieve's documented rule for flows
// whose first packet cannot tell who opened them (a UDP datagram from a service port to an
// ephemeral one, a TCP segment without SYN): such a flow is processed only when both of its
// orientations are authorized (docs/compliance.md, I3).
std::set<FlowTuple> expected_selected(const json& truth, const std::set<std::string>& authorized) {
  std::set<FlowTuple> out;
  for (const auto& flow : truth["flows"]) {
    const std::string category = flow["category"];
    if (flow["rules"].empty() || !authorized.contains(category)) continue;
    const bool opener_unknown = flow["protocol"] == "udp" && flow["src_port"].get<int>() < 1024 &&
                                flow["dst_port"].get<int>() >= 1024;
    if (opener_unknown && !authorized.contains(reversed(category))) continue;
    out.emplace(flow["src"], flow["src_port"], flow["dst"], flow["dst_port"], flow["protocol"]);
  }
  return out;
}

std::string describe(const FlowTuple& flow) {
  return std::get<4>(flow) + " " + std::get<0>(flow) + ":" + std::to_string(std::get<1>(flow)) +
         " -> " + std::get<2>(flow) + ":" + std::to_string(std::get<3>(flow));
}

// Selected flows must be exactly the expected ones; failures name a few of the differences.
void expect_same_flows(const std::set<FlowTuple>& selected, const std::set<FlowTuple>& expected) {
  std::vector<FlowTuple> missed, extra;
  std::set_difference(expected.begin(), expected.end(), selected.begin(), selected.end(),
                      std::back_inserter(missed));
  std::set_difference(selected.begin(), selected.end(), expected.begin(), expected.end(),
                      std::back_inserter(extra));
  for (std::size_t i = 0; i < std::min<std::size_t>(missed.size(), 5); ++i) {
    ADD_FAILURE() << "not selected: " << describe(missed[i]);
  }
  for (std::size_t i = 0; i < std::min<std::size_t>(extra.size(), 5); ++i) {
    ADD_FAILURE() << "selected against the truth: " << describe(extra[i]);
  }
  EXPECT_EQ(missed.size(), 0u);
  EXPECT_EQ(extra.size(), 0u);
}

// Records hold pseudonyms (I5); the workspace holds the key to compare them with the truth.
std::set<FlowTuple> selected_flows(Workspace& workspace, const std::vector<json>& records) {
  std::set<FlowTuple> out;
  for (const auto& record : records) {
    out.emplace(workspace.clear_address(record["src"]["ip"]), record["src"]["port"],
                workspace.clear_address(record["dst"]["ip"]), record["dst"]["port"],
                record["proto"]);
  }
  return out;
}

std::vector<json> parse_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

// The addresses the records' pseudonyms ("p<epoch>:<address>") are written as. A pseudonym is
// an address of the same family, so with a fresh random key one can be, by chance, the very
// bytes of a clear address the tests look for: the store's binary column cannot tell the two
// apart, the text form can (the "p<epoch>:" mark).
// With `pseudonymous` false: the clear addresses in the records.
std::set<std::string> record_addresses(const std::vector<json>& records, bool pseudonymous) {
  std::set<std::string> out;
  auto visit = [&](const auto& self, const json& value) -> void {
    if (value.is_string()) {
      const auto parsed = mamori::sieve::parse_address_text(value.get<std::string>());
      if (parsed && (parsed->pseudonym_epoch != 0) == pseudonymous) {
        out.insert(parsed->ip.to_string());
      }
    } else if (value.is_structured()) {
      for (const auto& item : value) self(self, item);
    }
  };
  for (const auto& record : records) visit(visit, record);
  return out;
}

class Pipeline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    workspace_ = new Workspace();
    const CommandRun synth =
        workspace_->mamori("synth --out '" + workspace_->capture() +
                               "' --seed 20261122 --size-mb 6 --canary " + std::string(kCanary),
                           "synth");
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
    truth_ = new json(json::parse(read_file(workspace_->dir() / "capture.truth.json")));
    workspace_->write_config(R"(["FF", "FD", "DF"])");
    sieve_ =
        new CommandRun(workspace_->mamori("sieve --json --no-progress " + workspace_->config() +
                                              " --input '" + workspace_->capture() + "'",
                                          "sieve"));
    records_ = new CommandRun(workspace_->mamori(
        "records --limit 0 --format jsonl " + workspace_->config() + " " + workspace_->analyst(),
        "records"));
  }
  static void TearDownTestSuite() {
    delete records_;
    delete sieve_;
    delete truth_;
    delete workspace_;
  }

  // Every file the run wrote, except the inputs it was given.
  static std::vector<fs::path> outputs() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(workspace_->dir())) {
      const auto name = entry.path().filename().string();
      if (name.starts_with("capture.")) continue;  // synth's pcap, truth, ruleset and lists
      files.push_back(entry.path());
    }
    return files;
  }

  static Workspace* workspace_;
  static json* truth_;
  static CommandRun* sieve_;
  static CommandRun* records_;
};

Workspace* Pipeline::workspace_ = nullptr;
json* Pipeline::truth_ = nullptr;
CommandRun* Pipeline::sieve_ = nullptr;
CommandRun* Pipeline::records_ = nullptr;

TEST_F(Pipeline, SelectsExactlyTheFlowsTheTruthSays) {
  ASSERT_EQ(sieve_->exit_code, 0) << sieve_->err;
  ASSERT_EQ(records_->exit_code, 0) << records_->err;
  const auto expected = expected_selected(*truth_, {"FF", "FD", "DF"});
  ASSERT_FALSE(expected.empty());
  expect_same_flows(selected_flows(*workspace_, parse_lines(records_->out)), expected);
  const json summary = json::parse(sieve_->out);
  EXPECT_EQ(summary["packets"].get<std::uint64_t>(),
            (*truth_)["capture"]["packets"].get<std::uint64_t>());
  EXPECT_EQ(summary["records"].get<std::size_t>(), parse_lines(records_->out).size());
}

TEST_F(Pipeline, Invariant_I1_CanaryPayloadBytesReachNoOutput) {
  ASSERT_EQ(sieve_->exit_code, 0) << sieve_->err;
  // The canary really is in the capture, so its absence below means something.
  ASSERT_NE(read_file(workspace_->capture()).find(kCanary), std::string::npos);
  for (const auto& file : outputs()) {
    EXPECT_EQ(read_file(file).find(kCanary), std::string::npos) << file;
  }
}

TEST_F(Pipeline, Invariant_I1_UnselectedAddressesReachNoOutput) {
  ASSERT_EQ(sieve_->exit_code, 0) << sieve_->err;
  ASSERT_EQ(records_->exit_code, 0) << records_->err;
  const auto& hosts = (*truth_)["unselected_hosts"];
  ASSERT_GT(hosts.size(), 10u);
  const auto pseudonyms = record_addresses(parse_lines(records_->out), true);
  for (const auto& file : outputs()) {
    const std::string content = read_file(file);
    for (const auto& host : hosts) {
      const auto text = host.get<std::string>();
      const auto address = mamori::IpAddress::parse(text);
      ASSERT_TRUE(address) << text;
      // As text (JSON, logs, tables) ...
      EXPECT_EQ(content.find("\"" + text + "\""), std::string::npos) << text << " in " << file;
      EXPECT_EQ(content.find(" " + text + ":"), std::string::npos) << text << " in " << file;
      // ... and as the binary forms a database would hold, unless a pseudonym has these bytes.
      if (pseudonyms.contains(text)) continue;
      const auto& bytes = address->bytes();
      const std::string mapped(bytes.begin(), bytes.end());
      const std::string raw = address->is_v4() ? mapped.substr(12) : mapped;
      EXPECT_EQ(content.find(mapped), std::string::npos) << text << " (binary) in " << file;
      if (!address->is_v4()) {
        EXPECT_EQ(content.find(raw), std::string::npos) << text << " (binary) in " << file;
      }
    }
  }
}

// Whether `text` occurs in `content` as a whole address (not inside a longer number).
bool contains_address_text(const std::string& content, const std::string& text) {
  auto part_of_address = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
           c == ':';
  };
  for (std::size_t at = content.find(text); at != std::string::npos;
       at = content.find(text, at + 1)) {
    const bool starts = at == 0 || !part_of_address(content[at - 1]);
    const std::size_t end = at + text.size();
    // "133.242.0.9:443" and "133.242.0.9." (end of a sentence) are still the address.
    const bool ends =
        end == content.size() || !part_of_address(content[end]) ||
        (content[end] == ':' && text.find(':') == std::string::npos) ||
        (content[end] == '.' && (end + 1 == content.size() || !part_of_address(content[end + 1])));
    if (starts && ends) return true;
  }
  return false;
}

// The canary of I5: the domestic endpoints of the selected flows are in the capture and in
// the records' meaning, yet in no file or stream any command wrote — store, ledger, export,
// shareable aggregates, inspection report, logs — as text or as the store's binary form. The
// key holder recovers each of them from the record's pseudonym.
TEST_F(Pipeline, Invariant_I5_DomesticAddressesOfSelectedFlowsNeverAppearInClear) {
  ASSERT_EQ(sieve_->exit_code, 0) << sieve_->err;
  ASSERT_EQ(records_->exit_code, 0) << records_->err;
  std::set<std::string> domestic;
  for (const auto& flow : (*truth_)["flows"]) {
    if (flow["rules"].empty()) continue;
    if (flow["category"] == "FD") domestic.insert(flow["dst"].get<std::string>());
    if (flow["category"] == "DF") domestic.insert(flow["src"].get<std::string>());
  }
  ASSERT_GT(domestic.size(), 5u);

  // Every record's domestic side is a pseudonym of one of them.
  std::size_t pseudonymous = 0;
  for (const auto& record : parse_lines(records_->out)) {
    for (const char* side : {"src", "dst"}) {
      if (record[side]["country"] != "JP") continue;
      const std::string text = record[side]["ip"];
      ASSERT_EQ(text.front(), 'p') << "domestic endpoint in clear in " << record.dump();
      EXPECT_TRUE(domestic.contains(workspace_->clear_address(text))) << text;
      ++pseudonymous;
    }
  }
  EXPECT_GT(pseudonymous, 5u);

  // Everything else a user can have the installation write.
  const fs::path dir = workspace_->dir();
  for (const auto& [arguments, label] : std::vector<std::pair<std::string, std::string>>{
           {"ledger export " + workspace_->config() + " --out '" + (dir / "ledger.jsonl").string() +
                "'",
            "i5-export"},
           {"share build " + workspace_->config() + " " + workspace_->analyst() + " --out '" +
                (dir / "share.jsonl").string() + "'",
            "i5-share"},
           {"oversight report " + workspace_->config() +
                " --from 2000-01-01T00:00:00Z --to 2100-01-01T00:00:00Z --out '" +
                (dir / "report.html").string() + "'",
            "i5-report"},
           {"records --limit 0 --format table " + workspace_->config() + " " +
                workspace_->analyst(),
            "i5-table"}}) {
    const CommandRun run = workspace_->mamori(arguments, label);
    ASSERT_EQ(run.exit_code, 0) << arguments << ": " << run.err;
  }
  // The table people read marks every pseudonym as one.
  const std::string table = read_file(dir / "i5-table.stdout");
  const auto pseudonyms = record_addresses(parse_lines(records_->out), true);
  const auto clear = record_addresses(parse_lines(records_->out), false);
  for (const std::string& pseudonym : pseudonyms) {
    if (clear.contains(pseudonym)) continue;  // a foreign host's address, rightly in clear
    EXPECT_FALSE(contains_address_text(table, pseudonym))
        << "pseudonym " << pseudonym << " without its p<epoch>: mark in the table";
  }
  for (const auto& file : outputs()) {
    const std::string content = read_file(file);
    for (const std::string& text : domestic) {
      EXPECT_FALSE(contains_address_text(content, text)) << text << " in " << file;
      // The store's 16-byte column form, unless a pseudonym has these bytes.
      if (pseudonyms.contains(text)) continue;
      const auto address = mamori::IpAddress::parse(text);
      ASSERT_TRUE(address) << text;
      const auto& bytes = address->bytes();
      const std::string stored(bytes.begin(), bytes.end());
      EXPECT_EQ(content.find(stored), std::string::npos) << text << " (binary) in " << file;
    }
  }
}

TEST_F(Pipeline, Invariant_I2_ContentNeverStored) {
  ASSERT_EQ(sieve_->exit_code, 0) << sieve_->err;
  // synth writes this marker into HTTP paths, query strings and bodies of every flow,
  // selected or not; the record has no field that could hold it.
  const std::string marker = (*truth_)["generator"]["content_marker"];
  ASSERT_NE(read_file(workspace_->capture()).find(marker), std::string::npos);
  for (const auto& file : outputs()) {
    EXPECT_EQ(read_file(file).find(marker), std::string::npos) << file;
  }
  for (const auto& record : parse_lines(records_->out)) {
    for (const auto& http : record["http"]) {
      EXPECT_EQ(http.size(), 3u);  // method, host, user_agent: nothing else
    }
  }
}

TEST_F(Pipeline, Invariant_I3_NoDomesticToDomesticRecord) {
  ASSERT_EQ(records_->exit_code, 0) << records_->err;
  const auto records = parse_lines(records_->out);
  ASSERT_FALSE(records.empty());
  for (const auto& record : records) {
    EXPECT_NE(record["category"], "DD");
    const bool src_jp = record["src"]["country"] == "JP";
    const bool dst_jp = record["dst"]["country"] == "JP";
    EXPECT_FALSE(src_jp && dst_jp) << record.dump();
  }
  const json summary = json::parse(sieve_->out);
  EXPECT_GT(summary["dropped"]["domestic_DD"].get<std::uint64_t>(), 0u);
}

TEST_F(Pipeline, Invariant_I3_OnlyAuthorizedCategoriesReachTheStore) {
  workspace_->write_config(R"(["FD"])", "fd-only.db");
  const CommandRun sieve = workspace_->mamori("sieve --json --no-progress " + workspace_->config() +
                                                  " --input '" + workspace_->capture() + "'",
                                              "sieve-fd");
  ASSERT_EQ(sieve.exit_code, 0) << sieve.err;
  const CommandRun records = workspace_->mamori(
      "records --limit 0 --format jsonl " + workspace_->config() + " " + workspace_->analyst(),
      "records-fd");
  ASSERT_EQ(records.exit_code, 0) << records.err;
  const auto lines = parse_lines(records.out);
  ASSERT_FALSE(lines.empty());
  for (const auto& record : lines) EXPECT_EQ(record["category"], "FD") << record.dump();
  expect_same_flows(selected_flows(*workspace_, lines), expected_selected(*truth_, {"FD"}));
  const json summary = json::parse(sieve.out);
  EXPECT_GT(summary["dropped"]["unauthorized_category"].get<std::uint64_t>(), 0u);
  workspace_->write_config(R"(["FF", "FD", "DF"])");
}

TEST_F(Pipeline, TruncatedCaptureKeepsEverythingBeforeTheFault) {
  const std::string full = read_file(workspace_->capture());
  const std::size_t cut = full.size() * 2 / 3 + 7;  // inside some packet record
  {
    std::ofstream out(workspace_->dir() / "capture.truncated.pcap", std::ios::binary);
    out.write(full.data(), static_cast<std::streamsize>(cut));
  }
  workspace_->write_config(R"(["FF", "FD", "DF"])", "truncated.db");
  const CommandRun sieve =
      workspace_->mamori("sieve --json --no-progress " + workspace_->config() + " --input '" +
                             (workspace_->dir() / "capture.truncated.pcap").string() + "'",
                         "sieve-truncated");
  EXPECT_EQ(sieve.exit_code, 2);
  EXPECT_NE(sieve.err.find("offset"), std::string::npos) << sieve.err;
  const json summary = json::parse(sieve.out);
  EXPECT_GT(summary["packets"].get<std::uint64_t>(), 0u);
  EXPECT_LT(summary["packets"].get<std::uint64_t>(),
            (*truth_)["capture"]["packets"].get<std::uint64_t>());
  const CommandRun records = workspace_->mamori(
      "records --limit 0 --format jsonl " + workspace_->config() + " " + workspace_->analyst(),
      "records-truncated");
  EXPECT_EQ(parse_lines(records.out).size(), summary["records"].get<std::size_t>());
  EXPECT_GT(summary["records"].get<std::size_t>(), 0u);
  workspace_->write_config(R"(["FF", "FD", "DF"])");
}

TEST(Cli, ConfigErrorsNameFileLineAndKey) {
  Workspace workspace;
  {
    std::ofstream config(workspace.dir() / "mamori.toml");
    config << "sensor = \"gw\"\ncountry_db = \"x.mmdb\"\ncategories = [\"DD\"]\n"
              "ruleset = \"r.toml\"\ninspect_bytes = -5\ncolour = \"blue\"\n";
  }
  const CommandRun run =
      workspace.mamori("sieve " + workspace.config() + " --input none.pcap", "bad");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("mamori.toml:3: key 'categories'"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("mamori.toml:5: key 'inspect_bytes'"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("mamori.toml:6: key 'colour': unknown key"), std::string::npos) << run.err;
}

}  // namespace
