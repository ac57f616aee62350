// Fuzz target for the ledger's readers (ledger/entry.h, ledger/tree_head.h): any input is
// either rejected with an error or parsed into a value that survives write → read unchanged
// and whose canonical form is a fixed point.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mamori/ledger/entry.h"
#include "mamori/ledger/tree_head.h"

namespace {

void check_leaf(std::string_view text) {
  auto entry = mamori::ledger::parse_leaf(text);
  if (!entry) {
    if (entry.error().message.empty()) std::abort();
    return;
  }
  // A parsed leaf is valid UTF-8 throughout, so the strict canonical writer must not throw.
  const std::string line = mamori::ledger::canonical_leaf(*entry);
  auto again = mamori::ledger::parse_leaf(line);
  if (!again) std::abort();
  if (again->seq != entry->seq || again->at != entry->at || again->type != entry->type ||
      again->body != entry->body || again->prev != entry->prev) {
    std::abort();
  }
  if (mamori::ledger::canonical_leaf(*again) != line) std::abort();
}

void check_tree_head(std::string_view text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto head = mamori::ledger::tree_head_from_json(json);
  if (!head) {
    if (head.error().message.empty()) std::abort();
    return;
  }
  auto again = mamori::ledger::tree_head_from_json(mamori::ledger::tree_head_to_json(*head));
  if (!again || !(*again == *head)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_leaf(text);
  check_tree_head(text);
  return 0;
}
