// `mamori approval request` (the operator drafts what the sieve will do, from the sensor's own
// configuration and compiled ruleset) and `mamori approve` (the overseer signs it, I4).

#include <cstdio>
#include <sstream>

#include "mamori/cli/commands.h"
#include "mamori/cli/json_file.h"
#include "mamori/cli/sensor_setup.h"
#include "mamori/governance/approval.h"
#include "mamori/governance/events.h"
#include "mamori/site/installation.h"

namespace mamori::cli {
namespace {

Result<scope::CategorySet> parse_categories(const std::string& text) {
  scope::CategorySet set;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    auto category = scope::parse_category(item);
    if (!category || !set.add(*category)) {
      return fail("--categories: '{}' is not one of FF, FD, DF", item);
    }
  }
  if (set.empty()) return fail("--categories: empty");
  return set;
}

Result<governance::ApprovalRequest> build_request(const ApprovalRequestArgs& args) {
  auto sensor = load_sensor(args.config);
  if (!sensor) return fail(sensor.error());
  governance::ApprovalRequest request;
  request.id = args.id;
  auto basis = governance::parse_legal_basis(args.basis);
  if (!basis) return fail("--basis: {}", basis.error().message);
  request.basis = *basis;
  request.agreement_id = args.agreement_id;
  for (const auto& text : args.party_prefixes) {
    auto prefix = Prefix::parse(text);
    if (!prefix) return fail("--party-prefix: {}", prefix.error().message);
    request.party_prefixes.push_back(*prefix);
  }
  request.agreement_purposes = args.agreement_purposes;
  request.sensor = sensor->config.sensor;
  if (args.categories) {
    auto categories = parse_categories(*args.categories);
    if (!categories) return fail(categories.error());
    request.categories = *categories;
  } else {
    request.categories = sensor->config.categories;
  }
  request.ruleset_hash = sensor->rules.hash();
  request.inspect_bytes = sensor->config.inspect_bytes;
  auto not_before = parse_rfc3339(args.not_before);
  if (!not_before) return fail("--not-before: {}", not_before.error().message);
  auto not_after = parse_rfc3339(args.not_after);
  if (!not_after) return fail("--not-after: {}", not_after.error().message);
  request.not_before = *not_before;
  request.not_after = *not_after;
  request.requested_by = site::os_user();
  request.requested_at = SystemClock().now();
  request.justification = args.justification;
  if (auto valid = governance::validate_request(request); !valid) return fail(valid.error());
  return request;
}

}  // namespace

int run_approval_request(const ApprovalRequestArgs& args) {
  auto request = build_request(args);
  if (!request) {
    std::fprintf(stderr, "mamori approval request: %s\n", request.error().message.c_str());
    return 1;
  }
  auto installation = site::open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori approval request: %s\n", installation.error().message.c_str());
    return 1;
  }
  const auto json = governance::request_to_json(*request);
  if (auto written = write_json_file(args.out, json); !written) {
    std::fprintf(stderr, "mamori approval request: %s\n", written.error().message.c_str());
    return 1;
  }
  auto recorded = site::record_event(**installation, governance::events::kApprovalRequested,
                                     {{"request", json}});
  if (!recorded) {
    std::fprintf(stderr, "mamori approval request: %s\n", recorded.error().message.c_str());
    return 1;
  }
  std::printf(
      "approval request %s written to %s (ledger entry %llu) / 承認申請を作成しました\n"
      "  ruleset %s, sensor %s, %s – %s\n",
      request->id.c_str(), args.out.c_str(), static_cast<unsigned long long>(recorded->seq),
      request->ruleset_hash.c_str(), request->sensor.c_str(),
      format_rfc3339_seconds(request->not_before).c_str(),
      format_rfc3339_seconds(request->not_after).c_str());
  return 0;
}

int run_approve(const ApproveArgs& args) {
  auto key = ledger::load_signing_key(args.key, ledger::KeyRole::overseer);
  if (!key) {
    std::fprintf(stderr, "mamori approve: %s\n", key.error().message.c_str());
    return 1;
  }
  auto json = read_json_file(args.request);
  if (!json) {
    std::fprintf(stderr, "mamori approve: %s\n", json.error().message.c_str());
    return 1;
  }
  auto request = governance::request_from_json(*json);
  if (!request) {
    std::fprintf(stderr, "mamori approve: %s: %s\n", args.request.c_str(),
                 request.error().message.c_str());
    return 1;
  }
  auto approval = governance::approve(*request, *key, SystemClock().now());
  if (!approval) {
    std::fprintf(stderr, "mamori approve: %s\n", approval.error().message.c_str());
    return 1;
  }
  const auto approval_json = governance::approval_to_json(*approval);
  if (auto written = write_json_file(args.out, approval_json); !written) {
    std::fprintf(stderr, "mamori approve: %s\n", written.error().message.c_str());
    return 1;
  }
  if (args.config) {
    auto installation = site::open_installation(*args.config);
    if (!installation) {
      std::fprintf(stderr, "mamori approve: %s\n", installation.error().message.c_str());
      return 1;
    }
    auto recorded = site::record_event(**installation, governance::events::kApprovalGranted,
                                       {{"approval", approval_json}});
    if (!recorded) {
      std::fprintf(stderr, "mamori approve: %s\n", recorded.error().message.c_str());
      return 1;
    }
  }
  std::printf("approval %s signed by overseer key %s, written to %s / 承認に署名しました\n",
              approval->id().c_str(), approval->overseer_key_id.c_str(), args.out.c_str());
  return 0;
}

}  // namespace mamori::cli
