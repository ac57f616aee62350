// `mamori sieve`: one run of the sieve over a capture file into the configured store.

#include <cstdio>
#include <iostream>

#include "mamori/capture/capture_file.h"
#include "mamori/cli/commands.h"
#include "mamori/cli/progress.h"
#include "mamori/cli/sensor_setup.h"
#include "mamori/sieve/sieve.h"
#include "mamori/store/store_sink.h"

namespace mamori::cli {

int run_sieve(const SieveArgs& args) {
  auto sensor = load_sensor(args.config);
  if (!sensor) {
    std::fprintf(stderr, "mamori sieve: %s\n", sensor.error().message.c_str());
    return 1;
  }
  auto source = capture::open_capture_file(args.input);
  if (!source) {
    std::fprintf(stderr, "mamori sieve: %s\n", source.error().message.c_str());
    return 1;
  }
  auto store = store::open_store(sensor->config.store);
  if (!store) {
    std::fprintf(stderr, "mamori sieve: %s\n", store.error().message.c_str());
    return 1;
  }
  auto run = (*store)->begin_run(store::RunInfo{.sensor = sensor->config.sensor,
                                                .started_at = SystemClock().now(),
                                                .config_hash = sensor->config_hash,
                                                .ruleset_hash = sensor->rules.hash(),
                                                .input = "pcap:" + args.input});
  if (!run) {
    std::fprintf(stderr, "mamori sieve: %s\n", run.error().message.c_str());
    return 1;
  }
  store::StoreSink sink(**store, *run);
  auto sieve = sieve::Sieve::create(sensor->config, *sensor->classifier, sensor->rules, sink);
  if (!sieve) {
    std::fprintf(stderr, "mamori sieve: %s\n", sieve.error().message.c_str());
    return 1;
  }

  capture::PacketSource& packets = **source;
  ProgressBar progress(args.progress ? packets.bytes_total() : 0);
  capture::RawPacket packet;
  capture::NextStatus status;
  std::uint64_t count = 0;
  while ((status = packets.next(packet)) == capture::NextStatus::packet) {
    (*sieve)->process(packet);
    if ((++count & 0x3ff) == 0) {
      sink.tick();
      if (sink.error()) break;
      progress.update(packets.bytes_read(), count);
    }
  }
  // Everything read before a fault is processed and kept: open flows are decided and the
  // selected ones stored, then the fault is reported.
  (*sieve)->finish();
  progress.finish(packets.bytes_read(), count);
  auto& summary = (*sieve)->summary();
  if (status == capture::NextStatus::error) summary.input_error = packets.error().message;

  auto flushed = sink.flush();
  if (!flushed) {
    std::fprintf(stderr, "mamori sieve: store: %s\n", flushed.error().message.c_str());
    return 1;
  }
  if (auto ended = (*store)->end_run(*run, summary.to_json(), SystemClock().now()); !ended) {
    std::fprintf(stderr, "mamori sieve: store: %s\n", ended.error().message.c_str());
    return 1;
  }
  if (args.json_summary) {
    std::cout << summary.to_json().dump(2) << '\n';
  } else {
    std::cout << summary.to_text();
  }
  if (status == capture::NextStatus::error) {
    std::fprintf(stderr, "mamori sieve: %s\n", packets.error().message.c_str());
    return 2;
  }
  return 0;
}

}  // namespace mamori::cli
