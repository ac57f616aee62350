// `mamori incidents correlate`: links operators' incidents to the records the sieve selected
// and to each other (registry/correlation.h), for the government's analysts. Reading records
// goes through the I7 gate like `mamori records`: a purpose, a ledger event before anything is
// shown. Only clear addresses of records are compared; pseudonyms stay pseudonyms (I5).

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mamori/analysis/sqlite_findings.h"
#include "mamori/cli/commands.h"
#include "mamori/cli/registry_session.h"
#include "mamori/registry/correlation.h"
#include "mamori/site/access_gate.h"
#include "mamori/site/maintenance.h"
#include "mamori/store/store.h"

namespace mamori::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kPage = 10'000;

// What correlation compares of a record: its clear addresses and its names.
registry::Observation observation_of(const store::StoredRecord& stored) {
  const sieve::Record& record = stored.record;
  registry::Observation observation;
  observation.kind = registry::Observation::Kind::record;
  observation.id = std::to_string(stored.id);
  observation.first_seen = record.first_seen;
  observation.last_seen = record.last_seen;
  for (const auto* endpoint : {&record.src, &record.dst}) {
    if (!endpoint->pseudonymized()) observation.addresses.push_back(endpoint->ip);
  }
  for (const auto& entry : record.dns) {
    observation.names.push_back(entry.name);
    if (entry.answers_pseudonym_epoch != 0) continue;
    observation.addresses.insert(observation.addresses.end(), entry.answers.begin(),
                                 entry.answers.end());
  }
  if (record.tls && !record.tls->sni.empty()) observation.names.push_back(record.tls->sni);
  for (const auto& http : record.http) {
    if (!http.host.empty()) observation.names.push_back(http.host);
  }
  std::vector<std::string> rules;
  rules.reserve(record.matches.size());
  for (const auto& match : record.matches) rules.push_back(match.rule);
  observation.summary = fmt::format("{}", fmt::join(rules, ","));
  return observation;
}

// A finding as correlation sees it: its subject, when it is a clear address or a name.
std::optional<registry::Observation> observation_of(const analysis::Finding& finding) {
  registry::Observation observation;
  observation.kind = registry::Observation::Kind::finding;
  observation.id = finding.id;
  observation.first_seen = finding.first_seen;
  observation.last_seen = finding.last_seen;
  observation.summary = fmt::format("{} {:.0f}", analysis::to_string(finding.kind), finding.score);
  // Pseudonyms are never compared (I5); a prefix is compared through its members' own
  // findings; fingerprints ("ja3:…", "ja4:…") are not indicators an incident reports.
  const auto address = sieve::parse_address_text(finding.subject);
  const bool pseudonym = address && address->pseudonym_epoch != 0;
  const bool prefix = !address && sieve::parse_prefix_text(finding.subject).has_value();
  const bool fingerprint = finding.subject.empty() || finding.subject.starts_with("ja");
  if (pseudonym || prefix || (!address && fingerprint)) return std::nullopt;
  if (address) {
    observation.addresses.push_back(address->ip);
  } else {
    observation.names.push_back(finding.subject.starts_with('.') ? finding.subject.substr(1)
                                                                 : finding.subject);
  }
  return observation;
}

// The findings of the latest analysis run, when there is one.
Result<std::vector<registry::Observation>> latest_findings(const std::string& config_path) {
  std::vector<registry::Observation> out;
  auto path = site::findings_path(config_path);
  if (!path) return fail(path.error());
  if (!std::filesystem::exists(*path)) return out;
  auto findings = analysis::open_sqlite_findings(*path);
  if (!findings) return fail(findings.error());
  auto runs = (*findings)->runs();
  if (!runs) return fail(runs.error());
  if (runs->empty()) return out;
  auto latest = (*findings)->findings(runs->back().id, {});
  if (!latest) return fail(latest.error());
  for (const auto& finding : *latest) {
    if (auto observation = observation_of(finding)) out.push_back(std::move(*observation));
  }
  return out;
}

// Records around the incidents: --since/--until, else every detection ± the window.
Result<store::RecordQuery> records_query(const RegistryCommands& args,
                                         const std::vector<registry::Incident>& incidents,
                                         Duration window) {
  store::RecordQuery query;
  query.limit = 0;
  if (auto range = site::apply_time_range(args.since, args.until, query); !range) {
    return fail(range.error());
  }
  if (!args.since && !args.until && !incidents.empty()) {
    const auto [first, last] = std::minmax_element(
        incidents.begin(), incidents.end(),
        [](const auto& a, const auto& b) { return a.detected_at < b.detected_at; });
    query.since = first->detected_at - window;
    query.until = last->detected_at + window;
  }
  return query;
}

}  // namespace

