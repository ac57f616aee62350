#include "mamori/registry/sqlite_registry.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "mamori/registry/storage_json.h"
#include "mamori/store/sqlite_db.h"
#include "mamori/store/sqlite_migrate.h"

namespace mamori::registry {
namespace {

using nlohmann::json;
using store::sqlite::Database;
using store::sqlite::Statement;

// "mmrg": marks the file as a registry, so that a record store (which has its own
// user_version) or any other SQLite file is refused instead of being read as one.
constexpr std::int64_t kApplicationId = 0x6d6d7267;

// Migration N takes the schema from version N to N+1 (index 0 creates version 1). Never edit
// a released migration; add one.
//
// Layout notes (version 1):
//  - `json` columns hold the stored forms (storage_json.h; incident_to_json for incidents),
//    the source of truth; the other columns index them;
//  - times are integer microseconds since the Unix epoch (UTC);
//  - computers hold the current state and revision; computer_changes every revision, and
//    together with submissions they are append-only (triggers refuse UPDATE and DELETE), so
//    no code path rewrites history or the audit trail;
//  - an incident's reports live in its JSON; the row is rewritten on append (the storage only
//    ever appends to the report list).
constexpr std::array<std::string_view, 1> kMigrations = {
    R"sql(
CREATE TABLE organisations (
  id   TEXT PRIMARY KEY,
  json TEXT NOT NULL
);
CREATE TABLE computers (
  id              TEXT    PRIMARY KEY,
  organisation_id TEXT    NOT NULL REFERENCES organisations(id),
  revision        INTEGER NOT NULL CHECK (revision >= 1),
  json            TEXT    NOT NULL
);
CREATE INDEX computers_organisation ON computers(organisation_id, id);
CREATE TABLE computer_changes (
  computer_id TEXT    NOT NULL REFERENCES computers(id),
  revision    INTEGER NOT NULL CHECK (revision >= 1),
  at          INTEGER NOT NULL,
  by          TEXT    NOT NULL,
  json        TEXT    NOT NULL,
  PRIMARY KEY (computer_id, revision)
) WITHOUT ROWID;
CREATE TRIGGER computer_changes_no_update BEFORE UPDATE ON computer_changes
  BEGIN SELECT RAISE(ABORT, 'computer history is append-only'); END;
CREATE TRIGGER computer_changes_no_delete BEFORE DELETE ON computer_changes
  BEGIN SELECT RAISE(ABORT, 'computer history is append-only'); END;
CREATE TABLE incidents (
  id              TEXT    PRIMARY KEY,
  organisation_id TEXT    NOT NULL REFERENCES organisations(id),
  detected_at     INTEGER NOT NULL,
  json            TEXT    NOT NULL
);
CREATE INDEX incidents_organisation ON incidents(organisation_id, id);
CREATE TABLE vulnerabilities (
  id   TEXT PRIMARY KEY,
  json TEXT NOT NULL
);
CREATE TABLE submissions (
  sequence        INTEGER PRIMARY KEY AUTOINCREMENT,
  organisation_id TEXT    NOT NULL,
  user            TEXT    NOT NULL,
  at              INTEGER NOT NULL,
  kind            TEXT    NOT NULL,
  subject         TEXT    NOT NULL,
  summary         TEXT    NOT NULL
);
CREATE INDEX submissions_organisation ON submissions(organisation_id, sequence);
CREATE TRIGGER submissions_no_update BEFORE UPDATE ON submissions
  BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END;
CREATE TRIGGER submissions_no_delete BEFORE DELETE ON submissions
  BEGIN SELECT RAISE(ABORT, 'submissions are append-only'); END;
)sql",
};

static_assert(kMigrations.size() == kRegistrySchemaVersion);

Result<void> migrate(Database& db) {
  return store::migrate_schema(db, {"registry", kApplicationId, kMigrations});
}

// Text that is not valid UTF-8 cannot be stored as JSON; the message names the entity only.
Result<std::string> dump(const json& value, std::string_view what) {
  try {
    return value.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception&) {
    return fail("{} has text that is not valid UTF-8", what);
  }
}

std::string changed_fields(const ComputerChange& change) {
  std::string out;
  for (const auto& [field, value] : change.changed) {
    if (!out.empty()) out += ", ";
    out += field;
  }
  return out;
}

class SqliteRegistry final : public RegistryStorage {
 public:
  SqliteRegistry(std::string path, Database db) : path_(std::move(path)), db_(std::move(db)) {}

