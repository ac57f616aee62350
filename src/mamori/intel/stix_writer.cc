// intel/stix_writer: a direct JSON emitter rather than nlohmann::json, for two reasons: STIX
// readers expect type/spec_version/id first (nlohmann::json sorts keys), and an export of 100k
// indicators should not build a DOM first. Every object is checked before it is written, so a
// bundle is either whole and schema-valid or not produced at all.

#include "mamori/intel/stix_writer.h"

#include <cstdint>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>

#include "mamori/core/utf8.h"

namespace mamori::intel::stix {
namespace {

constexpr std::int64_t kMaxSightingCount = 999'999'999;

using Problem = std::optional<std::string>;  // "<field>: <what is wrong>", or nothing

// ---- checks ----------------------------------------------------------------------------------

Problem check_ref(std::string_view field, std::string_view ref, std::string_view type = {}) {
  if (!is_valid_id(ref, type)) {
    return type.empty() ? fmt::format("{}: not a STIX id", field)
                        : fmt::format("{}: not a {} id", field, type);
  }
  return std::nullopt;
}

Problem check_refs(std::string_view field, const std::vector<std::string>& refs,
                   std::string_view type = {}) {
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (auto problem = check_ref(fmt::format("{}/{}", field, i), refs[i], type)) return problem;
  }
  return std::nullopt;
}

Problem check_required(std::string_view field, std::string_view value) {
  if (value.empty()) return fmt::format("{}: required", field);
  return std::nullopt;
}

Problem check_phases(const std::vector<KillChainPhase>& phases) {
  for (std::size_t i = 0; i < phases.size(); ++i) {
    if (phases[i].kill_chain_name.empty() || phases[i].phase_name.empty()) {
      return fmt::format("kill_chain_phases/{}: kill_chain_name and phase_name required", i);
    }
  }
  return std::nullopt;
}

Problem check_common(const Common& common, std::string_view type) {
  if (auto p = check_ref("id", common.id, type)) return p;
  if (common.modified < common.created) return "modified: earlier than created";
  if (!common.created_by_ref.empty()) {
    if (auto p = check_ref("created_by_ref", common.created_by_ref, "identity")) return p;
  }
  if (auto p = check_refs("object_marking_refs", common.object_marking_refs, "marking-definition"))
    return p;
  if (common.confidence && (*common.confidence < 0 || *common.confidence > 100)) {
    return "confidence: outside 0..100";
  }
  for (std::size_t i = 0; i < common.external_references.size(); ++i) {
    const ExternalReference& r = common.external_references[i];
    if (r.source_name.empty()) {
      return fmt::format("external_references/{}/source_name: required", i);
    }
    if (r.external_id.empty() && r.url.empty() && r.description.empty()) {
      return fmt::format("external_references/{}: needs external_id, url or description", i);
    }
  }
  return std::nullopt;
}

Problem check_seen(std::string_view first_field, const std::optional<Timestamp>& first,
                   std::string_view last_field, const std::optional<Timestamp>& last) {
  if (first && last && *last < *first) {
    return fmt::format("{}: earlier than {}", last_field, first_field);
  }
  return std::nullopt;
}

Problem check(const Indicator& o) {
  if (auto p = check_required("pattern", o.pattern)) return p;
  if (auto p = check_required("pattern_type", o.pattern_type)) return p;
  if (o.valid_until && *o.valid_until <= o.valid_from) {
    return "valid_until: not later than valid_from";
  }
  return check_phases(o.kill_chain_phases);
}
Problem check(const Infrastructure& o) {
  if (auto p = check_required("name", o.name)) return p;
  if (auto p = check_seen("first_seen", o.first_seen, "last_seen", o.last_seen)) return p;
  return check_phases(o.kill_chain_phases);
}
Problem check(const Malware& o) {
  if (o.is_family) {
    if (auto p = check_required("name", o.name)) return p;
  }
  return check_phases(o.kill_chain_phases);
}
Problem check(const AttackPattern& o) {
  if (auto p = check_required("name", o.name)) return p;
  return check_phases(o.kill_chain_phases);
}
Problem check(const Vulnerability& o) { return check_required("name", o.name); }
Problem check(const Sighting& o) {
  if (auto p = check_ref("sighting_of_ref", o.sighting_of_ref)) return p;
  if (auto p = check_refs("where_sighted_refs", o.where_sighted_refs)) return p;
  for (std::size_t i = 0; i < o.where_sighted_refs.size(); ++i) {
    const std::string_view type = id_type(o.where_sighted_refs[i]);
    if (type != "identity" && type != "location") {
      return fmt::format("where_sighted_refs/{}: not an identity or location id", i);
    }
  }
  if (o.count && (*o.count < 0 || *o.count > kMaxSightingCount)) {
    return "count: outside 0..999999999";
  }
  return check_seen("first_seen", o.first_seen, "last_seen", o.last_seen);
}
Problem check(const Identity& o) { return check_required("name", o.name); }
Problem check(const Relationship& o) {
  if (auto p = check_required("relationship_type", o.relationship_type)) return p;
  if (auto p = check_ref("source_ref", o.source_ref)) return p;
  if (auto p = check_ref("target_ref", o.target_ref)) return p;
  return check_seen("start_time", o.start_time, "stop_time", o.stop_time);
}
Problem check(const Report& o) {
  if (auto p = check_required("name", o.name)) return p;
  if (o.object_refs.empty()) return "object_refs: required (at least one)";
  return check_refs("object_refs", o.object_refs);
}
Problem check(const Note& o) {
  if (auto p = check_required("content", o.content)) return p;
  if (o.object_refs.empty()) return "object_refs: required (at least one)";
  return check_refs("object_refs", o.object_refs);
}

Problem check_object(const StixObject& object) {
  return std::visit(
      [&](const auto& o) -> Problem {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, MarkingDefinition>) {
          if (auto p = check_ref("id", o.id, "marking-definition")) return p;
          if (!o.created_by_ref.empty()) {
            if (auto p = check_ref("created_by_ref", o.created_by_ref, "identity")) return p;
          }
          if (o.tlp) {
            if (o.id != tlp_marking_id(*o.tlp)) return "id: not the TLP 2.0 id of its tlp";
            return std::nullopt;
          }
          return check_required("statement", o.statement);
        } else {
          if (auto p = check_common(o.common, type_name(object))) return p;
          return check(o);
        }
      },
      object);
}

