// Fuzz target for the approval reader (governance/approval.h). Any input is either rejected
// with an error or read into an approval (or a request) whose JSON form reads back to the same
// canonical request; checking a read approval against a key and a plan never crashes and
// never calls an unverifiable approval covered.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "mamori/governance/approval.h"

namespace {

using mamori::governance::Approval;
using nlohmann::json;

const mamori::ledger::SigningKey& overseer() {
  static const auto key = mamori::ledger::SigningKey::generate(mamori::ledger::KeyRole::overseer);
  return key;
}

void check_request(const json& input) {
  auto request = mamori::governance::request_from_json(input);
  if (!request) {
    if (request.error().message.empty()) std::abort();
    return;
  }
  const std::string canonical = mamori::governance::canonical_request(*request);
  auto again = mamori::governance::request_from_json(mamori::governance::request_to_json(*request));
  if (!again || mamori::governance::canonical_request(*again) != canonical) std::abort();
  (void)mamori::governance::validate_request(*request);
}

void check_approval(const json& input) {
  auto approval = mamori::governance::approval_from_json(input);
  if (!approval) {
    if (approval.error().message.empty()) std::abort();
    return;
  }
  auto again =
      mamori::governance::approval_from_json(mamori::governance::approval_to_json(*approval));
  if (!again ||
      mamori::governance::canonical_request(again->request) !=
          mamori::governance::canonical_request(approval->request) ||
      again->signature != approval->signature || again->approved_at != approval->approved_at ||
      again->overseer_key_id != approval->overseer_key_id) {
    std::abort();
  }
  const auto& request = approval->request;
  const mamori::governance::SelectionPlan plan{request.sensor, request.categories,
                                               request.ruleset_hash, request.inspect_bytes,
                                               request.not_before};
  // The fuzzer cannot forge a signature by this process's fresh key.
  const auto decision =
      mamori::governance::check_approval(*approval, overseer().public_key(), plan);
  if (!decision.refusal || decision.message.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json input = json::parse(data, data + size, nullptr, false);
  if (input.is_discarded()) return 0;
  check_approval(input);
  check_request(input);
  if (input.is_object() && input.contains("request")) check_request(input["request"]);
  return 0;
}
