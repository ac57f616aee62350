#pragma once
// transport/consumer: the central side of issue 9. A durable JetStream pull consumer that
// applies the sensors' batch messages (batch_message.h) to a Store exactly once:
//   - JetStream drops re-publishes of a message id within the stream's duplicate window;
//   - Store::import_batch remembers every batch key and ignores a repeat, so a redelivery
//     (consumer restart, loss of a NATS node, ack lost) changes nothing;
//   - a message is acked only after the store returned (durably).
// open() creates the stream (file storage, the duplicate window, `replicas`) if it does not
// exist, and the durable consumer (explicit acks) if it does not exist.
//
// run() decodes on a second thread, one step ahead of the store (a few messages at most), so
// decoding a batch overlaps the store's write of the previous one; messages are applied and
// acked one at a time in the order fetched.
//
// A message that cannot be decoded is terminated (never redelivered) and counted in
// `rejected`; a store error stops run() with that error and leaves the message unacked (it
// is redelivered after ack_wait_s).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "mamori/store/store.h"
#include "mamori/transport/transport_url.h"

namespace mamori::transport {

struct BatchMessage;

namespace detail {
class NatsConnection;
struct Subscription;
}  // namespace detail

struct ConsumerCounters {
  std::uint64_t messages = 0;           // received (including redeliveries)
  std::uint64_t batches_imported = 0;   // import_batch returned true
  std::uint64_t batches_duplicate = 0;  // import_batch returned false (already imported)
  std::uint64_t records_imported = 0;   // records of the imported batches
  std::uint64_t runs_ended = 0;         // end messages applied (repeats included)
  std::uint64_t rejected = 0;           // undecodable messages, terminated
  std::uint64_t fetch_errors = 0;       // fetches that failed other than by timing out
};

class Consumer {
 public:
  // `store` must outlive the consumer and is used by run()'s thread only.
  static Result<std::unique_ptr<Consumer>> open(const ConsumerOptions& options,
                                                store::Store& store);
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  ~Consumer();

  // Fetches and applies until stop() or options.max_idle_fetches consecutive empty fetches.
  Result<void> run();
  // Makes run() return after the message it is applying (callable from any thread, and from
  // a signal-handling thread). Fetched messages not applied yet are nak'ed for redelivery.
  void stop();
  ConsumerCounters counters() const;

 private:
  Consumer(ConsumerOptions options, store::Store& store);
  Result<void> setup();
  // Applies one decoded payload; false if it could not be decoded (the reason in `reason`).
  Result<bool> apply(Result<BatchMessage>& decoded, std::string& reason);

  ConsumerOptions options_;
  store::Store& store_;
  std::unique_ptr<detail::NatsConnection> nats_;
  std::unique_ptr<detail::Subscription> subscription_;
  std::atomic<bool> stop_{false};
  mutable std::mutex counters_mutex_;
  ConsumerCounters counters_;
  std::map<std::string, store::RunId, std::less<>> runs_;  // run key -> central id
};

}  // namespace mamori::transport
