// The change history half of import.h: a re-filing becomes the few fields that changed, so an
// operator's version upgrade is one small change and a re-import of the same file is none.

#include <map>

#include "mamori/registry/import.h"

namespace mamori::registry {
namespace {

using FieldList = std::vector<std::pair<std::string, std::string>>;

// Every field but the id, as text, in the order diff_computer documents.
FieldList fields_of(const ImportantComputer& c) {
  return {
      {"organisation_id", c.organisation_id},
      {"category", std::string(to_string(c.category))},
      {"vendor", c.vendor},
      {"product", c.product},
      {"version", c.version},
      {"cpe", c.cpe},
      {"internet_facing", c.internet_facing ? "true" : "false"},
      {"managed_by", std::string(to_string(c.managed_by))},
      {"contractor", c.contractor},
      {"note", c.note},
  };
}

}  // namespace

ComputerChange diff_computer(const ImportantComputer& before, const ImportantComputer& after,
                             Timestamp at, std::string_view by, std::uint64_t revision) {
  ComputerChange change{after.id, revision, at, std::string(by), {}};
  const FieldList old_fields = fields_of(before);
  FieldList new_fields = fields_of(after);
  for (std::size_t i = 0; i < new_fields.size(); ++i) {
    if (old_fields[i].second != new_fields[i].second) {
      change.changed.push_back(std::move(new_fields[i]));
    }
  }
  return change;
}

ComputerChange first_filing(const ImportantComputer& computer, Timestamp at, std::string_view by) {
  return ComputerChange{computer.id, 1, at, std::string(by), fields_of(computer)};
}

ImportPlan apply_import(std::span<const ImportantComputer> existing,
                        std::span<const ComputerChange> history,
                        std::span<const ImportantComputer> imported, Timestamp at,
                        std::string_view by) {
  std::map<std::string, ImportantComputer, std::less<>> current;
  for (const ImportantComputer& computer : existing)
    current.insert_or_assign(computer.id, computer);
  std::map<std::string, std::uint64_t, std::less<>> revision;
  for (const ComputerChange& change : history) {
    std::uint64_t& latest = revision[change.computer_id];
    latest = std::max(latest, change.revision);
  }

  ImportPlan plan;
  for (const ImportantComputer& computer : imported) {
    auto registered = current.find(computer.id);
    if (registered == current.end()) {
      plan.new_filings.push_back(FiledComputer{computer, first_filing(computer, at, by)});
      current.emplace(computer.id, computer);
      revision[computer.id] = 1;
      continue;
    }
    // Ids carry their organisation's prefix, so this only happens when someone files under an
    // id they do not own; never let one operator rewrite another's filing.
    if (registered->second.organisation_id != computer.organisation_id) {
      plan.conflicts.push_back(computer.id);
      continue;
    }
    std::uint64_t& latest = revision[computer.id];
    if (latest == 0) latest = 1;
    ComputerChange change = diff_computer(registered->second, computer, at, by, latest + 1);
    if (change.changed.empty()) {
      plan.unchanged.push_back(computer.id);
      continue;
    }
    latest = change.revision;
    registered->second = computer;
    plan.changes.push_back(FiledComputer{computer, std::move(change)});
  }
  return plan;
}

}  // namespace mamori::registry
