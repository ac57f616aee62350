#pragma once
// store/store_sink: the sieve's RecordSink that writes records into a RunWriter (a Store, or a
// sensor's publisher). Records are appended in small batches and flushed at most
// `flush_interval` after they were emitted (checked by tick(), which the run loop calls
// regularly), so a kill -9 loses only records of flows still open plus at most one flush
// interval of closed ones.

#include <chrono>
#include <optional>
#include <vector>

#include "mamori/sieve/sieve.h"
#include "mamori/store/store.h"

namespace mamori::store {

class StoreSink final : public sieve::RecordSink {
 public:
  StoreSink(RunWriter& store, RunId run,
            std::chrono::milliseconds flush_interval = std::chrono::milliseconds(100),
            std::size_t batch = 512);

  void emit(sieve::Record&& record) override;
  // Flushes when the oldest unflushed record is older than the flush interval.
  void tick();
  // Appends and flushes everything buffered.
  Result<void> flush();
  // The first store error; once set, further records are refused (and counted).
  const std::optional<Error>& error() const { return error_; }
  std::uint64_t written() const { return written_; }

 private:
  void append_buffer();

  RunWriter& store_;
  RunId run_;
  std::chrono::milliseconds flush_interval_;
  std::size_t batch_;
  std::vector<sieve::Record> buffer_;
  bool dirty_ = false;  // appended but not flushed
  std::chrono::steady_clock::time_point oldest_unflushed_;
  std::optional<Error> error_;
  std::uint64_t written_ = 0;
};

}  // namespace mamori::store
