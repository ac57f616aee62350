// `mamori eval`: runs the sieve and the analysis over a synthetic capture in memory and scores
// them against the capture's ground truth (cli/evaluation.h). It is a laboratory command: it
// runs only on a capture whose truth file `mamori synth` wrote (its size and packet count must
// be the truth's), stores nothing, and needs no approval, because synthetic traffic is nobody's
// communication. A real capture is refused.

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "mamori/analysis/analyzer.h"
#include "mamori/capture/capture_file.h"
#include "mamori/cli/commands.h"
#include "mamori/cli/evaluation.h"
#include "mamori/cli/sensor_setup.h"
#include "mamori/sieve/ruleset.h"
#include "mamori/sieve/sieve.h"
#include "mamori/synth/truth_reader.h"

namespace mamori::cli {
namespace {

class CollectingSink final : public sieve::RecordSink {
 public:
  void emit(sieve::Record&& record) override { records.push_back(std::move(record)); }
  std::vector<sieve::Record> records;
};

int failed(const std::string& message) {
  std::fprintf(stderr, "mamori eval: %s\n", message.c_str());
  return 1;
}

}  // namespace

int run_eval(const EvalArgs& args) {
  auto truth = synth::read_truth(args.truth);
  if (!truth) return failed(truth.error().message);
  const auto pcap = std::filesystem::path(args.truth).parent_path() / truth->header.pcap;
  std::error_code error;
  const auto size = std::filesystem::file_size(pcap, error);
  if (error || size != truth->header.file_bytes) {
    return failed(fmt::format(
        "{}: not the capture the truth describes ({} bytes expected); eval runs only on "
        "synthetic captures with their truth / 合成キャプチャ以外は評価できません",
        pcap.string(), truth->header.file_bytes));
  }
  auto sensor = load_sensor(args.config);
  if (!sensor) return failed(sensor.error().message);
  std::optional<sieve::CompiledRuleset> override_rules;
  if (args.ruleset) {
    auto ruleset = sieve::load_ruleset(*args.ruleset);
    if (!ruleset) return failed(ruleset.error().message);
    auto compiled = sieve::CompiledRuleset::compile(*ruleset);
    if (!compiled) return failed(compiled.error().message);
    override_rules.emplace(std::move(*compiled));
  }
  const sieve::CompiledRuleset& rules = override_rules ? *override_rules : sensor->rules;

  auto source = capture::open_capture_file(pcap.string());
  if (!source) return failed(source.error().message);
  CollectingSink sink;
  auto sieve = sieve::Sieve::create(sensor->config, *sensor->classifier, rules, sink);
  if (!sieve) return failed(sieve.error().message);
  capture::RawPacket packet;
  capture::NextStatus status;
  std::uint64_t packets = 0;
  while ((status = (*source)->next(packet)) == capture::NextStatus::packet) {
    (*sieve)->process(packet);
    ++packets;
  }
  if (status == capture::NextStatus::error) return failed((*source)->error().message);
  if (packets != truth->header.packets) {
    return failed(fmt::format("{}: {} packets, the truth says {}", pcap.string(), packets,
                              truth->header.packets));
  }
  (*sieve)->finish();

  analysis::Analyzer analyzer;
  for (std::size_t i = 0; i < sink.records.size(); ++i) analyzer.add(i + 1, sink.records[i]);
  const auto result = analyzer.finish();
  const Evaluation evaluation = evaluate(*truth, sink.records, result.findings);
  if (args.json) {
    auto out = to_json(evaluation);
    out["ruleset_hash"] = rules.hash();
    out["truth"] = args.truth;
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("{} ({} packets, ruleset {})\n", args.truth, packets, rules.hash().substr(0, 16));
    fmt::print("{}", to_text(evaluation));
  }
  return 0;
}

}  // namespace mamori::cli
