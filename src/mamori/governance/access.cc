#include "mamori/governance/access.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

#include <sodium.h>

#include "mamori/core/utf8.h"
#include "mamori/governance/json_fields.h"

namespace mamori::governance {
namespace {

using nlohmann::json;

constexpr std::string_view kTokenPrefix = "mmr_";
constexpr std::size_t kTokenRandomBytes = 32;
constexpr std::size_t kTokenIdDigits = 12;

void ensure_sodium() {
  // sodium_init is safe to call repeatedly, but once is enough; failure means no usable
  // randomness, and nothing here may continue without it.
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
}

struct RoleName {
  Role role;
  std::string_view name;
};
constexpr RoleName kRoles[] = {{Role::analyst, "analyst"},
                               {Role::overseer, "overseer"},
                               {Role::operator_, "operator"},
                               {Role::admin, "admin"}};

// --- criminal-investigation detection --------------------------------------------------------
// Purpose ids and labels are compared after folding the forms an operator (or someone trying
// to slip a purpose past the check) might write: ASCII case, full-width Latin letters
// (ＣＲＩＭＩＮＡＬ), and every separator — ASCII punctuation and spaces, the ideographic space
// and the middle dot (犯罪・捜査) — removed, so "criminal_investigation", "Criminal
// Investigation" and "criminal-investigation-support" all reduce to the same core.

bool is_separator(std::uint32_t code) {
  if (code < 0x80) {
    const char c = static_cast<char>(code);
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return !alnum;
  }
  return code == 0x3000 || code == 0x30fb || code == 0xff65 || code == 0x00a0;
}

std::string fold_purpose(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t at = pos;
    const auto decoded = decode_utf8(text, pos);
    if (!decoded) {
      out.push_back(text[at]);  // not UTF-8: keep the byte, it can only fail to match
      continue;
    }
    char32_t code = fold_fullwidth_ascii(*decoded);
    if (is_separator(code)) continue;
    if (code >= 'A' && code <= 'Z') code += 'a' - 'A';
    append_utf8(out, code);
  }
  return out;
}

std::string join_roles(const std::vector<Role>& roles) {
  std::string out;
  for (const Role role : roles) {
    if (!out.empty()) out += ", ";
    out += to_string(role);
  }
  return out.empty() ? std::string("none") : out;
}

std::string shown_time(Timestamp t) {
  return t.nanos % 1'000'000'000 == 0 ? format_rfc3339_seconds(t) : format_rfc3339_micros(t);
}

bool covers(const Consent& consent, const User& user, std::string_view purpose,
            const PartyData& data) {
  return consent.agreement_id == data.agreement_id && consent.user == user.name &&
         consent.purpose == purpose && consent.data_since <= data.data_since &&
         data.data_until <= consent.data_until;
}

}  // namespace

std::string_view to_string(Role role) {
  for (const auto& entry : kRoles) {
    if (entry.role == role) return entry.name;
  }
  return "unknown";
}

Result<Role> parse_role(std::string_view text) {
  for (const auto& entry : kRoles) {
    if (entry.name == text) return entry.role;
  }
  return fail("'{}' is not a role (analyst, overseer, operator, admin)",
              text.size() <= 32 && detail::is_valid_utf8(text) ? text : "(unprintable)");
}

Result<std::string> hash_password(std::string_view password) {
  ensure_sodium();
  if (password.empty()) return fail("a password must not be empty");
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return fail("hashing the password failed (out of memory?)");
  }
  return std::string(out.data());
}

bool verify_password(const std::string& password_hash, std::string_view password) {
  ensure_sodium();
  // A stored hash is a NUL-free string shorter than STRBYTES; anything else verifies nothing.
  if (password_hash.empty() || password_hash.size() >= crypto_pwhash_STRBYTES ||
      password_hash.find('\0') != std::string::npos) {
    return false;
  }
  return crypto_pwhash_str_verify(password_hash.c_str(), password.data(), password.size()) == 0;
}

