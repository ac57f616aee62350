// Generation speed of `mamori synth` (target: ≥ 300 MB/s of capture, so the benchmark's
// 1 GB capture takes seconds). BM_Synthesize writes real files to the temp directory;
// BM_TcpFlowFrames measures frame building alone (no I/O).
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <filesystem>
#include <string>

#include "mamori/synth/flow.h"
#include "mamori/synth/synth.h"

namespace {

void BM_Synthesize(benchmark::State& state) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mamori-synth-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  mamori::synth::SynthOptions options;
  options.out_path = (dir / "bench.pcap").string();
  options.size_mb = static_cast<std::uint64_t>(state.range(0));
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    const auto result = mamori::synth::synthesize(options);
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      break;
    }
    bytes += result->file_bytes;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Synthesize)->Arg(16)->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TcpFlowFrames(benchmark::State& state) {
  using namespace mamori::synth;
  const FillContext fill(1);
  FrameBuilder builder;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    TcpSpec spec;
    spec.path.client.ip = *mamori::IpAddress::parse("126.1.2.3");
    spec.path.server.ip = *mamori::IpAddress::parse("104.16.1.2");
    spec.canary = {'C', 'A', 'N', 'A', 'R', 'Y'};
    spec.messages = {{Side::client, {'G', 'E', 'T'}, 0, FillKind::random, {}},
                     {Side::server, {}, 8 << 20, FillKind::tls_records, {}}};
    TcpFlow flow(std::move(spec), fill);
    while (!flow.done()) {
      const auto frame = flow.emit(builder);
      benchmark::DoNotOptimize(frame.data());
      bytes += frame.size() + 16;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_TcpFlowFrames)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