  // --- organisations ---------------------------------------------------------------------------

  Result<void> put_organisation(const Organisation& organisation) override {
    return write(fmt::format("storing organisation '{}'", organisation.id), [&]() -> Result<void> {
      if (organisation.id.empty()) return fail("an organisation needs an id");
      auto text = dump(organisation_to_json(organisation), "the organisation");
      if (!text) return fail(text.error());
      auto s = db_.prepare(
          "INSERT INTO organisations (id, json) VALUES (?1, ?2) "
          "ON CONFLICT (id) DO UPDATE SET json = excluded.json");
      if (!s) return fail(s.error());
      s->bind(1, std::string_view(organisation.id));
      s->bind(2, std::string_view(*text));
      return s->run();
    });
  }

  Result<std::optional<Organisation>> organisation(std::string_view id) override {
    return one<Organisation>("SELECT id, json FROM organisations WHERE id = ?1", id, "organisation",
                             organisation_from_json);
  }

  Result<std::vector<Organisation>> organisations() override {
    return many<Organisation>("SELECT id, json FROM organisations ORDER BY id", {}, "organisation",
                              organisation_from_json);
  }

  // --- computers -------------------------------------------------------------------------------

  Result<void> file_computer(const ImportantComputer& computer,
                             const ComputerChange& first) override {
    return write(fmt::format("filing computer '{}'", computer.id), [&]() -> Result<void> {
      if (auto ok = insert_filing(computer, first); !ok) return ok;
      return record({0, computer.organisation_id, first.by, first.at, SubmissionKind::filing,
                     computer.id, "revision 1: first filing"});
    });
  }

  Result<void> apply_change(const ImportantComputer& after, const ComputerChange& change) override {
    return write(fmt::format("changing computer '{}'", after.id), [&]() -> Result<void> {
      if (auto ok = insert_change(after, change); !ok) return ok;
      return record({0, after.organisation_id, change.by, change.at, SubmissionKind::change,
                     after.id,
                     fmt::format("revision {}: {}", change.revision, changed_fields(change))});
    });
  }

  Result<void> file_import(const ImportPlan& plan, const ImportSubmission& who) override {
    return write(fmt::format("filing import '{}'", who.source), [&]() -> Result<void> {
      if (who.organisation_id.empty() || who.user.empty()) {
        return fail("an import needs the submitting organisation and user");
      }
      auto own = [&](const ImportantComputer& c) -> Result<void> {
        if (c.organisation_id == who.organisation_id) return {};
        return fail("computer '{}' belongs to organisation '{}', not to the submitting '{}'", c.id,
                    c.organisation_id, who.organisation_id);
      };
      for (const FiledComputer& filed : plan.new_filings) {
        if (auto ok = own(filed.computer); !ok) return ok;
        if (auto ok = insert_filing(filed.computer, filed.change); !ok) return ok;
      }
      for (const FiledComputer& filed : plan.changes) {
        if (auto ok = own(filed.computer); !ok) return ok;
        if (auto ok = insert_change(filed.computer, filed.change); !ok) return ok;
      }
      return record({0, who.organisation_id, who.user, who.at, SubmissionKind::import, who.source,
                     fmt::format("{} new, {} changed, {} unchanged, {} conflicts not applied",
                                 plan.new_filings.size(), plan.changes.size(),
                                 plan.unchanged.size(), plan.conflicts.size())});
    });
  }

  Result<std::optional<ImportantComputer>> computer(std::string_view id) override {
    return one<ImportantComputer>("SELECT id, json FROM computers WHERE id = ?1", id, "computer",
                                  computer_from_json);
  }

  Result<std::vector<ImportantComputer>> computers(std::string_view organisation_id) override {
    return many<ImportantComputer>(
        "SELECT id, json FROM computers WHERE organisation_id = ?1 ORDER BY id", organisation_id,
        "computer", computer_from_json);
  }

  Result<std::vector<ImportantComputer>> all_computers() override {
    return many<ImportantComputer>("SELECT id, json FROM computers ORDER BY id", {}, "computer",
                                   computer_from_json);
  }

