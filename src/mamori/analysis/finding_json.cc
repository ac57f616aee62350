#include "mamori/analysis/finding_json.h"

#include <cmath>
#include <set>
#include <string>

namespace mamori::analysis {
namespace {

using nlohmann::json;

double finite(double value) { return std::isfinite(value) ? value : 0.0; }

// Reads the members of one JSON object, remembering the first problem; finish() also refuses
// keys nobody asked for.
class Fields {
 public:
  Fields(const json& object, std::string what) : object_(object), what_(std::move(what)) {
    if (!object_.is_object()) problem("", "must be an object");
  }

  void number(const char* name, double& out) {
    if (const json* v = get(name)) {
      if (!v->is_number()) return problem(name, "must be a number");
      out = v->get<double>();
    }
  }
  void count(const char* name, std::uint64_t& out) {
    if (const json* v = get(name)) {
      if (!v->is_number_integer() || (!v->is_number_unsigned() && v->get<std::int64_t>() < 0)) {
        return problem(name, "must be a non-negative integer");
      }
      out = v->get<std::uint64_t>();
    }
  }
  void size(const char* name, std::size_t& out) {
    std::uint64_t value = out;
    count(name, value);
    out = static_cast<std::size_t>(value);
  }
  void text(const char* name, std::string& out) {
    if (const json* v = get(name)) {
      if (!v->is_string()) return problem(name, "must be a string");
      out = v->get<std::string>();
    }
  }
  void time(const char* name, Timestamp& out) {
    if (const json* v = get(name)) {
      if (!v->is_number_integer()) return problem(name, "must be an integer (ns since 1970)");
      out = Timestamp{v->get<std::int64_t>()};
    }
  }
  const json* array(const char* name) {
    const json* v = get(name);
    if (v != nullptr && !v->is_array()) {
      problem(name, "must be an array");
      return nullptr;
    }
    return v;
  }
  void version() {
    std::uint64_t v = 0;
    count("v", v);
    if (!error_ && v != kFindingJsonVersion) problem("v", "unsupported version");
  }
  void problem(std::string_view field, std::string_view what) {
    if (error_) return;
    error_ = field.empty() ? fmt::format("{}: {}", what_, what)
                           : fmt::format("{}: field '{}': {}", what_, field, what);
  }

  Result<void> finish() {
    if (!error_ && object_.is_object()) {
      for (const auto& [key, value] : object_.items()) {
        if (!seen_.contains(key)) {
          problem("", "has an unknown field");
          break;
        }
      }
    }
    if (error_) return fail("{}", *error_);
    return {};
  }

 private:
  const json* get(const char* name) {
    seen_.insert(name);
    if (error_ || !object_.is_object()) return nullptr;
    const auto it = object_.find(name);
    if (it == object_.end()) {
      problem(name, "missing");
      return nullptr;
    }
    return &*it;
  }

