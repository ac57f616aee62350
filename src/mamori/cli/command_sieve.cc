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
#include "mamori/cli/progress.h"
#include "mamori/cli/run_governance.h"
#include "mamori/cli/sensor_setup.h"
#include "mamori/cli/sieve_loop.h"
#include "mamori/cli/stop_signals.h"
#include "mamori/governance/approval.h"
#include "mamori/governance/events.h"
#include "mamori/privacy/field_policy.h"
#include "mamori/privacy/privacy_config.h"
#include "mamori/sieve/sieve.h"
#include "mamori/site/installation.h"
#include "mamori/store/store_sink.h"

namespace mamori::cli {
namespace {

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
  auto opened = site::open_installation(args.config);
  if (!opened) {
    std::fprintf(stderr, "mamori sieve: %s\n", opened.error().message.c_str());
    return 1;
  }
  site::Installation& installation = **opened;
  Coverage coverage;
  const auto& paths = args.approvals.empty() ? installation.governance.approvals : args.approvals;
  if (!approvals_cover(installation, *sensor, paths, coverage, "mamori sieve")) return 1;
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
  auto store = open_run_writer(*sensor);
  if (!store) {
    std::fprintf(stderr, "mamori sieve: %s\n", store.error().message.c_str());
    return 1;
  }
  auto started = begin_recorded_run(installation, *sensor, coverage, *policy, **store,
                                    live ? "live:" + args.interface : "pcap:" + args.input);
  if (!started) {
    std::fprintf(stderr, "mamori sieve: %s\n", started.error().message.c_str());
    return 1;
  }
  const store::RunInfo& run_info = started->info;
  const store::RunId run = started->id;

  store::StoreSink sink(**store, run);
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
  if (auto ended = (*store)->end_run(run, summary_json, SystemClock().now()); !ended) {
    std::fprintf(stderr, "mamori sieve: store: %s\n", ended.error().message.c_str());
    return 1;
  }
  auto ended = site::record_event(
      installation, governance::events::kRunEnded,
      {{"run_id", run},
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
