// The `mamori` command: parses arguments and dispatches to cli/commands.

#include <CLI/CLI.hpp>

#include "mamori/cli/commands.h"
#include "mamori/cli/identity_options.h"
#include "mamori/cli/intel_commands.h"
#include "mamori/cli/registry_commands.h"

int main(int argc, char** argv) {
  using namespace mamori::cli;
  CLI::App app{
      "mamori — automated selection of machine information for active cyber defense\n"
      "mamori — 能動的サイバー防御のための機械的情報の自動選別"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mamori 0.1.0");

  SynthArgs synth;
  auto* synth_cmd = app.add_subcommand(
      "synth", "Write a deterministic synthetic capture, its ruleset and ground truth");
  synth_cmd->add_option("--out", synth.out, "Output pcap path (X.pcap)")->required();
  synth_cmd->add_option("--seed", synth.seed, "Random seed");
  synth_cmd->add_option("--size-mb", synth.size_mb, "Approximate capture size in MB")
      ->check(CLI::Range(1, 100000));
  synth_cmd->add_option("--canary", synth.canary,
                        "Plant this string in every benign payload (for invariant tests)");
  synth_cmd->add_flag("--bench-rules", synth.bench_rules,
                      "Write the large benchmark ruleset (100k ip, 10k domains, 1k patterns)");
  synth_cmd
      ->add_option("--profile", synth.profile,
                   "standard (demo attacks) or detection (hours of behaviour scenarios and "
                   "decoys with ground truth, for mamori eval)")
      ->check(CLI::IsMember({"standard", "detection"}));
  synth_cmd->add_option("--duration-s", synth.duration_s, "Simulated seconds (default per profile)")
      ->check(CLI::Range(60, 7 * 86400));

  AnalyzeArgs analyze;
  auto* analyze_cmd = app.add_subcommand(
      "analyze", "Analyse stored records: findings and candidate indicators / 選別後情報の分析");
  analyze_cmd->add_option("--config", analyze.config, "mamori.toml")->required();
  analyze_cmd->add_option("--since", analyze.since, "Records first seen at or after (RFC 3339)");
  analyze_cmd->add_option("--until", analyze.until, "Records first seen before (RFC 3339)");
  add_identity_options(analyze_cmd, analyze);
  analyze_cmd->add_option("--purpose", analyze.purpose,
                          "Why: a purpose id from [[access.purposes]] / 利用目的");
  analyze_cmd->add_option("--candidates-out", analyze.candidates_out,
                          "Write candidate indicators as a ruleset fragment (for an approval "
                          "request; never in force by itself)");
  analyze_cmd->add_option("--top", analyze.top, "Findings to print (0: all)");
  analyze_cmd->add_flag("--json", analyze.json, "Print JSON");

  EvalArgs eval;
  auto* eval_cmd = app.add_subcommand(
      "eval",
      "Run the sieve and the analysis over a synthetic capture and score them against its "
      "ground truth / 検知性能の評価");
  eval_cmd->add_option("--truth", eval.truth, "X.truth.json written by mamori synth")->required();
  eval_cmd->add_option("--config", eval.config, "mamori.toml (scope and sieve settings)")
      ->required();
  eval_cmd->add_option("--ruleset", eval.ruleset, "Ruleset to evaluate (default: the config's)");
  eval_cmd->add_flag("--json", eval.json, "Print JSON");

  SieveArgs sieve;
  auto* sieve_cmd =
      app.add_subcommand("sieve", "Run the sieve over a capture / キャプチャを選別する");
  sieve_cmd->add_option("--config", sieve.config, "mamori.toml")->required();
  sieve_cmd->add_option("--input", sieve.input, "pcap or pcapng file (or --interface)");
  sieve_cmd->add_option("--interface", sieve.interface,
                        "Capture live from this network interface until SIGINT/SIGTERM (or "
                        "--input)");
  sieve_cmd->add_option("--approval", sieve.approvals,
                        "Approval JSON signed by the overseer, one per legal basis (repeatable; "
                        "overrides [governance] approvals)");
  sieve_cmd->add_flag("--json", sieve.json_summary, "Print the run summary as JSON");
  sieve_cmd->add_flag("!--no-progress", sieve.progress, "No progress bar");

  CollectArgs collect;
  auto* collect_cmd =
      app.add_subcommand("collect",
                         "Run the sieve over IPFIX / NetFlow v9 exports received on UDP / "
                         "フローエクスポートを受信して選別する");
  collect_cmd->add_option("--config", collect.config, "mamori.toml")->required();
  collect_cmd->add_option("--listen", collect.listen, "ADDRESS:PORT to receive exports on")
      ->required();
  collect_cmd->add_option("--until-idle", collect.until_idle,
                          "End the run after this many seconds without a datagram");
  collect_cmd->add_option("--pair-wait", collect.pair_wait,
                          "Seconds a flow record waits for its reverse direction (default 30)");
  collect_cmd->add_option("--approval", collect.approvals,
                          "Approval JSON signed by the overseer, one per legal basis (repeatable; "
                          "overrides [governance] approvals)");
  collect_cmd->add_flag("--json", collect.json_summary, "Print the run summary as JSON");

  RecordsArgs records;
  auto* records_cmd =
      app.add_subcommand("records", "Query stored records / 保存レコードを検索する");
  records_cmd->add_option("--config", records.config, "mamori.toml")->required();
  records_cmd->add_option("--rule", records.rule, "Only records matched by this rule id");
  records_cmd->add_option("--address", records.address,
                          "Only records with an endpoint in this address or prefix; a pseudonymous "
                          "one as p<epoch>:<prefix>");
  records_cmd->add_option("--since", records.since, "First seen at or after (RFC 3339)");
  records_cmd->add_option("--until", records.until, "First seen before (RFC 3339)");
  records_cmd->add_option("--category", records.category, "FF, FD or DF");
  records_cmd->add_option("--limit", records.limit, "At most this many records");
  add_identity_options(records_cmd, records);
  records_cmd->add_option("--purpose", records.purpose,
                          "Why: a purpose id from [[access.purposes]] / 利用目的");
  records_cmd->add_option("--format", records.format, "jsonl, table or summary")
      ->check(CLI::IsMember({"jsonl", "table", "summary"}));

  CentralArgs central;
  auto* central_cmd = app.add_subcommand(
      "central", "Central site: apply sensors' records from NATS to the store / 集約受信");
  central_cmd->add_option("--nats", central.nats, "nats://HOST:PORT[,…][?stream=…&durable=…]")
      ->required();
  central_cmd->add_option("--store", central.store, "Central store URL (sqlite:… or postgres:…)")
      ->required();
  central_cmd->add_option("--durable", central.durable, "Durable consumer name");

  RulesCheckArgs rules_check;
  auto* rules_cmd = app.add_subcommand("rules", "Selection conditions / 選別条件");
  rules_cmd->require_subcommand(1);
  auto* check_cmd = rules_cmd->add_subcommand("check", "Compile a ruleset and report errors");
  check_cmd->add_option("--ruleset", rules_check.ruleset, "Ruleset TOML file")->required();

  KeysNewArgs keys_new;
  auto* keys_cmd = app.add_subcommand("keys", "Signing keys / 署名鍵");
  keys_cmd->require_subcommand(1);
  auto* keys_new_cmd = keys_cmd->add_subcommand("new", "Create an Ed25519 key pair");
  keys_new_cmd->add_option("--role", keys_new.role, "overseer or sensor")
      ->required()
      ->check(CLI::IsMember({"overseer", "sensor"}));
  keys_new_cmd->add_option("--out", keys_new.out, "Path prefix: writes OUT.key and OUT.pub")
      ->required();
  KeysPseudonymArgs keys_pseudonym;
  auto* keys_pseudonym_cmd = keys_cmd->add_subcommand(
      "pseudonym", "Create (or --rotate) the pseudonym key file / 仮名化鍵ファイル");
  keys_pseudonym_cmd->add_option("--out", keys_pseudonym.out, "Key file (mode 0600)")->required();
  keys_pseudonym_cmd->add_flag("--rotate", keys_pseudonym.rotate,
                               "Add a new current epoch; older epochs stay for re-identification");

  ApprovalRequestArgs approval_request;
  auto* approval_cmd = app.add_subcommand("approval", "Approval requests / 承認申請");
  approval_cmd->require_subcommand(1);
  auto* request_cmd = approval_cmd->add_subcommand(
      "request", "Draft an approval request from the sensor's configuration and ruleset");
  request_cmd->add_option("--config", approval_request.config, "mamori.toml")->required();
  request_cmd->add_option("--id", approval_request.id, "Request id, e.g. req-2026-0001")
      ->required();
  request_cmd
      ->add_option("--basis", approval_request.basis,
                   "foreign-foreign | foreign-domestic | domestic-foreign | party-agreement")
      ->required();
  request_cmd->add_option("--categories", approval_request.categories,
                          "Comma list (default: the configuration's)");
  request_cmd->add_option("--not-before", approval_request.not_before, "RFC 3339")->required();
  request_cmd->add_option("--not-after", approval_request.not_after, "RFC 3339")->required();
  request_cmd->add_option("--agreement-id", approval_request.agreement_id,
                          "当事者協定: the agreement id");
  request_cmd->add_option("--party-prefix", approval_request.party_prefixes,
                          "当事者協定: the party's prefixes (repeatable)");
  request_cmd->add_option("--agreement-purpose", approval_request.agreement_purposes,
                          "当事者協定: purposes the party agreed to (repeatable)");
  request_cmd->add_option("--justification", approval_request.justification,
                          "Why the measure is needed (for the overseer)");
  request_cmd->add_option("--out", approval_request.out, "Request JSON")->required();

  ApproveArgs approve;
  auto* approve_cmd =
      app.add_subcommand("approve", "Overseer: sign an approval request / 承認する");
  approve_cmd->add_option("--key", approve.key, "The overseer's secret key file")->required();
  approve_cmd->add_option("--request", approve.request, "Request JSON")->required();
  approve_cmd->add_option("--out", approve.out, "Approval JSON")->required();
  approve_cmd->add_option("--config", approve.config,
                          "Also record the approval in this installation's ledger");

  ApproveReidentificationArgs approve_reid;
  auto* approve_reid_cmd = app.add_subcommand(
      "approve-reidentification",
      "Overseer: grant roles and purposes re-identification of pseudonyms / 再識別を許可する");
  approve_reid_cmd->add_option("--key", approve_reid.key, "The overseer's secret key file")
      ->required();
  approve_reid_cmd->add_option("--id", approve_reid.id, "Grant id, e.g. reid-2026-0001")
      ->required();
  approve_reid_cmd->add_option("--roles", approve_reid.roles, "Comma list, e.g. analyst,overseer")
      ->required();
  approve_reid_cmd
      ->add_option("--purposes", approve_reid.purposes,
                   "Comma list of purpose ids from [[access.purposes]]")
      ->required();
  approve_reid_cmd->add_option("--not-before", approve_reid.not_before, "RFC 3339")->required();
  approve_reid_cmd->add_option("--not-after", approve_reid.not_after, "RFC 3339")->required();
  approve_reid_cmd->add_option("--justification", approve_reid.justification,
                               "Why re-identification is needed");
  approve_reid_cmd->add_option("--out", approve_reid.out, "Grant JSON")->required();
  approve_reid_cmd->add_option("--config", approve_reid.config,
                               "Also record the grant in this installation's ledger");

  ReidentifyArgs reidentify;
  auto* reidentify_cmd = app.add_subcommand(
      "reidentify", "Turn pseudonyms back into addresses under a grant / 仮名を再識別する");
  reidentify_cmd->add_option("--config", reidentify.config, "mamori.toml")->required();
  add_identity_options(reidentify_cmd, reidentify);
  reidentify_cmd->add_option("--purpose", reidentify.purpose,
                             "Why: a purpose id from [[access.purposes]] / 利用目的");
  // One file per --grant, so that the pseudonyms after it stay pseudonyms.
  reidentify_cmd
      ->add_option("--grant", reidentify.grants,
                   "Grant JSON signed by the overseer (repeatable; overrides "
                   "[governance] reidentification_grants)")
      ->allow_extra_args(false);
  reidentify_cmd->add_flag("--json", reidentify.json, "Print JSON");
  reidentify_cmd->add_option("pseudonyms", reidentify.pseudonyms, "p<epoch>:<address> …")
      ->required();

  UsersAddArgs users_add;
  UsersTokenArgs users_token;
  UsersDisableArgs users_disable;
  UsersDisableArgs users_enable;
  users_enable.disabled = false;
  auto* users_cmd = app.add_subcommand("users", "Users and roles / 利用者と役割");
  users_cmd->require_subcommand(1);
  auto* users_add_cmd = users_cmd->add_subcommand("add", "Add a user");
  users_add_cmd->add_option("--config", users_add.config, "mamori.toml")->required();
  users_add_cmd->add_option("--name", users_add.name, "User name")->required();
  users_add_cmd->add_option("--role", users_add.role, "analyst | overseer | operator | admin")
      ->required();
  users_add_cmd->add_option("--password-file", users_add.password_file,
                            "File whose first line is the password (else MAMORI_PASSWORD)");
  auto* users_token_cmd = users_cmd->add_subcommand("token", "Issue an API token (printed once)");
  users_token_cmd->add_option("--config", users_token.config, "mamori.toml")->required();
  users_token_cmd->add_option("--name", users_token.name, "User name")->required();
  auto* users_disable_cmd =
      users_cmd->add_subcommand("disable", "Stop a user's logins, tokens and sessions");
  users_disable_cmd->add_option("--config", users_disable.config, "mamori.toml")->required();
  users_disable_cmd->add_option("--name", users_disable.name, "User name")->required();
  auto* users_enable_cmd = users_cmd->add_subcommand("enable", "Let a disabled user in again");
  users_enable_cmd->add_option("--config", users_enable.config, "mamori.toml")->required();
  users_enable_cmd->add_option("--name", users_enable.name, "User name")->required();

  ConsentAddArgs consent_add;
  auto* consent_cmd = app.add_subcommand("consent", "Consents for other-purpose use / 同意");
  consent_cmd->require_subcommand(1);
  auto* consent_add_cmd = consent_cmd->add_subcommand("add", "Record a consent");
  consent_add_cmd->add_option("--config", consent_add.config, "mamori.toml")->required();
  consent_add_cmd->add_option("--id", consent_add.id, "Consent id")->required();
  consent_add_cmd->add_option("--agreement-id", consent_add.agreement_id, "Agreement id")
      ->required();
  consent_add_cmd->add_option("--user", consent_add.user, "The user it allows")->required();
  consent_add_cmd->add_option("--purpose", consent_add.purpose, "The purpose it allows")
      ->required();
  consent_add_cmd->add_option("--data-since", consent_add.data_since, "RFC 3339")->required();
  consent_add_cmd->add_option("--data-until", consent_add.data_until, "RFC 3339")->required();
  consent_add_cmd->add_option("--note", consent_add.note, "Free text");

  RetentionArgs retention;
  auto* retention_cmd = app.add_subcommand("retention", "Retention / 保存期間");
  retention_cmd->require_subcommand(1);
  auto* retention_run_cmd =
      retention_cmd->add_subcommand("run", "Delete expired records and record the deletion");
  retention_run_cmd->add_option("--config", retention.config, "mamori.toml")->required();
  retention_run_cmd->add_option("--as-of", retention.as_of,
                                "Delete what expires at or before this time (default: now)");
  retention_run_cmd->add_flag("--dry-run", retention.dry_run, "Only count");

  LedgerExportArgs ledger_export;
  LedgerHeadArgs ledger_head;
  LedgerProveArgs ledger_prove;
  auto* ledger_cmd = app.add_subcommand("ledger", "The governance ledger / 監査台帳");
  ledger_cmd->require_subcommand(1);
  auto* export_cmd = ledger_cmd->add_subcommand("export", "Export for mamori-verify");
  export_cmd->add_option("--config", ledger_export.config, "mamori.toml")->required();
  export_cmd->add_option("--out", ledger_export.out, "JSON lines file")->required();
  auto* head_cmd = ledger_cmd->add_subcommand("head", "Sign and print the current tree head");
  head_cmd->add_option("--config", ledger_head.config, "mamori.toml")->required();
  head_cmd->add_option("--out", ledger_head.out, "Write to this file instead of stdout");
  auto* prove_cmd =
      ledger_cmd->add_subcommand("prove", "Consistency proof from an older tree size");
  prove_cmd->add_option("--config", ledger_prove.config, "mamori.toml")->required();
  prove_cmd->add_option("--old-size", ledger_prove.old_size, "Tree size of the older head")
      ->required();
  prove_cmd->add_option("--out", ledger_prove.out, "Proof JSON")->required();

  ShareBuildArgs share;
  auto* share_cmd = app.add_subcommand("share", "Shareable information / 提供用選別後情報");
  share_cmd->require_subcommand(1);
  auto* share_build_cmd = share_cmd->add_subcommand(
      "build", "Derive k-anonymous aggregates from selected records (JSON lines)");
  share_build_cmd->add_option("--config", share.config, "mamori.toml")->required();
  add_identity_options(share_build_cmd, share);
  share_build_cmd->add_option("--purpose", share.purpose, "A purpose id from [[access.purposes]]");
  share_build_cmd->add_option("--since", share.since, "Records first seen at or after (RFC 3339)");
  share_build_cmd->add_option("--until", share.until, "Records first seen before (RFC 3339)");
  share_build_cmd->add_option("--window", share.window,
                              "Time bucket, at least [share] window (e.g. 1h)");
  share_build_cmd->add_option("--k", share.k, "Distinct peers required, at least [share] k");
  share_build_cmd->add_option("--out", share.out, "Output file (JSON lines)")->required();

  OversightReportArgs report;
  auto* oversight_cmd = app.add_subcommand("oversight", "For the overseer / 監理委員会向け");
  oversight_cmd->require_subcommand(1);
  auto* report_cmd = oversight_cmd->add_subcommand("report", "Inspection report / 検査報告");
  report_cmd->add_option("--config", report.config, "mamori.toml")->required();
  report_cmd->add_option("--from", report.from, "Period start (RFC 3339)")->required();
  report_cmd->add_option("--to", report.to, "Period end, exclusive (RFC 3339)")->required();
  report_cmd->add_option("--out", report.out, "Output file")->required();
  report_cmd->add_flag("--json", report.json, "JSON instead of HTML");

  RegistryCommands registry_commands;
  add_registry_commands(app, registry_commands);
  IntelCommands intel_commands;
  add_intel_commands(app, intel_commands);

  CLI11_PARSE(app, argc, argv);

  if (*synth_cmd) return run_synth(synth);
  if (*eval_cmd) return run_eval(eval);
  if (*analyze_cmd) return run_analyze(analyze);
  if (*sieve_cmd) return run_sieve(sieve);
  if (*collect_cmd) return run_collect(collect);
  if (*records_cmd) return run_records(records);
  if (*central_cmd) return run_central(central);
  if (*check_cmd) return run_rules_check(rules_check);
  if (*keys_new_cmd) return run_keys_new(keys_new);
  if (*keys_pseudonym_cmd) return run_keys_pseudonym(keys_pseudonym);
  if (*request_cmd) return run_approval_request(approval_request);
  if (*approve_cmd) return run_approve(approve);
  if (*approve_reid_cmd) return run_approve_reidentification(approve_reid);
  if (*reidentify_cmd) return run_reidentify(reidentify);
  if (*users_add_cmd) return run_users_add(users_add);
  if (*users_token_cmd) return run_users_token(users_token);
  if (*users_disable_cmd) return run_users_set_disabled(users_disable);
  if (*users_enable_cmd) return run_users_set_disabled(users_enable);
  if (*consent_add_cmd) return run_consent_add(consent_add);
  if (*retention_run_cmd) return run_retention(retention);
  if (*export_cmd) return run_ledger_export(ledger_export);
  if (*head_cmd) return run_ledger_head(ledger_head);
  if (*prove_cmd) return run_ledger_prove(ledger_prove);
  if (*report_cmd) return run_oversight_report(report);
  if (*share_build_cmd) return run_share_build(share);
  if (auto code = run_registry_commands(registry_commands)) return *code;
  if (auto code = run_intel_commands(intel_commands)) return *code;
  return 1;
}
