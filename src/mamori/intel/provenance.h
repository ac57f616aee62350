#pragma once
// intel/provenance: the provenance labels carried by every part of an intelligence product
// (invariant I8) and a provider's consent scope.
//
//   comm_info          derived from selected communications information (選別後通信情報)
//   shareable          提供用選別後情報: selected information that met the sharing criteria
//   secret             e.g. a pre-disclosure vulnerability, an attacker's detailed activity,
//                      an operator's named incident
//   provider:<org>     contributed by <org> (a council member, a foreign partner, …); it goes to
//                      others only within that provider's consent scope
//
// Text form (used in files, the CLI and error messages), labels separated by commas:
//   comm_info,shareable,provider:jpcert(to=agency|council_member;for=attack-analysis)
// A provider's scope lists the recipient classes (recipient.h) and purposes it allows; "*" as
// a purpose allows any purpose (criminal investigation is refused elsewhere, whatever a scope
// says). A provider label without a scope allows nothing but the provider itself.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/intel/recipient.h"

namespace mamori::intel {

struct ConsentScope {
  std::vector<RecipientClass> recipients = {};
  std::vector<std::string> purposes = {};  // "*" = any purpose
  bool allows(RecipientClass recipient_class, std::string_view purpose) const;
  bool operator==(const ConsentScope&) const = default;
};

struct ProviderLabel {
  std::string organisation = {};
  ConsentScope scope = {};
  bool operator==(const ProviderLabel&) const = default;
};

struct Labels {
  bool comm_info = false;
  bool shareable = false;
  bool secret = false;
  std::vector<ProviderLabel> providers = {};

  bool empty() const { return !comm_info && !shareable && !secret && providers.empty(); }
  bool operator==(const Labels&) const = default;
};

// The text form above; "" for no labels. Parsing errors name the label and what is wrong
// ("label 2 'provider:': the provider needs an organisation id").
std::string to_string(const Labels& labels);
Result<Labels> parse_labels(std::string_view text);
// One provider label's text ("provider:jpcert(to=agency;for=attack-analysis)").
std::string to_string(const ProviderLabel& provider);

// JSON: {"comm_info": bool, "shareable": bool, "secret": bool,
//        "providers": [{"organisation", "recipients": [...], "purposes": [...]}]}
nlohmann::json labels_to_json(const Labels& labels);
Result<Labels> labels_from_json(const nlohmann::json& json, std::string_view where);

// True for organisation ids: 1..64 of [a-z0-9._-], starting with a letter or digit.
bool is_valid_organisation_id(std::string_view id);

}  // namespace mamori::intel