// ---- emitting --------------------------------------------------------------------------------

// Writes one JSON object's members into `out`. Nested objects use their own Emitter on the same
// string. The first string that is not valid UTF-8 is remembered in `bad_field`.
class Emitter {
 public:
  Emitter(std::string& out, std::string& bad_field) : out_(out), bad_field_(bad_field) {
    out_ += '{';
  }
  Emitter(const Emitter&) = delete;
  Emitter& operator=(const Emitter&) = delete;
  ~Emitter() { out_ += '}'; }

  void key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += name;  // keys are ours: plain ASCII, nothing to escape
    out_ += "\":";
  }
  void string(std::string_view name, std::string_view value) {
    key(name);
    quote(name, value);
  }
  void optional_string(std::string_view name, std::string_view value) {
    if (!value.empty()) string(name, value);
  }
  void strings(std::string_view name, const std::vector<std::string>& values) {
    if (values.empty()) return;
    key(name);
    out_ += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_ += ',';
      quote(name, values[i]);
    }
    out_ += ']';
  }
  void timestamp(std::string_view name, Timestamp t) {
    key(name);
    out_ += '"';
    out_ += format_timestamp(t);
    out_ += '"';
  }
  void optional_timestamp(std::string_view name, const std::optional<Timestamp>& t) {
    if (t) timestamp(name, *t);
  }
  void boolean(std::string_view name, bool value) {
    key(name);
    out_ += value ? "true" : "false";
  }
  void integer(std::string_view name, std::int64_t value) {
    key(name);
    fmt::format_to(std::back_inserter(out_), "{}", value);
  }
  std::string& out() { return out_; }
  std::string& bad_field() { return bad_field_; }

  void quote(std::string_view name, std::string_view value) {
    if (bad_field_.empty() && !is_valid_utf8(value)) bad_field_ = std::string(name);
    out_ += '"';
    for (const char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (byte >= 0x20) {
        out_ += c;
      } else if (c == '\n') {
        out_ += "\\n";
      } else if (c == '\r') {
        out_ += "\\r";
      } else if (c == '\t') {
        out_ += "\\t";
      } else {
        fmt::format_to(std::back_inserter(out_), "\\u{:04x}", byte);
      }
    }
    out_ += '"';
  }

 private:
  std::string& out_;
  std::string& bad_field_;
  bool first_ = true;
};

