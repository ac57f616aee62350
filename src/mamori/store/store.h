#pragma once
// store/store: where selected machine-information records live after the sieve. One
// interface, several backends (SQLite now, PostgreSQL later), one conformance suite
// (tests/store/store_conformance.h) that every backend passes.
//
// Contract shared by all backends:
//  - A run is one execution of the sieve: begin_run() → append()… flush()… → end_run().
//    Records are written in batches, each batch one transaction, in append order.
//  - Durability: append() may buffer. Records become durable when flush() returns, when
//    end_run() returns, or when the backend commits a full batch on its own (the SQLite
//    backend after `batch` records, see sqlite_store.h). A crash (kill -9) therefore loses
//    at most the records appended since the last of those; never a part of a batch, never
//    anything already flushed.
//  - query(), count() and runs() see every record this Store appended (they flush first)
//    and every record other connections have flushed.
//  - A Store is used by one thread at a time. Concurrent readers open their own Store on the
//    same URL.
//  - Times are stored with microsecond precision (the record format's precision).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/core/time.h"
#include "mamori/scope/category.h"
#include "mamori/sieve/record.h"

namespace mamori::store {

using RunId = std::int64_t;
using RecordId = std::int64_t;

struct RunInfo {
  std::string sensor = {};
  Timestamp started_at = {};
  std::string config_hash = {};   // hash of the sensor configuration the run used
  std::string ruleset_hash = {};  // hash of the approved ruleset (I4)
  std::string input = {};         // what was read, e.g. "pcap:trace.pcap" or "live:eth1"
};

struct Run {
  RunId id = 0;
  RunInfo info = {};
  std::optional<Timestamp> ended_at = {};  // absent while running, or if the run crashed
  nlohmann::json summary = {};             // null until end_run()
  std::uint64_t records = 0;               // records of this run currently stored
};

struct StoredRecord {
  RecordId id = 0;  // increases in append order; the paging cursor
  RunId run = 0;
  sieve::Record record = {};
};

inline constexpr std::size_t kDefaultQueryLimit = 1000;

// Filters combine with AND; an absent filter matches everything. Results come in ascending
// store id (append order). Members have default initializers so that designated initializers
// (`{.rule = "r1", .limit = 0}`) compile warning-free on GCC 12.
struct RecordQuery {
  std::optional<std::string> rule = {};  // records with a match of this rule id
  std::optional<Prefix> address = {};    // src or dst inside the prefix
  std::optional<Timestamp> since = {};   // first_seen >= since
  std::optional<Timestamp> until = {};   // first_seen < until
  std::optional<scope::Category> category = {};
  std::optional<RunId> run = {};
  std::optional<RecordId> after = {};      // paging: only ids > after (pass the last id seen)
  std::size_t limit = kDefaultQueryLimit;  // 0 = no limit
};

class Store {
 public:
  virtual ~Store() = default;

  // Records the start of a run and makes it durable; returns its id.
  virtual Result<RunId> begin_run(const RunInfo& info) = 0;
  // Adds records to a run begun by this Store and not yet ended. May commit a full batch.
  // If any record fails sieve::validate_record, the call stores none of them.
  virtual Result<void> append(RunId run, std::span<const sieve::Record> records) = 0;
  // Makes everything appended so far durable.
  virtual Result<void> flush() = 0;
  // Flushes, then marks the run ended with its summary (the sieve's counters).
  virtual Result<void> end_run(RunId run, const nlohmann::json& summary, Timestamp ended_at) = 0;

  virtual Result<std::vector<StoredRecord>> query(const RecordQuery& query) = 0;
  // Number of records matching the filters of `query`; ignores `after` and `limit`.
  virtual Result<std::uint64_t> count(const RecordQuery& query) = 0;
  // Every run, oldest first.
  virtual Result<std::vector<Run>> runs() = 0;
};

// Opens (creating and migrating if needed) the store named by `url`:
//   sqlite:PATH[?options]   an SQLite database file (see sqlite_store.h for options)
//   sqlite::memory:         a private in-memory database (tests)
//   postgres:…              reserved for the central PostgreSQL backend (not built yet)
Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace mamori::store
