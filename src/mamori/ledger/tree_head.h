#pragma once
// ledger/tree_head: signed tree heads. The signed message is fixed binary, not JSON, so that
// no serialisation choice can change what a signature covers:
//   "mamori-sth-v1" 0x00 ‖ tree_size (u64 big-endian) ‖ timestamp µs since epoch (i64 BE)
//   ‖ root (32 bytes)
// JSON form: {"tree_size":N,"root":"hex","timestamp":"RFC 3339 µs","key_id":"…","signature":"hex"}

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/ledger/keys.h"
#include "mamori/ledger/merkle.h"

namespace mamori::ledger {

struct SignedTreeHead {
  std::uint64_t tree_size = 0;
  Hash root = {};
  Timestamp timestamp = {};  // microsecond precision
  std::string key_id = {};
  Signature signature = {};
  bool operator==(const SignedTreeHead&) const = default;
};

std::vector<std::uint8_t> tree_head_message(std::uint64_t tree_size, const Hash& root,
                                            Timestamp timestamp);
SignedTreeHead sign_tree_head(const SigningKey& key, std::uint64_t tree_size, const Hash& root,
                              Timestamp timestamp);
// Error if the key id differs or the signature does not verify.
Result<void> verify_tree_head(const SignedTreeHead& head, const PublicKey& key);

nlohmann::json tree_head_to_json(const SignedTreeHead& head);
Result<SignedTreeHead> tree_head_from_json(const nlohmann::json& json);

}  // namespace mamori::ledger
