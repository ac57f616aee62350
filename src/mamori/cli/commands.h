#pragma once
// cli/commands: one function per `mamori` subcommand. They print to stdout/stderr and return
// the process exit code: 0 success, 1 usage or configuration error, 2 input fault after every
// good packet before it was processed and kept.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mamori/core/error.h"

namespace mamori::cli {

struct SynthArgs {
  std::string out;
  std::uint64_t seed = 1;
  std::uint64_t size_mb = 16;
  std::optional<std::string> canary;
  bool bench_rules = false;
  std::string profile = "standard";         // or "detection" (synth.h)
  std::optional<std::uint64_t> duration_s;  // simulated time; default per profile
};
int run_synth(const SynthArgs& args);

struct EvalArgs {
  std::string truth;                   // X.truth.json beside its X.pcap
  std::string config;                  // mamori.toml: country table, scope, sieve settings
  std::optional<std::string> ruleset;  // default: the configuration's
  bool json = false;
};
int run_eval(const EvalArgs& args);

struct AnalyzeArgs {
  std::string config;
  std::optional<std::string> since;
  std::optional<std::string> until;
  // Who reads and why (I7), as for `records`.
  std::optional<std::string> user;
  std::optional<std::string> password_file;
  std::optional<std::string> token_file;
  std::optional<std::string> purpose;
  std::optional<std::string> candidates_out;  // ruleset fragment of the candidate indicators
  std::size_t top = 20;                       // findings printed (0: all); all are saved
  bool json = false;
};
int run_analyze(const AnalyzeArgs& args);

struct SieveArgs {
  std::string config;
  std::string input;      // a capture file, or
  std::string interface;  // a network interface to capture from live (until SIGINT/SIGTERM)
  std::vector<std::string> approvals;  // override [governance] approvals
  bool json_summary = false;
  bool progress = true;
};
int run_sieve(const SieveArgs& args);

struct CollectArgs {
  std::string config;
  std::string listen;                  // ADDRESS:PORT for IPFIX / NetFlow v9 over UDP
  std::optional<double> until_idle;    // seconds without a datagram that end the run
  std::optional<double> pair_wait;     // seconds a record waits for its reverse direction
  std::vector<std::string> approvals;  // override [governance] approvals
  bool json_summary = false;
};
int run_collect(const CollectArgs& args);

// `mamori central`: the central ingest of issue 9 (transport/consumer.h).
struct CentralArgs {
  std::string nats;                    // nats://… URL (transport/transport_url.h)
  std::string store;                   // central store URL (store.h)
  std::optional<std::string> durable;  // overrides the URL's durable consumer name
};
int run_central(const CentralArgs& args);

struct RecordsArgs {
  std::string config;
  std::optional<std::string> rule;
  std::optional<std::string> address;
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::optional<std::string> category;
  std::uint64_t limit = 0;  // 0: no limit
  std::string format = "jsonl";
  // Who reads and why (I7). The password comes from --password-file or MAMORI_PASSWORD, a
  // token from --token-file or MAMORI_TOKEN; never from the command line.
  std::optional<std::string> user;
  std::optional<std::string> password_file;
  std::optional<std::string> token_file;
  std::optional<std::string> purpose;
};
int run_records(const RecordsArgs& args);

struct RulesCheckArgs {
  std::string ruleset;
};
int run_rules_check(const RulesCheckArgs& args);

struct KeysNewArgs {
  std::string role;  // overseer | sensor
  std::string out;   // path prefix: writes OUT.key (0600) and OUT.pub
};
int run_keys_new(const KeysNewArgs& args);

struct KeysPseudonymArgs {
  std::string out;      // the pseudonym key file (privacy/key_file.h), mode 0600
  bool rotate = false;  // add a new current epoch to an existing file instead of creating one
};
int run_keys_pseudonym(const KeysPseudonymArgs& args);

struct ApprovalRequestArgs {
  std::string config;
  std::string id;
  std::string basis;
  std::optional<std::string> categories;  // comma list; default: the configuration's
  std::string not_before;
  std::string not_after;
  std::optional<std::string> agreement_id;
  std::vector<std::string> party_prefixes;
  std::vector<std::string> agreement_purposes;
  std::string justification;
  std::string out;
};
int run_approval_request(const ApprovalRequestArgs& args);

struct ApproveArgs {
  std::string key;                    // the overseer's secret key file
  std::string request;                // request JSON
  std::string out;                    // approval JSON
  std::optional<std::string> config;  // also record the approval in this installation's ledger
};
int run_approve(const ApproveArgs& args);

struct UsersAddArgs {
  std::string config;
  std::string name;
  std::string role;
  std::optional<std::string> password_file;  // else MAMORI_PASSWORD; else no password
};
int run_users_add(const UsersAddArgs& args);

struct UsersTokenArgs {
  std::string config;
  std::string name;
};
int run_users_token(const UsersTokenArgs& args);

struct UsersDisableArgs {
  std::string config;
  std::string name;
  bool disabled = true;  // false: `users enable`
};
int run_users_set_disabled(const UsersDisableArgs& args);

struct ConsentAddArgs {
  std::string config;
  std::string id;
  std::string agreement_id;
  std::string user;
  std::string purpose;
  std::string data_since;
  std::string data_until;
  std::string note;
};
int run_consent_add(const ConsentAddArgs& args);

struct RetentionArgs {
  std::string config;
  std::optional<std::string> as_of;  // default: now; records expiring at or before are deleted
  bool dry_run = false;
};
int run_retention(const RetentionArgs& args);

struct LedgerExportArgs {
  std::string config;
  std::string out;
};
int run_ledger_export(const LedgerExportArgs& args);

struct LedgerHeadArgs {
  std::string config;
  std::optional<std::string> out;
};
int run_ledger_head(const LedgerHeadArgs& args);

struct LedgerProveArgs {
  std::string config;
  std::uint64_t old_size = 0;
  std::string out;
};
int run_ledger_prove(const LedgerProveArgs& args);

struct ShareBuildArgs {
  std::string config;
  std::optional<std::string> user;
  std::optional<std::string> password_file;
  std::optional<std::string> token_file;
  std::optional<std::string> purpose;
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::optional<std::string> window;  // may widen [share] window, never narrow it
  std::optional<std::uint32_t> k;     // may raise [share] k, never lower it
  std::string out;
};
int run_share_build(const ShareBuildArgs& args);

struct OversightReportArgs {
  std::string config;
  std::string from;
  std::string to;
  std::string out;
  bool json = false;
};
int run_oversight_report(const OversightReportArgs& args);

struct ApproveReidentificationArgs {
  std::string key;  // the overseer's secret key file
  std::string id;
  std::string roles;     // comma list of roles
  std::string purposes;  // comma list of purpose ids
  std::string not_before;
  std::string not_after;
  std::string justification;
  std::string out;                    // grant JSON
  std::optional<std::string> config;  // also record the grant in this installation's ledger
};
int run_approve_reidentification(const ApproveReidentificationArgs& args);

struct ReidentifyArgs {
  std::string config;
  // Who and why, as for `records`: secrets only from files or the environment.
  std::optional<std::string> user;
  std::optional<std::string> password_file;
  std::optional<std::string> token_file;
  std::optional<std::string> purpose;
  std::vector<std::string> grants;  // override [governance] reidentification_grants
  std::vector<std::string> pseudonyms;
  bool json = false;
};
int run_reidentify(const ReidentifyArgs& args);

}  // namespace mamori::cli
