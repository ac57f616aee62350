#include "mamori/registry/import.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <expected>
#include <functional>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "mamori/registry/csv.h"
#include "mamori/registry/normalize.h"

namespace mamori::registry {
namespace {

using Aliases = std::vector<std::string_view>;

struct ColumnSpec {
  std::string_view name;  // canonical, also the JSON key written by mamori
  Aliases aliases;        // besides the name; Japanese first, then English variants
  bool required = false;
};

// Indices into the column tables below.
enum ComputerColumn : std::size_t {
  kComputerId,
  kComputerOrganisation,
  kComputerCategory,
  kComputerVendor,
  kComputerProduct,
  kComputerVersion,
  kComputerCpe,
  kComputerInternetFacing,
  kComputerManagedBy,
  kComputerContractor,
  kComputerNote,
};

std::vector<ColumnSpec> computer_columns(bool organisation_required) {
  return {
      {"id", {"機器ID", "機器番号", "computer_id"}, true},
      {"organisation_id",
       {"事業者ID", "組織ID", "organization_id", "org_id"},
       organisation_required},
      {"category", {"機器種別", "種別", "device_category", "カテゴリ"}, true},
      {"vendor", {"ベンダー", "製造者", "メーカー", "製造元"}, true},
      {"product", {"製品", "製品名"}, true},
      {"version", {"バージョン", "版"}, false},
      {"cpe", {"CPE名", "cpe23", "cpe_name"}, false},
      {"internet_facing", {"インターネット接続", "インターネット公開", "外部公開"}, false},
      {"managed_by", {"管理主体", "運用主体"}, false},
      {"contractor", {"委託先", "運用委託先"}, false},
      {"note", {"備考", "メモ", "notes"}, false},
  };
}

enum OrganisationColumn : std::size_t {
  kOrgId,
  kOrgName,
  kOrgNameEn,
  kOrgKinds,
  kOrgCiSectors,
  kOrgKeyInfrastructure,
  kOrgContactName,
  kOrgContactEmail,
  kOrgContactPhone,
  kOrgContactRole,
};

// An address an operator can be written to: local@domain with a dot in the domain, no blanks.
bool looks_like_email(std::string_view text) {
  const auto at = text.find('@');
  if (at == 0 || at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view domain = text.substr(at + 1);
  const auto dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size() &&
         text.find_first_of(" \t,;<>") == std::string_view::npos;
}

// Digits with the separators people write (+81 3-1234-5678, (03) 1234 5678), 6 to 20 digits.
bool looks_like_phone(std::string_view text) {
  std::size_t digits = 0;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c != '+' && c != '-' && c != ' ' && c != '(' && c != ')') {
      return false;
    }
  }
  return digits >= 6 && digits <= 20;
}

const std::vector<ColumnSpec>& organisation_columns() {
  static const std::vector<ColumnSpec> kColumns = {
      {"id", {"事業者ID", "組織ID", "organisation_id", "organization_id"}, true},
      {"name", {"名称", "事業者名", "組織名"}, true},
      {"name_en", {"英語名称", "英文名称", "名称(英語)"}, false},
      {"kinds", {"種別", "区分", "kind"}, false},
      {"ci_sectors", {"重要インフラ分野", "分野"}, false},
      {"key_infrastructure", {"基幹インフラ事業", "特定社会基盤事業"}, false},
      {"contact_name", {"連絡先氏名", "担当者", "連絡担当者"}, false},
      {"contact_email", {"連絡先メール", "メールアドレス", "email"}, false},
      {"contact_phone", {"連絡先電話", "電話番号", "phone"}, false},
      {"contact_role", {"連絡先役割", "担当部署", "role"}, false},
  };
  return kColumns;
}

Aliases keys_of(const ColumnSpec& spec) {
  Aliases all = {spec.name};
  all.insert(all.end(), spec.aliases.begin(), spec.aliases.end());
  return all;
}

// One CSV row or JSON object, by column spec.
struct Fields {
  std::size_t line = 0;
  std::vector<std::optional<std::string>> values;  // nullopt: column absent from the file
  std::vector<std::string> labels;  // column as written, or canonical name when absent

