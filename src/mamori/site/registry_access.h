#pragma once
// site/registry_access: who may see and file what in the registry (registry/storage.h), and the
// registry work the `mamori` registry commands and mamorid's console do the same way — numbering
// a new incident, appending a later report, gathering an organisation's notices. One rule for
// both, so that the command line and the console cannot disagree about an operator's reach.
//
// Who may do what:
//   - operator: sees and files for the organisations whose `operator_users` list it, nothing
//     else;
//   - analyst, admin (the government): see every organisation; never file computers or
//     incident reports (filings are the operator's own, and the trail says so);
//   - overseer: no access to the registry (it inspects the selection of communications, which
//     the registry does not hold).
// What a refusal says is the caller's: the command line names the actor, the console answers
// 404 so that ids of other organisations' incidents cannot be probed.

#include <cstddef>
#include <string>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/governance/access.h"
#include "mamori/registry/attack.h"
#include "mamori/registry/correlation.h"
#include "mamori/registry/incidents.h"
#include "mamori/registry/model.h"
#include "mamori/registry/notices.h"
#include "mamori/registry/storage.h"

namespace mamori::site {

// Analyst or admin: the roles that see every organisation.
bool is_government(const governance::User& user);
// Whether `user` may see the organisation's entries (computers, incidents, trail, notices).
bool may_see(const governance::User& user, const registry::Organisation& organisation);
// Whether `user` may file for the organisation: operators it lists only.
bool may_file(const governance::User& user, const registry::Organisation& organisation);
// Every registered organisation `user` may see, by id.
Result<std::vector<registry::Organisation>> visible_organisations(
    registry::RegistryStorage& storage, const governance::User& user);

// "inc-<year of now>-<n>", n (at least four digits) one more than the highest of that year.
Result<std::string> next_incident_id(registry::RegistryStorage& storage, Timestamp now);

// Opens a new incident from a first report under the next free id (registry::open_incident:
// validated, stamped with `submitted_by` and `now`) and stores it with its submission. Two
// first reports filed at the same moment may pick the same id: the one that loses takes the
// next. Errors are open_incident's (the report) or the storage's.
Result<registry::Incident> open_next_incident(registry::RegistryStorage& storage,
                                              const std::string& regime_id,
                                              const registry::IncidentReport& first,
                                              const registry::AttackCatalog& catalog,
                                              const std::string& submitted_by, Timestamp now);

// Appends an interim (続報) or final (確報) report to `incident` (registry::submit_report:
// validated, same organisation, stamped) and stores it with its submission. On success
// `incident` holds the new report last. Errors are submit_report's (the report) or the
// storage's.
Result<void> append_later_report(registry::RegistryStorage& storage, registry::Incident& incident,
                                 registry::IncidentReport report,
                                 const registry::AttackCatalog& catalog,
                                 const std::string& submitted_by, Timestamp now);

// Indexes into `report.affected_computers` of computers that are not registered to
// `organisation_id`. Accepted all the same (a first report must cost little), but said, so
// that the operator files them.
Result<std::vector<std::size_t>> unfiled_computers(registry::RegistryStorage& storage,
                                                   const registry::IncidentReport& report,
                                                   const std::string& organisation_id);

// What the registry tells `organisations` (the ones the user may see): vulnerability notices
// matched against their filed computers, per organisation by id and most urgent first
// (registry/notices.h), and warnings from other operators' incident reports
// (registry/correlation.h), which name neither the reporting organisation nor its report text.
struct RegistryNotices {
  std::vector<registry::OrganisationNotices> notices;
  std::vector<registry::Warning> warnings;
};
Result<RegistryNotices> notices_for(registry::RegistryStorage& storage,
                                    const std::vector<registry::Organisation>& organisations,
                                    const registry::MatchOptions& options);

}  // namespace mamori::site
