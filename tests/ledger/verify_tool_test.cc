// mamori-verify as the overseer runs it: a separate process given only files. Exit codes,
// the bilingual summary, and problems named by file, line and seq (I9).

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ledger_fixture.h"

namespace mamori::ledger::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTool = MAMORI_BINARY_DIR "/src/mamori/verify/mamori-verify";

struct ToolRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

class VerifyTool : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() / fmt::format("mamori-verify-test-{:08x}", random());
    fs::create_directories(dir_);
    ASSERT_TRUE(save_key_pair(path("sensor"), key_, kStart).has_value());
    ledger_.emplace(build_ledger(storage_, key_, 20));
    lines_ = export_lines(*ledger_);
    write(path("ledger.jsonl"), join_lines(lines_));
    write(path("head.json"), tree_head_to_json(*ledger_->latest_head()).dump());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static void write(const std::string& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
  }

  ToolRun run(const std::string& arguments) const {
    const std::string command =
        fmt::format("cd '{}' && '{}' {} 2>&1", dir_.string(), kTool, arguments);
    ToolRun result;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    char buffer[4096];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
      result.output.append(buffer, n);
    }
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  fs::path dir_;
  SigningKey key_ = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage_;
  std::optional<Ledger> ledger_;
  std::vector<std::string> lines_;
};

TEST_F(VerifyTool, CleanLedgerVerifiesWithBilingualSummary) {
  const ToolRun result = run("ledger --export ledger.jsonl --key sensor.pub --head head.json");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("ledger verified"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("台帳の検証に成功しました"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("entries / エントリ数: 20"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(hash_to_hex(ledger_->root())), std::string::npos) << result.output;
}

TEST_F(VerifyTool, Invariant_I9_AlteredEntryIsNamedByFileLineAndSeq) {
  auto lines = lines_;
  const int index = entry_index(lines, 7);
  LedgerEntry entry = entry_at(lines, 7);
  entry.body["n"] = 77;
  lines[static_cast<std::size_t>(index)] = canonical_leaf(entry);
  write(path("tampered.jsonl"), join_lines(lines));
  const ToolRun result = run("ledger --export tampered.jsonl --key sensor.pub");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(
      result.output.find(fmt::format("tampered.jsonl:{}: seq 7 [altered / 改ざん]", index + 1)),
      std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("台帳の検証に失敗しました"), std::string::npos);
}

TEST_F(VerifyTool, Invariant_I9_EveryProblemIsListed) {
  auto lines = lines_;
  lines.erase(lines.begin() + entry_index(lines, 3));  // missing entry 3
  lines[0] = "not a header";
  write(path("tampered.jsonl"), join_lines(lines));
  const ToolRun result = run("ledger --export tampered.jsonl --key sensor.pub");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("tampered.jsonl:1:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("seq 3 [missing / 欠落]"), std::string::npos) << result.output;
}

TEST_F(VerifyTool, Invariant_I9_RollbackAgainstHeldHeadIsNamed) {
  MemoryStorage rolled_back = storage_;
  rolled_back.truncate(12);
  auto old_ledger = Ledger::open(rolled_back, key_.public_key());
  ASSERT_TRUE(old_ledger.has_value());
  write(path("old.jsonl"), join_lines(export_lines(*old_ledger)));
  const ToolRun result = run("ledger --export old.jsonl --key sensor.pub --head head.json");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("ledger has 12 entries but held tree head #1 (size 20) covers 20: "
                               "entries 12–19 are missing (rolled back or truncated)"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("held tree head #1 / 保持ツリーヘッド #1 = head.json"),
            std::string::npos)
      << result.output;
}

TEST_F(VerifyTool, ConsistencyProofFileVerifies) {
  auto file = ledger_->consistency_proof_json(5);
  ASSERT_TRUE(file.has_value()) << file.error().message;
  write(path("proof.json"), consistency_proof_to_json(*file));
  ToolRun result = run("consistency --key sensor.pub --proof proof.json");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("整合性を確認しました"), std::string::npos) << result.output;
  // With the overseer's own copy of the old head.
  write(path("old-head.json"), tree_head_line(file->old_head));
  result = run("consistency --key sensor.pub --old old-head.json --proof proof.json");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(VerifyTool, Invariant_I9_RollbackIsNamedByConsistency) {
  auto heads = storage_.tree_heads();
  ASSERT_TRUE(heads.has_value());
  write(path("old-head.json"), tree_head_to_json(heads->back()).dump());
  write(path("new-head.json"), tree_head_to_json((*heads)[11]).dump());
  const ToolRun result =
      run("consistency --key sensor.pub --old old-head.json --new new-head.json");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("rollback detected"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("ロールバック"), std::string::npos) << result.output;
}

TEST_F(VerifyTool, Invariant_I9_ForkIsNamedByConsistency) {
  MemoryStorage fork_storage = storage_;
  fork_storage.truncate(10);
  auto fork = Ledger::open(fork_storage, key_);
  ASSERT_TRUE(fork.has_value());
  for (int i = 10; i < 25; ++i) {
    ASSERT_TRUE(fork->append("fork.event", {{"i", i}}, at_minute(100 + i)).has_value());
  }
  auto proof = fork->consistency_proof(20, 25);
  ASSERT_TRUE(proof.has_value());
  // The sensor hands over a proof from the genuine size-20 head; the overseer checks it
  // against the head it already holds.
  write(path("proof.json"), consistency_proof_to_json(ConsistencyProofFile{
                                *ledger_->latest_head(), *fork->latest_head(), *proof}));
  const ToolRun result = run("consistency --key sensor.pub --old head.json --proof proof.json");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("forked history detected"), std::string::npos) << result.output;
}

TEST_F(VerifyTool, UnreadableInputAndUsageErrorsExitTwo) {
  ToolRun result = run("ledger --export nowhere.jsonl --key sensor.pub");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("nowhere.jsonl"), std::string::npos) << result.output;
  result = run("ledger --export ledger.jsonl --key missing.pub");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("missing.pub"), std::string::npos) << result.output;
  write(path("bad-head.json"), "{\"tree_size\":");
  result = run("ledger --export ledger.jsonl --key sensor.pub --head bad-head.json");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("bad-head.json"), std::string::npos) << result.output;
  result = run("ledger --key sensor.pub");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  result = run("");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  result = run("consistency --key sensor.pub");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  // The secret key is never a valid public key file.
  result = run("ledger --export ledger.jsonl --key sensor.key");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_EQ(result.output.find("secret\":"), std::string::npos);
}

}  // namespace
}  // namespace mamori::ledger::testing