  bool present(std::size_t column) const { return values[column].has_value(); }
  const std::string& text(std::size_t column) const {
    static const std::string kEmpty;
    return values[column] ? *values[column] : kEmpty;
  }
  RowIssue issue(std::size_t column, std::string reason) const {
    return RowIssue{line, labels[column], std::move(reason)};
  }
};

template <class T>
using RowResult = std::expected<T, RowIssue>;

std::string trim(std::string_view s) {
  constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";
  while (true) {
    if (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
      s.remove_prefix(1);
    } else if (s.starts_with(kIdeographicSpace)) {
      s.remove_prefix(kIdeographicSpace.size());
    } else {
      break;
    }
  }
  while (true) {
    if (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
      s.remove_suffix(1);
    } else if (s.ends_with(kIdeographicSpace)) {
      s.remove_suffix(kIdeographicSpace.size());
    } else {
      break;
    }
  }
  return std::string(s);
}

// A value quoted back to the operator who filed it, cut short so a pasted paragraph does not
// flood the report.
std::string shown(std::string_view value) {
  constexpr std::size_t kMaxCharacters = 40;
  std::size_t characters = 0;
  std::size_t end = 0;
  while (end < value.size()) {
    const auto b = static_cast<unsigned char>(value[end]);
    if (b < 0x80 || b > 0xBF) {
      if (characters == kMaxCharacters) return fmt::format("\"{}…\"", value.substr(0, end));
      ++characters;
    }
    ++end;
  }
  return fmt::format("\"{}\"", value);
}

// ';' lists; the full-width semicolon and the ideographic comma are accepted too, since
// Japanese input methods produce them. Empty items and repeats are dropped.
std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::string current;
  auto flush = [&] {
    std::string item = trim(current);
    if (!item.empty() && std::find(items.begin(), items.end(), item) == items.end()) {
      items.push_back(std::move(item));
    }
    current.clear();
  };
  for (std::size_t i = 0; i < text.size();) {
    const std::string_view rest = text.substr(i);
    if (rest.starts_with(';')) {
      flush();
      i += 1;
    } else if (rest.starts_with("\xEF\xBC\x9B") || rest.starts_with("\xE3\x80\x81")) {
      flush();
      i += 3;
    } else {
      current += text[i];
      i += 1;
    }
  }
  flush();
  return items;
}

struct NamedValue {
  std::string_view text;
  int value;
};

template <std::size_t N>
std::optional<int> lookup(const std::array<NamedValue, N>& table, std::string_view text) {
  const std::string key = normalize_text(text);
  for (const NamedValue& entry : table) {
    if (normalize_text(entry.text) == key) return entry.value;
  }
  return std::nullopt;
}

Result<OrganisationKind> parse_kind_ja(std::string_view text) {
  if (auto kind = parse_organisation_kind(text)) return *kind;
  static constexpr std::array<NamedValue, 7> kJapanese = {{
      {"重要インフラ事業者", static_cast<int>(OrganisationKind::operator_)},
      {"事業者", static_cast<int>(OrganisationKind::operator_)},
      {"協議会構成員", static_cast<int>(OrganisationKind::council_member)},
      {"協議会の構成員", static_cast<int>(OrganisationKind::council_member)},
      {"行政機関", static_cast<int>(OrganisationKind::agency)},
      {"製品ベンダー", static_cast<int>(OrganisationKind::vendor)},
      {"ベンダー", static_cast<int>(OrganisationKind::vendor)},
  }};
  if (auto value = lookup(kJapanese, text)) return static_cast<OrganisationKind>(*value);
  return fail(
      "unknown organisation kind {}: expected designated-operator (特別社会基盤事業者), operator "
      "(事業者), council-member (協議会構成員), agency (行政機関) or vendor (ベンダー)",
      shown(text));
}

