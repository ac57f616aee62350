// `mamori ledger export | head | prove`: what the overseer takes away to check the ledger with
// mamori-verify, which needs nothing else: the export (JSON lines), the installation's public
// key, signed tree heads, and consistency proofs between an older and a newer head.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>

#include "mamori/cli/commands.h"
#include "mamori/cli/installation.h"
#include "mamori/cli/json_file.h"
#include "mamori/ledger/export.h"
#include "mamori/ledger/tree_head.h"

namespace mamori::cli {

namespace {

// Writes the ledger exactly as stored. It is not verified here on purpose: verification is the
// overseer's, and a tampered store must still be exportable so that mamori-verify can name the
// place (governed commands refuse to run on it).
Result<std::uint64_t> export_as_stored(Installation& installation, std::ostream& out) {
  auto& storage = *installation.ledger_storage;
  auto heads = storage.tree_heads();
  if (!heads) return fail(heads.error());
  // Every stored row, whatever its seq: a store that lost or gained rows is exported as it is.
  auto leaves = storage.read(0, std::numeric_limits<std::uint64_t>::max());
  if (!leaves) return fail(leaves.error());
  ledger::ExportWriter writer(out,
                              {.key_id = installation.ledger_key->public_key().key_id(),
                               .exported_at = SystemClock().now(),
                               .entries = leaves->size()},
                              std::move(*heads));
  for (const auto& leaf : *leaves) writer.write_entry(leaf.leaf);
  if (auto finished = writer.finish(); !finished) return fail(finished.error());
  return leaves->size();
}

}  // namespace

int run_ledger_export(const LedgerExportArgs& args) {
  auto installation = open_installation_for_export(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori ledger export: %s\n", installation.error().message.c_str());
    return 1;
  }
  std::ofstream out(args.out, std::ios::trunc | std::ios::binary);
  if (!out) {
    std::fprintf(stderr, "mamori ledger export: cannot write %s\n", args.out.c_str());
    return 1;
  }
  auto exported = export_as_stored(**installation, out);
  out.close();
  if (!exported) {
    std::fprintf(stderr, "mamori ledger export: %s\n", exported.error().message.c_str());
    return 1;
  }
  if (!out) {
    std::fprintf(stderr, "mamori ledger export: cannot write %s\n", args.out.c_str());
    return 1;
  }
  std::printf("%llu ledger entries exported to %s / 台帳を書き出しました\n",
              static_cast<unsigned long long>(*exported), args.out.c_str());
  return 0;
}

int run_ledger_head(const LedgerHeadArgs& args) {
  auto installation = open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori ledger head: %s\n", installation.error().message.c_str());
    return 1;
  }
  auto head = (*installation)->ledger->sign_head_now(SystemClock().now());
  if (!head) {
    std::fprintf(stderr, "mamori ledger head: %s\n", head.error().message.c_str());
    return 1;
  }
  const auto json = ledger::tree_head_to_json(*head);
  if (args.out) {
    if (auto written = write_json_file(*args.out, json); !written) {
      std::fprintf(stderr, "mamori ledger head: %s\n", written.error().message.c_str());
      return 1;
    }
  } else {
    std::cout << json.dump(2) << '\n';
  }
  return 0;
}

int run_ledger_prove(const LedgerProveArgs& args) {
  auto installation = open_installation(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori ledger prove: %s\n", installation.error().message.c_str());
    return 1;
  }
  auto proof = (*installation)->ledger->consistency_proof_json(args.old_size);
  if (!proof) {
    std::fprintf(stderr, "mamori ledger prove: %s\n", proof.error().message.c_str());
    return 1;
  }
  std::ofstream out(args.out, std::ios::trunc);
  out << ledger::consistency_proof_to_json(*proof) << '\n';
  out.close();
  if (!out) {
    std::fprintf(stderr, "mamori ledger prove: cannot write %s\n", args.out.c_str());
    return 1;
  }
  return 0;
}

}  // namespace mamori::cli