void emit_phases(Emitter& e, const std::vector<KillChainPhase>& phases) {
  if (phases.empty()) return;
  e.key("kill_chain_phases");
  e.out() += '[';
  for (std::size_t i = 0; i < phases.size(); ++i) {
    if (i > 0) e.out() += ',';
    Emitter phase(e.out(), e.bad_field());
    phase.string("kill_chain_name", phases[i].kill_chain_name);
    phase.string("phase_name", phases[i].phase_name);
  }
  e.out() += ']';
}

void emit_common_head(Emitter& e, std::string_view type, const Common& c) {
  e.string("type", type);
  e.string("spec_version", "2.1");
  e.string("id", c.id);
  e.optional_string("created_by_ref", c.created_by_ref);
  e.timestamp("created", c.created);
  e.timestamp("modified", c.modified);
}

void emit_common_tail(Emitter& e, const Common& c) {
  if (c.revoked) e.boolean("revoked", true);
  e.strings("labels", c.labels);
  if (c.confidence) e.integer("confidence", *c.confidence);
  if (!c.external_references.empty()) {
    e.key("external_references");
    e.out() += '[';
    for (std::size_t i = 0; i < c.external_references.size(); ++i) {
      if (i > 0) e.out() += ',';
      const ExternalReference& r = c.external_references[i];
      Emitter reference(e.out(), e.bad_field());
      reference.string("source_name", r.source_name);
      reference.optional_string("description", r.description);
      reference.optional_string("url", r.url);
      reference.optional_string("external_id", r.external_id);
    }
    e.out() += ']';
  }
  e.strings("object_marking_refs", c.object_marking_refs);
}

void emit_body(Emitter& e, const Indicator& o) {
  e.optional_string("name", o.name);
  e.optional_string("description", o.description);
  e.strings("indicator_types", o.indicator_types);
  e.string("pattern", o.pattern);
  e.string("pattern_type", o.pattern_type);
  e.timestamp("valid_from", o.valid_from);
  e.optional_timestamp("valid_until", o.valid_until);
  emit_phases(e, o.kill_chain_phases);
}
void emit_body(Emitter& e, const Infrastructure& o) {
  e.string("name", o.name);
  e.optional_string("description", o.description);
  e.strings("infrastructure_types", o.infrastructure_types);
  emit_phases(e, o.kill_chain_phases);
  e.optional_timestamp("first_seen", o.first_seen);
  e.optional_timestamp("last_seen", o.last_seen);
}
void emit_body(Emitter& e, const Malware& o) {
  e.optional_string("name", o.name);
  e.optional_string("description", o.description);
  e.strings("malware_types", o.malware_types);
  e.boolean("is_family", o.is_family);
  e.strings("aliases", o.aliases);
  emit_phases(e, o.kill_chain_phases);
}
void emit_body(Emitter& e, const AttackPattern& o) {
  e.string("name", o.name);
  e.optional_string("description", o.description);
  e.strings("aliases", o.aliases);
  emit_phases(e, o.kill_chain_phases);
}
void emit_body(Emitter& e, const Vulnerability& o) {
  e.string("name", o.name);
  e.optional_string("description", o.description);
}
void emit_body(Emitter& e, const Sighting& o) {
  e.optional_string("description", o.description);
  e.optional_timestamp("first_seen", o.first_seen);
  e.optional_timestamp("last_seen", o.last_seen);
  if (o.count) e.integer("count", *o.count);
  e.string("sighting_of_ref", o.sighting_of_ref);
  e.strings("where_sighted_refs", o.where_sighted_refs);
  if (o.summary) e.boolean("summary", true);
}
void emit_body(Emitter& e, const Identity& o) {
  e.string("name", o.name);
  e.optional_string("description", o.description);
  e.strings("roles", o.roles);
  e.optional_string("identity_class", o.identity_class);
  e.strings("sectors", o.sectors);
  e.optional_string("contact_information", o.contact_information);
}
void emit_body(Emitter& e, const Relationship& o) {
  e.string("relationship_type", o.relationship_type);
  e.optional_string("description", o.description);
  e.string("source_ref", o.source_ref);
  e.string("target_ref", o.target_ref);
  e.optional_timestamp("start_time", o.start_time);
  e.optional_timestamp("stop_time", o.stop_time);
}
void emit_body(Emitter& e, const Report& o) {
  e.string("name", o.name);
  e.optional_string("description", o.description);
  e.strings("report_types", o.report_types);
  e.timestamp("published", o.published);
  e.strings("object_refs", o.object_refs);
}
void emit_body(Emitter& e, const Note& o) {
  e.optional_string("abstract", o.abstract);
  e.string("content", o.content);
  e.strings("authors", o.authors);
  e.strings("object_refs", o.object_refs);
}

