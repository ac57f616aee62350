// The `mamori` command: parses arguments and dispatches to cli/commands.

#include <CLI/CLI.hpp>

#include "mamori/cli/commands.h"

int main(int argc, char** argv) {
  using namespace mamori::cli;
  CLI::App app{
      "mamori — automated selection of machine information for active cyber defense\n"
      "mamori — 能動的サイバー防御のための機械的情報の自動選別"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mamori 0.1.0");

  SynthArgs synth;
  auto* synth_cmd = app.add_subcommand(
      "synth", "Write a deterministic synthetic capture, its ruleset and ground truth");
  synth_cmd->add_option("--out", synth.out, "Output pcap path (X.pcap)")->required();
  synth_cmd->add_option("--seed", synth.seed, "Random seed");
  synth_cmd->add_option("--size-mb", synth.size_mb, "Approximate capture size in MB")
      ->check(CLI::Range(1, 100000));
  synth_cmd->add_option("--canary", synth.canary,
                        "Plant this string in every benign payload (for invariant tests)");
  synth_cmd->add_flag("--bench-rules", synth.bench_rules,
                      "Write the large benchmark ruleset (100k ip, 10k domains, 1k patterns)");

  SieveArgs sieve;
  auto* sieve_cmd =
      app.add_subcommand("sieve", "Run the sieve over a capture file / キャプチャを選別する");
  sieve_cmd->add_option("--config", sieve.config, "mamori.toml")->required();
  sieve_cmd->add_option("--input", sieve.input, "pcap or pcapng file")->required();
  sieve_cmd->add_flag("--json", sieve.json_summary, "Print the run summary as JSON");
  sieve_cmd->add_flag("!--no-progress", sieve.progress, "No progress bar");

  RecordsArgs records;
  auto* records_cmd =
      app.add_subcommand("records", "Query stored records / 保存レコードを検索する");
  records_cmd->add_option("--config", records.config, "mamori.toml")->required();
  records_cmd->add_option("--rule", records.rule, "Only records matched by this rule id");
  records_cmd->add_option("--address", records.address,
                          "Only records with an endpoint in this address or prefix");
  records_cmd->add_option("--since", records.since, "First seen at or after (RFC 3339)");
  records_cmd->add_option("--until", records.until, "First seen before (RFC 3339)");
  records_cmd->add_option("--category", records.category, "FF, FD or DF");
  records_cmd->add_option("--limit", records.limit, "At most this many records");
  records_cmd->add_option("--format", records.format, "jsonl, table or summary")
      ->check(CLI::IsMember({"jsonl", "table", "summary"}));

  RulesCheckArgs rules_check;
  auto* rules_cmd = app.add_subcommand("rules", "Selection conditions / 選別条件");
  rules_cmd->require_subcommand(1);
  auto* check_cmd = rules_cmd->add_subcommand("check", "Compile a ruleset and report errors");
  check_cmd->add_option("--ruleset", rules_check.ruleset, "Ruleset TOML file")->required();

  CLI11_PARSE(app, argc, argv);

  if (*synth_cmd) return run_synth(synth);
  if (*sieve_cmd) return run_sieve(sieve);
  if (*records_cmd) return run_records(records);
  if (*check_cmd) return run_rules_check(rules_check);
  return 1;
}
