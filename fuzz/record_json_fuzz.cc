// Fuzz target for the record reader (sieve/record_json.h): any input is either rejected with
// an error or read into a Record that validates and survives write → read unchanged, with a
// canonical line that is a fixed point. Differential as well: the fast single-pass reader
// (record_json_reader.h) may only accept what the reference DOM reader accepts, reading the
// same Record, and record_from_json_line must give the reference's verdict and message; the
// direct writer (record_json_writer.h) must write the reference writer's line.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mamori/sieve/record_json.h"
#include "mamori/sieve/record_json_reader.h"

namespace {

using mamori::sieve::Record;

// operator== takes -0.0 for 0.0; the readers must agree to the bit.
bool identical(const Record& a, const Record& b) {
  if (!(a == b)) return false;
  for (std::size_t i = 0; i < a.matches.size(); ++i) {
    for (std::size_t m = 0; m < a.matches[i].measured.size(); ++m) {
      if (std::bit_cast<std::uint64_t>(a.matches[i].measured[m].value) !=
          std::bit_cast<std::uint64_t>(b.matches[i].measured[m].value)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto reference = mamori::sieve::record_from_json_line_reference(text);
  Record fast;
  if (mamori::sieve::read_record_line_fast(text, fast)) {
    if (!reference || !identical(fast, *reference)) std::abort();
  }
  auto record = mamori::sieve::record_from_json_line(text);
  if (record.has_value() != reference.has_value()) std::abort();
  if (!record) {
    if (record.error().message.empty()) std::abort();
    if (record.error().message != reference.error().message) std::abort();
    return 0;
  }
  if (!identical(*record, *reference)) std::abort();
  if (!mamori::sieve::validate_record(*record)) std::abort();
  const std::string line = mamori::sieve::record_to_json_line(*record);
  // The direct writer, whenever it writes, writes the reference's line.
  if (line != mamori::sieve::record_to_json_line_reference(*record)) std::abort();
  // What the writer produces is always the fast reader's.
  Record canonical;
  if (!mamori::sieve::read_record_line_fast(line, canonical)) std::abort();
  auto again = mamori::sieve::record_from_json_line(line);
  if (!again || !(*again == *record) || !identical(canonical, *again)) std::abort();
  if (mamori::sieve::record_to_json_line(*again) != line) std::abort();
  return 0;
}
