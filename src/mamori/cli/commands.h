#pragma once
// cli/commands: one function per `mamori` subcommand. They print to stdout/stderr and return
// the process exit code: 0 success, 1 usage or configuration error, 2 input fault after every
// good packet before it was processed and kept.

#include <cstdint>
#include <optional>
#include <string>

namespace mamori::cli {

struct SynthArgs {
  std::string out;
  std::uint64_t seed = 1;
  std::uint64_t size_mb = 16;
  std::optional<std::string> canary;
  bool bench_rules = false;
};
int run_synth(const SynthArgs& args);

struct SieveArgs {
  std::string config;
  std::string input;
  bool json_summary = false;
  bool progress = true;
};
int run_sieve(const SieveArgs& args);

struct RecordsArgs {
  std::string config;
  std::optional<std::string> rule;
  std::optional<std::string> address;
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::optional<std::string> category;
  std::uint64_t limit = 0;  // 0: no limit
  std::string format = "jsonl";
};
int run_records(const RecordsArgs& args);

struct RulesCheckArgs {
  std::string ruleset;
};
int run_rules_check(const RulesCheckArgs& args);

}  // namespace mamori::cli
