// `mamori keys new`: an Ed25519 key pair for the overseer (signs approvals) or a sensor (signs
// the ledger's tree heads). The secret half goes to OUT.key, mode 0600, never overwritten.

#include <cstdio>

#include "mamori/cli/commands.h"
#include "mamori/ledger/keys.h"

namespace mamori::cli {

int run_keys_new(const KeysNewArgs& args) {
  auto role = ledger::parse_key_role(args.role);
  if (!role) {
    std::fprintf(stderr, "mamori keys new: --role: %s\n", role.error().message.c_str());
    return 1;
  }
  const auto key = ledger::SigningKey::generate(*role);
  if (auto saved = ledger::save_key_pair(args.out, key, SystemClock().now()); !saved) {
    std::fprintf(stderr, "mamori keys new: %s\n", saved.error().message.c_str());
    return 1;
  }
  std::printf(
      "%s key %s written / 鍵を作成しました:\n  secret (keep offline, mode 0600): %s.key\n"
      "  public (give to verifiers): %s.pub\n",
      args.role.c_str(), key.public_key().key_id().c_str(), args.out.c_str(), args.out.c_str());
  return 0;
}

}  // namespace mamori::cli
