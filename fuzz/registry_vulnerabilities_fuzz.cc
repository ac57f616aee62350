// Fuzzes the vulnerability feeds: the CISA KEV catalog format and the government's
// pre-disclosure entries. Any input gives the good entries plus one error per bad field; none
// crashes, and no error quotes a field's content (government entries are confidential).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/registry/vulnerabilities.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)mamori::registry::import_kev(text, "fuzz-kev.json");
  (void)mamori::registry::import_government(text, "fuzz-gov.json");
  (void)mamori::registry::parse_cpe(text);
  return 0;
}