Result<ManagedBy> parse_managed_by(std::string_view text) {
  static constexpr std::array<NamedValue, 9> kNames = {{
      {"operator", static_cast<int>(ManagedBy::operator_)},
      {"self", static_cast<int>(ManagedBy::operator_)},
      {"事業者", static_cast<int>(ManagedBy::operator_)},
      {"自社", static_cast<int>(ManagedBy::operator_)},
      {"自組織", static_cast<int>(ManagedBy::operator_)},
      {"contractor", static_cast<int>(ManagedBy::contractor)},
      {"委託", static_cast<int>(ManagedBy::contractor)},
      {"委託先", static_cast<int>(ManagedBy::contractor)},
      {"外部委託", static_cast<int>(ManagedBy::contractor)},
  }};
  if (auto value = lookup(kNames, text)) return static_cast<ManagedBy>(*value);
  return fail("not a managing party: expected operator (事業者, 自社) or contractor (委託)");
}

// --- the import driver -----------------------------------------------------------------------

template <class T>
struct Collector {
  const std::vector<ColumnSpec>& columns;
  std::function<RowResult<T>(const Fields&, std::vector<RowIssue>&)> parse;
  std::function<const std::string&(const T&)> id_of;
  std::vector<T> items;
  ImportReport report;
  std::map<std::string, std::size_t> first_line;  // imported id → its line
  std::vector<bool> missing_from_header;          // CSV only

  void reject(RowIssue issue) { report.rejected.push_back(std::move(issue)); }

  void add(const Fields& fields) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (!columns[i].required) continue;
      if (!fields.present(i)) {
        const bool header = !missing_from_header.empty() && missing_from_header[i];
        return reject(fields.issue(i, header ? fmt::format("required column {} is missing from "
                                                           "the header",
                                                           columns[i].name)
                                             : std::string("required field is missing")));
      }
      if (fields.text(i).empty()) return reject(fields.issue(i, "required value is empty"));
    }
    RowResult<T> parsed = parse(fields, report.warnings);
    if (!parsed) return reject(std::move(parsed.error()));
    const std::string& id = id_of(*parsed);
    if (auto earlier = first_line.find(id); earlier != first_line.end()) {
      return reject(
          fields.issue(0, fmt::format("duplicate id: already on line {}", earlier->second)));
    }
    first_line.emplace(id, fields.line);
    report.imported.push_back(ImportedRow{fields.line, id});
    items.push_back(std::move(*parsed));
  }
};

// The column spec a header name or JSON key stands for.
std::optional<std::size_t> spec_for(const std::vector<ColumnSpec>& columns, std::string_view name) {
  const std::string key = CsvHeader::key(name);
  if (key.empty()) return std::nullopt;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    for (std::string_view alias : keys_of(columns[i])) {
      if (CsvHeader::key(alias) == key) return i;
    }
  }
  return std::nullopt;
}

