// Fuzz target for the ledger verifier (ledger/verify.h): verify_export on any bytes returns a
// report and never crashes; a report that says ok has no problems, and one with problems is
// never ok. If the first line is a public key file (keys.h, "kind":"mamori-public-key") the
// rest is verified with that key, so the seeds in fuzz/corpus/ledger_export_fuzz carry valid
// signatures (written by LedgerFuzzSeeds.DISABLED_Write in tests/ledger/verify_test.cc);
// otherwise a fixed key is used.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "mamori/ledger/export.h"
#include "mamori/ledger/keys.h"
#include "mamori/ledger/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mamori::ledger;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  PublicKey key;
  for (std::size_t i = 0; i < key.bytes.size(); ++i) key.bytes[i] = static_cast<std::uint8_t>(i);
  const std::string_view first_line = input.substr(0, input.find('\n'));
  if (first_line.find(R"("kind":"mamori-public-key")") != std::string_view::npos) {
    if (auto parsed = parse_public_key_json(first_line, KeyRole::sensor)) key = *parsed;
    input.remove_prefix(std::min(input.size(), first_line.size() + 1));
  }
  std::istringstream in{std::string(input)};
  const VerifyReport report = verify_export(in, key, {});
  if (report.ok != report.problems.empty()) std::abort();
  for (const Problem& problem : report.problems) {
    if (problem.message.empty()) std::abort();
  }
  // The other parsers of the formats in export.h.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_consistency_proof_json(text);
  (void)parse_tree_head_text(text);
  (void)parse_export_header(text);
  return 0;
}
