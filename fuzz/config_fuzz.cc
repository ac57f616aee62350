// Fuzzes mamori.toml handling: TOML parsing (toml++) and the sieve's key validation. Any
// input yields a configuration or an error naming file, line and key; none crashes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/core/config.h"
#include "mamori/sieve/sieve_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto file = mamori::ConfigFile::parse(text, "fuzz.toml");
  if (!file) return 0;
  auto config = mamori::sieve::load_sieve_config(*file);
  if (config && config->categories.contains(mamori::scope::Category::DD)) __builtin_trap();
  return 0;
}