  const json& object_;
  std::string what_;
  std::set<std::string, std::less<>> seen_;
  std::optional<std::string> error_;
};

}  // namespace

json finding_to_json(const Finding& f) {
  json details = json::array();
  for (const Detail& d : f.details) {
    if (d.text.empty()) {
      details.push_back({{"name", d.name}, {"number", finite(d.number)}});
    } else {
      details.push_back({{"name", d.name}, {"text", d.text}});
    }
  }
  return {{"v", kFindingJsonVersion},         {"id", f.id},
          {"kind", to_string(f.kind)},        {"subject", f.subject},
          {"score", finite(f.score)},         {"confidence", finite(f.confidence)},
          {"evidence", f.evidence},           {"evidence_total", f.evidence_total},
          {"first_seen", f.first_seen.nanos}, {"last_seen", f.last_seen.nanos},
          {"expires_at", f.expires_at.nanos}, {"details", details}};
}

Result<Finding> finding_from_json(const json& j) {
  Finding f;
  Fields fields(j, "finding");
  fields.version();
  fields.text("id", f.id);
  std::string kind;
  fields.text("kind", kind);
  if (!kind.empty()) {
    const auto parsed = parse_finding_kind(kind);
    if (!parsed) {
      fields.problem("kind", "is not a finding kind");
    } else {
      f.kind = *parsed;
    }
  }
  fields.text("subject", f.subject);
  fields.number("score", f.score);
  fields.number("confidence", f.confidence);
  if (const json* evidence = fields.array("evidence")) {
    for (const json& id : *evidence) {
      if (!id.is_number_integer()) {
        fields.problem("evidence", "must hold record ids");
        break;
      }
      f.evidence.push_back(id.get<RecordId>());
    }
  }
  fields.count("evidence_total", f.evidence_total);
  fields.time("first_seen", f.first_seen);
  fields.time("last_seen", f.last_seen);
  fields.time("expires_at", f.expires_at);
  if (const json* details = fields.array("details")) {
    for (const json& d : *details) {
      Detail detail;
      Fields inner(d, "finding detail");
      inner.text("name", detail.name);
      if (d.is_object() && d.contains("text")) {
        inner.text("text", detail.text);
      } else {
        inner.number("number", detail.number);
      }
      if (auto ok = inner.finish(); !ok) return fail(ok.error());
      f.details.push_back(std::move(detail));
    }
  }
  if (auto ok = fields.finish(); !ok) return fail(ok.error());
  return f;
}

json candidate_to_json(const CandidateIndicator& c) {
  return {{"v", kFindingJsonVersion},
          {"kind", c.kind},
          {"value", c.value},
          {"score", finite(c.score)},
          {"finding_ids", c.finding_ids},
          {"rationale", c.rationale}};
}

Result<CandidateIndicator> candidate_from_json(const json& j) {
  CandidateIndicator c;
  Fields fields(j, "candidate");
  fields.version();
  fields.text("kind", c.kind);
  fields.text("value", c.value);
  fields.number("score", c.score);
  if (const json* ids = fields.array("finding_ids")) {
    for (const json& id : *ids) {
      if (!id.is_string()) {
        fields.problem("finding_ids", "must hold strings");
        break;
      }
      c.finding_ids.push_back(id.get<std::string>());
    }
  }
  fields.text("rationale", c.rationale);
  if (auto ok = fields.finish(); !ok) return fail(ok.error());
  return c;
}

json options_to_json(const AnalysisOptions& o) {
  return {{"max_findings_per_kind", o.max_findings_per_kind},
          {"min_score", finite(o.min_score)},
          {"timeline_top", o.timeline_top},
          {"min_intervals", o.min_intervals},
          {"cv_cap", finite(o.cv_cap)},
          {"min_fan_in", o.min_fan_in},
          {"few_clients", o.few_clients},
          {"popular_scale", finite(o.popular_scale)},
          {"suspicious_score", finite(o.suspicious_score)},
          {"candidate_min_score", finite(o.candidate_min_score)},
          {"fingerprint_min_specificity", finite(o.fingerprint_min_specificity)},
          {"max_candidates", o.max_candidates}};
}

Result<AnalysisOptions> options_from_json(const json& j) {
  AnalysisOptions o;
  Fields fields(j, "analysis options");
  fields.size("max_findings_per_kind", o.max_findings_per_kind);
  fields.number("min_score", o.min_score);
  fields.size("timeline_top", o.timeline_top);
  fields.size("min_intervals", o.min_intervals);
  fields.number("cv_cap", o.cv_cap);
  fields.size("min_fan_in", o.min_fan_in);
  fields.size("few_clients", o.few_clients);
  fields.number("popular_scale", o.popular_scale);
  fields.number("suspicious_score", o.suspicious_score);
  fields.number("candidate_min_score", o.candidate_min_score);
  fields.number("fingerprint_min_specificity", o.fingerprint_min_specificity);
  fields.size("max_candidates", o.max_candidates);
  if (auto ok = fields.finish(); !ok) return fail(ok.error());
  return o;
}

json stats_to_json(const AnalysisStats& s) {
  return {{"records", s.records},
          {"records_outbound", s.records_outbound},
          {"records_behaviour", s.records_behaviour},
          {"records_ignored", s.records_ignored},
          {"servers", s.servers},
          {"clients", s.clients},
          {"pairs", s.pairs},
          {"strings", s.strings},
          {"behaviour_subjects", s.behaviour_subjects},
          {"compactions", s.compactions},
          {"evicted", s.evicted},
          {"rejected", s.rejected},
          {"out_of_order", s.out_of_order},
          {"peak_memory_bytes", s.peak_memory_bytes},
          {"first_record", s.first_record.nanos},
          {"last_record", s.last_record.nanos},
          {"read_seconds", finite(s.read_seconds)},
          {"analyze_seconds", finite(s.analyze_seconds)}};
}

Result<AnalysisStats> stats_from_json(const json& j) {
  AnalysisStats s;
  Fields fields(j, "analysis stats");
  fields.count("records", s.records);
  fields.count("records_outbound", s.records_outbound);
  fields.count("records_behaviour", s.records_behaviour);
  fields.count("records_ignored", s.records_ignored);
  fields.count("servers", s.servers);
  fields.count("clients", s.clients);
  fields.count("pairs", s.pairs);
  fields.count("strings", s.strings);
  fields.count("behaviour_subjects", s.behaviour_subjects);
  fields.count("compactions", s.compactions);
  fields.count("evicted", s.evicted);
  fields.count("rejected", s.rejected);
  fields.count("out_of_order", s.out_of_order);
  fields.count("peak_memory_bytes", s.peak_memory_bytes);
  fields.time("first_record", s.first_record);
  fields.time("last_record", s.last_record);
  fields.number("read_seconds", s.read_seconds);
  fields.number("analyze_seconds", s.analyze_seconds);
  if (auto ok = fields.finish(); !ok) return fail(ok.error());
  return s;
}

}  // namespace mamori::analysis
