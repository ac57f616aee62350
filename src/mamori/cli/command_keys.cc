// `mamori keys new`: an Ed25519 key pair for the overseer (signs approvals) or a sensor (signs
// the ledger's tree heads). The secret half goes to OUT.key, mode 0600, never overwritten.
// `mamori keys pseudonym`: the pseudonym key file (I5), created or given a new epoch.

#include <cstdio>

#include "mamori/cli/commands.h"
#include "mamori/ledger/keys.h"
#include "mamori/privacy/key_file.h"

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

int run_keys_pseudonym(const KeysPseudonymArgs& args) {
  const Timestamp now = SystemClock().now();
  auto done = args.rotate ? privacy::rotate_pseudonym_keys(args.out, now)
                          : privacy::create_pseudonym_keys(args.out, now);
  if (!done) {
    std::fprintf(stderr, "mamori keys pseudonym: %s\n", done.error().message.c_str());
    return 1;
  }
  auto keys = privacy::load_pseudonym_keys(args.out);
  if (!keys) {
    std::fprintf(stderr, "mamori keys pseudonym: %s\n", keys.error().message.c_str());
    return 1;
  }
  std::printf(
      "%s: current epoch %u / 現在のエポック %u (mode 0600; keep it outside the store and back it "
      "up: without it no pseudonym can be re-identified)\n",
      args.out.c_str(), keys->current, keys->current);
  return 0;
}

}  // namespace mamori::cli
