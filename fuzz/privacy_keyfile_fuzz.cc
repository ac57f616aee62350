// Fuzzes the pseudonym key-file parser (no file system access) and the pseudonym text form.
// Checks, besides "no crash": an error message never repeats a run of 16+ hex digits from the
// input (a key could be one); an accepted file serializes and parses back to the same keys,
// and builds a Pseudonymizer whose pseudonyms re-identify to the original address.

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mamori/privacy/key_file.h"
#include "mamori/privacy/pseudonymizer.h"

namespace {

using namespace mamori;
using namespace mamori::privacy;

void check_no_hex_echo(std::string_view input, const std::string& message) {
  if (message.empty()) std::abort();
  std::size_t run = 0;
  int checked = 0;
  for (std::size_t i = 0; i <= input.size() && checked < 64; ++i) {
    if (i < input.size() && std::isxdigit(static_cast<unsigned char>(input[i]))) {
      ++run;
      continue;
    }
    if (run >= 16) {
      ++checked;
      for (std::size_t start = i - run; start + 16 <= i; start += 8) {
        if (message.find(input.substr(start, 16)) != std::string::npos) std::abort();
      }
    }
    run = 0;
  }
}

void check_keys(const PseudonymKeys& keys) {
  auto again = parse_pseudonym_keys(serialize_pseudonym_keys(keys), "again.json");
  if (!again || again->current != keys.current || again->epochs.size() != keys.epochs.size()) {
    std::abort();
  }
  for (std::size_t i = 0; i < keys.epochs.size(); ++i) {
    if (again->epochs[i].epoch != keys.epochs[i].epoch ||
        again->epochs[i].key != keys.epochs[i].key) {
      std::abort();
    }
  }
  auto pseudonymizer = Pseudonymizer::create(keys, {.cache_entries = 16, .v6_cache_entries = 16});
  if (!pseudonymizer) std::abort();
  for (const IpAddress address : {IpAddress::v4(0xc0000201), *IpAddress::parse("2001:db8::1")}) {
    const Pseudonym pseudonym = pseudonymizer->pseudonymize(address);
    if (pseudonym.epoch != keys.current || pseudonym.address.is_v4() != address.is_v4()) {
      std::abort();
    }
    auto back = pseudonymizer->reidentify(pseudonym);
    if (!back || *back != address) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto keys = parse_pseudonym_keys(input, "fuzz.json");
  if (keys) {
    check_keys(*keys);
  } else {
    check_no_hex_echo(input, keys.error().message);
  }
  if (size < 128) {
    auto pseudonym = parse_pseudonym(input);
    if (pseudonym) {
      auto again = parse_pseudonym(to_string(*pseudonym));
      if (!again || *again != *pseudonym) std::abort();
    } else {
      check_no_hex_echo(input, pseudonym.error().message);
    }
  }
  return 0;
}
