// `mamori synth`: deterministic synthetic capture + demo ruleset + ground truth.

#include <cstdio>

#include <fmt/format.h>

#include "mamori/cli/commands.h"
#include "mamori/synth/synth.h"

namespace mamori::cli {

int run_synth(const SynthArgs& args) {
  synth::SynthOptions options;
  options.out_path = args.out;
  options.seed = args.seed;
  options.size_mb = args.size_mb;
  options.canary = args.canary;
  options.bench_rules = args.bench_rules;
  const auto profile = synth::parse_profile(args.profile);
  if (!profile) {
    std::fprintf(stderr, "mamori synth: --profile: '%s' is not standard or detection\n",
                 args.profile.c_str());
    return 1;
  }
  options.profile = *profile;
  if (args.duration_s) {
    options.duration = Duration::seconds(static_cast<std::int64_t>(*args.duration_s));
  }
  auto summary = synth::synthesize(options);
  if (!summary) {
    std::fprintf(stderr, "mamori synth: %s\n", summary.error().message.c_str());
    return 1;
  }
  fmt::print("wrote {} ({} packets, {:.1f} MB, {} flows, {} attack/rule flows in the truth)\n",
             summary->pcap_path, summary->packets, static_cast<double>(summary->file_bytes) / 1e6,
             summary->flows, summary->truth_flows);
  fmt::print("      {}\n      {}\n", summary->rules_path, summary->truth_path);
  if (summary->actors > 0) fmt::print("      {} actors in the truth\n", summary->actors);
  if (summary->bench_rules_path) fmt::print("      {}\n", *summary->bench_rules_path);
  return 0;
}

}  // namespace mamori::cli
