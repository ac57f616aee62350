// `mamori collect`: a sieve run over flow exports (IPFIX, NetFlow v9) received on UDP, for links
// where only routers' flow records are available. The run is governed as `mamori sieve` is: the
// approvals must cover this sensor, the configured categories, the ruleset's hash and the
// current time before the socket is opened (I4), refusals and the run's start and end are
// ledger events, records are de-identified before they reach the store (I5), and selection
// stops at the approvals' earliest not_after. Flow records carry machine information only, so
// of the ruleset the ip, port and behaviour rules apply (sieve/flow_record_sieve.h); the
// summary says how many content rules did not.
//
// The run ends on SIGINT/SIGTERM, or after --until-idle seconds without a datagram. Once the
// socket is bound, "mamori collect: listening on ADDR:PORT" goes to stderr.
//
// The approval checks below duplicate command_sieve.cc's file-local helpers (same checks, same
// ledger events), since that file is not shared yet; they should move to a common header.

#include <atomic>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "mamori/cli/commands.h"
#include "mamori/cli/run_governance.h"
#include "mamori/cli/sensor_setup.h"
#include "mamori/cli/stop_signals.h"
#include "mamori/flowexport/flow_collector.h"
#include "mamori/governance/approval.h"
#include "mamori/governance/events.h"
#include "mamori/privacy/field_policy.h"
#include "mamori/privacy/privacy_config.h"
#include "mamori/sieve/flow_record_sieve.h"
#include "mamori/site/installation.h"
#include "mamori/store/store_sink.h"

namespace mamori::cli {
namespace {

// "127.0.0.1:2055" or "[::1]:2055" (the port may be 0: any free port).
Result<flowexport::CollectorConfig> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return fail("--listen '{}': expected ADDRESS:PORT, e.g. 127.0.0.1:2055 or [::1]:2055", listen);
  }
  std::string address = listen.substr(0, colon);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  const std::string port_text = listen.substr(colon + 1);
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return fail("--listen '{}': the port must be a number from 0 to 65535", listen);
  }
  flowexport::CollectorConfig config;
  config.address = std::move(address);
  config.port = static_cast<std::uint16_t>(port);
  return config;
}

}  // namespace

