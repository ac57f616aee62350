#include "mamori/registry/notices.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "mamori/registry/normalize.h"

namespace mamori::registry {
namespace {

constexpr std::array<ReasonLabel, 8> kLabels = {{
    {"exploited-in-japan", "Exploited in Japan", "国内で悪用を確認"},
    {"internet-facing", "Internet-facing", "インターネットに露出"},
    {"no-patch", "No patch available", "修正プログラム未提供"},
    {"known-ransomware", "Known ransomware use", "ランサムウェアでの悪用あり"},
    {"version-in-range", "Version in affected range", "影響を受けるバージョン"},
    {"version-unknown", "Version not known", "バージョン不明"},
    {"product-only", "Potentially affected: version not known to be fixed",
     "影響の可能性あり（修正済みバージョンか不明）"},
    {"embargoed", "Embargoed: pre-disclosure, do not share", "公表前情報（取扱注意・転送禁止）"},
}};

// One way a vulnerability names a product: the whole vulnerability (range unset) or one of its
// affected ranges.
struct IndexEntry {
  std::size_t vulnerability = 0;
  std::optional<std::size_t> range;
};

// vendor_key → product_key → entries. Looking a computer up costs a hash per name it is filed
// under, whatever the size of the catalog.
using Index =
    std::unordered_map<std::string, std::unordered_map<std::string, std::vector<IndexEntry>>>;

// CPE names write blanks as '_' ("palo_alto_networks"); vendor_key and product_key want them
// as blanks.
std::string cpe_words(std::string_view field) {
  std::string out(field);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

class Matcher {
 public:
  Matcher(const VulnerabilityCatalog& catalog, const MatchOptions& options) : catalog_(catalog) {
    for (const VendorAlias& alias : options.vendor_aliases) {
      aliases_[vendor_key(alias.alias)] = vendor_key(alias.vendor);
    }
    const auto& entries = catalog.entries();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const Vulnerability& v = entries[i];
      if (v.affected.empty()) {
        add(v.vendor, v.product, {i, std::nullopt});
        continue;
      }
      for (std::size_t r = 0; r < v.affected.size(); ++r) {
        const AffectedRange& range = v.affected[r];
        if (const auto cpe = parse_cpe(range.cpe)) {
          add(cpe_words(cpe->vendor), cpe_words(cpe->product), {i, r});
        }
        if (!range.vendor.empty()) {
          add(range.vendor, range.product, {i, r});
        } else if (range.cpe.empty()) {
          add(v.vendor, v.product, {i, r});
        }
      }
    }
  }

  void notices_for(const ImportantComputer& computer, std::vector<Notice>& out) const {
    std::vector<std::pair<std::string, std::string>> names = {
        {vendor(computer.vendor), product_key(computer.product)}};
    std::optional<CpeName> cpe = parse_cpe(computer.cpe);
    if (cpe)
      names.emplace_back(vendor(cpe_words(cpe->vendor)), product_key(cpe_words(cpe->product)));
    // The filed version, else the CPE name's (filed text like "unknown" does not hide it).
    std::string version_text = computer.version;
    std::optional<Version> version = parse_version(version_text);
    if (!version && cpe) {
      if (auto from_cpe = parse_version(cpe->version)) {
        version = std::move(from_cpe);
        version_text = cpe->version;
      }
    }

    // Per vulnerability: every index entry that names this computer's product.
    std::map<std::size_t, std::vector<std::optional<std::size_t>>> hits;
    for (const auto& [vendor_name, product_name] : names) {
      const auto by_vendor = index_.find(vendor_name);
      if (by_vendor == index_.end()) continue;
      const auto by_product = by_vendor->second.find(product_name);
      if (by_product == by_vendor->second.end()) continue;
      for (const IndexEntry& entry : by_product->second) {
        auto& ranges = hits[entry.vulnerability];
        if (std::find(ranges.begin(), ranges.end(), entry.range) == ranges.end()) {
          ranges.push_back(entry.range);
        }
      }
    }
    for (const auto& [index, ranges] : hits) {
      const Vulnerability& v = catalog_.entries()[index];
      std::optional<Notice> notice = assess(v, computer, version, ranges);
      if (notice) {
        notice->computer_version = version ? version_text : std::string();
        out.push_back(std::move(*notice));
      }
    }
  }

 private:
  std::string vendor(std::string_view name) const {
    std::string key = vendor_key(name);
    const auto alias = aliases_.find(key);
    return alias == aliases_.end() ? key : alias->second;
  }

  void add(std::string_view vendor_name, std::string_view product_name, IndexEntry entry) {
    const std::string v = vendor(vendor_name);
    const std::string p = product_key(product_name);
    if (v.empty() || p.empty()) return;
    auto& list = index_[v][p];
    // The same range can be named twice (by CPE and by vendor/product).
    for (const IndexEntry& e : list) {
      if (e.vulnerability == entry.vulnerability && e.range == entry.range) return;
    }
    list.push_back(entry);
  }

  // Decides whether the ranges that name this product cover the computer's version.
  std::optional<Notice> assess(const Vulnerability& v, const ImportantComputer& computer,
                               const std::optional<Version>& version,
                               const std::vector<std::optional<std::size_t>>& ranges) const {
    MatchKind kind = MatchKind::product_only;
    bool range_without_fix = false;
    const bool whole_product =
        std::find(ranges.begin(), ranges.end(), std::nullopt) != ranges.end();
    if (!whole_product) {
      if (!version) {
        kind = MatchKind::version_unknown;
        // Without a version, "no patch" holds only when no matching range has a fix.
        range_without_fix = std::all_of(ranges.begin(), ranges.end(), [&](const auto& r) {
          return v.affected[*r].fixed_in.empty();
        });
      } else {
        bool inside = false;
        for (const auto& r : ranges) {
          const AffectedRange& range = v.affected[*r];
          const auto from = parse_version(range.from);
          const auto fixed = parse_version(range.fixed_in);
          if (from && version->compare(*from) < 0) continue;
          if (fixed && version->compare(*fixed) >= 0) continue;
          inside = true;
          range_without_fix = range_without_fix || !fixed;
        }
        if (!inside) return std::nullopt;
        kind = MatchKind::version_in_range;
      }
    }
    Notice notice;
    notice.organisation_id = computer.organisation_id;
    notice.computer_id = computer.id;
    notice.vulnerability_id = v.cve_id;
    notice.vulnerability_name = v.name;
    notice.vendor = v.vendor;
    notice.product = v.product;
    notice.match = kind;
    notice.required_action = v.required_action;
    notice.due_date = v.due_date;
    notice.date_added = v.date_added;
    notice.embargoed = v.confidential;
    if (v.exploited_in_japan) notice.reasons.push_back(NoticeReason::exploited_in_japan);
    if (computer.internet_facing) notice.reasons.push_back(NoticeReason::internet_facing);
    if (v.patch_available == false || range_without_fix) {
      notice.reasons.push_back(NoticeReason::no_patch);
    }
    if (v.known_ransomware == true) notice.reasons.push_back(NoticeReason::known_ransomware);
    notice.reasons.push_back(kind == MatchKind::version_in_range  ? NoticeReason::version_in_range
                             : kind == MatchKind::version_unknown ? NoticeReason::version_unknown
                                                                  : NoticeReason::product_only);
    if (v.confidential) notice.reasons.push_back(NoticeReason::embargoed);
    return notice;
  }

  const VulnerabilityCatalog& catalog_;
  std::unordered_map<std::string, std::string> aliases_;  // vendor_key → vendor_key
  Index index_;
};

bool has(const Notice& notice, NoticeReason reason) {
  return std::find(notice.reasons.begin(), notice.reasons.end(), reason) != notice.reasons.end();
}

// Due date, else date added; "~" sorts after every digit, so notices with neither come last.
std::string_view deadline(const Notice& notice) {
  if (!notice.due_date.empty()) return notice.due_date;
  if (!notice.date_added.empty()) return notice.date_added;
  return "~";
}

}  // namespace

std::string_view to_string(MatchKind kind) {
  switch (kind) {
    case MatchKind::version_in_range:
      return "version-in-range";
    case MatchKind::version_unknown:
      return "version-unknown";
    case MatchKind::product_only:
      return "product-only";
  }
  return "product-only";
}

const ReasonLabel& label(NoticeReason reason) { return kLabels[static_cast<std::size_t>(reason)]; }

bool more_urgent(const Notice& a, const Notice& b) {
  // Negated flags so that "true" sorts first in an ascending tuple comparison.
  const auto key = [](const Notice& n) {
    return std::make_tuple(!has(n, NoticeReason::exploited_in_japan),
                           !has(n, NoticeReason::internet_facing), !has(n, NoticeReason::no_patch),
                           !has(n, NoticeReason::known_ransomware), deadline(n),
                           static_cast<int>(n.match), std::string_view(n.vulnerability_id),
                           std::string_view(n.computer_id));
  };
  return key(a) < key(b);
}

std::vector<OrganisationNotices> make_notices(const VulnerabilityCatalog& catalog,
                                              const std::vector<ImportantComputer>& computers,
                                              const MatchOptions& options) {
  const Matcher matcher(catalog, options);
  std::map<std::string, std::vector<Notice>> by_organisation;
  std::vector<Notice> found;
  for (const ImportantComputer& computer : computers) {
    found.clear();
    matcher.notices_for(computer, found);
    for (Notice& notice : found) {
      by_organisation[notice.organisation_id].push_back(std::move(notice));
    }
  }
  std::vector<OrganisationNotices> out;
  out.reserve(by_organisation.size());
  for (auto& [organisation, notices] : by_organisation) {
    std::sort(notices.begin(), notices.end(), more_urgent);
    out.push_back({organisation, std::move(notices)});
  }
  return out;
}

nlohmann::json to_json(const OrganisationNotices& notices) {
  nlohmann::json list = nlohmann::json::array();
  for (const Notice& n : notices.notices) {
    nlohmann::json reasons = nlohmann::json::array();
    for (NoticeReason reason : n.reasons) {
      const ReasonLabel& l = label(reason);
      reasons.push_back({{"code", l.code}, {"en", l.en}, {"ja", l.ja}});
    }
    list.push_back({{"computer_id", n.computer_id},
                    {"vulnerability_id", n.vulnerability_id},
                    {"vulnerability_name", n.vulnerability_name},
                    {"vendor", n.vendor},
                    {"product", n.product},
                    {"computer_version", n.computer_version},
                    {"match", to_string(n.match)},
                    {"embargoed", n.embargoed},
                    {"required_action", n.required_action},
                    {"due_date", n.due_date},
                    {"date_added", n.date_added},
                    {"reasons", reasons}});
  }
  return {{"organisation_id", notices.organisation_id}, {"notices", list}};
}

}  // namespace mamori::registry
