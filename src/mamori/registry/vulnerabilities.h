#pragma once
// registry/vulnerabilities: the vulnerabilities the government matches against registered
// important computers — the public CISA Known Exploited Vulnerabilities catalog (KEV) and
// government-held entries, some of them pre-disclosure (confidential) — and the mark that a
// vulnerability has been exploited in Japan (from incidents and findings). Matching and notices
// are in notices.h.
//
// Imports never stop at a bad entry: each entry is checked on its own, a bad one is reported by
// its index and field, and the good ones are still imported. Error messages name positions and
// fields, never field contents, because government entries are confidential.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mamori/core/error.h"

namespace mamori::registry {

enum class VulnerabilitySource { kev, government };
std::string_view to_string(VulnerabilitySource source);  // "kev", "government"

// Which versions of one product a vulnerability affects: [from, fixed_in). The product is named
// by a CPE 2.3 name (its vendor and product fields) or by vendor and product; when both are
// empty it is the vulnerability's own vendor/product. Versions compare as parse_version does.
struct AffectedRange {
  std::string cpe;       // e.g. "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*", or ""
  std::string vendor;    // or ""
  std::string product;   // or ""
  std::string from;      // first affected version, inclusive; "" = all earlier versions too
  std::string fixed_in;  // first fixed version, exclusive; "" = no fixed version (no patch)
};

struct Vulnerability {
  std::string cve_id;  // "CVE-2024-21762"; government pre-disclosure entries may use "GOV-…"
  std::string vendor;
  std::string product;
  std::string name;
  std::string date_added;  // YYYY-MM-DD
  std::string short_description;
  std::string required_action;
  std::string due_date;  // YYYY-MM-DD, or "" (government entries may have none)
  // KEV knownRansomwareCampaignUse: "Known" → true, "Unknown" → nullopt (CISA lacks
  // confirmation, which is not "no").
  std::optional<bool> known_ransomware;
  std::string notes;
  std::vector<std::string> cwes;
  VulnerabilitySource source = VulnerabilitySource::kev;
  bool confidential = false;  // government pre-disclosure: notices are embargoed
  bool exploited_in_japan = false;
  std::vector<std::string> exploited_in_japan_basis;  // incident or finding ids
  // Whether a fix exists; nullopt = not known (KEV never says).
  std::optional<bool> patch_available;
  // Empty = versions not given (KEV): a vendor+product match cannot be ruled out by version.
  std::vector<AffectedRange> affected;
};

// One rejected entry (index set) or a problem with the file as a whole (index unset).
struct VulnerabilityImportError {
  std::string source_name;           // file name as given
  std::optional<std::size_t> index;  // position in "vulnerabilities"
  std::string field;                 // e.g. "dueDate", "affected[1].fixed_in"; "" = whole entry
  std::string message;
  // "kev.json: vulnerabilities[3].dueDate: not a date (YYYY-MM-DD)"
  std::string to_string() const;
};

struct VulnerabilityImport {
  std::vector<Vulnerability> entries;  // the good ones, in file order
  std::vector<VulnerabilityImportError> errors;
  std::string catalog_version;  // KEV catalogVersion, when present
};

// The CISA KEV catalog (data/kev.schema.json): the top-level fields catalogVersion,
// dateReleased, count and vulnerabilities are required; each entry needs the string fields
// cveID (CVE-YYYY-NNNN…), vendorProject, product, vulnerabilityName, dateAdded (YYYY-MM-DD),
// shortDescription, requiredAction and dueDate (YYYY-MM-DD); knownRansomwareCampaignUse
// ("Known" | "Unknown"), notes and cwes (["CWE-n", …]) are optional. Unknown fields are
// ignored (CISA adds fields over time). A repeated cveID is rejected at its second position.
// A missing top-level field or a count that disagrees with the entries is a file-level error,
// but the entries are still imported; text that is not JSON, or no vulnerabilities array, gives
// only a file-level error.
VulnerabilityImport import_kev(std::string_view json_text, const std::string& source_name);

// Government-held entries, format "mamori-government-vulnerabilities-v1" (closed objects:
// unknown fields are errors):
//   {"format": "mamori-government-vulnerabilities-v1",
//    "vulnerabilities": [{
//       "cve_id": "CVE-2026-0001" | "GOV-2026-0001",   required
//       "vendor", "product", "name",                    required, non-empty strings
//       "date_added": "YYYY-MM-DD",                     required
//       "short_description", "required_action",         optional strings
//       "due_date": "YYYY-MM-DD",                       optional
//       "known_ransomware": true | false | null,        optional (null = unknown)
//       "confidential": bool,                           optional, default true (pre-disclosure)
//       "exploited_in_japan": bool,                     optional, default false
//       "patch_available": bool,                        optional; default: every range has
//                                                       a fixed_in (unknown without ranges)
//       "affected": [{"cpe"?, "vendor"?, "product"?, "from"?, "fixed_in"?}]   optional
//    }]}
// Versions in "from"/"fixed_in" must contain a digit, and from < fixed_in when both are given.
// A "cpe" must be a CPE 2.3 formatted string with a vendor and a product.
VulnerabilityImport import_government(std::string_view json_text, const std::string& source_name);

// The vulnerabilities known to the registry, one per CVE id.
class VulnerabilityCatalog {
 public:
  // Adds entries. An entry whose id is already present is merged into it, so that a government
  // entry can add version ranges to a KEV entry: the incoming affected ranges replace the old
  // ones when it has any; patch_available, due_date, required_action and known_ransomware are
  // taken from the incoming entry when it sets them; confidential and exploited_in_japan are
  // ORed (once confidential, notices stay embargoed); source stays that of the first entry.
  void add(std::vector<Vulnerability> entries);

  const std::vector<Vulnerability>& entries() const { return entries_; }
  const Vulnerability* find(std::string_view id) const;

  // Marks a vulnerability as exploited in Japan; `basis` (an incident or finding id) is kept
  // when given. An unknown id is an error naming it.
  Result<void> mark_exploited_in_japan(std::string_view id, std::string_view basis = {});

 private:
  std::vector<Vulnerability> entries_;
  std::unordered_map<std::string, std::size_t> by_id_;
};

// CPE 2.3 formatted string ("cpe:2.3:part:vendor:product:version:…", backslash escapes) or
// CPE 2.2 URI ("cpe:/part:vendor:product:version"). Fields are unescaped; "*" and "-" (ANY,
// NA) become "". nullopt when the text is not a CPE name or lacks vendor or product.
struct CpeName {
  std::string part;  // "a", "o", "h"
  std::string vendor;
  std::string product;
  std::string version;
};
std::optional<CpeName> parse_cpe(std::string_view text);

}  // namespace mamori::registry
