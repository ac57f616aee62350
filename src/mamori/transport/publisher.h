#pragma once
// transport/publisher: the sensor side of issue 9. A RunWriter that carries a run's records
// to the central site over NATS JetStream instead of storing them locally.
//
// Records travel in batch messages (batch_message.h), each published with the header
// Nats-Msg-Id = its batch key, so the stream's duplicate window drops re-publishes; the
// central Consumer's idempotent import drops anything older. Durability: when flush() or
// end_run() returns, every record appended before is either acked by JetStream (stored at the
// central stream) or sealed in the local spool (spool.h). append() publishes or spools each
// full batch.
//
// While the central site is unreachable (not connected, or a publish is not acked within
// ack_timeout_ms) batches go to the spool. Spooled batches are sent first, in order, whenever
// the connection is up again (on every flush(), end_run(), full batch and drain()), and a
// spool entry is deleted only after its ack. When the spool is full, the batch stays in memory
// and the call fails with an error naming the bound; a later flush() or drain() retries it.
// The stream must exist (the central Consumer creates it); until it does, publishes fail and
// batches are spooled.
//
// One thread at a time, like every RunWriter.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mamori/store/store.h"
#include "mamori/transport/transport_url.h"

namespace mamori::transport {

namespace detail {
class NatsConnection;
}
class Spool;

// Cumulative counters since open (spool_* describe the spool now).
struct PublisherCounters {
  std::uint64_t records_appended = 0;   // accepted by append()
  std::uint64_t records_published = 0;  // acked by JetStream when first sent
  std::uint64_t records_spooled = 0;    // written to the spool
  std::uint64_t records_drained = 0;    // spooled, then acked
  std::uint64_t batches_published = 0;  // messages (begin, batch, end) acked when first sent
  std::uint64_t batches_spooled = 0;
  std::uint64_t batches_drained = 0;
  std::uint64_t publish_failures = 0;  // publishes not acked (then spooled)
  std::uint64_t pending_batches = 0;   // in memory, neither acked nor spooled (spool full)
  std::uint64_t spool_batches = 0;     // in the spool now
  std::uint64_t spool_bytes = 0;
  std::uint64_t spool_max_bytes = 0;
};

class Publisher final : public store::RunWriter {
 public:
  static Result<std::unique_ptr<Publisher>> open(const PublisherOptions& options);
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;
  ~Publisher() override;

  Result<store::RunId> begin_run(const store::RunInfo& info) override;
  Result<void> append(store::RunId run, std::span<const sieve::Record> records) override;
  Result<void> flush() override;
  Result<void> end_run(store::RunId run, const nlohmann::json& summary,
                       Timestamp ended_at) override;

  // Waits up to `wait_ms` for a connection, then sends the spool and any pending batches.
  // Returns true when nothing is left (spool empty, nothing pending).
  Result<bool> drain(std::int64_t wait_ms);
  PublisherCounters counters() const;
  // The run key of a run begun here (the central store's import key).
  std::string run_key(store::RunId run) const;

 private:
  struct Outgoing {
    std::string id;
    std::string payload;
    std::uint64_t records = 0;
  };
  struct OpenRun {
    std::string key;
    store::RunInfo info;
    std::uint64_t next_seq = 1;
    std::string buffer;  // encoded records of the batch being filled, '\n'-prefixed each
    std::size_t buffered = 0;
    bool ended = false;
  };

  explicit Publisher(PublisherOptions options);
  void seal(OpenRun& run);
  // Sends the spool (if connected) and then the outbox, spooling what cannot be sent.
  Result<void> deliver(bool drain_everything);
  Result<bool> publish(const std::string& id, const std::string& payload);
  bool may_try_network();

  PublisherOptions options_;
  std::unique_ptr<detail::NatsConnection> nats_;
  std::unique_ptr<Spool> spool_;
  std::map<store::RunId, OpenRun> runs_;
  store::RunId next_run_ = 1;
  std::deque<Outgoing> outbox_;
  PublisherCounters counters_;
  std::int64_t retry_after_ms_ = 0;      // steady-clock ms before which the network is not retried
  std::optional<Error> delivery_error_;  // why the outbox is backed up (spool full)
};

// Opens a Publisher from a nats:// URL (transport_url.h).
Result<std::unique_ptr<Publisher>> open_publisher_from_url(std::string_view url);
// The same as a RunWriter, for `mamori sieve` with `[sensor] store = "nats://…"`.
Result<std::unique_ptr<store::RunWriter>> open_publisher(std::string_view url);

}  // namespace mamori::transport
