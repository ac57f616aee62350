// Fuzzes the operators' bulk files: the CSV reader and the organisation and computer imports
// from CSV and JSON. Any input gives rows and per-row rejections (or a whole-file error); none
// crashes, and every row is accounted for exactly once.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/registry/csv.h"
#include "mamori/registry/import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint64_t last_line = 0;
  for (const auto& row : mamori::registry::read_csv(text)) {
    if (row.line < last_line) __builtin_trap();  // rows come in file order
    last_line = row.line;
  }
  (void)mamori::registry::import_organisations_csv(text);
  (void)mamori::registry::import_organisations_json(text);
  auto computers = mamori::registry::import_computers_csv(text, {});
  if (computers && computers->report.imported.size() != computers->computers.size()) {
    __builtin_trap();
  }
  (void)mamori::registry::import_computers_json(text, {});
  (void)mamori::registry::validate_cpe23(text);
  return 0;
}