template <class T>
Result<void> collect_csv(std::string_view text, Collector<T>& collector) {
  CsvReader reader(text);
  std::optional<CsvRow> header_row = reader.next();
  if (!header_row) return fail("CSV: no header row (the file is empty)");
  if (header_row->error) {
    return fail("CSV header (line {}, column {}): {}", header_row->error->line,
                header_row->error->column, header_row->error->message);
  }
  const CsvHeader header(header_row->fields);
  const auto& columns = collector.columns;
  std::vector<std::optional<std::size_t>> index(columns.size());
  std::vector<std::string> labels(columns.size());
  collector.missing_from_header.assign(columns.size(), false);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    index[i] = header.find(keys_of(columns[i]));
    labels[i] = index[i] ? header.name(*index[i]) : std::string(columns[i].name);
    if (!index[i] && columns[i].required) {
      collector.missing_from_header[i] = true;
      collector.report.missing_columns.emplace_back(columns[i].name);
    }
  }
  for (std::size_t j = 0; j < header.size(); ++j) {
    if (header.name(j).empty()) continue;
    if (std::find(index.begin(), index.end(), j) != index.end()) continue;
    const auto spec = spec_for(columns, header.name(j));
    collector.report.warnings.push_back(
        RowIssue{header_row->line, header.name(j),
                 spec ? fmt::format("second column for {}, ignored", columns[*spec].name)
                      : std::string("unknown column, ignored")});
  }

  while (std::optional<CsvRow> row = reader.next()) {
    if (row->error) {
      collector.reject(RowIssue{row->line, "",
                                fmt::format("line {}, column {}: {}", row->error->line,
                                            row->error->column, row->error->message)});
      continue;
    }
    Fields fields{row->line, {}, labels};
    fields.values.resize(columns.size());
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (!index[i]) continue;
      // A short row (trailing empty fields left out) has empty values, not missing columns.
      fields.values[i] = *index[i] < row->fields.size() ? trim(row->fields[*index[i]]) : "";
    }
    for (std::size_t j = header.size(); j < row->fields.size(); ++j) {
      if (trim(row->fields[j]).empty()) continue;
      collector.report.warnings.push_back(RowIssue{
          row->line, "",
          fmt::format("row has {} fields but the header has {}; the extra fields are ignored",
                      row->fields.size(), header.size())});
      break;
    }
    collector.add(fields);
  }
  return {};
}

std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

// The line each element of the top-level array starts on (nlohmann::json keeps no positions).
// Only called on text that parsed, so strings and brackets are balanced.
std::vector<std::size_t> element_lines(std::string_view text) {
  std::vector<std::size_t> lines;
  std::size_t line = 1;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  bool expect_element = false;
  for (char c : text) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (depth == 1 && expect_element && c != ']') lines.push_back(line);
    expect_element = false;
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth == 1) expect_element = true;
        break;
      case ']':
      case '}':
        --depth;
        break;
      case ',':
        if (depth == 1) expect_element = true;
        break;
      default:
        break;
    }
  }
  return lines;
}

std::optional<std::string> json_text(const nlohmann::json& value) {
  if (value.is_null()) return std::string();
  if (value.is_string()) return trim(value.get<std::string>());
  if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
  if (value.is_number()) return value.dump();
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) {
      if (item.is_array() || item.is_object()) return std::nullopt;
      auto part = json_text(item);
      if (!part) return std::nullopt;
      if (!joined.empty()) joined += ';';
      joined += *part;
    }
    return joined;
  }
  return std::nullopt;
}

template <class T>
Result<void> collect_json(std::string_view text, Collector<T>& collector) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    const auto [line, column] = line_and_column(text, e.byte == 0 ? 0 : e.byte - 1);
    return fail("JSON: not valid JSON at line {}, column {}", line, column);
  } catch (const nlohmann::json::exception&) {
    return fail("JSON: not valid JSON");
  }
  if (!document.is_array()) return fail("JSON: expected an array of objects at the top level");
  const std::vector<std::size_t> lines = element_lines(text);
  const auto& columns = collector.columns;
  for (std::size_t n = 0; n < document.size(); ++n) {
    const nlohmann::json& element = document[n];
    Fields fields;
    fields.line = n < lines.size() ? lines[n] : n + 1;
    if (!element.is_object()) {
      collector.reject(RowIssue{fields.line, "", "expected an object"});
      continue;
    }
    fields.values.resize(columns.size());
    fields.labels.resize(columns.size());
    for (std::size_t i = 0; i < columns.size(); ++i) fields.labels[i] = columns[i].name;
    std::optional<RowIssue> bad;
    for (const auto& [key, value] : element.items()) {
      const auto spec = spec_for(columns, key);
      if (!spec) {
        collector.report.warnings.push_back(RowIssue{fields.line, key, "unknown key, ignored"});
        continue;
      }
      if (fields.values[*spec]) {
        collector.report.warnings.push_back(RowIssue{
            fields.line, key, fmt::format("second key for {}, ignored", columns[*spec].name)});
        continue;
      }
      fields.labels[*spec] = key;
      fields.values[*spec] = json_text(value);
      if (!fields.values[*spec] && !bad) {
        bad = RowIssue{fields.line, key, "expected text, a number, a boolean or a list of text"};
      }
    }
    if (bad) {
      collector.reject(std::move(*bad));
      continue;
    }
    collector.add(fields);
  }
  return {};
}

