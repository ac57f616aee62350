#include "mamori/server/console_incidents.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <optional>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "mamori/core/config.h"
#include "mamori/registry/attack.h"
#include "mamori/registry/registry_config.h"
#include "mamori/registry/sqlite_registry.h"
#include "mamori/server/console_config.h"

namespace mamori::server {
namespace {

using nlohmann::json;

// The registry's visibility rule (cli/registry_session.cc check_read): government roles see
// every organisation, an operator only those that list it.
bool may_see(const registry::Organisation& organisation, const governance::User& user) {
  if (user.role == governance::Role::analyst || user.role == governance::Role::admin) return true;
  if (user.role != governance::Role::operator_) return false;
  return std::ranges::find(organisation.operator_users, user.name) !=
         organisation.operator_users.end();
}

// The first `limit` bytes of `text`, not cutting a UTF-8 sequence.
std::string clip(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "…";
}

// What is known, as the latest report that says something puts it.
std::string summary_of(const registry::Incident& incident) {
  for (auto report = incident.reports.rbegin(); report != incident.reports.rend(); ++report) {
    if (!report->known.empty()) return clip(report->known, 200);
  }
  return {};
}

// One incident as the console lists it.
json incident_json(const registry::Incident& incident, const registry::Regime& regime,
                   Timestamp now) {
  const registry::Deadlines due = registry::deadlines(incident, regime);
  const bool has_first = incident.has(registry::ReportPhase::first);
  const bool has_final = incident.has(registry::ReportPhase::final_);
  const bool overdue =
      (!has_first && due.first_report_due < now) || (!has_final && due.final_report_due < now);
  return {{"id", incident.id},
          {"organisation", incident.organisation_id},
          {"regime", incident.regime_id},
          {"opened_at", format_rfc3339_seconds(incident.detected_at)},
          {"phase", incident.reports.empty()
                        ? json(nullptr)
                        : json(std::string(registry::to_string(incident.reports.back().phase)))},
          {"reports", incident.reports.size()},
          {"deadlines",
           {{"first", format_rfc3339_seconds(due.first_report_due)},
            {"final", format_rfc3339_seconds(due.final_report_due)}}},
          {"overdue", overdue},
          {"summary", summary_of(incident)}};
}

}  // namespace

Result<json> list_incidents(const std::string& config_path, const governance::User& user,
                            Timestamp now) {
  json list = json::array();
  auto file = ConfigFile::load(config_path);
  if (!file) return fail(file.error());
  if (!has_section(*file, "registry")) return json{{"incidents", std::move(list)}};
  auto config = registry::load_registry_config(*file);
  if (!config) return fail(config.error());
  std::error_code ec;
  if (!std::filesystem::exists(config->path, ec)) return json{{"incidents", std::move(list)}};
  auto regimes = registry::require_regimes(*config, config_path);
  if (!regimes) return fail(regimes.error());
  auto storage = registry::open_sqlite_registry(config->path);
  if (!storage) return fail(storage.error());
  auto organisations = (*storage)->organisations();
  if (!organisations) return fail(organisations.error());
  std::vector<registry::Incident> incidents;
  for (const auto& organisation : *organisations) {
    if (!may_see(organisation, user)) continue;
    auto mine = (*storage)->incidents(organisation.id);
    if (!mine) return fail(mine.error());
    incidents.insert(incidents.end(), std::make_move_iterator(mine->begin()),
                     std::make_move_iterator(mine->end()));
  }
  std::ranges::sort(incidents, {}, &registry::Incident::id);
  for (const auto& incident : incidents) {
    const auto regime = std::ranges::find(*regimes, incident.regime_id, &registry::Regime::id);
    if (regime == regimes->end()) {
      return fail("incident {}: unknown reporting regime '{}'", incident.id, incident.regime_id);
    }
    list.push_back(incident_json(incident, *regime, now));
  }
  return json{{"incidents", std::move(list)}};
}

namespace {

// "inc-<year>-<n>", n one more than the highest of that year (as `mamori incidents report`
// numbers them).
Result<std::string> next_incident_id(registry::RegistryStorage& storage, Timestamp now) {
  const std::string prefix = "inc-" + format_rfc3339_seconds(now).substr(0, 4) + "-";
  auto incidents = storage.incidents();
  if (!incidents) return fail(incidents.error());
  std::uint64_t highest = 0;
  for (const registry::Incident& incident : *incidents) {
    if (!incident.id.starts_with(prefix)) continue;
    const std::string number = incident.id.substr(prefix.size());
    if (number.empty() || number.size() > 9 ||
        !std::ranges::all_of(number, [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    highest = std::max<std::uint64_t>(highest, std::stoull(number));
  }
  return fmt::format("{}{:04}", prefix, highest + 1);
}

FilingProblem problem(int status, std::string code, std::string message, std::string field = {}) {
  return FilingProblem{status, std::move(code), std::move(message), std::move(field)};
}

}  // namespace

std::expected<json, FilingProblem> file_first_report(const std::string& config_path,
                                                     const governance::User& user, json body,
                                                     Timestamp now) {
  using Unexpected = std::unexpected<FilingProblem>;
  const auto not_configured = [](std::string message) {
    return Unexpected(problem(409, "registry_not_configured", std::move(message)));
  };
  auto file = ConfigFile::load(config_path);
  if (!file) return not_configured(file.error().message);
  if (!has_section(*file, "registry")) {
    return not_configured("[registry] is not configured / 登録情報が設定されていません");
  }
  auto config = registry::load_registry_config(*file);
  if (!config) return not_configured(config.error().message);
  auto regimes = registry::require_regimes(*config, config_path);
  if (!regimes) return not_configured(regimes.error().message);
  if (!config->attack_techniques) {
    return not_configured(
        "[registry] attack_techniques is not set: reports are checked against the ATT&CK table "
        "/ ATT&CK 表が設定されていません");
  }
  auto catalog = registry::AttackCatalog::load(*config->attack_techniques);
  if (!catalog) return not_configured(catalog.error().message);

  // The regime is the filing's choice, not a field of the report.
  std::optional<std::string> requested_regime;
  if (const auto found = body.find("regime"); found != body.end()) {
    if (!found->is_string()) {
      return Unexpected(problem(400, "invalid_field", "'regime' must be a regime id", "regime"));
    }
    requested_regime = found->get<std::string>();
    body.erase("regime");
  }
  const auto organisation_field = body.find("organisation_id");
  if (organisation_field == body.end() || !organisation_field->is_string() ||
      organisation_field->get_ref<const std::string&>().empty()) {
    return Unexpected(
        problem(400, "invalid_field", "'organisation_id' is required", "organisation_id"));
  }
  const std::string organisation_id = *organisation_field;
  auto storage = registry::open_sqlite_registry(config->path);
  if (!storage) return Unexpected(problem(500, "registry_failed", "the registry cannot be opened"));
  auto organisation = (*storage)->organisation(organisation_id);
  if (!organisation) {
    return Unexpected(problem(500, "registry_failed", "the registry cannot be read"));
  }
  // Unknown and foreign organisations look the same to an operator.
  if (!*organisation || !may_see(**organisation, user) ||
      user.role != governance::Role::operator_) {
    return Unexpected(problem(
        403, "forbidden",
        fmt::format("user '{}' may not file for this organisation / この組織の報告はできません",
                    user.name),
        "organisation_id"));
  }
  auto report = registry::report_from_json(body, *catalog);
  if (!report) return Unexpected(problem(400, "invalid_report", report.error().message));
  if (report->phase != registry::ReportPhase::first) {
    return Unexpected(problem(400, "invalid_field",
                              "a new incident starts with a first report (速報); interim and "
                              "final reports belong to an incident",
                              "phase"));
  }
  auto regime_id = registry::choose_regime(*config, *regimes, requested_regime, config_path);
  if (!regime_id)
    return Unexpected(problem(400, "invalid_field", regime_id.error().message, "regime"));
  const auto regime = std::ranges::find(*regimes, *regime_id, &registry::Regime::id);
  if (regime == regimes->end()) {
    return Unexpected(problem(400, "invalid_field", "unknown reporting regime", "regime"));
  }
  // Two first reports filed at the same moment may pick the same next id: the second store
  // fails on it and takes the next one.
  for (int attempt = 0;; ++attempt) {
    auto id = next_incident_id(**storage, now);
    if (!id) return Unexpected(problem(500, "registry_failed", "the registry cannot be read"));
    auto opened = registry::open_incident(*id, *regime_id, *report, *catalog, user.name, now);
    if (!opened) return Unexpected(problem(400, "invalid_report", opened.error().message));
    if (auto stored = (*storage)->open_incident(*opened); stored) {
      return json{{"incident", incident_json(*opened, *regime, now)},
                  {"deadlines", incident_json(*opened, *regime, now)["deadlines"]}};
    }
    auto taken = (*storage)->incident(*id);
    if (attempt >= 4 || !taken || !*taken) {
      return Unexpected(problem(500, "registry_failed", "the registry cannot store the report"));
    }
  }
}

}  // namespace mamori::server
