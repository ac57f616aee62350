// intel/stix: identifiers, timestamps, TLP 2.0 markings and reference helpers. The TLP
// marking definitions are compiled in (they are fixed by OASIS and must be emitted unchanged);
// tests/intel/stix_test.cc checks them against data/tlp2-markings.json, the vendored copy.

#include "mamori/intel/stix.h"

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdlib>
#include <type_traits>
#include <utility>

namespace mamori::intel::stix {
namespace {

struct TlpInfo {
  Tlp tlp;
  std::string_view name;
  std::string_view value;
  std::string_view id;
};

constexpr std::array<TlpInfo, 5> kTlp = {{
    {Tlp::kClear, "TLP:CLEAR", "clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"},
    {Tlp::kGreen, "TLP:GREEN", "green", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"},
    {Tlp::kAmber, "TLP:AMBER", "amber", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"},
    {Tlp::kAmberStrict, "TLP:AMBER+STRICT", "amber+strict",
     "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"},
    {Tlp::kRed, "TLP:RED", "red", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"},
}};

// The TLP 1.0 markings predefined by the STIX 2.1 specification (section 7.2.1.4); partners
// still send them. WHITE is CLEAR in TLP 2.0.
constexpr std::array<std::pair<std::string_view, Tlp>, 4> kLegacyTlp = {{
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp::kClear},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp::kGreen},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Tlp::kAmber},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp::kRed},
}};

// All five TLP 2.0 definitions share this creation time (data/tlp2-markings.json).
constexpr std::int64_t kTlpCreatedSeconds = 1'664'582'400;  // 2022-10-01T00:00:00Z

const TlpInfo& tlp_info(Tlp tlp) { return kTlp[static_cast<std::size_t>(tlp)]; }

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool is_hex(char c) { return is_lower_hex(c) || (c >= 'A' && c <= 'F'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void sodium_random(std::span<std::uint8_t> out) {
  // sodium_init is idempotent and thread-safe; a failure means no CSPRNG, so stop.
  if (sodium_init() < 0) std::abort();
  randombytes_buf(out.data(), out.size());
}

// Every character digits except at the given positions, which must equal `separator`.
bool digits_except(std::string_view text, std::initializer_list<std::size_t> positions,
                   char separator) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool is_separator = false;
    for (std::size_t p : positions) is_separator = is_separator || p == i;
    if (is_separator ? text[i] != separator : !is_digit(text[i])) return false;
  }
  return true;
}

}  // namespace

std::string_view tlp_name(Tlp tlp) { return tlp_info(tlp).name; }
std::string_view tlp_value(Tlp tlp) { return tlp_info(tlp).value; }
std::string_view tlp_marking_id(Tlp tlp) { return tlp_info(tlp).id; }

std::optional<Tlp> tlp_from_marking_id(std::string_view id) {
  for (const auto& entry : kTlp) {
    if (entry.id == id) return entry.tlp;
  }
  for (const auto& [legacy, tlp] : kLegacyTlp) {
    if (legacy == id) return tlp;
  }
  return std::nullopt;
}

namespace {

// The marking of tiers 1, 2 and 3 (stix.h): the one table of the tier/TLP relation.
constexpr std::array<Tlp, 3> kTierTlp = {Tlp::kRed, Tlp::kAmberStrict, Tlp::kClear};

constexpr bool known_tier(int tier) { return tier >= 1 && tier <= 3; }

}  // namespace

Tlp tlp_for_tier(int tier, std::optional<Tlp> provider_wish) {
  const Tlp base = known_tier(tier) ? kTierTlp[static_cast<std::size_t>(tier - 1)] : Tlp::kRed;
  return provider_wish ? stricter(base, *provider_wish) : base;
}

Tlp max_tlp_for_tier(int tier) {
  return known_tier(tier) ? kTierTlp[static_cast<std::size_t>(tier - 1)] : Tlp::kClear;
}

bool tlp_allowed_at_tier(Tlp tlp, int tier) {
  return tlp_allowed_at_tier(tlp, max_tlp_for_tier(tier));
}

MarkingDefinition tlp_marking(Tlp tlp) {
  MarkingDefinition marking;
  marking.id = std::string(tlp_marking_id(tlp));
  marking.created = Timestamp::from_seconds(kTlpCreatedSeconds);
  marking.name = std::string(tlp_name(tlp));
  marking.tlp = tlp;
  return marking;
}

std::string id_from_bytes(std::string_view type, std::span<const std::uint8_t, 16> bytes) {
  std::array<std::uint8_t, 16> uuid{};
  for (std::size_t i = 0; i < uuid.size(); ++i) uuid[i] = bytes[i];
  uuid[6] = static_cast<std::uint8_t>((uuid[6] & 0x0F) | 0x40);  // version 4
  uuid[8] = static_cast<std::uint8_t>((uuid[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(type.size() + 2 + 36);
  out += type;
  out += "--";
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[uuid[i] >> 4];
    out += kHex[uuid[i] & 0x0F];
  }
  return out;
}

std::string new_id(std::string_view type, const RandomBytes& random) {
  std::array<std::uint8_t, 16> bytes{};
  if (random) {
    random(bytes);
  } else {
    sodium_random(bytes);
  }
  return id_from_bytes(type, bytes);
}

std::string_view id_type(std::string_view id) {
  if (!is_valid_id(id)) return {};
  return id.substr(0, id.size() - 38);
}

bool is_valid_id(std::string_view id, std::string_view type) {
  // <type>--xxxxxxxx-xxxx-[1-5]xxx-[89ab]xxx-xxxxxxxxxxxx (common/identifier.json)
  constexpr std::size_t kUuidLength = 36;
  if (id.size() < kUuidLength + 2 + 3) return false;
  const std::string_view prefix = id.substr(0, id.size() - kUuidLength - 2);
  if (id.substr(prefix.size(), 2) != "--") return false;
  if (!type.empty() && prefix != type) return false;
  if (prefix.front() < 'a' || prefix.front() > 'z' || prefix.back() == '-') return false;
  for (char c : prefix) {
    if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-')) return false;
  }
  const std::string_view uuid = id.substr(prefix.size() + 2);
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? uuid[i] != '-' : !is_hex(uuid[i])) return false;
  }
  const char version = uuid[14];
  const char variant = uuid[19];
  return version >= '1' && version <= '5' &&
         std::string_view("89abAB").find(variant) != std::string_view::npos;
}

