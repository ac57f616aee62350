// `mamori sieve`: one run of the sieve over a capture file, or live from a network interface,
// into the configured store, under an approval signed by the overseer (I4). Before a single packet
// is read, the approval must cover this sensor, the configured categories, the compiled ruleset's
// hash, the inspection budget and the current time; otherwise the run is refused, the refusal says
// which check failed, and the refusal is a ledger event. Run start and end (with the run's
// counters) are ledger events too.
//
// A live run ends at SIGINT or SIGTERM (or when the approval expires) the way a file run ends
// at the end of the file: open flows are decided, the store is flushed and the summary, with
// the capture's drop counters, is written. A signal before the capture starts ends the run as
// soon as it has started.

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "mamori/capture/capture_file.h"
#include "mamori/capture/live_source.h"
#include "mamori/cli/commands.h"
#include "mamori/cli/installation.h"
#include "mamori/cli/progress.h"
#include "mamori/cli/sensor_setup.h"
#include "mamori/cli/sieve_loop.h"
#include "mamori/cli/stop_signals.h"
#include "mamori/governance/approval.h"
#include "mamori/governance/events.h"
#include "mamori/privacy/field_policy.h"
#include "mamori/privacy/privacy_config.h"
#include "mamori/sieve/sieve.h"
#include "mamori/store/store_sink.h"
#include "mamori/transport/publisher.h"

