// intel/recipient_content: per-type selection of parts, the provider consent filter, and the
// tier the resulting content meets.

#include "mamori/intel/recipient_content.h"

#include <algorithm>
#include <utility>

namespace mamori::intel {
namespace {

// The outcome of the provision type's own rule for one part.
PartOutcome select_part(const Part& part, const ProvisionRequest& request,
                        const ProvisionDecision& decision, const SanitizerRules& rules) {
  const Recipient& recipient = request.recipient;
  switch (decision.type) {
    case ProvisionType::tiered:
      return sanitize_part(part, decision.tier, rules);
    case ProvisionType::vulnerability_notice: {
      if (part.kind != PartKind::vulnerability || part.vendor != recipient.id) {
        return {DerivationAction::dropped, "not a vulnerability of this vendor", {}};
      }
      std::optional<std::string> label = forbidden_label(part.labels, Tier::t3);
      Labels without_secret = part.labels;
      without_secret.secret = false;
      if (label == "secret" && part.embargo_until && !forbidden_label(without_secret, Tier::t3)) {
        return {DerivationAction::kept,
                fmt::format("pre-disclosure vulnerability under embargo until {}",
                            format_rfc3339_seconds(*part.embargo_until)),
                {}};
      }
      return sanitize_part(part, Tier::t3, rules);
    }
    case ProvisionType::measure_support: {
      bool selected = std::find(request.selected_parts.begin(), request.selected_parts.end(),
                                part.id) != request.selected_parts.end();
      if (selected) {
        return {DerivationAction::kept,
                fmt::format("selected to support measure '{}'", request.measure_id),
                {}};
      }
      return {DerivationAction::dropped, "not selected for the measure", {}};
    }
    case ProvisionType::individual_analysis:
    case ProvisionType::equipment_notice:
      if (part_within_prefixes(part, recipient.own_prefixes)) {
        return {DerivationAction::kept, "about the recipient's own prefixes", {}};
      }
      return sanitize_part(part, Tier::t3, rules);
  }
  return {DerivationAction::dropped, "unknown provision type", {}};
}

// The provider whose consent scope does not cover this provision, or nullptr.
const ProviderLabel* refusing_provider(const Labels& labels, const ProvisionRequest& request) {
  for (const ProviderLabel& provider : labels.providers) {
    if (provider.organisation == request.recipient.id) continue;  // its own data
    if (!provider.scope.allows(request.recipient.recipient_class, request.purpose)) {
      return &provider;
    }
  }
  return nullptr;
}

std::string consent_reason(const ProviderLabel& provider, const ProvisionRequest& request) {
  return fmt::format(
      "provider:{} data; its consent does not cover recipient class '{}' for "
      "purpose '{}'",
      provider.organisation, to_string(request.recipient.recipient_class), request.purpose);
}

Tier strictest_tier_met(const Product& product) {
  if (check_tier(product, Tier::t3)) return Tier::t3;
  if (check_tier(product, Tier::t2)) return Tier::t2;
  return Tier::t1;
}

}  // namespace

bool part_within_prefixes(const Part& part, std::span<const Prefix> prefixes) {
  if (part.kind != PartKind::indicator) return false;
  if (part.indicator_type == IndicatorType::ip) {
    auto address = IpAddress::parse(part.value);
    if (!address) return false;
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const Prefix& own) { return own.contains(*address); });
  }
  if (part.indicator_type == IndicatorType::cidr) {
    auto prefix = Prefix::parse(part.value);
    if (!prefix) return false;
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const Prefix& own) {
      return own.length() <= prefix->length() && own.contains(prefix->address());
    });
  }
  return false;
}

Result<ProvisionContent> build_content(const Product& product, const ProvisionRequest& request,
                                       const ProvisionDecision& decision,
                                       const SanitizerRules& rules) {
  if (!decision.allowed()) {
    return fail("{}: no content for a refused provision: {}", describe(product), decision.reason);
  }
  ProvisionContent content;
  content.report.product_id = product.id;
  content.report.product_version = product.version;
  content.report.target = decision.type == ProvisionType::tiered
                              ? std::string(to_string(decision.tier))
                              : std::string(to_string(decision.type));
  Product& out = content.product;
  out.id = product.id;
  out.version = product.version;
  out.title = product.title;
  out.author = product.author;
  out.created_at = product.created_at;
  std::string target =
      fmt::format("{} for {} '{}'", content.report.target,
                  to_string(request.recipient.recipient_class), request.recipient.id);

  for (const Part& part : product.parts) {
    PartOutcome outcome = select_part(part, request, decision, rules);
    const Part& candidate = outcome.generalised ? *outcome.generalised : part;
    if (outcome.action != DerivationAction::dropped) {
      if (const ProviderLabel* provider = refusing_provider(candidate.labels, request)) {
        outcome = {DerivationAction::dropped, consent_reason(*provider, request), {}};
      }
    }
    // Parts outside what a provision type covers at all (another vendor's vulnerability, a
    // part not selected for a measure) are not being cleaned; only a part that the type
    // would carry but cannot is a failure.
    bool out_of_type =
        decision.type == ProvisionType::measure_support ||
        (decision.type == ProvisionType::vulnerability_notice &&
         (part.kind != PartKind::vulnerability || part.vendor != request.recipient.id));
    if (outcome.action == DerivationAction::dropped && part.essential && !out_of_type) {
      return fail("{}: cannot provide {}: essential part '{}' ({}) is {}", describe(product),
                  target, part.id, to_string(part.kind), outcome.reason);
    }
    if (outcome.action == DerivationAction::kept) {
      out.parts.push_back(part);
      if (part.embargo_until) {
        content.embargo_until =
            std::max(content.embargo_until.value_or(Timestamp{}), *part.embargo_until);
      }
    } else if (outcome.action == DerivationAction::generalised) {
      out.parts.push_back(*outcome.generalised);
    }
    content.report.add(fmt::format("part '{}'", part.id), outcome.action,
                       std::move(outcome.reason));
  }

  // Notes describe the whole product: measure support carries only the selected parts; the
  // other types carry the notes their tier rules allow.
  Tier note_tier = decision.type == ProvisionType::tiered ? decision.tier : Tier::t3;
  for (const AudienceNote& note : product.notes) {
    std::string item = fmt::format("note {}/{}", to_string(note.audience), note.language);
    if (decision.type == ProvisionType::measure_support) {
      content.report.add(std::move(item), DerivationAction::dropped,
                         "not selected for the measure");
      continue;
    }
    if (auto label = forbidden_label(note.labels, note_tier)) {
      content.report.add(
          std::move(item), DerivationAction::dropped,
          fmt::format("labelled {}, which {} may not hold", *label, to_string(note_tier)));
      continue;
    }
    if (const ProviderLabel* provider = refusing_provider(note.labels, request)) {
      content.report.add(std::move(item), DerivationAction::dropped,
                         consent_reason(*provider, request));
      continue;
    }
    out.notes.push_back(note);
    content.report.add(std::move(item), DerivationAction::kept, "allowed");
  }

  if (out.parts.empty()) {
    return fail("{}: cannot provide {}: no part may be handed over", describe(product), target);
  }
  out.tier = strictest_tier_met(out);
  // A tiered provision must meet its tier; the rules above should make this impossible to
  // fail, and checking keeps a future rule change from leaking a label.
  if (decision.type == ProvisionType::tiered) {
    if (auto clean = check_tier(out, decision.tier); !clean) return fail(clean.error());
  }
  return content;
}

}  // namespace mamori::intel
