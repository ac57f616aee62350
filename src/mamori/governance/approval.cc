#include "mamori/governance/approval.h"

#include <algorithm>

#include "mamori/governance/access.h"
#include "mamori/governance/json_fields.h"
#include "mamori/governance/signed_document.h"

namespace mamori::governance {
namespace {

using nlohmann::json;

constexpr std::string_view kSignatureDomain = "mamori-approval-v1";
constexpr std::string_view kApprovalKind = "mamori-approval";
// An approval file is a few kilobytes; anything far larger is not one.
constexpr std::uintmax_t kMaxApprovalFileBytes = 1 << 20;

struct BasisNames {
  LegalBasis basis;
  std::string_view machine;
  std::string_view japanese;
};
constexpr BasisNames kBases[] = {
    {LegalBasis::foreign_foreign, "foreign-foreign", "外外通信目的送信措置"},
    {LegalBasis::foreign_domestic, "foreign-domestic", "特定外内通信目的送信措置"},
    {LegalBasis::domestic_foreign, "domestic-foreign", "特定内外通信目的送信措置"},
    {LegalBasis::party_agreement, "party-agreement", "当事者協定"},
};

constexpr scope::Category kCategoriesByName[] = {scope::Category::DF, scope::Category::FD,
                                                 scope::Category::FF};

using detail::has_control_characters;
using detail::is_identifier;
using detail::is_lower_hex;
using detail::printable;
using detail::shown_id;
using detail::shown_time;

bool is_sensor_name(std::string_view text) {
  // The same alphabet the sieve configuration accepts for `sensor`.
  return is_identifier(text, 64) && text.find(':') == std::string_view::npos;
}

std::string categories_text(scope::CategorySet set) {
  std::string out;
  for (const auto category : kCategoriesByName) {
    if (!set.contains(category)) continue;
    if (!out.empty()) out += ',';
    out += scope::to_string(category);
  }
  return out.empty() ? std::string("none") : out;
}

// Long hashes are shortened for reading, unless shortening would hide their difference.
std::pair<std::string, std::string> abbreviate_pair(const std::string& a, const std::string& b) {
  const auto shorten = [](const std::string& h) {
    return h.size() <= 16 ? h : h.substr(0, 8) + "…" + h.substr(h.size() - 4);
  };
  std::string short_a = shorten(a);
  std::string short_b = shorten(b);
  if (short_a == short_b) return {a, b};
  return {std::move(short_a), std::move(short_b)};
}

scope::CategorySet allowed_categories(LegalBasis basis) {
  scope::CategorySet set;
  switch (basis) {
    case LegalBasis::foreign_foreign:
      set.add(scope::Category::FF);
      break;
    case LegalBasis::foreign_domestic:
      set.add(scope::Category::FD);
      break;
    case LegalBasis::domestic_foreign:
      set.add(scope::Category::DF);
      break;
    case LegalBasis::party_agreement:
      // A party's own prefixes may be on either side of any non-domestic pair; the sieve
      // restricts processing to those prefixes (I3).
      set.add(scope::Category::FF);
      set.add(scope::Category::FD);
      set.add(scope::Category::DF);
      break;
  }
  return set;
}

json categories_json(scope::CategorySet set) {
  json out = json::array();
  for (const auto category : kCategoriesByName) {
    if (set.contains(category)) out.push_back(std::string(scope::to_string(category)));
  }
  return out;
}

std::string signed_message(const ApprovalRequest& request) {
  return detail::domain_message(kSignatureDomain, canonical_request(request));
}

Result<ApprovalRequest> parse_request(const json& json, const std::string& where) {
  detail::JsonFields fields(json, where);
  ApprovalRequest request;
  request.id = fields.string("id");
  if (const auto basis_text = fields.string("legal_basis"); fields.ok()) {
    if (auto basis = parse_legal_basis(basis_text)) {
      request.basis = *basis;
    } else {
      fields.error("legal_basis", basis.error().message);
    }
  }
  request.agreement_id = fields.nullable_string("agreement_id");
  for (const auto& text : fields.string_list("party_prefixes", false)) {
    auto prefix = Prefix::parse(text);
    if (!prefix) {
      fields.error("party_prefixes", prefix.error().message);
      break;
    }
    request.party_prefixes.push_back(*prefix);
  }
  request.agreement_purposes = fields.string_list("agreement_purposes", false);
  request.sensor = fields.string("sensor");
  for (const auto& name : fields.string_list("categories")) {
    const auto category = scope::parse_category(name);
    if (!category) {
      fields.error("categories", fmt::format("'{}' is not one of DF, FD, FF", name));
      break;
    }
    if (*category == scope::Category::DD) {
      fields.error("categories", "DD (domestic to domestic) can never be approved");
      break;
    }
    if (request.categories.contains(*category)) {
      fields.error("categories", fmt::format("'{}' is listed twice", name));
      break;
    }
    request.categories.add(*category);
  }
  request.ruleset_hash = fields.string("ruleset_hash");
  request.inspect_bytes = fields.unsigned_integer("inspect_bytes");
  request.not_before = fields.time("not_before");
  request.not_after = fields.time("not_after");
  request.requested_by = fields.string("requested_by");
  request.requested_at = fields.time("requested_at");
  request.justification = fields.string("justification", false);
  fields.reject_unknown();
  if (auto ok = fields.result(); !ok) return fail(ok.error());
  return request;
}

}  // namespace

std::string_view to_string(LegalBasis basis) {
  for (const auto& names : kBases) {
    if (names.basis == basis) return names.machine;
  }
  return "unknown";
}

std::string_view japanese_name(LegalBasis basis) {
  for (const auto& names : kBases) {
    if (names.basis == basis) return names.japanese;
  }
  return "不明";
}

Result<LegalBasis> parse_legal_basis(std::string_view text) {
  for (const auto& names : kBases) {
    if (text == names.machine || text == names.japanese) return names.basis;
  }
  return fail(
      "'{}' is not a legal basis (foreign-foreign, foreign-domestic, domestic-foreign, "
      "party-agreement)",
      printable(text));
}

Result<void> validate_request(const ApprovalRequest& request) {
  const auto invalid = [](std::string_view field, std::string_view why) {
    return fail("request.{}: {}", field, why);
  };
  if (!is_identifier(request.id, 128)) {
    return invalid("id", "must be 1-128 characters of A-Z a-z 0-9 . _ : -");
  }
  if (!is_sensor_name(request.sensor)) {
    return invalid("sensor", "must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  if (!is_lower_hex(request.ruleset_hash, 64)) {
    return invalid("ruleset_hash", "must be the 64 lowercase hex digits of a SHA-256");
  }
  if (request.categories.empty()) return invalid("categories", "must name at least one category");
  if (request.categories.contains(scope::Category::DD)) {
    return invalid("categories", "DD (domestic to domestic) can never be approved");
  }
  const scope::CategorySet allowed = allowed_categories(request.basis);
  if ((request.categories.bits() & ~allowed.bits()) != 0) {
    return invalid("categories",
                   fmt::format("{} is not allowed under {} ({}); it allows only {}",
                               categories_text(request.categories), to_string(request.basis),
                               japanese_name(request.basis), categories_text(allowed)));
  }
  if (!(request.not_before < request.not_after)) {
    return invalid("not_after",
                   fmt::format("must be later than not_before ({} is not after {})",
                               shown_time(request.not_after), shown_time(request.not_before)));
  }
  if (request.basis == LegalBasis::party_agreement) {
    if (!request.agreement_id || !is_identifier(*request.agreement_id, 128)) {
      return invalid("agreement_id",
                     "a party agreement (当事者協定) needs an agreement id of 1-128 characters "
                     "of A-Z a-z 0-9 . _ : -");
    }
    if (request.party_prefixes.empty()) {
      return invalid("party_prefixes", "a party agreement (当事者協定) needs the party's prefixes");
    }
    for (std::size_t i = 0; i < request.party_prefixes.size(); ++i) {
      for (std::size_t k = 0; k < i; ++k) {
        if (request.party_prefixes[k] == request.party_prefixes[i]) {
          return invalid("party_prefixes",
                         fmt::format("{} is listed twice", request.party_prefixes[i].to_string()));
        }
      }
    }
    for (std::size_t i = 0; i < request.agreement_purposes.size(); ++i) {
      const std::string& purpose = request.agreement_purposes[i];
      if (purpose.empty() || !detail::is_valid_utf8(purpose) || has_control_characters(purpose)) {
        return invalid("agreement_purposes", fmt::format("element {} must be a purpose id", i));
      }
      if (is_criminal_investigation(purpose)) {
        return invalid("agreement_purposes",
                       "criminal investigation (犯罪捜査) can never be a purpose for selected "
                       "communications information");
      }
      for (std::size_t k = 0; k < i; ++k) {
        if (request.agreement_purposes[k] == purpose) {
          return invalid("agreement_purposes", fmt::format("'{}' is listed twice", purpose));
        }
      }
    }
  } else {
    const auto only_for_agreements =
        fmt::format("is only for a party agreement (当事者協定), not {}", to_string(request.basis));
    if (request.agreement_id) return invalid("agreement_id", only_for_agreements);
    if (!request.party_prefixes.empty()) return invalid("party_prefixes", only_for_agreements);
    if (!request.agreement_purposes.empty()) {
      return invalid("agreement_purposes", only_for_agreements);
    }
  }
  if (request.requested_by.empty() || !detail::is_valid_utf8(request.requested_by) ||
      has_control_characters(request.requested_by)) {
    return invalid("requested_by", "must name who asked, in printable UTF-8");
  }
  if (!detail::is_valid_utf8(request.justification)) {
    return invalid("justification", "must be UTF-8 text");
  }
  return {};
}

json request_to_json(const ApprovalRequest& request) {
  json out = json::object();
  out["id"] = request.id;
  out["legal_basis"] = std::string(to_string(request.basis));
  out["agreement_id"] = request.agreement_id ? json(*request.agreement_id) : json(nullptr);
  json prefixes = json::array();
  for (const auto& prefix : request.party_prefixes) prefixes.push_back(prefix.to_string());
  out["party_prefixes"] = std::move(prefixes);
  out["agreement_purposes"] = request.agreement_purposes;
  out["sensor"] = request.sensor;
  out["categories"] = categories_json(request.categories);
  out["ruleset_hash"] = request.ruleset_hash;
  out["inspect_bytes"] = request.inspect_bytes;
  out["not_before"] = format_rfc3339_micros(request.not_before);
  out["not_after"] = format_rfc3339_micros(request.not_after);
  out["requested_by"] = request.requested_by;
  out["requested_at"] = format_rfc3339_micros(request.requested_at);
  out["justification"] = request.justification;
  return out;
}

Result<ApprovalRequest> request_from_json(const json& json) { return parse_request(json, ""); }

std::string canonical_request(const ApprovalRequest& request) {
  // nlohmann::json objects are std::map: keys come out sorted, so this is canonical.
  return detail::dump_compact(request_to_json(request));
}

Result<Approval> approve(const ApprovalRequest& request, const ledger::SigningKey& overseer,
                         Timestamp approved_at) {
  if (auto ok = detail::require_overseer_key(overseer, "approve"); !ok) return fail(ok.error());
  if (auto ok = validate_request(request); !ok) {
    return fail("approval request {} is invalid: {} / 承認申請の内容が不正です",
                shown_id(request.id), ok.error().message);
  }
  // What is signed is the JSON form; reading it back gives exactly what a reader of the
  // approval file will see (times at microsecond precision).
  auto normalized = request_from_json(request_to_json(request));
  if (!normalized) return fail(normalized.error());
  Approval approval;
  approval.request = std::move(*normalized);
  approval.overseer_key_id = overseer.public_key().key_id();
  approval.approved_at = detail::to_micros(approved_at);
  approval.signature = overseer.sign(signed_message(approval.request));
  return approval;
}

json approval_to_json(const Approval& approval) {
  json out = json::object();
  out["kind"] = std::string(kApprovalKind);
  out["request"] = request_to_json(approval.request);
  out["overseer_key_id"] = approval.overseer_key_id;
  out["approved_at"] = format_rfc3339_micros(approval.approved_at);
  out["signature"] = ledger::signature_to_hex(approval.signature);
  return out;
}

Result<Approval> approval_from_json(const json& json) {
  detail::JsonFields fields(json, "");
  Approval approval;
  if (const auto kind = fields.string("kind"); fields.ok() && kind != kApprovalKind) {
    fields.error("kind", fmt::format("must be \"{}\"", kApprovalKind));
  }
  if (const auto* request = fields.member("request"); request && fields.ok()) {
    auto parsed = parse_request(*request, "request");
    if (!parsed) return fail(parsed.error());
    approval.request = std::move(*parsed);
  }
  approval.overseer_key_id = fields.string("overseer_key_id");
  approval.approved_at = fields.time("approved_at");
  if (const auto hex = fields.string("signature"); fields.ok()) {
    if (auto signature = ledger::signature_from_hex(hex)) {
      approval.signature = *signature;
    } else {
      fields.error("signature", "must be the 128 hex digits of an Ed25519 signature");
    }
  }
  fields.reject_unknown();
  if (auto ok = fields.result(); !ok) return fail(ok.error());
  return approval;
}

Result<Approval> load_approval(const std::string& path) {
  auto parsed = detail::read_json_document(path, "approval", kMaxApprovalFileBytes);
  if (!parsed) return fail(parsed.error());
  auto approval = approval_from_json(*parsed);
  if (!approval) return fail("{}: {}", path, approval.error().message);
  return approval;
}

std::string_view to_string(Refusal refusal) {
  switch (refusal) {
    case Refusal::no_approval:
      return "no-approval";
    case Refusal::malformed:
      return "malformed";
    case Refusal::signature:
      return "signature";
    case Refusal::signer:
      return "signer";
    case Refusal::sensor:
      return "sensor";
    case Refusal::categories:
      return "categories";
    case Refusal::ruleset:
      return "ruleset";
    case Refusal::inspect_bytes:
      return "inspect-bytes";
    case Refusal::not_yet_valid:
      return "not-yet-valid";
    case Refusal::expired:
      return "expired";
  }
  return "unknown";
}

ApprovalDecision check_approval(const Approval& approval, const ledger::PublicKey& trusted_overseer,
                                const SelectionPlan& plan) {
  const ApprovalRequest& request = approval.request;
  const std::string id = shown_id(request.id);
  const auto refuse = [](Refusal refusal, std::string message) {
    return ApprovalDecision{refusal, std::move(message)};
  };

  if (auto ok = validate_request(request); !ok) {
    return refuse(
        Refusal::malformed,
        fmt::format("approval {} is malformed: {} / 承認の内容が不正です", id, ok.error().message));
  }
  const std::string trusted_id = trusted_overseer.key_id();
  switch (detail::check_signer(trusted_overseer, approval.overseer_key_id, signed_message(request),
                               approval.signature)) {
    case detail::SignerCheck::ok:
      break;
    case detail::SignerCheck::bad_key_id:
      return refuse(Refusal::malformed,
                    fmt::format("approval {} is malformed: overseer_key_id must be 16 lowercase "
                                "hex digits / 承認の内容が不正です",
                                id));
    case detail::SignerCheck::untrusted_role:
      return refuse(Refusal::signer,
                    fmt::format("the key {} trusted to check approval {} is a {} key, not the "
                                "overseer's / 信頼する鍵が監理委員会の鍵ではありません",
                                trusted_id, id, ledger::to_string(trusted_overseer.role)));
    case detail::SignerCheck::signer:
      return refuse(Refusal::signer,
                    fmt::format("approval {} is signed by key {} but the trusted overseer key is "
                                "{} / 監理委員会の鍵で署名されていません",
                                id, approval.overseer_key_id, trusted_id));
    case detail::SignerCheck::signature:
      return refuse(Refusal::signature,
                    fmt::format("approval {}: the signature does not verify with the overseer key "
                                "{}; the approval was changed after it was signed / "
                                "署名を検証できません（承認後に内容が変更されています）",
                                id, trusted_id));
    case detail::SignerCheck::key_id_mismatch:
      return refuse(Refusal::malformed,
                    fmt::format("approval {} names key {} as its signer but is signed by the "
                                "overseer key {} / 承認の内容が不正です",
                                id, approval.overseer_key_id, trusted_id));
  }
  if (plan.sensor != request.sensor) {
    return refuse(Refusal::sensor,
                  fmt::format("approval {} is for sensor '{}', not for sensor '{}' / "
                              "このセンサーは承認されていません",
                              id, request.sensor, printable(plan.sensor)));
  }
  const std::uint8_t uncovered = plan.categories.bits() & ~request.categories.bits();
  if (uncovered != 0) {
    scope::CategorySet missing;
    for (const auto category : kCategoriesByName) {
      if (plan.categories.contains(category) && !request.categories.contains(category)) {
        missing.add(category);
      }
    }
    // DD in a plan cannot be represented in a CategorySet; anything uncovered is named above.
    return refuse(Refusal::categories,
                  fmt::format("approval {} does not cover categories {} (planned: {}; approved: "
                              "{}) / 承認された通信の区分に含まれていません",
                              id, categories_text(missing), categories_text(plan.categories),
                              categories_text(request.categories)));
  }
  if (plan.ruleset_hash != request.ruleset_hash) {
    const auto [planned, approved] = abbreviate_pair(plan.ruleset_hash, request.ruleset_hash);
    return refuse(
        Refusal::ruleset,
        fmt::format("approval {} does not cover ruleset {} (approved: {}) / "
                    "承認されたルールセットと一致しません",
                    id, is_lower_hex(plan.ruleset_hash, 64) ? planned : "(not a hash)", approved));
  }
  if (plan.inspect_bytes > request.inspect_bytes) {
    return refuse(Refusal::inspect_bytes,
                  fmt::format("approval {} allows inspecting {} bytes per flow, the sieve is set "
                              "to {} / 承認された検査バイト数を超えています",
                              id, request.inspect_bytes, plan.inspect_bytes));
  }
  if (plan.now < request.not_before) {
    return refuse(Refusal::not_yet_valid,
                  fmt::format("approval {} is valid from {} (now {}) / "
                              "承認の有効期間がまだ始まっていません",
                              id, shown_time(request.not_before), shown_time(plan.now)));
  }
  if (plan.now >= request.not_after) {
    return refuse(Refusal::expired,
                  fmt::format("approval {} expired at {} (now {}) / 承認の有効期間が終了しています",
                              id, shown_time(request.not_after), shown_time(plan.now)));
  }
  return ApprovalDecision{
      std::nullopt,
      fmt::format("approval {} covers sensor '{}', categories {}, ruleset {} until {} / "
                  "承認の範囲内です",
                  id, request.sensor, categories_text(plan.categories),
                  abbreviate_pair(request.ruleset_hash, std::string()).first,
                  shown_time(request.not_after))};
}

}  // namespace mamori::governance