  Result<std::vector<ComputerChange>> history(std::string_view computer_id) override {
    return many<ComputerChange>(
        "SELECT computer_id || ' revision ' || revision, json FROM computer_changes "
        "WHERE computer_id = ?1 ORDER BY revision",
        computer_id, "change of computer", change_from_json);
  }

  // --- incidents -------------------------------------------------------------------------------

  Result<void> open_incident(const Incident& incident) override {
    return write(fmt::format("opening incident '{}'", incident.id), [&]() -> Result<void> {
      if (incident.id.empty()) return fail("an incident needs an id");
      if (incident.reports.size() != 1 || incident.reports[0].phase != ReportPhase::first) {
        return fail("an incident is opened with exactly one first report (速報)");
      }
      const IncidentReport& first = incident.reports[0];
      if (auto ok = check_report(incident, first); !ok) return ok;
      if (auto ok = require_organisation(incident.organisation_id); !ok) return ok;
      auto existing = load_incident(incident.id);
      if (!existing) return fail(existing.error());
      if (*existing) return fail("incident '{}' already exists", incident.id);
      auto text = dump(incident_to_json(incident), "the incident");
      if (!text) return fail(text.error());
      auto s = db_.prepare(
          "INSERT INTO incidents (id, organisation_id, detected_at, json) VALUES (?1, ?2, ?3, ?4)");
      if (!s) return fail(s.error());
      s->bind(1, std::string_view(incident.id));
      s->bind(2, std::string_view(incident.organisation_id));
      s->bind(3, incident.detected_at.micros());
      s->bind(4, std::string_view(*text));
      if (auto ok = s->run(); !ok) return ok;
      return record_report(incident, first);
    });
  }

  Result<void> append_report(std::string_view incident_id, const IncidentReport& report) override {
    return write(fmt::format("appending a report to incident '{}'", incident_id),
                 [&]() -> Result<void> {
                   auto stored = load_incident(incident_id);
                   if (!stored) return fail(stored.error());
                   if (!*stored) return fail("no incident '{}'", incident_id);
                   Incident& incident = **stored;
                   if (report.phase == ReportPhase::first) {
                     return fail("the incident already has its first report (速報)");
                   }
                   if (auto ok = check_report(incident, report); !ok) return ok;
                   incident.reports.push_back(report);
                   auto text = dump(incident_to_json(incident), "the report");
                   if (!text) return fail(text.error());
                   auto s = db_.prepare("UPDATE incidents SET json = ?1 WHERE id = ?2");
                   if (!s) return fail(s.error());
                   s->bind(1, std::string_view(*text));
                   s->bind(2, incident_id);
                   if (auto ok = s->run(); !ok) return ok;
                   return record_report(incident, report);
                 });
  }

  Result<std::optional<Incident>> incident(std::string_view id) override {
    return load_incident(id);
  }

  Result<std::vector<Incident>> incidents() override {
    return many<Incident>("SELECT id, json FROM incidents ORDER BY id", {}, "incident",
                          incident_from_json);
  }

  Result<std::vector<Incident>> incidents(std::string_view organisation_id) override {
    return many<Incident>("SELECT id, json FROM incidents WHERE organisation_id = ?1 ORDER BY id",
                          organisation_id, "incident", incident_from_json);
  }

  // --- vulnerabilities -------------------------------------------------------------------------

  Result<void> put_vulnerabilities(std::span<const Vulnerability> entries) override {
    return write("storing vulnerabilities", [&]() -> Result<void> {
      for (std::size_t i = 0; i < entries.size(); ++i) {
        Vulnerability entry = entries[i];
        if (entry.cve_id.empty()) return fail("entry {} has no id", i);
        auto stored = load_vulnerability(entry.cve_id);
        if (!stored) return fail(stored.error());
        if (*stored) {
          // Once stored, an embargo or an exploitation mark is never lifted by a later entry.
          entry.confidential = entry.confidential || (*stored)->confidential;
          entry.exploited_in_japan = entry.exploited_in_japan || (*stored)->exploited_in_japan;
          std::vector<std::string> basis = (*stored)->exploited_in_japan_basis;
          for (const std::string& b : entry.exploited_in_japan_basis) {
            if (std::ranges::find(basis, b) == basis.end()) basis.push_back(b);
          }
          entry.exploited_in_japan_basis = std::move(basis);
        }
        if (auto ok = store_vulnerability(entry); !ok) return ok;
      }
      return {};
    });
  }

