// intel/stix_reader: nlohmann::json parses the text (its lexer rejects ill-formed UTF-8 and its
// parser is not recursive); a FieldReader then takes each property with a type check and
// remembers the first problem with its JSON pointer, so one bad property rejects one object
// and the messages say exactly where.

#include "mamori/intel/stix_reader.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "mamori/core/utf8.h"

namespace mamori::intel::stix {
namespace {

using Json = nlohmann::json;

// STIX types the specification defines that mamori does not model; skipped with this note.
constexpr std::string_view kNotModelled = "object type not modelled by mamori; skipped";
constexpr std::string_view kObservable = "cyber-observable objects are not imported; skipped";
constexpr std::array<std::string_view, 18> kObservableTypes = {"artifact",
                                                               "autonomous-system",
                                                               "directory",
                                                               "domain-name",
                                                               "email-addr",
                                                               "email-message",
                                                               "file",
                                                               "ipv4-addr",
                                                               "ipv6-addr",
                                                               "mac-addr",
                                                               "mutex",
                                                               "network-traffic",
                                                               "process",
                                                               "software",
                                                               "url",
                                                               "user-account",
                                                               "windows-registry-key",
                                                               "x509-certificate"};

// A type name as STIX allows it ([a-z0-9-], 3..250 characters); others are not repeated.
bool is_type_name(std::string_view type) {
  if (type.size() < 3 || type.size() > 250) return false;
  for (char c : type) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// Reads the properties of one JSON object; the first problem wins and later reads are no-ops
// returning empty values.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string base) : object_(object), base_(std::move(base)) {}

  bool ok() const { return !problem_path_; }
  const std::string& problem_path() const { return *problem_path_; }
  const std::string& problem() const { return problem_; }

  void report(std::string path, std::string what) {
    if (problem_path_) return;
    problem_path_ = std::move(path);
    problem_ = std::move(what);
  }
  std::string path(std::string_view key) const { return fmt::format("{}/{}", base_, key); }

  // The member, or null when absent (or after a problem).
  const Json* member(std::string_view key) {
    if (!ok()) return nullptr;
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  std::string string(std::string_view key, bool required = false) {
    const Json* value = member(key);
    if (value == nullptr) {
      if (required) report(path(key), "required");
      return {};
    }
    if (!value->is_string()) {
      report(path(key), "expected a string");
      return {};
    }
    std::string text = value->get<std::string>();
    if (required && text.empty()) report(path(key), "must not be empty");
    return text;
  }

  std::vector<std::string> strings(std::string_view key, bool required = false) {
    std::vector<std::string> out;
    const Json* value = member(key);
    if (value == nullptr) {
      if (required) report(path(key), "required");
      return out;
    }
    if (!value->is_array()) {
      report(path(key), "expected an array of strings");
      return out;
    }
    if (required && value->empty()) report(path(key), "must not be empty");
    for (std::size_t i = 0; i < value->size() && ok(); ++i) {
      const Json& item = (*value)[i];
      if (!item.is_string()) {
        report(fmt::format("{}/{}", path(key), i), "expected a string");
        break;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  std::string ref(std::string_view key, bool required, std::string_view type = {}) {
    std::string id = string(key, required);
    if (ok() && !id.empty() && !is_valid_id(id, type)) {
      report(path(key), type.empty() ? "not a STIX id" : fmt::format("not a {} id", type));
    }
    return id;
  }

  std::vector<std::string> refs(std::string_view key, bool required, std::string_view type = {}) {
    std::vector<std::string> ids = strings(key, required);
    for (std::size_t i = 0; i < ids.size() && ok(); ++i) {
      if (!is_valid_id(ids[i], type)) {
        report(fmt::format("{}/{}", path(key), i),
               type.empty() ? "not a STIX id" : fmt::format("not a {} id", type));
      }
    }
    return ids;
  }

  std::optional<Timestamp> time(std::string_view key, bool required = false) {
    const Json* value = member(key);
    if (value == nullptr) {
      if (required) report(path(key), "required");
      return std::nullopt;
    }
    if (!value->is_string()) {
      report(path(key), "expected a timestamp string");
      return std::nullopt;
    }
    auto parsed = parse_timestamp(value->get_ref<const std::string&>());
    if (!parsed) {
      report(path(key), parsed.error().message);
      return std::nullopt;
    }
    return *parsed;
  }

  std::optional<bool> boolean(std::string_view key, bool required = false) {
    const Json* value = member(key);
    if (value == nullptr) {
      if (required) report(path(key), "required");
      return std::nullopt;
    }
    if (!value->is_boolean()) {
      report(path(key), "expected true or false");
      return std::nullopt;
    }
    return value->get<bool>();
  }

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) {
    const Json* value = member(key);
    if (value == nullptr) return std::nullopt;
    std::int64_t number = 0;
    if (value->is_number_integer()) {
      number = value->get<std::int64_t>();
      if (value->is_number_unsigned() &&
          value->get<std::uint64_t>() >
              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        number = max + (max < std::numeric_limits<std::int64_t>::max() ? 1 : 0);
      }
    } else {
      report(path(key), "expected an integer");
      return std::nullopt;
    }
    if (number < min || number > max) {
      report(path(key), fmt::format("outside {}..{}", min, max));
      return std::nullopt;
    }
    return number;
  }

  // The array of objects under `key`, each read by `read_one(FieldReader&)` with its own JSON
  // pointer; the first problem in any of them becomes this reader's and ends the array.
  template <class ReadOne>
  auto each_object(std::string_view key, ReadOne read_one) {
    std::vector<std::invoke_result_t<ReadOne&, FieldReader&>> out;
    const Json* value = member(key);
    if (value == nullptr) return out;
    if (!value->is_array()) {
      report(path(key), "expected an array");
      return out;
    }
    for (std::size_t i = 0; i < value->size() && ok(); ++i) {
      const Json& item = (*value)[i];
      const std::string base = fmt::format("{}/{}", path(key), i);
      if (!item.is_object()) {
        report(base, "expected an object");
        break;
      }
      FieldReader reader(item, base);
      auto one = read_one(reader);
      if (!reader.ok()) {
        report(reader.problem_path(), reader.problem());
        break;
      }
      out.push_back(std::move(one));
    }
    return out;
  }

  std::vector<KillChainPhase> phases() {
    return each_object("kill_chain_phases", [](FieldReader& phase) {
      return KillChainPhase{phase.string("kill_chain_name", true),
                            phase.string("phase_name", true)};
    });
  }

  std::vector<ExternalReference> external_references() {
    return each_object("external_references", [](FieldReader& reference) {
      ExternalReference r;
      r.source_name = reference.string("source_name", true);
      r.description = reference.string("description");
      r.url = reference.string("url");
      r.external_id = reference.string("external_id");
      return r;
    });
  }

 private:
  const Json& object_;
  std::string base_;
  std::optional<std::string> problem_path_;
  std::string problem_;
};

Common read_common(FieldReader& r, std::string_view type) {
  Common c;
  c.id = r.ref("id", true, type);
  c.created = r.time("created", true).value_or(Timestamp{});
  c.modified = r.time("modified", true).value_or(Timestamp{});
  if (r.ok() && c.modified < c.created) r.report(r.path("modified"), "earlier than created");
  c.created_by_ref = r.ref("created_by_ref", false, "identity");
  c.object_marking_refs = r.refs("object_marking_refs", false, "marking-definition");
  c.labels = r.strings("labels");
  c.external_references = r.external_references();
  if (auto confidence = r.integer("confidence", 0, 100))
    c.confidence = static_cast<int>(*confidence);
  c.revoked = r.boolean("revoked").value_or(false);
  return c;
}

Indicator read_indicator(FieldReader& r) {
  Indicator o;
  o.common = read_common(r, "indicator");
  o.name = r.string("name");
  o.description = r.string("description");
  o.indicator_types = r.strings("indicator_types");
  o.pattern = r.string("pattern", true);
  o.pattern_type = r.string("pattern_type", true);
  o.valid_from = r.time("valid_from", true).value_or(Timestamp{});
  o.valid_until = r.time("valid_until");
  if (r.ok() && o.valid_until && *o.valid_until <= o.valid_from) {
    r.report(r.path("valid_until"), "not later than valid_from");
  }
  o.kill_chain_phases = r.phases();
  return o;
}

Infrastructure read_infrastructure(FieldReader& r) {
  Infrastructure o;
  o.common = read_common(r, "infrastructure");
  o.name = r.string("name", true);
  o.description = r.string("description");
  o.infrastructure_types = r.strings("infrastructure_types");
  o.kill_chain_phases = r.phases();
  o.first_seen = r.time("first_seen");
  o.last_seen = r.time("last_seen");
  return o;
}

Malware read_malware(FieldReader& r) {
  Malware o;
  o.common = read_common(r, "malware");
  o.is_family = r.boolean("is_family", true).value_or(false);
  o.name = r.string("name", o.is_family);
  o.description = r.string("description");
  o.malware_types = r.strings("malware_types");
  o.aliases = r.strings("aliases");
  o.kill_chain_phases = r.phases();
  return o;
}

AttackPattern read_attack_pattern(FieldReader& r) {
  AttackPattern o;
  o.common = read_common(r, "attack-pattern");
  o.name = r.string("name", true);
  o.description = r.string("description");
  o.aliases = r.strings("aliases");
  o.kill_chain_phases = r.phases();
  return o;
}

Vulnerability read_vulnerability(FieldReader& r) {
  Vulnerability o;
  o.common = read_common(r, "vulnerability");
  o.name = r.string("name", true);
  o.description = r.string("description");
  return o;
}

Sighting read_sighting(FieldReader& r) {
  Sighting o;
  o.common = read_common(r, "sighting");
  o.sighting_of_ref = r.ref("sighting_of_ref", true);
  o.where_sighted_refs = r.refs("where_sighted_refs", false);
  o.first_seen = r.time("first_seen");
  o.last_seen = r.time("last_seen");
  o.count = r.integer("count", 0, 999'999'999);
  o.description = r.string("description");
  o.summary = r.boolean("summary").value_or(false);
  return o;
}

Identity read_identity(FieldReader& r) {
  Identity o;
  o.common = read_common(r, "identity");
  o.name = r.string("name", true);
  o.description = r.string("description");
  o.identity_class = r.string("identity_class");
  o.roles = r.strings("roles");
  o.sectors = r.strings("sectors");
  o.contact_information = r.string("contact_information");
  return o;
}

Relationship read_relationship(FieldReader& r) {
  Relationship o;
  o.common = read_common(r, "relationship");
  o.relationship_type = r.string("relationship_type", true);
  o.description = r.string("description");
  o.source_ref = r.ref("source_ref", true);
  o.target_ref = r.ref("target_ref", true);
  o.start_time = r.time("start_time");
  o.stop_time = r.time("stop_time");
  return o;
}

Report read_report(FieldReader& r) {
  Report o;
  o.common = read_common(r, "report");
  o.name = r.string("name", true);
  o.description = r.string("description");
  o.report_types = r.strings("report_types");
  o.published = r.time("published", true).value_or(Timestamp{});
  o.object_refs = r.refs("object_refs", true);
  return o;
}

Note read_note(FieldReader& r) {
  Note o;
  o.common = read_common(r, "note");
  o.abstract = r.string("abstract");
  o.content = r.string("content", true);
  o.authors = r.strings("authors");
  o.object_refs = r.refs("object_refs", true);
  return o;
}

// A TLP marking (2.0 or the legacy 1.0 ids) or a statement; nullopt for any other kind.
std::optional<MarkingDefinition> read_marking(FieldReader& r, const Json& object) {
  MarkingDefinition o;
  o.id = r.ref("id", true, "marking-definition");
  o.created = r.time("created", true).value_or(Timestamp{});
  o.created_by_ref = r.ref("created_by_ref", false, "identity");
  o.name = r.string("name");
  if (!r.ok()) return o;
  o.tlp = tlp_from_marking_id(o.id);
  if (o.tlp) return o;
  const std::string definition_type = r.string("definition_type");
  const auto definition = object.find("definition");
  if (definition_type == "statement" && definition != object.end() && definition->is_object()) {
    FieldReader d(*definition, r.path("definition"));
    o.statement = d.string("statement", true);
    if (!d.ok()) r.report(d.problem_path(), d.problem());
    return o;
  }
  return std::nullopt;
}

}  // namespace

std::string provider_label(std::string_view org) { return fmt::format("provider:{}", org); }

Result<ImportResult> read_bundle(std::string_view json, std::string_view provider_org) {
  if (provider_org.empty() || !is_valid_utf8(provider_org)) {
    return fail("STIX import: provider organisation must be non-empty UTF-8");
  }
  for (char c : provider_org) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail("STIX import: provider organisation has a control character");
    }
  }
  Json document;
  try {
    document = Json::parse(json);
  } catch (const Json::parse_error& e) {
    return fail("STIX import: not valid JSON (at byte {})", e.byte);
  } catch (const Json::exception&) {
    return fail("STIX import: not valid JSON");
  }
  if (!document.is_object()) return fail("STIX import: /: expected a bundle object");
  FieldReader bundle(document, "");
  const std::string type = bundle.string("type", true);
  if (bundle.ok() && type != "bundle") bundle.report("/type", "must be \"bundle\"");
  ImportResult result;
  result.bundle_id = bundle.ref("id", true, "bundle");
  if (!bundle.ok()) {
    return fail("STIX import: {}: {}", bundle.problem_path(), bundle.problem());
  }
  const auto objects = document.find("objects");
  if (objects == document.end()) return result;  // objects is optional in STIX 2.1 bundles
  if (!objects->is_array()) return fail("STIX import: /objects: expected an array");

  const std::string label = provider_label(provider_org);
  for (std::size_t i = 0; i < objects->size(); ++i) {
    const Json& object = (*objects)[i];
    const std::string base = fmt::format("/objects/{}", i);
    std::string id;
    if (object.is_object()) {
      const auto id_member = object.find("id");
      if (id_member != object.end() && id_member->is_string() &&
          is_valid_id(id_member->get_ref<const std::string&>())) {
        id = id_member->get<std::string>();
      }
    }
    auto reject = [&](const std::string& path, std::string_view what) {
      result.errors.push_back(
          {i, id, path, fmt::format("{} ({}): {}", path, id.empty() ? "no valid id" : id, what)});
    };
    if (!object.is_object()) {
      reject(base, "expected an object");
      continue;
    }
    FieldReader r(object, base);
    const std::string object_type = r.string("type", true);
    if (!r.ok()) {
      reject(r.problem_path(), r.problem());
      continue;
    }
    constexpr std::array<std::string_view, 11> kModelled = {
        "indicator", "infrastructure", "malware", "attack-pattern", "vulnerability",     "sighting",
        "identity",  "relationship",   "report",  "note",           "marking-definition"};
    if (std::find(kModelled.begin(), kModelled.end(), object_type) == kModelled.end()) {
      const bool observable = std::find(kObservableTypes.begin(), kObservableTypes.end(),
                                        object_type) != kObservableTypes.end();
      result.skipped.push_back({i, is_type_name(object_type) ? object_type : std::string(), id,
                                std::string(observable ? kObservable : kNotModelled)});
      continue;
    }
    const std::string spec_version = r.string("spec_version", true);
    if (r.ok() && spec_version != "2.1") r.report(r.path("spec_version"), "must be \"2.1\"");
    if (!r.ok()) {
      reject(r.problem_path(), r.problem());
      continue;
    }
    std::optional<StixObject> parsed;
    if (object_type == "indicator") {
      parsed = read_indicator(r);
    } else if (object_type == "infrastructure") {
      parsed = read_infrastructure(r);
    } else if (object_type == "malware") {
      parsed = read_malware(r);
    } else if (object_type == "attack-pattern") {
      parsed = read_attack_pattern(r);
    } else if (object_type == "vulnerability") {
      parsed = read_vulnerability(r);
    } else if (object_type == "sighting") {
      parsed = read_sighting(r);
    } else if (object_type == "identity") {
      parsed = read_identity(r);
    } else if (object_type == "relationship") {
      parsed = read_relationship(r);
    } else if (object_type == "report") {
      parsed = read_report(r);
    } else if (object_type == "note") {
      parsed = read_note(r);
    } else {  // marking-definition
      if (auto marking = read_marking(r, object)) {
        parsed = std::move(*marking);
      } else if (r.ok()) {
        result.skipped.push_back({i, object_type, id, "marking definition of an unknown kind"});
        continue;
      }
    }
    if (!r.ok() || !parsed) {
      reject(r.ok() ? base : r.problem_path(), r.ok() ? "unreadable object" : r.problem());
      continue;
    }
    std::visit(
        [&](auto& o) {
          if constexpr (std::is_same_v<std::decay_t<decltype(o)>, MarkingDefinition>) {
            o.provider = label;
          } else {
            o.common.provider = label;
          }
          if constexpr (std::is_same_v<std::decay_t<decltype(o)>, Indicator>) {
            if (o.pattern_type == "stix") {
              if (auto pattern = parse_pattern(o.pattern)) o.parsed_pattern = std::move(*pattern);
            }
            if (!o.parsed_pattern) ++result.opaque_patterns;
          }
        },
        *parsed);
    result.objects.push_back(std::move(*parsed));
  }
  return result;
}

}  // namespace mamori::intel::stix
