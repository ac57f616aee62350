#pragma once
// intel/stix: the STIX 2.1 object model mamori exports and imports (OASIS STIX 2.1, CS02):
// identifiers, timestamps, TLP 2.0 markings, and one struct per object type the project uses.
// The JSON side lives in stix_writer.h (export) and stix_reader.h (import); patterns in
// stix_pattern.h. Only the properties mamori produces or reads are modelled; anything else in
// an imported object is ignored.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/intel/stix_pattern.h"

namespace mamori::intel::stix {

// ---- TLP 2.0 ---------------------------------------------------------------------------------

// FIRST Traffic Light Protocol 2.0, ordered from least to most restrictive.
enum class Tlp { kClear, kGreen, kAmber, kAmberStrict, kRed };

inline constexpr std::array<Tlp, 5> kAllTlp = {Tlp::kClear, Tlp::kGreen, Tlp::kAmber,
                                               Tlp::kAmberStrict, Tlp::kRed};

// "TLP:AMBER+STRICT" (the marking-definition name).
std::string_view tlp_name(Tlp tlp);
// "amber+strict" (the extension's tlp_2_0 value).
std::string_view tlp_value(Tlp tlp);
// The official marking-definition id (data/tlp2-markings.json, OASIS cti-stix-common-objects).
std::string_view tlp_marking_id(Tlp tlp);
// The TLP of a TLP 2.0 marking id, or of a legacy TLP 1.0 id (WHITE reads as CLEAR); else none.
std::optional<Tlp> tlp_from_marking_id(std::string_view id);
// The more restrictive of the two.
constexpr Tlp stricter(Tlp a, Tlp b) { return a < b ? b : a; }
// The marking a product of tier 1, 2 or 3 carries (T1 RED: named recipients per provision;
// T2 AMBER+STRICT: council members' own organisation under the confidentiality obligation;
// T3 CLEAR: publication), made stricter by what the data's provider asked for. Tiers outside
// 1..3 are RED.
Tlp tlp_for_tier(int tier, std::optional<Tlp> provider_wish = std::nullopt);
// The most restrictive TLP an object may carry where information of a tier goes (a TAXII
// collection of that tier): the tier's own marking above, without provider wishes — T1 RED,
// T2 AMBER+STRICT, T3 CLEAR. A provider's stricter wish therefore keeps its data out of less
// sensitive collections instead of being lost. Tiers outside 1..3 allow CLEAR only. This and
// tlp_for_tier read one table (stix.cc): the relation between tiers and TLP is defined once.
Tlp max_tlp_for_tier(int tier);
// True when an object marked `tlp` may be held at `tier` (tlp no stricter than the maximum).
constexpr bool tlp_allowed_at_tier(Tlp tlp, Tlp tier_maximum) { return tlp <= tier_maximum; }
bool tlp_allowed_at_tier(Tlp tlp, int tier);
// The id of the TLP 2.0 extension-definition the markings reference.
inline constexpr std::string_view kTlpExtensionId =
    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

// ---- identifiers and timestamps --------------------------------------------------------------

// Fills a buffer with random bytes; the default is libsodium's CSPRNG. Tests inject their own.
using RandomBytes = std::function<void(std::span<std::uint8_t>)>;

// "indicator--<UUIDv4>", the 16 random bytes from `random` (libsodium when empty).
std::string new_id(std::string_view type, const RandomBytes& random = {});
// "<type>--<UUID>" from 16 bytes, with the version 4 and RFC 4122 variant bits set.
std::string id_from_bytes(std::string_view type, std::span<const std::uint8_t, 16> bytes);
// True for "<type>--<uuid>" with a lower-case type of [a-z0-9-] and a canonical lower- or
// upper-case hex UUID; when `type` is given the prefix must equal it.
bool is_valid_id(std::string_view id, std::string_view type = {});
// The "<type>" part of a valid id, else empty.
std::string_view id_type(std::string_view id);

// STIX timestamps carry exactly three fractional digits: "2026-11-22T02:37:19.123Z".
std::string format_timestamp(Timestamp t);
// Drops everything finer than a millisecond (what format_timestamp keeps).
constexpr Timestamp truncate_to_millis(Timestamp t) {
  const std::int64_t ms = 1'000'000;
  const std::int64_t floor = t.nanos >= 0 ? t.nanos / ms : -((-t.nanos + ms - 1) / ms);
  return {floor * ms};
}
// RFC 3339 in UTC ("Z"), as STIX requires; fractional digits optional.
Result<Timestamp> parse_timestamp(std::string_view text);

// ---- shared properties -----------------------------------------------------------------------

struct ExternalReference {
  std::string source_name;
  std::string external_id;
  std::string url;
  std::string description;
  bool operator==(const ExternalReference&) const = default;
};

struct KillChainPhase {
  std::string kill_chain_name;
  std::string phase_name;
  bool operator==(const KillChainPhase&) const = default;
};

// ATT&CK technique reference: source_name "mitre-attack", external_id "T1566.001",
// url "https://attack.mitre.org/techniques/T1566/001/". Fails unless the id is Tnnnn[.nnn].
Result<ExternalReference> attack_reference(std::string_view technique_id);
// ATT&CK tactic as a kill-chain phase: kill_chain_name "mitre-attack", phase_name the shortname.
KillChainPhase attack_phase(std::string_view tactic_shortname);
// CVE reference: source_name "cve", external_id "CVE-2024-12345", url on cve.org. Fails unless
// the id is CVE-yyyy-nnnn+.
Result<ExternalReference> cve_reference(std::string_view cve_id);

// Properties every SDO and SRO has. `provider` is not STIX: it is the provenance label
// ("provider:<org>") the reader puts on imported objects and the writer never emits.
struct Common {
  std::string id;
  Timestamp created;
  Timestamp modified;
  std::string created_by_ref;
  std::vector<std::string> object_marking_refs;
  std::vector<std::string> labels;
  std::vector<ExternalReference> external_references;
  std::optional<int> confidence;
  bool revoked = false;
  std::string provider;
  bool operator==(const Common&) const = default;
};

// ---- objects ---------------------------------------------------------------------------------

struct Indicator {
  Common common = {};
  std::string name;
  std::string description;
  std::vector<std::string> indicator_types;  // open vocabulary: malicious-activity, ...
  std::string pattern;                       // the text that is exported
  std::string pattern_type = "stix";
  std::optional<Pattern> parsed_pattern;  // set by the reader when the pattern is one of ours
  Timestamp valid_from;
  std::optional<Timestamp> valid_until;
  std::vector<KillChainPhase> kill_chain_phases;
  bool operator==(const Indicator&) const = default;
};

struct Infrastructure {
  Common common = {};
  std::string name;
  std::string description;
  std::vector<std::string> infrastructure_types;  // command-and-control, botnet, ...
  std::vector<KillChainPhase> kill_chain_phases;
  std::optional<Timestamp> first_seen;
  std::optional<Timestamp> last_seen;
  bool operator==(const Infrastructure&) const = default;
};

struct Malware {
  Common common = {};
  std::string name;
  std::string description;
  std::vector<std::string> malware_types;  // ransomware, bot, ...
  bool is_family = false;
  std::vector<std::string> aliases;
  std::vector<KillChainPhase> kill_chain_phases;
  bool operator==(const Malware&) const = default;
};

// ATT&CK techniques go in common.external_references (attack_reference).
struct AttackPattern {
  Common common = {};
  std::string name;
  std::string description;
  std::vector<std::string> aliases;
  std::vector<KillChainPhase> kill_chain_phases;
  bool operator==(const AttackPattern&) const = default;
};

// The CVE goes in common.external_references (cve_reference).
struct Vulnerability {
  Common common = {};
  std::string name;
  std::string description;
  bool operator==(const Vulnerability&) const = default;
};

struct Sighting {
  Common common = {};
  std::string sighting_of_ref;
  std::vector<std::string> where_sighted_refs;  // identity or location ids
  std::optional<Timestamp> first_seen;
  std::optional<Timestamp> last_seen;
  std::optional<std::int64_t> count;  // 0 .. 999999999
  std::string description;
  bool summary = false;
  bool operator==(const Sighting&) const = default;
};

struct Identity {
  Common common = {};
  std::string name;
  std::string description;
  std::string identity_class;  // individual, group, system, organization, class, unknown
  std::vector<std::string> roles;
  std::vector<std::string> sectors;
  std::string contact_information;
  bool operator==(const Identity&) const = default;
};

struct Relationship {
  Common common = {};
  std::string relationship_type;  // indicates, uses, targets, ...
  std::string source_ref;
  std::string target_ref;
  std::string description;
  std::optional<Timestamp> start_time;
  std::optional<Timestamp> stop_time;
  bool operator==(const Relationship&) const = default;
};

struct Report {
  Common common = {};
  std::string name;
  std::string description;
  std::vector<std::string> report_types;  // threat-report, ...
  Timestamp published;
  std::vector<std::string> object_refs;
  bool operator==(const Report&) const = default;
};

struct Note {
  Common common = {};
  std::string abstract;
  std::string content;
  std::vector<std::string> authors;
  std::vector<std::string> object_refs;
  bool operator==(const Note&) const = default;
};

// A marking definition: a TLP 2.0 one (written exactly as OASIS publishes it) or, on import,
// a statement marking a partner defined.
struct MarkingDefinition {
  std::string id;
  Timestamp created;
  std::string created_by_ref;
  std::string name;
  std::optional<Tlp> tlp;
  std::string statement;
  std::string provider;  // as in Common
  bool operator==(const MarkingDefinition&) const = default;
};

using StixObject = std::variant<Indicator, Infrastructure, Malware, AttackPattern, Vulnerability,
                                Sighting, Identity, Relationship, Report, Note, MarkingDefinition>;

// "indicator", "attack-pattern", ...
std::string_view type_name(const StixObject& object);
// The object's id.
const std::string& object_id(const StixObject& object);
// The marking definition of a TLP, exactly as OASIS publishes it.
MarkingDefinition tlp_marking(Tlp tlp);

// Makes the common part of new objects: a fresh id, created = modified = the clock's time at
// millisecond precision, the producing identity and the markings. Holds references: the clock
// and random source must outlive it.
class ObjectFactory {
 public:
  ObjectFactory(const Clock& clock, std::string created_by_ref, const std::vector<Tlp>& markings,
                RandomBytes random = {});
  Common common(std::string_view type) const;

 private:
  const Clock& clock_;
  std::string created_by_ref_;
  std::vector<std::string> marking_refs_;
  RandomBytes random_;
};

}  // namespace mamori::intel::stix
