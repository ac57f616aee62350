// mamori-verify: the overseer's (サイバー通信情報監理委員会) independent verifier (I9). It reads
// only what it is given — a ledger export, the ledger's public key, signed tree heads and
// consistency proofs — and never touches a store. Exit 0: verified; 1: verification failed
// (every problem is listed with file, line and seq); 2: unreadable input or usage error.
//
//   mamori-verify ledger --export ledger.jsonl --key sensor.pub [--head head.json ...]
//   mamori-verify consistency --key sensor.pub --proof proof.json [--old old.json] [--new new.json]
//   mamori-verify consistency --key sensor.pub --old old.json --new new.json

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <CLI/CLI.hpp>

#include "mamori/core/error.h"
#include "mamori/ledger/export.h"
#include "mamori/ledger/keys.h"
#include "mamori/ledger/tree_head.h"
#include "mamori/ledger/verify.h"

namespace {

using namespace mamori;
using namespace mamori::ledger;

constexpr int kVerified = 0;
constexpr int kFailed = 1;
constexpr int kUnreadable = 2;

struct LedgerArgs {
  std::string export_path;
  std::string key_path;
  std::vector<std::string> head_paths;
};

struct ConsistencyArgs {
  std::string key_path;
  std::string proof_path;
  std::string old_path;
  std::string new_path;
};

// Prints "mamori-verify: …" to stderr and returns the usage/unreadable exit code.
int unreadable(const std::string& message) {
  fmt::print(stderr, "mamori-verify: {}\n", message);
  return kUnreadable;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read {}: {}", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail("cannot read {}: read error", path);
  return text.str();
}

Result<SignedTreeHead> read_head(const std::string& path) {
  auto text = read_file(path);
  if (!text) return fail(text.error());
  auto head = parse_tree_head_text(*text);
  if (!head) return fail("{}: {}", path, head.error().message);
  return *head;
}

Result<PublicKey> read_key(const std::string& path) {
  auto key = load_public_key(path, KeyRole::sensor);
  if (!key) return fail("{}", key.error().message);
  return *key;
}

std::string head_summary(const SignedTreeHead& head) {
  return fmt::format("size {}, {}, root {}", head.tree_size, format_rfc3339_micros(head.timestamp),
                     hash_to_hex(head.root));
}

int run_ledger(const LedgerArgs& args) {
  auto key = read_key(args.key_path);
  if (!key) return unreadable(key.error().message);
  std::vector<SignedTreeHead> held;
  for (const std::string& path : args.head_paths) {
    auto head = read_head(path);
    if (!head) return unreadable(head.error().message);
    held.push_back(*head);
  }
  std::ifstream in(args.export_path, std::ios::binary);
  if (!in) {
    return unreadable(fmt::format("cannot read {}: {}", args.export_path, std::strerror(errno)));
  }
  const VerifyReport report = verify_export(in, *key, held);

  if (report.ok) {
    fmt::print("OK: ledger verified / 台帳の検証に成功しました: {}\n", args.export_path);
    fmt::print("  entries / エントリ数: {}\n", report.entries_checked);
    fmt::print(
        "  signed tree heads checked / 検証した署名付きツリーヘッド: {} (held / 保持分: {})\n",
        report.heads_checked, held.size());
    fmt::print("  root / ルートハッシュ: {}\n", hash_to_hex(report.root));
    if (report.latest_head) {
      fmt::print("  latest head / 最新ツリーヘッド: {}\n", head_summary(*report.latest_head));
    }
    fmt::print("  key / 公開鍵: {} ({})\n", key->key_id(), args.key_path);
    return kVerified;
  }
  fmt::print(
      "FAILED: ledger verification failed / 台帳の検証に失敗しました: {} — {} problem{} / "
      "問題 {} 件\n",
      args.export_path, report.problems.size(), report.problems.size() == 1 ? "" : "s",
      report.problems.size());
  for (const Problem& problem : report.problems) {
    const std::string where =
        problem.line > 0 ? fmt::format("{}:{}", args.export_path, problem.line) : args.export_path;
    const std::string seq = problem.seq ? fmt::format(" seq {}", *problem.seq) : "";
    fmt::print("  {}:{} [{} / {}] {}\n", where, seq, to_string(problem.kind),
               to_japanese(problem.kind), problem.message);
  }
  for (std::size_t i = 0; i < args.head_paths.size(); ++i) {
    fmt::print("  held tree head #{} / 保持ツリーヘッド #{} = {}\n", i + 1, i + 1,
               args.head_paths[i]);
  }
  return kFailed;
}

int run_consistency(const ConsistencyArgs& args) {
  auto key = read_key(args.key_path);
  if (!key) return unreadable(key.error().message);
  std::optional<ConsistencyProofFile> proof_file;
  if (!args.proof_path.empty()) {
    auto text = read_file(args.proof_path);
    if (!text) return unreadable(text.error().message);
    auto parsed = parse_consistency_proof_json(*text);
    if (!parsed) return unreadable(fmt::format("{}: {}", args.proof_path, parsed.error().message));
    proof_file = std::move(*parsed);
  }
  auto pick = [&](const std::string& path, bool old_side) -> Result<SignedTreeHead> {
    if (!path.empty()) return read_head(path);
    if (proof_file) return old_side ? proof_file->old_head : proof_file->new_head;
    return fail("give --proof, or both --old and --new");
  };
  auto older = pick(args.old_path, true);
  if (!older) return unreadable(older.error().message);
  auto newer = pick(args.new_path, false);
  if (!newer) return unreadable(newer.error().message);

  std::vector<Hash> proof;
  if (proof_file) {
    if (proof_file->old_head.tree_size != older->tree_size ||
        proof_file->new_head.tree_size != newer->tree_size) {
      if (newer->tree_size > older->tree_size) {
        return unreadable(
            fmt::format("{}: the proof is for tree sizes {} → {}, but the heads given are {} → {}",
                        args.proof_path, proof_file->old_head.tree_size,
                        proof_file->new_head.tree_size, older->tree_size, newer->tree_size));
      }
    } else {
      proof = proof_file->proof;
    }
  } else if (newer->tree_size > older->tree_size && older->tree_size > 0) {
    return unreadable(
        fmt::format("the new head covers more entries ({}) than the old one ({}): "
                    "a consistency proof is needed (--proof)",
                    newer->tree_size, older->tree_size));
  }

  auto consistent = verify_consistency_between(*older, *newer, proof, *key);
  if (consistent) {
    fmt::print(
        "OK: consistent / 整合性を確認しました: the ledger at size {} extends the one at "
        "size {} / サイズ {} の台帳はサイズ {} の台帳を改変せずに延長しています\n",
        newer->tree_size, older->tree_size, newer->tree_size, older->tree_size);
    fmt::print("  old head / 旧ツリーヘッド: {}\n", head_summary(*older));
    fmt::print("  new head / 新ツリーヘッド: {}\n", head_summary(*newer));
    return kVerified;
  }
  const std::string& message = consistent.error().message;
  std::string_view verdict = "FAILED: invalid signature / 署名が不正です";
  if (message.starts_with("rollback:")) {
    verdict = "FAILED: rollback detected / ロールバック（巻き戻し）を検出しました";
  } else if (message.starts_with("fork:")) {
    verdict = "FAILED: forked history detected / 履歴の分岐（改ざん）を検出しました";
  }
  fmt::print("{}\n  {}\n", verdict, message);
  fmt::print("  old head / 旧ツリーヘッド: {} ({})\n", head_summary(*older),
             args.old_path.empty() ? args.proof_path : args.old_path);
  fmt::print("  new head / 新ツリーヘッド: {} ({})\n", head_summary(*newer),
             args.new_path.empty() ? args.proof_path : args.new_path);
  return kFailed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "mamori-verify — independent verifier of a mamori ledger for the overseer\n"
      "mamori-verify — 監理委員会のための mamori 台帳の独立検証ツール\n"
      "exit 0: verified / 検証成功, 1: verification failed / 検証失敗, 2: unreadable input or "
      "usage error / 入力不可・使い方の誤り"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mamori-verify 0.1.0");

  LedgerArgs ledger_args;
  auto* ledger_cmd = app.add_subcommand(
      "ledger", "Verify a ledger export against its public key and signed tree heads / 台帳を検証");
  ledger_cmd->add_option("--export", ledger_args.export_path, "Ledger export (JSON lines)")
      ->required();
  ledger_cmd->add_option("--key", ledger_args.key_path, "The ledger's public key (.pub)")
      ->required();
  ledger_cmd->add_option("--head", ledger_args.head_paths,
                         "A signed tree head you hold (repeatable)");

  ConsistencyArgs consistency_args;
  auto* consistency_cmd = app.add_subcommand(
      "consistency",
      "Check that a newer signed tree head extends an older one / ツリーヘッド間の整合性を検証");
  consistency_cmd->add_option("--key", consistency_args.key_path, "The ledger's public key (.pub)")
      ->required();
  consistency_cmd->add_option("--proof", consistency_args.proof_path, "Consistency proof file");
  consistency_cmd->add_option("--old", consistency_args.old_path,
                              "The older signed tree head you hold");
  consistency_cmd->add_option("--new", consistency_args.new_path, "The newer signed tree head");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : kUnreadable;
  }
  if (*ledger_cmd) return run_ledger(ledger_args);
  if (*consistency_cmd) return run_consistency(consistency_args);
  return kUnreadable;
}
