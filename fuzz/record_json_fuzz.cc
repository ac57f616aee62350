// Fuzz target for the record reader (sieve/record_json.h): any input is either rejected with
// an error or read into a Record that validates and survives write → read unchanged, with a
// canonical line that is a fixed point.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mamori/sieve/record_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto record = mamori::sieve::record_from_json_line(text);
  if (!record) {
    if (record.error().message.empty()) std::abort();
    return 0;
  }
  if (!mamori::sieve::validate_record(*record)) std::abort();
  const std::string line = mamori::sieve::record_to_json_line(*record);
  auto again = mamori::sieve::record_from_json_line(line);
  if (!again || !(*again == *record)) std::abort();
  if (mamori::sieve::record_to_json_line(*again) != line) std::abort();
  return 0;
}
