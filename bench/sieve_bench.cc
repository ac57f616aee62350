// Sieve hot-path benchmarks (issue: the sieve): packets of flows already decided (goal ≥ 10
// Mpps: one lookup and counters), new flows per second (goal ≥ 5 M/s), and the process's
// peak memory with 1M concurrent flows (goal ≤ 256 MiB). Frames are built up front with
// synth's FrameBuilder, so only the sieve is measured.

#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "mamori/scope/country_table.h"
#include "mamori/sieve/ruleset.h"
#include "mamori/sieve/sieve.h"
#include "mamori/synth/frame.h"

namespace {

using namespace mamori;

class NullSink final : public sieve::RecordSink {
 public:
  void emit(sieve::Record&&) override { ++records; }
  std::uint64_t records = 0;
};

struct Frames {
  std::vector<std::uint8_t> bytes;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // offset, length
};

// One SYN (payload-less) frame per flow: client i → one domestic server, distinct 5-tuples.
Frames build_frames(std::size_t flows, std::size_t payload) {
  Frames frames;
  synth::FrameBuilder builder;
  std::vector<std::uint8_t> data(payload, 'x');
  for (std::size_t i = 0; i < flows; ++i) {
    const auto client = IpAddress::v4(0x08000000u + static_cast<std::uint32_t>(i / 50000));  // US
    synth::IpHeader ip{.src = client, .dst = IpAddress::v4(0x85f20009u)};  // 133.242.0.9 JP
    synth::TcpHeader tcp{.src_port = static_cast<std::uint16_t>(1024 + i % 50000),
                         .dst_port = 443,
                         .seq = 1,
                         .ack = 0,
                         .flags = static_cast<std::uint8_t>(payload ? 0x18 : 0x02),
                         .window = 1024,
                         .options = {}};
    auto area = builder.begin_tcp({}, ip, tcp, payload);
    std::memcpy(area.data(), data.data(), payload);
    const auto frame = builder.finish();
    frames.spans.emplace_back(frames.bytes.size(), frame.size());
    frames.bytes.insert(frames.bytes.end(), frame.begin(), frame.end());
  }
  return frames;
}

struct Harness {
  explicit Harness(std::uint32_t max_flows) {
    const std::pair<Prefix, scope::CountryCode> networks[] = {
        {*Prefix::parse("133.242.0.0/16"), scope::CountryCode::from("JP")},
        {*Prefix::parse("8.0.0.0/8"), scope::CountryCode::from("US")},
    };
    scope::ClassifierOptions options;
    options.authorized.add(scope::Category::FD);
    options.authorized.add(scope::Category::DF);
    options.authorized.add(scope::Category::FF);
    classifier.emplace(
        std::make_shared<const scope::CountryTable>(scope::CountryTable::from_networks(networks)),
        scope::Overrides{}, options);
    auto ruleset = sieve::parse_ruleset(
        "[[rule]]\nid = \"c2\"\nkind = \"ip\"\nvalue = \"203.0.113.1\"\n"
        "[[rule]]\nid = \"cmd\"\nkind = \"bytes\"\nvalue = \"cmd=whoami\"\n",
        "bench.rules.toml", ".");
    rules.emplace(std::move(*sieve::CompiledRuleset::compile(*ruleset)));
    config.sensor = "bench";
    config.max_flows = max_flows;
    config.inspect_bytes = 64;
    config.categories = options.authorized;
    sieve = std::move(*sieve::Sieve::create(config, *classifier, *rules, sink));
  }

  void feed(const Frames& frames, std::size_t index, Timestamp time) {
    const auto [offset, length] = frames.spans[index];
    capture::RawPacket packet;
    packet.timestamp = time;
    packet.wire_length = static_cast<std::uint32_t>(length);
    packet.data = std::span(frames.bytes.data() + offset, length);
    sieve->process(packet);
  }

  sieve::SieveConfig config;
  std::optional<scope::Classifier> classifier;
  std::optional<sieve::CompiledRuleset> rules;
  NullSink sink;
  std::unique_ptr<sieve::Sieve> sieve;
};

// Packets of flows whose inspection budget is used up: the per-packet cost of the bulk of
// traffic. 100k flows, each decided by a first packet whose payload exceeds inspect_bytes.
void BM_SieveDecidedFlowPackets(benchmark::State& state) {
  constexpr std::size_t kFlows = 100'000;
  const Frames frames = build_frames(kFlows, 600);
  Harness harness(1u << 18);
  Timestamp time = Timestamp::from_seconds(1'800'000'000);
  for (std::size_t i = 0; i < kFlows; ++i) harness.feed(frames, i, time);
  std::size_t i = 0;
  for (auto _ : state) {
    harness.feed(frames, i, time);
    if (++i == kFlows) {
      i = 0;
      time = time + Duration::millis(1);
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["flows"] = static_cast<double>(harness.sieve->summary().flows);
}
BENCHMARK(BM_SieveDecidedFlowPackets);

// New flows: every packet opens a flow (a SYN); the table is at capacity, so each creation
// also evicts the least recent flow.
void BM_SieveNewFlows(benchmark::State& state) {
  constexpr std::size_t kFlows = 1'000'000;
  const Frames frames = build_frames(kFlows, 0);
  Harness harness(1u << 16);
  Timestamp time = Timestamp::from_seconds(1'800'000'000);
  std::size_t i = 0;
  for (auto _ : state) {
    harness.feed(frames, i, time);
    if (++i == kFlows) {
      i = 0;
      time = time + Duration::seconds(120);  // past the idle timeout: all flows new again
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SieveNewFlows);

// Peak resident memory of the whole process with 1M concurrent flows in the sieve.
void BM_SievePeakMemoryOneMillionFlows(benchmark::State& state) {
  constexpr std::size_t kFlows = 1'000'000;
  const Frames frames = build_frames(kFlows, 0);
  const double frames_mib = static_cast<double>(frames.bytes.size()) / (1 << 20);
  for (auto _ : state) {
    Harness harness(kFlows);
    const Timestamp time = Timestamp::from_seconds(1'800'000'000);
    for (std::size_t i = 0; i < kFlows; ++i) harness.feed(frames, i, time);
    state.counters["flows"] = static_cast<double>(harness.sieve->summary().flows);
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  state.counters["peak_rss_MiB"] = peak_mib;
  // The benchmark's own prebuilt frames are not the sieve's memory.
  state.counters["peak_rss_minus_frames_MiB"] = peak_mib - frames_mib;
}
BENCHMARK(BM_SievePeakMemoryOneMillionFlows)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
