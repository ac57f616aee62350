// `mamori incidents …`: incident reports (特定侵害事象等の報告). An operator files a report as
// JSON (incidents.h, mamori-incident-report-v1): a first report (速報) opens an incident and
// starts its deadline clock, interim (続報) and final (確報) reports are appended to it. The
// registry stamps each report with the authenticated user and its own clock; the list shows
// every incident's deadlines and, with --overdue, only outstanding reports past due as of a
// given time. `render` fills another regime's form from the same reports.

#include <algorithm>
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mamori/cli/registry_session.h"
#include "mamori/governance/signed_document.h"
#include "mamori/registry/attack.h"
#include "mamori/registry/incidents.h"
#include "mamori/site/registry_access.h"

namespace mamori::cli {
namespace {

using nlohmann::json;
using registry::Incident;
using registry::ReportPhase;

std::string phase_text(ReportPhase phase) {
  return fmt::format("{} ({})", registry::to_string(phase), registry::name_ja(phase));
}

// "3d 4h", "5h 30m", "12m": how long, for people.
std::string duration_text(Duration d) {
  const std::int64_t minutes = std::abs(d.nanos) / 60'000'000'000;
  const std::int64_t days = minutes / (std::int64_t{24} * 60);
  const std::int64_t hours = (minutes / 60) % 24;
  if (days > 0) return fmt::format("{}d {}h", days, hours);
  if (hours > 0) return fmt::format("{}h {}m", hours, minutes % 60);
  return fmt::format("{}m", minutes);
}

// Line and column of a byte offset, for JSON syntax errors.
std::string position_of(std::string_view text, std::size_t byte) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U) {
      ++column;
    }
  }
  return fmt::format("{}:{}", line, column);
}

Result<registry::AttackCatalog> attack_catalog(const RegistrySession& session,
                                               const std::string& config_path) {
  if (!session.config.attack_techniques) {
    return fail(
        "{}: [registry] attack_techniques is not set: incident reports are checked against the "
        "vendored ATT&CK table (data/attack-enterprise-techniques.csv) / ATT&CK "
        "表が設定されていません",
        config_path);
  }
  return registry::AttackCatalog::load(*session.config.attack_techniques);
}

// The incident, if the user may see it (for filing: may file for its organisation). To an
// operator an unknown incident and another organisation's look the same.
Result<Incident> load_incident(RegistrySession& session, const std::string& id, bool for_filing) {
  auto incident = session.storage->incident(id);
  if (!incident) return fail(incident.error());
  if (!*incident) {
    if (!session.government()) {
      return fail("refused / 拒否: {} may not see incident '{}'", session.actor(),
                  governance::detail::printable(id));
    }
    return fail("incident '{}' is not registered", governance::detail::printable(id));
  }
  auto allowed = for_filing ? check_file(session, (*incident)->organisation_id)
                            : check_read(session, (*incident)->organisation_id);
  if (!allowed) {
    if (!session.government()) {
      return fail("refused / 拒否: {} may not see incident '{}'", session.actor(),
                  governance::detail::printable(id));
    }
    return fail(allowed.error());
  }
  return std::move(**incident);
}

const registry::Regime* find_regime(const std::vector<registry::Regime>& regimes,
                                    const std::string& id) {
  auto found = std::ranges::find(regimes, id, &registry::Regime::id);
  return found == regimes.end() ? nullptr : &*found;
}

// Where an incident stands at `now`: what is outstanding and whether it is late.
std::string status_text(const Incident& incident, const registry::Deadlines& due, Timestamp now) {
  if (incident.has(ReportPhase::final_)) return "complete / 確報済み";
  if (now > due.final_report_due) {
    return fmt::format("final report overdue by {} / 確報期限超過",
                       duration_text(now - due.final_report_due));
  }
  return fmt::format("final report due in {} / 確報待ち",
                     duration_text(due.final_report_due - now));
}

std::string phases_text(const Incident& incident) {
  std::vector<std::string> names;
  names.reserve(incident.reports.size());
  for (const auto& report : incident.reports) names.emplace_back(registry::name_ja(report.phase));
  return fmt::format("{}", fmt::join(names, "→"));
}