// --- rows → values ---------------------------------------------------------------------------

RowResult<Organisation> parse_organisation(const Fields& fields, std::vector<RowIssue>& warnings) {
  Organisation org;
  org.id = fields.text(kOrgId);
  org.name = fields.text(kOrgName);
  org.name_en = fields.text(kOrgNameEn);
  for (const std::string& item : split_list(fields.text(kOrgKinds))) {
    auto kind = parse_kind_ja(item);
    if (!kind) return std::unexpected(fields.issue(kOrgKinds, kind.error().message));
    if (std::find(org.kinds.begin(), org.kinds.end(), *kind) == org.kinds.end()) {
      org.kinds.push_back(*kind);
    }
  }
  for (const std::string& item : split_list(fields.text(kOrgCiSectors))) {
    const Sector* sector = find_ci_sector(item);
    if (!sector) {
      return std::unexpected(fields.issue(
          kOrgCiSectors,
          fmt::format("unknown critical-infrastructure sector {} (expected one of the 15 sectors "
                      "of the action plan, e.g. electricity or 電力)",
                      shown(item))));
    }
    org.ci_sectors.emplace_back(sector->code);
  }
  for (const std::string& item : split_list(fields.text(kOrgKeyInfrastructure))) {
    const Sector* business = find_key_infrastructure_business(item);
    if (!business) {
      return std::unexpected(fields.issue(
          kOrgKeyInfrastructure,
          fmt::format("unknown key-infrastructure business {} (expected one of the 15 businesses "
                      "of the Economic Security Promotion Act, e.g. electricity or 電気)",
                      shown(item))));
    }
    org.key_infrastructure.emplace_back(business->code);
  }
  Contact contact{fold_width(fields.text(kOrgContactName)),
                  fold_width(fields.text(kOrgContactEmail)),
                  fold_width(fields.text(kOrgContactPhone)), fields.text(kOrgContactRole)};
  if (!contact.email.empty() && !looks_like_email(contact.email)) {
    return std::unexpected(fields.issue(kOrgContactEmail, "not an e-mail address"));
  }
  if (!contact.phone.empty() && !looks_like_phone(contact.phone)) {
    return std::unexpected(
        fields.issue(kOrgContactPhone, "not a telephone number (6 to 20 digits, + - ( ) blanks)"));
  }
  if (!contact.name.empty() || !contact.email.empty() || !contact.phone.empty()) {
    if (contact.email.empty() && contact.phone.empty()) {
      warnings.push_back(fields.issue(kOrgContactName, "contact without an e-mail or telephone"));
    }
    org.contacts.push_back(std::move(contact));
  }
  const bool designated = std::find(org.kinds.begin(), org.kinds.end(),
                                    OrganisationKind::designated_operator) != org.kinds.end();
  if (designated && org.key_infrastructure.empty()) {
    warnings.push_back(fields.issue(kOrgKeyInfrastructure,
                                    "designated operator without a key-infrastructure business"));
  }
  return org;
}

