#pragma once
// intel/recipient_content: what one allowed provision hands over — the product tailored to the
// provision type of the recipient's class (dissemination.h) and filtered by the providers'
// consent scopes. Built from the stored T1 product:
//
//   tiered                the tier derivation (sanitizer.h)
//   vulnerability_notice  the vendor's vulnerabilities at T3 rules, except that a secret
//                         pre-disclosure vulnerability with an embargo date is kept (the vendor
//                         needs it to fix the product; the embargo date goes with it)
//   measure_support       exactly the selected parts, as they are
//   individual_analysis,  indicators within the recipient's own prefixes as they are (it is
//   equipment_notice      their own traffic or equipment); everything else at T3 rules
//
// A part from provider:<org> goes to a recipient other than <org> only when the provider's
// consent scope allows the recipient's class and the purpose. An essential part that cannot be
// handed over makes the whole provision fail with an error naming the part and the reason.

#include <optional>
#include <span>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/core/time.h"
#include "mamori/intel/dissemination.h"
#include "mamori/intel/product.h"
#include "mamori/intel/sanitizer.h"

namespace mamori::intel {

// An ip indicator inside one of `prefixes`, or a cidr indicator wholly inside one.
bool part_within_prefixes(const Part& part, std::span<const Prefix> prefixes);

struct ProvisionContent {
  Product product;  // its tier is the strictest tier whose rules the content meets
  DerivationReport report;
  std::optional<Timestamp> embargo_until;  // the latest embargo among pre-disclosure parts
};

// `decision` must be the allowed decision for `request` (decide()).
Result<ProvisionContent> build_content(const Product& product, const ProvisionRequest& request,
                                       const ProvisionDecision& decision,
                                       const SanitizerRules& rules = {});

}  // namespace mamori::intel
