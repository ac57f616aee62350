#pragma once
// registry/incidents: incident reports (特定侵害事象等の報告) from operators. An incident is a
// sequence of reports in three phases — 速報 (first), 続報 (interim), 確報 (final) — each recorded
// with who submitted it and when. The first report asks only for what an operator knows in the
// first hours (reporter, organisation, detection time, affected computers, what is known), so
// that reporting early costs little; the final report needs cause, impact, ATT&CK techniques,
// observed indicators and measures. Any field may be marked uncertain (未確定).
//
// Reporting regimes (deadlines per regime) are configuration; `overdue` lists outstanding
// reports past their deadline at an injected `now`. One incident can be rendered as the fields
// another regime asks for (the personal-information leak report to the PPC, the telecom
// serious-accident report), so an operator files once.
//
// JSON: a report is a closed object (unknown fields are errors naming them); field names are
// those of IncidentReport below. Times are RFC 3339. Format version: "mamori-incident-report-v1".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/registry/attack.h"

namespace mamori::registry {

enum class ReportPhase { first, interim, final_ };
std::string_view to_string(ReportPhase phase);  // "first", "interim", "final"
std::string_view name_ja(ReportPhase phase);    // "速報", "続報", "確報"
// Accepts the English machine name or the Japanese name.
Result<ReportPhase> parse_report_phase(std::string_view text);

enum class IndicatorType { ip, domain, url, md5, sha1, sha256 };
std::string_view to_string(IndicatorType type);  // "ip", "domain", "url", "md5", "sha1", "sha256"
Result<IndicatorType> parse_indicator_type(std::string_view text);

struct Indicator {
  IndicatorType type = IndicatorType::ip;
  std::string value;  // IPv4/IPv6 text, a host name, an absolute http(s)/ftp URL, or hex
  bool uncertain = false;
};
// Whether `value` has the shape of its type (errors never echo the value).
Result<void> check_indicator(const Indicator& indicator);

struct IncidentReport {
  ReportPhase phase = ReportPhase::first;

  // Minimal fields of a first report.
  std::string reporter;                         // 報告者 (name or role of the person)
  std::string organisation_id;                  // Organisation::id
  std::optional<Timestamp> detected_at;         // 検知日時: starts the deadline clock
  std::vector<std::string> affected_computers;  // ImportantComputer ids; empty = not yet known
  std::string known;                            // 判明している事項 / 概要 (free text)

  // Required by a final report.
  std::string cause;                    // 原因
  std::string service_impact;           // サービスへの影響
  std::vector<std::string> techniques;  // ATT&CK ids, validated against AttackCatalog
  std::vector<Indicator> indicators;    // observed indicators
  std::string measures;                 // 講じた措置

  // Optional; asked for by the other regimes rendered below.
  std::optional<Timestamp> occurred_at;         // 発生日時, when known
  std::string impact_scope;                     // 影響範囲
  std::optional<std::uint64_t> users_affected;  // 影響を受けた利用者数
  std::vector<std::string> personal_data_items;  // 漏えい等が発生した個人データの項目
  std::optional<std::uint64_t> persons_affected;  // 本人の数
  std::string secondary_damage;                   // 二次被害又はそのおそれの有無
  std::string response_to_persons;                // 本人への対応
  std::string publication;                        // 公表の実施状況
  std::string prevention;                         // 再発防止策

  // Names of fields above the operator marked uncertain (未確定), e.g. {"cause"}.
  std::vector<std::string> uncertain;

