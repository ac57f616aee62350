#include "mamori/registry/storage_json.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mamori/core/time.h"

namespace mamori::registry {
namespace {

using nlohmann::json;

// Reads one closed object, collecting every problem as "what.field: reason". Missing fields
// are errors too: the stored form is written by this file, so a gap means damage.
class Reader {
 public:
  Reader(const json& value, std::string what, std::vector<std::string>& errors)
      : value_(value), what_(std::move(what)), errors_(errors) {
    if (!value_.is_object()) error("", "must be an object");
  }

  void error(std::string_view field, std::string_view reason) {
    errors_.push_back(field.empty() ? fmt::format("{}: {}", what_, reason)
                                    : fmt::format("{}.{}: {}", what_, field, reason));
  }

  const json* get(const char* key) {
    seen_.insert(key);
    if (!value_.is_object()) return nullptr;
    auto it = value_.find(key);
    if (it == value_.end()) {
      error(key, "is missing");
      return nullptr;
    }
    return &*it;
  }

  std::string text(const char* key) {
    const json* v = get(key);
    if (v == nullptr) return {};
    if (!v->is_string()) {
      error(key, "must be a string");
      return {};
    }
    return v->get<std::string>();
  }

  bool boolean(const char* key) {
    const json* v = get(key);
    if (v == nullptr) return false;
    if (!v->is_boolean()) error(key, "must be true or false");
    return v->is_boolean() && v->get<bool>();
  }

  std::optional<bool> maybe_boolean(const char* key) {
    const json* v = get(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_boolean()) {
      error(key, "must be true, false or null");
      return std::nullopt;
    }
    return v->get<bool>();
  }

  std::uint64_t number(const char* key) {
    const json* v = get(key);
    if (v == nullptr) return 0;
    if (!v->is_number_unsigned()) {
      error(key, "must be a non-negative integer");
      return 0;
    }
    return v->get<std::uint64_t>();
  }

  const json* array(const char* key) {
    const json* v = get(key);
    if (v != nullptr && !v->is_array()) {
      error(key, "must be an array");
      return nullptr;
    }
    return v;
  }

  std::vector<std::string> texts(const char* key) {
    std::vector<std::string> out;
    const json* v = array(key);
    if (v == nullptr) return out;
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) {
        error(fmt::format("{}[{}]", key, i), "must be a string");
        continue;
      }
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }

  // Names every field the reader did not ask for.
  void reject_unknown() {
    if (!value_.is_object()) return;
    for (auto it = value_.begin(); it != value_.end(); ++it) {
      if (!seen_.contains(it.key())) error(it.key(), "unknown field");
    }
  }

  const std::string& what() const { return what_; }

 private:
  const json& value_;
  std::string what_;
  std::vector<std::string>& errors_;
  std::set<std::string, std::less<>> seen_;
};

Result<void> collected(const std::vector<std::string>& errors) {
  if (errors.empty()) return {};
  std::string joined;
  for (const std::string& e : errors) {
    if (!joined.empty()) joined += "; ";
    joined += e;
  }
  return fail("{}", joined);
}

Result<ManagedBy> parse_managed_by(std::string_view text) {
  if (text == to_string(ManagedBy::operator_)) return ManagedBy::operator_;
  if (text == to_string(ManagedBy::contractor)) return ManagedBy::contractor;
  return fail("unknown managing party");
}

Result<VulnerabilitySource> parse_source(std::string_view text) {
  if (text == to_string(VulnerabilitySource::kev)) return VulnerabilitySource::kev;
  if (text == to_string(VulnerabilitySource::government)) return VulnerabilitySource::government;
  return fail("unknown source");
}

json optional_bool(std::optional<bool> value) { return value ? json(*value) : json(nullptr); }

}  // namespace

json organisation_to_json(const Organisation& organisation) {
  json kinds = json::array();
  for (OrganisationKind kind : organisation.kinds) kinds.push_back(to_string(kind));
  json contacts = json::array();
  for (const Contact& c : organisation.contacts) {
    contacts.push_back(
        {{"name", c.name}, {"email", c.email}, {"phone", c.phone}, {"role", c.role}});
  }
  return {{"id", organisation.id},
          {"name", organisation.name},
          {"name_en", organisation.name_en},
          {"kinds", std::move(kinds)},
          {"ci_sectors", organisation.ci_sectors},
          {"key_infrastructure", organisation.key_infrastructure},
          {"contacts", std::move(contacts)},
          {"operator_users", organisation.operator_users}};
}

Result<Organisation> organisation_from_json(const json& value) {
  std::vector<std::string> errors;
  Reader r(value, "organisation", errors);
  Organisation o;
  o.id = r.text("id");
  o.name = r.text("name");
  o.name_en = r.text("name_en");
  const auto kinds = r.texts("kinds");
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    auto kind = parse_organisation_kind(kinds[i]);
    if (kind) {
      o.kinds.push_back(*kind);
    } else {
      r.error(fmt::format("kinds[{}]", i), "unknown organisation kind");
    }
  }
  o.ci_sectors = r.texts("ci_sectors");
  o.key_infrastructure = r.texts("key_infrastructure");
  if (const json* contacts = r.array("contacts")) {
    for (std::size_t i = 0; i < contacts->size(); ++i) {
      Reader c((*contacts)[i], fmt::format("organisation.contacts[{}]", i), errors);
      o.contacts.push_back({c.text("name"), c.text("email"), c.text("phone"), c.text("role")});
      c.reject_unknown();
    }
  }
  // Added after the first stored forms: absent means no members yet.
  if (value.is_object() && value.contains("operator_users")) {
    o.operator_users = r.texts("operator_users");
  }
  r.reject_unknown();
  if (auto ok = collected(errors); !ok) return fail(ok.error());
  return o;
}