int run_incidents_correlate(const RegistryCommands& args) {
  auto session = open_session(
      args, {"correlating incidents with selected records", "インシデントと選別後情報の相関分析"});
  if (!session) return report_error(args, session.error());
  if (auto allowed = require_government(*session, "correlate incidents"); !allowed) {
    return report_error(args, allowed.error());
  }
  auto incidents = session->storage->incidents();
  auto organisations = session->storage->organisations();
  auto computers = session->storage->all_computers();
  if (!incidents) return report_error(args, incidents.error());
  if (!organisations) return report_error(args, organisations.error());
  if (!computers) return report_error(args, computers.error());

  const registry::CorrelationOptions options;
  auto query = records_query(args, *incidents, options.window);
  if (!query) return report_error(args, query.error());
  auto store = store::open_store(session->installation->sieve.store);
  if (!store) return report_error(args, store.error());
  auto credentials = site::gather_credentials(args.user, args.password_file, args.token_file);
  if (!credentials) return report_error(args, credentials.error());
  auto grant =
      site::authorize_read(*session->installation, **store, *credentials, args.purpose, *query);
  if (!grant) return report_error(args, grant.error());

  std::vector<registry::Observation> observations;
  store::RecordQuery page = *query;
  page.limit = kPage;
  while (true) {
    auto records = (*store)->query(page);
    if (!records) return report_error(args, records.error());
    for (const auto& stored : *records) observations.push_back(observation_of(stored));
    if (records->size() < kPage) break;
    page.after = records->back().id;
  }
  const std::size_t records_read = observations.size();
  auto findings = latest_findings(args.config);
  if (!findings) return report_error(args, findings.error());
  observations.insert(observations.end(), findings->begin(), findings->end());
  // The read is on the ledger before any result is shown.
  if (auto recorded = site::record_read(*session->installation, *grant, *query, records_read);
      !recorded) {
    return report_error(args, recorded.error());
  }

  const auto result =
      registry::correlate(*incidents, observations, *organisations, *computers, options);
  if (args.json) {
    json links = json::array();
    for (const auto& link : result.links) links.push_back(registry::to_json(link));
    json warnings = json::array();
    for (const auto& warning : result.warnings) warnings.push_back(registry::to_json(warning));
    print_json({{"records_read", records_read},
                {"findings_read", findings->size()},
                {"links", std::move(links)},
                {"warnings", std::move(warnings)}});
    return kExitOk;
  }
  fmt::print(
      "{} incidents, {} records and {} findings compared / インシデント {} 件、レコード {} 件、"
      "所見 {} 件を照合\n",
      incidents->size(), records_read, findings->size(), incidents->size(), records_read,
      findings->size());
  if (result.links.empty()) {
    fmt::print("no links / 関連は見つかりません\n");
  } else {
    TextTable table({"incident / 事案", "linked to / 関連先", "reasons / 理由", "matched / 一致",
                     "strength / 強さ"});
    for (const auto& link : result.links) {
      std::vector<std::string> reasons;
      reasons.reserve(link.reasons.size());
      for (const auto reason : link.reasons) reasons.emplace_back(registry::to_string(reason));
      table.add({link.incident_id, fmt::format("{} {}", link.target_kind, link.target_id),
                 fmt::format("{}", fmt::join(reasons, ", ")),
                 clipped(fmt::format("{}", fmt::join(link.matched, ", ")), 48),
                 fmt::format("{:.2f}", link.strength)});
    }
    table.print();
  }
  std::vector<std::string> recipients;
  recipients.reserve(result.warnings.size());
  for (const auto& warning : result.warnings) recipients.push_back(warning.organisation_id);
  recipients.erase(std::unique(recipients.begin(), recipients.end()), recipients.end());
  fmt::print(
      "warnings to other operators: {} to {} organisations (shown to them by `mamori notices`)"
      " / 他の事業者への注意喚起: {} 件 ({} 組織)\n",
      result.warnings.size(), recipients.size(), result.warnings.size(), recipients.size());
  return kExitOk;
}

}  // namespace mamori::cli
