// intel/product: tier and kind names, validation of part values, and the JSON form of products.

#include "mamori/intel/product.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <utility>

#include "mamori/core/ip.h"
#include "mamori/core/utf8.h"
#include "mamori/governance/json_fields.h"

namespace mamori::intel {
namespace {

template <class Enum>
struct Named {
  Enum value;
  std::string_view name;
};

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<Named<Enum>, N>& table, Enum value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

template <class Enum, std::size_t N>
Result<Enum> parse_named(const std::array<Named<Enum>, N>& table, std::string_view text,
                         std::string_view what) {
  std::string known;
  for (const auto& entry : table) {
    if (entry.name == text) return entry.value;
    if (!known.empty()) known += ", ";
    known += entry.name;
  }
  return fail("unknown {} '{}' (known: {})", what, text, known);
}

constexpr std::array<Named<Tier>, 3> kTiers = {
    {{Tier::t1, "T1"}, {Tier::t2, "T2"}, {Tier::t3, "T3"}}};
constexpr std::array<Named<PartKind>, 6> kPartKinds = {{
    {PartKind::indicator, "indicator"},
    {PartKind::finding, "finding"},
    {PartKind::incident_summary, "incident_summary"},
    {PartKind::attack_technique, "attack_technique"},
    {PartKind::vulnerability, "vulnerability"},
    {PartKind::text, "text"},
}};
constexpr std::array<Named<IndicatorType>, 5> kIndicatorTypes = {{
    {IndicatorType::ip, "ip"},
    {IndicatorType::cidr, "cidr"},
    {IndicatorType::domain, "domain"},
    {IndicatorType::url, "url"},
    {IndicatorType::hash, "hash"},
}};
constexpr std::array<Named<Audience>, 2> kAudiences = {
    {{Audience::technical, "technical"}, {Audience::strategic, "strategic"}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// "T1071" or "T1071.001".
bool is_attack_technique(std::string_view id) {
  if (id.size() != 5 && id.size() != 9) return false;
  if (id[0] != 'T' || !all_digits(id.substr(1, 4))) return false;
  return id.size() == 5 || (id[5] == '.' && all_digits(id.substr(6, 3)));
}

// "CVE-2024-12345": four-digit year, at least four digits of sequence.
bool is_cve(std::string_view id) {
  if (!id.starts_with("CVE-") || id.size() < 13 || id[8] != '-') return false;
  return all_digits(id.substr(4, 4)) && all_digits(id.substr(9));
}

bool is_domain(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.find('.') == std::string_view::npos) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63) return false;
      label = 0;
      continue;
    }
    char c = name[i];
    bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
    if (!ok) return false;
    ++label;
  }
  return true;
}

