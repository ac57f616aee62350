#pragma once
// store/store: where selected machine-information records live after the sieve. One
// interface, several backends (SQLite; PostgreSQL for the central site), one conformance suite
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
//  - Retention (I6): every record gets stored_at = the store's clock at append() and
//    expires_at = stored_at + its run's retention. delete_expired() removes the expired ones
//    and their bytes; the caller records what it returns in the ledger
//    (governance::events::kRetentionDeleted).

#include <array>
#include <cstdint>
#include <functional>
#include <map>
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

inline constexpr Duration kDefaultRetention = Duration::seconds(std::int64_t{180} * 86400);
inline constexpr Duration kMaxRetention = Duration::seconds(100LL * 366 * 86400);

struct RunInfo {
  std::string sensor = {};
  Timestamp started_at = {};
  std::string config_hash = {};   // hash of the sensor configuration the run used
  std::string ruleset_hash = {};  // hash of the approved ruleset (I4)
  std::string input = {};         // what was read, e.g. "pcap:trace.pcap" or "live:eth1"
  std::string approval_id = {};   // the overseer's approval the run ran under (I4)
  std::string legal_basis = {};   // e.g. "art-60" or "agreement"
  std::string agreement_id = {};  // the agreement party's, for agreement runs; else empty
  // How long the run's records are kept after they are stored (I6): a positive whole
  // number of seconds, at most kMaxRetention; begin_run() rejects anything else.
  Duration retention = kDefaultRetention;
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
  Timestamp stored_at = {};   // the store's clock when it was appended (µs)
  Timestamp expires_at = {};  // stored_at + the run's retention; deleted from then on
};

// What one delete_expired() removed.
struct RetentionResult {
  std::uint64_t records_deleted = 0;
  std::map<RunId, std::uint64_t> by_run = {};                         // only runs that lost records
  std::array<std::uint64_t, scope::kCategoryCount> by_category = {};  // index: Category value
  // True when the deleted bytes are also gone from the backend's files as far as it can tell.
  // SQLite: from the write-ahead log and the free pages; false only if another connection's
  // open read kept the WAL checkpoint from finishing within the busy timeout. PostgreSQL:
  // emptied day partitions are dropped (their files go) and VACUUM found no dead rows it had
  // to keep for an open transaction (see postgres_store.h for what stays until reused). The
  // records are deleted either way; the next delete_expired() finishes the job.
  bool purged = false;
};

// Stored records of one UTC day (of first_seen) and category, in total (rule "") or with a
// match of one rule: the sums of Store::record_counts.
struct RecordCount {
  std::int64_t day = 0;  // days since 1970-01-01 (UTC)
  scope::Category category = scope::Category::FF;
  std::string rule = {};  // "" = every record of the day and category
  std::uint64_t records = 0;

  bool operator==(const RecordCount&) const = default;
};

inline constexpr std::size_t kDefaultQueryLimit = 1000;

// Filters combine with AND; an absent filter matches everything. Results come in ascending
// store id (append order). Members have default initializers so that designated initializers
// (`{.rule = "r1", .limit = 0}`) compile warning-free on GCC 12.
struct RecordQuery {
  std::optional<std::string> rule = {};  // records with a match of this rule id
  std::optional<Prefix> address = {};    // src or dst inside the prefix
  // The key epoch of the addresses `address` means: 0 for clear addresses, else the prefix
  // is of pseudonyms of that epoch (prefix-preserving, so a pseudonymous subnet is queryable).
  std::uint32_t address_epoch = 0;
  std::optional<Timestamp> since = {};  // first_seen >= since
  std::optional<Timestamp> until = {};  // first_seen < until
  std::optional<scope::Category> category = {};
  std::optional<RunId> run = {};
  std::optional<RecordId> after = {};      // paging: only ids > after (pass the last id seen)
  std::size_t limit = kDefaultQueryLimit;  // 0 = no limit
};

// Receives one record of a scan (Store::scan). The StoredRecord is the scan's, reused for the
// next record: it is valid only during the call (move from it only what is kept). An error
// stops the scan.
using RecordVisitor = std::function<Result<void>(const StoredRecord&)>;

// Records a scan reads per page; see Store::scan.
inline constexpr std::size_t kScanPageSize = 10'000;

// The write side of a run, all a sieve needs: a Store, or a sensor's publisher that carries
// the run to the central site (transport module, issue 9).
class RunWriter {
 public:
  virtual ~RunWriter() = default;

