#include "mamori/cli/run_governance.h"

#include <cstdio>
#include <utility>

#include <fmt/format.h>

#include "mamori/governance/events.h"
#include "mamori/ledger/keys.h"
#include "mamori/privacy/privacy_config.h"
#include "mamori/transport/publisher.h"

namespace mamori::cli {

nlohmann::json category_list(const scope::CategorySet& set) {
  auto list = nlohmann::json::array();
  for (auto category : {scope::Category::FF, scope::Category::FD, scope::Category::DF}) {
    if (set.contains(category)) list.push_back(scope::to_string(category));
  }
  return list;
}

namespace {

governance::ApprovalDecision check_coverage(const site::Installation& installation,
                                            const Sensor& sensor,
                                            const std::vector<std::string>& paths,
                                            Coverage& coverage, std::optional<std::string>& id) {
  using governance::Refusal;
  const auto refusal = [](Refusal kind, std::string message) {
    return governance::ApprovalDecision{kind, std::move(message)};
  };
  if (paths.empty()) {
    return refusal(Refusal::no_approval,
                   "no approval: pass --approval or set [governance] approvals; the sieve runs "
                   "only under approvals signed by the overseer / "
                   "監理委員会の承認がないため選別を開始できません");
  }
  if (!installation.governance.overseer_key) {
    return refusal(Refusal::signer,
                   "no trusted overseer key: set [governance] overseer_key to the overseer's "
                   "public key file / 監理委員会の公開鍵が設定されていません");
  }
  auto overseer =
      ledger::load_public_key(*installation.governance.overseer_key, ledger::KeyRole::overseer);
  if (!overseer) return refusal(Refusal::signer, overseer.error().message);

  const Timestamp now = SystemClock().now();
  scope::CategorySet covered;
  for (const auto& path : paths) {
    auto approval = governance::load_approval(path);
    if (!approval) return refusal(Refusal::malformed, approval.error().message);
    id = approval->id();
    // Each approval is checked for the configured categories it covers; what none covers is
    // refused below.
    scope::CategorySet overlap;
    for (auto category : {scope::Category::FF, scope::Category::FD, scope::Category::DF}) {
      if (sensor.config.categories.contains(category) &&
          approval->request.categories.contains(category)) {
        overlap.add(category);
      }
    }
    const governance::SelectionPlan plan{
        .sensor = sensor.config.sensor,
        .categories = overlap.empty() ? sensor.config.categories : overlap,
        .ruleset_hash = sensor.rules.hash(),
        .inspect_bytes = sensor.config.inspect_bytes,
        .now = now};
    auto decision = governance::check_approval(*approval, *overseer, plan);
    if (decision.refusal) return decision;
    for (auto category : {scope::Category::FF, scope::Category::FD, scope::Category::DF}) {
      if (overlap.contains(category)) covered.add(category);
    }
    if (coverage.approvals.empty() || approval->request.not_after < coverage.not_after) {
      coverage.not_after = approval->request.not_after;
    }
    coverage.approvals.push_back(std::move(*approval));
  }
  id = coverage.ids();
  std::string uncovered;
  for (auto category : {scope::Category::FF, scope::Category::FD, scope::Category::DF}) {
    if (sensor.config.categories.contains(category) && !covered.contains(category)) {
      uncovered += (uncovered.empty() ? "" : ",") + std::string(scope::to_string(category));
    }
  }
  if (!uncovered.empty()) {
    return refusal(Refusal::categories,
                   fmt::format("approvals {} do not cover configured categories {} / "
                               "承認されていない区分があります",
                               coverage.ids(), uncovered));
  }
  for (const auto& approval : coverage.approvals) {
    if (approval.request.basis == governance::LegalBasis::party_agreement &&
        coverage.approvals.size() > 1) {
      return refusal(Refusal::categories,
                     fmt::format("approval {} is a party agreement (当事者協定), which limits the "
                                 "run to the party's prefixes: run it on its own / "
                                 "当事者協定の承認は単独で使用してください",
                                 approval.id()));
    }
  }
  return {};
}

}  // namespace

bool approvals_cover(site::Installation& installation, const Sensor& sensor,
                     const std::vector<std::string>& paths, Coverage& coverage,
                     std::string_view command) {
  std::optional<std::string> approval_id;
  const auto decision = check_coverage(installation, sensor, paths, coverage, approval_id);
  if (!decision.refusal) return true;

  std::fprintf(stderr, "%.*s: refused / 選別を拒否しました: %s\n", static_cast<int>(command.size()),
               command.data(), decision.message.c_str());
  auto recorded = site::record_event(
      installation, governance::events::kSieveRefused,
      {{"sensor", sensor.config.sensor},
       {"refusal", governance::to_string(*decision.refusal)},
       {"message", decision.message},
       {"approval_id", approval_id ? nlohmann::json(*approval_id) : nlohmann::json(nullptr)},
       {"ruleset_hash", sensor.rules.hash()},
       {"categories", category_list(sensor.config.categories)}});
  if (!recorded) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(command.size()), command.data(),
                 recorded.error().message.c_str());
  }
  return false;
}