bool is_url(std::string_view url) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return false;
  if (url.size() == scheme_end + 3) return false;
  return std::none_of(url.begin(), url.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

// MD5, SHA-1 or SHA-256 in hex.
bool is_hash(std::string_view hex) {
  if (hex.size() != 32 && hex.size() != 40 && hex.size() != 64) return false;
  return std::all_of(hex.begin(), hex.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::optional<std::string_view> indicator_problem(IndicatorType type, std::string_view value) {
  switch (type) {
    case IndicatorType::ip:
      if (!IpAddress::parse(value)) return "is not an IP address";
      return std::nullopt;
    case IndicatorType::cidr:
      if (value.find('/') == std::string_view::npos || !Prefix::parse(value)) {
        return "is not an address prefix (a.b.c.d/n or x::/n)";
      }
      return std::nullopt;
    case IndicatorType::domain:
      if (!is_domain(value)) return "is not a domain name";
      return std::nullopt;
    case IndicatorType::url:
      if (!is_url(value)) return "is not a URL (scheme://…, no spaces)";
      return std::nullopt;
    case IndicatorType::hash:
      if (!is_hash(value)) return "is not an MD5, SHA-1 or SHA-256 hex digest";
      return std::nullopt;
  }
  return "has an unknown indicator type";
}

std::optional<std::string_view> value_problem(const Part& part) {
  if (part.value.empty()) return "is empty";
  if (!is_valid_utf8(part.value)) return "is not valid UTF-8";
  switch (part.kind) {
    case PartKind::indicator:
      return indicator_problem(part.indicator_type, part.value);
    case PartKind::attack_technique:
      if (!is_attack_technique(part.value)) return "is not an ATT&CK technique id (T1234[.001])";
      return std::nullopt;
    case PartKind::vulnerability:
      if (!is_cve(part.value)) return "is not a CVE id (CVE-YYYY-NNNN)";
      return std::nullopt;
    case PartKind::finding:
    case PartKind::incident_summary:
    case PartKind::text:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string part_name(const Part& part) {
  if (part.kind == PartKind::indicator) {
    return fmt::format("part '{}' (indicator {})", part.id, to_string(part.indicator_type));
  }
  return fmt::format("part '{}' ({})", part.id, to_string(part.kind));
}

std::optional<Timestamp> optional_time(governance::detail::JsonFields& fields,
                                       std::string_view key) {
  std::optional<std::string> text = fields.nullable_string(key);
  if (!text) return std::nullopt;
  auto parsed = parse_rfc3339(*text);
  if (!parsed) {
    fields.error(key, "is not an RFC 3339 time");
    return std::nullopt;
  }
  return *parsed;
}

bool optional_bool(governance::detail::JsonFields& fields, std::string_view key) {
  const nlohmann::json* member = fields.member(key, false);
  if (member == nullptr) return false;
  if (!member->is_boolean()) {
    fields.error(key, "must be true or false");
    return false;
  }
  return member->get<bool>();
}

Result<Part> part_from_json(const nlohmann::json& json, const std::string& where) {
  governance::detail::JsonFields fields(json, where);
  Part part;
  part.id = fields.string("id");
  std::string kind = fields.string("kind");
  std::string indicator_type = fields.string("indicator_type", false);
  part.value = fields.string("value");
  const nlohmann::json* labels = fields.member("labels");
  part.essential = optional_bool(fields, "essential");
  part.generalisable = optional_bool(fields, "generalisable");
  part.vendor = fields.string("vendor", false);
  part.embargo_until = optional_time(fields, "embargo_until");
  fields.reject_unknown();
  if (auto ok = fields.result(); !ok) return fail(ok.error());
  auto parsed_kind = parse_part_kind(kind);
  if (!parsed_kind) return fail("{}.kind: {}", where, parsed_kind.error().message);
  part.kind = *parsed_kind;
  if (part.kind == PartKind::indicator) {
    auto type = parse_indicator_type(indicator_type);
    if (!type) return fail("{}.indicator_type: {}", where, type.error().message);
    part.indicator_type = *type;
  }
  auto parsed_labels = labels_from_json(*labels, where + ".labels");
  if (!parsed_labels) return fail(parsed_labels.error());
  part.labels = std::move(*parsed_labels);
  return part;
}

Result<AudienceNote> note_from_json(const nlohmann::json& json, const std::string& where) {
  governance::detail::JsonFields fields(json, where);
  AudienceNote note;
  std::string audience = fields.string("audience");
  note.language = fields.string("language");
  note.text = fields.string("text");
  const nlohmann::json* labels = fields.member("labels");
  fields.reject_unknown();
  if (auto ok = fields.result(); !ok) return fail(ok.error());
  auto parsed_audience = parse_audience(audience);
  if (!parsed_audience) return fail("{}.audience: {}", where, parsed_audience.error().message);
  note.audience = *parsed_audience;
  auto parsed_labels = labels_from_json(*labels, where + ".labels");
  if (!parsed_labels) return fail(parsed_labels.error());
  note.labels = std::move(*parsed_labels);
  return note;
}

}  // namespace

std::string_view to_string(Tier tier) { return name_of(kTiers, tier); }

std::string_view japanese_name(Tier tier) {
  switch (tier) {
    case Tier::t1:
      return "総合整理分析情報";
    case Tier::t2:
      return "提供用総合整理分析情報";
    case Tier::t3:
      return "周知等用総合整理分析情報";
  }
  return "?";
}

Result<Tier> parse_tier(std::string_view text) { return parse_named(kTiers, text, "tier"); }
std::string_view to_string(PartKind kind) { return name_of(kPartKinds, kind); }
Result<PartKind> parse_part_kind(std::string_view text) {
  return parse_named(kPartKinds, text, "part kind");
}
std::string_view to_string(IndicatorType type) { return name_of(kIndicatorTypes, type); }
Result<IndicatorType> parse_indicator_type(std::string_view text) {
  return parse_named(kIndicatorTypes, text, "indicator type");
}
std::string_view to_string(Audience audience) { return name_of(kAudiences, audience); }
Result<Audience> parse_audience(std::string_view text) {
  return parse_named(kAudiences, text, "audience");
}

const Part* Product::find_part(std::string_view part_id) const {
  for (const Part& part : parts) {
    if (part.id == part_id) return &part;
  }
  return nullptr;
}

std::string describe(const Product& product) {
  if (product.version == 0) return fmt::format("product '{}'", product.id);
  return fmt::format("product '{}' v{}", product.id, product.version);
}

Result<void> validate_product(const Product& product) {
  if (product.id.empty()) return fail("a product needs an id");
  if (!is_valid_organisation_id(product.id)) {
    return fail("product id '{}' is not an id (1..64 of [a-z0-9._-])", product.id);
  }
  std::string name = describe(product);
  if (product.title.empty()) return fail("{} needs a title", name);
  if (product.parts.empty()) return fail("{} has no parts", name);
  std::set<std::string_view> ids;
  for (const Part& part : product.parts) {
    if (part.id.empty()) return fail("{}: a part has no id", name);
    if (!ids.insert(part.id).second) return fail("{}: part id '{}' is used twice", name, part.id);
    if (auto problem = value_problem(part)) {
      return fail("{}: {}: the value {}", name, part_name(part), *problem);
    }
    if (part.embargo_until && part.kind != PartKind::vulnerability) {
      return fail("{}: {}: only vulnerabilities have an embargo", name, part_name(part));
    }
    if (part.embargo_until && !part.labels.secret) {
      return fail("{}: {}: a pre-disclosure vulnerability under embargo must be labelled secret",
                  name, part_name(part));
    }
    if (!part.vendor.empty() && !is_valid_organisation_id(part.vendor)) {
      return fail("{}: {}: vendor is not an organisation id", name, part_name(part));
    }
  }
  for (std::size_t i = 0; i < product.notes.size(); ++i) {
    const AudienceNote& note = product.notes[i];
    if (note.language != "en" && note.language != "ja") {
      return fail("{}: note {} ({}): language must be 'en' or 'ja'", name, i + 1,
                  to_string(note.audience));
    }
    if (note.text.empty() || !is_valid_utf8(note.text)) {
      return fail("{}: note {} ({}, {}): text is empty or not valid UTF-8", name, i + 1,
                  to_string(note.audience), note.language);
    }
  }
  if (product.tier == Tier::t1) {
    for (Audience audience : {Audience::technical, Audience::strategic}) {
      for (std::string_view language : {"en", "ja"}) {
        bool present = std::any_of(product.notes.begin(), product.notes.end(), [&](const auto& n) {
          return n.audience == audience && n.language == language;
        });
        if (!present) {
          return fail(
              "{} needs a {} note in '{}' (T1 products have technical and strategic "
              "notes in English and Japanese)",
              name, to_string(audience), language);
        }
      }
    }
  }
  return {};
}

nlohmann::json part_to_json(const Part& part) {
  nlohmann::json json = {{"id", part.id},
                         {"kind", to_string(part.kind)},
                         {"value", part.value},
                         {"labels", labels_to_json(part.labels)},
                         {"essential", part.essential},
                         {"generalisable", part.generalisable}};
  if (part.kind == PartKind::indicator) json["indicator_type"] = to_string(part.indicator_type);
  if (!part.vendor.empty()) json["vendor"] = part.vendor;
  if (part.embargo_until) json["embargo_until"] = format_rfc3339_micros(*part.embargo_until);
  return json;
}

nlohmann::json product_to_json(const Product& product) {
  nlohmann::json parts = nlohmann::json::array();
  for (const Part& part : product.parts) parts.push_back(part_to_json(part));
  nlohmann::json notes = nlohmann::json::array();
  for (const AudienceNote& note : product.notes) {
    notes.push_back({{"audience", to_string(note.audience)},
                     {"language", note.language},
                     {"text", note.text},
                     {"labels", labels_to_json(note.labels)}});
  }
  return {{"id", product.id},
          {"version", product.version},
          {"tier", to_string(product.tier)},
          {"title", product.title},
          {"author", product.author},
          {"created_at", format_rfc3339_micros(product.created_at)},
          {"parts", std::move(parts)},
          {"notes", std::move(notes)}};
}

Result<Product> product_from_json(const nlohmann::json& json) {
  governance::detail::JsonFields fields(json, "product");
  Product product;
  product.id = fields.string("id");
  std::uint64_t version = fields.unsigned_integer("version");
  std::string tier = fields.string("tier");
  product.title = fields.string("title");
  product.author = fields.string("author", false);
  product.created_at = fields.time("created_at");
  const nlohmann::json* parts = fields.member("parts");
  const nlohmann::json* notes = fields.member("notes", false);
  fields.reject_unknown();
  if (auto ok = fields.result(); !ok) return fail(ok.error());
  if (version > UINT32_MAX) return fail("product.version: too large");
  product.version = static_cast<std::uint32_t>(version);
  auto parsed_tier = parse_tier(tier);
  if (!parsed_tier) return fail("product.tier: {}", parsed_tier.error().message);
  product.tier = *parsed_tier;
  if (!parts->is_array()) return fail("product.parts: must be an array");
  for (std::size_t i = 0; i < parts->size(); ++i) {
    auto part = part_from_json((*parts)[i], fmt::format("product.parts[{}]", i));
    if (!part) return fail(part.error());
    product.parts.push_back(std::move(*part));
  }
  if (notes != nullptr) {
    if (!notes->is_array()) return fail("product.notes: must be an array");
    for (std::size_t i = 0; i < notes->size(); ++i) {
      auto note = note_from_json((*notes)[i], fmt::format("product.notes[{}]", i));
      if (!note) return fail(note.error());
      product.notes.push_back(std::move(*note));
    }
  }
  if (auto ok = validate_product(product); !ok) return fail(ok.error());
  return product;
}

}  // namespace mamori::intel
