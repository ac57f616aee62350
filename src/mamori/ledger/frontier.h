#pragma once
// ledger/frontier: the right edge of an RFC 9162 Merkle tree — the roots of the perfect
// subtrees of the binary decomposition of its size (a "compact range" from 0). O(log n) hashes,
// cheap to copy, so the verifier and the Ledger can ask "what would the root be if this leaf
// came next?" without touching the full MerkleTree. Its roots equal MerkleTree::root() for
// the same leaves (checked in tests/ledger).

#include <cstdint>
#include <vector>

#include "mamori/ledger/merkle.h"

namespace mamori::ledger {

class Frontier {
 public:
  void push(const Hash& leaf_hash) {
    nodes_.push_back(leaf_hash);
    // Every trailing 1 bit of the old size is a perfect subtree the new leaf completes.
    for (std::uint64_t n = size_; (n & 1U) != 0; n >>= 1) {
      const Hash right = nodes_.back();
      nodes_.pop_back();
      nodes_.back() = hash_children(nodes_.back(), right);
    }
    ++size_;
  }

  std::uint64_t size() const { return size_; }

  Hash root() const {
    if (nodes_.empty()) return empty_tree_root();
    Hash root = nodes_.back();
    for (auto it = nodes_.rbegin() + 1; it != nodes_.rend(); ++it) root = hash_children(*it, root);
    return root;
  }

  // Root after appending `leaf_hash`, without changing this frontier.
  Hash root_with(const Hash& leaf_hash) const {
    Frontier next = *this;
    next.push(leaf_hash);
    return next.root();
  }

 private:
  std::vector<Hash> nodes_;  // largest subtree first
  std::uint64_t size_ = 0;
};

}  // namespace mamori::ledger