json computer_to_json(const ImportantComputer& c) {
  return {{"id", c.id},
          {"organisation_id", c.organisation_id},
          {"category", to_string(c.category)},
          {"vendor", c.vendor},
          {"product", c.product},
          {"version", c.version},
          {"cpe", c.cpe},
          {"internet_facing", c.internet_facing},
          {"managed_by", to_string(c.managed_by)},
          {"contractor", c.contractor},
          {"note", c.note}};
}

Result<ImportantComputer> computer_from_json(const json& value) {
  std::vector<std::string> errors;
  Reader r(value, "computer", errors);
  ImportantComputer c;
  c.id = r.text("id");
  c.organisation_id = r.text("organisation_id");
  if (const std::string text = r.text("category"); !text.empty()) {
    auto category = parse_device_category(text);
    if (category) {
      c.category = *category;
    } else {
      r.error("category", "unknown device category");
    }
  }
  c.vendor = r.text("vendor");
  c.product = r.text("product");
  c.version = r.text("version");
  c.cpe = r.text("cpe");
  c.internet_facing = r.boolean("internet_facing");
  if (auto managed = parse_managed_by(r.text("managed_by")); managed) {
    c.managed_by = *managed;
  } else {
    r.error("managed_by", managed.error().message);
  }
  c.contractor = r.text("contractor");
  c.note = r.text("note");
  r.reject_unknown();
  if (auto ok = collected(errors); !ok) return fail(ok.error());
  return c;
}

json change_to_json(const ComputerChange& change) {
  json changed = json::array();
  for (const auto& [field, text] : change.changed) changed.push_back(json::array({field, text}));
  return {{"computer_id", change.computer_id},
          {"revision", change.revision},
          {"at", format_rfc3339_micros(change.at)},
          {"by", change.by},
          {"changed", std::move(changed)}};
}

Result<ComputerChange> change_from_json(const json& value) {
  std::vector<std::string> errors;
  Reader r(value, "change", errors);
  ComputerChange change;
  change.computer_id = r.text("computer_id");
  change.revision = r.number("revision");
  if (const std::string at = r.text("at"); !at.empty()) {
    auto parsed = parse_rfc3339(at);
    if (parsed) {
      change.at = *parsed;
    } else {
      r.error("at", "not an RFC 3339 time");
    }
  }
  change.by = r.text("by");
  if (const json* changed = r.array("changed")) {
    for (std::size_t i = 0; i < changed->size(); ++i) {
      const json& pair = (*changed)[i];
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
        r.error(fmt::format("changed[{}]", i), "must be [field, value] strings");
        continue;
      }
      change.changed.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  r.reject_unknown();
  if (auto ok = collected(errors); !ok) return fail(ok.error());
  return change;
}

json vulnerability_to_json(const Vulnerability& v) {
  json affected = json::array();
  for (const AffectedRange& a : v.affected) {
    affected.push_back({{"cpe", a.cpe},
                        {"vendor", a.vendor},
                        {"product", a.product},
                        {"from", a.from},
                        {"fixed_in", a.fixed_in}});
  }
  return {{"cve_id", v.cve_id},
          {"vendor", v.vendor},
          {"product", v.product},
          {"name", v.name},
          {"date_added", v.date_added},
          {"short_description", v.short_description},
          {"required_action", v.required_action},
          {"due_date", v.due_date},
          {"known_ransomware", optional_bool(v.known_ransomware)},
          {"notes", v.notes},
          {"cwes", v.cwes},
          {"source", to_string(v.source)},
          {"confidential", v.confidential},
          {"exploited_in_japan", v.exploited_in_japan},
          {"exploited_in_japan_basis", v.exploited_in_japan_basis},
          {"patch_available", optional_bool(v.patch_available)},
          {"affected", std::move(affected)}};
}

Result<Vulnerability> vulnerability_from_json(const json& value) {
  std::vector<std::string> errors;
  Reader r(value, "vulnerability", errors);
  Vulnerability v;
  v.cve_id = r.text("cve_id");
  v.vendor = r.text("vendor");
  v.product = r.text("product");
  v.name = r.text("name");
  v.date_added = r.text("date_added");
  v.short_description = r.text("short_description");
  v.required_action = r.text("required_action");
  v.due_date = r.text("due_date");
  v.known_ransomware = r.maybe_boolean("known_ransomware");
  v.notes = r.text("notes");
  v.cwes = r.texts("cwes");
  if (auto source = parse_source(r.text("source")); source) {
    v.source = *source;
  } else {
    r.error("source", source.error().message);
  }
  v.confidential = r.boolean("confidential");
  v.exploited_in_japan = r.boolean("exploited_in_japan");
  v.exploited_in_japan_basis = r.texts("exploited_in_japan_basis");
  v.patch_available = r.maybe_boolean("patch_available");
  if (const json* affected = r.array("affected")) {
    for (std::size_t i = 0; i < affected->size(); ++i) {
      Reader a((*affected)[i], fmt::format("vulnerability.affected[{}]", i), errors);
      v.affected.push_back(
          {a.text("cpe"), a.text("vendor"), a.text("product"), a.text("from"), a.text("fixed_in")});
      a.reject_unknown();
    }
  }
  r.reject_unknown();
  if (auto ok = collected(errors); !ok) return fail(ok.error());
  return v;
}

}  // namespace mamori::registry
