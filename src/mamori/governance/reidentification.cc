#include "mamori/governance/reidentification.h"

#include <algorithm>

#include "mamori/governance/json_fields.h"
#include "mamori/governance/signed_document.h"

namespace mamori::governance {
namespace {

using detail::has_control_characters;
using detail::shown_id;
using detail::shown_time;
using nlohmann::json;

constexpr std::string_view kSignatureDomain = "mamori-reidentification-grant-v1";
constexpr std::string_view kGrantKind = "mamori-reidentification-grant";
// A grant file is well under a kilobyte; anything far larger is not one.
constexpr std::uintmax_t kMaxGrantFileBytes = 1 << 20;

constexpr std::string_view kNeverCriminal =
    "criminal investigation (犯罪捜査) can never be a purpose for re-identification";

// The alphabet of [[access.purposes]] ids.
bool is_purpose_id(std::string_view text) {
  return detail::is_identifier(text, 64) && text.find(':') == std::string_view::npos;
}

std::string signed_message(const ReidentificationGrant& grant) {
  return detail::domain_message(kSignatureDomain, canonical_reidentification_grant(grant));
}

std::string roles_text(const std::vector<Role>& roles) {
  std::string out;
  for (const Role role : roles) {
    if (!out.empty()) out += ',';
    out += to_string(role);
  }
  return out.empty() ? std::string("none") : out;
}

std::string purposes_text(const std::vector<std::string>& purposes) {
  std::string out;
  for (const auto& purpose : purposes) {
    if (!out.empty()) out += ',';
    out += detail::printable(purpose);
  }
  return out.empty() ? std::string("none") : out;
}

Result<ReidentificationGrant> parse_grant(const json& json, const std::string& where) {
  detail::JsonFields fields(json, where);
  ReidentificationGrant grant;
  grant.id = fields.string("id");
  for (const auto& name : fields.string_list("roles")) {
    auto role = parse_role(name);
    if (!role) {
      fields.error("roles", role.error().message);
      break;
    }
    grant.roles.push_back(*role);
  }
  grant.purposes = fields.string_list("purposes");
  grant.not_before = fields.time("not_before");
  grant.not_after = fields.time("not_after");
  grant.granted_by = fields.string("granted_by");
  grant.justification = fields.string("justification", false);
  fields.reject_unknown();
  if (auto ok = fields.result(); !ok) return fail(ok.error());
  return grant;
}

// The first criminal-investigation purpose a grant lists, if any.
const std::string* criminal_purpose(const ReidentificationGrant& grant) {
  const auto found =
      std::find_if(grant.purposes.begin(), grant.purposes.end(),
                   [](const std::string& p) { return is_criminal_investigation(p); });
  return found == grant.purposes.end() ? nullptr : &*found;
}

// Checks one grant; `stage` is how far it got (the index of the failing check).
ReidentificationDecision check_one(const SignedReidentificationGrant& signed_grant,
                                   const ledger::PublicKey& trusted_overseer, Role role,
                                   std::string_view purpose, Timestamp now, int& stage) {
  using R = ReidentificationRefusal;
  const ReidentificationGrant& grant = signed_grant.grant;
  const std::string id = shown_id(grant.id);
  const auto refuse = [&](R refusal, std::string message) {
    return ReidentificationDecision{refusal, std::move(message), {}};
  };
  stage = 0;
  if (criminal_purpose(grant) != nullptr) {
    return refuse(
        R::criminal_investigation,
        fmt::format("re-identification grant {} lists criminal investigation (犯罪捜査) "
                    "as a purpose and is void / 犯罪捜査を目的とする再識別の許可は無効です",
                    id));
  }
  if (auto ok = validate_reidentification_grant(grant); !ok) {
    return refuse(R::malformed, fmt::format("re-identification grant {} is malformed: {} / "
                                            "再識別の許可の内容が不正です",
                                            id, ok.error().message));
  }
  stage = 1;
  const std::string trusted_id = trusted_overseer.key_id();
  switch (detail::check_signer(trusted_overseer, signed_grant.overseer_key_id,
                               signed_message(grant), signed_grant.signature)) {
    case detail::SignerCheck::ok:
      break;
    case detail::SignerCheck::bad_key_id:
      return refuse(R::malformed,
                    fmt::format("re-identification grant {} is malformed: overseer_key_id must be "
                                "16 lowercase hex digits / 再識別の許可の内容が不正です",
                                id));
    case detail::SignerCheck::untrusted_role:
      return refuse(
          R::signer,
          fmt::format("the key {} trusted to check re-identification grant {} is a {} "
                      "key, not the overseer's / 信頼する鍵が監理委員会の鍵ではありません",
                      trusted_id, id, ledger::to_string(trusted_overseer.role)));
    case detail::SignerCheck::signer:
      return refuse(R::signer,
                    fmt::format("re-identification grant {} is signed by key {} but the trusted "
                                "overseer key is {} / 監理委員会の鍵で署名されていません",
                                id, signed_grant.overseer_key_id, trusted_id));
    case detail::SignerCheck::signature:
      return refuse(R::signature,
                    fmt::format("re-identification grant {}: the signature does not verify with "
                                "the overseer key {}; the grant was changed after it was signed / "
                                "署名を検証できません（許可後に内容が変更されています）",
                                id, trusted_id));
    case detail::SignerCheck::key_id_mismatch:
      return refuse(R::malformed,
                    fmt::format("re-identification grant {} names key {} as its signer but is "
                                "signed by the overseer key {} / 再識別の許可の内容が不正です",
                                id, signed_grant.overseer_key_id, trusted_id));
  }
  stage = 2;
  if (std::find(grant.roles.begin(), grant.roles.end(), role) == grant.roles.end()) {
    return refuse(R::role, fmt::format("re-identification grant {} does not cover role '{}' "
                                       "(granted: {}) / この役割には再識別が許可されていません",
                                       id, to_string(role), roles_text(grant.roles)));
  }
  stage = 3;
  if (std::find(grant.purposes.begin(), grant.purposes.end(), purpose) == grant.purposes.end()) {
    return refuse(R::purpose,
                  fmt::format("re-identification grant {} does not cover purpose '{}' "
                              "(granted: {}) / この利用目的での再識別は許可されて"
                              "いません",
                              id, detail::printable(purpose), purposes_text(grant.purposes)));
  }
  stage = 4;
  if (now < grant.not_before) {
    return refuse(R::not_yet_valid,
                  fmt::format("re-identification grant {} is valid from {} (now {}) / "
                              "再識別の許可の有効期間がまだ始まっていません",
                              id, shown_time(grant.not_before), shown_time(now)));
  }
  stage = 5;
  if (now >= grant.not_after) {
    return refuse(R::expired, fmt::format("re-identification grant {} expired at {} (now {}) / "
                                          "再識別の許可の有効期間が終了しています",
                                          id, shown_time(grant.not_after), shown_time(now)));
  }
  stage = 6;
  return ReidentificationDecision{
      std::nullopt,
      fmt::format("re-identification grant {} covers role '{}' and purpose '{}' until {} / "
                  "再識別が許可されています",
                  id, to_string(role), purpose, shown_time(grant.not_after)),
      grant.id};
}

}  // namespace

Result<void> validate_reidentification_grant(const ReidentificationGrant& grant) {
  const auto invalid = [](std::string_view field, std::string_view why) {
    return fail("grant.{}: {}", field, why);
  };
  if (!detail::is_identifier(grant.id, 128)) {
    return invalid("id", "must be 1-128 characters of A-Z a-z 0-9 . _ : -");
  }
  if (grant.roles.empty()) return invalid("roles", "must name at least one role");
  for (std::size_t i = 0; i < grant.roles.size(); ++i) {
    for (std::size_t k = 0; k < i; ++k) {
      if (grant.roles[k] == grant.roles[i]) {
        return invalid("roles", fmt::format("'{}' is listed twice", to_string(grant.roles[i])));
      }
    }
  }
  if (grant.purposes.empty()) return invalid("purposes", "must name at least one purpose");
  // Before the alphabet: "犯罪捜査" is not a purpose id either, but the reason that matters is
  // that it can never be one.
  if (criminal_purpose(grant) != nullptr) return invalid("purposes", kNeverCriminal);
  for (std::size_t i = 0; i < grant.purposes.size(); ++i) {
    const std::string& purpose = grant.purposes[i];
    if (!is_purpose_id(purpose)) {
      return invalid("purposes",
                     fmt::format("element {} must be a purpose id of 1-64 characters of "
                                 "A-Z a-z 0-9 . _ -",
                                 i));
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (grant.purposes[k] == purpose) {
        return invalid("purposes", fmt::format("'{}' is listed twice", purpose));
      }
    }
  }
  if (!(grant.not_before < grant.not_after)) {
    return invalid("not_after",
                   fmt::format("must be later than not_before ({} is not after {})",
                               shown_time(grant.not_after), shown_time(grant.not_before)));
  }
  if (grant.granted_by.empty() || !detail::is_valid_utf8(grant.granted_by) ||
      has_control_characters(grant.granted_by)) {
    return invalid("granted_by", "must name who granted, in printable UTF-8");
  }
  if (!detail::is_valid_utf8(grant.justification)) {
    return invalid("justification", "must be UTF-8 text");
  }
  return {};
}

json reidentification_grant_to_json(const ReidentificationGrant& grant) {
  json out = json::object();
  out["id"] = grant.id;
  json roles = json::array();
  for (const Role role : grant.roles) roles.push_back(std::string(to_string(role)));
  out["roles"] = std::move(roles);
  out["purposes"] = grant.purposes;
  out["not_before"] = format_rfc3339_micros(grant.not_before);
  out["not_after"] = format_rfc3339_micros(grant.not_after);
  out["granted_by"] = grant.granted_by;
  out["justification"] = grant.justification;
  return out;
}

Result<ReidentificationGrant> reidentification_grant_from_json(const json& json) {
  return parse_grant(json, "");
}

std::string canonical_reidentification_grant(const ReidentificationGrant& grant) {
  // nlohmann::json objects are std::map: keys come out sorted, so this is canonical.
  return detail::dump_compact(reidentification_grant_to_json(grant));
}

Result<SignedReidentificationGrant> sign_reidentification_grant(const ReidentificationGrant& grant,
                                                                const ledger::SigningKey& overseer,
                                                                Timestamp approved_at) {
  if (auto ok = detail::require_overseer_key(overseer, "grant re-identification"); !ok) {
    return fail(ok.error());
  }
  if (auto ok = validate_reidentification_grant(grant); !ok) {
    return fail("re-identification grant {} is invalid: {} / 再識別の許可の内容が不正です",
                shown_id(grant.id), ok.error().message);
  }
  // What is signed is the JSON form; reading it back gives exactly what a reader of the grant
  // file will see (times at microsecond precision).
  auto normalized = reidentification_grant_from_json(reidentification_grant_to_json(grant));
  if (!normalized) return fail(normalized.error());
  SignedReidentificationGrant signed_grant;
  signed_grant.grant = std::move(*normalized);
  signed_grant.overseer_key_id = overseer.public_key().key_id();
  signed_grant.approved_at = detail::to_micros(approved_at);
  signed_grant.signature = overseer.sign(signed_message(signed_grant.grant));
  return signed_grant;
}

json signed_reidentification_grant_to_json(const SignedReidentificationGrant& signed_grant) {
  json out = json::object();
  out["kind"] = std::string(kGrantKind);
  out["grant"] = reidentification_grant_to_json(signed_grant.grant);
  out["overseer_key_id"] = signed_grant.overseer_key_id;
  out["approved_at"] = format_rfc3339_micros(signed_grant.approved_at);
  out["signature"] = ledger::signature_to_hex(signed_grant.signature);
  return out;
}

Result<SignedReidentificationGrant> signed_reidentification_grant_from_json(const json& json) {
  detail::JsonFields fields(json, "");
  SignedReidentificationGrant signed_grant;
  if (const auto kind = fields.string("kind"); fields.ok() && kind != kGrantKind) {
    fields.error("kind", fmt::format("must be \"{}\"", kGrantKind));
  }
  if (const auto* grant = fields.member("grant"); grant && fields.ok()) {
    auto parsed = parse_grant(*grant, "grant");
    if (!parsed) return fail(parsed.error());
    signed_grant.grant = std::move(*parsed);
  }
  signed_grant.overseer_key_id = fields.string("overseer_key_id");
  signed_grant.approved_at = fields.time("approved_at");
  if (const auto hex = fields.string("signature"); fields.ok()) {
    if (auto signature = ledger::signature_from_hex(hex)) {
      signed_grant.signature = *signature;
    } else {
      fields.error("signature", "must be the 128 hex digits of an Ed25519 signature");
    }
  }
  fields.reject_unknown();
  if (auto ok = fields.result(); !ok) return fail(ok.error());
  return signed_grant;
}

Result<SignedReidentificationGrant> load_reidentification_grant(const std::string& path) {
  auto parsed = detail::read_json_document(path, "re-identification grant", kMaxGrantFileBytes);
  if (!parsed) return fail(parsed.error());
  auto signed_grant = signed_reidentification_grant_from_json(*parsed);
  if (!signed_grant) return fail("{}: {}", path, signed_grant.error().message);
  return signed_grant;
}

std::string_view to_string(ReidentificationRefusal refusal) {
  switch (refusal) {
    case ReidentificationRefusal::no_grant:
      return "no-grant";
    case ReidentificationRefusal::criminal_investigation:
      return "criminal-investigation";
    case ReidentificationRefusal::malformed:
      return "malformed";
    case ReidentificationRefusal::signer:
      return "signer";
    case ReidentificationRefusal::signature:
      return "signature";
    case ReidentificationRefusal::role:
      return "role";
    case ReidentificationRefusal::purpose:
      return "purpose";
    case ReidentificationRefusal::not_yet_valid:
      return "not-yet-valid";
    case ReidentificationRefusal::expired:
      return "expired";
  }
  return "unknown";
}

ReidentificationDecision check_reidentification(
    const std::vector<SignedReidentificationGrant>& grants,
    const ledger::PublicKey& trusted_overseer, Role role, std::string_view purpose, Timestamp now) {
  // Before any grant, and whatever a grant says (I7): the purpose text is not echoed back.
  if (is_criminal_investigation(purpose)) {
    return {ReidentificationRefusal::criminal_investigation,
            "criminal investigation (犯罪捜査) is never a permitted purpose for re-identification "
            "/ 犯罪捜査のために仮名を再識別することはできません",
            {}};
  }
  if (grants.empty()) {
    return {ReidentificationRefusal::no_grant,
            "re-identification needs a grant signed by the overseer, and none is configured / "
            "再識別には監理委員会が署名した許可が必要です",
            {}};
  }
  std::optional<ReidentificationDecision> closest;
  int closest_stage = -1;
  for (const auto& grant : grants) {
    int stage = 0;
    auto decision = check_one(grant, trusted_overseer, role, purpose, now, stage);
    if (!decision.refusal) return decision;
    if (stage > closest_stage) {
      closest_stage = stage;
      closest = std::move(decision);
    }
  }
  return *closest;
}

}  // namespace mamori::governance