RowResult<ImportantComputer> parse_computer(const Fields& fields,
                                            const ComputerImportOptions& options,
                                            std::vector<RowIssue>& warnings) {
  ImportantComputer computer;
  std::string organisation = fields.text(kComputerOrganisation);
  if (!options.organisation_id.empty()) {
    if (organisation.empty()) {
      organisation = options.organisation_id;
    } else if (organisation != options.organisation_id) {
      return std::unexpected(fields.issue(
          kComputerOrganisation, fmt::format("names another organisation; this file is filed by {}",
                                             options.organisation_id)));
    }
  }
  if (!options.known_organisations.empty() &&
      std::find(options.known_organisations.begin(), options.known_organisations.end(),
                organisation) == options.known_organisations.end()) {
    return std::unexpected(fields.issue(
        kComputerOrganisation, fmt::format("unknown organisation {}", shown(organisation))));
  }
  computer.organisation_id = organisation;

  std::string id = fields.text(kComputerId);
  const std::string prefix = organisation + "/";
  if (!id.starts_with(prefix)) {
    if (id.find('/') != std::string::npos) {
      return std::unexpected(fields.issue(
          kComputerId,
          fmt::format("id has another organisation's prefix (expected {}… or an id without '/')",
                      prefix)));
    }
    id = prefix + id;
  }
  computer.id = std::move(id);

  auto category = parse_device_category_ja(fields.text(kComputerCategory));
  if (!category) return std::unexpected(fields.issue(kComputerCategory, category.error().message));
  computer.category = *category;
  computer.vendor = fields.text(kComputerVendor);
  computer.product = fields.text(kComputerProduct);
  computer.version = fields.text(kComputerVersion);

  computer.cpe = fields.text(kComputerCpe);
  if (!computer.cpe.empty()) {
    if (auto valid = validate_cpe23(computer.cpe); !valid) {
      return std::unexpected(fields.issue(kComputerCpe, valid.error().message));
    }
  }

  if (fields.present(kComputerInternetFacing)) {
    const std::string& text = fields.text(kComputerInternetFacing);
    if (text.empty()) {
      warnings.push_back(fields.issue(kComputerInternetFacing, "empty: taken as no"));
    } else {
      auto facing = parse_yes_no(text);
      if (!facing) {
        return std::unexpected(fields.issue(kComputerInternetFacing, facing.error().message));
      }
      computer.internet_facing = *facing;
    }
  }

  computer.contractor = fields.text(kComputerContractor);
  if (const std::string& text = fields.text(kComputerManagedBy); !text.empty()) {
    auto managed_by = parse_managed_by(text);
    if (!managed_by) {
      return std::unexpected(fields.issue(kComputerManagedBy, managed_by.error().message));
    }
    computer.managed_by = *managed_by;
  } else if (!computer.contractor.empty()) {
    computer.managed_by = ManagedBy::contractor;  // a named contractor says who manages it
  }
  if (computer.managed_by == ManagedBy::contractor && computer.contractor.empty()) {
    warnings.push_back(fields.issue(kComputerContractor, "managed by a contractor not named"));
  }
  computer.note = fields.text(kComputerNote);
  return computer;
}

Collector<Organisation> organisation_collector() {
  return Collector<Organisation>{
      organisation_columns(),
      parse_organisation,
      [](const Organisation& org) -> const std::string& { return org.id; },
      {},
      {},
      {},
      {}};
}

struct ComputerCollector {
  std::vector<ColumnSpec> columns;
  Collector<ImportantComputer> collector;

  explicit ComputerCollector(const ComputerImportOptions& options)
      : columns(computer_columns(options.organisation_id.empty())),
        collector{columns,
                  [&options](const Fields& fields, std::vector<RowIssue>& warnings) {
                    return parse_computer(fields, options, warnings);
                  },
                  [](const ImportantComputer& c) -> const std::string& { return c.id; },
                  {},
                  {},
                  {},
                  {}} {}
};

}  // namespace

Result<bool> parse_yes_no(std::string_view text) {
  static constexpr std::array<NamedValue, 16> kWords = {{
      {"yes", 1},
      {"y", 1},
      {"true", 1},
      {"1", 1},
      {"はい", 1},
      {"有", 1},
      {"あり", 1},
      {"有り", 1},
      {"no", 0},
      {"n", 0},
      {"false", 0},
      {"0", 0},
      {"いいえ", 0},
      {"無", 0},
      {"なし", 0},
      {"無し", 0},
  }};
  if (auto value = lookup(kWords, text)) return *value == 1;
  return fail("not a yes/no value: expected yes/no, true/false, 1/0, はい/いいえ or 有/無");
}

