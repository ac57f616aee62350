#include "mamori/store/sqlite_store.h"

#include <algorithm>
#include <array>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mamori/sieve/record_json.h"
#include "mamori/store/record_counts.h"
#include "mamori/store/sqlite_db.h"
#include "mamori/store/sqlite_open.h"

namespace mamori::store {
namespace {

using sqlite::Database;
using sqlite::Statement;

// Stored times are microseconds; a bound in nanoseconds compares against the stored
// (truncated) value, so `first_seen >= since` becomes `micros >= ceil(since / 1000)`.
std::int64_t ceil_micros(Timestamp t) {
  std::int64_t micros = t.nanos / 1000;
  if (t.nanos % 1000 > 0) ++micros;
  return micros;
}

// The 16-byte blob range of a prefix. IPv4 prefixes live inside ::ffff:0:0/96; an IPv6 prefix
// wide enough to cover that block must leave it out, as Prefix::contains does.
struct AddressRange {
  std::array<std::uint8_t, 16> low{};
  std::array<std::uint8_t, 16> high{};
  bool exclude_v4 = false;
};

constexpr std::array<std::uint8_t, 16> kV4Low = {0, 0, 0,    0,    0, 0, 0, 0,
                                                 0, 0, 0xff, 0xff, 0, 0, 0, 0};
constexpr std::array<std::uint8_t, 16> kV4High = {0, 0, 0,    0,    0,    0,    0,    0,
                                                  0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

AddressRange range_of(const Prefix& prefix) {
  AddressRange range;
  range.low = prefix.address().bytes();
  range.high = range.low;
  const int first_host_bit = (prefix.address().is_v4() ? 96 : 0) + prefix.length();
  for (int bit = first_host_bit; bit < 128; ++bit) {
    range.high[static_cast<std::size_t>(bit / 8)] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
  }
  range.exclude_v4 = !prefix.address().is_v4() && range.low <= kV4Low && kV4High <= range.high;
  return range;
}

// `side` is "src" or "dst": its address column within the range, under the queried epoch.
std::string endpoint_condition(std::string_view side, bool exclude_v4) {
  if (!exclude_v4)
    return fmt::format("(r.{0}_ip BETWEEN :lo AND :hi AND r.{0}_epoch = :epoch)", side);
  return fmt::format(
      "(r.{0}_ip BETWEEN :lo AND :hi AND r.{0}_ip NOT BETWEEN :v4lo AND :v4hi AND "
      "r.{0}_epoch = :epoch)",
      side);
}

// SQL for a query (or its count). Queries with a rule are driven by the matches index
// (rule, record_id), which yields ids in order, so paging never sorts.
std::string build_sql(const RecordQuery& query, bool count) {
  // A count by rule alone needs only the matches index, not the records.
  if (count && query.rule && !query.address && !query.since && !query.until && !query.category &&
      !query.run) {
    return "SELECT count(*) FROM matches m WHERE m.rule = :rule";
  }
  std::vector<std::string> conditions;
  const bool by_rule = query.rule.has_value();
  if (by_rule) conditions.emplace_back("m.rule = :rule");
  if (query.address) {
    const bool exclude_v4 = range_of(*query.address).exclude_v4;
    conditions.push_back(fmt::format("({} OR {})", endpoint_condition("src", exclude_v4),
                                     endpoint_condition("dst", exclude_v4)));
  }
  if (query.since) conditions.emplace_back("r.first_seen >= :since");
  if (query.until) conditions.emplace_back("r.first_seen < :until");
  if (query.category) conditions.emplace_back("r.category = :category");
  if (query.run) conditions.emplace_back("r.run_id = :run");
  const char* id_column = by_rule ? "m.record_id" : "r.id";
  if (!count && query.after) conditions.push_back(fmt::format("{} > :after", id_column));

  std::string sql = count ? "SELECT count(*) FROM "
                          : "SELECT r.id, r.run_id, r.record, r.stored_at, r.expires_at FROM ";
  sql += by_rule ? "matches m JOIN records r ON r.id = m.record_id" : "records r";
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    sql += i == 0 ? " WHERE " : " AND ";
    sql += conditions[i];
  }
  if (!count) {
    sql += fmt::format(" ORDER BY {}", id_column);
    if (query.limit > 0) sql += " LIMIT :limit";
  }
  return sql;
}

void bind_query(Statement& statement, const RecordQuery& query) {
  auto bind_at = [&statement](const char* name, auto&& value) {
    if (const int index = statement.index_of(name); index > 0) statement.bind(index, value);
  };
  if (query.rule) bind_at(":rule", std::string_view(*query.rule));
  if (query.address) {
    const AddressRange range = range_of(*query.address);
    statement.bind_blob(statement.index_of(":lo"), range.low);
    statement.bind_blob(statement.index_of(":hi"), range.high);
    statement.bind(statement.index_of(":epoch"), std::int64_t{query.address_epoch});
    if (range.exclude_v4) {
      statement.bind_blob(statement.index_of(":v4lo"), kV4Low);
      statement.bind_blob(statement.index_of(":v4hi"), kV4High);
    }
  }
  if (query.since) bind_at(":since", ceil_micros(*query.since));
  if (query.until) bind_at(":until", ceil_micros(*query.until));
  if (query.category) bind_at(":category", std::int64_t{static_cast<int>(*query.category)});
  if (query.run) bind_at(":run", std::int64_t{*query.run});
  if (query.after) bind_at(":after", std::int64_t{*query.after});
  if (query.limit > 0) bind_at(":limit", static_cast<std::int64_t>(query.limit));
}

// The inverse direction of ceil_micros: `stored <= t` becomes `micros <= floor(t / 1000)`.
std::int64_t floor_micros(Timestamp t) {
  std::int64_t micros = t.nanos / 1000;
  if (t.nanos % 1000 < 0) --micros;
  return micros;
}

// Adds to a stored count (record_counts.h); retention adds negative counts the same way.
constexpr std::string_view kAddCounts =
    "INSERT INTO record_counts (run_id, day, category, rule, records) {} "
    "ON CONFLICT (run_id, day, category, rule) DO UPDATE SET records = records + excluded.records";

std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class SqliteStore final : public Store {
 public:
  SqliteStore(SqliteOptions options, const Clock& clock, Database db)
      : options_(std::move(options)), clock_(clock), db_(std::move(db)) {}

  ~SqliteStore() override {
    if (options_.read_only) return;
    (void)flush();  // best effort: an orderly shutdown keeps what was appended
    (void)db_.exec("PRAGMA optimize");
  }

  Result<void> prepare_statements() {
    if (options_.read_only) return {};
    auto insert_record = db_.prepare(
        "INSERT INTO records (run_id, first_seen, last_seen, category, src_ip, dst_ip, record, "
        "stored_at, expires_at, src_epoch, dst_epoch) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        true);
    if (!insert_record) return fail(insert_record.error());
    insert_record_ = std::move(*insert_record);
    auto insert_match = db_.prepare(
        "INSERT OR IGNORE INTO matches (rule, record_id, kind) VALUES (?1, ?2, ?3)", true);
    if (!insert_match) return fail(insert_match.error());
    insert_match_ = std::move(*insert_match);
    auto add_count = db_.prepare(fmt::format(kAddCounts, "VALUES (?1, ?2, ?3, ?4, ?5)"), true);
    if (!add_count) return fail(add_count.error());
    add_count_ = std::move(*add_count);
    return {};
  }

  Result<RunId> begin_run(const RunInfo& info) override {
    if (auto ok = check_writable(); !ok) return fail(ok.error());
    if (auto ok = check_retention(info.retention); !ok) return fail(ok.error());
    auto statement = db_.prepare(
        "INSERT INTO runs (sensor, started_at, config_hash, ruleset_hash, input, approval_id, "
        "legal_basis, agreement_id, retention_seconds) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!statement) return fail(statement.error());
    statement->bind(1, std::string_view(info.sensor));
    statement->bind(2, info.started_at.micros());
    statement->bind(3, std::string_view(info.config_hash));
    statement->bind(4, std::string_view(info.ruleset_hash));
    statement->bind(5, std::string_view(info.input));
    statement->bind(6, std::string_view(info.approval_id));
    statement->bind(7, std::string_view(info.legal_basis));
    statement->bind(8, std::string_view(info.agreement_id));
    statement->bind(9, info.retention.nanos / 1'000'000'000);
    if (auto ok = statement->run(); !ok)
      return fail("store: cannot begin run: {}", ok.error().message);
    const RunId id = db_.last_insert_id();
    if (auto ok = flush(); !ok) return fail(ok.error());
    open_runs_.emplace(id, info.retention.nanos / 1000);
    return id;
  }

  Result<void> append(RunId run, std::span<const sieve::Record> records) override {
    if (auto ok = check_writable(); !ok) return fail(ok.error());
    if (!open_runs_.contains(run)) return fail("store: run {} is not open in this store", run);
    // Validate the whole span first, so that a bad record rejects the call before any insert.
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (auto ok = sieve::validate_record(records[i]); !ok) {
        return fail("store: record {} of {}: {}", i, records.size(), ok.error().message);
      }
    }
    // One clock reading per call: the records of one append() are stored together.
    const std::int64_t stored_at = clock_.now().micros();
    const std::int64_t expires_at = stored_at + open_runs_.at(run);
    for (const auto& record : records) {
      if (auto ok = insert(run, record, stored_at, expires_at); !ok) {
        const std::size_t lost = pending_;
        rollback();
        return fail(
            "store: append failed, the {} records appended since the last commit were "
            "discarded: {}",
            lost, ok.error().message);
      }
      if (++pending_ >= options_.batch_size) {
        if (auto ok = flush(); !ok) return fail(ok.error());
      }
    }
    return {};
  }

  Result<void> flush() override {
    if (!transaction_open_) return {};
    if (auto ok = write_counts(); !ok) {
      const std::size_t lost = pending_;
      rollback();
      return fail("store: counting failed, {} records discarded: {}", lost, ok.error().message);
    }
    if (auto ok = db_.exec("COMMIT"); !ok) {
      const std::size_t lost = pending_;
      rollback();
      return fail("store: commit failed, {} records discarded: {}", lost, ok.error().message);
    }
    transaction_open_ = false;
    pending_ = 0;
    return {};
  }

  Result<void> end_run(RunId run, const nlohmann::json& summary, Timestamp ended_at) override {
    if (auto ok = check_writable(); !ok) return fail(ok.error());
    if (!open_runs_.contains(run)) return fail("store: run {} is not open in this store", run);
    if (auto ok = flush(); !ok) return fail(ok.error());
    auto statement = db_.prepare("UPDATE runs SET ended_at = ?1, summary = ?2 WHERE id = ?3");
    if (!statement) return fail(statement.error());
    statement->bind(1, ended_at.micros());
    statement->bind(2, std::string_view(dump_json(summary)));
    statement->bind(3, std::int64_t{run});
    if (auto ok = statement->run(); !ok)
      return fail("store: cannot end run {}: {}", run, ok.error().message);
    open_runs_.erase(run);
    return {};
  }

  Result<std::vector<StoredRecord>> query(const RecordQuery& query) override {
    if (auto ok = flush(); !ok) return fail(ok.error());
    auto statement = cached(build_sql(query, false));
    if (!statement) return fail(statement.error());
    Statement& s = **statement;
    bind_query(s, query);
    std::vector<StoredRecord> out;
    for (;;) {
      auto row = s.step();
      if (!row) {
        s.reset();
        return fail("store: query failed: {}", row.error().message);
      }
      if (!*row) break;
      StoredRecord stored;
      stored.id = s.column_int(0);
      stored.run = s.column_int(1);
      stored.stored_at = Timestamp::from_micros(s.column_int(3));
      stored.expires_at = Timestamp::from_micros(s.column_int(4));
      auto record = sieve::record_from_json_line(s.column_text(2));
      if (!record) {
        s.reset();
        return fail("store: stored record {} is unreadable: {}", stored.id, record.error().message);
      }
      stored.record = std::move(*record);
      out.push_back(std::move(stored));
    }
    s.reset();
    return out;
  }

  // query() without the vector: one StoredRecord (and its record's buffers) reused for every
  // row, decoded straight from SQLite's text, in pages (store.h says why).
  Result<std::uint64_t> scan(const RecordQuery& query, const RecordVisitor& visit) override {
    if (auto ok = flush(); !ok) return fail(ok.error());
    RecordQuery page = query;
    StoredRecord stored;
    std::uint64_t visited = 0;
    for (;;) {
      const std::uint64_t left = query.limit == 0 ? kScanPageSize : query.limit - visited;
      if (left == 0) return visited;
      page.limit = static_cast<std::size_t>(std::min<std::uint64_t>(kScanPageSize, left));
      auto statement = cached(build_sql(page, false));
      if (!statement) return fail(statement.error());
      Statement& s = **statement;
      bind_query(s, page);
      std::size_t rows = 0;
      for (;; ++rows) {
        auto row = s.step();
        if (!row) {
          s.reset();
          return fail("store: query failed: {}", row.error().message);
        }
        if (!*row) break;
        stored.id = s.column_int(0);
        stored.run = s.column_int(1);
        stored.stored_at = Timestamp::from_micros(s.column_int(3));
        stored.expires_at = Timestamp::from_micros(s.column_int(4));
        if (auto ok = sieve::record_from_json_line(s.column_text(2), stored.record); !ok) {
          s.reset();
          return fail("store: stored record {} is unreadable: {}", stored.id, ok.error().message);
        }
        if (auto ok = visit(stored); !ok) {
          s.reset();
          return fail(ok.error());
        }
        ++visited;
      }
      // Resetting ends the statement's read, so no snapshot outlives the page.
      s.reset();
      if (rows < page.limit) return visited;
      page.after = stored.id;
    }
  }

  Result<std::uint64_t> count(const RecordQuery& query) override {
    if (auto ok = flush(); !ok) return fail(ok.error());
    auto statement = cached(build_sql(query, true));
    if (!statement) return fail(statement.error());
    Statement& s = **statement;
    bind_query(s, query);
    auto row = s.step();
    const std::int64_t value = row && *row ? s.column_int(0) : 0;
    s.reset();
    if (!row) return fail("store: count failed: {}", row.error().message);
    return static_cast<std::uint64_t>(value);
  }

  Result<std::vector<Run>> runs() override {
    if (auto ok = flush(); !ok) return fail(ok.error());
    auto statement = db_.prepare(
        "SELECT id, sensor, started_at, ended_at, config_hash, ruleset_hash, input, summary, "
        "(SELECT coalesce(sum(records), 0) FROM record_counts WHERE run_id = runs.id AND rule = "
        "''), "
        "approval_id, legal_basis, "
        "agreement_id, retention_seconds FROM runs ORDER BY id");
    if (!statement) return fail(statement.error());
    std::vector<Run> out;
    for (;;) {
      auto row = statement->step();
      if (!row) return fail("store: cannot list runs: {}", row.error().message);
      if (!*row) break;
      Run run;
      run.id = statement->column_int(0);
      run.info.sensor = statement->column_text(1);
      run.info.started_at = Timestamp::from_micros(statement->column_int(2));
      if (!statement->column_is_null(3)) {
        run.ended_at = Timestamp::from_micros(statement->column_int(3));
      }
      run.info.config_hash = statement->column_text(4);
      run.info.ruleset_hash = statement->column_text(5);
      run.info.input = statement->column_text(6);
      if (!statement->column_is_null(7)) {
        run.summary = nlohmann::json::parse(statement->column_text(7), nullptr, false);
        if (run.summary.is_discarded())
          return fail("store: run {} has an unreadable summary", run.id);
      }
      run.records = static_cast<std::uint64_t>(statement->column_int(8));
      run.info.approval_id = statement->column_text(9);
      run.info.legal_basis = statement->column_text(10);
      run.info.agreement_id = statement->column_text(11);
      run.info.retention = Duration::seconds(statement->column_int(12));
      out.push_back(std::move(run));
    }
    return out;
  }

  Result<std::vector<RecordCount>> record_counts(std::int64_t from_day,
                                                 std::int64_t until_day) override {
    if (auto ok = flush(); !ok) return fail(ok.error());
    auto statement = cached(
        "SELECT day, category, rule, sum(records) FROM record_counts "
        "WHERE day >= ?1 AND day < ?2 GROUP BY day, category, rule HAVING sum(records) > 0 "
        "ORDER BY day, category, rule");
    if (!statement) return fail(statement.error());
    Statement& s = **statement;
    s.bind(1, from_day);
    s.bind(2, until_day);
    std::vector<RecordCount> out;
    for (;;) {
      auto row = s.step();
      if (!row) {
        s.reset();
        return fail("store: cannot read record counts: {}", row.error().message);
      }
      if (!*row) break;
      const std::int64_t category = s.column_int(1);
      if (category < 0 || category >= scope::kCategoryCount) {
        s.reset();
        return fail("store: a record count has category {} (schema allows 0..3)", category);
      }
      out.push_back({.day = s.column_int(0),
                     .category = static_cast<scope::Category>(category),
                     .rule = std::string(s.column_text(2)),
                     .records = static_cast<std::uint64_t>(s.column_int(3))});
    }
    s.reset();
    return out;
  }

  Result<RetentionResult> delete_expired(Timestamp as_of) override {
    if (auto ok = check_writable(); !ok) return fail(ok.error());
    if (auto ok = flush(); !ok) return fail(ok.error());
    const std::int64_t bound = floor_micros(as_of);
    if (auto ok = db_.exec("BEGIN IMMEDIATE"); !ok) {
      return fail("store: retention cannot start: {}", ok.error().message);
    }
    auto result = delete_expired_locked(bound);
    if (!result) {
      (void)db_.exec("ROLLBACK");
      return fail("store: retention deleted nothing: {}", result.error().message);
    }
    if (auto ok = db_.exec("COMMIT"); !ok) {
      (void)db_.exec("ROLLBACK");
      return fail("store: retention deleted nothing (commit failed): {}", ok.error().message);
    }
    // From here on the deletion is committed and must be reported (the caller records it in
    // the ledger), so a failure to purge is a flag, not an error.
    result->purged = purge();
    return std::move(*result);
  }

  Result<std::uint64_t> count_expired(Timestamp as_of) override {
    if (auto ok = flush(); !ok) return fail(ok.error());
    auto statement = db_.prepare("SELECT count(*) FROM records WHERE expires_at <= ?1");
    if (!statement) return fail(statement.error());
    statement->bind(1, floor_micros(as_of));
    auto row = statement->step();
    if (!row) return fail("store: cannot count expired records: {}", row.error().message);
    return static_cast<std::uint64_t>(*row ? statement->column_int(0) : 0);
  }

  // Central ingest (store.h). Imported runs are not "open": append() and end_run() refuse
  // them, only the import_* calls write them.
  Result<RunId> import_run(std::string_view run_key, const RunInfo& info) override {
    if (auto ok = check_writable(); !ok) return fail(ok.error());
    if (run_key.empty()) return fail("store: import_run needs a run key");
    if (auto ok = check_retention(info.retention); !ok) return fail(ok.error());
    if (auto ok = flush(); !ok) return fail(ok.error());
    // OR IGNORE: a run with this key exists already (retention was checked above, the other
    // columns have no constraint that could be ignored).
    auto insert = db_.prepare(
        "INSERT OR IGNORE INTO runs (sensor, started_at, config_hash, ruleset_hash, input, "
        "approval_id, legal_basis, agreement_id, retention_seconds, run_key) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!insert) return fail(insert.error());
    insert->bind(1, std::string_view(info.sensor));
    insert->bind(2, info.started_at.micros());
    insert->bind(3, std::string_view(info.config_hash));
    insert->bind(4, std::string_view(info.ruleset_hash));
    insert->bind(5, std::string_view(info.input));
    insert->bind(6, std::string_view(info.approval_id));
    insert->bind(7, std::string_view(info.legal_basis));
    insert->bind(8, std::string_view(info.agreement_id));
    insert->bind(9, info.retention.nanos / 1'000'000'000);
    insert->bind(10, run_key);
    if (auto ok = insert->run(); !ok)
      return fail("store: cannot import run: {}", ok.error().message);
    auto select = db_.prepare("SELECT id, retention_seconds FROM runs WHERE run_key = ?1");
    if (!select) return fail(select.error());
    select->bind(1, run_key);
    auto row = select->step();
    if (!row || !*row) return fail("store: cannot import run: its row is missing");
    const RunId id = select->column_int(0);
    imported_runs_[id] = select->column_int(1) * 1'000'000;
    return id;
  }

  Result<bool> import_batch(RunId run, std::string_view batch_key,
                            std::span<const sieve::Record> records) override {
    if (auto ok = check_writable(); !ok) return fail(ok.error());
    if (batch_key.empty()) return fail("store: import_batch needs a batch key");
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (auto ok = sieve::validate_record(records[i]); !ok) {
        return fail("store: record {} of {}: {}", i, records.size(), ok.error().message);
      }
    }
    if (auto ok = flush(); !ok) return fail(ok.error());
    auto retention = imported_retention(run);
    if (!retention) return fail(retention.error());
    // Durable on return, also against power loss: the commit syncs even under sync=normal.
    const bool switch_sync = !options_.synchronous_full;
    if (switch_sync) {
      if (auto ok = db_.exec("PRAGMA synchronous = FULL"); !ok) return fail(ok.error());
    }
    auto imported = import_locked(run, batch_key, records, *retention);
    if (switch_sync) (void)db_.exec("PRAGMA synchronous = NORMAL");
    if (!imported) {
      return fail("store: import of a batch of run {} failed, nothing stored: {}", run,
                  imported.error().message);
    }
    return *imported;
  }

  Result<void> import_end(RunId run, const nlohmann::json& summary, Timestamp ended_at) override {
    if (auto ok = check_writable(); !ok) return fail(ok.error());
    if (auto ok = flush(); !ok) return fail(ok.error());
    auto exists = db_.prepare("SELECT count(*) FROM runs WHERE id = ?1 AND run_key IS NOT NULL");
    if (!exists) return fail(exists.error());
    exists->bind(1, std::int64_t{run});
    auto row = exists->step();
    if (!row || !*row || exists->column_int(0) == 0) {
      return fail("store: run {} was not imported", run);
    }
    auto statement = db_.prepare(
        "UPDATE runs SET ended_at = ?1, summary = ?2 WHERE id = ?3 AND ended_at IS NULL");
    if (!statement) return fail(statement.error());
    statement->bind(1, ended_at.micros());
    statement->bind(2, std::string_view(dump_json(summary)));
    statement->bind(3, std::int64_t{run});
    if (auto ok = statement->run(); !ok)
      return fail("store: cannot end imported run {}: {}", run, ok.error().message);
    return {};
  }

 private:
  Result<std::int64_t> imported_retention(RunId run) {
    if (const auto found = imported_runs_.find(run); found != imported_runs_.end()) {
      return found->second;
    }
    auto statement =
        db_.prepare("SELECT retention_seconds FROM runs WHERE id = ?1 AND run_key IS NOT NULL");
    if (!statement) return fail(statement.error());
    statement->bind(1, std::int64_t{run});
    auto row = statement->step();
    if (!row) return fail("store: cannot look up run {}: {}", run, row.error().message);
    if (!*row) return fail("store: run {} was not imported", run);
    return imported_runs_[run] = statement->column_int(0) * 1'000'000;
  }

  // One transaction: remember the key (or return false), insert the records, commit.
  Result<bool> import_locked(RunId run, std::string_view batch_key,
                             std::span<const sieve::Record> records, std::int64_t retention) {
    if (auto ok = db_.exec("BEGIN IMMEDIATE"); !ok) return fail(ok.error());
    transaction_open_ = true;
    auto body = [&]() -> Result<bool> {
      auto remember = db_.prepare(
          "INSERT OR IGNORE INTO import_batches (run_id, batch_key, imported_at, records) "
          "VALUES (?1, ?2, ?3, ?4)");
      if (!remember) return fail(remember.error());
      const std::int64_t stored_at = clock_.now().micros();
      remember->bind(1, std::int64_t{run});
      remember->bind(2, batch_key);
      remember->bind(3, stored_at);
      remember->bind(4, static_cast<std::int64_t>(records.size()));
      if (auto ok = remember->run(); !ok) return fail(ok.error());
      if (db_.changes() == 0) return false;
      for (const auto& record : records) {
        if (auto ok = insert(run, record, stored_at, stored_at + retention); !ok) {
          return fail(ok.error());
        }
      }
      return true;
    };
    auto outcome = body();
    if (!outcome || !*outcome) {
      rollback();
      return outcome;
    }
    if (auto ok = write_counts(); !ok) {
      rollback();
      return fail("record counts: {}", ok.error().message);
    }
    if (auto ok = db_.exec("COMMIT"); !ok) {
      rollback();
      return fail(ok.error());
    }
    transaction_open_ = false;
    pending_ = 0;
    return true;
  }

  static Result<void> check_retention(Duration retention) {
    if (retention.nanos <= 0 || retention.nanos % 1'000'000'000 != 0 || retention > kMaxRetention) {
      return fail(
          "store: run retention must be a whole number of seconds between 1 s and {} days "
          "(got {} ns)",
          kMaxRetention.nanos / 1'000'000'000 / 86400, retention.nanos);
    }
    return {};
  }

  // secure_delete zeroed the deleted cells and freed pages, but those zeroed pages are in the
  // WAL, and the WAL still holds older images of the same pages (with the records in them)
  // from before the last checkpoint. TRUNCATE copies the zeroed pages into the main file and
  // empties the WAL; incremental_vacuum returns the freed pages to the file system, and a
  // second TRUNCATE empties the WAL of the vacuum's own pages. A checkpoint is busy while
  // another connection reads an older snapshot (after the busy timeout): the bytes then go
  // at the next checkpoint, and this returns false.
  bool purge() {
    auto truncate = [this] {
      auto checkpoint = db_.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
      if (!checkpoint) return false;
      auto row = checkpoint->step();
      return row && *row && checkpoint->column_int(0) == 0;  // column 0: busy
    };
    const bool first = truncate();
    const bool vacuumed = db_.exec("PRAGMA incremental_vacuum").has_value();
    return truncate() && first && vacuumed;
  }

  // Counts, then deletes, inside the caller's transaction.
  Result<RetentionResult> delete_expired_locked(std::int64_t bound) {
    RetentionResult result;
    auto counts = db_.prepare(
        "SELECT run_id, category, count(*) FROM records WHERE expires_at <= ?1 "
        "GROUP BY run_id, category");
    if (!counts) return fail(counts.error());
    counts->bind(1, bound);
    for (;;) {
      auto row = counts->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      const auto n = static_cast<std::uint64_t>(counts->column_int(2));
      const std::int64_t category = counts->column_int(1);
      if (category < 0 || category >= scope::kCategoryCount) {
        return fail("a stored record has category {} (schema allows 0..3)", category);
      }
      result.by_run[counts->column_int(0)] += n;
      result.by_category[static_cast<std::size_t>(category)] += n;
      result.records_deleted += n;
    }
    // The counts lose what goes, in the same transaction. A count is never a reason to keep
    // an expired record (I6): one that disagreed with the records and would go below zero
    // is dropped with the empty ones rather than failing the deletion.
    for (const char* select :
         {"SELECT run_id, first_seen / 86400000000, category, '', -count(*) FROM records "
          "WHERE expires_at <= ?1 GROUP BY 1, 2, 3",
          "SELECT r.run_id, r.first_seen / 86400000000, r.category, m.rule, -count(*) "
          "FROM records r JOIN matches m ON m.record_id = r.id "
          "WHERE r.expires_at <= ?1 GROUP BY 1, 2, 3, 4"}) {
      auto statement = db_.prepare(fmt::format(kAddCounts, select));
      if (!statement) return fail(statement.error());
      statement->bind(1, bound);
      if (auto ok = statement->run(); !ok) return fail("record counts: {}", ok.error().message);
    }
    if (auto ok = db_.exec("DELETE FROM record_counts WHERE records <= 0"); !ok) {
      return fail("record counts: {}", ok.error().message);
    }
    // matches first: the foreign key would cascade, but the deletion should not depend on
    // a connection pragma.
    for (const char* sql : {"DELETE FROM matches WHERE record_id IN "
                            "(SELECT id FROM records WHERE expires_at <= ?1)",
                            "DELETE FROM records WHERE expires_at <= ?1"}) {
      auto statement = db_.prepare(sql);
      if (!statement) return fail(statement.error());
      statement->bind(1, bound);
      if (auto ok = statement->run(); !ok) return fail(ok.error());
    }
    if (static_cast<std::uint64_t>(db_.changes()) != result.records_deleted) {
      return fail("counted {} expired records but deleted {}", result.records_deleted,
                  db_.changes());
    }
    return result;
  }

  Result<void> check_writable() const {
    if (options_.read_only) return fail("store: '{}' is open read-only", options_.path);
    return {};
  }

  Result<void> insert(RunId run, const sieve::Record& record, std::int64_t stored_at,
                      std::int64_t expires_at) {
    if (!transaction_open_) {
      // IMMEDIATE takes the write lock now, so a commit can never fail for a lock upgrade.
      if (auto ok = db_.exec("BEGIN IMMEDIATE"); !ok) return fail(ok.error());
      transaction_open_ = true;
    }
    insert_record_.bind(1, std::int64_t{run});
    insert_record_.bind(2, record.first_seen.micros());
    insert_record_.bind(3, record.last_seen.micros());
    insert_record_.bind(4, std::int64_t{static_cast<int>(record.category)});
    insert_record_.bind_blob(5, record.src.ip.bytes());
    insert_record_.bind_blob(6, record.dst.ip.bytes());
    insert_record_.bind(7, std::string_view(sieve::record_to_json_line(record)));
    insert_record_.bind(8, stored_at);
    insert_record_.bind(9, expires_at);
    insert_record_.bind(10, std::int64_t{record.src.pseudonym_epoch});
    insert_record_.bind(11, std::int64_t{record.dst.pseudonym_epoch});
    if (auto ok = insert_record_.run(); !ok) return fail(ok.error());
    const RecordId id = db_.last_insert_id();
    counts_.add(run, record);
    // The same matches the JSON line carries (it is capped at kMaxMatches).
    const std::size_t matches = std::min(record.matches.size(), sieve::kMaxMatches);
    for (std::size_t i = 0; i < matches; ++i) {
      insert_match_.bind(1, std::string_view(record.matches[i].rule));
      insert_match_.bind(2, std::int64_t{id});
      insert_match_.bind(3, sieve::to_string(record.matches[i].kind));
      if (auto ok = insert_match_.run(); !ok) return fail(ok.error());
    }
    return {};
  }

  // Applies the counts of the open transaction's inserts (store/record_counts.h).
  Result<void> write_counts() {
    for (const auto& [key, delta] : counts_.changes()) {
      add_count_.bind(1, std::int64_t{key.run});
      add_count_.bind(2, key.day);
      add_count_.bind(3, std::int64_t{key.category});
      add_count_.bind(4, std::string_view(key.rule));
      add_count_.bind(5, delta);
      if (auto ok = add_count_.run(); !ok) return fail(ok.error());
    }
    counts_.clear();
    return {};
  }

  void rollback() {
    counts_.clear();
    if (transaction_open_) (void)db_.exec("ROLLBACK");
    transaction_open_ = false;
    pending_ = 0;
  }

  Result<Statement*> cached(const std::string& sql) {
    auto found = queries_.find(sql);
    if (found == queries_.end()) {
      auto statement = db_.prepare(sql, true);
      if (!statement) return fail(statement.error());
      found = queries_.emplace(sql, std::move(*statement)).first;
    }
    return &found->second;
  }

  SqliteOptions options_;
  const Clock& clock_;
  Database db_;  // declared before the statements: destroyed after them
  Statement insert_record_;
  Statement insert_match_;
  Statement add_count_;
  RecordCountDeltas counts_;  // of the open transaction's inserts
  std::unordered_map<std::string, Statement> queries_;
  std::map<RunId, std::int64_t> open_runs_;      // open run → its retention in µs
  std::map<RunId, std::int64_t> imported_runs_;  // imported run → its retention in µs
  bool transaction_open_ = false;
  std::size_t pending_ = 0;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options, const Clock& clock) {
  if (options.batch_size < 1 || options.batch_size > kMaxBatchSize) {
    return fail("sqlite store batch size must be 1..{}", kMaxBatchSize);
  }
  auto db = sqlite::open_database(options);
  if (!db) return fail(db.error());
  auto store = std::make_unique<SqliteStore>(options, clock, std::move(*db));
  if (auto ok = store->prepare_statements(); !ok) return fail(ok.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace mamori::store
