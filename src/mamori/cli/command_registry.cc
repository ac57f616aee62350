// `mamori registry …`: organisations (registered by the government, with the operator users who
// act for them), important computers (filed by operators from their CSV/JSON files, with the
// per-row import report and the change history) and an organisation's own submission trail.
// Also adds every registry subcommand to the app and dispatches to it.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mamori/cli/identity_options.h"
#include "mamori/cli/registry_commands.h"
#include "mamori/cli/registry_session.h"
#include "mamori/governance/events.h"
#include "mamori/governance/signed_document.h"
#include "mamori/registry/import.h"
#include "mamori/registry/storage_json.h"

namespace mamori::cli {
namespace {

using nlohmann::json;

std::string joined(const std::vector<std::string>& items, std::string_view separator = ", ") {
  return fmt::format("{}", fmt::join(items, separator));
}

// --- import reports ---------------------------------------------------------------------------

// What happened to each imported id ("new", "changed: version", "unchanged", …).
using RowStatus = std::map<std::string, std::string, std::less<>>;

json issues_to_json(const std::vector<registry::RowIssue>& issues) {
  json out = json::array();
  for (const auto& issue : issues) {
    out.push_back({{"line", issue.line}, {"column", issue.column}, {"reason", issue.reason}});
  }
  return out;
}

std::string issue_text(const std::string& file, const registry::RowIssue& issue) {
  if (issue.column.empty()) return fmt::format("{}:{}: {}", file, issue.line, issue.reason);
  return fmt::format("{}:{}: column '{}': {}", file, issue.line, issue.column, issue.reason);
}

// Prints the report of one file: every row after the header is listed once, imported or
// rejected. Returns the exit code: 2 when a row was rejected or not applied.
int print_import_report(const RegistryCommands& args, const registry::ImportReport& report,
                        const RowStatus& status, std::size_t not_applied) {
  const std::size_t rejected = report.rejected.size() + not_applied;
  if (args.json) {
    json imported = json::array();
    for (const auto& row : report.imported) {
      auto found = status.find(row.id);
      imported.push_back({{"line", row.line},
                          {"id", row.id},
                          {"status", found == status.end() ? "imported" : found->second}});
    }
    print_json({{"file", args.file},
                {"imported", std::move(imported)},
                {"rejected", issues_to_json(report.rejected)},
                {"warnings", issues_to_json(report.warnings)},
                {"missing_columns", report.missing_columns}});
  } else {
    fmt::print("{}: {} rows imported, {} rejected / 取込 {} 件、却下 {} 件\n", args.file,
               report.imported.size() - not_applied, rejected, report.imported.size() - not_applied,
               rejected);
    if (!report.missing_columns.empty()) {
      fmt::print("missing columns / 不足している列: {}\n", joined(report.missing_columns));
    }
    TextTable table({"line / 行", "id / ID", "status / 状態"});
    for (const auto& row : report.imported) {
      auto found = status.find(row.id);
      table.add(
          {std::to_string(row.line), row.id, found == status.end() ? "imported" : found->second});
    }
    if (!table.empty()) table.print();
    if (!report.rejected.empty()) {
      fmt::print("rejected rows / 却下された行:\n");
      for (const auto& issue : report.rejected) fmt::print("  {}\n", issue_text(args.file, issue));
    }
    if (!report.warnings.empty()) {
      fmt::print("warnings (imported anyway) / 警告:\n");
      for (const auto& issue : report.warnings) fmt::print("  {}\n", issue_text(args.file, issue));
    }
  }
  return rejected > 0 ? kExitPartial : kExitOk;
}

std::string source_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// --- tables -----------------------------------------------------------------------------------

std::string kinds_text(const registry::Organisation& organisation) {
  std::vector<std::string> kinds;
  kinds.reserve(organisation.kinds.size());
  for (auto kind : organisation.kinds) kinds.emplace_back(registry::to_string(kind));
  return joined(kinds, ";");
}

std::string changed_text(const registry::ComputerChange& change) {
  std::vector<std::string> fields;
  fields.reserve(change.changed.size());
  for (const auto& [field, value] : change.changed) {
    fields.push_back(fmt::format("{}={}", field, value));
  }
  return joined(fields, "; ");
}

}  // namespace

// --- organisations ----------------------------------------------------------------------------

int run_org_put(const RegistryCommands& args) {
  auto session = open_session(args, {"registering organisations", "組織の登録"});
  if (!session) return report_error(args, session.error());
  if (auto ok = require_government(*session, "register organisations"); !ok) {
    return report_error(args, ok.error());
  }
  auto text = read_text_file(args.file);
  if (!text) return report_error(args, text.error());
  auto imported = is_json_file(args.file) ? registry::import_organisations_json(*text)
                                          : registry::import_organisations_csv(*text);
  if (!imported) {
    return report_error(args, Error{fmt::format("{}: {}", args.file, imported.error().message)});
  }
  RowStatus status;
  for (auto& organisation : imported->organisations) {
    auto existing = session->storage->organisation(organisation.id);
    if (!existing) return report_error(args, existing.error());
    // Membership is not in the files (registry org members); contacts only when the row gives
    // one, else what was set before stays.
    if (*existing) {
      if (organisation.contacts.empty()) organisation.contacts = (*existing)->contacts;
      organisation.operator_users = (*existing)->operator_users;
    }
    const bool same = *existing && registry::organisation_to_json(**existing) ==
                                       registry::organisation_to_json(organisation);
    if (auto put = session->storage->put_organisation(organisation); !put) {
      return report_error(args, put.error());
    }
    status[organisation.id] = !*existing ? "new / 新規"
                              : same     ? "unchanged / 変更なし"
                                         : "updated / 更新";
  }
  return print_import_report(args, imported->report, status, 0);
}

int run_org_list(const RegistryCommands& args) {
  auto session = open_session(args, {"listing organisations", "組織の一覧"});
  if (!session) return report_error(args, session.error());
  auto organisations = visible_organisations(*session, args.org);
  if (!organisations) return report_error(args, organisations.error());
  if (args.json) {
    json out = json::array();
    for (const auto& organisation : *organisations) {
      out.push_back(registry::organisation_to_json(organisation));
    }
    print_json(out);
    return kExitOk;
  }
  TextTable table({"id / ID", "name / 名称", "name_en", "kinds / 種別",
                   "ci_sectors / 重要インフラ分野", "key_infrastructure / 基幹インフラ事業",
                   "operator users / 担当者"});
  for (const auto& o : *organisations) {
    table.add({o.id, o.name, o.name_en, kinds_text(o), joined(o.ci_sectors, ";"),
               joined(o.key_infrastructure, ";"), joined(o.operator_users, ";")});
  }
  table.print();
  return kExitOk;
}

int run_org_members(const RegistryCommands& args) {
  auto session = open_session(args, {"changing organisation members", "組織の担当者の変更"});
  if (!session) return report_error(args, session.error());
  if (auto ok = require_admin(*session, "change who acts for an organisation"); !ok) {
    return report_error(args, ok.error());
  }
  auto organisation = check_read(*session, args.org.value_or(""));
  if (!organisation) return report_error(args, organisation.error());
  auto& members = organisation->operator_users;
  for (const auto& name : args.add) {
    auto user = session->installation->governance_storage->find_user(name);
    if (!user) return report_error(args, user.error());
    if (!*user) {
      return report_error(args, Error{fmt::format("--add: no user '{}' (add it with `mamori users "
                                                  "add --role operator`)",
                                                  governance::detail::printable(name))});
    }
    if ((*user)->role != governance::Role::operator_) {
      return report_error(
          args, Error{fmt::format("--add: user '{}' is {}, not an operator: government roles see "
                                  "every organisation without membership",
                                  name, governance::to_string((*user)->role))});
    }
    if (std::ranges::find(members, name) == members.end()) members.push_back(name);
  }
  for (const auto& name : args.remove) {
    auto found = std::ranges::find(members, name);
    if (found == members.end()) {
      return report_error(
          args, Error{fmt::format("--remove: user '{}' is not a member of '{}'",
                                  governance::detail::printable(name), organisation->id)});
    }
    members.erase(found);
  }
  if (!args.add.empty() || !args.remove.empty()) {
    // Recorded before it takes effect: an access change the ledger does not know of never
    // happens.
    auto recorded =
        site::record_event(*session->installation, governance::events::kRegistryMembershipChanged,
                           {{"organisation_id", organisation->id},
                            {"added", args.add},
                            {"removed", args.remove},
                            {"operator_users", members},
                            {"by", session->user.name}});
    if (!recorded) return report_error(args, recorded.error());
    if (auto put = session->storage->put_organisation(*organisation); !put) {
      return report_error(args, put.error());
    }
  }
  if (args.json) {
    print_json({{"organisation_id", organisation->id}, {"operator_users", members}});
  } else {
    fmt::print("{}: operator users / 担当者: {}\n", organisation->id,
               members.empty() ? std::string("(none / なし)") : joined(members));
  }
  return kExitOk;
}

// --- important computers ----------------------------------------------------------------------

int run_computers_import(const RegistryCommands& args) {
  auto session = open_session(args, {"filing important computers", "特定重要電子計算機の届出"});
  if (!session) return report_error(args, session.error());
  auto organisation = check_file(*session, args.org.value_or(""));
  if (!organisation) return report_error(args, organisation.error());
  auto text = read_text_file(args.file);
  if (!text) return report_error(args, text.error());
  registry::ComputerImportOptions options;
  options.organisation_id = organisation->id;
  auto imported = is_json_file(args.file) ? registry::import_computers_json(*text, options)
                                          : registry::import_computers_csv(*text, options);
  if (!imported) {
    return report_error(args, Error{fmt::format("{}: {}", args.file, imported.error().message)});
  }

  // The registered computers the file names, and their history, to tell new from changed.
  std::vector<registry::ImportantComputer> existing;
  std::vector<registry::ComputerChange> history;
  for (const auto& computer : imported->computers) {
    auto found = session->storage->computer(computer.id);
    if (!found) return report_error(args, found.error());
    if (!*found) continue;
    existing.push_back(**found);
    auto changes = session->storage->history(computer.id);
    if (!changes) return report_error(args, changes.error());
    history.insert(history.end(), changes->begin(), changes->end());
  }
  const auto plan = registry::apply_import(existing, history, imported->computers, session->now,
                                           session->user.name);
  const registry::ImportSubmission who{.organisation_id = organisation->id,
                                       .user = session->user.name,
                                       .at = session->now,
                                       .source = source_name(args.file)};
  if (auto filed = session->storage->file_import(plan, who); !filed) {
    return report_error(args, filed.error());
  }

  RowStatus status;
  for (const auto& filed : plan.new_filings) status[filed.computer.id] = "new / 新規";
  for (const auto& filed : plan.changes) {
    std::vector<std::string> fields;
    fields.reserve(filed.change.changed.size());
    for (const auto& [field, value] : filed.change.changed) fields.push_back(field);
    status[filed.computer.id] =
        fmt::format("changed / 変更 (revision {}: {})", filed.change.revision, joined(fields));
  }
  for (const auto& id : plan.unchanged) status[id] = "unchanged / 変更なし";
  for (const auto& id : plan.conflicts) {
    status[id] = "not applied: the id is registered to another organisation / 他組織の登録済みID";
  }
  return print_import_report(args, imported->report, status, plan.conflicts.size());
}

int run_computers_list(const RegistryCommands& args) {
  auto session = open_session(args, {"listing important computers", "特定重要電子計算機の一覧"});
  if (!session) return report_error(args, session.error());
  auto organisations = visible_organisations(*session, args.org);
  if (!organisations) return report_error(args, organisations.error());
  json out = json::array();
  TextTable table({"id / ID", "category / 種別", "vendor / ベンダー", "product / 製品",
                   "version / バージョン", "internet / 外部接続", "managed by / 管理主体"});
  for (const auto& organisation : *organisations) {
    auto computers = session->storage->computers(organisation.id);
    if (!computers) return report_error(args, computers.error());
    for (const auto& c : *computers) {
      out.push_back(registry::computer_to_json(c));
      table.add({c.id, std::string(registry::to_string(c.category)), c.vendor, c.product,
                 c.version.empty() ? "-" : c.version, c.internet_facing ? "yes" : "no",
                 c.managed_by == registry::ManagedBy::contractor
                     ? fmt::format("contractor ({})", c.contractor)
                     : "operator"});
    }
  }
  if (args.json) {
    print_json(out);
  } else {
    table.print();
  }
  return kExitOk;
}

int run_computers_history(const RegistryCommands& args) {
  auto session = open_session(args, {"reading a computer's history", "届出履歴の閲覧"});
  if (!session) return report_error(args, session.error());
  auto computer = session->storage->computer(args.computer);
  if (!computer) return report_error(args, computer.error());
  if (!*computer) {
    return report_error(args, Error{fmt::format("computer '{}' is not registered",
                                                governance::detail::printable(args.computer))});
  }
  if (auto ok = check_read(*session, (*computer)->organisation_id); !ok) {
    return report_error(args, ok.error());
  }
  auto history = session->storage->history(args.computer);
  if (!history) return report_error(args, history.error());
  if (args.json) {
    json out = json::array();
    for (const auto& change : *history) out.push_back(registry::change_to_json(change));
    print_json(out);
    return kExitOk;
  }
  TextTable table({"revision / 版", "at / 日時", "by / 届出者", "changed / 変更項目"});
  for (const auto& change : *history) {
    table.add({std::to_string(change.revision), format_rfc3339_seconds(change.at), change.by,
               changed_text(change)});
  }
  table.print();
  return kExitOk;
}

// --- the submission trail ---------------------------------------------------------------------

int run_submissions(const RegistryCommands& args) {
  auto session = open_session(args, {"reading the submission trail", "提出記録の閲覧"});
  if (!session) return report_error(args, session.error());
  auto organisation = check_read(*session, args.org.value_or(""));
  if (!organisation) return report_error(args, organisation.error());
  auto submissions = session->storage->submissions(organisation->id);
  if (!submissions) return report_error(args, submissions.error());
  if (args.json) {
    json out = json::array();
    for (const auto& s : *submissions) {
      out.push_back({{"sequence", s.sequence},
                     {"organisation_id", s.organisation_id},
                     {"user", s.user},
                     {"at", format_rfc3339_micros(s.at)},
                     {"kind", registry::to_string(s.kind)},
                     {"subject", s.subject},
                     {"summary", s.summary}});
    }
    print_json(out);
    return kExitOk;
  }
  TextTable table(
      {"#", "at / 日時", "user / 提出者", "kind / 種別", "subject / 対象", "summary / 概要"});
  for (const auto& s : *submissions) {
    table.add({std::to_string(s.sequence), format_rfc3339_seconds(s.at), s.user,
               std::string(registry::to_string(s.kind)), s.subject, s.summary});
  }
  table.print();
  return kExitOk;
}

// --- wiring -----------------------------------------------------------------------------------

namespace {

CLI::App* command(CLI::App* parent, const char* name, const char* description,
                  RegistryCommands& commands, RegistryCommand which, std::string full_name,
                  bool json = true) {
  auto* sub = parent->add_subcommand(name, description);
  sub->callback([&commands, which, full_name = std::move(full_name)] {
    commands.chosen = which;
    commands.name = full_name;
  });
  sub->add_option("--config", commands.config, "mamori.toml")->required();
  add_identity_options(sub, commands);
  if (json) sub->add_flag("--json", commands.json, "Print JSON");
  return sub;
}

}  // namespace

void add_registry_commands(CLI::App& app, RegistryCommands& c) {
  using enum RegistryCommand;
  auto* registry = app.add_subcommand(
      "registry", "Organisations, important computers, submissions / 官民連携の登録情報");
  registry->require_subcommand(1);

  auto* org = registry->add_subcommand("org", "Organisations / 組織");
  org->require_subcommand(1);
  command(org, "put", "Government: register or update organisations from a CSV or JSON file", c,
          org_put, "registry org put")
      ->add_option("--file", c.file, "organisations.csv or .json (import.h columns)")
      ->required();
  command(org, "list", "Organisations the user may see", c, org_list, "registry org list")
      ->add_option("--org", c.org, "Only this organisation");
  auto* members =
      command(org, "members", "Admin: operator users who act for an organisation (no change: show)",
              c, org_members, "registry org members");
  members->add_option("--org", c.org, "Organisation id")->required();
  members->add_option("--add", c.add, "Operator user to add (repeatable)");
  members->add_option("--remove", c.remove, "Operator user to remove (repeatable)");

  auto* computers =
      registry->add_subcommand("computers", "Important computers / 特定重要電子計算機");
  computers->require_subcommand(1);
  auto* computers_import_cmd =
      command(computers, "import", "Operator: file computers from a CSV or JSON file", c,
              computers_import, "registry computers import");
  computers_import_cmd->add_option("--org", c.org, "The filing organisation")->required();
  computers_import_cmd->add_option("--file", c.file, "computers.csv or .json")->required();
  command(computers, "list", "Registered computers", c, computers_list, "registry computers list")
      ->add_option("--org", c.org, "Only this organisation");
  command(computers, "history", "Every revision of one computer", c, computers_history,
          "registry computers history")
      ->add_option("--computer", c.computer, "Computer id, e.g. org-0001/vpn-1")
      ->required();

  command(registry, "submissions", "An organisation's own submission trail / 提出記録", c,
          submissions, "registry submissions")
      ->add_option("--org", c.org, "Organisation id")
      ->required();

  auto* incidents = app.add_subcommand("incidents", "Incident reports / 特定侵害事象等の報告");
  // `mamori incidents --overdue` is `mamori incidents list --overdue`.
  incidents->require_subcommand(0, 1);
  incidents->add_option("--config", c.config, "mamori.toml (with --overdue)");
  add_identity_options(incidents, c);
  incidents->add_flag("--overdue", c.overdue, "Outstanding reports past their deadline");
  incidents->add_option("--as-of", c.as_of, "Deadlines as of this time (RFC 3339; default: now)");
  incidents->add_flag("--json", c.json, "Print JSON");
  incidents->callback([&c] {
    if (c.chosen != RegistryCommand::none) return;  // a subcommand was chosen
    if (!c.overdue || c.config.empty()) {
      throw CLI::ValidationError(
          "incidents",
          "give a subcommand (report, list, show, render, correlate), or --overdue "
          "with --config");
    }
    c.chosen = RegistryCommand::incidents_list;
    c.name = "incidents --overdue";
  });
  auto* report = command(incidents, "report",
                         "Operator: file a report (速報 opens an incident; 続報/確報 append)", c,
                         incidents_report, "incidents report");
  report->add_option("--file", c.file, "Report JSON (mamori-incident-report-v1)")->required();
  report->add_option("--org", c.org, "The reporting organisation (default: the report's)");
  report->add_option("--incident", c.incident, "The incident a 続報/確報 belongs to");
  report->add_option("--regime", c.regime,
                     "Reporting regime of a new incident (default: [registry] default_regime)");
  auto* list = command(incidents, "list", "Incidents with their deadlines", c, incidents_list,
                       "incidents list");
  list->add_option("--org", c.org, "Only this organisation");
  list->add_flag("--overdue", c.overdue, "Only outstanding reports past their deadline");
  list->add_option("--as-of", c.as_of, "Deadlines as of this time (RFC 3339; default: now)");
  command(incidents, "show", "One incident with every report", c, incidents_show, "incidents show")
      ->add_option("--incident", c.incident, "Incident id")
      ->required();
  auto* render = command(incidents, "render", "An incident as another regime's report form", c,
                         incidents_render, "incidents render");
  render->add_option("--incident", c.incident, "Incident id")->required();
  render
      ->add_option(
          "--form", c.form,
          "ppc (個人情報保護委員会への漏えい等報告) or telecom (電気通信事業法の重大な事故報告)")
      ->required()
      ->check(CLI::IsMember({"ppc", "telecom"}));
  auto* correlate =
      command(incidents, "correlate",
              "Government: link incidents to selected records and to each other / 相関分析", c,
              incidents_correlate, "incidents correlate");
  correlate->add_option("--purpose", c.purpose,
                        "Why records are read: a purpose id from [[access.purposes]] / 利用目的");
  correlate->add_option("--since", c.since, "Records first seen at or after (RFC 3339)");
  correlate->add_option("--until", c.until, "Records first seen before (RFC 3339)");

  auto* vulns = app.add_subcommand("vulns", "Vulnerabilities / 脆弱性");
  vulns->require_subcommand(1);
  command(vulns, "import-kev", "Government: import the CISA KEV catalog", c, vulns_import_kev,
          "vulns import-kev")
      ->add_option("--file", c.file, "kev.json")
      ->required();
  command(vulns, "import-government", "Government: import government-held (pre-disclosure) entries",
          c, vulns_import_government, "vulns import-government")
      ->add_option("--file", c.file, "mamori-government-vulnerabilities-v1 JSON")
      ->required();
  auto* mark = command(vulns, "mark-exploited", "Government: mark exploited in Japan", c,
                       vulns_mark_exploited, "vulns mark-exploited");
  mark->add_option("--id", c.id, "CVE or GOV id")->required();
  mark->add_option("--basis", c.basis, "The incident or finding id it rests on");
  command(vulns, "list", "Government: the vulnerability catalog", c, vulns_list, "vulns list");

  command(&app, "notices", "Vulnerability notices per organisation, most urgent first / 脆弱性通知",
          c, notices, "notices")
      ->add_option("--org", c.org, "Only this organisation");
}

std::optional<int> run_registry_commands(const RegistryCommands& c) {
  switch (c.chosen) {
    case RegistryCommand::none:
      return std::nullopt;
    case RegistryCommand::org_put:
      return run_org_put(c);
    case RegistryCommand::org_list:
      return run_org_list(c);
    case RegistryCommand::org_members:
      return run_org_members(c);
    case RegistryCommand::computers_import:
      return run_computers_import(c);
    case RegistryCommand::computers_list:
      return run_computers_list(c);
    case RegistryCommand::computers_history:
      return run_computers_history(c);
    case RegistryCommand::submissions:
      return run_submissions(c);
    case RegistryCommand::incidents_report:
      return run_incidents_report(c);
    case RegistryCommand::incidents_list:
      return run_incidents_list(c);
    case RegistryCommand::incidents_show:
      return run_incidents_show(c);
    case RegistryCommand::incidents_render:
      return run_incidents_render(c);
    case RegistryCommand::incidents_correlate:
      return run_incidents_correlate(c);
    case RegistryCommand::vulns_import_kev:
      return run_vulns_import(c, false);
    case RegistryCommand::vulns_import_government:
      return run_vulns_import(c, true);
    case RegistryCommand::vulns_mark_exploited:
      return run_vulns_mark_exploited(c);
    case RegistryCommand::vulns_list:
      return run_vulns_list(c);
    case RegistryCommand::notices:
      return run_notices(c);
  }
  return std::nullopt;
}

}  // namespace mamori::cli
