// intel/provenance: the text and JSON forms of provenance labels and consent scopes.

#include "mamori/intel/provenance.h"

#include <algorithm>
#include <utility>

#include "mamori/governance/json_fields.h"

namespace mamori::intel {
namespace {

constexpr std::string_view kProviderPrefix = "provider:";
constexpr std::size_t kMaxOrganisationId = 64;

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

bool is_valid_purpose(std::string_view purpose) {
  if (purpose.empty() || purpose.size() > kMaxOrganisationId) return false;
  if (purpose == "*") return true;
  return std::all_of(purpose.begin(), purpose.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

// "to=a|b;for=x|y" (either part optional, each at most once).
Result<ConsentScope> parse_scope(std::string_view text) {
  ConsentScope scope;
  bool seen_to = false;
  bool seen_for = false;
  for (std::string_view item : split(text, ';')) {
    item = trim(item);
    std::size_t equals = item.find('=');
    if (equals == std::string_view::npos) {
      return fail("consent scope item '{}' is not to=… or for=…", item);
    }
    std::string_view key = trim(item.substr(0, equals));
    std::vector<std::string_view> values = split(item.substr(equals + 1), '|');
    if (key == "to") {
      if (seen_to) return fail("consent scope has 'to=' twice");
      seen_to = true;
      for (std::string_view value : values) {
        auto recipient_class = parse_recipient_class(trim(value));
        if (!recipient_class)
          return fail("consent scope 'to': {}", recipient_class.error().message);
        scope.recipients.push_back(*recipient_class);
      }
    } else if (key == "for") {
      if (seen_for) return fail("consent scope has 'for=' twice");
      seen_for = true;
      for (std::string_view value : values) {
        value = trim(value);
        if (!is_valid_purpose(value)) {
          return fail("consent scope 'for': '{}' is not a purpose id ([a-z0-9._-] or *)", value);
        }
        scope.purposes.emplace_back(value);
      }
    } else {
      return fail("consent scope key '{}' is unknown (expected 'to' or 'for')", key);
    }
  }
  return scope;
}

Result<ProviderLabel> parse_provider(std::string_view text) {
  ProviderLabel provider;
  std::string_view rest = text.substr(kProviderPrefix.size());
  std::size_t open = rest.find('(');
  std::string_view organisation = rest.substr(0, open);
  if (organisation.empty()) return fail("the provider needs an organisation id");
  if (!is_valid_organisation_id(organisation)) {
    return fail("provider '{}' is not an organisation id (1..64 of [a-z0-9._-])", organisation);
  }
  provider.organisation = std::string(organisation);
  if (open == std::string_view::npos) return provider;
  if (rest.back() != ')') return fail("provider '{}': the consent scope lacks ')'", organisation);
  auto scope = parse_scope(rest.substr(open + 1, rest.size() - open - 2));
  if (!scope) return fail("provider '{}': {}", organisation, scope.error().message);
  provider.scope = std::move(*scope);
  return provider;
}

// Splits at commas outside parentheses (a scope never holds commas, but be exact).
std::vector<std::string_view> split_labels(std::string_view text) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')') --depth;
    if (text[i] == ',' && depth == 0) {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(text.substr(start));
  return out;
}

}  // namespace

bool ConsentScope::allows(RecipientClass recipient_class, std::string_view purpose) const {
  bool recipient_ok =
      std::find(recipients.begin(), recipients.end(), recipient_class) != recipients.end();
  bool purpose_ok = std::any_of(purposes.begin(), purposes.end(),
                                [&](const std::string& p) { return p == "*" || p == purpose; });
  return recipient_ok && purpose_ok;
}

bool is_valid_organisation_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxOrganisationId) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(id.front())) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::string to_string(const ProviderLabel& provider) {
  std::string out = std::string(kProviderPrefix) + provider.organisation;
  const ConsentScope& scope = provider.scope;
  if (scope.recipients.empty() && scope.purposes.empty()) return out;
  out += '(';
  std::string to;
  for (RecipientClass recipient_class : scope.recipients) {
    if (!to.empty()) to += '|';
    to += to_string(recipient_class);
  }
  std::string purposes;
  for (const std::string& purpose : scope.purposes) {
    if (!purposes.empty()) purposes += '|';
    purposes += purpose;
  }
  if (!to.empty()) out += "to=" + to;
  if (!to.empty() && !purposes.empty()) out += ';';
  if (!purposes.empty()) out += "for=" + purposes;
  out += ')';
  return out;
}

