// Fuzz target for the re-identification grant reader (governance/reidentification.h). Any input
// is either rejected with an error or read into a signed grant (or a bare grant) whose JSON form
// reads back to the same canonical grant; checking a read grant never crashes and never calls a
// grant this process did not sign covered.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "mamori/governance/reidentification.h"

namespace {

namespace governance = mamori::governance;
using nlohmann::json;

const mamori::ledger::SigningKey& overseer() {
  static const auto key = mamori::ledger::SigningKey::generate(mamori::ledger::KeyRole::overseer);
  return key;
}

void check_grant(const json& input) {
  auto grant = governance::reidentification_grant_from_json(input);
  if (!grant) {
    if (grant.error().message.empty()) std::abort();
    return;
  }
  const std::string canonical = governance::canonical_reidentification_grant(*grant);
  auto again = governance::reidentification_grant_from_json(
      governance::reidentification_grant_to_json(*grant));
  if (!again || governance::canonical_reidentification_grant(*again) != canonical) std::abort();
  // A grant listing criminal investigation is never valid.
  const bool valid = governance::validate_reidentification_grant(*grant).has_value();
  for (const auto& purpose : grant->purposes) {
    if (valid && governance::is_criminal_investigation(purpose)) std::abort();
  }
}

void check_signed(const json& input) {
  auto signed_grant = governance::signed_reidentification_grant_from_json(input);
  if (!signed_grant) {
    if (signed_grant.error().message.empty()) std::abort();
    return;
  }
  auto again = governance::signed_reidentification_grant_from_json(
      governance::signed_reidentification_grant_to_json(*signed_grant));
  if (!again ||
      governance::canonical_reidentification_grant(again->grant) !=
          governance::canonical_reidentification_grant(signed_grant->grant) ||
      again->signature != signed_grant->signature ||
      again->approved_at != signed_grant->approved_at ||
      again->overseer_key_id != signed_grant->overseer_key_id) {
    std::abort();
  }
  const auto& grant = signed_grant->grant;
  const auto role = grant.roles.empty() ? governance::Role::analyst : grant.roles.front();
  const std::string purpose = grant.purposes.empty() ? std::string() : grant.purposes.front();
  // The fuzzer cannot forge a signature by this process's fresh key.
  const auto decision = governance::check_reidentification({*signed_grant}, overseer().public_key(),
                                                           role, purpose, grant.not_before);
  if (!decision.refusal || decision.message.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json input = json::parse(data, data + size, nullptr, false);
  if (input.is_discarded()) return 0;
  check_signed(input);
  check_grant(input);
  if (input.is_object() && input.contains("grant")) check_grant(input["grant"]);
  return 0;
}
