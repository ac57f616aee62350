// Fuzzes the overrides file parser (scope/overrides): arbitrary text never crashes, and every
// accepted entry is a valid prefix (host bits clear).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/scope/overrides.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto overrides = mamori::scope::Overrides::parse(text, "fuzz.overrides");
  if (!overrides) return 0;
  for (const auto& entry : overrides->entries()) {
    const auto& prefix = entry.prefix;
    if (mamori::Prefix(prefix.address(), prefix.length()) != prefix) __builtin_trap();
  }
  return 0;
}