int run_collect(const CollectArgs& args) {
  // The collector is created after the approval checks; a stop signal before then is
  // remembered by StopSignals and honoured as soon as it exists.
  std::atomic<flowexport::FlowCollector*> stop_target = nullptr;
  StopSignals signals([&stop_target] {
    if (auto* collector = stop_target.load(std::memory_order_acquire)) collector->stop();
  });
  auto listen = parse_listen(args.listen);
  if (!listen) {
    std::fprintf(stderr, "mamori collect: %s\n", listen.error().message.c_str());
    return 1;
  }
  if (args.until_idle && !(*args.until_idle > 0)) {
    std::fprintf(stderr, "mamori collect: --until-idle must be a positive number of seconds\n");
    return 1;
  }
  auto sensor = load_sensor(args.config);
  if (!sensor) {
    std::fprintf(stderr, "mamori collect: %s\n", sensor.error().message.c_str());
    return 1;
  }
  auto opened = site::open_installation(args.config);
  if (!opened) {
    std::fprintf(stderr, "mamori collect: %s\n", opened.error().message.c_str());
    return 1;
  }
  site::Installation& installation = **opened;
  Coverage coverage;
  const auto& paths = args.approvals.empty() ? installation.governance.approvals : args.approvals;
  if (!approvals_cover(installation, *sensor, paths, coverage, "mamori collect")) return 1;
  for (const auto& approval : coverage.approvals) {
    if (auto recorded = record_approval_once(installation, approval); !recorded) {
      std::fprintf(stderr, "mamori collect: %s\n", recorded.error().message.c_str());
      return 1;
    }
  }
  const governance::Approval& first = coverage.approvals.front();
  if (first.request.basis == governance::LegalBasis::party_agreement) {
    restrict_to_party(*sensor, first.request.party_prefixes);
  }
  // Records are de-identified before they leave this process (I5): no key, no run.
  auto policy = open_field_policy(*sensor, args.config);
  if (!policy) {
    std::fprintf(stderr, "mamori collect: %s\n", policy.error().message.c_str());
    return 1;
  }
  auto collector = flowexport::FlowCollector::open(*listen);
  if (!collector) {
    std::fprintf(stderr, "mamori collect: %s\n", collector.error().message.c_str());
    return 1;
  }
  auto store = open_run_writer(*sensor);
  if (!store) {
    std::fprintf(stderr, "mamori collect: %s\n", store.error().message.c_str());
    return 1;
  }
  auto started = begin_recorded_run(installation, *sensor, coverage, *policy, **store,
                                    "ipfix:udp:" + (*collector)->endpoint());
  if (!started) {
    std::fprintf(stderr, "mamori collect: %s\n", started.error().message.c_str());
    return 1;
  }
  const store::RunInfo& run_info = started->info;
  const store::RunId run = started->id;

  store::StoreSink sink(**store, run);
  privacy::DeidentifyingSink deidentifying_sink(*policy, sink);
  sieve::FlowSieveOptions options;
  if (args.pair_wait) {
    options.pair_wait = Duration::millis(static_cast<std::int64_t>(*args.pair_wait * 1000));
  }
  auto sieve = sieve::FlowRecordSieve::create(sensor->config, *sensor->classifier, sensor->rules,
                                              deidentifying_sink, options);
  if (!sieve) {
    std::fprintf(stderr, "mamori collect: %s\n", sieve.error().message.c_str());
    return 1;
  }
  const std::uint64_t not_applicable = (*sieve)->summary().rules_not_applicable;
  if (not_applicable > 0) {
    std::fprintf(stderr,
                 "mamori collect: %llu content rule(s) cannot apply to flow records and are "
                 "skipped / フローレコードに適用できないルール: %llu\n",
                 static_cast<unsigned long long>(not_applicable),
                 static_cast<unsigned long long>(not_applicable));
  }

  flowexport::FlowCollector& receiver = **collector;
  stop_target.store(&receiver, std::memory_order_release);
  if (signals.requested()) receiver.stop();
  std::fprintf(stderr, "mamori collect: listening on %s\n", receiver.endpoint().c_str());
  std::fflush(stderr);

  const SystemClock clock;
  std::optional<Timestamp> selection_stopped_at;
  // The approval bounds selection (I4): at its not_after, pending selected flows are recorded
  // and nothing after is selected; the collector keeps counting until it is stopped.
  const auto check_approval = [&](Timestamp now) {
    if (selection_stopped_at || now < coverage.not_after) return;
    (*sieve)->stop_selection();
    selection_stopped_at = now;
  };
  const auto on_records = [&](std::span<const flowexport::FlowExportRecord> records) {
    check_approval(records.front().received);
    for (const auto& record : records) (*sieve)->process(record);
    sink.tick();
  };
  const auto tick = [&](Timestamp now) {
    check_approval(now);
    (*sieve)->expire(now);
    sink.tick();
  };
  std::optional<Duration> idle;
  if (args.until_idle) {
    idle = Duration::millis(static_cast<std::int64_t>(*args.until_idle * 1000));
  }
  auto stopped = receiver.run(on_records, clock, idle, tick);
  stop_target.store(nullptr, std::memory_order_release);
  (*sieve)->finish();
  const flowexport::CollectorStats collector_stats = receiver.stats();
  nlohmann::json summary_json = (*sieve)->summary().to_json();
  summary_json["collector"] = collector_stats.to_json();
  summary_json["collector"]["listen"] = receiver.endpoint();

  auto flushed = sink.flush();
  if (!flushed) {
    std::fprintf(stderr, "mamori collect: store: %s\n", flushed.error().message.c_str());
    return 1;
  }
  if (auto ended = (*store)->end_run(run, summary_json, SystemClock().now()); !ended) {
    std::fprintf(stderr, "mamori collect: store: %s\n", ended.error().message.c_str());
    return 1;
  }
  auto ended = site::record_event(
      installation, governance::events::kRunEnded,
      {{"run_id", run},
       {"sensor", run_info.sensor},
       {"approval_id", run_info.approval_id},
       {"summary", summary_json},
       {"deidentification", deidentification_json(policy->stats())},
       {"stopped_at_expiry", selection_stopped_at.has_value()},
       {"selection_stopped_at", selection_stopped_at
                                    ? nlohmann::json(format_rfc3339_micros(*selection_stopped_at))
                                    : nlohmann::json(nullptr)}});
  if (!ended) {
    std::fprintf(stderr, "mamori collect: %s\n", ended.error().message.c_str());
    return 1;
  }
  if (args.json_summary) {
    std::cout << summary_json.dump(2) << '\n';
  } else {
    std::cout << (*sieve)->summary().to_text();
    std::cout << fmt::format("  {:<44} {:>16}\n", "datagrams / データグラム数",
                             collector_stats.datagrams);
    std::cout << fmt::format("  {:<44} {:>16}\n", "malformed datagrams / 不正データグラム",
                             collector_stats.malformed_datagrams);
    std::cout << fmt::format("  {:<44} {:>16}\n", "unknown template sets / 未知テンプレート",
                             collector_stats.unknown_template_sets);
    std::cout << fmt::format("  {:<44} {:>16}\n", "sequence gaps / シーケンス欠落",
                             collector_stats.sequence_gaps);
  }
  if (selection_stopped_at) {
    std::fprintf(stderr,
                 "mamori collect: approval(s) %s expired at %s: selection stopped at %s / "
                 "承認期間の終了により選別を停止しました\n",
                 coverage.ids().c_str(), format_rfc3339_seconds(coverage.not_after).c_str(),
                 format_rfc3339_micros(*selection_stopped_at).c_str());
  }
  if (!stopped) {
    std::fprintf(stderr, "mamori collect: %s\n", stopped.error().message.c_str());
    return 2;
  }
  return 0;
}

}  // namespace mamori::cli
