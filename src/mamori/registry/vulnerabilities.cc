#include "mamori/registry/vulnerabilities.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mamori/registry/normalize.h"

namespace mamori::registry {
namespace {

using nlohmann::json;

constexpr std::string_view kGovernmentFormat = "mamori-government-vulnerabilities-v1";

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// CVE-YYYY-NNNN with 4 to 19 digits, as the KEV schema's pattern.
bool is_cve_id(std::string_view text) {
  if (text.size() < 13 || text.substr(0, 4) != "CVE-" || text[8] != '-') return false;
  const std::string_view number = text.substr(9);
  return all_digits(text.substr(4, 4)) && all_digits(number) && number.size() >= 4 &&
         number.size() <= 19;
}

// "GOV-" then letters, digits and '-': a government tracking id for an entry with no CVE yet.
bool is_government_id(std::string_view text) {
  if (text.size() <= 4 || text.substr(0, 4) != "GOV-") return false;
  return std::all_of(text.begin() + 4, text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
  });
}

// YYYY-MM-DD naming a real calendar day.
bool is_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  if (!all_digits(text.substr(0, 4)) || !all_digits(text.substr(5, 2)) ||
      !all_digits(text.substr(8, 2))) {
    return false;
  }
  const int year = std::stoi(std::string(text.substr(0, 4)));
  const int month = std::stoi(std::string(text.substr(5, 2)));
  const int day = std::stoi(std::string(text.substr(8, 2)));
  if (month < 1 || month > 12 || day < 1) return false;
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days = kDays[static_cast<std::size_t>(month - 1)] + (month == 2 && leap ? 1 : 0);
  return day <= days;
}

bool is_cwe(std::string_view text) {
  return text.size() > 4 && text.substr(0, 4) == "CWE-" && all_digits(text.substr(4));
}

std::size_t line_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// Parses without letting an exception out; the error names line and byte offset.
Result<json> parse_json(std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return fail("not valid JSON at line {} (byte {})", line_of(text, e.byte), e.byte);
  } catch (const json::exception&) {
    return fail("not valid JSON");
  }
}

// Collects the problems of one entry; the entry is rejected when there is any.
class EntryChecker {
 public:
  EntryChecker(const json& entry, const std::string& source_name, std::size_t index,
               std::vector<VulnerabilityImportError>& errors)
      : entry_(entry), source_name_(source_name), index_(index), errors_(errors) {}

  void problem(std::string field, std::string message) {
    errors_.push_back({source_name_, index_, std::move(field), std::move(message)});
    ok_ = false;
  }
  bool ok() const { return ok_; }

  // A string field; `required` fields must be present (and, with `non_empty`, not blank).
  std::string string(const std::string& field, bool required, bool non_empty = false) {
    const auto it = entry_.find(field);
    if (it == entry_.end() || it->is_null()) {
      if (required) problem(field, "missing required field");
      return {};
    }
    if (!it->is_string()) {
      problem(field, "must be a string");
      return {};
    }
    std::string value = it->get<std::string>();
    if (non_empty && normalize_text(value).empty()) problem(field, "must not be empty");
    return value;
  }

  std::string date(const std::string& field, bool required) {
    const bool present = entry_.contains(field);
    std::string value = string(field, required);
    if (present && entry_[field].is_string() && !is_date(value)) {
      problem(field, "not a date (YYYY-MM-DD)");
    }
    return value;
  }

  std::optional<bool> boolean(const std::string& field) {
    const auto it = entry_.find(field);
    if (it == entry_.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) {
      problem(field, "must be true or false");
      return std::nullopt;
    }
    return it->get<bool>();
  }