  Result<std::vector<Vulnerability>> vulnerabilities() override {
    return many<Vulnerability>("SELECT id, json FROM vulnerabilities ORDER BY id", {},
                               "vulnerability", vulnerability_from_json);
  }

  Result<void> mark_exploited_in_japan(std::string_view id, std::string_view basis) override {
    return write(fmt::format("marking vulnerability '{}' exploited in Japan", id),
                 [&]() -> Result<void> {
                   auto stored = load_vulnerability(id);
                   if (!stored) return fail(stored.error());
                   if (!*stored) return fail("no vulnerability '{}'", id);
                   VulnerabilityCatalog catalog;
                   catalog.add({std::move(**stored)});
                   if (auto ok = catalog.mark_exploited_in_japan(id, basis); !ok) return ok;
                   return store_vulnerability(catalog.entries().front());
                 });
  }

  // --- submissions -----------------------------------------------------------------------------

  Result<std::vector<Submission>> submissions(std::string_view organisation_id) override {
    auto s = db_.prepare(
        "SELECT sequence, organisation_id, user, at, kind, subject, summary FROM submissions "
        "WHERE organisation_id = ?1 ORDER BY sequence");
    if (!s) return fail(s.error());
    s->bind(1, organisation_id);
    std::vector<Submission> out;
    for (;;) {
      auto row = s->step();
      if (!row)
        return fail("registry '{}': reading submissions failed: {}", path_, row.error().message);
      if (!*row) break;
      Submission sub;
      sub.sequence = static_cast<std::uint64_t>(s->column_int(0));
      sub.organisation_id = s->column_text(1);
      sub.user = s->column_text(2);
      sub.at = Timestamp::from_micros(s->column_int(3));
      auto kind = parse_submission_kind(s->column_text(4));
      if (!kind) {
        return fail("registry '{}': submission {}: {}", path_, sub.sequence, kind.error().message);
      }
      sub.kind = *kind;
      sub.subject = s->column_text(5);
      sub.summary = s->column_text(6);
      out.push_back(std::move(sub));
    }
    return out;
  }

 private:
  // Runs `body` in one write transaction; any failure rolls everything back, so a refused call
  // leaves what was accepted before it as it was.
  template <class Body>
  Result<void> write(const std::string& what, Body body) {
    if (auto ok = db_.exec("BEGIN IMMEDIATE"); !ok) {
      return fail("registry '{}': {}: cannot start a transaction: {}", path_, what,
                  ok.error().message);
    }
    Result<void> result = body();
    if (result) result = db_.exec("COMMIT");
    if (!result) {
      if (db_.in_transaction()) (void)db_.exec("ROLLBACK");
      return fail("registry '{}': {}: {}", path_, what, result.error().message);
    }
    return {};
  }

  // Reads rows of (name, json) into values; `bound` binds ?1 when not empty.
  template <class T, class FromJson>
  Result<std::vector<T>> many(std::string_view sql, std::optional<std::string_view> bound,
                              std::string_view what, FromJson from_json) {
    auto s = db_.prepare(sql);
    if (!s) return fail(s.error());
    if (bound) s->bind(1, *bound);
    std::vector<T> out;
    for (;;) {
      auto row = s->step();
      if (!row)
        return fail("registry '{}': reading {}s failed: {}", path_, what, row.error().message);
      if (!*row) break;
      const std::string name(s->column_text(0));
      const json value = json::parse(s->column_text(1), nullptr, false);
      if (value.is_discarded()) {
        return fail("registry '{}': {} '{}' is stored as invalid JSON", path_, what, name);
      }
      auto parsed = from_json(value);
      if (!parsed) {
        return fail("registry '{}': {} '{}' is unreadable: {}", path_, what, name,
                    parsed.error().message);
      }
      out.push_back(std::move(*parsed));
    }
    return out;
  }

