#pragma once
// cli/registry_commands: the `mamori registry`, `mamori incidents`, `mamori vulns` and
// `mamori notices` commands over the registry of the public-private partnership (issue 6,
// src/mamori/registry). Every command authenticates its user as the governed commands do
// (access_gate.h: --user with --password-file or MAMORI_PASSWORD, or --token-file /
// MAMORI_TOKEN) and acts as that user: an operator only for the organisations that list it in
// `operator_users`, the government roles (analyst, admin) for every organisation. What an
// operator submits is recorded in the registry's trail with that user and the time of receipt.
//
// Exit codes: 0 success; 1 usage, configuration, refusal or whole-file error; 2 an import in
// which some rows or entries were rejected and every other one was imported.

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mamori::cli {

enum class RegistryCommand {
  none,
  org_put,
  org_list,
  org_members,
  computers_import,
  computers_list,
  computers_history,
  submissions,
  incidents_report,
  incidents_list,
  incidents_show,
  incidents_render,
  incidents_correlate,
  vulns_import_kev,
  vulns_import_government,
  vulns_mark_exploited,
  vulns_list,
  notices,
};

// The arguments of every registry command: one subcommand runs per invocation, so the
// subcommands share these fields (each binds only the options it documents).
struct RegistryCommands {
  RegistryCommand chosen = RegistryCommand::none;
  std::string name;  // e.g. "incidents report", for messages

  std::string config;
  // Who acts; secrets only from files or the environment, never the command line.
  std::optional<std::string> user;
  std::optional<std::string> password_file;
  std::optional<std::string> token_file;
  bool json = false;

  std::string file;                // input file (CSV or JSON)
  std::optional<std::string> org;  // organisation id
  std::optional<std::string> incident;
  std::optional<std::string> regime;  // reporting regime of a new incident
  std::string form;                   // render: ppc | telecom
  std::string computer;
  std::string id;  // vulnerability id
  std::string basis;
  bool overdue = false;
  std::optional<std::string> as_of;  // RFC 3339; default now
  std::vector<std::string> add;      // org members
  std::vector<std::string> remove;
  // correlate: reading selected records needs a purpose (I7); the window around detections.
  std::optional<std::string> purpose;
  std::optional<std::string> since;
  std::optional<std::string> until;
};

// Adds `registry`, `incidents`, `vulns` and `notices` to the app; options bind to `commands`.
void add_registry_commands(CLI::App& app, RegistryCommands& commands);

// The exit code when one of the registry commands was chosen, else nullopt.
std::optional<int> run_registry_commands(const RegistryCommands& commands);

}  // namespace mamori::cli