json deadlines_json(const Incident& incident, const registry::Regime& regime, Timestamp now) {
  const auto due = registry::deadlines(incident, regime);
  return {
      {"regime", regime.id},
      {"first_report_due", format_rfc3339_seconds(due.first_report_due)},
      {"final_report_due", format_rfc3339_seconds(due.final_report_due)},
      {"final_report_filed", incident.has(ReportPhase::final_)},
      {"final_report_overdue", !incident.has(ReportPhase::final_) && now > due.final_report_due}};
}

std::string value_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::vector<std::string> items;
    for (const auto& item : value) {
      if (item.is_object() && item.contains("type") && item.contains("value")) {
        items.push_back(value_text(item["type"]) + ":" + value_text(item["value"]));
      } else {
        items.push_back(value_text(item));
      }
    }
    return fmt::format("{}", fmt::join(items, ", "));
  }
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

int run_incidents_report(const RegistryCommands& args) {
  auto session = open_session(args, {"filing an incident report", "特定侵害事象等の報告"});
  if (!session) return report_error(args, session.error());
  auto text = read_text_file(args.file);
  if (!text) return report_error(args, text.error());
  json document;
  try {
    document = json::parse(*text);
  } catch (const json::parse_error& e) {
    return report_error(args, Error{fmt::format("{}:{}: invalid JSON", args.file,
                                                position_of(*text, e.byte > 0 ? e.byte - 1 : 0))});
  } catch (const json::exception&) {
    return report_error(
        args, Error{fmt::format("{}: invalid JSON (a number is out of range)", args.file)});
  }
  if (!document.is_object()) {
    return report_error(args, Error{fmt::format("{}: a report must be a JSON object", args.file)});
  }
  // --org fills a report that leaves organisation_id out; it never overrides one.
  if (args.org) {
    const auto found = document.find("organisation_id");
    if (found == document.end()) {
      document["organisation_id"] = *args.org;
    } else if (!found->is_string() || found->get<std::string>() != *args.org) {
      return report_error(
          args, Error{fmt::format("{}: organisation_id: differs from --org '{}'", args.file,
                                  governance::detail::printable(*args.org))});
    }
  }
  const auto org_field = document.find("organisation_id");
  if (org_field == document.end() || !org_field->is_string() ||
      org_field->get<std::string>().empty()) {
    return report_error(
        args, Error{fmt::format("{}: organisation_id: is required (or give --org)", args.file)});
  }
  auto organisation = check_file(*session, org_field->get<std::string>());
  if (!organisation) return report_error(args, organisation.error());

  auto catalog = attack_catalog(*session, args.config);
  if (!catalog) return report_error(args, catalog.error());
  auto report = registry::report_from_json(document, *catalog);
  if (!report) {
    return report_error(args, Error{fmt::format("{}: {}", args.file, report.error().message)});
  }
  auto regimes = registry::require_regimes(session->config, args.config);
  if (!regimes) return report_error(args, regimes.error());

  // Computers the report names that this organisation has not filed: accepted (a first report
  // must cost little), but said, so that the operator files them.
  auto unfiled = site::unfiled_computers(*session->storage, *report, organisation->id);
  if (!unfiled) return report_error(args, unfiled.error());
  for (const std::size_t i : *unfiled) {
    std::fprintf(stderr,
                 "mamori %s: warning: %s: affected_computers[%zu]: not a registered computer of "
                 "organisation '%s' / 未届出の機器です\n",
                 args.name.c_str(), args.file.c_str(), i, organisation->id.c_str());
  }

  Incident incident;
  const ReportPhase phase = report->phase;
  if (phase == ReportPhase::first) {
    if (args.incident) {
      return report_error(args, Error{"--incident: a first report (速報) opens a new incident; "
                                      "--incident is for interim (続報) and final (確報) reports"});
    }
    auto regime = registry::choose_regime(session->config, *regimes, args.regime, args.config);
    if (!regime) return report_error(args, regime.error());
    auto opened = site::open_next_incident(*session->storage, *regime, *report, *catalog,
                                           session->user.name, session->now);
    if (!opened) return report_error(args, opened.error());
    incident = std::move(*opened);
  } else {
    if (!args.incident) {
      return report_error(
          args, Error{fmt::format("--incident is required: a {} report belongs to an incident "
                                  "opened by a first report (速報)",
                                  phase_text(phase))});
    }
    if (args.regime) {
      return report_error(args, Error{"--regime: the regime is chosen when an incident opens"});
    }
    auto loaded = load_incident(*session, *args.incident, true);
    if (!loaded) return report_error(args, loaded.error());
    incident = std::move(*loaded);
    if (auto appended = site::append_later_report(*session->storage, incident, std::move(*report),
                                                  *catalog, session->user.name, session->now);
        !appended) {
      return report_error(args, appended.error());
    }
  }

  const registry::Regime* regime = find_regime(*regimes, incident.regime_id);
  if (args.json) {
    json out = {{"incident_id", incident.id},
                {"organisation_id", incident.organisation_id},
                {"phase", registry::to_string(phase)},
                {"report_number", incident.reports.size()},
                {"submitted_by", session->user.name},
                {"submitted_at", format_rfc3339_micros(session->now)},
                {"detected_at", format_rfc3339_seconds(incident.detected_at)}};
    if (regime) out["deadlines"] = deadlines_json(incident, *regime, session->now);
    print_json(out);
    return kExitOk;
  }
  fmt::print("incident {}: {} report accepted from {} at {} / 受理しました\n", incident.id,
             phase_text(phase), session->user.name, format_rfc3339_seconds(session->now));
  fmt::print("  organisation / 組織:      {}\n", incident.organisation_id);
  fmt::print("  detected at / 検知日時:   {} (the deadline clock starts here / 期限の起算点)\n",
             format_rfc3339_seconds(incident.detected_at));
  if (regime) {
    const auto due = registry::deadlines(incident, *regime);
    fmt::print("  regime / 報告制度:        {} ({} / {})\n", regime->id, regime->name_ja,
               regime->name_en);
    fmt::print("  first report due / 速報期限: {}{}\n",
               format_rfc3339_seconds(due.first_report_due),
               incident.has(ReportPhase::first) ? " (filed / 提出済み)" : "");
    fmt::print("  final report due / 確報期限: {}{}\n",
               format_rfc3339_seconds(due.final_report_due),
               incident.has(ReportPhase::final_) ? " (filed / 提出済み)" : "");
  }
  return kExitOk;
}

