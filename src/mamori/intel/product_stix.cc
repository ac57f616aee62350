// intel/product_stix: products to STIX 2.1 objects and bundles, and imported STIX indicators
// to a product of provider-labelled parts. See product_stix.h for the mapping.

#include "mamori/intel/product_stix.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <set>
#include <span>

#include <fmt/format.h>

#include "mamori/core/ip.h"
#include "mamori/intel/sanitizer.h"
#include "mamori/intel/stix_pattern.h"
#include "mamori/intel/stix_writer.h"

namespace mamori::intel {
namespace {

using stix::ObservableProperty;

int tier_number(Tier tier) {
  switch (tier) {
    case Tier::t1:
      return 1;
    case Tier::t2:
      return 2;
    case Tier::t3:
      return 3;
  }
  return 1;
}

// The observable property of an indicator part; errors name the part, not its value.
Result<ObservableProperty> property_of(const Part& part) {
  switch (part.indicator_type) {
    case IndicatorType::ip:
    case IndicatorType::cidr: {
      auto prefix = Prefix::parse(part.value);
      if (!prefix) return fail("part '{}': not an address or prefix", part.id);
      return prefix->address().is_v4() ? ObservableProperty::kIpv4 : ObservableProperty::kIpv6;
    }
    case IndicatorType::domain:
      return ObservableProperty::kDomainName;
    case IndicatorType::url:
      return ObservableProperty::kUrl;
    case IndicatorType::hash:
      switch (part.value.size()) {
        case 32:
          return ObservableProperty::kFileMd5;
        case 40:
          return ObservableProperty::kFileSha1;
        case 64:
          return ObservableProperty::kFileSha256;
        default:
          return fail("part '{}': a hash of unknown length", part.id);
      }
  }
  return fail("part '{}': unknown indicator type", part.id);
}

std::string note_abstract(const AudienceNote& note) {
  return fmt::format("{} ({})", to_string(note.audience), note.language);
}

// Text parts (findings, incident summaries, free text) become notes on the report.
std::string part_abstract(const Part& part) {
  return fmt::format("{} '{}'", to_string(part.kind), part.id);
}

std::string strategic_description(const Product& product) {
  std::string text;
  for (std::string_view language : {"en", "ja"}) {
    for (const AudienceNote& note : product.notes) {
      if (note.audience != Audience::strategic || note.language != language) continue;
      if (!text.empty()) text += "\n\n";
      text += note.text;
    }
  }
  return text;
}

}  // namespace

std::string agency_identity_id(std::string_view agency_id) {
  // A name-derived id: BLAKE2b of a fixed context and the agency id, shaped as a UUIDv4 by
  // id_from_bytes. Recipients see the same producer in every bundle.
  std::array<std::uint8_t, 16> bytes{};
  const std::string input = fmt::format("mamori identity:{}", agency_id);
  crypto_generichash(bytes.data(), bytes.size(),
                     reinterpret_cast<const unsigned char*>(input.data()), input.size(), nullptr,
                     0);
  return stix::id_from_bytes("identity", std::span<const std::uint8_t, 16>(bytes));
}

stix::Tlp product_tlp(const Product& product, const StixExportOptions& options) {
  std::optional<stix::Tlp> wish;
  auto consider = [&](const Labels& labels) {
    for (const ProviderLabel& provider : labels.providers) {
      auto found = options.provider_wishes.find(provider.organisation);
      if (found == options.provider_wishes.end()) continue;
      wish = wish ? stix::stricter(*wish, found->second) : found->second;
    }
  };
  for (const Part& part : product.parts) consider(part.labels);
  for (const AudienceNote& note : product.notes) consider(note.labels);
  return stix::tlp_for_tier(tier_number(product.tier), wish);
}

Result<std::vector<stix::StixObject>> product_to_stix(const Product& product, const Clock& clock,
                                                      const StixExportOptions& options) {
  // I8: whatever the caller hands in, the bundle holds only what the product's tier allows.
  if (auto clean = check_tier(product, product.tier); !clean) {
    return fail("{}: not exported to STIX: {}", describe(product), clean.error().message);
  }
  if (!is_valid_organisation_id(options.agency_id)) {
    return fail("STIX export: agency id '{}' is not an organisation id", options.agency_id);
  }
  const std::string identity_id = agency_identity_id(options.agency_id);
  const stix::Tlp tlp = product_tlp(product, options);
  stix::ObjectFactory factory(clock, identity_id, {tlp}, options.random);

  std::vector<stix::StixObject> objects;
  std::vector<std::string> refs;

  stix::Identity agency;
  agency.common = factory.common("identity");
  agency.common.id = identity_id;
  agency.name = options.agency_name;
  agency.identity_class = "organization";
  agency.sectors = {"government-national"};
  objects.emplace_back(agency);
  refs.push_back(identity_id);

  stix::Report report;
  report.common = factory.common("report");
  const std::string report_id = report.common.id;

  std::vector<std::string> indicator_ids;
  std::vector<std::string> attack_pattern_ids;
  for (const Part& part : product.parts) {
    switch (part.kind) {
      case PartKind::indicator: {
        auto property = property_of(part);
        if (!property) return fail("{}: {}", describe(product), property.error().message);
        auto pattern = stix::render_pattern(stix::any_of(*property, {part.value}));
        if (!pattern) {
          return fail("{}: part '{}': no STIX pattern: {}", describe(product), part.id,
                      pattern.error().message);
        }
        stix::Indicator indicator;
        indicator.common = factory.common("indicator");
        indicator.name = part.id;
        indicator.indicator_types = {"malicious-activity"};
        indicator.pattern = std::move(*pattern);
        indicator.valid_from = stix::truncate_to_millis(product.created_at);
        indicator_ids.push_back(indicator.common.id);
        refs.push_back(indicator.common.id);
        objects.emplace_back(std::move(indicator));
        break;
      }
      case PartKind::attack_technique: {
        auto reference = stix::attack_reference(part.value);
        if (!reference) {
          return fail("{}: part '{}': {}", describe(product), part.id, reference.error().message);
        }
        stix::AttackPattern pattern;
        pattern.common = factory.common("attack-pattern");
        pattern.common.external_references = {std::move(*reference)};
        pattern.name = part.value;
        attack_pattern_ids.push_back(pattern.common.id);
        refs.push_back(pattern.common.id);
        objects.emplace_back(std::move(pattern));
        break;
      }
      case PartKind::vulnerability: {
        auto reference = stix::cve_reference(part.value);
        if (!reference) {
          return fail("{}: part '{}': {}", describe(product), part.id, reference.error().message);
        }
        stix::Vulnerability vulnerability;
        vulnerability.common = factory.common("vulnerability");
        vulnerability.common.external_references = {std::move(*reference)};
        vulnerability.name = part.value;
        if (part.embargo_until) {
          vulnerability.description =
              fmt::format("Pre-disclosure: under embargo until {} / 公表前（{} まで開示禁止）",
                          format_rfc3339_seconds(*part.embargo_until),
                          format_rfc3339_seconds(*part.embargo_until));
        }
        refs.push_back(vulnerability.common.id);
        objects.emplace_back(std::move(vulnerability));
        break;
      }
      case PartKind::finding:
      case PartKind::incident_summary:
      case PartKind::text: {
        stix::Note note;
        note.common = factory.common("note");
        note.abstract = part_abstract(part);
        note.content = part.value;
        note.authors = {product.author};
        note.object_refs = {report_id};
        refs.push_back(note.common.id);
        objects.emplace_back(std::move(note));
        break;
      }
    }
  }
  for (const std::string& indicator_id : indicator_ids) {
    for (const std::string& pattern_id : attack_pattern_ids) {
      stix::Relationship indicates;
      indicates.common = factory.common("relationship");
      indicates.relationship_type = "indicates";
      indicates.source_ref = indicator_id;
      indicates.target_ref = pattern_id;
      refs.push_back(indicates.common.id);
      objects.emplace_back(std::move(indicates));
    }
  }
  for (const AudienceNote& audience_note : product.notes) {
    stix::Note note;
    note.common = factory.common("note");
    note.abstract = note_abstract(audience_note);
    note.content = audience_note.text;
    note.authors = {product.author};
    note.object_refs = {report_id};
    refs.push_back(note.common.id);
    objects.emplace_back(std::move(note));
  }

  report.name = product.title;
  report.description = strategic_description(product);
  report.report_types = {"threat-report"};
  report.published = stix::truncate_to_millis(product.created_at);
  report.object_refs = std::move(refs);
  report.common.labels = {fmt::format("tier-{}", tier_number(product.tier))};
  stix::ExternalReference origin;
  origin.source_name = "mamori";
  origin.external_id =
      fmt::format("{}/v{}/{}", product.id, product.version, to_string(product.tier));
  origin.description = fmt::format("{} ({})", to_string(product.tier), japanese_name(product.tier));
  report.common.external_references = {std::move(origin)};
  objects.emplace_back(std::move(report));
  return objects;
}

Result<std::string> product_to_bundle(const Product& product, const Clock& clock,
                                      const StixExportOptions& options) {
  auto objects = product_to_stix(product, clock, options);
  if (!objects) return fail(objects.error());
  stix::BundleOptions bundle;
  bundle.random = options.random;
  auto text = stix::write_bundle(*objects, bundle);
  if (!text) return fail("{}: STIX bundle: {}", describe(product), text.error().message);
  return text;
}

Result<ImportedProduct> product_from_import(const stix::ImportResult& import,
                                            std::string_view provider_org,
                                            const ConsentScope& scope, std::string product_id,
                                            Timestamp now, std::string author) {
  if (!is_valid_organisation_id(provider_org)) {
    return fail("provider '{}' is not an organisation id (1..64 of [a-z0-9._-])", provider_org);
  }
  ImportedProduct out;
  Product& product = out.product;
  product.id = std::move(product_id);
  product.tier = Tier::t1;
  product.title =
      fmt::format("Indicators from {} (STIX bundle {})", provider_org, import.bundle_id);
  product.author = std::move(author);
  product.created_at = now;
  Labels labels;
  labels.providers.push_back({std::string(provider_org), scope});

  std::set<std::string> values;
  std::size_t n = 0;
  for (const stix::StixObject& object : import.objects) {
    const auto* indicator = std::get_if<stix::Indicator>(&object);
    if (indicator == nullptr) continue;
    if (!indicator->parsed_pattern) {
      out.skipped.push_back(
          fmt::format("{}: pattern outside mamori's subset, not stored", indicator->common.id));
      continue;
    }
    for (const auto& observation : indicator->parsed_pattern->observations) {
      for (const auto& comparison : observation.comparisons) {
        Part part;
        part.kind = PartKind::indicator;
        part.value = comparison.value;
        part.labels = labels;
        switch (comparison.property) {
          case ObservableProperty::kIpv4:
          case ObservableProperty::kIpv6:
            part.indicator_type = comparison.value.find('/') == std::string::npos
                                      ? IndicatorType::ip
                                      : IndicatorType::cidr;
            break;
          case ObservableProperty::kDomainName:
            part.indicator_type = IndicatorType::domain;
            break;
          case ObservableProperty::kUrl:
            part.indicator_type = IndicatorType::url;
            break;
          case ObservableProperty::kFileMd5:
          case ObservableProperty::kFileSha1:
          case ObservableProperty::kFileSha256:
            part.indicator_type = IndicatorType::hash;
            break;
          case ObservableProperty::kFileSha512:
            out.skipped.push_back(
                fmt::format("{}: SHA-512 hashes are not a product indicator type, not stored",
                            indicator->common.id));
            continue;
        }
        if (!values.insert(fmt::format("{}:{}", to_string(part.indicator_type), part.value))
                 .second) {
          continue;  // the same value from another indicator
        }
        part.id = fmt::format("ioc-{}", ++n);
        Product probe;
        probe.id = "probe";
        probe.tier = Tier::t2;  // notes are not needed to check one value
        probe.title = "probe";
        probe.parts = {part};
        if (auto ok = validate_product(probe); !ok) {
          out.skipped.push_back(fmt::format("{}: value is not a valid {} indicator, not stored",
                                            indicator->common.id, to_string(part.indicator_type)));
          values.erase(fmt::format("{}:{}", to_string(part.indicator_type), part.value));
          --n;
          continue;
        }
        product.parts.push_back(std::move(part));
      }
    }
  }
  if (product.parts.empty()) {
    return fail("STIX bundle {} from {}: no indicator could be stored", import.bundle_id,
                provider_org);
  }
  const std::string en = fmt::format("{} indicators contributed by {} in STIX bundle {}.",
                                     product.parts.size(), provider_org, import.bundle_id);
  const std::string ja = fmt::format("{} が STIX バンドル {} で提供した指標 {} 件。", provider_org,
                                     import.bundle_id, product.parts.size());
  for (Audience audience : {Audience::technical, Audience::strategic}) {
    product.notes.push_back({audience, "en", en, labels});
    product.notes.push_back({audience, "ja", ja, labels});
  }
  if (auto ok = validate_product(product); !ok) return fail(ok.error());
  return out;
}

}  // namespace mamori::intel