  template <class T, class FromJson>
  Result<std::optional<T>> one(std::string_view sql, std::string_view id, std::string_view what,
                               FromJson from_json) {
    auto rows = many<T>(sql, id, what, from_json);
    if (!rows) return fail(rows.error());
    if (rows->empty()) return std::optional<T>{};
    return std::optional<T>(std::move(rows->front()));
  }

  Result<std::optional<Incident>> load_incident(std::string_view id) {
    return one<Incident>("SELECT id, json FROM incidents WHERE id = ?1", id, "incident",
                         incident_from_json);
  }

  Result<std::optional<Vulnerability>> load_vulnerability(std::string_view id) {
    return one<Vulnerability>("SELECT id, json FROM vulnerabilities WHERE id = ?1", id,
                              "vulnerability", vulnerability_from_json);
  }

  Result<void> store_vulnerability(const Vulnerability& entry) {
    auto text = dump(vulnerability_to_json(entry), fmt::format("vulnerability '{}'", entry.cve_id));
    if (!text) return fail(text.error());
    auto s = db_.prepare(
        "INSERT INTO vulnerabilities (id, json) VALUES (?1, ?2) "
        "ON CONFLICT (id) DO UPDATE SET json = excluded.json");
    if (!s) return fail(s.error());
    s->bind(1, std::string_view(entry.cve_id));
    s->bind(2, std::string_view(*text));
    return s->run();
  }

  Result<void> require_organisation(const std::string& id) {
    if (id.empty()) return fail("no organisation given");
    auto s = db_.prepare("SELECT 1 FROM organisations WHERE id = ?1");
    if (!s) return fail(s.error());
    s->bind(1, std::string_view(id));
    auto row = s->step();
    if (!row) return fail(row.error());
    if (!*row) return fail("organisation '{}' is not registered", id);
    return {};
  }

  // The current revision of a computer, with its stored state.
  Result<std::optional<std::pair<ImportantComputer, std::uint64_t>>> load_computer(
      const std::string& id) {
    using Found = std::optional<std::pair<ImportantComputer, std::uint64_t>>;
    auto s = db_.prepare("SELECT revision FROM computers WHERE id = ?1");
    if (!s) return fail(s.error());
    s->bind(1, std::string_view(id));
    auto row = s->step();
    if (!row) return fail(row.error());
    if (!*row) return Found{};
    const auto revision = static_cast<std::uint64_t>(s->column_int(0));
    auto stored = computer(id);
    if (!stored) return fail(stored.error());
    if (!*stored) return Found{};
    return Found(std::pair(std::move(**stored), revision));
  }

  Result<void> insert_filing(const ImportantComputer& computer, const ComputerChange& first) {
    if (computer.id.empty()) return fail("a computer needs an id");
    if (first.computer_id != computer.id || first.revision != 1) {
      return fail("computer '{}': a filing is revision 1 of the same computer", computer.id);
    }
    if (first.by.empty()) return fail("computer '{}': the filing names no user", computer.id);
    if (first.changed != first_filing(computer, first.at, first.by).changed) {
      return fail("computer '{}': the filing's fields differ from the computer", computer.id);
    }
    if (auto ok = require_organisation(computer.organisation_id); !ok) return ok;
    auto existing = load_computer(computer.id);
    if (!existing) return fail(existing.error());
    if (*existing) return fail("computer '{}' is already filed", computer.id);
    auto text = dump(computer_to_json(computer), fmt::format("computer '{}'", computer.id));
    if (!text) return fail(text.error());
    auto s = db_.prepare(
        "INSERT INTO computers (id, organisation_id, revision, json) VALUES (?1, ?2, 1, ?3)");
    if (!s) return fail(s.error());
    s->bind(1, std::string_view(computer.id));
    s->bind(2, std::string_view(computer.organisation_id));
    s->bind(3, std::string_view(*text));
    if (auto ok = s->run(); !ok) return ok;
    return insert_history(first);
  }

