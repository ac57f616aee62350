// Fuzzes what operators submit about incidents and what the registry is configured with: an
// incident report (JSON, validated against the vendored ATT&CK table), a stored incident, and
// the reporting regimes file. Any input gives a value or an error naming the field; none
// crashes, and an accepted report always writes back to JSON that reads again.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mamori/registry/attack.h"
#include "mamori/registry/incidents.h"

namespace {

// A small catalogue keeps each run fast; the parser is what is fuzzed, not the table.
const mamori::registry::AttackCatalog& catalog() {
  static const auto loaded = mamori::registry::AttackCatalog::parse(
      "id,name,tactics,is_subtechnique,deprecated\n"
      "T1190,Exploit Public-Facing Application,initial-access,false,false\n"
      "T1059,Command and Scripting Interpreter,execution,false,false\n"
      "T1059.001,PowerShell,execution,true,false\n"
      "T1053.004,Launchd,execution,true,true\n",
      "fuzz-attack.csv");
  if (!loaded) __builtin_trap();
  return *loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto report = mamori::registry::parse_report(text, catalog());
  if (report) {
    auto again =
        mamori::registry::report_from_json(mamori::registry::report_to_json(*report), catalog());
    if (!again) __builtin_trap();
  }
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded()) (void)mamori::registry::incident_from_json(json);
  (void)mamori::registry::parse_regimes(text, "fuzz-regimes.json");
  (void)catalog().validate(text);
  return 0;
}
