#pragma once
// cli/intel_commands: the `mamori intel` commands over intelligence products (issue 7,
// src/mamori/intel): storing T1 products, showing their T2/T3 derivations, providing them to
// recipients under the dissemination rules (each provision or refusal a ledger event), listing
// provisions, and STIX 2.1 export and import. Every command authenticates its user as the
// registry commands do (--user with --password-file / MAMORI_PASSWORD, or --token-file /
// MAMORI_TOKEN). Analysts and admins write and provide products; the overseer may list
// provisions; operators have no access.
//
// Publishing into TAXII (`intel publish --id P --collection UUID --legal-basis … --purpose …
// [--provider-tlp ORG=TLP]`, analysts and admins) is a provision to the collection's audience
// (`audience` and its facts in [[taxii.collections]], server/taxii_config.h): intel::provide()
// applies the dissemination rules with the collection's tier as the tier asked for, and a
// release check refuses content whose decided tier is not the collection's or whose STIX
// markings are stricter than the tier allows — every refusal is a provision.refused event and
// nothing is stored. An allowed publication is recorded (provision.made, recipient
// "taxii:<collection id>") before its STIX objects are added to the server's database in one
// transaction; should that add fail, the provision stays recorded and nothing is added (the
// ledger over-states, never under-states, what was given). `intel deliveries [--collection]
// [--member] [--since] [--until]` (overseer and admins) lists what members fetched: each GET
// of objects mamorid answered with objects, logged in its database (deliveries are not
// provisions and not ledger events).
//
// Configuration, all optional:
//   [intel]
//   path = "intel.db"            # the products and provisions database (default: beside
//                                # mamori.toml)
//   agency_id = "nco"            # the producing agency in STIX exports
//   agency_name = "National Cybersecurity Office (NCO) / 国家サイバー統括室"
//
// Exit codes: 0 success; 1 usage, configuration, refusal or error; 2 an import in which some
// objects were rejected and the rest stored.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace mamori::cli {

enum class IntelCommand {
  none,
  product_put,
  product_list,
  product_show,
  provide,
  provisions,
  export_stix,
  import_stix,
  publish,
  deliveries,
};

// The arguments of every intel command; each subcommand binds only the options it documents.
struct IntelCommands {
  IntelCommand chosen = IntelCommand::none;
  std::string name;  // e.g. "intel provide", for messages

  std::string config;
  std::optional<std::string> user;
  std::optional<std::string> password_file;
  std::optional<std::string> token_file;
  bool json = false;

  std::string file;  // product.json / bundle.json
  std::string id;    // product id
  std::uint32_t version = 0;
  std::optional<int> tier;
  std::string out;

  // provide
  std::optional<std::string> recipient_file;
  std::optional<std::string> recipient_id;
  std::optional<std::string> recipient_class;
  std::optional<std::string> recipient_name;
  bool council_member = false;
  std::optional<std::string> obligation;
  std::vector<std::string> own_prefixes;
  std::optional<std::string> type;
  std::string legal_basis;
  std::string purpose;
  std::optional<std::string> confirmation_file;
  std::optional<std::string> measure_id;
  std::vector<std::string> parts;
  std::optional<std::string> via;

  // provisions
  std::optional<std::string> recipient_filter;
  std::optional<std::string> product_filter;
  std::optional<std::string> since;
  std::optional<std::string> until;

  // export / import
  std::vector<std::string> provider_tlp;  // org=tlp
  std::string provider;
  std::vector<std::string> consent_to;
  std::vector<std::string> consent_for;
  std::optional<std::string> product_id;

  // publish (also uses id, version, legal_basis, purpose, provider_tlp)
  std::string collection;
  // deliveries (also since, until)
  std::optional<std::string> collection_filter;
  std::optional<std::string> member_filter;
};

// Adds `intel` to the app; options bind to `commands`.
void add_intel_commands(CLI::App& app, IntelCommands& commands);

// The exit code when an intel command was chosen, else nullopt.
std::optional<int> run_intel_commands(const IntelCommands& commands);

}  // namespace mamori::cli