Result<void> record_approval_once(site::Installation& installation,
                                  const governance::Approval& approval) {
  const std::string signature = ledger::signature_to_hex(approval.signature);
  bool recorded_before = false;
  auto scanned = site::for_each_event(
      installation, governance::events::kApprovalGranted, [&](const ledger::LedgerEntry& entry) {
        recorded_before =
            entry.body.value("/approval/request/id"_json_pointer, std::string()) == approval.id() &&
            entry.body.value("/approval/signature"_json_pointer, std::string()) == signature;
        return !recorded_before;
      });
  if (!scanned) return fail(scanned.error());
  if (recorded_before) return {};
  auto recorded = site::record_event(installation, governance::events::kApprovalGranted,
                                     {{"approval", governance::approval_to_json(approval)}});
  if (!recorded) return fail(recorded.error());
  return {};
}

Result<privacy::FieldPolicy> open_field_policy(const Sensor& sensor,
                                               const std::string& config_path) {
  auto key_file = privacy::require_key_file(sensor.privacy, config_path);
  if (!key_file) return fail(key_file.error());
  auto pseudonymizer = privacy::Pseudonymizer::open(*key_file);
  if (!pseudonymizer) return fail(pseudonymizer.error());
  return privacy::FieldPolicy::create(sensor.privacy.clear, sensor.rules, *sensor.classifier,
                                      std::move(*pseudonymizer));
}

nlohmann::json deidentification_json(const privacy::FieldPolicyStats& stats) {
  return {{"records", stats.records},
          {"pseudonymized", stats.pseudonymized},
          {"clear_infrastructure", stats.clear_infrastructure},
          {"clear_foreign", stats.clear_foreign}};
}

Result<StartedRun> begin_recorded_run(site::Installation& installation, const Sensor& sensor,
                                      const Coverage& coverage, const privacy::FieldPolicy& policy,
                                      store::RunWriter& writer, std::string input) {
  const auto& request = coverage.approvals.front().request;
  StartedRun started{.info = {.sensor = sensor.config.sensor,
                              .started_at = SystemClock().now(),
                              .config_hash = sensor.config_hash,
                              .ruleset_hash = sensor.rules.hash(),
                              .input = std::move(input),
                              .approval_id = coverage.ids(),
                              .legal_basis = coverage.bases(),
                              .agreement_id = request.agreement_id.value_or(""),
                              .retention = installation.governance.retention}};
  const store::RunInfo& info = started.info;
  auto run = writer.begin_run(info);
  if (!run) return fail(run.error());
  started.id = *run;
  auto recorded = site::record_event(
      installation, governance::events::kRunStarted,
      {{"run_id", started.id},
       {"sensor", info.sensor},
       {"approval_id", info.approval_id},
       {"legal_basis", info.legal_basis},
       {"agreement_id",
        request.agreement_id ? nlohmann::json(*request.agreement_id) : nlohmann::json(nullptr)},
       {"ruleset_hash", info.ruleset_hash},
       {"config_hash", info.config_hash},
       {"categories", category_list(sensor.config.categories)},
       {"input", info.input},
       {"retention_seconds", installation.governance.retention.nanos / 1'000'000'000},
       {"pseudonym_epoch", policy.epoch()},
       {"clear_addresses", privacy::to_string(policy.clear())}});
  if (!recorded) return fail(recorded.error());
  return started;
}

Result<std::unique_ptr<store::RunWriter>> open_run_writer(const Sensor& sensor) {
  if (sensor.config.publish) return transport::open_publisher(*sensor.config.publish);
  auto opened = store::open_store(sensor.config.store);
  if (!opened) return fail(opened.error());
  return std::unique_ptr<store::RunWriter>(std::move(*opened));
}

}  // namespace mamori::cli
