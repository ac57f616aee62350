// Fuzzes the STIX 2.1 import (bundles from council members and foreign partners) and the
// pattern parser. Any input gives a whole-bundle error or accepted objects plus per-object
// errors and skips; none crashes, every object is accounted for exactly once, every accepted
// object carries the provider label, and every pattern the parser accepts renders and parses
// back to itself.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "mamori/intel/stix_pattern.h"
#include "mamori/intel/stix_reader.h"
#include "mamori/intel/stix_writer.h"

namespace {

void check_pattern(std::string_view text) {
  using namespace mamori::intel::stix;
  auto pattern = parse_pattern(text);
  if (!pattern) return;
  auto rendered = render_pattern(*pattern);
  if (!rendered) __builtin_trap();  // the parser accepted a value the renderer refuses
  auto again = parse_pattern(*rendered);
  if (!again || !(*again == *pattern)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mamori::intel::stix;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_pattern(text);
  auto result = read_bundle(text, "fuzz");
  if (!result) return 0;
  // Every element of "objects" is accepted, rejected or skipped exactly once.
  const auto document = nlohmann::json::parse(text, nullptr, false);
  const auto objects = document.find("objects");
  const std::size_t total = objects != document.end() && objects->is_array() ? objects->size() : 0;
  if (result->objects.size() + result->errors.size() + result->skipped.size() != total) {
    __builtin_trap();
  }
  for (const auto& object : result->objects) {
    std::visit(
        [](const auto& o) {
          if constexpr (std::is_same_v<std::decay_t<decltype(o)>, MarkingDefinition>) {
            if (o.provider != "provider:fuzz") __builtin_trap();
          } else {
            if (o.common.provider != "provider:fuzz") __builtin_trap();
            if constexpr (std::is_same_v<std::decay_t<decltype(o)>, Indicator>)
              check_pattern(o.pattern);
          }
        },
        object);
    // Re-export must not crash; it may refuse (e.g. a legacy TLP 1.0 definition).
    (void)write_object(object);
  }
  return 0;
}
