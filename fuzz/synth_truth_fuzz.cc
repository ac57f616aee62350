// Fuzzes the ground-truth reader of `mamori eval` (synth/truth_reader.h): any input gives a
// truth or an error naming the field; none crashes, and an accepted truth's flow indices are in
// range.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mamori/synth/truth_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto truth = mamori::synth::parse_truth(text, "fuzz.truth.json");
  if (truth) {
    for (const auto& actor : truth->actors) {
      for (const auto index : actor.flows) {
        if (index >= truth->flows.size()) __builtin_trap();
      }
    }
  }
  return 0;
}