  std::vector<std::string> cwes(const std::string& field) {
    std::vector<std::string> out;
    const auto it = entry_.find(field);
    if (it == entry_.end() || it->is_null()) return out;
    if (!it->is_array()) {
      problem(field, "must be an array of CWE ids");
      return out;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& item = (*it)[i];
      if (!item.is_string() || !is_cwe(item.get<std::string>())) {
        problem(fmt::format("{}[{}]", field, i), "not a CWE id (CWE-n)");
        continue;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

 private:
  const json& entry_;
  const std::string& source_name_;
  std::size_t index_;
  std::vector<VulnerabilityImportError>& errors_;
  bool ok_ = true;
};

// Rejects a repeated id at its later position.
bool check_duplicate(const std::string& id, std::size_t index,
                     std::unordered_map<std::string, std::size_t>& seen, EntryChecker& check,
                     const std::string& field) {
  const auto [it, inserted] = seen.emplace(id, index);
  if (!inserted) {
    check.problem(field, fmt::format("repeats the id of vulnerabilities[{}]", it->second));
    return false;
  }
  return true;
}

// The shared start of both imports: parse, find the entries array.
const json* entries_array(const json& document, const std::string& source_name,
                          VulnerabilityImport& result) {
  if (!document.is_object()) {
    result.errors.push_back({source_name, std::nullopt, "", "top level must be a JSON object"});
    return nullptr;
  }
  const auto it = document.find("vulnerabilities");
  if (it == document.end() || !it->is_array()) {
    result.errors.push_back(
        {source_name, std::nullopt, "vulnerabilities", "missing or not an array"});
    return nullptr;
  }
  return &*it;
}

Vulnerability kev_entry(const json& entry, std::size_t index, const std::string& source_name,
                        std::unordered_map<std::string, std::size_t>& seen,
                        VulnerabilityImport& result, bool& ok) {
  Vulnerability v;
  EntryChecker check(entry, source_name, index, result.errors);
  v.source = VulnerabilitySource::kev;
  v.cve_id = check.string("cveID", true);
  if (entry.contains("cveID") && entry["cveID"].is_string()) {
    if (!is_cve_id(v.cve_id)) {
      check.problem("cveID", "not a CVE id (CVE-YYYY-NNNN)");
    } else {
      check_duplicate(v.cve_id, index, seen, check, "cveID");
    }
  }
  v.vendor = check.string("vendorProject", true);
  v.product = check.string("product", true);
  v.name = check.string("vulnerabilityName", true);
  v.date_added = check.date("dateAdded", true);
  v.short_description = check.string("shortDescription", true);
  v.required_action = check.string("requiredAction", true);
  v.due_date = check.date("dueDate", true);
  const bool has_ransomware = entry.contains("knownRansomwareCampaignUse");
  const std::string ransomware = check.string("knownRansomwareCampaignUse", false);
  if (has_ransomware && entry["knownRansomwareCampaignUse"].is_string()) {
    if (ransomware == "Known") {
      v.known_ransomware = true;
    } else if (ransomware != "Unknown") {
      check.problem("knownRansomwareCampaignUse", "must be \"Known\" or \"Unknown\"");
    }
  }
  v.notes = check.string("notes", false);
  v.cwes = check.cwes("cwes");
  ok = check.ok();
  return v;
}

constexpr std::array<std::string_view, 13> kGovernmentFields = {"cve_id",
                                                                "vendor",
                                                                "product",
                                                                "name",
                                                                "date_added",
                                                                "short_description",
                                                                "required_action",
                                                                "due_date",
                                                                "known_ransomware",
                                                                "confidential",
                                                                "exploited_in_japan",
                                                                "patch_available",
                                                                "affected"};
constexpr std::array<std::string_view, 5> kRangeFields = {"cpe", "vendor", "product", "from",
                                                          "fixed_in"};

template <std::size_t N>
bool known_field(const std::array<std::string_view, N>& fields, const std::string& name) {
  return std::find(fields.begin(), fields.end(), name) != fields.end();
}

void government_ranges(const json& entry, EntryChecker& check, Vulnerability& v) {
  const auto it = entry.find("affected");
  if (it == entry.end() || it->is_null()) return;
  if (!it->is_array()) {
    check.problem("affected", "must be an array");
    return;
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& item = (*it)[i];
    const std::string prefix = fmt::format("affected[{}]", i);
    if (!item.is_object()) {
      check.problem(prefix, "must be an object");
      continue;
    }
    for (const auto& [key, value] : item.items()) {
      if (!known_field(kRangeFields, key))
        check.problem(fmt::format("{}.{}", prefix, key), "unknown field");
    }
    AffectedRange range;
    std::array<std::string*, 5> targets = {&range.cpe, &range.vendor, &range.product, &range.from,
                                           &range.fixed_in};
    for (std::size_t f = 0; f < kRangeFields.size(); ++f) {
      const std::string key(kRangeFields[f]);
      const auto field = item.find(key);
      if (field == item.end() || field->is_null()) continue;
      if (!field->is_string()) {
        check.problem(fmt::format("{}.{}", prefix, key), "must be a string");
        continue;
      }
      *targets[f] = field->get<std::string>();
    }
    if (!range.cpe.empty() && !parse_cpe(range.cpe)) {
      check.problem(prefix + ".cpe", "not a CPE name with vendor and product");
    }
    if (range.vendor.empty() != range.product.empty()) {
      check.problem(prefix, "vendor and product must be given together");
    }
    const std::optional<Version> from =
        range.from.empty() ? std::nullopt : parse_version(range.from);
    const std::optional<Version> fixed =
        range.fixed_in.empty() ? std::nullopt : parse_version(range.fixed_in);
    if (!range.from.empty() && !from) {
      check.problem(prefix + ".from", "not a version (needs a digit)");
    }
    if (!range.fixed_in.empty() && !fixed) {
      check.problem(prefix + ".fixed_in", "not a version (needs a digit)");
    }
    if (from && fixed && from->compare(*fixed) >= 0) {
      check.problem(prefix, "from must be lower than fixed_in");
    }
    v.affected.push_back(std::move(range));
  }
}

Vulnerability government_entry(const json& entry, std::size_t index, const std::string& source_name,
                               std::unordered_map<std::string, std::size_t>& seen,
                               VulnerabilityImport& result, bool& ok) {
  Vulnerability v;
  EntryChecker check(entry, source_name, index, result.errors);
  for (const auto& [key, value] : entry.items()) {
    if (!known_field(kGovernmentFields, key)) check.problem(key, "unknown field");
  }
  v.source = VulnerabilitySource::government;
  v.cve_id = check.string("cve_id", true);
  if (entry.contains("cve_id") && entry["cve_id"].is_string()) {
    if (!is_cve_id(v.cve_id) && !is_government_id(v.cve_id)) {
      check.problem("cve_id", "not a CVE id (CVE-YYYY-NNNN) or a GOV- id");
    } else {
      check_duplicate(v.cve_id, index, seen, check, "cve_id");
    }
  }
  v.vendor = check.string("vendor", true, true);
  v.product = check.string("product", true, true);
  v.name = check.string("name", true, true);
  v.date_added = check.date("date_added", true);
  v.short_description = check.string("short_description", false);
  v.required_action = check.string("required_action", false);
  v.due_date = check.date("due_date", false);
  v.known_ransomware = check.boolean("known_ransomware");
  v.confidential = check.boolean("confidential").value_or(true);
  v.exploited_in_japan = check.boolean("exploited_in_japan").value_or(false);
  v.patch_available = check.boolean("patch_available");
  government_ranges(entry, check, v);
  if (!v.patch_available && !v.affected.empty()) {
    v.patch_available = std::all_of(v.affected.begin(), v.affected.end(),
                                    [](const AffectedRange& r) { return !r.fixed_in.empty(); });
  }
  ok = check.ok();
  return v;
}

}  // namespace

std::string_view to_string(VulnerabilitySource source) {
  return source == VulnerabilitySource::kev ? "kev" : "government";
}

std::string VulnerabilityImportError::to_string() const {
  std::string where = index ? fmt::format("vulnerabilities[{}]", *index) : std::string();
  if (!field.empty()) where += (where.empty() ? "" : ".") + field;
  if (where.empty()) return fmt::format("{}: {}", source_name, message);
  return fmt::format("{}: {}: {}", source_name, where, message);
}

namespace {

// Reads every entry with `read_entry`, keeping the good ones; a bad entry adds its errors and
// is skipped, so the rest of the feed is still imported.
template <class ReadEntry>
void import_entries(const json& entries, const std::string& source_name,
                    VulnerabilityImport& result, ReadEntry read_entry) {
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const json& entry = entries[i];
    if (!entry.is_object()) {
      result.errors.push_back({source_name, i, "", "must be a JSON object"});
      continue;
    }
    bool ok = false;
    Vulnerability v = read_entry(entry, i, source_name, seen, result, ok);
    if (ok) result.entries.push_back(std::move(v));
  }
}

}  // namespace

VulnerabilityImport import_kev(std::string_view json_text, const std::string& source_name) {
  VulnerabilityImport result;
  auto document = parse_json(json_text);
  if (!document) {
    result.errors.push_back({source_name, std::nullopt, "", document.error().message});
    return result;
  }
  const json* entries = entries_array(*document, source_name, result);
  if (!entries) return result;
  for (const char* field : {"catalogVersion", "dateReleased"}) {
    const auto it = document->find(field);
    if (it == document->end() || !it->is_string()) {
      result.errors.push_back({source_name, std::nullopt, field, "missing or not a string"});
    }
  }
  if (const auto it = document->find("catalogVersion"); it != document->end() && it->is_string()) {
    result.catalog_version = it->get<std::string>();
  }
  if (const auto it = document->find("count"); it == document->end() || !it->is_number_integer()) {
    result.errors.push_back({source_name, std::nullopt, "count", "missing or not an integer"});
  } else if (it->get<std::int64_t>() != static_cast<std::int64_t>(entries->size())) {
    result.errors.push_back({source_name, std::nullopt, "count",
                             fmt::format("says {} but the file holds {} entries",
                                         it->get<std::int64_t>(), entries->size())});
  }
  import_entries(*entries, source_name, result, kev_entry);
  return result;
}

VulnerabilityImport import_government(std::string_view json_text, const std::string& source_name) {
  VulnerabilityImport result;
  auto document = parse_json(json_text);
  if (!document) {
    result.errors.push_back({source_name, std::nullopt, "", document.error().message});
    return result;
  }
  if (document->is_object()) {
    const auto format = document->find("format");
    if (format == document->end() || !format->is_string() ||
        format->get<std::string>() != kGovernmentFormat) {
      result.errors.push_back(
          {source_name, std::nullopt, "format", fmt::format("must be \"{}\"", kGovernmentFormat)});
      return result;
    }
    for (const auto& [key, value] : document->items()) {
      if (key != "format" && key != "vulnerabilities") {
        result.errors.push_back({source_name, std::nullopt, key, "unknown field"});
      }
    }
  }
  const json* entries = entries_array(*document, source_name, result);
  if (!entries) return result;
  import_entries(*entries, source_name, result, government_entry);
  return result;
}

void VulnerabilityCatalog::add(std::vector<Vulnerability> entries) {
  for (Vulnerability& incoming : entries) {
    const auto it = by_id_.find(incoming.cve_id);
    if (it == by_id_.end()) {
      by_id_.emplace(incoming.cve_id, entries_.size());
      entries_.push_back(std::move(incoming));
      continue;
    }
    Vulnerability& v = entries_[it->second];
    if (!incoming.affected.empty()) v.affected = std::move(incoming.affected);
    if (incoming.patch_available) v.patch_available = incoming.patch_available;
    if (!incoming.due_date.empty()) v.due_date = std::move(incoming.due_date);
    if (!incoming.required_action.empty()) v.required_action = std::move(incoming.required_action);
    if (incoming.known_ransomware) v.known_ransomware = incoming.known_ransomware;
    v.confidential = v.confidential || incoming.confidential;
    v.exploited_in_japan = v.exploited_in_japan || incoming.exploited_in_japan;
    for (std::string& basis : incoming.exploited_in_japan_basis) {
      v.exploited_in_japan_basis.push_back(std::move(basis));
    }
  }
}

const Vulnerability* VulnerabilityCatalog::find(std::string_view id) const {
  const auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &entries_[it->second];
}

Result<void> VulnerabilityCatalog::mark_exploited_in_japan(std::string_view id,
                                                           std::string_view basis) {
  const auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) {
    return fail("mark exploited in Japan: {} is not in the vulnerability catalog", id);
  }
  Vulnerability& v = entries_[it->second];
  v.exploited_in_japan = true;
  if (!basis.empty() &&
      std::find(v.exploited_in_japan_basis.begin(), v.exploited_in_japan_basis.end(), basis) ==
          v.exploited_in_japan_basis.end()) {
    v.exploited_in_japan_basis.emplace_back(basis);
  }
  return {};
}

std::optional<CpeName> parse_cpe(std::string_view text) {
  std::vector<std::string> fields;
  bool uri = false;
  if (text.substr(0, 8) == "cpe:2.3:") {
    text.remove_prefix(8);
  } else if (text.substr(0, 5) == "cpe:/") {
    text.remove_prefix(5);
    uri = true;
  } else {
    return std::nullopt;
  }
  std::string field;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && !uri && i + 1 < text.size()) {
      field.push_back(text[++i]);  // a quoted character, e.g. "\:" or "\."
    } else if (c == ':') {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  fields.push_back(std::move(field));
  if (fields.size() < 3) return std::nullopt;
  const auto value = [&](std::size_t i) -> std::string {
    if (i >= fields.size() || fields[i] == "*" || fields[i] == "-") return {};
    return fields[i];
  };
  CpeName name{value(0), value(1), value(2), value(3)};
  if (name.vendor.empty() || name.product.empty()) return std::nullopt;
  return name;
}

}  // namespace mamori::registry