std::string to_string(const Labels& labels) {
  std::string out;
  auto add = [&](std::string_view label) {
    if (!out.empty()) out += ',';
    out += label;
  };
  if (labels.comm_info) add("comm_info");
  if (labels.shareable) add("shareable");
  if (labels.secret) add("secret");
  for (const ProviderLabel& provider : labels.providers) add(to_string(provider));
  return out;
}

Result<Labels> parse_labels(std::string_view text) {
  Labels labels;
  if (trim(text).empty()) return labels;
  std::vector<std::string_view> parts = split_labels(text);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view label = trim(parts[i]);
    auto repeated = [&](bool& flag) -> Result<void> {
      if (flag) return fail("label {} '{}' is given twice", i + 1, label);
      flag = true;
      return {};
    };
    Result<void> ok;
    if (label == "comm_info") {
      ok = repeated(labels.comm_info);
    } else if (label == "shareable") {
      ok = repeated(labels.shareable);
    } else if (label == "secret") {
      ok = repeated(labels.secret);
    } else if (label.starts_with(kProviderPrefix)) {
      auto provider = parse_provider(label);
      if (!provider) return fail("label {}: {}", i + 1, provider.error().message);
      for (const ProviderLabel& known : labels.providers) {
        if (known.organisation == provider->organisation) {
          return fail("label {}: provider '{}' is given twice", i + 1, known.organisation);
        }
      }
      labels.providers.push_back(std::move(*provider));
    } else if (label.empty()) {
      return fail("label {} is empty (a stray comma?)", i + 1);
    } else {
      return fail(
          "label {} '{}' is unknown (expected comm_info, shareable, secret or provider:<org>)",
          i + 1, label);
    }
    if (!ok) return fail(ok.error());
  }
  return labels;
}

nlohmann::json labels_to_json(const Labels& labels) {
  nlohmann::json providers = nlohmann::json::array();
  for (const ProviderLabel& provider : labels.providers) {
    nlohmann::json recipients = nlohmann::json::array();
    for (RecipientClass recipient_class : provider.scope.recipients) {
      recipients.push_back(to_string(recipient_class));
    }
    providers.push_back({{"organisation", provider.organisation},
                         {"recipients", std::move(recipients)},
                         {"purposes", provider.scope.purposes}});
  }
  return {{"comm_info", labels.comm_info},
          {"shareable", labels.shareable},
          {"secret", labels.secret},
          {"providers", std::move(providers)}};
}

Result<Labels> labels_from_json(const nlohmann::json& json, std::string_view where) {
  if (!json.is_object()) return fail("{}: labels must be an object", where);
  Labels labels;
  governance::detail::JsonFields fields(json, std::string(where));
  auto flag = [&](std::string_view key, bool& out) {
    const nlohmann::json* member = fields.member(key, false);
    if (member == nullptr) return;
    if (!member->is_boolean()) {
      fields.error(key, "must be true or false");
      return;
    }
    out = member->get<bool>();
  };
  flag("comm_info", labels.comm_info);
  flag("shareable", labels.shareable);
  flag("secret", labels.secret);
  const nlohmann::json* providers = fields.member("providers", false);
  fields.reject_unknown();
  if (auto ok = fields.result(); !ok) return fail(ok.error());
  if (providers == nullptr) return labels;
  if (!providers->is_array()) return fail("{}.providers: must be an array", where);
  for (std::size_t i = 0; i < providers->size(); ++i) {
    std::string at = fmt::format("{}.providers[{}]", where, i);
    governance::detail::JsonFields provider_fields((*providers)[i], at);
    ProviderLabel provider;
    provider.organisation = provider_fields.string("organisation");
    std::vector<std::string> recipients = provider_fields.string_list("recipients", false);
    provider.scope.purposes = provider_fields.string_list("purposes", false);
    provider_fields.reject_unknown();
    if (auto ok = provider_fields.result(); !ok) return fail(ok.error());
    if (!is_valid_organisation_id(provider.organisation)) {
      return fail("{}.organisation: not an organisation id", at);
    }
    for (const std::string& name : recipients) {
      auto recipient_class = parse_recipient_class(name);
      if (!recipient_class) return fail("{}.recipients: {}", at, recipient_class.error().message);
      provider.scope.recipients.push_back(*recipient_class);
    }
    for (const std::string& purpose : provider.scope.purposes) {
      if (!is_valid_purpose(purpose))
        return fail("{}.purposes: '{}' is not a purpose id", at, purpose);
    }
    labels.providers.push_back(std::move(provider));
  }
  return labels;
}

}  // namespace mamori::intel
