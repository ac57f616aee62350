#pragma once
// intel/dissemination: who may receive what (Basic Policy ch. 4–5, invariant I8, I7). The rule
// table below is the one in docs/intel.md; decide() applies it to one provision request and
// returns allowed or refused with a reason. What is then handed over is built by
// recipient_content.h and recorded by provision.h.
//
//   agencies (関係行政機関)                 → T1
//   foreign governments (外国政府等)        → T1 or T2, only with a recorded confirmation of
//                                             equivalent protection for this provision
//   council members (協議会の構成員)        → T2, with a recorded confidentiality obligation
//   designated operators (特別社会基盤事業者) → T3; T2 when also a council member (obligation)
//   the public (周知)                        → T3
//   vendors (電子計算機等供給者)             → vulnerability notices about their products;
//                                             pre-disclosure ones under embargo until a date
//   access/neutralization measure agencies   → the specific selected parts that support an
//     (アクセス・無害化措置: 警察, 自衛隊)      approved measure (own provision type)
//   agreement parties (協定当事者)           → 個別分析情報: parts about their own prefixes as
//                                             they are, the rest at T3
//   telecom operators (電気通信事業者)       → parts about their equipment's prefixes, the rest
//                                             at T3, via the ministry (総務省)
//
// Every request states a legal basis and a purpose (I7); criminal investigation is never a
// purpose. A provider's data goes to others only within its consent scope (recipient_content.h).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/intel/product.h"
#include "mamori/intel/recipient.h"

namespace mamori::intel {

enum class ProvisionType {
  tiered,                // a tier of the product (T1/T2/T3)
  vulnerability_notice,  // to a vendor
  measure_support,       // selected information supporting an access/neutralization measure
  individual_analysis,   // 個別分析情報 to an agreement party
  equipment_notice,      // to a telecom operator whose equipment is used, via the ministry
};
std::string_view to_string(ProvisionType type);
Result<ProvisionType> parse_provision_type(std::string_view text);

struct DisseminationRule {
  RecipientClass recipient_class;
  ProvisionType type;
  Tier highest_tier;           // tiered: the most a recipient may get; other types: the tier rules
                               // applied to parts that the type does not select on its own
  std::string_view condition;  // what must be recorded, in English
};
// One rule per recipient class, in the order of RecipientClass.
std::span<const DisseminationRule> dissemination_rules();
const DisseminationRule& rule_for(RecipientClass recipient_class);

// 同等の保護の確認: that a foreign government protects the information as Japan would,
// recorded for one provision (recipient, product and version).
struct ProtectionConfirmation {
  std::string id = {};            // the record's reference, e.g. a diplomatic note number
  std::string confirmed_by = {};  // the official who confirmed it
  Timestamp confirmed_at = {};
  std::string recipient_id = {};
  std::string product_id = {};
  std::uint32_t product_version = 0;
};
nlohmann::json confirmation_to_json(const ProtectionConfirmation& confirmation);

struct ProvisionRequest {
  Recipient recipient = {};
  std::optional<Tier> tier = {};  // tiered: the tier asked for; empty = the highest allowed
  std::string legal_basis = {};   // e.g. "重要電子計算機不正行為被害防止法 第N条"
  std::string purpose = {};       // purpose id (I7)
  std::string requested_by = {};  // the official who makes the provision
  std::optional<ProtectionConfirmation> protection_confirmation = {};  // foreign governments
  std::string measure_id = {};                   // measure agencies: the approved measure
  std::vector<std::string> selected_parts = {};  // measure agencies: the parts it needs
  std::string via = {};                          // telecom operators: the ministry relaying it
};

enum class ProvisionRefusal {
  incomplete_request,      // no legal basis, purpose or provider of the information
  criminal_investigation,  // I7
  not_a_t1_product,        // provisions start from the stored T1 product
  tier_not_allowed,        // more than the recipient's class may receive
  no_protection_confirmation,
  confirmation_mismatch,  // the confirmation is for another recipient/product/version
  no_confidentiality_obligation,
  no_vulnerability_for_vendor,
  no_measure,  // measure agencies: no measure id or no selected parts
  unknown_part,
  no_own_traffic,  // agreement party / telecom operator: nothing about its prefixes
  not_via_ministry,
  derivation_failed,  // the content could not be made clean (provide())
};
std::string_view to_string(ProvisionRefusal refusal);

struct ProvisionDecision {
  std::optional<ProvisionRefusal> refusal = {};  // empty: allowed
  std::string reason = {};
  ProvisionType type = ProvisionType::tiered;
  Tier tier = Tier::t3;  // the tier rules the content is built with
  bool allowed() const { return !refusal.has_value(); }
};

// The decision for handing `product` (its stored T1 form) to the request's recipient at `now`.
ProvisionDecision decide(const Product& product, const ProvisionRequest& request, Timestamp now);

}  // namespace mamori::intel