  Result<void> insert_change(const ImportantComputer& after, const ComputerChange& change) {
    auto existing = load_computer(after.id);
    if (!existing) return fail(existing.error());
    if (!*existing) return fail("computer '{}' is not filed", after.id);
    const auto& [before, revision] = **existing;
    if (before.organisation_id != after.organisation_id) {
      return fail("computer '{}' belongs to organisation '{}'; a change cannot move it to '{}'",
                  after.id, before.organisation_id, after.organisation_id);
    }
    if (change.computer_id != after.id || change.revision != revision + 1) {
      return fail("computer '{}' is at revision {}; the change must be revision {} of it", after.id,
                  revision, revision + 1);
    }
    if (change.by.empty()) return fail("computer '{}': the change names no user", after.id);
    const auto diff = diff_computer(before, after, change.at, change.by, change.revision);
    if (diff.changed.empty()) return fail("computer '{}': the change changes nothing", after.id);
    if (diff.changed != change.changed) {
      return fail("computer '{}': the change lists other fields than those that differ", after.id);
    }
    auto text = dump(computer_to_json(after), fmt::format("computer '{}'", after.id));
    if (!text) return fail(text.error());
    auto s = db_.prepare("UPDATE computers SET revision = ?1, json = ?2 WHERE id = ?3");
    if (!s) return fail(s.error());
    s->bind(1, static_cast<std::int64_t>(change.revision));
    s->bind(2, std::string_view(*text));
    s->bind(3, std::string_view(after.id));
    if (auto ok = s->run(); !ok) return ok;
    return insert_history(change);
  }

  Result<void> insert_history(const ComputerChange& change) {
    auto text = dump(change_to_json(change), fmt::format("the change of '{}'", change.computer_id));
    if (!text) return fail(text.error());
    auto s = db_.prepare(
        "INSERT INTO computer_changes (computer_id, revision, at, by, json) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!s) return fail(s.error());
    s->bind(1, std::string_view(change.computer_id));
    s->bind(2, static_cast<std::int64_t>(change.revision));
    s->bind(3, change.at.micros());
    s->bind(4, std::string_view(change.by));
    s->bind(5, std::string_view(*text));
    return s->run();
  }

  static Result<void> check_report(const Incident& incident, const IncidentReport& report) {
    if (report.organisation_id != incident.organisation_id) {
      return fail("the report's organisation '{}' is not the incident's '{}'",
                  report.organisation_id, incident.organisation_id);
    }
    if (report.submitted_by.empty()) return fail("the report is not stamped with its submitter");
    return {};
  }

  Result<void> record_report(const Incident& incident, const IncidentReport& report) {
    return record({0, incident.organisation_id, report.submitted_by, report.submitted_at,
                   SubmissionKind::incident_report, incident.id,
                   fmt::format("report {}: {} ({})", incident.reports.size(),
                               to_string(report.phase), name_ja(report.phase))});
  }

  Result<void> record(const Submission& submission) {
    if (submission.organisation_id.empty() || submission.user.empty()) {
      return fail("a submission needs its organisation and user");
    }
    auto s = db_.prepare(
        "INSERT INTO submissions (organisation_id, user, at, kind, subject, summary) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!s) return fail(s.error());
    s->bind(1, std::string_view(submission.organisation_id));
    s->bind(2, std::string_view(submission.user));
    s->bind(3, submission.at.micros());
    s->bind(4, to_string(submission.kind));
    s->bind(5, std::string_view(submission.subject));
    s->bind(6, std::string_view(submission.summary));
    return s->run();
  }

  std::string path_;
  Database db_;
};

Result<void> configure(Database& db, const std::string& path) {
  auto mode = db.query_text("PRAGMA journal_mode = WAL");
  if (!mode) return fail(mode.error());
  if (*mode != "wal" && path != ":memory:") {
    return fail("cannot switch to WAL mode (journal_mode is {})", *mode);
  }
  return db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

}  // namespace

Result<std::unique_ptr<RegistryStorage>> open_sqlite_registry(const std::string& path) {
  auto db = Database::open(path, /*read_only=*/false, /*busy_timeout_ms=*/5000);
  if (!db) return fail("cannot open registry '{}': {}", path, db.error().message);
  // The first statement that reads the file is where a non-database is noticed.
  if (auto ok = configure(*db, path); !ok) {
    return fail("cannot open registry '{}': {}", path, ok.error().message);
  }
  if (auto ok = migrate(*db); !ok) {
    return fail("cannot open registry '{}': {}", path, ok.error().message);
  }
  return std::unique_ptr<RegistryStorage>(std::make_unique<SqliteRegistry>(path, std::move(*db)));
}

}  // namespace mamori::registry