void emit_marking(Emitter& e, const MarkingDefinition& o) {
  e.string("type", "marking-definition");
  e.string("spec_version", "2.1");
  e.string("id", o.id);
  e.optional_string("created_by_ref", o.created_by_ref);
  e.timestamp("created", o.created);
  e.optional_string("name", o.name);
  if (o.tlp) {
    // Exactly as OASIS publishes it (data/tlp2-markings.json).
    e.key("extensions");
    Emitter extensions(e.out(), e.bad_field());
    extensions.key(kTlpExtensionId);
    Emitter tlp(e.out(), e.bad_field());
    tlp.string("extension_type", "property-extension");
    tlp.string("tlp_2_0", tlp_value(*o.tlp));
  } else {
    e.string("definition_type", "statement");
    e.key("definition");
    Emitter definition(e.out(), e.bad_field());
    definition.string("statement", o.statement);
  }
}

std::string describe(std::size_t index, const StixObject& object) {
  const std::string& id = object_id(object);
  return fmt::format("object {} ({})", index, is_valid_id(id) ? id : std::string("no valid id"));
}

Result<void> write_one(std::string& out, const StixObject& object, std::size_t index) {
  if (auto problem = check_object(object)) {
    return fail("{}: {}", describe(index, object), *problem);
  }
  std::string bad_field;
  const std::size_t start = out.size();
  {
    Emitter e(out, bad_field);
    std::visit(
        [&](const auto& o) {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, MarkingDefinition>) {
            emit_marking(e, o);
          } else {
            emit_common_head(e, type_name(object), o.common);
            emit_body(e, o);
            emit_common_tail(e, o.common);
          }
        },
        object);
  }
  if (!bad_field.empty()) {
    out.resize(start);
    return fail("{}: {}: not valid UTF-8", describe(index, object), bad_field);
  }
  return {};
}

}  // namespace

Result<std::string> write_object(const StixObject& object) {
  std::string out;
  if (auto written = write_one(out, object, 0); !written) return fail(std::move(written.error()));
  return out;
}

Result<std::string> write_bundle(std::span<const StixObject> objects,
                                 const BundleOptions& options) {
  std::string bundle_id = options.bundle_id;
  if (bundle_id.empty()) bundle_id = new_id("bundle", options.random);
  if (!is_valid_id(bundle_id, "bundle")) return fail("bundle id: not a bundle id");

  std::vector<MarkingDefinition> markings;
  if (options.include_tlp_definitions) {
    std::set<std::string_view> present;
    std::set<Tlp> wanted;
    for (const auto& object : objects) {
      if (const auto* marking = std::get_if<MarkingDefinition>(&object)) {
        present.insert(marking->id);
        continue;
      }
      std::visit(
          [&](const auto& o) {
            if constexpr (!std::is_same_v<std::decay_t<decltype(o)>, MarkingDefinition>) {
              for (const auto& ref : o.common.object_marking_refs) {
                const auto tlp = tlp_from_marking_id(ref);
                // A legacy TLP 1.0 id is not the TLP 2.0 definition: leave it to the caller.
                if (tlp && ref == tlp_marking_id(*tlp)) wanted.insert(*tlp);
              }
            }
          },
          object);
    }
    for (Tlp tlp : wanted) {
      if (!present.contains(tlp_marking_id(tlp))) markings.push_back(tlp_marking(tlp));
    }
  }
  if (objects.empty() && markings.empty()) return fail("bundle: no objects");

  std::string out;
  out.reserve(64 + objects.size() * 512);
  out += R"({"type":"bundle","id":")";
  out += bundle_id;
  out += R"(","objects":[)";
  bool first = true;
  for (const auto& marking : markings) {
    if (!first) out += ',';
    first = false;
    if (auto written = write_one(out, marking, 0); !written)
      return fail(std::move(written.error()));
  }
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (!first) out += ',';
    first = false;
    if (auto written = write_one(out, objects[i], i); !written) {
      return fail(std::move(written.error()));
    }
  }
  out += "]}";
  return out;
}

}  // namespace mamori::intel::stix
