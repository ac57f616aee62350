// `mamori vulns …` and `mamori notices`: the government imports the CISA KEV catalog and its own
// (possibly pre-disclosure, confidential) entries into the registry, marks vulnerabilities
// exploited in Japan, and the registry matches them against the filed important computers to
// produce notices per organisation, most urgent first (notices.h). An operator sees only its
// own organisations' notices; embargoed ones are marked as such.

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mamori/cli/registry_session.h"
#include "mamori/registry/notices.h"
#include "mamori/registry/vulnerabilities.h"
#include "mamori/site/registry_access.h"

namespace mamori::cli {
namespace {

using nlohmann::json;

std::string yes_no(bool value) { return value ? "yes" : "no"; }

Result<registry::VulnerabilityCatalog> stored_catalog(RegistrySession& session) {
  auto stored = session.storage->vulnerabilities();
  if (!stored) return fail(stored.error());
  registry::VulnerabilityCatalog catalog;
  catalog.add(std::move(*stored));
  return catalog;
}

}  // namespace

int run_vulns_import(const RegistryCommands& args, bool government_format) {
  auto session = open_session(args, {"importing vulnerabilities", "脆弱性情報の取込"});
  if (!session) return report_error(args, session.error());
  if (auto ok = require_government(*session, "import vulnerabilities"); !ok) {
    return report_error(args, ok.error());
  }
  auto text = read_text_file(args.file);
  if (!text) return report_error(args, text.error());
  auto imported = government_format ? registry::import_government(*text, args.file)
                                    : registry::import_kev(*text, args.file);
  auto catalog = stored_catalog(*session);
  if (!catalog) return report_error(args, catalog.error());
  std::size_t added = 0;
  std::set<std::string, std::less<>> ids;
  for (const auto& entry : imported.entries) {
    if (catalog->find(entry.cve_id) == nullptr) ++added;
    ids.insert(entry.cve_id);
  }
  catalog->add(imported.entries);
  // The merged form of every entry the file touched (VulnerabilityCatalog::add decides how a
  // government entry adds to a KEV one); the storage keeps embargoes and exploitation marks.
  std::vector<registry::Vulnerability> merged;
  merged.reserve(ids.size());
  for (const auto& id : ids) merged.push_back(*catalog->find(id));
  if (auto put = session->storage->put_vulnerabilities(merged); !put) {
    return report_error(args, put.error());
  }

  bool file_level = false;
  std::size_t rejected = 0;
  for (const auto& error : imported.errors) {
    if (error.index) {
      ++rejected;
    } else {
      file_level = true;
    }
  }
  if (args.json) {
    json errors = json::array();
    for (const auto& error : imported.errors) errors.push_back(error.to_string());
    print_json({{"file", args.file},
                {"catalog_version", imported.catalog_version},
                {"imported", imported.entries.size()},
                {"new", added},
                {"updated", imported.entries.size() - added},
                {"rejected_entries", rejected},
                {"errors", std::move(errors)}});
  } else {
    fmt::print(
        "{}: {} entries imported ({} new, {} updated), {} rejected / 取込 {} 件、却下 {} 件{}\n",
        args.file, imported.entries.size(), added, imported.entries.size() - added, rejected,
        imported.entries.size(), rejected,
        imported.catalog_version.empty()
            ? ""
            : fmt::format(" (catalogVersion {})", imported.catalog_version));
    for (const auto& error : imported.errors) fmt::print("  {}\n", error.to_string());
  }
  if (imported.errors.empty()) return kExitOk;
  return imported.entries.empty() && file_level ? kExitError : kExitPartial;
}

int run_vulns_mark_exploited(const RegistryCommands& args) {
  auto session = open_session(args, {"marking a vulnerability", "国内悪用の記録"});
  if (!session) return report_error(args, session.error());
  if (auto ok = require_government(*session, "mark vulnerabilities exploited in Japan"); !ok) {
    return report_error(args, ok.error());
  }
  if (auto marked = session->storage->mark_exploited_in_japan(args.id, args.basis); !marked) {
    return report_error(args, marked.error());
  }
  if (args.json) {
    print_json({{"id", args.id}, {"exploited_in_japan", true}, {"basis", args.basis}});
  } else {
    fmt::print("{}: marked exploited in Japan / 国内で悪用を確認{}\n", args.id,
               args.basis.empty() ? "" : fmt::format(" (basis / 根拠: {})", args.basis));
  }
  return kExitOk;
}

int run_vulns_list(const RegistryCommands& args) {
  auto session = open_session(args, {"listing vulnerabilities", "脆弱性情報の一覧"});
  if (!session) return report_error(args, session.error());
  // Government entries may be pre-disclosure: the catalog is for government roles only.
  if (auto ok = require_government(*session, "list the vulnerability catalog"); !ok) {
    return report_error(args, ok.error());
  }
  auto entries = session->storage->vulnerabilities();
  if (!entries) return report_error(args, entries.error());
  if (args.json) {
    json out = json::array();
    for (const auto& v : *entries) {
      out.push_back({{"id", v.cve_id},
                     {"vendor", v.vendor},
                     {"product", v.product},
                     {"name", v.name},
                     {"source", registry::to_string(v.source)},
                     {"confidential", v.confidential},
                     {"exploited_in_japan", v.exploited_in_japan},
                     {"exploited_in_japan_basis", v.exploited_in_japan_basis},
                     {"date_added", v.date_added},
                     {"due_date", v.due_date}});
    }
    print_json(out);
    return kExitOk;
  }
  TextTable table({"id / ID", "vendor / ベンダー", "product / 製品", "source / 出典",
                   "embargoed / 公表禁止", "exploited in Japan / 国内悪用", "added / 追加日",
                   "due / 期限"});
  for (const auto& v : *entries) {
    table.add({v.cve_id, clipped(v.vendor, 24), clipped(v.product, 32),
               std::string(registry::to_string(v.source)), yes_no(v.confidential),
               yes_no(v.exploited_in_japan), v.date_added, v.due_date.empty() ? "-" : v.due_date});
  }
  table.print();
  return kExitOk;
}

int run_notices(const RegistryCommands& args) {
  auto session = open_session(args, {"reading vulnerability notices", "脆弱性通知の閲覧"});
  if (!session) return report_error(args, session.error());
  auto organisations = visible_organisations(*session, args.org);
  if (!organisations) return report_error(args, organisations.error());
  registry::MatchOptions options;
  options.vendor_aliases = session->config.vendor_aliases;
  // The same notices and warnings mamorid's console shows (GET /api/notices).
  auto found = site::notices_for(*session->storage, *organisations, options);
  if (!found) return report_error(args, found.error());
  const auto& notices = found->notices;
  const auto& warnings = found->warnings;

  if (args.json) {
    json out = json::array();
    for (const auto& per_org : notices) out.push_back(registry::to_json(per_org));
    json warned = json::array();
    for (const auto& warning : warnings) warned.push_back(registry::to_json(warning));
    print_json({{"notices", std::move(out)}, {"warnings", std::move(warned)}});
    return kExitOk;
  }
  if (notices.empty()) fmt::print("no notices / 通知はありません\n");
  for (const auto& per_org : notices) {
    std::string name;
    for (const auto& organisation : *organisations) {
      if (organisation.id == per_org.organisation_id) name = organisation.name;
    }
    fmt::print("{} {}: {} notices, most urgent first / 通知 {} 件（緊急度順）\n",
               per_org.organisation_id, name, per_org.notices.size(), per_org.notices.size());
    TextTable table({"#", "vulnerability / 脆弱性", "computer / 機器", "version / 版",
                     "reasons / 理由", "due / 期限", "action / 対応"});
    for (std::size_t i = 0; i < per_org.notices.size(); ++i) {
      const auto& n = per_org.notices[i];
      std::vector<std::string> reasons;
      for (auto reason : n.reasons) {
        const auto& l = registry::label(reason);
        reasons.push_back(fmt::format("{} ({})", l.en, l.ja));
      }
      table.add({std::to_string(i + 1),
                 n.embargoed ? n.vulnerability_id + " [EMBARGOED / 公表禁止]" : n.vulnerability_id,
                 n.computer_id, n.computer_version.empty() ? "?" : n.computer_version,
                 fmt::format("{}", fmt::join(reasons, "; ")), n.due_date.empty() ? "-" : n.due_date,
                 n.required_action});
    }
    table.print();
  }
  if (!warnings.empty()) {
    fmt::print(
        "warnings from other operators' incident reports / 他事業者の報告に基づく注意喚起\n");
    TextTable table({"to / 宛先", "ref / 参照", "detected / 検知", "why you / 理由",
                     "indicators / 指標", "techniques / 手法"});
    for (const auto& warning : warnings) {
      std::vector<std::string> indicators;
      indicators.reserve(warning.indicators.size());
      for (const auto& indicator : warning.indicators) {
        indicators.push_back(fmt::format("{}:{}{}", registry::to_string(indicator.type),
                                         indicator.value, indicator.uncertain ? " (未確定)" : ""));
      }
      std::vector<std::string> why = warning.sectors;
      why.insert(why.end(), warning.products.begin(), warning.products.end());
      table.add({warning.organisation_id, warning.incident_ref,
                 format_rfc3339_seconds(warning.detected_at),
                 fmt::format("{}", fmt::join(why, ", ")),
                 clipped(fmt::format("{}", fmt::join(indicators, ", ")), 60),
                 fmt::format("{}", fmt::join(warning.techniques, ", "))});
    }
    table.print();
  }
  return kExitOk;
}

}  // namespace mamori::cli
