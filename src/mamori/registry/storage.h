#pragma once
// registry/storage: where the registry keeps what operators and the government file —
// organisations, important computers with their full change history, incidents with every
// report, vulnerabilities — and the audit trail of operator submissions. An interface, so that
// the central PostgreSQL backend can implement it later; SQLite is in sqlite_registry.h.
//
// Contract every backend keeps:
//  - each call is one transaction: it is applied completely or not at all, and a failed call
//    leaves everything accepted before it intact;
//  - history is never rewritten: a computer change is a new revision (1 = first filing), an
//    incident report is appended, a submission is never changed or removed;
//  - every operator submission (filing, change, import, incident report) is recorded in the
//    same transaction as the data it submitted, with who, organisation, when, kind and a
//    summary; `submissions(organisation_id)` returns exactly that organisation's own;
//  - one operator's call never changes another's computer or incident;
//  - errors name the entity and what failed (ids, never report text or indicator values).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/registry/import.h"
#include "mamori/registry/incidents.h"
#include "mamori/registry/model.h"
#include "mamori/registry/vulnerabilities.h"

namespace mamori::registry {

enum class SubmissionKind { filing, change, import, incident_report };
std::string_view to_string(SubmissionKind kind);  // "filing", "change", "import", "incident-report"
Result<SubmissionKind> parse_submission_kind(std::string_view text);

// One entry of the audit trail of operator submissions.
struct Submission {
  std::uint64_t sequence = 0;  // assigned by the storage, increasing in recording order
  std::string organisation_id;
  std::string user;  // who submitted (operator user)
  Timestamp at;      // when (the registry's clock at receipt)
  SubmissionKind kind = SubmissionKind::filing;
  std::string subject;  // the computer or incident id, or the import's source name
  std::string summary;  // e.g. "revision 2: version", "3 new, 1 changed, 0 unchanged"
};

// Who files an import (the changes in an ImportPlan carry the same user and time).
struct ImportSubmission {
  std::string organisation_id;
  std::string user;
  Timestamp at;
  std::string source;  // e.g. the file name
};

class RegistryStorage {
 public:
  virtual ~RegistryStorage() = default;

  // --- organisations (registered by the government; not operator submissions) ----------------
  // Inserts or replaces the organisation with this id.
  virtual Result<void> put_organisation(const Organisation& organisation) = 0;
  virtual Result<std::optional<Organisation>> organisation(std::string_view id) = 0;
  virtual Result<std::vector<Organisation>> organisations() = 0;  // by id

  // --- important computers ---------------------------------------------------------------------
  // Files a new computer with its first change (first_filing: revision 1 listing every field,
  // computer_id == computer.id). The organisation must be registered and the id new.
  // Recorded as a `filing` submission by first.by at first.at.
  virtual Result<void> file_computer(const ImportantComputer& computer,
                                     const ComputerChange& first) = 0;
  // Applies one change: `after` is the computer as it stands after it, `change` must list
  // exactly the fields that differ from the stored computer (diff_computer) and have the next
  // revision. A change never moves a computer to another organisation. Recorded as a `change`
  // submission.
  virtual Result<void> apply_change(const ImportantComputer& after,
                                    const ComputerChange& change) = 0;
  // Files a whole import plan (import.h apply_import) in one transaction: new filings and
  // changes as above, conflicts and unchanged ids are not applied. Every computer in the plan
  // must belong to `who.organisation_id`. Recorded as one `import` submission.
  virtual Result<void> file_import(const ImportPlan& plan, const ImportSubmission& who) = 0;
  virtual Result<std::optional<ImportantComputer>> computer(std::string_view id) = 0;
  virtual Result<std::vector<ImportantComputer>> computers(std::string_view organisation_id) = 0;
  virtual Result<std::vector<ImportantComputer>> all_computers() = 0;  // by id
  // Every revision of one computer, oldest first (empty when the id is unknown).
  virtual Result<std::vector<ComputerChange>> history(std::string_view computer_id) = 0;

  // --- incidents -------------------------------------------------------------------------------
  // Stores a new incident as opened by open_incident (exactly one report, stamped). Recorded as
  // an `incident-report` submission by the report's submitted_by at its submitted_at.
  virtual Result<void> open_incident(const Incident& incident) = 0;
  // Appends a report already validated and stamped by submit_report: same organisation as the
  // incident, not a first report. Recorded as an `incident-report` submission.
  virtual Result<void> append_report(std::string_view incident_id,
                                     const IncidentReport& report) = 0;
  virtual Result<std::optional<Incident>> incident(std::string_view id) = 0;
  virtual Result<std::vector<Incident>> incidents() = 0;  // by id
  virtual Result<std::vector<Incident>> incidents(std::string_view organisation_id) = 0;

  // --- vulnerabilities (government side) -------------------------------------------------------
  // Inserts or replaces catalog entries by id, all in one transaction. Merging a KEV entry with
  // a government one is VulnerabilityCatalog::add's job (load, add, put the merged entries);
  // the storage only guarantees that confidential and exploited_in_japan, once stored, stay
  // set (an embargo is never lifted by a later public entry), and keeps the stored basis.
  virtual Result<void> put_vulnerabilities(std::span<const Vulnerability> entries) = 0;
  virtual Result<std::vector<Vulnerability>> vulnerabilities() = 0;  // by id
  // As VulnerabilityCatalog::mark_exploited_in_japan; an unknown id is an error naming it.
  virtual Result<void> mark_exploited_in_japan(std::string_view id, std::string_view basis) = 0;

  // --- audit trail -----------------------------------------------------------------------------
  // That organisation's submissions, oldest first; never another organisation's.
  virtual Result<std::vector<Submission>> submissions(std::string_view organisation_id) = 0;
};

}  // namespace mamori::registry