Result<DeviceCategory> parse_device_category_ja(std::string_view text) {
  if (auto category = parse_device_category(text)) return *category;
  static constexpr std::array<NamedValue, 28> kJapanese = {{
      {"VPN装置", static_cast<int>(DeviceCategory::vpn_gateway)},
      {"VPN機器", static_cast<int>(DeviceCategory::vpn_gateway)},
      {"VPNゲートウェイ", static_cast<int>(DeviceCategory::vpn_gateway)},
      {"VPN", static_cast<int>(DeviceCategory::vpn_gateway)},
      {"ファイアウォール", static_cast<int>(DeviceCategory::firewall)},
      {"FW", static_cast<int>(DeviceCategory::firewall)},
      {"UTM", static_cast<int>(DeviceCategory::firewall)},
      {"ルータ", static_cast<int>(DeviceCategory::router)},
      {"ルーター", static_cast<int>(DeviceCategory::router)},
      {"ロードバランサ", static_cast<int>(DeviceCategory::load_balancer)},
      {"ロードバランサー", static_cast<int>(DeviceCategory::load_balancer)},
      {"負荷分散装置", static_cast<int>(DeviceCategory::load_balancer)},
      {"メールサーバ", static_cast<int>(DeviceCategory::mail_server)},
      {"メールサーバー", static_cast<int>(DeviceCategory::mail_server)},
      {"Webサーバ", static_cast<int>(DeviceCategory::web_server)},
      {"Webサーバー", static_cast<int>(DeviceCategory::web_server)},
      {"サーバ", static_cast<int>(DeviceCategory::server)},
      {"サーバー", static_cast<int>(DeviceCategory::server)},
      {"制御システム", static_cast<int>(DeviceCategory::ot_controller)},
      {"制御装置", static_cast<int>(DeviceCategory::ot_controller)},
      {"PLC", static_cast<int>(DeviceCategory::ot_controller)},
      {"DCS", static_cast<int>(DeviceCategory::ot_controller)},
      {"SCADA", static_cast<int>(DeviceCategory::ot_controller)},
      {"クラウドサービス", static_cast<int>(DeviceCategory::cloud_service)},
      {"クラウド", static_cast<int>(DeviceCategory::cloud_service)},
      {"端末", static_cast<int>(DeviceCategory::endpoint)},
      {"PC", static_cast<int>(DeviceCategory::endpoint)},
      {"その他", static_cast<int>(DeviceCategory::other)},
  }};
  if (auto value = lookup(kJapanese, text)) return static_cast<DeviceCategory>(*value);
  return fail(
      "unknown device category {}: expected vpn-gateway (VPN装置), firewall (ファイアウォール), "
      "router (ルータ), load-balancer, mail-server, web-server, server (サーバ), ot-controller "
      "(制御システム), cloud-service (クラウドサービス), endpoint (端末) or other (その他)",
      shown(text));
}

Result<OrganisationImport> import_organisations_csv(std::string_view text) {
  auto collector = organisation_collector();
  if (auto done = collect_csv(text, collector); !done) return fail(done.error());
  return OrganisationImport{std::move(collector.items), std::move(collector.report)};
}

Result<OrganisationImport> import_organisations_json(std::string_view text) {
  auto collector = organisation_collector();
  if (auto done = collect_json(text, collector); !done) return fail(done.error());
  return OrganisationImport{std::move(collector.items), std::move(collector.report)};
}

Result<ComputerImport> import_computers_csv(std::string_view text,
                                            const ComputerImportOptions& options) {
  ComputerCollector computers(options);
  if (auto done = collect_csv(text, computers.collector); !done) return fail(done.error());
  return ComputerImport{std::move(computers.collector.items),
                        std::move(computers.collector.report)};
}

Result<ComputerImport> import_computers_json(std::string_view text,
                                             const ComputerImportOptions& options) {
  ComputerCollector computers(options);
  if (auto done = collect_json(text, computers.collector); !done) return fail(done.error());
  return ComputerImport{std::move(computers.collector.items),
                        std::move(computers.collector.report)};
}

}  // namespace mamori::registry
