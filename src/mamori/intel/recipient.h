#pragma once
// intel/recipient: who intelligence products are provided to — the recipient classes of the
// Basic Policy's dissemination rules (dissemination.h) and one recipient's own facts that the
// rules look at (council membership, the confidentiality obligation it accepted, the prefixes
// of an agreement party or telecom operator). Plain values with their JSON form.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"

namespace mamori::intel {

enum class RecipientClass {
  agency,               // 関係行政機関
  foreign_government,   // 外国政府等
  council_member,       // 協議会の構成員
  designated_operator,  // 特別社会基盤事業者
  public_,              // 電子計算機を使用する者 (周知)
  vendor,               // 電子計算機等供給者
  measure_agency,       // アクセス・無害化措置を行う機関 (警察, 自衛隊)
  agreement_party,      // 協定当事者
  telecom_operator,     // 攻撃に設備が使われた電気通信事業者 (総務省経由)
};
// "agency", "foreign_government", …, "public", … (the machine names used in JSON and config).
std::string_view to_string(RecipientClass recipient_class);
std::string_view japanese_name(RecipientClass recipient_class);
// Accepts the machine names; the error lists them.
Result<RecipientClass> parse_recipient_class(std::string_view text);
const std::vector<RecipientClass>& all_recipient_classes();

struct Recipient {
  std::string id = {};  // organisation id, e.g. "npa" or "acme-power"
  std::string name = {};
  RecipientClass recipient_class = RecipientClass::public_;
  // A designated operator that is also a council member may receive T2.
  bool council_member = false;
  // Reference of the confidentiality obligation (守秘義務) the recipient accepted, e.g. the
  // council's signed rules document id; empty when none is recorded.
  std::string confidentiality_obligation = {};
  // An agreement party's own prefixes, or a telecom operator's equipment prefixes.
  std::vector<Prefix> own_prefixes = {};
};

nlohmann::json recipient_to_json(const Recipient& recipient);
// Errors name the field ("recipient.own_prefixes[2]: …").
Result<Recipient> recipient_from_json(const nlohmann::json& json);

}  // namespace mamori::intel
