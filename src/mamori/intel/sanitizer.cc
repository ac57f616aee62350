// intel/sanitizer: the I8 tier rules applied to parts and notes, and the derivation report.

#include "mamori/intel/sanitizer.h"

#include <algorithm>
#include <utility>

#include "mamori/core/ip.h"

namespace mamori::intel {
namespace {

std::string part_item(const Part& part) { return fmt::format("part '{}'", part.id); }

std::string note_item(const AudienceNote& note) {
  return fmt::format("note {}/{}", to_string(note.audience), note.language);
}

// The prefix an address or prefix is generalised to; nullopt if the value does not parse.
std::optional<Prefix> generalised_prefix(const Part& part, const SanitizerRules& rules) {
  std::optional<Prefix> prefix;
  if (part.indicator_type == IndicatorType::ip) {
    auto address = IpAddress::parse(part.value);
    if (!address) return std::nullopt;
    prefix = Prefix(*address, address->family_bits());
  } else {
    auto parsed = Prefix::parse(part.value);
    if (!parsed) return std::nullopt;
    prefix = *parsed;
  }
  int target = prefix->address().is_v4() ? rules.ipv4_prefix_length : rules.ipv6_prefix_length;
  return Prefix(prefix->address(), std::min(target, prefix->length()));
}

bool is_address(const Part& part) {
  return part.kind == PartKind::indicator &&
         (part.indicator_type == IndicatorType::ip || part.indicator_type == IndicatorType::cidr);
}

}  // namespace

std::optional<std::string> forbidden_label(const Labels& labels, Tier tier) {
  if (tier == Tier::t1) return std::nullopt;
  if (labels.comm_info && !labels.shareable) return "comm_info";
  if (tier == Tier::t3 && labels.secret) return "secret";
  return std::nullopt;
}

std::string_view to_string(DerivationAction action) {
  switch (action) {
    case DerivationAction::kept:
      return "kept";
    case DerivationAction::generalised:
      return "generalised";
    case DerivationAction::dropped:
      return "dropped";
  }
  return "?";
}

std::size_t DerivationReport::count(DerivationAction action) const {
  return static_cast<std::size_t>(
      std::count_if(steps.begin(), steps.end(),
                    [&](const DerivationStep& step) { return step.action == action; }));
}

void DerivationReport::add(std::string item, DerivationAction action, std::string reason) {
  steps.push_back({std::move(item), action, std::move(reason)});
}

nlohmann::json DerivationReport::to_json() const {
  nlohmann::json steps_json = nlohmann::json::array();
  for (const DerivationStep& step : steps) {
    steps_json.push_back(
        {{"item", step.item}, {"action", to_string(step.action)}, {"reason", step.reason}});
  }
  return {{"product_id", product_id},
          {"product_version", product_version},
          {"target", target},
          {"kept", count(DerivationAction::kept)},
          {"generalised", count(DerivationAction::generalised)},
          {"dropped", count(DerivationAction::dropped)},
          {"steps", std::move(steps_json)}};
}

PartOutcome sanitize_part(const Part& part, Tier tier, const SanitizerRules& rules) {
  std::optional<std::string> label = forbidden_label(part.labels, tier);
  if (!label) return {DerivationAction::kept, "allowed at " + std::string(to_string(tier)), {}};
  // Only the comm_info label can be removed by generalising: a prefix no longer identifies a
  // communication, but a secret stays a secret however coarse.
  Labels without_comm_info = part.labels;
  without_comm_info.comm_info = false;
  bool only_comm_info = !forbidden_label(without_comm_info, tier).has_value();
  if (*label == "comm_info" && only_comm_info && is_address(part) && part.generalisable &&
      rules.generalise_addresses) {
    if (auto prefix = generalised_prefix(part, rules)) {
      Part generalised = part;
      generalised.indicator_type = IndicatorType::cidr;
      generalised.value = prefix->to_string();
      generalised.labels = without_comm_info;
      return {DerivationAction::generalised,
              fmt::format("labelled comm_info; reduced to a /{} prefix", prefix->length()),
              std::move(generalised)};
    }
  }
  std::string why = fmt::format("labelled {}, which {} may not hold", *label, to_string(tier));
  if (*label == "comm_info" && is_address(part) && !part.generalisable) {
    why += "; the author did not allow generalising it";
  } else if (*label == "comm_info" && is_address(part) && !rules.generalise_addresses) {
    why += "; the rules do not allow generalising addresses";
  }
  return {DerivationAction::dropped, std::move(why), {}};
}

Result<Derivation> derive_tier(const Product& source, Tier tier, const SanitizerRules& rules) {
  if (source.tier != Tier::t1) {
    return fail("{}: tiers are derived from the T1 product, not from its {} form", describe(source),
                to_string(source.tier));
  }
  Derivation derivation;
  derivation.report.product_id = source.id;
  derivation.report.product_version = source.version;
  derivation.report.target = std::string(to_string(tier));
  Product& out = derivation.product;
  out.id = source.id;
  out.version = source.version;
  out.tier = tier;
  out.title = source.title;
  out.author = source.author;
  out.created_at = source.created_at;

  for (const Part& part : source.parts) {
    PartOutcome outcome = sanitize_part(part, tier, rules);
    if (outcome.action == DerivationAction::dropped && part.essential) {
      return fail("{}: cannot derive {} ({}): essential part '{}' ({}) is {}", describe(source),
                  to_string(tier), japanese_name(tier), part.id, to_string(part.kind),
                  outcome.reason);
    }
    if (outcome.action == DerivationAction::kept) out.parts.push_back(part);
    if (outcome.action == DerivationAction::generalised) out.parts.push_back(*outcome.generalised);
    derivation.report.add(part_item(part), outcome.action, std::move(outcome.reason));
  }
  for (const AudienceNote& note : source.notes) {
    if (auto label = forbidden_label(note.labels, tier)) {
      derivation.report.add(
          note_item(note), DerivationAction::dropped,
          fmt::format("labelled {}, which {} may not hold", *label, to_string(tier)));
      continue;
    }
    out.notes.push_back(note);
    derivation.report.add(note_item(note), DerivationAction::kept, "allowed");
  }
  if (out.parts.empty()) {
    return fail("{}: cannot derive {}: no part may appear at that tier", describe(source),
                to_string(tier));
  }
  // The rules above should make this impossible; checking the output keeps a future rule
  // change from leaking a label.
  if (auto clean = check_tier(out, tier); !clean) return fail(clean.error());
  return derivation;
}

Result<void> check_tier(const Product& product, Tier tier) {
  for (const Part& part : product.parts) {
    if (auto label = forbidden_label(part.labels, tier)) {
      return fail("{}: part '{}' ({}) is labelled {}, which {} may not hold", describe(product),
                  part.id, to_string(part.kind), *label, to_string(tier));
    }
  }
  for (const AudienceNote& note : product.notes) {
    if (auto label = forbidden_label(note.labels, tier)) {
      return fail("{}: {} is labelled {}, which {} may not hold", describe(product),
                  note_item(note), *label, to_string(tier));
    }
  }
  return {};
}

}  // namespace mamori::intel