std::string new_api_token() {
  ensure_sodium();
  std::array<unsigned char, kTokenRandomBytes> random{};
  randombytes_buf(random.data(), random.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::array<char, sodium_base64_ENCODED_LEN(kTokenRandomBytes, kVariant)> text{};
  sodium_bin2base64(text.data(), text.size(), random.data(), random.size(), kVariant);
  sodium_memzero(random.data(), random.size());
  std::string token(kTokenPrefix);
  token += text.data();
  sodium_memzero(text.data(), text.size());
  return token;
}

std::string token_digest(std::string_view token) {
  ensure_sodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data());
}

std::string token_id(std::string_view token_digest_hex) {
  return std::string(token_digest_hex.substr(0, kTokenIdDigits));
}

bool is_criminal_investigation(std::string_view purpose) {
  const std::string folded = fold_purpose(purpose);
  return folded.find("criminalinvestigation") != std::string::npos ||
         folded.find("犯罪捜査") != std::string::npos;
}

const Purpose* AccessPolicy::find(std::string_view id) const {
  for (const auto& purpose : purposes) {
    if (purpose.id == id) return &purpose;
  }
  return nullptr;
}

json consent_to_json(const Consent& consent) {
  json out = json::object();
  out["id"] = consent.id;
  out["agreement_id"] = consent.agreement_id;
  out["user"] = consent.user;
  out["purpose"] = consent.purpose;
  out["data_since"] = format_rfc3339_micros(consent.data_since);
  out["data_until"] = format_rfc3339_micros(consent.data_until);
  out["recorded_by"] = consent.recorded_by;
  out["recorded_at"] = format_rfc3339_micros(consent.recorded_at);
  out["note"] = consent.note;
  return out;
}

Result<Consent> consent_from_json(const json& json) {
  detail::JsonFields fields(json, "consent");
  Consent consent;
  consent.id = fields.string("id");
  consent.agreement_id = fields.string("agreement_id");
  consent.user = fields.string("user");
  consent.purpose = fields.string("purpose");
  consent.data_since = fields.time("data_since");
  consent.data_until = fields.time("data_until");
  consent.recorded_by = fields.string("recorded_by");
  consent.recorded_at = fields.time("recorded_at");
  consent.note = fields.string("note", false);
  fields.reject_unknown();
  if (!fields.ok()) return fail(fields.result().error());
  for (const auto& [key, value] :
       {std::pair<std::string_view, const std::string*>{"id", &consent.id},
        {"agreement_id", &consent.agreement_id},
        {"user", &consent.user},
        {"purpose", &consent.purpose},
        {"recorded_by", &consent.recorded_by}}) {
    if (value->empty()) fields.error(key, "must not be empty");
  }
  if (!(consent.data_since < consent.data_until)) {
    fields.error("data_until", "must be later than data_since");
  }
  if (is_criminal_investigation(consent.purpose)) {
    fields.error("purpose",
                 "criminal investigation (犯罪捜査) can never be consented to for selected "
                 "communications information");
  }
  if (auto ok = fields.result(); !ok) return fail(ok.error());
  return consent;
}

std::string_view to_string(AccessRefusal refusal) {
  switch (refusal) {
    case AccessRefusal::no_user:
      return "no-user";
    case AccessRefusal::bad_credentials:
      return "bad-credentials";
    case AccessRefusal::disabled:
      return "disabled";
    case AccessRefusal::no_purpose:
      return "no-purpose";
    case AccessRefusal::criminal_investigation:
      return "criminal-investigation";
    case AccessRefusal::unknown_purpose:
      return "unknown-purpose";
    case AccessRefusal::role_not_allowed:
      return "role-not-allowed";
    case AccessRefusal::no_consent:
      return "no-consent";
  }
  return "unknown";
}

