#include "mamori/server/console_incidents.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "mamori/core/config.h"
#include "mamori/registry/attack.h"
#include "mamori/registry/incidents.h"
#include "mamori/registry/registry_config.h"
#include "mamori/registry/sqlite_registry.h"
#include "mamori/server/console_config.h"
#include "mamori/server/console_registry.h"
#include "mamori/site/registry_access.h"

namespace mamori::server {
namespace {

using nlohmann::json;
using Unexpected = std::unexpected<FilingProblem>;

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

FilingProblem problem(int status, std::string code, std::string message, std::string message_ja,
                      std::string field = {}) {
  return FilingProblem{status, std::move(code), std::move(message), std::move(message_ja),
                       std::move(field)};
}

Unexpected registry_failed(std::string_view what) {
  return Unexpected(problem(500, "registry_failed", fmt::format("the registry cannot {}", what),
                            "登録情報の処理に失敗しました"));
}

// The field a registry message about a report names first: "known: must be a string" →
// "known", "indicators[0].value: …" → "indicators[0].value", "final report (確報): missing
// required fields: cause, measures" → "cause". Only names shaped like JSON paths, so that
// nothing else of the message is repeated as a field.
std::string field_named_in(std::string_view message) {
  const std::string_view first = message.substr(0, message.find("; "));
  constexpr std::string_view kMissing = "missing required fields: ";
  if (const std::size_t at = first.find(kMissing); at != std::string_view::npos) {
    const std::string_view names = first.substr(at + kMissing.size());
    return std::string(names.substr(0, names.find(',')));
  }
  const std::size_t colon = first.find(": ");
  if (colon == std::string_view::npos || colon == 0 || colon > 64) return {};
  const std::string_view name = first.substr(0, colon);
  const bool path_like = std::ranges::all_of(name, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '[' ||
           c == ']';
  });
  return path_like ? std::string(name) : std::string();
}

Unexpected invalid_report(const Error& error) {
  return Unexpected(problem(400, "invalid_report", error.message,
                            "報告の内容に誤りがあります: " + error.message,
                            field_named_in(error.message)));
}

// Everything a filing needs from the [registry] section; a missing piece is the installation's
// configuration, not the request (409).
struct Filing {
  registry::RegistryConfig config;
  std::vector<registry::Regime> regimes;
  registry::AttackCatalog catalog;
  std::unique_ptr<registry::RegistryStorage> storage;
};

std::expected<Filing, FilingProblem> open_for_filing(const std::string& config_path) {
  const auto not_configured = [](std::string message) {
    return Unexpected(problem(409, "registry_not_configured", std::move(message),
                              "登録情報が正しく設定されていません"));
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
  auto storage = registry::open_sqlite_registry(config->path);
  if (!storage) return registry_failed("be opened");
  return Filing{.config = std::move(*config),
                .regimes = std::move(*regimes),
                .catalog = std::move(*catalog),
                .storage = std::move(*storage)};
}

// The 201 body of a filing (console_incidents.h).
std::expected<json, FilingProblem> filed_json(const Filing& filing,
                                              const registry::Incident& incident,
                                              std::size_t report_number,
                                              const std::vector<std::size_t>& unfiled,
                                              Timestamp now) {
  const auto regime = std::ranges::find(filing.regimes, incident.regime_id, &registry::Regime::id);
  if (regime == filing.regimes.end()) return registry_failed("find the incident's regime");
  json warnings = json::array();
  for (const std::size_t i : unfiled) {
    warnings.push_back({{"field", fmt::format("affected_computers[{}]", i)},
                        {"message", fmt::format("not a registered computer of organisation '{}'",
                                                incident.organisation_id)},
                        {"message_ja", "未届出の機器です"}});
  }
  json listed = incident_json(incident, *regime, now);
  json deadlines = listed["deadlines"];
  return json{{"incident", std::move(listed)},
              {"deadlines", std::move(deadlines)},
              {"report_number", report_number},
              {"warnings", std::move(warnings)}};
}

}  // namespace

Result<json> list_incidents(const std::string& config_path, const governance::User& user,
                            Timestamp now) {
  json list = json::array();
  auto opened = open_registry_for(config_path, user);
  if (!opened) return fail(opened.error());
  if (!*opened) return json{{"incidents", std::move(list)}};
  ConsoleRegistry& registry = **opened;
  auto regimes = registry::require_regimes(registry.config, config_path);
  if (!regimes) return fail(regimes.error());
  std::vector<registry::Incident> incidents;
  for (const auto& organisation : registry.visible) {
    auto mine = registry.storage->incidents(organisation.id);
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

std::expected<json, FilingProblem> file_first_report(const std::string& config_path,
                                                     const governance::User& user, json body,
                                                     Timestamp now) {
  auto filing = open_for_filing(config_path);
  if (!filing) return Unexpected(filing.error());

  // The regime is the filing's choice, not a field of the report.
  std::optional<std::string> requested_regime;
  if (const auto found = body.find("regime"); found != body.end()) {
    if (!found->is_string()) {
      return Unexpected(problem(400, "invalid_field", "'regime' must be a regime id",
                                "regime は報告制度のIDでなければなりません", "regime"));
    }
    requested_regime = found->get<std::string>();
    body.erase("regime");
  }
  const auto organisation_field = body.find("organisation_id");
  if (organisation_field == body.end() || !organisation_field->is_string() ||
      organisation_field->get_ref<const std::string&>().empty()) {
    return Unexpected(problem(400, "invalid_field", "'organisation_id' is required",
                              "organisation_id は必須です", "organisation_id"));
  }
  const std::string organisation_id = *organisation_field;
  auto organisation = filing->storage->organisation(organisation_id);
  if (!organisation) return registry_failed("be read");
  // Unknown and foreign organisations look the same to an operator.
  if (!*organisation || !site::may_file(user, **organisation)) {
    return Unexpected(problem(
        403, "forbidden", fmt::format("user '{}' may not file for this organisation", user.name),
        "この組織の報告はできません", "organisation_id"));
  }
  auto report = registry::report_from_json(body, filing->catalog);
  if (!report) return invalid_report(report.error());
  if (report->phase != registry::ReportPhase::first) {
    return Unexpected(problem(400, "invalid_field",
                              "a new incident starts with a first report (速報); interim and "
                              "final reports belong to an incident (POST "
                              "/api/incidents/{id}/reports)",
                              "新しい事案は速報から始まります。続報・確報は事案に追加してください",
                              "phase"));
  }
  auto regime_id =
      registry::choose_regime(filing->config, filing->regimes, requested_regime, config_path);
  if (!regime_id) {
    return Unexpected(problem(400, "invalid_field", regime_id.error().message,
                              "報告制度を特定できません", "regime"));
  }
  auto unfiled = site::unfiled_computers(*filing->storage, *report, organisation_id);
  if (!unfiled) return registry_failed("be read");
  auto opened = site::open_next_incident(*filing->storage, *regime_id, *report, filing->catalog,
                                         user.name, now);
  // The report was validated above, so what is left is the storage's.
  if (!opened) return registry_failed("store the report");
  return filed_json(*filing, *opened, 1, *unfiled, now);
}

std::expected<json, FilingProblem> file_later_report(const std::string& config_path,
                                                     const governance::User& user,
                                                     const std::string& incident_id, json body,
                                                     Timestamp now) {
  auto filing = open_for_filing(config_path);
  if (!filing) return Unexpected(filing.error());
  // Existence first, and before anything in the body is looked at: an incident the user may
  // not file for answers exactly as one that does not exist, whatever is sent.
  const auto not_found = [] {
    return Unexpected(problem(404, "not_found", "no such incident", "該当する事案がありません"));
  };
  auto incident = filing->storage->incident(incident_id);
  if (!incident) return registry_failed("be read");
  if (!*incident) return not_found();
  auto organisation = filing->storage->organisation((*incident)->organisation_id);
  if (!organisation) return registry_failed("be read");
  if (!*organisation || !site::may_file(user, **organisation)) return not_found();

  if (body.contains("regime")) {
    return Unexpected(problem(400, "invalid_field",
                              "'regime' is chosen when an incident opens, not by a later report",
                              "報告制度は事案の開始時に決まります", "regime"));
  }
  // The organisation is the incident's; a report may say so or leave it out.
  if (const auto found = body.find("organisation_id"); found == body.end() || found->is_null()) {
    body["organisation_id"] = (*incident)->organisation_id;
  } else if (!found->is_string() || found->get<std::string>() != (*incident)->organisation_id) {
    return Unexpected(problem(400, "invalid_field",
                              "'organisation_id' differs from the incident's organisation",
                              "organisation_id が事案の組織と異なります", "organisation_id"));
  }
  auto report = registry::report_from_json(body, filing->catalog);
  if (!report) return invalid_report(report.error());
  if (report->phase == registry::ReportPhase::first) {
    return Unexpected(problem(400, "invalid_field",
                              "the incident already has its first report (速報); send an interim "
                              "(続報) or final (確報) report",
                              "この事案には速報が提出済みです。続報または確報を提出してください",
                              "phase"));
  }
  auto unfiled = site::unfiled_computers(*filing->storage, *report, (*incident)->organisation_id);
  if (!unfiled) return registry_failed("be read");
  if (auto appended = site::append_later_report(*filing->storage, **incident, std::move(*report),
                                                filing->catalog, user.name, now);
      !appended) {
    // Validated above (phase, organisation, fields): what is left is the storage's.
    return registry_failed("store the report");
  }
  const std::size_t report_number = (*incident)->reports.size();
  // As stored: a report another request appended meanwhile is part of the incident too.
  if (auto stored = filing->storage->incident(incident_id); stored && *stored) {
    *incident = std::move(*stored);
  }
  return filed_json(*filing, **incident, report_number, *unfiled, now);
}

}  // namespace mamori::server
