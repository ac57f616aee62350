#include "mamori/analysis/sqlite_findings.h"

#include <array>
#include <cmath>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "mamori/analysis/finding_json.h"
#include "mamori/store/sqlite_db.h"
#include "mamori/store/sqlite_migrate.h"

namespace mamori::analysis {
namespace {

using nlohmann::json;
using store::sqlite::Database;
using store::sqlite::Statement;

// "mmfd": marks the file as a findings database.
constexpr std::int64_t kApplicationId = 0x6d6d6664;

// Migration N takes the schema from version N to N+1 (index 0 creates version 1). Never edit
// a released migration; add one.
//
// Layout notes (version 1):
//  - `json` columns hold the stored forms (finding_json.h), the source of truth; the other
//    columns index them. score_micros = round(score × 10⁶) orders findings (SQLite statements
//    here bind integers and text only); `seq` is the position in the saved result, the tie
//    break.
//  - times are integer nanoseconds since the Unix epoch (UTC), as in the JSON; since/until are
//    NULL for an open window.
//  - findings and candidates go with their run (ON DELETE CASCADE); retention deletes runs.
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE analysis_runs (
  id         INTEGER PRIMARY KEY,
  since      INTEGER,
  until      INTEGER,
  created_at INTEGER NOT NULL,
  who        TEXT    NOT NULL CHECK (who <> ''),
  options    TEXT    NOT NULL,
  stats      TEXT    NOT NULL,
  expires_at INTEGER NOT NULL,
  findings   INTEGER NOT NULL,
  candidates INTEGER NOT NULL
);
CREATE INDEX analysis_runs_expires_at ON analysis_runs(expires_at);
CREATE TABLE findings (
  run_id       INTEGER NOT NULL REFERENCES analysis_runs(id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  id           TEXT    NOT NULL,
  kind         TEXT    NOT NULL,
  subject      TEXT    NOT NULL,
  score_micros INTEGER NOT NULL,
  json         TEXT    NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE INDEX findings_rank ON findings(run_id, score_micros DESC, seq);
CREATE INDEX findings_subject ON findings(subject);
CREATE TABLE candidates (
  run_id       INTEGER NOT NULL REFERENCES analysis_runs(id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  kind         TEXT    NOT NULL,
  value        TEXT    NOT NULL,
  score_micros INTEGER NOT NULL,
  json         TEXT    NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
)sql",
};

static_assert(kMigrations.size() == kFindingSchemaVersion);

Result<void> migrate(Database& db) {
  return store::migrate_schema(db, {"findings", kApplicationId, kMigrations});
}

Result<void> configure(Database& db, const std::string& path) {
  // auto_vacuum only takes effect before the first table exists; harmless afterwards.
  if (auto ok = db.exec("PRAGMA auto_vacuum = INCREMENTAL"); !ok) return fail(ok.error());
  auto mode = db.query_text("PRAGMA journal_mode = WAL");
  if (!mode) return fail(mode.error());
  if (*mode != "wal" && path != ":memory:") {
    return fail("cannot switch to WAL mode (journal_mode is {})", *mode);
  }
  return db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;");
}

std::int64_t score_micros(double score) {
  if (!std::isfinite(score)) return 0;
  return static_cast<std::int64_t>(std::llround(score * 1e6));
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<json> parse(std::string_view text, std::string_view what) {
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) return fail("stored {} is not valid JSON", what);
  return value;
}

class SqliteFindings final : public FindingStore {
 public:
  SqliteFindings(std::string path, Database db) : path_(std::move(path)), db_(std::move(db)) {}

  Result<AnalysisRunId> save(const AnalysisRunInfo& info, const AnalysisResult& result) override {
    if (info.who.empty()) return fail("findings '{}': an analysis run needs its analyst", path_);
    AnalysisRunId id = 0;
    auto ok = transaction("saving an analysis run", [&]() -> Result<void> {
      auto run = db_.prepare(
          "INSERT INTO analysis_runs (since, until, created_at, who, options, stats, expires_at, "
          "findings, candidates) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
      if (!run) return fail(run.error());
      if (info.since) {
        run->bind(1, info.since->nanos);
      } else {
        run->bind_null(1);
      }
      if (info.until) {
        run->bind(2, info.until->nanos);
      } else {
        run->bind_null(2);
      }
      run->bind(3, info.created_at.nanos);
      run->bind(4, std::string_view(info.who));
      run->bind(5, std::string_view(dump(options_to_json(info.options))));
      run->bind(6, std::string_view(dump(stats_to_json(result.stats))));
      run->bind(7, info.expires_at.nanos);
      run->bind(8, static_cast<std::int64_t>(result.findings.size()));
      run->bind(9, static_cast<std::int64_t>(result.candidates.size()));
      if (auto done = run->run(); !done) return done;
      id = db_.last_insert_id();
      auto finding = db_.prepare(
          "INSERT INTO findings (run_id, seq, id, kind, subject, score_micros, json) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
      if (!finding) return fail(finding.error());
      for (std::size_t i = 0; i < result.findings.size(); ++i) {
        const Finding& f = result.findings[i];
        finding->bind(1, id);
        finding->bind(2, static_cast<std::int64_t>(i));
        finding->bind(3, std::string_view(f.id));
        finding->bind(4, to_string(f.kind));
        finding->bind(5, std::string_view(f.subject));
        finding->bind(6, score_micros(f.score));
        finding->bind(7, std::string_view(dump(finding_to_json(f))));
        if (auto done = finding->run(); !done) return done;
        finding->reset();
      }
      auto candidate = db_.prepare(
          "INSERT INTO candidates (run_id, seq, kind, value, score_micros, json) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      if (!candidate) return fail(candidate.error());
      for (std::size_t i = 0; i < result.candidates.size(); ++i) {
        const CandidateIndicator& c = result.candidates[i];
        candidate->bind(1, id);
        candidate->bind(2, static_cast<std::int64_t>(i));
        candidate->bind(3, std::string_view(c.kind));
        candidate->bind(4, std::string_view(c.value));
        candidate->bind(5, score_micros(c.score));
        candidate->bind(6, std::string_view(dump(candidate_to_json(c))));
        if (auto done = candidate->run(); !done) return done;
        candidate->reset();
      }
      return {};
    });
    if (!ok) return fail(ok.error());
    return id;
  }

  Result<std::vector<AnalysisRun>> runs() override { return select_runs(std::nullopt); }

  Result<std::optional<AnalysisRun>> run(AnalysisRunId id) override {
    auto runs = select_runs(id);
    if (!runs) return fail(runs.error());
    if (runs->empty()) return std::optional<AnalysisRun>{};
    return std::optional<AnalysisRun>{std::move(runs->front())};
  }

  Result<std::vector<Finding>> findings(AnalysisRunId id, const FindingFilter& filter) override {
    std::string sql = "SELECT json FROM findings WHERE run_id = ?1";
    if (filter.kind) sql += " AND kind = ?2";
    sql += " ORDER BY score_micros DESC, seq";
    if (filter.limit > 0) sql += fmt::format(" LIMIT {}", filter.limit);
    auto s = db_.prepare(sql);
    if (!s) return fail("findings '{}': {}", path_, s.error().message);
    s->bind(1, id);
    if (filter.kind) s->bind(2, to_string(*filter.kind));
    std::vector<Finding> out;
    for (;;) {
      auto row = s->step();
      if (!row) return fail("findings '{}': {}", path_, row.error().message);
      if (!*row) break;
      auto value = parse(s->column_text(0), "finding");
      if (!value) return fail("findings '{}': {}", path_, value.error().message);
      auto finding = finding_from_json(*value);
      if (!finding) return fail("findings '{}': {}", path_, finding.error().message);
      out.push_back(std::move(*finding));
    }
    return out;
  }

  Result<std::vector<CandidateIndicator>> candidates(AnalysisRunId id) override {
    auto s = db_.prepare(
        "SELECT json FROM candidates WHERE run_id = ?1 ORDER BY score_micros DESC, seq");
    if (!s) return fail("findings '{}': {}", path_, s.error().message);
    s->bind(1, id);
    std::vector<CandidateIndicator> out;
    for (;;) {
      auto row = s->step();
      if (!row) return fail("findings '{}': {}", path_, row.error().message);
      if (!*row) break;
      auto value = parse(s->column_text(0), "candidate");
      if (!value) return fail("findings '{}': {}", path_, value.error().message);
      auto candidate = candidate_from_json(*value);
      if (!candidate) return fail("findings '{}': {}", path_, candidate.error().message);
      out.push_back(std::move(*candidate));
    }
    return out;
  }

  Result<FindingRetentionResult> delete_expired(Timestamp as_of) override {
    FindingRetentionResult result;
    auto ok = transaction("deleting expired analysis runs", [&]() -> Result<void> {
      auto select = db_.prepare(
          "SELECT id, findings, candidates FROM analysis_runs WHERE expires_at <= ?1 ORDER BY id");
      if (!select) return fail(select.error());
      select->bind(1, as_of.nanos);
      for (;;) {
        auto row = select->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        result.runs.push_back(select->column_int(0));
        result.findings += static_cast<std::uint64_t>(select->column_int(1));
        result.candidates += static_cast<std::uint64_t>(select->column_int(2));
      }
      auto remove = db_.prepare("DELETE FROM analysis_runs WHERE expires_at <= ?1");
      if (!remove) return fail(remove.error());
      remove->bind(1, as_of.nanos);
      return remove->run();
    });
    if (!ok) return fail(ok.error());
    if (!result.runs.empty()) {
      // secure_delete zeroed the rows in their pages; move those pages out of the WAL and
      // give free pages back, so no copy stays readable. A busy reader only delays this to
      // the next checkpoint.
      (void)db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      (void)db_.exec("PRAGMA incremental_vacuum");
      (void)db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    return result;
  }

 private:
  template <class Body>
  Result<void> transaction(std::string_view what, Body body) {
    if (auto ok = db_.exec("BEGIN IMMEDIATE"); !ok) {
      return fail("findings '{}': {}: {}", path_, what, ok.error().message);
    }
    if (auto ok = body(); !ok) {
      (void)db_.exec("ROLLBACK");
      return fail("findings '{}': {}: {}", path_, what, ok.error().message);
    }
    if (auto ok = db_.exec("COMMIT"); !ok) {
      (void)db_.exec("ROLLBACK");
      return fail("findings '{}': {}: {}", path_, what, ok.error().message);
    }
    return {};
  }

  Result<std::vector<AnalysisRun>> select_runs(std::optional<AnalysisRunId> only) {
    std::string sql =
        "SELECT id, since, until, created_at, who, options, stats, expires_at, findings, "
        "candidates FROM analysis_runs";
    if (only) sql += " WHERE id = ?1";
    sql += " ORDER BY id";
    auto s = db_.prepare(sql);
    if (!s) return fail("findings '{}': {}", path_, s.error().message);
    if (only) s->bind(1, *only);
    std::vector<AnalysisRun> out;
    for (;;) {
      auto row = s->step();
      if (!row) return fail("findings '{}': {}", path_, row.error().message);
      if (!*row) break;
      AnalysisRun run;
      run.id = s->column_int(0);
      if (!s->column_is_null(1)) run.info.since = Timestamp{s->column_int(1)};
      if (!s->column_is_null(2)) run.info.until = Timestamp{s->column_int(2)};
      run.info.created_at = Timestamp{s->column_int(3)};
      run.info.who = std::string(s->column_text(4));
      auto options = parse(s->column_text(5), "options");
      if (!options)
        return fail("findings '{}': run {}: {}", path_, run.id, options.error().message);
      auto parsed_options = options_from_json(*options);
      if (!parsed_options) {
        return fail("findings '{}': run {}: {}", path_, run.id, parsed_options.error().message);
      }
      run.info.options = *parsed_options;
      auto stats = parse(s->column_text(6), "stats");
      if (!stats) return fail("findings '{}': run {}: {}", path_, run.id, stats.error().message);
      auto parsed_stats = stats_from_json(*stats);
      if (!parsed_stats) {
        return fail("findings '{}': run {}: {}", path_, run.id, parsed_stats.error().message);
      }
      run.stats = *parsed_stats;
      run.info.expires_at = Timestamp{s->column_int(7)};
      run.findings = static_cast<std::uint64_t>(s->column_int(8));
      run.candidates = static_cast<std::uint64_t>(s->column_int(9));
      out.push_back(std::move(run));
    }
    return out;
  }

  std::string path_;
  Database db_;
};

}  // namespace

Result<std::unique_ptr<FindingStore>> open_sqlite_findings(const std::string& path) {
  auto db = Database::open(path, /*read_only=*/false, /*busy_timeout_ms=*/5000);
  if (!db) return fail("cannot open findings '{}': {}", path, db.error().message);
  // The first statement that reads the file is where a non-database is noticed.
  if (auto ok = configure(*db, path); !ok) {
    return fail("cannot open findings '{}': {}", path, ok.error().message);
  }
  if (auto ok = migrate(*db); !ok) {
    return fail("cannot open findings '{}': {}", path, ok.error().message);
  }
  return std::unique_ptr<FindingStore>(std::make_unique<SqliteFindings>(path, std::move(*db)));
}

}  // namespace mamori::analysis
