#include "mamori/site/registry_access.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

namespace mamori::site {
namespace {

bool is_member(const registry::Organisation& organisation, const std::string& user) {
  return std::ranges::find(organisation.operator_users, user) != organisation.operator_users.end();
}

}  // namespace

bool is_government(const governance::User& user) {
  return user.role == governance::Role::analyst || user.role == governance::Role::admin;
}

bool may_see(const governance::User& user, const registry::Organisation& organisation) {
  if (is_government(user)) return true;
  return user.role == governance::Role::operator_ && is_member(organisation, user.name);
}

bool may_file(const governance::User& user, const registry::Organisation& organisation) {
  return user.role == governance::Role::operator_ && is_member(organisation, user.name);
}

Result<std::vector<registry::Organisation>> visible_organisations(
    registry::RegistryStorage& storage, const governance::User& user) {
  auto all = storage.organisations();
  if (!all) return fail(all.error());
  std::erase_if(*all, [&](const registry::Organisation& organisation) {
    return !may_see(user, organisation);
  });
  return std::move(*all);
}

Result<std::string> next_incident_id(registry::RegistryStorage& storage, Timestamp now) {
  const std::string prefix = "inc-" + format_rfc3339_seconds(now).substr(0, 4) + "-";
  auto incidents = storage.incidents();
  if (!incidents) return fail(incidents.error());
  std::uint64_t highest = 0;
  for (const registry::Incident& incident : *incidents) {
    if (!incident.id.starts_with(prefix)) continue;
    const std::string number = incident.id.substr(prefix.size());
    // At most nine digits: stoull cannot overflow, and a stray id cannot exhaust the numbers.
    if (number.empty() || number.size() > 9 ||
        !std::ranges::all_of(number, [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    highest = std::max<std::uint64_t>(highest, std::stoull(number));
  }
  return fmt::format("{}{:04}", prefix, highest + 1);
}

Result<registry::Incident> open_next_incident(registry::RegistryStorage& storage,
                                              const std::string& regime_id,
                                              const registry::IncidentReport& first,
                                              const registry::AttackCatalog& catalog,
                                              const std::string& submitted_by, Timestamp now) {
  for (int attempt = 0;; ++attempt) {
    auto id = next_incident_id(storage, now);
    if (!id) return fail(id.error());
    auto opened = registry::open_incident(*id, regime_id, first, catalog, submitted_by, now);
    if (!opened) return fail(opened.error());
    auto stored = storage.open_incident(*opened);
    if (stored) return std::move(*opened);
    // Only a lost race for the id is worth another attempt; anything else is the error.
    auto taken = storage.incident(*id);
    if (attempt >= 4 || !taken || !*taken) return fail(stored.error());
  }
}

Result<void> append_later_report(registry::RegistryStorage& storage, registry::Incident& incident,
                                 registry::IncidentReport report,
                                 const registry::AttackCatalog& catalog,
                                 const std::string& submitted_by, Timestamp now) {
  registry::Incident updated = incident;
  if (auto submitted =
          registry::submit_report(updated, std::move(report), catalog, submitted_by, now);
      !submitted) {
    return fail(submitted.error());
  }
  if (auto stored = storage.append_report(updated.id, updated.reports.back()); !stored) {
    return fail(stored.error());
  }
  incident = std::move(updated);
  return {};
}

Result<std::vector<std::size_t>> unfiled_computers(registry::RegistryStorage& storage,
                                                   const registry::IncidentReport& report,
                                                   const std::string& organisation_id) {
  std::vector<std::size_t> unfiled;
  for (std::size_t i = 0; i < report.affected_computers.size(); ++i) {
    auto computer = storage.computer(report.affected_computers[i]);
    if (!computer) return fail(computer.error());
    if (!*computer || (*computer)->organisation_id != organisation_id) unfiled.push_back(i);
  }
  return unfiled;
}

Result<RegistryNotices> notices_for(registry::RegistryStorage& storage,
                                    const std::vector<registry::Organisation>& organisations,
                                    const registry::MatchOptions& options) {
  std::vector<registry::ImportantComputer> computers;
  for (const auto& organisation : organisations) {
    auto mine = storage.computers(organisation.id);
    if (!mine) return fail(mine.error());
    computers.insert(computers.end(), mine->begin(), mine->end());
  }
  auto stored = storage.vulnerabilities();
  if (!stored) return fail(stored.error());
  registry::VulnerabilityCatalog catalog;
  catalog.add(std::move(*stored));
  RegistryNotices out;
  out.notices = registry::make_notices(catalog, computers, options);

  // Warnings are computed from every incident, organisation and computer — another operator's
  // incident is what makes them — and then shown only to their recipients among `organisations`.
  auto incidents = storage.incidents();
  auto everyone = storage.organisations();
  auto all_computers = storage.all_computers();
  if (!incidents) return fail(incidents.error());
  if (!everyone) return fail(everyone.error());
  if (!all_computers) return fail(all_computers.error());
  auto correlated = registry::correlate(*incidents, {}, *everyone, *all_computers);
  std::erase_if(correlated.warnings, [&](const registry::Warning& warning) {
    return std::ranges::none_of(organisations, [&](const registry::Organisation& organisation) {
      return organisation.id == warning.organisation_id;
    });
  });
  out.warnings = std::move(correlated.warnings);
  return out;
}

}  // namespace mamori::site
