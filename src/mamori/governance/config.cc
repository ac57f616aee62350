#include "mamori/governance/config.h"

#include <algorithm>

#include <toml++/toml.h>

namespace mamori::governance {
namespace {

bool is_purpose_id(std::string_view text) {
  return !text.empty() && text.size() <= 64 &&
         text.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
             "._-") == std::string_view::npos;
}

void collect(const ConfigTable& table, std::vector<std::string>& errors) {
  errors.insert(errors.end(), table.errors().begin(), table.errors().end());
}

constexpr std::string_view kNeverCriminal =
    "criminal investigation (犯罪捜査) can never be a purpose for selected communications "
    "information";

// One [[access.purposes]] table. `earlier` holds the ones already read, to name duplicates.
// With errors the result is partial; any error fails the whole configuration.
Purpose read_purpose(const ConfigFile& file, std::size_t index, const std::vector<Purpose>& earlier,
                     std::vector<std::string>& errors) {
  ConfigTable table(file, fmt::format("access.purposes[{}]", index));
  Purpose purpose;
  if (auto id = table.string("id", true)) {
    if (is_criminal_investigation(*id)) {
      table.error("id", kNeverCriminal);
    } else if (!is_purpose_id(*id)) {
      table.error("id", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
    } else {
      for (std::size_t k = 0; k < earlier.size(); ++k) {
        if (earlier[k].id == *id) {
          table.error("id", fmt::format("'{}' is already the id of access.purposes[{}]", *id, k));
        }
      }
      purpose.id = *id;
    }
  }
  // A label that says criminal investigation is the same purpose under another id.
  if (auto label = table.string("label_ja", true)) {
    if (is_criminal_investigation(*label)) table.error("label_ja", kNeverCriminal);
    purpose.label_ja = *label;
  }
  if (auto label = table.string("label_en", true)) {
    if (is_criminal_investigation(*label)) table.error("label_en", kNeverCriminal);
    purpose.label_en = *label;
  }
  if (auto roles = table.string_list("roles", true)) {
    if (roles->empty()) table.error("roles", "must name at least one role");
    for (const auto& name : *roles) {
      auto role = parse_role(name);
      if (!role) {
        table.error("roles", role.error().message);
      } else if (std::find(purpose.roles.begin(), purpose.roles.end(), *role) !=
                 purpose.roles.end()) {
        table.error("roles", fmt::format("'{}' is listed twice", name));
      } else {
        purpose.roles.push_back(*role);
      }
    }
  }
  table.reject_unknown_keys();
  collect(table, errors);
  return purpose;
}

void read_access(const ConfigFile& file, AccessPolicy& policy, std::vector<std::string>& errors) {
  ConfigTable access(file, "access");
  access.reject_unknown_keys({"purposes"});
  collect(access, errors);

  const auto node = file.root().at_path("access.purposes");
  if (!node) return;
  const toml::array* array = node.as_array();
  if (!array || !array->is_array_of_tables()) {
    errors.push_back(
        fmt::format("{}:{}: key 'access.purposes': must be an array of tables "
                    "([[access.purposes]])",
                    file.path(), node.node()->source().begin.line));
    return;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    policy.purposes.push_back(read_purpose(file, i, policy.purposes, errors));
  }
}

}  // namespace

Result<GovernanceConfig> load_governance_config(const ConfigFile& file) {
  GovernanceConfig config;
  std::vector<std::string> errors;

  ConfigTable governance(file, "governance");
  config.overseer_key = governance.path("overseer_key");
  config.ledger_key = governance.path("ledger_key");
  if (auto approvals = governance.string_list("approvals")) {
    for (const auto& path : *approvals) config.approvals.push_back(file.resolve_path(path));
  }
  if (auto grants = governance.string_list("reidentification_grants")) {
    for (const auto& path : *grants) {
      if (path.empty()) {
        governance.error("reidentification_grants", "a grant path must not be empty");
        continue;
      }
      config.reidentification_grants.push_back(file.resolve_path(path));
    }
  }
  // Writing the section is where an installation decides its retention (I6): there it must be
  // stated; an installation without the section gets the default.
  const bool has_section = static_cast<bool>(file.root().at_path("governance"));
  if (auto retention = governance.duration("retention", has_section)) {
    if (retention->nanos <= 0) {
      governance.error("retention", "must be longer than zero");
    } else {
      config.retention = *retention;
    }
  }
  governance.reject_unknown_keys();
  collect(governance, errors);

  read_access(file, config.access, errors);

  if (errors.empty()) return config;
  std::string joined;
  for (const auto& e : errors) {
    if (!joined.empty()) joined += '\n';
    joined += e;
  }
  return fail(Error{joined});
}

}  // namespace mamori::governance
