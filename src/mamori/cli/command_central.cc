// `mamori central`: the central site's ingest (issue 9). A durable JetStream consumer that
// applies the records sensors publish (transport/publisher.h) to the central store, exactly
// once, until SIGINT or SIGTERM.

#include <atomic>
#include <cstdio>

#include "mamori/cli/commands.h"
#include "mamori/cli/stop_signals.h"
#include "mamori/store/store.h"
#include "mamori/transport/consumer.h"

namespace mamori::cli {

int run_central(const CentralArgs& args) {
  // Before any other thread exists (the NATS client starts its own): the signals are then
  // blocked everywhere and taken only by StopSignals' watcher.
  std::atomic<transport::Consumer*> consumer_to_stop{nullptr};
  std::atomic<bool> stop_requested{false};
  const StopSignals signals([&] {
    stop_requested.store(true);
    if (transport::Consumer* consumer = consumer_to_stop.load()) consumer->stop();
  });

  auto options = transport::parse_consumer_url(args.nats);
  if (!options) {
    std::fprintf(stderr, "mamori central: --nats: %s\n", options.error().message.c_str());
    return 1;
  }
  if (args.durable) options->durable = *args.durable;
  auto store = store::open_store(args.store);
  if (!store) {
    std::fprintf(stderr, "mamori central: --store: %s\n", store.error().message.c_str());
    return 1;
  }
  auto consumer = transport::Consumer::open(*options, **store);
  if (!consumer) {
    std::fprintf(stderr, "mamori central: %s\n", consumer.error().message.c_str());
    return 1;
  }
  consumer_to_stop.store(consumer->get());
  if (stop_requested.load()) (*consumer)->stop();
  std::fprintf(stderr, "mamori central: consuming stream %s as %s / 受信中\n",
               options->nats.stream.c_str(), options->durable.c_str());
  auto ran = (*consumer)->run();
  consumer_to_stop.store(nullptr);
  const transport::ConsumerCounters counters = (*consumer)->counters();
  std::fprintf(stderr,
               "mamori central: %llu batches imported (%llu records), %llu repeats ignored, "
               "%llu runs ended, %llu messages rejected\n",
               static_cast<unsigned long long>(counters.batches_imported),
               static_cast<unsigned long long>(counters.records_imported),
               static_cast<unsigned long long>(counters.batches_duplicate),
               static_cast<unsigned long long>(counters.runs_ended),
               static_cast<unsigned long long>(counters.rejected));
  if (!ran) {
    std::fprintf(stderr, "mamori central: %s\n", ran.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace mamori::cli
