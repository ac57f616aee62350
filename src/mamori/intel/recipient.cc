// intel/recipient: names of the recipient classes and the JSON form of a recipient.

#include "mamori/intel/recipient.h"

#include <array>
#include <utility>

#include "mamori/governance/json_fields.h"

namespace mamori::intel {
namespace {

struct ClassName {
  RecipientClass recipient_class;
  std::string_view name;
  std::string_view name_ja;
};

constexpr std::array<ClassName, 9> kClassNames = {{
    {RecipientClass::agency, "agency", "関係行政機関"},
    {RecipientClass::foreign_government, "foreign_government", "外国政府等"},
    {RecipientClass::council_member, "council_member", "協議会の構成員"},
    {RecipientClass::designated_operator, "designated_operator", "特別社会基盤事業者"},
    {RecipientClass::public_, "public", "電子計算機を使用する者"},
    {RecipientClass::vendor, "vendor", "電子計算機等供給者"},
    {RecipientClass::measure_agency, "measure_agency", "アクセス・無害化措置を行う機関"},
    {RecipientClass::agreement_party, "agreement_party", "協定当事者"},
    {RecipientClass::telecom_operator, "telecom_operator", "電気通信事業者"},
}};

const ClassName& entry(RecipientClass recipient_class) {
  for (const ClassName& known : kClassNames) {
    if (known.recipient_class == recipient_class) return known;
  }
  return kClassNames.front();  // unreachable: every enumerator is in the table
}

}  // namespace

std::string_view to_string(RecipientClass recipient_class) { return entry(recipient_class).name; }

std::string_view japanese_name(RecipientClass recipient_class) {
  return entry(recipient_class).name_ja;
}

Result<RecipientClass> parse_recipient_class(std::string_view text) {
  std::string known;
  for (const ClassName& candidate : kClassNames) {
    if (candidate.name == text) return candidate.recipient_class;
    if (!known.empty()) known += ", ";
    known += candidate.name;
  }
  return fail("unknown recipient class '{}' (known: {})", text, known);
}

const std::vector<RecipientClass>& all_recipient_classes() {
  static const std::vector<RecipientClass> classes = [] {
    std::vector<RecipientClass> out;
    out.reserve(kClassNames.size());
    for (const ClassName& known : kClassNames) out.push_back(known.recipient_class);
    return out;
  }();
  return classes;
}

nlohmann::json recipient_to_json(const Recipient& recipient) {
  nlohmann::json prefixes = nlohmann::json::array();
  for (const Prefix& prefix : recipient.own_prefixes) prefixes.push_back(prefix.to_string());
  return {{"id", recipient.id},
          {"name", recipient.name},
          {"class", to_string(recipient.recipient_class)},
          {"council_member", recipient.council_member},
          {"confidentiality_obligation", recipient.confidentiality_obligation},
          {"own_prefixes", std::move(prefixes)}};
}

Result<Recipient> recipient_from_json(const nlohmann::json& json) {
  governance::detail::JsonFields fields(json, "recipient");
  Recipient recipient;
  recipient.id = fields.string("id");
  recipient.name = fields.string("name", false);
  std::string class_name = fields.string("class");
  if (const auto* member = fields.member("council_member", false); member != nullptr) {
    if (!member->is_boolean()) {
      fields.error("council_member", "must be true or false");
    } else {
      recipient.council_member = member->get<bool>();
    }
  }
  recipient.confidentiality_obligation = fields.string("confidentiality_obligation", false);
  std::vector<std::string> prefixes = fields.string_list("own_prefixes", false);
  fields.reject_unknown();
  if (auto ok = fields.result(); !ok) return fail(ok.error());
  auto parsed_class = parse_recipient_class(class_name);
  if (!parsed_class) return fail("recipient.class: {}", parsed_class.error().message);
  recipient.recipient_class = *parsed_class;
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    auto prefix = Prefix::parse(prefixes[i]);
    if (!prefix) return fail("recipient.own_prefixes[{}]: not an address prefix", i);
    recipient.own_prefixes.push_back(*prefix);
  }
  return recipient;
}

}  // namespace mamori::intel
