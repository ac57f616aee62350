// `mamori ledger export | head | prove`: what the overseer takes away to check the ledger with
// mamori-verify, which needs nothing else: the export (JSON lines), the installation's public
// key, signed tree heads, and consistency proofs between an older and a newer head.

#include <cstdio>
#include <fstream>
#include <iostream>

#include "mamori/cli/commands.h"
#include "mamori/cli/json_file.h"
#include "mamori/ledger/export.h"
#include "mamori/ledger/tree_head.h"
#include "mamori/site/installation.h"

namespace mamori::cli {

int run_ledger_export(const LedgerExportArgs& args) {
  auto installation = site::open_installation_for_export(args.config);
  if (!installation) {
    std::fprintf(stderr, "mamori ledger export: %s\n", installation.error().message.c_str());
    return 1;
  }
  std::ofstream out(args.out, std::ios::trunc | std::ios::binary);
  if (!out) {
    std::fprintf(stderr, "mamori ledger export: cannot write %s\n", args.out.c_str());
    return 1;
  }
  // Not opened as a (verified) Ledger on purpose: see ledger::export_storage.
  auto exported =
      ledger::export_storage(*(*installation)->ledger_storage,
                             (*installation)->ledger_key->public_key(), out, SystemClock().now());
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
  auto installation = site::open_installation(args.config);
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
  auto installation = site::open_installation(args.config);
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
