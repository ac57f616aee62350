// Fuzzes the readers of the findings database's JSON (analysis/finding_json.h): a finding, a
// candidate indicator, analysis options and counters. Any input gives a value or an error; none
// crashes, and an accepted finding or candidate writes back to JSON that reads as the same value.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mamori/analysis/finding_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mamori::analysis;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  if (auto finding = finding_from_json(json)) {
    auto again = finding_from_json(finding_to_json(*finding));
    if (!again || !(*again == *finding)) __builtin_trap();
  }
  if (auto candidate = candidate_from_json(json)) {
    auto again = candidate_from_json(candidate_to_json(*candidate));
    if (!again || !(*again == *candidate)) __builtin_trap();
  }
  (void)options_from_json(json);
  (void)stats_from_json(json);
  return 0;
}