AccessDecision decide_read(const AccessPolicy& policy, const User& user, std::string_view purpose,
                           const std::vector<PartyData>& party_data,
                           const std::vector<Consent>& consents) {
  const auto refuse = [](AccessRefusal refusal, std::string message) {
    return AccessDecision{refusal, std::move(message), {}};
  };
  if (user.name.empty()) {
    return refuse(AccessRefusal::no_user,
                  "reading selected records needs an authenticated user / "
                  "選別後通信情報の閲覧には利用者の認証が必要です");
  }
  if (user.disabled) {
    return refuse(AccessRefusal::disabled, fmt::format("user '{}' is disabled / "
                                                       "この利用者は無効化されています",
                                                       user.name));
  }
  if (purpose.empty()) {
    return refuse(AccessRefusal::no_purpose,
                  "reading selected records needs a purpose / "
                  "選別後通信情報の閲覧には利用目的の指定が必要です");
  }
  // Before the configured list, and whatever it says: no role and no configuration can make
  // criminal investigation a purpose (I7). The purpose text is not echoed back.
  if (is_criminal_investigation(purpose)) {
    return refuse(AccessRefusal::criminal_investigation,
                  "criminal investigation (犯罪捜査) is never a permitted purpose for selected "
                  "communications information / 選別後通信情報を犯罪捜査のために利用することは"
                  "できません");
  }
  const Purpose* configured = policy.find(purpose);
  if (!configured) {
    std::string known;
    for (const auto& p : policy.purposes) {
      if (!known.empty()) known += ", ";
      known += p.id;
    }
    return refuse(AccessRefusal::unknown_purpose,
                  fmt::format("purpose '{}' is not a configured purpose (configured: {}) / "
                              "登録されていない利用目的です",
                              purpose.size() <= 64 && detail::is_valid_utf8(purpose)
                                  ? purpose
                                  : std::string_view("(unprintable)"),
                              known.empty() ? std::string("none") : known));
  }
  if (std::find(configured->roles.begin(), configured->roles.end(), user.role) ==
      configured->roles.end()) {
    return refuse(AccessRefusal::role_not_allowed,
                  fmt::format("role '{}' of user '{}' may not read for purpose '{}' (allowed: {}) "
                              "/ この役割にはこの利用目的での閲覧が認められていません",
                              to_string(user.role), user.name, configured->id,
                              join_roles(configured->roles)));
  }
  // Other-purpose use (他目的利用): agreement-party data read for a purpose the party did not
  // agree to. One consent must cover the whole range by itself: consents are recorded as the
  // party's written scope, and stitching several together would invent a scope no one wrote.
  std::vector<std::string> used;
  for (const PartyData& data : party_data) {
    const auto& agreed = data.agreement_purposes;
    if (std::find(agreed.begin(), agreed.end(), purpose) != agreed.end()) continue;
    const auto consent = std::find_if(consents.begin(), consents.end(), [&](const Consent& c) {
      return covers(c, user, purpose, data);
    });
    if (consent == consents.end()) {
      return refuse(AccessRefusal::no_consent,
                    fmt::format("reading data of agreement {} from {} to {} for purpose '{}' is "
                                "other-purpose use and needs a recorded consent for user '{}' "
                                "that covers that range / 他目的利用には、このデータ範囲・利用者・"
                                "利用目的を含む同意の記録が必要です",
                                data.agreement_id, shown_time(data.data_since),
                                shown_time(data.data_until), configured->id, user.name));
    }
    if (std::find(used.begin(), used.end(), consent->id) == used.end()) used.push_back(consent->id);
  }
  std::string message =
      fmt::format("user '{}' ({}) may read for purpose '{}' / 利用目的の範囲で閲覧が認められます",
                  user.name, to_string(user.role), configured->id);
  if (!used.empty()) {
    std::string ids;
    for (const auto& id : used) {
      if (!ids.empty()) ids += ", ";
      ids += id;
    }
    message += fmt::format(" (other-purpose use under consent {} / 同意に基づく他目的利用)", ids);
  }
  return AccessDecision{std::nullopt, std::move(message), std::move(used)};
}

}  // namespace mamori::governance
