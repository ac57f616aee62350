#pragma once
// registry/import: bulk filing of organisations and important computers from the CSV and JSON
// files operators already keep, and the change history that a re-filing produces. The contract
// operators rely on: every row is either imported or rejected with a reason that names its line
// and column, and one bad row never stops the rest of the file. A re-import of the same file
// changes nothing.
//
// Columns (header names are width- and case-folded; '_', '-' and ' ' are the same):
//   computers      id/機器ID*, organisation_id/事業者ID*, category/機器種別*, vendor/ベンダー/
//                  製造者*, product/製品*, version/バージョン, cpe, internet_facing/インターネット
//                  接続 (yes/no, true/false, 1/0, はい/いいえ, 有/無), managed_by/管理主体
//                  (operator/事業者/自社, contractor/委託), contractor/委託先, note/備考
//   organisations  id/事業者ID*, name/名称*, name_en/英語名称, kinds/種別, ci_sectors/
//                  重要インフラ分野, key_infrastructure/基幹インフラ事業 (lists separated by ';'),
//                  contact_name/連絡先氏名, contact_email/連絡先メール, contact_phone/連絡先電話,
//                  contact_role/連絡先役割 (one contact per row; e-mail and telephone checked)
// (* required). JSON input is an array of objects with the same keys; a list may be a JSON
// array or a ';'-separated string, a boolean a JSON boolean or one of the words above.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/registry/model.h"

namespace mamori::registry {

struct ImportedRow {
  std::size_t line = 0;  // CSV: the row's first line; JSON: the line its object starts on
  std::string id;        // the organisation's or computer's id as stored
};

// `column` is the column name as written in the file's header (or the JSON key), or the
// canonical English name when the column is missing from the file, or "" when the row could
// not be read at all (CSV syntax, invalid UTF-8).
struct RowIssue {
  std::size_t line = 0;
  std::string column;
  std::string reason;
};

struct ImportReport {
  std::vector<ImportedRow> imported;
  std::vector<RowIssue> rejected;  // exactly one entry per rejected row, in file order
  std::vector<RowIssue> warnings;  // imported anyway (unknown columns, empty booleans, …)
  // Required columns absent from the CSV header, reported once here (canonical names); every
  // row is then rejected naming the column.
  std::vector<std::string> missing_columns;
};

struct OrganisationImport {
  std::vector<Organisation> organisations;  // in file order, one per ImportReport::imported
  ImportReport report;
};

struct ComputerImport {
  std::vector<ImportantComputer> computers;  // in file order, one per ImportReport::imported
  ImportReport report;
};

struct ComputerImportOptions {
  // The organisation submitting the file. When set, organisation_id may be left out or blank
  // and a row naming another organisation is rejected: an operator files only its own computers.
  std::string organisation_id;
  // When not empty, organisation_id must be one of these.
  std::vector<std::string> known_organisations;
};

// A row whose id was already imported from an earlier row of the same file is rejected with
// "duplicate id: already on line N" (the earlier row wins).
//
// Whole-file failures only (no header row, JSON that does not parse or is not an array) are
// errors; everything about single rows is in the report.
Result<OrganisationImport> import_organisations_csv(std::string_view text);
Result<OrganisationImport> import_organisations_json(std::string_view text);
// Computer ids are made unique across the registry: an id filed without its organisation's
// prefix ("vpn-1") is stored as "<organisation_id>/vpn-1"; an id with another organisation's
// prefix is rejected.
Result<ComputerImport> import_computers_csv(std::string_view text,
                                            const ComputerImportOptions& options = {});
Result<ComputerImport> import_computers_json(std::string_view text,
                                             const ComputerImportOptions& options = {});

// A CPE 2.3 formatted string (NISTIR 7695 §6.2): "cpe:2.3:" and 11 attributes (part is a, o,
// h, '*' or '-'), ':' and other punctuation inside a value escaped with '\', '*' and '?' only
// at either end of a value. The error says which component is wrong.
Result<void> validate_cpe23(std::string_view cpe);

// Booleans as operators write them: yes/no, y/n, true/false, 1/0, はい/いいえ, 有/無, あり/なし.
Result<bool> parse_yes_no(std::string_view text);
// parse_device_category plus the Japanese names (VPN装置, ファイアウォール, 制御システム, …).
Result<DeviceCategory> parse_device_category_ja(std::string_view text);

// --- change history --------------------------------------------------------------------------

// The fields of `after` that differ from `before` (field name → new value, values as text:
// booleans "true"/"false", enums their to_string), in a fixed order: organisation_id,
// category, vendor, product, version, cpe, internet_facing, managed_by, contractor, note.
// Text is compared exactly as filed. computer_id is after.id.
ComputerChange diff_computer(const ImportantComputer& before, const ImportantComputer& after,
                             Timestamp at, std::string_view by, std::uint64_t revision);
// Revision 1 of a computer: every field listed.
ComputerChange first_filing(const ImportantComputer& computer, Timestamp at, std::string_view by);

struct FiledComputer {
  ImportantComputer computer;  // as it stands after this filing
  ComputerChange change;
};

struct ImportPlan {
  std::vector<FiledComputer> new_filings;  // ids not registered before: revision 1
  std::vector<FiledComputer> changes;      // registered ids with changed fields only
  std::vector<std::string> unchanged;      // registered ids filed again as they were
  // Imported computers whose id is registered to another organisation: not applied.
  std::vector<std::string> conflicts;
};

// What filing `imported` on top of `existing` does. `history` gives each registered computer's
// current revision (the highest revision listed for its id; a computer without history counts
// as revision 1). Registered computers absent from `imported` are left alone: a file may
// cover only part of an operator's computers.
ImportPlan apply_import(std::span<const ImportantComputer> existing,
                        std::span<const ComputerChange> history,
                        std::span<const ImportantComputer> imported, Timestamp at,
                        std::string_view by);

}  // namespace mamori::registry