namespace mamori::cli {
namespace {

nlohmann::json category_list(const scope::CategorySet& set) {
  auto list = nlohmann::json::array();
  for (auto category : {scope::Category::FF, scope::Category::FD, scope::Category::DF}) {
    if (set.contains(category)) list.push_back(scope::to_string(category));
  }
  return list;
}

// The approvals a run is under: together they must cover every configured category, and each
// must be valid for this sensor, ruleset, inspection budget and time (I4). Each legal basis is
// its own measure under the Act, so a sensor authorized for FF, FD and DF runs under three
// approvals. A party agreement (当事者協定) narrows scope to the party's prefixes and is
// therefore the only approval of its run.
struct Coverage {
  std::vector<governance::Approval> approvals;
  Timestamp not_after;  // the earliest expiry: selection stops there
  std::string ids() const {
    std::string out;
    for (const auto& approval : approvals) out += (out.empty() ? "" : ",") + approval.id();
    return out;
  }
  std::string bases() const {
    std::string out;
    for (const auto& approval : approvals) {
      out += (out.empty() ? "" : ",") + std::string(governance::to_string(approval.request.basis));
    }
    return out;
  }
};

governance::ApprovalDecision check_coverage(const Installation& installation, const Sensor& sensor,
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

// Checks the approvals; on refusal prints the reason, records it and returns false.
bool approvals_cover(Installation& installation, const Sensor& sensor,
                     const std::vector<std::string>& paths, Coverage& coverage) {
  std::optional<std::string> approval_id;
  const auto decision = check_coverage(installation, sensor, paths, coverage, approval_id);
  if (!decision.refusal) return true;

  std::fprintf(stderr, "mamori sieve: refused / 選別を拒否しました: %s\n",
               decision.message.c_str());
  auto recorded = record_event(
      installation, governance::events::kSieveRefused,
      {{"sensor", sensor.config.sensor},
       {"refusal", governance::to_string(*decision.refusal)},
       {"message", decision.message},
       {"approval_id", approval_id ? nlohmann::json(*approval_id) : nlohmann::json(nullptr)},
       {"ruleset_hash", sensor.rules.hash()},
       {"categories", category_list(sensor.config.categories)}});
  if (!recorded) {
    std::fprintf(stderr, "mamori sieve: %s\n", recorded.error().message.c_str());
  }
  return false;
}

// An approval enters the ledger when it is granted (`mamori approve --config`) or, at the
// latest, when a run first uses it.
Result<void> record_approval_once(Installation& installation,
                                  const governance::Approval& approval) {
  const std::string signature = ledger::signature_to_hex(approval.signature);
  bool recorded_before = false;
  auto scanned = for_each_event(
      installation, governance::events::kApprovalGranted, [&](const ledger::LedgerEntry& entry) {
        recorded_before =
            entry.body.value("/approval/request/id"_json_pointer, std::string()) == approval.id() &&
            entry.body.value("/approval/signature"_json_pointer, std::string()) == signature;
        return !recorded_before;
      });
  if (!scanned) return fail(scanned.error());
  if (recorded_before) return {};
  auto recorded = record_event(installation, governance::events::kApprovalGranted,
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

// The capture's own counters, next to the sieve's: what the kernel and the interface dropped
// before the sieve saw it, and which signal ended the run.
nlohmann::json capture_json(const capture::LivePacketSource& source,
                            const Result<capture::LiveStats>& stats, int stop_signal) {
  nlohmann::json out = {
      {"interface", source.interface()},
      {"tpacket_version", source.tpacket_version()},
      {"stopped_by", stop_signal == SIGINT       ? nlohmann::json("SIGINT")
                     : stop_signal == SIGTERM    ? nlohmann::json("SIGTERM")
                     : source.reached_end_time() ? nlohmann::json("approval expiry")
                                                 : nlohmann::json(nullptr)}};
  if (stats) {
    out["received"] = stats->received;
    out["dropped"] = stats->dropped;
    out["interface_dropped"] = stats->interface_dropped;
    out["delivered"] = stats->delivered;
  } else {
    out["stats_error"] = stats.error().message;
  }
  return out;
}

std::string capture_text(const nlohmann::json& capture) {
  if (capture.contains("stats_error")) {
    return fmt::format("capture / キャプチャ: {} (counters unavailable: {})\n",
                       capture["interface"].get<std::string>(),
                       capture["stats_error"].get<std::string>());
  }
  return fmt::format(
      "capture / キャプチャ: {}: {} received / 受信, {} dropped / 取りこぼし, {} dropped by "
      "the interface / インターフェースで破棄\n",
      capture["interface"].get<std::string>(), capture["received"].get<std::uint64_t>(),
      capture["dropped"].get<std::uint64_t>(), capture["interface_dropped"].get<std::uint64_t>());
}

// Where the run's records go: the sensor's own store, or (`publish = "nats://…"`, issue 9) a
// publisher that carries them to the central site, spooling while it is unreachable.
Result<std::unique_ptr<store::RunWriter>> open_run_writer(std::string_view url) {
  if (url.starts_with("nats://")) return transport::open_publisher(url);
  auto opened = store::open_store(url);
  if (!opened) return fail(opened.error());
  return std::unique_ptr<store::RunWriter>(std::move(*opened));
}

}  // namespace

int run_sieve(const SieveArgs& args) {
  const bool live = !args.interface.empty();
  if (live == !args.input.empty()) {
    std::fprintf(stderr, "mamori sieve: %s\n",
                 live ? "--input and --interface exclude each other: read a capture file or "
                        "capture live, not both / どちらか一方を指定してください"
                      : "no input: pass --input FILE or --interface IF / 入力を指定してください");
    return 1;
  }
  // Blocked before any other thread exists (sharded sieves start workers), so only the
  // watcher takes them. The capture may not exist yet when a signal comes: it is stopped as
  // soon as it does.
  std::atomic<capture::LivePacketSource*> stop_target = nullptr;
  std::optional<StopSignals> signals;
  if (live) {
    signals.emplace([&stop_target] {
      if (auto* source = stop_target.load(std::memory_order_acquire)) source->stop();
    });
  }
  auto sensor = load_sensor(args.config);
  if (!sensor) {
    std::fprintf(stderr, "mamori sieve: %s\n", sensor.error().message.c_str());
    return 1;
  }
  auto opened = open_installation(args.config);
  if (!opened) {
    std::fprintf(stderr, "mamori sieve: %s\n", opened.error().message.c_str());
    return 1;
  }
  Installation& installation = **opened;
  Coverage coverage;
  const auto& paths = args.approvals.empty() ? installation.governance.approvals : args.approvals;
  if (!approvals_cover(installation, *sensor, paths, coverage)) return 1;
  for (const auto& approval : coverage.approvals) {
    if (auto recorded = record_approval_once(installation, approval); !recorded) {
      std::fprintf(stderr, "mamori sieve: %s\n", recorded.error().message.c_str());
      return 1;
    }
  }
  const governance::Approval& first = coverage.approvals.front();
  if (first.request.basis == governance::LegalBasis::party_agreement) {
    restrict_to_party(*sensor, first.request.party_prefixes);
  }

  // The capture is opened before the run begins, so a missing interface or file leaves no run.
  std::unique_ptr<capture::PacketSource> source;
  capture::LivePacketSource* live_source = nullptr;
  if (live) {
    auto opened = capture::LivePacketSource::open(
        {.interface = args.interface, .end_at = coverage.not_after});
    if (!opened) {
      std::fprintf(stderr, "mamori sieve: %s\n", opened.error().message.c_str());
      return 1;
    }
    live_source = opened->get();
    source = std::move(*opened);
  } else {
    auto opened = capture::open_capture_file(args.input);
    if (!opened) {
      std::fprintf(stderr, "mamori sieve: %s\n", opened.error().message.c_str());
      return 1;
    }
    source = std::move(*opened);
  }
  // Records are de-identified before they leave this process (I5): no key, no run.
  auto policy = open_field_policy(*sensor, args.config);
  if (!policy) {
    std::fprintf(stderr, "mamori sieve: %s\n", policy.error().message.c_str());
    return 1;
  }
  auto store = open_run_writer(sensor->config.publish.value_or(sensor->config.store));
  if (!store) {
    std::fprintf(stderr, "mamori sieve: %s\n", store.error().message.c_str());
    return 1;
  }
  const auto& request = first.request;
  const store::RunInfo run_info{.sensor = sensor->config.sensor,
                                .started_at = SystemClock().now(),
                                .config_hash = sensor->config_hash,
                                .ruleset_hash = sensor->rules.hash(),
                                .input = live ? "live:" + args.interface : "pcap:" + args.input,
                                .approval_id = coverage.ids(),
                                .legal_basis = coverage.bases(),
                                .agreement_id = request.agreement_id.value_or(""),
                                .retention = installation.governance.retention};
  auto run = (*store)->begin_run(run_info);
  if (!run) {
    std::fprintf(stderr, "mamori sieve: %s\n", run.error().message.c_str());
    return 1;
  }
  auto started =
      record_event(installation, governance::events::kRunStarted,
                   {{"run_id", *run},
                    {"sensor", run_info.sensor},
                    {"approval_id", run_info.approval_id},
                    {"legal_basis", run_info.legal_basis},
                    {"agreement_id", request.agreement_id ? nlohmann::json(*request.agreement_id)
                                                          : nlohmann::json(nullptr)},
                    {"ruleset_hash", run_info.ruleset_hash},
                    {"config_hash", run_info.config_hash},
                    {"categories", category_list(sensor->config.categories)},
                    {"input", run_info.input},
                    {"retention_seconds", installation.governance.retention.nanos / 1'000'000'000},
                    {"pseudonym_epoch", policy->epoch()},
                    {"clear_addresses", privacy::to_string(policy->clear())}});
  if (!started) {
    std::fprintf(stderr, "mamori sieve: %s\n", started.error().message.c_str());
    return 1;
  }

  store::StoreSink sink(**store, *run);
  privacy::DeidentifyingSink deidentifying_sink(*policy, sink);
  auto sieve =
      sieve::Sieve::create(sensor->config, *sensor->classifier, sensor->rules, deidentifying_sink);
  if (!sieve) {
    std::fprintf(stderr, "mamori sieve: %s\n", sieve.error().message.c_str());
    return 1;
  }

  capture::PacketSource& packets = *source;
  ProgressBar progress(args.progress ? packets.bytes_total() : 0);
  const SystemClock clock;
  if (live_source != nullptr) {
    stop_target.store(live_source, std::memory_order_release);
    if (signals->requested()) live_source->stop();
    std::fprintf(stderr, "mamori sieve: capturing on %s / キャプチャ中\n", args.interface.c_str());
  }
  SieveLoopResult loop =
      run_sieve_loop(packets, **sieve, sink, progress, clock, coverage.not_after);
  if (live_source != nullptr && live_source->reached_end_time() && !loop.selection_stopped_at) {
    // The capture ended at the approval's not_after (on a quiet link the loop's own clock
    // checks, every so many packets, may never come): selection stops there.
    (*sieve)->stop_selection();
    loop.selection_stopped_at = clock.now();
  }
  // Everything read before a fault is processed and kept: open flows are decided and the
  // selected ones stored, then the fault is reported.
  (*sieve)->finish();
  progress.finish(packets.bytes_read(), loop.packets);
  auto& summary = (*sieve)->summary();
  if (loop.status == capture::NextStatus::error) summary.input_error = packets.error().message;
  // The summary as stored, recorded and printed: the sieve's counters, and for a live run the
  // capture's.
  nlohmann::json summary_json = summary.to_json();
  if (live_source != nullptr) {
    summary_json["capture"] =
        capture_json(*live_source, live_source->stats(), signals->signal_number());
  }

  auto flushed = sink.flush();
  if (!flushed) {
    std::fprintf(stderr, "mamori sieve: store: %s\n", flushed.error().message.c_str());
    return 1;
  }
  if (auto ended = (*store)->end_run(*run, summary_json, SystemClock().now()); !ended) {
    std::fprintf(stderr, "mamori sieve: store: %s\n", ended.error().message.c_str());
    return 1;
  }
  auto ended = record_event(
      installation, governance::events::kRunEnded,
      {{"run_id", *run},
       {"sensor", run_info.sensor},
       {"approval_id", run_info.approval_id},
       {"summary", summary_json},
       {"deidentification", deidentification_json(policy->stats())},
       {"stopped_at_expiry", loop.selection_stopped_at.has_value()},
       {"selection_stopped_at", loop.selection_stopped_at ? nlohmann::json(format_rfc3339_micros(
                                                                *loop.selection_stopped_at))
                                                          : nlohmann::json(nullptr)}});
  if (!ended) {
    std::fprintf(stderr, "mamori sieve: %s\n", ended.error().message.c_str());
    return 1;
  }
  if (args.json_summary) {
    std::cout << summary_json.dump(2) << '\n';
  } else {
    std::cout << summary.to_text();
    if (summary_json.contains("capture")) std::cout << capture_text(summary_json["capture"]);
  }
  if (loop.selection_stopped_at) {
    std::fprintf(stderr,
                 "mamori sieve: approval(s) %s expired at %s: selection stopped at %s / "
                 "承認期間の終了により選別を停止しました\n",
                 coverage.ids().c_str(), format_rfc3339_seconds(coverage.not_after).c_str(),
                 format_rfc3339_micros(*loop.selection_stopped_at).c_str());
  }
  if (loop.status == capture::NextStatus::error) {
    std::fprintf(stderr, "mamori sieve: %s\n", packets.error().message.c_str());
    return 2;
  }
  return 0;
}

}  // namespace mamori::cli