  // Records the start of a run and makes it durable; returns its id.
  virtual Result<RunId> begin_run(const RunInfo& info) = 0;
  // Adds records to a run begun by this writer and not yet ended. May commit a full batch.
  // If any record fails sieve::validate_record, the call stores none of them.
  virtual Result<void> append(RunId run, std::span<const sieve::Record> records) = 0;
  // Makes everything appended so far durable.
  virtual Result<void> flush() = 0;
  // Flushes, then marks the run ended with its summary (the sieve's counters).
  virtual Result<void> end_run(RunId run, const nlohmann::json& summary, Timestamp ended_at) = 0;
};

class Store : public RunWriter {
 public:
  virtual Result<std::vector<StoredRecord>> query(const RecordQuery& query) = 0;
  // The records query(query) would return, in the same order, handed to `visit` one at a time
  // instead of collected: for bulk reads (analysis of millions of records), where a vector
  // of records and their buffers per page is most of the cost. Like query() it flushes first,
  // honours `after` and `limit` (0: every matching record) and fails on an unreadable stored
  // record, naming its id and field. It reads in pages of kScanPageSize records, so no read
  // snapshot is held for the whole scan (records appended meanwhile by other connections with
  // larger ids may or may not be visited, as with paging by hand). `visit` must not use this
  // Store. Returns the number of records visited; a visitor's error is returned unchanged.
  // The default pages through query(); backends override it to reuse buffers.
  virtual Result<std::uint64_t> scan(const RecordQuery& query, const RecordVisitor& visit);
  // Number of records matching the filters of `query`; ignores `after` and `limit`.
  virtual Result<std::uint64_t> count(const RecordQuery& query) = 0;
  // Every run, oldest first.
  virtual Result<std::vector<Run>> runs() = 0;
  // What count() would say per UTC day of first_seen in [from_day, until_day) (days since
  // 1970-01-01), category and rule, without reading a record: every backend keeps these counts
  // in the transactions that insert and delete the records, so dashboards over tens of
  // millions of records read a few hundred rows. Sorted by (day, category, rule); rows with
  // no records are left out. Flushes first.
  virtual Result<std::vector<RecordCount>> record_counts(std::int64_t from_day,
                                                         std::int64_t until_day) = 0;

  // Retention (I6). Flushes, then deletes, in one transaction, every record with
  // expires_at <= as_of together with its matches, then makes the deleted bytes unreadable
  // in the backend's files (SQLite: secure_delete, WAL checkpoint(TRUNCATE),
  // incremental_vacuum). Runs stay (with their counts lowered).
  virtual Result<RetentionResult> delete_expired(Timestamp as_of) = 0;
  // Number of records with expires_at <= as_of (what delete_expired(as_of) would delete).
  virtual Result<std::uint64_t> count_expired(Timestamp as_of) = 0;

  // Central ingest (issue 9). Records that travelled from a sensor may arrive more than once
  // (redelivery after a consumer restart or the loss of a NATS node); these apply them
  // exactly once. Keys are the sensor's names, unique per sensor run and per batch.
  //
  // The central id of the run named `run_key`, created (durably) on first sight; later calls
  // with the same key return the same id whatever `info` says.
  virtual Result<RunId> import_run(std::string_view run_key, const RunInfo& info);
  // In one transaction: appends `records` to `run` (an id import_run returned, on any
  // connection) and remembers `batch_key`. Returns false, changing nothing, when a batch with
  // this key was imported into this run before (keys are per run; the contents of a repeat
  // are not compared). Durable on return (SQLite: this commit syncs even under sync=normal).
  // If a record fails sieve::validate_record, nothing is stored and the key is not
  // remembered. A run that import_end marked ended still takes batches with new keys
  // (redelivery after a consumer restart can reorder them). Records are stamped like
  // append()'s: stored_at = the store's clock, expires_at = stored_at + the run's retention.
  virtual Result<bool> import_batch(RunId run, std::string_view batch_key,
                                    std::span<const sieve::Record> records);
  // Marks an imported run ended with its summary, like end_run(); a repeat changes nothing
  // (the first summary stays). Fails for a run that was not imported.
  virtual Result<void> import_end(RunId run, const nlohmann::json& summary, Timestamp ended_at);
};

// Opens (creating and migrating if needed) the store named by `url`:
//   sqlite:PATH[?options]   an SQLite database file (see sqlite_store.h for options)
//   sqlite::memory:         a private in-memory database (tests)
//   postgres:CONNINFO       the central PostgreSQL backend; CONNINFO is a libpq keyword/value
//                           string or URI (see postgres_store.h); postgres://… and
//                           postgresql://… URIs are accepted as the whole URL too
// Records are stamped with the system clock.
Result<std::unique_ptr<Store>> open_store(std::string_view url);
// The same with an injected clock (tests); `clock` must outlive the store.
Result<std::unique_ptr<Store>> open_store(std::string_view url, const Clock& clock);

}  // namespace mamori::store
