// intel/dissemination: the rule table and the decision for one provision request.

#include "mamori/intel/dissemination.h"

#include <algorithm>
#include <array>

#include "mamori/governance/access.h"
#include "mamori/intel/recipient_content.h"

namespace mamori::intel {
namespace {

constexpr std::array<DisseminationRule, 9> kRules = {{
    {RecipientClass::agency, ProvisionType::tiered, Tier::t1,
     "none beyond legal basis and purpose"},
    {RecipientClass::foreign_government, ProvisionType::tiered, Tier::t1,
     "a recorded confirmation of equivalent protection for this recipient, product and version"},
    {RecipientClass::council_member, ProvisionType::tiered, Tier::t2,
     "a recorded confidentiality obligation"},
    {RecipientClass::designated_operator, ProvisionType::tiered, Tier::t3,
     "T2 only when also a council member with a recorded confidentiality obligation"},
    {RecipientClass::public_, ProvisionType::tiered, Tier::t3, "none"},
    {RecipientClass::vendor, ProvisionType::vulnerability_notice, Tier::t3,
     "the product has a vulnerability of this vendor; pre-disclosure ones carry an embargo date"},
    {RecipientClass::measure_agency, ProvisionType::measure_support, Tier::t1,
     "the approved measure it supports and the selected parts it needs"},
    {RecipientClass::agreement_party, ProvisionType::individual_analysis, Tier::t3,
     "at least one indicator within the party's own prefixes"},
    {RecipientClass::telecom_operator, ProvisionType::equipment_notice, Tier::t3,
     "at least one indicator within the operator's equipment prefixes; relayed via the ministry"},
}};

constexpr std::array<std::string_view, 5> kTypeNames = {
    "tiered", "vulnerability_notice", "measure_support", "individual_analysis", "equipment_notice"};

ProvisionDecision refuse(ProvisionDecision decision, ProvisionRefusal refusal, std::string reason) {
  decision.refusal = refusal;
  decision.reason = std::move(reason);
  return decision;
}

bool has_confidentiality_obligation(const Recipient& recipient) {
  return !recipient.confidentiality_obligation.empty();
}

// The tier a tiered recipient may receive at most, given its recorded facts.
Tier highest_tier(const Recipient& recipient) {
  if (recipient.recipient_class == RecipientClass::designated_operator &&
      recipient.council_member && has_confidentiality_obligation(recipient)) {
    return Tier::t2;
  }
  return rule_for(recipient.recipient_class).highest_tier;
}

ProvisionDecision decide_tiered(const Product& product, const ProvisionRequest& request,
                                ProvisionDecision decision) {
  const Recipient& recipient = request.recipient;
  std::string who = fmt::format("{} '{}'", to_string(recipient.recipient_class), recipient.id);
  Tier highest = highest_tier(recipient);
  Tier asked = request.tier.value_or(highest);
  decision.tier = asked;
  if (asked < highest) {
    std::string why = fmt::format("{} may receive at most {}; {} was asked", who,
                                  to_string(highest), to_string(asked));
    if (recipient.recipient_class == RecipientClass::designated_operator && asked == Tier::t2) {
      why += " (T2 needs council membership and a recorded confidentiality obligation)";
    }
    return refuse(decision, ProvisionRefusal::tier_not_allowed, std::move(why));
  }
  if (recipient.recipient_class == RecipientClass::council_member &&
      !has_confidentiality_obligation(recipient)) {
    return refuse(decision, ProvisionRefusal::no_confidentiality_obligation,
                  fmt::format("{} has no recorded confidentiality obligation (守秘義務)", who));
  }
  if (recipient.recipient_class == RecipientClass::foreign_government) {
    if (!request.protection_confirmation) {
      return refuse(decision, ProvisionRefusal::no_protection_confirmation,
                    fmt::format("{}: no recorded confirmation of equivalent protection "
                                "(同等の保護の確認) for this provision",
                                who));
    }
    const ProtectionConfirmation& confirmation = *request.protection_confirmation;
    if (confirmation.id.empty() || confirmation.confirmed_by.empty()) {
      return refuse(decision, ProvisionRefusal::no_protection_confirmation,
                    fmt::format("{}: the protection confirmation lacks its reference or the "
                                "official who confirmed it",
                                who));
    }
    if (confirmation.recipient_id != recipient.id || confirmation.product_id != product.id ||
        confirmation.product_version != product.version) {
      return refuse(
          decision, ProvisionRefusal::confirmation_mismatch,
          fmt::format("{}: protection confirmation '{}' is for recipient '{}', product "
                      "'{}' v{}, not for this provision ({} v{})",
                      who, confirmation.id, confirmation.recipient_id, confirmation.product_id,
                      confirmation.product_version, product.id, product.version));
    }
  }
  decision.reason =
      fmt::format("{} may receive {} ({})", who, to_string(asked), japanese_name(asked));
  return decision;
}

}  // namespace

std::string_view to_string(ProvisionType type) {
  return kTypeNames.at(static_cast<std::size_t>(type));
}

Result<ProvisionType> parse_provision_type(std::string_view text) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames.at(i) == text) return static_cast<ProvisionType>(i);
  }
  return fail(
      "unknown provision type '{}' (known: tiered, vulnerability_notice, "
      "measure_support, individual_analysis, equipment_notice)",
      text);
}

std::span<const DisseminationRule> dissemination_rules() { return kRules; }

const DisseminationRule& rule_for(RecipientClass recipient_class) {
  for (const DisseminationRule& rule : kRules) {
    if (rule.recipient_class == recipient_class) return rule;
  }
  return kRules.front();  // unreachable: the table has every class
}