  // Set by the registry on receipt (submit), never trusted from the operator's JSON.
  std::string submitted_by;
  Timestamp submitted_at;
};

// The JSON field names a report may carry (for messages and for the uncertain list).
const std::vector<std::string_view>& report_field_names();

// Checks the fields the report's phase requires, indicator shapes, uncertain names, and every
// technique id against `catalog`. Collects all problems in one message, e.g.
// "final report (確報): missing required fields: cause, techniques; techniques[0]: unknown …".
Result<void> validate_report(const IncidentReport& report, const AttackCatalog& catalog);

// Reads a report (a closed JSON object) and validates it. Errors name the field.
Result<IncidentReport> report_from_json(const nlohmann::json& json, const AttackCatalog& catalog);
Result<IncidentReport> parse_report(std::string_view text, const AttackCatalog& catalog);
// Only fields that are set are written; submitted_by/submitted_at when submitted_by is set.
nlohmann::json report_to_json(const IncidentReport& report);

struct Incident {
  std::string id;  // e.g. "inc-2026-0001"
  std::string organisation_id;
  std::string regime_id;                // Regime::id whose deadlines apply
  Timestamp detected_at;                // from the first report; the deadline clock starts here
  std::vector<IncidentReport> reports;  // in submission order

  bool has(ReportPhase phase) const;
};

// Starts an incident from its first report. The report is validated, stamped with
// submitted_by/submitted_at, and the clock starts at its detected_at.
Result<Incident> open_incident(std::string id, std::string regime_id, IncidentReport first,
                               const AttackCatalog& catalog, std::string submitted_by,
                               Timestamp submitted_at);
// Appends an interim or final report (or a correction after the final), validated and stamped.
// The organisation must be the incident's; a second first report is refused. The incident's
// detected_at never moves: a corrected detection time is kept in the report only, so that a
// correction cannot push a deadline back.
Result<void> submit_report(Incident& incident, IncidentReport report, const AttackCatalog& catalog,
                           std::string submitted_by, Timestamp submitted_at);

nlohmann::json incident_to_json(const Incident& incident);
// The stored form back (reports are checked for structure, not re-validated against ATT&CK,
// since the catalog may have deprecated an id after the report was accepted).
Result<Incident> incident_from_json(const nlohmann::json& json);

// A reporting regime: how soon after detection the first and the final report are due.
struct Regime {
  std::string id;  // e.g. "ppc-leak"
  std::string name_ja;
  std::string name_en;
  Duration first_report_within;
  Duration final_report_within;
};

// {"regimes": [{"id", "name_ja", "name_en", "first_report_within": "24h",
//   "final_report_within": "30d"}, …]} (durations as in core parse_duration). Errors name the
// field ("regimes[1].final_report_within: …"); ids are unique; final ≥ first.
Result<std::vector<Regime>> parse_regimes(std::string_view json_text,
                                          const std::string& source_name);
Result<std::vector<Regime>> load_regimes(const std::string& path);

struct Deadlines {
  Timestamp first_report_due;
  Timestamp final_report_due;
};
Deadlines deadlines(const Incident& incident, const Regime& regime);

struct OverdueReport {
  const Incident* incident = nullptr;
  ReportPhase phase = ReportPhase::first;  // the report that is outstanding
  Timestamp due;                           // overdue since
  Duration overdue_by;                     // now - due, > 0
};
// Outstanding reports whose deadline is before `now` (due exactly at `now` is not yet overdue):
// the first report while the incident has no report at all (e.g. opened from a finding before
// the operator reported), the final report until one is filed. Most overdue first; ties by
// incident id, then phase. An incident whose regime is not in `regimes` is an error naming it,
// so that a misconfiguration cannot hide an incident.
Result<std::vector<OverdueReport>> overdue(const std::vector<Incident>& incidents,
                                           const std::vector<Regime>& regimes, Timestamp now);

// Renders the incident (latest value of each field over its reports) as the fields another
// regime asks for:
// {"form", "title_ja", "title_en", "incident_id", "organisation_id",
//  "fields": [{"key", "label_ja", "label_en", "status": "filled" | "to_be_completed",
//              "value"?, "uncertain"?}],
//  "to_be_completed": [keys…]}
nlohmann::json render_ppc_leak_report(
    const Incident& incident);  // 個人情報保護委員会への漏えい等報告
nlohmann::json render_telecom_accident_report(
    const Incident& incident);  // 電気通信事業法の重大な事故報告

}  // namespace mamori::registry