std::string format_timestamp(Timestamp t) {
  const Timestamp ms = truncate_to_millis(t);
  const std::int64_t millis_of_second = ((ms.nanos / 1'000'000) % 1000 + 1000) % 1000;
  const Timestamp whole{ms.nanos - millis_of_second * 1'000'000};
  std::string text = format_rfc3339_seconds(whole);  // "...:SSZ"
  text.pop_back();
  fmt::format_to(std::back_inserter(text), ".{:03}Z", millis_of_second);
  return text;
}

Result<Timestamp> parse_timestamp(std::string_view text) {
  // yyyy-mm-ddThh:mm:ss[.f+]Z; STIX allows UTC only.
  if (text.size() < 20 || text.back() != 'Z' || text[10] != 'T' ||
      !digits_except(text.substr(0, 10), {4, 7}, '-') ||
      !digits_except(text.substr(11, 8), {2, 5}, ':')) {
    return fail("not a STIX timestamp (yyyy-mm-ddThh:mm:ss[.sss]Z)");
  }
  if (text.size() > 20 && (text[19] != '.' || text.size() == 21 ||
                           !digits_except(text.substr(20, text.size() - 21), {}, '.'))) {
    return fail("not a STIX timestamp (bad fractional seconds)");
  }
  auto parsed = parse_rfc3339(text);
  if (!parsed) return fail("not a valid date and time");
  return *parsed;
}

Result<ExternalReference> attack_reference(std::string_view technique_id) {
  const bool base = technique_id.size() == 5 && technique_id[0] == 'T' &&
                    digits_except(technique_id.substr(1), {}, '.');
  const bool sub = technique_id.size() == 9 && technique_id[0] == 'T' &&
                   digits_except(technique_id.substr(1), {4}, '.');
  if (!base && !sub) return fail("ATT&CK technique id must be Tnnnn or Tnnnn.nnn");
  ExternalReference reference;
  reference.source_name = "mitre-attack";
  reference.external_id = std::string(technique_id);
  reference.url = fmt::format("https://attack.mitre.org/techniques/{}/", technique_id.substr(0, 5));
  if (sub) reference.url += fmt::format("{}/", technique_id.substr(6));
  return reference;
}

KillChainPhase attack_phase(std::string_view tactic_shortname) {
  return {"mitre-attack", std::string(tactic_shortname)};
}

Result<ExternalReference> cve_reference(std::string_view cve_id) {
  const bool ok = cve_id.size() >= 13 && cve_id.substr(0, 4) == "CVE-" &&
                  digits_except(cve_id.substr(4), {4}, '-');
  if (!ok) return fail("CVE id must be CVE-yyyy-nnnn (four or more digits)");
  ExternalReference reference;
  reference.source_name = "cve";
  reference.external_id = std::string(cve_id);
  reference.url = fmt::format("https://www.cve.org/CVERecord?id={}", cve_id);
  return reference;
}

std::string_view type_name(const StixObject& object) {
  return std::visit(
      [](const auto& o) -> std::string_view {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Indicator>) return "indicator";
        if constexpr (std::is_same_v<T, Infrastructure>) return "infrastructure";
        if constexpr (std::is_same_v<T, Malware>) return "malware";
        if constexpr (std::is_same_v<T, AttackPattern>) return "attack-pattern";
        if constexpr (std::is_same_v<T, Vulnerability>) return "vulnerability";
        if constexpr (std::is_same_v<T, Sighting>) return "sighting";
        if constexpr (std::is_same_v<T, Identity>) return "identity";
        if constexpr (std::is_same_v<T, Relationship>) return "relationship";
        if constexpr (std::is_same_v<T, Report>) return "report";
        if constexpr (std::is_same_v<T, Note>) return "note";
        if constexpr (std::is_same_v<T, MarkingDefinition>) return "marking-definition";
      },
      object);
}

const std::string& object_id(const StixObject& object) {
  return std::visit(
      [](const auto& o) -> const std::string& {
        if constexpr (std::is_same_v<std::decay_t<decltype(o)>, MarkingDefinition>) {
          return o.id;
        } else {
          return o.common.id;
        }
      },
      object);
}

ObjectFactory::ObjectFactory(const Clock& clock, std::string created_by_ref,
                             const std::vector<Tlp>& markings, RandomBytes random)
    : clock_(clock), created_by_ref_(std::move(created_by_ref)), random_(std::move(random)) {
  for (Tlp tlp : markings) marking_refs_.emplace_back(tlp_marking_id(tlp));
}

Common ObjectFactory::common(std::string_view type) const {
  Common common;
  common.id = new_id(type, random_);
  common.created = truncate_to_millis(clock_.now());
  common.modified = common.created;
  common.created_by_ref = created_by_ref_;
  common.object_marking_refs = marking_refs_;
  return common;
}

}  // namespace mamori::intel::stix