std::string_view to_string(ProvisionRefusal refusal) {
  switch (refusal) {
    case ProvisionRefusal::incomplete_request:
      return "incomplete_request";
    case ProvisionRefusal::criminal_investigation:
      return "criminal_investigation";
    case ProvisionRefusal::not_a_t1_product:
      return "not_a_t1_product";
    case ProvisionRefusal::tier_not_allowed:
      return "tier_not_allowed";
    case ProvisionRefusal::no_protection_confirmation:
      return "no_protection_confirmation";
    case ProvisionRefusal::confirmation_mismatch:
      return "confirmation_mismatch";
    case ProvisionRefusal::no_confidentiality_obligation:
      return "no_confidentiality_obligation";
    case ProvisionRefusal::no_vulnerability_for_vendor:
      return "no_vulnerability_for_vendor";
    case ProvisionRefusal::no_measure:
      return "no_measure";
    case ProvisionRefusal::unknown_part:
      return "unknown_part";
    case ProvisionRefusal::no_own_traffic:
      return "no_own_traffic";
    case ProvisionRefusal::not_via_ministry:
      return "not_via_ministry";
    case ProvisionRefusal::derivation_failed:
      return "derivation_failed";
  }
  return "?";
}

nlohmann::json confirmation_to_json(const ProtectionConfirmation& confirmation) {
  return {{"id", confirmation.id},
          {"confirmed_by", confirmation.confirmed_by},
          {"confirmed_at", format_rfc3339_micros(confirmation.confirmed_at)},
          {"recipient_id", confirmation.recipient_id},
          {"product_id", confirmation.product_id},
          {"product_version", confirmation.product_version}};
}

ProvisionDecision decide(const Product& product, const ProvisionRequest& request, Timestamp now) {
  const Recipient& recipient = request.recipient;
  const DisseminationRule& rule = rule_for(recipient.recipient_class);
  ProvisionDecision decision;
  decision.type = rule.type;
  decision.tier = rule.highest_tier;
  std::string who = fmt::format("{} '{}'", to_string(recipient.recipient_class), recipient.id);

  if (recipient.id.empty() || request.legal_basis.empty() || request.purpose.empty() ||
      request.requested_by.empty()) {
    return refuse(decision, ProvisionRefusal::incomplete_request,
                  "a provision needs the recipient id, a legal basis, a purpose and the official "
                  "who makes it (I7)");
  }
  if (governance::is_criminal_investigation(request.purpose)) {
    return refuse(decision, ProvisionRefusal::criminal_investigation,
                  "criminal investigation (犯罪捜査) is never a purpose for this information");
  }
  if (product.tier != Tier::t1 || product.version == 0) {
    return refuse(
        decision, ProvisionRefusal::not_a_t1_product,
        fmt::format("{}: provisions are made from the stored T1 product", describe(product)));
  }
  if (request.protection_confirmation && request.protection_confirmation->confirmed_at > now) {
    return refuse(decision, ProvisionRefusal::no_protection_confirmation,
                  fmt::format("{}: the protection confirmation is dated after the provision", who));
  }

  switch (rule.type) {
    case ProvisionType::tiered:
      return decide_tiered(product, request, decision);
    case ProvisionType::vulnerability_notice: {
      bool concerns_vendor = std::any_of(product.parts.begin(), product.parts.end(), [&](auto& p) {
        return p.kind == PartKind::vulnerability && p.vendor == recipient.id;
      });
      if (!concerns_vendor) {
        return refuse(
            decision, ProvisionRefusal::no_vulnerability_for_vendor,
            fmt::format("{}: {} has no vulnerability of this vendor", who, describe(product)));
      }
      decision.reason = fmt::format("{} may receive a vulnerability notice", who);
      return decision;
    }
    case ProvisionType::measure_support: {
      if (request.measure_id.empty() || request.selected_parts.empty()) {
        return refuse(
            decision, ProvisionRefusal::no_measure,
            fmt::format("{}: information supporting an access/neutralization measure "
                        "(アクセス・無害化措置) needs the measure id and the selected parts",
                        who));
      }
      for (const std::string& part_id : request.selected_parts) {
        if (product.find_part(part_id) == nullptr) {
          return refuse(decision, ProvisionRefusal::unknown_part,
                        fmt::format("{}: {} has no part '{}'", who, describe(product), part_id));
        }
      }
      decision.reason = fmt::format("{} may receive {} selected part(s) supporting measure '{}'",
                                    who, request.selected_parts.size(), request.measure_id);
      return decision;
    }
    case ProvisionType::individual_analysis:
    case ProvisionType::equipment_notice: {
      if (rule.type == ProvisionType::equipment_notice && request.via.empty()) {
        return refuse(decision, ProvisionRefusal::not_via_ministry,
                      fmt::format("{}: information for a telecom operator is relayed via the "
                                  "ministry (総務省); the request names none",
                                  who));
      }
      bool about_own = std::any_of(product.parts.begin(), product.parts.end(), [&](auto& p) {
        return part_within_prefixes(p, recipient.own_prefixes);
      });
      if (!about_own) {
        return refuse(decision, ProvisionRefusal::no_own_traffic,
                      fmt::format("{}: {} has no indicator within the recipient's own prefixes",
                                  who, describe(product)));
      }
      decision.reason =
          fmt::format("{} may receive {} about its own prefixes", who, to_string(rule.type));
      return decision;
    }
  }
  return decision;
}

}  // namespace mamori::intel
