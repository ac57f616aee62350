#include "mamori/registry/incidents.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "mamori/core/ip.h"

namespace mamori::registry {
namespace {

using nlohmann::json;

constexpr std::string_view kReportFormat = "mamori-incident-report-v1";

constexpr std::array<std::string_view, 3> kPhaseNames = {"first", "interim", "final"};
constexpr std::array<std::string_view, 3> kPhaseNamesJa = {"速報", "続報", "確報"};
constexpr std::array<std::string_view, 6> kIndicatorTypes = {"ip",  "domain", "url",
                                                             "md5", "sha1",   "sha256"};

bool blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool is_hex(std::string_view text) {
  return std::ranges::all_of(text, [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// A DNS host name in A-label form: labels of letters, digits, '-' and '_' (seen in real
// indicators), 1–63 bytes, at least two labels, a top-level label that is not all digits.
bool is_domain(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  std::size_t labels = 0;
  std::string_view last;
  while (true) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
      if (!ok) return false;
    }
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return labels >= 2 && !std::ranges::all_of(last, [](char c) { return c >= '0' && c <= '9'; });
}

bool is_url(std::string_view url) {
  std::string_view rest;
  for (std::string_view scheme : {"http://", "https://", "ftp://"}) {
    if (url.size() > scheme.size() &&
        std::ranges::equal(url.substr(0, scheme.size()), scheme, [](char a, char b) {
          return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b;
        })) {
      rest = url.substr(scheme.size());
    }
  }
  if (rest.empty()) return false;
  if (std::ranges::any_of(url, [](char c) { return static_cast<unsigned char>(c) <= 0x20; })) {
    return false;
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    return close != std::string_view::npos &&
           IpAddress::parse(authority.substr(1, close - 1)).has_value();
  }
  std::string_view host = authority.substr(0, authority.find(':'));
  return IpAddress::parse(host).has_value() || is_domain(host);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

// Reads one closed JSON object, appending "where.field: problem" to a shared error list.
class Fields {
 public:
  Fields(const json& value, std::string where, std::vector<std::string>& errors)
      : where_(std::move(where)), errors_(errors) {
    if (value.is_object()) {
      object_ = &value;
    } else {
      errors_.push_back(where_.empty() ? "must be a JSON object"
                                       : fmt::format("{}: must be a JSON object", where_));
    }
  }

  std::string name(std::string_view key) const {
    return where_.empty() ? std::string(key) : fmt::format("{}.{}", where_, key);
  }
  void error(std::string_view key, std::string_view message) {
    errors_.push_back(fmt::format("{}: {}", name(key), message));
  }
  const json* get(std::string_view key) {
    seen_.emplace_back(key);
    if (!object_) return nullptr;
    const auto it = object_->find(key);
    if (it == object_->end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::string string(std::string_view key) {
    const json* value = get(key);
    if (!value) return {};
    if (!value->is_string()) {
      error(key, "must be a string");
      return {};
    }
    return value->get<std::string>();
  }
  std::vector<std::string> strings(std::string_view key) {
    std::vector<std::string> out;
    const json* value = get(key);
    if (!value) return out;
    if (!value->is_array()) {
      error(key, "must be an array of strings");
      return out;
    }
    for (std::size_t i = 0; i < value->size(); ++i) {
      if (!(*value)[i].is_string()) {
        error(fmt::format("{}[{}]", key, i), "must be a string");
        continue;
      }
      out.push_back((*value)[i].get<std::string>());
    }
    return out;
  }
  std::optional<Timestamp> time(std::string_view key) {
    const std::string text = string(key);
    if (text.empty()) return std::nullopt;
    auto parsed = parse_rfc3339(text);
    if (!parsed) {
      error(key, "must be an RFC 3339 time, e.g. 2026-11-22T09:30:00+09:00");
      return std::nullopt;
    }
    return *parsed;
  }
  std::optional<std::uint64_t> count(std::string_view key) {
    const json* value = get(key);
    if (!value) return std::nullopt;
    // Parsed JSON holds 1200 as unsigned, a json built in code as signed: accept both.
    if (!value->is_number_integer() ||
        (!value->is_number_unsigned() && value->get<std::int64_t>() < 0)) {
      error(key, "must be a non-negative integer");
      return std::nullopt;
    }
    return value->get<std::uint64_t>();
  }
  bool boolean(std::string_view key) {
    const json* value = get(key);
    if (!value) return false;
    if (!value->is_boolean()) {
      error(key, "must be true or false");
      return false;
    }
    return value->get<bool>();
  }
  std::optional<Duration> duration(std::string_view key) {
    const std::string text = string(key);
    if (text.empty()) {
      error(key, "is required");
      return std::nullopt;
    }
    auto parsed = parse_duration(text);
    if (!parsed || parsed->nanos <= 0) {
      error(key, "must be a positive duration such as \"24h\" or \"30d\"");
      return std::nullopt;
    }
    return *parsed;
  }
  void reject_unknown() {
    if (!object_) return;
    for (const auto& [key, value] : object_->items()) {
      if (std::ranges::find(seen_, key) == seen_.end()) error(key, "unknown field");
    }
  }

 private:
  const json* object_ = nullptr;
  std::string where_;
  std::vector<std::string> seen_;
  std::vector<std::string>& errors_;
};

std::string time_text_exact(Timestamp t) {
  return t.nanos % 1'000'000'000 == 0 ? format_rfc3339_seconds(t) : format_rfc3339_micros(t);
}

// Reads the report fields without checking phase requirements.
IncidentReport read_report(const json& value, std::vector<std::string>& errors) {
  IncidentReport report;
  if (!value.is_object()) {
    errors.emplace_back("must be a JSON object");
    return report;
  }
  Fields f(value, "", errors);
  if (const std::string format = f.string("format"); !format.empty() && format != kReportFormat) {
    f.error("format", fmt::format("must be \"{}\"", kReportFormat));
  }
  if (const std::string phase = f.string("phase"); phase.empty()) {
    f.error("phase", "is required (first/速報, interim/続報 or final/確報)");
  } else if (auto parsed = parse_report_phase(phase)) {
    report.phase = *parsed;
  } else {
    f.error("phase", parsed.error().message);
  }
  report.reporter = f.string("reporter");
  report.organisation_id = f.string("organisation_id");
  report.detected_at = f.time("detected_at");
  report.affected_computers = f.strings("affected_computers");
  report.known = f.string("known");
  report.cause = f.string("cause");
  report.service_impact = f.string("service_impact");
  report.techniques = f.strings("techniques");
  if (const json* list = f.get("indicators")) {
    if (!list->is_array()) {
      f.error("indicators", "must be an array of objects");
    } else {
      for (std::size_t i = 0; i < list->size(); ++i) {
        Fields g((*list)[i], fmt::format("indicators[{}]", i), errors);
        Indicator indicator;
        auto type = parse_indicator_type(g.string("type"));
        if (type) {
          indicator.type = *type;
        } else {
          g.error("type", type.error().message);
        }
        indicator.value = g.string("value");
        indicator.uncertain = g.boolean("uncertain");
        g.reject_unknown();
        // An indicator of unknown type is reported once, not again as a bad value.
        if (type) report.indicators.push_back(std::move(indicator));
      }
    }
  }
  report.measures = f.string("measures");
  report.occurred_at = f.time("occurred_at");
  report.impact_scope = f.string("impact_scope");
  report.users_affected = f.count("users_affected");
  report.personal_data_items = f.strings("personal_data_items");
  report.persons_affected = f.count("persons_affected");
  report.secondary_damage = f.string("secondary_damage");
  report.response_to_persons = f.string("response_to_persons");
  report.publication = f.string("publication");
  report.prevention = f.string("prevention");
  report.uncertain = f.strings("uncertain");
  report.submitted_by = f.string("submitted_by");
  if (auto at = f.time("submitted_at")) report.submitted_at = *at;
  f.reject_unknown();
  return report;
}

Result<void> errors_to_result(const std::vector<std::string>& errors) {
  if (errors.empty()) return {};
  return fail(Error{join(errors, "; ")});
}

void stamp(IncidentReport& report, std::string submitted_by, Timestamp submitted_at) {
  report.submitted_by = std::move(submitted_by);
  report.submitted_at = submitted_at;
}

// One field of another regime's form: which incident fields fill it, in order of preference.
struct FormField {
  std::string_view key;
  std::string_view label_ja;
  std::string_view label_en;
  std::vector<std::string_view> sources;
};

struct MergedValue {
  json value;
  bool uncertain = false;
};

// The latest value of every field over the incident's reports: each report states what is
// known at its time, so a later statement replaces an earlier one.
std::map<std::string, MergedValue, std::less<>> merge_reports(const Incident& incident) {
  std::map<std::string, MergedValue, std::less<>> merged;
  for (const IncidentReport& report : incident.reports) {
    const json fields = report_to_json(report);
    for (const auto& [key, value] : fields.items()) {
      merged[key] = {value, std::ranges::find(report.uncertain, key) != report.uncertain.end()};
    }
  }
  return merged;
}

json render(const Incident& incident, std::string_view form, std::string_view title_ja,
            std::string_view title_en, const std::vector<FormField>& spec) {
  const auto merged = merge_reports(incident);
  json fields = json::array();
  json missing = json::array();
  for (const FormField& field : spec) {
    json entry = {{"key", field.key}, {"label_ja", field.label_ja}, {"label_en", field.label_en}};
    const MergedValue* found = nullptr;
    std::string_view source;
    for (std::string_view candidate : field.sources) {
      if (const auto it = merged.find(candidate); it != merged.end()) {
        found = &it->second;
        source = candidate;
        break;
      }
    }
    if (found) {
      entry["status"] = "filled";
      entry["value"] = found->value;
      entry["source"] = source;
      if (found->uncertain) entry["uncertain"] = true;
    } else {
      entry["status"] = "to_be_completed";
      missing.push_back(field.key);
    }
    fields.push_back(std::move(entry));
  }
  return {{"form", form},
          {"title_ja", title_ja},
          {"title_en", title_en},
          {"incident_id", incident.id},
          {"organisation_id", incident.organisation_id},
          {"fields", std::move(fields)},
          {"to_be_completed", std::move(missing)}};
}

}  // namespace

std::string_view to_string(ReportPhase phase) {
  return kPhaseNames[static_cast<std::size_t>(phase)];
}

std::string_view name_ja(ReportPhase phase) {
  return kPhaseNamesJa[static_cast<std::size_t>(phase)];
}

Result<ReportPhase> parse_report_phase(std::string_view text) {
  for (std::size_t i = 0; i < kPhaseNames.size(); ++i) {
    if (text == kPhaseNames[i] || text == kPhaseNamesJa[i]) return static_cast<ReportPhase>(i);
  }
  return fail("unknown report phase: expected first (速報), interim (続報) or final (確報)");
}

std::string_view to_string(IndicatorType type) {
  return kIndicatorTypes[static_cast<std::size_t>(type)];
}

Result<IndicatorType> parse_indicator_type(std::string_view text) {
  for (std::size_t i = 0; i < kIndicatorTypes.size(); ++i) {
    if (text == kIndicatorTypes[i]) return static_cast<IndicatorType>(i);
  }
  return fail("unknown indicator type: expected ip, domain, url, md5, sha1 or sha256");
}

Result<void> check_indicator(const Indicator& indicator) {
  const std::string_view value = indicator.value;
  if (blank(value)) return fail("indicator value is empty");
  switch (indicator.type) {
    case IndicatorType::ip:
      if (!IpAddress::parse(value)) return fail("not an IPv4 or IPv6 address");
      return {};
    case IndicatorType::domain:
      if (!is_domain(value)) {
        return fail("not a domain name (internationalised names in their xn-- form)");
      }
      return {};
    case IndicatorType::url:
      if (!is_url(value)) return fail("not an absolute http, https or ftp URL");
      return {};
    case IndicatorType::md5:
      if (value.size() != 32 || !is_hex(value)) return fail("an MD5 hash is 32 hex digits");
      return {};
    case IndicatorType::sha1:
      if (value.size() != 40 || !is_hex(value)) return fail("a SHA-1 hash is 40 hex digits");
      return {};
    case IndicatorType::sha256:
      if (value.size() != 64 || !is_hex(value)) return fail("a SHA-256 hash is 64 hex digits");
      return {};
  }
  return fail("unknown indicator type");
}

const std::vector<std::string_view>& report_field_names() {
  static const std::vector<std::string_view> kNames = {"reporter",
                                                       "organisation_id",
                                                       "detected_at",
                                                       "affected_computers",
                                                       "known",
                                                       "cause",
                                                       "service_impact",
                                                       "techniques",
                                                       "indicators",
                                                       "measures",
                                                       "occurred_at",
                                                       "impact_scope",
                                                       "users_affected",
                                                       "personal_data_items",
                                                       "persons_affected",
                                                       "secondary_damage",
                                                       "response_to_persons",
                                                       "publication",
                                                       "prevention"};
  return kNames;
}

namespace {

// Appends the report's problems; `check_required` is off when reading already failed, so that a
// field with the wrong type is not reported a second time as missing.
void collect_problems(const IncidentReport& report, const AttackCatalog& catalog,
                      bool check_required, std::vector<std::string>& errors) {
  std::vector<std::string> missing;
  auto require = [&](bool present, std::string_view name) {
    if (!present) missing.emplace_back(name);
  };
  // Every phase names who reports for which organisation; first and final also carry the
  // detection time and what is known (the final report is complete on its own).
  require(!blank(report.reporter), "reporter");
  require(!blank(report.organisation_id), "organisation_id");
  if (report.phase != ReportPhase::interim) {
    require(report.detected_at.has_value(), "detected_at");
    require(!blank(report.known), "known");
  }
  if (report.phase == ReportPhase::final_) {
    require(!blank(report.cause), "cause");
    require(!blank(report.service_impact), "service_impact");
    require(!report.techniques.empty(), "techniques");
    require(!report.indicators.empty(), "indicators");
    require(!blank(report.measures), "measures");
  }

  if (check_required && !missing.empty()) {
    errors.push_back(fmt::format("{} report ({}): missing required fields: {}",
                                 to_string(report.phase), name_ja(report.phase),
                                 join(missing, ", ")));
  }
  for (std::size_t i = 0; i < report.techniques.size(); ++i) {
    if (auto checked = catalog.validate(report.techniques[i]); !checked) {
      errors.push_back(fmt::format("techniques[{}]: {}", i, checked.error().message));
    }
  }
  for (std::size_t i = 0; i < report.indicators.size(); ++i) {
    if (auto checked = check_indicator(report.indicators[i]); !checked) {
      errors.push_back(fmt::format("indicators[{}].value: {}", i, checked.error().message));
    }
  }
  for (std::size_t i = 0; i < report.affected_computers.size(); ++i) {
    if (blank(report.affected_computers[i])) {
      errors.push_back(fmt::format("affected_computers[{}]: empty computer id", i));
    }
  }
  const auto& names = report_field_names();
  for (std::size_t i = 0; i < report.uncertain.size(); ++i) {
    if (std::ranges::find(names, report.uncertain[i]) == names.end()) {
      errors.push_back(fmt::format("uncertain[{}]: not a report field", i));
    }
  }
}

}  // namespace

Result<void> validate_report(const IncidentReport& report, const AttackCatalog& catalog) {
  std::vector<std::string> errors;
  collect_problems(report, catalog, true, errors);
  return errors_to_result(errors);
}

Result<IncidentReport> report_from_json(const json& value, const AttackCatalog& catalog) {
  std::vector<std::string> errors;
  IncidentReport report = read_report(value, errors);
  if (!value.is_object()) return fail(Error{join(errors, "; ")});
  collect_problems(report, catalog, errors.empty(), errors);
  if (auto result = errors_to_result(errors); !result) return fail(result.error());
  return report;
}

Result<IncidentReport> parse_report(std::string_view text, const AttackCatalog& catalog) {
  try {
    return report_from_json(json::parse(text), catalog);
  } catch (const json::parse_error& e) {
    return fail("incident report: invalid JSON at byte {}", e.byte);
  } catch (const json::exception&) {
    // out_of_range 406: a number too large for a double (e.g. 1e999); its text is not echoed.
    return fail("incident report: invalid JSON (a number is out of range)");
  }
}

json report_to_json(const IncidentReport& report) {
  json out = {{"format", kReportFormat}, {"phase", to_string(report.phase)}};
  auto text = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) out[std::string(key)] = value;
  };
  auto list = [&](std::string_view key, const std::vector<std::string>& value) {
    if (!value.empty()) out[std::string(key)] = value;
  };
  text("reporter", report.reporter);
  text("organisation_id", report.organisation_id);
  if (report.detected_at) out["detected_at"] = time_text_exact(*report.detected_at);
  list("affected_computers", report.affected_computers);
  text("known", report.known);
  text("cause", report.cause);
  text("service_impact", report.service_impact);
  list("techniques", report.techniques);
  if (!report.indicators.empty()) {
    json indicators = json::array();
    for (const Indicator& indicator : report.indicators) {
      json entry = {{"type", to_string(indicator.type)}, {"value", indicator.value}};
      if (indicator.uncertain) entry["uncertain"] = true;
      indicators.push_back(std::move(entry));
    }
    out["indicators"] = std::move(indicators);
  }
  text("measures", report.measures);
  if (report.occurred_at) out["occurred_at"] = time_text_exact(*report.occurred_at);
  text("impact_scope", report.impact_scope);
  if (report.users_affected) out["users_affected"] = *report.users_affected;
  list("personal_data_items", report.personal_data_items);
  if (report.persons_affected) out["persons_affected"] = *report.persons_affected;
  text("secondary_damage", report.secondary_damage);
  text("response_to_persons", report.response_to_persons);
  text("publication", report.publication);
  text("prevention", report.prevention);
  list("uncertain", report.uncertain);
  if (!report.submitted_by.empty()) {
    out["submitted_by"] = report.submitted_by;
    out["submitted_at"] = time_text_exact(report.submitted_at);
  }
  return out;
}

bool Incident::has(ReportPhase phase) const {
  return std::ranges::any_of(reports, [&](const IncidentReport& r) { return r.phase == phase; });
}

Result<Incident> open_incident(std::string id, std::string regime_id, IncidentReport first,
                               const AttackCatalog& catalog, std::string submitted_by,
                               Timestamp submitted_at) {
  if (blank(id)) return fail("incident id is empty");
  if (blank(regime_id)) return fail("incident {}: reporting regime is empty", id);
  if (blank(submitted_by)) return fail("incident {}: submitted_by is empty", id);
  if (first.phase != ReportPhase::first) {
    return fail("incident {}: an incident starts with a first report (速報), not {}", id,
                to_string(first.phase));
  }
  if (auto valid = validate_report(first, catalog); !valid) {
    return fail("incident {}: {}", id, valid.error().message);
  }
  Incident incident;
  incident.id = std::move(id);
  incident.organisation_id = first.organisation_id;
  incident.regime_id = std::move(regime_id);
  incident.detected_at = *first.detected_at;
  stamp(first, std::move(submitted_by), submitted_at);
  incident.reports.push_back(std::move(first));
  return incident;
}

Result<void> submit_report(Incident& incident, IncidentReport report, const AttackCatalog& catalog,
                           std::string submitted_by, Timestamp submitted_at) {
  if (blank(submitted_by)) return fail("incident {}: submitted_by is empty", incident.id);
  if (report.phase == ReportPhase::first && incident.has(ReportPhase::first)) {
    return fail("incident {}: already has a first report (速報); send an interim report (続報)",
                incident.id);
  }
  if (auto valid = validate_report(report, catalog); !valid) {
    return fail("incident {}: {}", incident.id, valid.error().message);
  }
  if (report.organisation_id != incident.organisation_id) {
    return fail("incident {}: organisation_id differs from the incident's organisation",
                incident.id);
  }
  stamp(report, std::move(submitted_by), submitted_at);
  incident.reports.push_back(std::move(report));
  return {};
}

json incident_to_json(const Incident& incident) {
  json reports = json::array();
  for (const IncidentReport& report : incident.reports) reports.push_back(report_to_json(report));
  return {{"id", incident.id},
          {"organisation_id", incident.organisation_id},
          {"regime_id", incident.regime_id},
          {"detected_at", time_text_exact(incident.detected_at)},
          {"reports", std::move(reports)}};
}

Result<Incident> incident_from_json(const json& value) {
  std::vector<std::string> errors;
  Fields f(value, "incident", errors);
  Incident incident;
  incident.id = f.string("id");
  incident.organisation_id = f.string("organisation_id");
  incident.regime_id = f.string("regime_id");
  if (blank(incident.id)) f.error("id", "is required");
  if (blank(incident.organisation_id)) f.error("organisation_id", "is required");
  if (blank(incident.regime_id)) f.error("regime_id", "is required");
  if (auto detected = f.time("detected_at")) {
    incident.detected_at = *detected;
  } else {
    f.error("detected_at", "is required");
  }
  if (const json* reports = f.get("reports"); reports && reports->is_array()) {
    for (std::size_t i = 0; i < reports->size(); ++i) {
      std::vector<std::string> report_errors;
      IncidentReport report = read_report((*reports)[i], report_errors);
      for (const std::string& e : report_errors) {
        errors.push_back(fmt::format("incident.reports[{}].{}", i, e));
      }
      incident.reports.push_back(std::move(report));
    }
  } else if (reports) {
    f.error("reports", "must be an array");
  }
  f.reject_unknown();
  if (auto result = errors_to_result(errors); !result) return fail(result.error());
  return incident;
}

Result<std::vector<Regime>> parse_regimes(std::string_view json_text,
                                          const std::string& source_name) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    return fail("{}: invalid JSON at byte {}", source_name, e.byte);
  } catch (const json::exception&) {
    return fail("{}: invalid JSON (a number is out of range)", source_name);
  }
  std::vector<std::string> errors;
  Fields top(root, "", errors);
  const json* list = top.get("regimes");
  top.reject_unknown();
  if (!list || !list->is_array()) {
    if (errors.empty()) errors.emplace_back("regimes: must be an array of regimes");
    return fail("{}: {}", source_name, join(errors, "; "));
  }
  std::vector<Regime> regimes;
  for (std::size_t i = 0; i < list->size(); ++i) {
    Fields f((*list)[i], fmt::format("regimes[{}]", i), errors);
    Regime regime;
    regime.id = f.string("id");
    regime.name_ja = f.string("name_ja");
    regime.name_en = f.string("name_en");
    if (blank(regime.id)) f.error("id", "is required");
    if (blank(regime.name_ja)) f.error("name_ja", "is required");
    if (blank(regime.name_en)) f.error("name_en", "is required");
    const auto first = f.duration("first_report_within");
    const auto final_within = f.duration("final_report_within");
    if (first && final_within && *final_within < *first) {
      f.error("final_report_within", "is shorter than first_report_within");
    }
    f.reject_unknown();
    if (std::ranges::any_of(regimes, [&](const Regime& r) { return r.id == regime.id; })) {
      f.error("id", "duplicates an earlier regime");
    }
    regime.first_report_within = first.value_or(Duration{});
    regime.final_report_within = final_within.value_or(Duration{});
    regimes.push_back(std::move(regime));
  }
  if (!errors.empty()) return fail("{}: {}", source_name, join(errors, "; "));
  return regimes;
}

Result<std::vector<Regime>> load_regimes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("{}: cannot open the reporting regimes file", path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_regimes(text.str(), path);
}

Deadlines deadlines(const Incident& incident, const Regime& regime) {
  return {incident.detected_at + regime.first_report_within,
          incident.detected_at + regime.final_report_within};
}

Result<std::vector<OverdueReport>> overdue(const std::vector<Incident>& incidents,
                                           const std::vector<Regime>& regimes, Timestamp now) {
  std::vector<OverdueReport> out;
  for (const Incident& incident : incidents) {
    const auto regime = std::ranges::find(regimes, incident.regime_id, &Regime::id);
    if (regime == regimes.end()) {
      return fail("incident {}: unknown reporting regime '{}'", incident.id, incident.regime_id);
    }
    const Deadlines due = deadlines(incident, *regime);
    // Any report (even an interim one sent first) says at least what a 速報 would have said.
    if (incident.reports.empty() && now > due.first_report_due) {
      out.push_back(
          {&incident, ReportPhase::first, due.first_report_due, now - due.first_report_due});
    }
    if (!incident.has(ReportPhase::final_) && now > due.final_report_due) {
      out.push_back(
          {&incident, ReportPhase::final_, due.final_report_due, now - due.final_report_due});
    }
  }
  std::ranges::sort(out, [](const OverdueReport& a, const OverdueReport& b) {
    return std::tuple(b.overdue_by, std::string_view(a.incident->id), a.phase) <
           std::tuple(a.overdue_by, std::string_view(b.incident->id), b.phase);
  });
  return out;
}

json render_ppc_leak_report(const Incident& incident) {
  static const std::vector<FormField> kSpec = {
      {"summary", "概要", "Summary", {"known"}},
      {"personal_data_items",
       "漏えい等が発生し、又は発生したおそれがある個人データの項目",
       "Items of personal data leaked (or possibly leaked)",
       {"personal_data_items"}},
      {"persons_affected", "本人の数", "Number of persons concerned", {"persons_affected"}},
      {"cause", "原因", "Cause", {"cause"}},
      {"secondary_damage",
       "二次被害又はそのおそれの有無及びその内容",
       "Secondary damage or its risk",
       {"secondary_damage"}},
      {"response_to_persons",
       "本人への対応の実施状況",
       "Response to the persons concerned",
       {"response_to_persons"}},
      {"publication", "公表の実施状況", "Public announcement", {"publication"}},
      {"prevention", "再発防止のための措置", "Measures to prevent recurrence", {"prevention"}},
  };
  return render(incident, "ppc-personal-data-leak", "個人情報保護委員会への漏えい等報告",
                "Personal data leak report to the Personal Information Protection Commission",
                kSpec);
}

json render_telecom_accident_report(const Incident& incident) {
  // 影響範囲 falls back to the impact on service stated for this incident's own regime.
  static const std::vector<FormField> kSpec = {
      {"occurred_at", "発生日時", "Date and time of occurrence", {"occurred_at"}},
      {"summary", "概要", "Summary", {"known"}},
      {"impact_scope", "影響範囲", "Scope of impact", {"impact_scope", "service_impact"}},
      {"users_affected", "利用者数", "Number of users affected", {"users_affected"}},
      {"cause", "原因", "Cause", {"cause"}},
      {"measures", "措置", "Measures taken", {"measures"}},
  };
  return render(incident, "telecom-serious-accident", "電気通信事業法の重大な事故報告",
                "Serious accident report under the Telecommunications Business Act", kSpec);
}

}  // namespace mamori::registry
