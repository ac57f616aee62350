#pragma once
// cli/registry_session: what every registry command shares (registry_commands.h): opening the
// installation, the [registry] configuration and the registry database; authenticating the
// user; refusing, with the command line's messages, what that user may not see or file for; and
// printing tables and JSON. The command implementations are in command_registry.cc,
// command_incidents.cc and command_vulns.cc.
//
// Who may do what is site/registry_access.h, the rule mamorid's console applies too:
//   - operator: sees and files for the organisations whose `operator_users` list it, nothing
//     else (another organisation is refused as "may not act for organisation 'X'", whether it
//     exists or not, so that ids of other organisations cannot be probed);
//   - analyst, admin (government): see every organisation; register organisations and import
//     vulnerabilities; only admin changes organisation membership. They do not file computers
//     or incident reports: filings are the operator's own, and the trail says so.
//   - overseer: no access to the registry (it inspects the selection of communications, which
//     the registry does not hold).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/cli/registry_commands.h"
#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/registry/registry_config.h"
#include "mamori/registry/storage.h"
#include "mamori/site/access_gate.h"
#include "mamori/site/installation.h"

namespace mamori::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitPartial = 2;

struct RegistrySession {
  std::unique_ptr<site::Installation> installation;
  registry::RegistryConfig config;
  std::unique_ptr<registry::RegistryStorage> storage;
  governance::User user;
  Timestamp now;  // the registry's clock at receipt, once per command

  bool government() const;  // analyst or admin
  // "user 'name' (role)", as refusals name the actor.
  std::string actor() const;
};

// Opens and authenticates. Refusals (no or wrong credentials, a disabled user, the overseer)
// are errors with a bilingual message.
Result<RegistrySession> open_session(const RegistryCommands& args, site::ActionName action);

// Government roles only (analyst, admin), or admin only.
Result<void> require_government(const RegistrySession& session, std::string_view what);
Result<void> require_admin(const RegistrySession& session, std::string_view what);

// Whether the user may see `organisation_id`'s entries (government: any registered one;
// operator: a member). The organisation must be registered.
Result<registry::Organisation> check_read(RegistrySession& session,
                                          std::string_view organisation_id);
// Whether the user may file for it: operators that are members only.
Result<registry::Organisation> check_file(RegistrySession& session,
                                          std::string_view organisation_id);
// The organisations the user may see: --org (checked) or every visible one, by id.
Result<std::vector<registry::Organisation>> visible_organisations(
    RegistrySession& session, const std::optional<std::string>& org);

// Reads a whole input file; errors name it.
Result<std::string> read_text_file(const std::string& path);
// True when the file name ends in ".json" (case-insensitive), else it is read as CSV.
bool is_json_file(std::string_view path);
// --as-of, or the session's clock.
Result<Timestamp> as_of(const RegistryCommands& args, const RegistrySession& session);

// Prints `json` indented (invalid UTF-8 replaced, never thrown on).
void print_json(const nlohmann::json& json);
// Prints the error as "mamori NAME: message" on stderr and returns kExitError.
int report_error(const RegistryCommands& args, const Error& error);

// A plain-text table whose columns line up for Japanese text too (wide characters count
// twice). The last column is not padded.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headings);
  void add(std::vector<std::string> row);
  void print() const;
  bool empty() const { return rows_.size() <= 1; }

 private:
  std::vector<std::vector<std::string>> rows_;
};
// `text` cut to at most `columns` terminal columns, ending in "…" when cut.
std::string clipped(std::string_view text, std::size_t columns);
// Terminal columns of UTF-8 text (East Asian wide and full-width characters count 2).
std::size_t display_width(std::string_view text);

// --- command implementations ----------------------------------------------------------------
int run_org_put(const RegistryCommands& args);
int run_org_list(const RegistryCommands& args);
int run_org_members(const RegistryCommands& args);
int run_computers_import(const RegistryCommands& args);
int run_computers_list(const RegistryCommands& args);
int run_computers_history(const RegistryCommands& args);
int run_submissions(const RegistryCommands& args);
int run_incidents_report(const RegistryCommands& args);
int run_incidents_list(const RegistryCommands& args);
int run_incidents_show(const RegistryCommands& args);
int run_incidents_render(const RegistryCommands& args);
int run_incidents_correlate(const RegistryCommands& args);
int run_vulns_import(const RegistryCommands& args, bool government_format);
int run_vulns_mark_exploited(const RegistryCommands& args);
int run_vulns_list(const RegistryCommands& args);
int run_notices(const RegistryCommands& args);

}  // namespace mamori::cli
