#include "mamori/synth/synth.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "mamori/capture/pcap_writer.h"
#include "mamori/synth/actors.h"
#include "mamori/synth/attacks.h"
#include "mamori/synth/benign_mix.h"
#include "mamori/synth/c2_beacons.h"
#include "mamori/synth/detection.h"
#include "mamori/synth/engine.h"
#include "mamori/synth/infrastructure.h"

namespace mamori::synth {
namespace {

constexpr std::uint64_t kMaxSizeMb = 1 << 20;  // 1 TiB: a sanity bound, not a design limit
constexpr std::size_t kPcapFileHeader = 24;

Result<void> check_options(const SynthOptions& options) {
  if (options.out_path.empty()) return fail("synth: --out is empty");
  if (options.size_mb < 1 || options.size_mb > kMaxSizeMb) {
    return fail("synth: --size-mb {} is out of range 1..{}", options.size_mb, kMaxSizeMb);
  }
  if (options.duration && options.duration->nanos < Duration::seconds(60).nanos) {
    return fail("synth: duration must be at least 60 s");
  }
  if (options.profile == Profile::detection) {
    if (options.size_mb < kDetectionMinSizeMb) {
      return fail("synth: --size-mb {} is too small for the detection profile (at least {})",
                  options.size_mb, kDetectionMinSizeMb);
    }
    if (options.duration && *options.duration < kDetectionMinDuration) {
      return fail("synth: the detection profile needs a duration of at least {} s",
                  kDetectionMinDuration.nanos / 1'000'000'000);
    }
  }
  if (options.canary) {
    const std::string& canary = *options.canary;
    const bool valid = !canary.empty() && canary.size() <= 48 &&
                       std::all_of(canary.begin(), canary.end(), [](char c) {
                         return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
                                c == '-';
                       });
    if (!valid) {
      return fail("synth: --canary must be 1..48 characters of A-Z a-z 0-9 . _ ~ -");
    }
  }
  return {};
}

// X.pcap → X; any other name is kept whole and the outputs get suffixes.
std::string base_of(const std::string& out_path) {
  if (out_path.size() > 5 && out_path.ends_with(".pcap")) {
    return out_path.substr(0, out_path.size() - 5);
  }
  return out_path;
}

// `book` is set for the detection profile.
void add_attack_scenarios(Engine& engine, const SynthContext& ctx, ActorBook* book) {
  if (book) {
    for (auto& scenario : make_detection_scenarios(ctx, *book)) {
      engine.add_scenario(std::move(scenario));
    }
    return;
  }
  for (auto& scenario : make_c2_scenarios(ctx)) engine.add_scenario(std::move(scenario));
  for (auto& scenario : make_attack_scenarios(ctx)) engine.add_scenario(std::move(scenario));
}

}  // namespace

std::string_view profile_name(Profile profile) {
  return profile == Profile::detection ? "detection" : "standard";
}

std::optional<Profile> parse_profile(std::string_view text) {
  if (text == "standard") return Profile::standard;
  if (text == "detection") return Profile::detection;
  return std::nullopt;
}

Result<SynthSummary> synthesize(const SynthOptions& options) {
  if (auto ok = check_options(options); !ok) return std::unexpected(ok.error());
  const std::string base = base_of(options.out_path);
  const std::string stem = std::filesystem::path(base).filename().string();
  SynthSummary summary;
  summary.pcap_path = options.out_path;
  summary.rules_path = base + ".rules.toml";
  summary.truth_path = base + ".truth.json";

  const AddressPlan plan;
  const FillContext fill(options.seed);
  const bool detection = options.profile == Profile::detection;
  const DetectionThresholds thresholds;
  const Plan timing =
      make_plan(options.size_mb, options.start,
                detection ? options.duration.value_or(kDetectionDuration) : options.duration);
  const Infrastructure infra = make_infrastructure(plan, options.seed, timing.c2_hosts);
  const std::vector<SynthRule> rules =
      detection ? detection_rules(thresholds) : demo_rules(infra, stem);
  const RuleMatcher matcher(rules);
  std::uint64_t marker_state = options.seed ^ hash_label("content-marker");
  SynthContext ctx{plan,
                   fill,
                   matcher,
                   infra,
                   timing,
                   {},
                   fmt::format("mamori-content-{:016x}", splitmix64(marker_state)),
                   options.seed};
  if (options.canary) ctx.canary.assign(options.canary->begin(), options.canary->end());

  // Dry run: measure the attack traffic so the benign mix fills exactly the rest.
  CountingSink counter;
  {
    Engine dry(ctx, counter, nullptr);
    ActorBook dry_book(thresholds);
    add_attack_scenarios(dry, ctx, detection ? &dry_book : nullptr);
    if (auto ran = dry.run(); !ran) return std::unexpected(ran.error());
  }
  const std::uint64_t used = kPcapFileHeader + counter.bytes;
  const std::uint64_t budget = timing.target_bytes > used ? timing.target_bytes - used : 0;

  auto writer = capture::PcapWriter::create(options.out_path, capture::LinkType::ethernet);
  if (!writer) return std::unexpected(writer.error());
  PcapSink sink(*writer);
  Truth truth;
  ActorBook book(thresholds);
  Engine engine(ctx, sink, &truth, detection ? &book : nullptr);
  add_attack_scenarios(engine, ctx, detection ? &book : nullptr);
  engine.add_scenario(
      std::make_unique<BenignMix>(ctx, budget, options.seed ^ hash_label("benign")));
  if (auto ran = engine.run(); !ran) return std::unexpected(ran.error());
  summary.packets = writer->packets_written();
  summary.file_bytes = kPcapFileHeader + writer->bytes_written() + 16 * writer->packets_written();
  if (auto closed = writer->close(); !closed) return std::unexpected(closed.error());

  const std::string header =
      detection
          ? fmt::format(
                "mamori detection ruleset for {} (mamori synth --profile detection --seed {} "
                "--size-mb {}):\nbehaviour rules at the default thresholds. Ground truth: {} "
                "(actors).\nSynthetic: addresses are random hosts in real allocations, chosen "
                "only for their country; domains are RFC 2606 example names.",
                std::filesystem::path(options.out_path).filename().string(), options.seed,
                options.size_mb, std::filesystem::path(summary.truth_path).filename().string())
          : fmt::format(
                "mamori demo ruleset for {} (mamori synth --seed {} --size-mb {}).\n"
                "Ground truth: {}. Synthetic: addresses are random hosts in real allocations,\n"
                "chosen only for their country; domains are RFC 2606 example names.",
                std::filesystem::path(options.out_path).filename().string(), options.seed,
                options.size_mb, std::filesystem::path(summary.truth_path).filename().string());
  auto written = write_ruleset(summary.rules_path, detection ? "synth-detection" : "synth-demo",
                               header, rules);
  if (!written) return std::unexpected(written.error());
  for (const auto& list : written->lists) summary.list_paths.push_back(list.string());
  if (options.bench_rules) {
    std::vector<SynthRule> bench = rules;
    auto big = make_bench_rules(options.seed, stem, options.bench_ip_rules,
                                options.bench_domain_rules, options.bench_byte_rules);
    bench.insert(bench.end(), std::make_move_iterator(big.begin()),
                 std::make_move_iterator(big.end()));
    summary.bench_rules_path = base + ".bench.rules.toml";
    auto bench_written =
        write_ruleset(*summary.bench_rules_path, "synth-bench",
                      header + "\nBenchmark lists match no generated traffic.", bench);
    if (!bench_written) return std::unexpected(bench_written.error());
    for (const auto& list : bench_written->lists) {
      const std::string path = list.string();
      if (std::find(summary.list_paths.begin(), summary.list_paths.end(), path) ==
          summary.list_paths.end()) {
        summary.list_paths.push_back(path);
      }
    }
  }

  TruthHeader truth_header;
  truth_header.seed = options.seed;
  truth_header.size_mb = options.size_mb;
  truth_header.canary = options.canary;
  truth_header.content_marker = ctx.content_marker;
  truth_header.pcap = std::filesystem::path(options.out_path).filename().string();
  truth_header.ruleset = std::filesystem::path(summary.rules_path).filename().string();
  if (summary.bench_rules_path) {
    truth_header.bench_ruleset =
        std::filesystem::path(*summary.bench_rules_path).filename().string();
  }
  truth_header.start = timing.start;
  truth_header.end = engine.last_time();
  truth_header.packets = summary.packets;
  truth_header.file_bytes = summary.file_bytes;
  std::vector<TruthRule> truth_rules;
  for (const auto& rule : rules) truth_rules.push_back({rule.id, rule.kind, rule.description});
  std::optional<DetectionTruth> detection_truth;
  if (detection) {
    detection_truth = book.finish(truth);
    summary.actors = detection_truth->actors.size();
  }
  if (auto ok = truth.write(summary.truth_path, truth_header, truth_rules,
                            detection_truth ? &*detection_truth : nullptr);
      !ok) {
    return std::unexpected(ok.error());
  }

  summary.flows = engine.flows();
  summary.truth_flows = truth.flows().size();
  summary.benign_flows = truth.benign_flows();
  summary.start = timing.start;
  summary.end = engine.last_time();
  return summary;
}

}  // namespace mamori::synth