int run_incidents_list(const RegistryCommands& args) {
  auto session = open_session(args, {"listing incidents", "報告の一覧"});
  if (!session) return report_error(args, session.error());
  auto now = as_of(args, *session);
  if (!now) return report_error(args, now.error());
  auto organisations = visible_organisations(*session, args.org);
  if (!organisations) return report_error(args, organisations.error());
  auto regimes = registry::require_regimes(session->config, args.config);
  if (!regimes) return report_error(args, regimes.error());
  std::vector<Incident> incidents;
  for (const auto& organisation : *organisations) {
    auto mine = session->storage->incidents(organisation.id);
    if (!mine) return report_error(args, mine.error());
    incidents.insert(incidents.end(), std::make_move_iterator(mine->begin()),
                     std::make_move_iterator(mine->end()));
  }
  std::ranges::sort(incidents, {}, &Incident::id);

  if (args.overdue) {
    auto late = registry::overdue(incidents, *regimes, *now);
    if (!late) return report_error(args, late.error());
    if (args.json) {
      json out = json::array();
      for (const auto& entry : *late) {
        out.push_back({{"incident_id", entry.incident->id},
                       {"organisation_id", entry.incident->organisation_id},
                       {"regime", entry.incident->regime_id},
                       {"outstanding", registry::to_string(entry.phase)},
                       {"due", format_rfc3339_seconds(entry.due)},
                       {"overdue_seconds", entry.overdue_by.nanos / 1'000'000'000}});
      }
      print_json(out);
      return kExitOk;
    }
    fmt::print("overdue reports as of {} / 期限を過ぎた未提出の報告: {}\n",
               format_rfc3339_seconds(*now), late->size());
    TextTable table({"incident / 事案", "organisation / 組織", "regime / 制度",
                     "outstanding / 未提出", "due / 期限", "overdue by / 超過"});
    for (const auto& entry : *late) {
      table.add({entry.incident->id, entry.incident->organisation_id, entry.incident->regime_id,
                 phase_text(entry.phase), format_rfc3339_seconds(entry.due),
                 duration_text(entry.overdue_by)});
    }
    if (!table.empty()) table.print();
    return kExitOk;
  }

  json out = json::array();
  TextTable table({"incident / 事案", "organisation / 組織", "detected / 検知", "reports / 報告",
                   "final due / 確報期限", "status / 状況"});
  for (const Incident& incident : incidents) {
    const registry::Regime* regime = find_regime(*regimes, incident.regime_id);
    if (!regime) {
      return report_error(args, Error{fmt::format("incident {}: unknown reporting regime '{}'",
                                                  incident.id, incident.regime_id)});
    }
    const auto due = registry::deadlines(incident, *regime);
    out.push_back({{"incident_id", incident.id},
                   {"organisation_id", incident.organisation_id},
                   {"detected_at", format_rfc3339_seconds(incident.detected_at)},
                   {"phases",
                    [&] {
                      json phases = json::array();
                      for (const auto& r : incident.reports) phases.push_back(to_string(r.phase));
                      return phases;
                    }()},
                   {"deadlines", deadlines_json(incident, *regime, *now)}});
    table.add({incident.id, incident.organisation_id, format_rfc3339_seconds(incident.detected_at),
               phases_text(incident), format_rfc3339_seconds(due.final_report_due),
               status_text(incident, due, *now)});
  }
  if (args.json) {
    print_json(out);
  } else {
    table.print();
  }
  return kExitOk;
}

int run_incidents_show(const RegistryCommands& args) {
  auto session = open_session(args, {"reading an incident", "報告の閲覧"});
  if (!session) return report_error(args, session.error());
  auto incident = load_incident(*session, args.incident.value_or(""), false);
  if (!incident) return report_error(args, incident.error());
  auto regimes = registry::require_regimes(session->config, args.config);
  if (!regimes) return report_error(args, regimes.error());
  const registry::Regime* regime = find_regime(*regimes, incident->regime_id);
  if (args.json) {
    json out = registry::incident_to_json(*incident);
    if (regime) out["deadlines"] = deadlines_json(*incident, *regime, session->now);
    print_json(out);
    return kExitOk;
  }
  fmt::print("incident / 事案 {} — organisation / 組織 {}, regime / 制度 {}\n", incident->id,
             incident->organisation_id, incident->regime_id);
  fmt::print("detected at / 検知日時: {}\n", format_rfc3339_seconds(incident->detected_at));
  if (regime) {
    const auto due = registry::deadlines(*incident, *regime);
    fmt::print("first report due / 速報期限: {}; final report due / 確報期限: {} — {}\n",
               format_rfc3339_seconds(due.first_report_due),
               format_rfc3339_seconds(due.final_report_due),
               status_text(*incident, due, session->now));
  }
  for (std::size_t i = 0; i < incident->reports.size(); ++i) {
    const auto& report = incident->reports[i];
    fmt::print("\n#{} {} — submitted by / 提出者 {} at {}\n", i + 1, phase_text(report.phase),
               report.submitted_by, format_rfc3339_seconds(report.submitted_at));
    const json fields = registry::report_to_json(report);
    for (const auto& [key, value] : fields.items()) {
      if (key == "format" || key == "phase" || key == "submitted_by" || key == "submitted_at") {
        continue;
      }
      fmt::print("  {}: {}\n", key, value_text(value));
    }
  }
  return kExitOk;
}

int run_incidents_render(const RegistryCommands& args) {
  auto session = open_session(args, {"rendering an incident", "他制度様式への変換"});
  if (!session) return report_error(args, session.error());
  auto incident = load_incident(*session, args.incident.value_or(""), false);
  if (!incident) return report_error(args, incident.error());
  const json form = args.form == "ppc" ? registry::render_ppc_leak_report(*incident)
                                       : registry::render_telecom_accident_report(*incident);
  if (args.json) {
    print_json(form);
    return kExitOk;
  }
  fmt::print("{} / {}\n", form["title_ja"].get<std::string>(), form["title_en"].get<std::string>());
  fmt::print("incident / 事案 {} — organisation / 組織 {}\n", incident->id,
             incident->organisation_id);
  TextTable table({"item / 項目", "", "value / 内容"});
  for (const auto& field : form["fields"]) {
    std::string value;
    if (field["status"] == "filled") {
      value = value_text(field["value"]);
      if (field.contains("uncertain")) value += " (uncertain / 未確定)";
    } else {
      value = "(to be completed / 要補完)";
    }
    table.add({field["label_ja"].get<std::string>(), field["label_en"].get<std::string>(), value});
  }
  table.print();
  if (!form["to_be_completed"].empty()) {
    std::vector<std::string> keys;
    for (const auto& key : form["to_be_completed"]) keys.push_back(key.get<std::string>());
    fmt::print("to be completed / 要補完: {}\n", fmt::join(keys, ", "));
  }
  return kExitOk;
}

}  // namespace mamori::cli
