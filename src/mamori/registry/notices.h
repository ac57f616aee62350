#pragma once
// registry/notices: which registered important computers a vulnerability may affect, and the
// notices the government sends each organisation about them, most urgent first.
//
// Matching: a computer matches a vulnerability when their vendor_key and product_key agree —
// the computer's filed vendor/product, or the vendor/product fields of its CPE name, against
// the vulnerability's vendor/product or those of its affected ranges (CPE or vendor/product).
// Vendor aliases (e.g. "フォーティネット" → "Fortinet") let names filed in another script match.
// When the vulnerability gives version ranges, the computer's version (its filed version, else
// its CPE version) decides: inside a range → affected; outside every range → no notice; not
// known → a notice saying the version is not known. When it gives none (KEV), a vendor+product
// match is "potentially affected — version not known to be fixed".
//
// Urgency order (most urgent first), each criterion deciding only on a tie of the ones before:
//   1. exploited in Japan
//   2. the computer is internet-facing
//   3. no patch available (patch_available == false, or the matched range has no fixed_in)
//   4. known ransomware use
//   5. earlier deadline: the KEV due date, else the date added; entries with neither last
//   6. stronger match: version in range, then version unknown, then vendor+product only
//   7. vulnerability id, then computer id (so the order is total and stable)
// Notices from confidential (pre-disclosure) entries are embargoed: they go to the organisation
// concerned only and must not be shared further or published until the embargo is lifted.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/registry/model.h"
#include "mamori/registry/vulnerabilities.h"

namespace mamori::registry {

enum class MatchKind {
  version_in_range,  // the computer's version is in an affected range
  version_unknown,   // ranges given, but the computer's version is not known
  product_only,      // no ranges given (KEV): version not known to be fixed
};
std::string_view to_string(MatchKind kind);  // "version-in-range", "version-unknown", …

enum class NoticeReason {
  exploited_in_japan,
  internet_facing,
  no_patch,
  known_ransomware,
  version_in_range,
  version_unknown,
  product_only,
  embargoed,
};
struct ReasonLabel {
  std::string_view code;  // machine name, e.g. "exploited-in-japan"
  std::string_view en;    // "Exploited in Japan"
  std::string_view ja;    // "国内で悪用を確認"
};
const ReasonLabel& label(NoticeReason reason);

struct VendorAlias {
  std::string alias;   // as an operator may file it, e.g. "ﾌｫｰﾃｨﾈｯﾄ"
  std::string vendor;  // the vendor name used by vulnerability sources, e.g. "Fortinet"
};

struct MatchOptions {
  std::vector<VendorAlias> vendor_aliases;
};

struct Notice {
  std::string organisation_id;
  std::string computer_id;
  std::string vulnerability_id;  // CVE id (or GOV- id)
  std::string vulnerability_name;
  std::string vendor;  // as the vulnerability names it
  std::string product;
  std::string computer_version;  // "" when not known
  MatchKind match = MatchKind::product_only;
  std::vector<NoticeReason> reasons;  // in the order of NoticeReason
  std::string required_action;
  std::string due_date;
  std::string date_added;
  bool embargoed = false;
};

struct OrganisationNotices {
  std::string organisation_id;
  std::vector<Notice> notices;  // most urgent first
};

// Matches every computer against the catalog through an index on vendor_key (a computer is
// compared only with vulnerabilities of its own vendor keys). Organisations are sorted by id;
// organisations without notices are left out.
std::vector<OrganisationNotices> make_notices(const VulnerabilityCatalog& catalog,
                                              const std::vector<ImportantComputer>& computers,
                                              const MatchOptions& options = {});

// True when `a` is more urgent than `b` (the order above).
bool more_urgent(const Notice& a, const Notice& b);

// {"organisation_id", "notices": [{"computer_id", "vulnerability_id", "vulnerability_name",
//   "vendor", "product", "computer_version", "match", "embargoed", "required_action",
//   "due_date", "date_added", "reasons": [{"code", "en", "ja"}]}]}
nlohmann::json to_json(const OrganisationNotices& notices);

}  // namespace mamori::registry
