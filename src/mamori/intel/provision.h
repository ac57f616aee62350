#pragma once
// intel/provision: making one provision — decide (dissemination.h), build the content
// (recipient_content.h), record the provision on the ledger (events.h: provision.made) before
// the content is released, then store it (intel_storage.h) for the inspection report. A
// refusal, by the rules, because the content cannot be made clean, or by the channel's release
// check (below), is recorded too (provision.refused) and returned as an error carrying the
// reason.

#include <functional>
#include <optional>
#include <string>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/intel/dissemination.h"
#include "mamori/intel/intel_storage.h"
#include "mamori/intel/product.h"
#include "mamori/intel/recipient_content.h"
#include "mamori/intel/sanitizer.h"
#include "mamori/ledger/ledger.h"

namespace mamori::intel {

// A channel's own condition on the content, checked after the rules allowed the provision and
// the content was built, before anything is recorded as made: e.g. `mamori intel publish`
// (a TAXII collection) requires the tier the collection holds and objects whose TLP marking the
// collection's tier allows. A refusal it returns is recorded as provision.refused with its
// reason, exactly like a refusal by the rules, and provide() returns it as the error.
struct ReleaseRefusal {
  ProvisionRefusal refusal = ProvisionRefusal::tier_not_allowed;
  std::string reason = {};
};
using ReleaseCheck =
    std::function<std::optional<ReleaseRefusal>(const ProvisionDecision&, const ProvisionContent&)>;

// Borrowed; all must outlive the call.
struct ProvisionServices {
  ledger::Ledger& ledger;
  IntelStorage& storage;
  const Clock& clock;
  SanitizerRules rules = {};
  ReleaseCheck release_check = {};  // empty: no channel condition
};

struct Provision {
  ProvisionRecord record;
  ProvisionContent content;
};

// `product` is the stored T1 product (storage.product(id, version)). The error of a refused
// provision reads "provision of product 'x' v1 to council_member 'y' refused
// (no_confidentiality_obligation): …"; ledger or storage failures say which step failed.
Result<Provision> provide(const Product& product, const ProvisionRequest& request,
                          ProvisionServices& services);

// The provision.made body (events.h) for an allowed provision with its content.
nlohmann::json provision_made_body(const Product& product, const ProvisionRequest& request,
                                   const ProvisionDecision& decision,
                                   const ProvisionContent& content);

}  // namespace mamori::intel
