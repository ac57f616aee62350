#pragma once
// ledger/merkle: the RFC 9162 (Certificate Transparency v2, §2.1) Merkle tree. Leaf hash
// SHA-256(0x00 ‖ leaf), node hash SHA-256(0x01 ‖ left ‖ right), the empty tree's root
// SHA-256(""). Inclusion and consistency proofs are generated and verified exactly as the RFC
// specifies, so any RFC 6962/9162 implementation can check them.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"

namespace mamori::ledger {

using Hash = std::array<std::uint8_t, 32>;

Hash hash_leaf(std::span<const std::uint8_t> leaf);
Hash hash_leaf(std::string_view leaf);
Hash hash_children(const Hash& left, const Hash& right);
Hash empty_tree_root();

std::string hash_to_hex(const Hash& hash);
Result<Hash> hash_from_hex(std::string_view hex);

// An append-only tree of leaf hashes. Keeps the hash of every complete (power-of-two aligned)
// subtree, so appending is amortised O(1) and any root, inclusion proof or consistency proof
// for any earlier tree size costs O(log n) hash reads plus O(log n) hash computations for the
// rightmost incomplete subtree.
class MerkleTree {
 public:
  MerkleTree() = default;

  void append_leaf_hash(const Hash& leaf_hash);
  void append(std::string_view leaf) { append_leaf_hash(hash_leaf(leaf)); }
  // Reserves memory for `leaves` leaves (all levels), e.g. before loading a stored ledger.
  void reserve(std::uint64_t leaves);

  std::uint64_t size() const;
  const Hash& leaf_hash(std::uint64_t index) const;  // index < size()

  Hash root() const;  // root of the whole tree (empty_tree_root() when empty)
  // Root of the tree formed by the first `tree_size` leaves; error if tree_size > size().
  Result<Hash> root_at(std::uint64_t tree_size) const;
  // RFC 9162 §2.1.3.1 PATH(index, D[0:tree_size]). Error unless index < tree_size <= size().
  Result<std::vector<Hash>> inclusion_proof(std::uint64_t index, std::uint64_t tree_size) const;
  // RFC 9162 §2.1.4.1 PROOF(old_size, D[0:new_size]). Error unless 0 < old_size <= new_size
  // <= size(). (old_size == new_size gives the empty proof.)
  Result<std::vector<Hash>> consistency_proof(std::uint64_t old_size,
                                              std::uint64_t new_size) const;

 private:
  // levels_[k][i] is the hash of leaves [i·2^k, (i+1)·2^k); levels_[0] are leaf hashes.
  std::vector<std::vector<Hash>> levels_;
};

// RFC 9162 §2.1.3.2. Error says why (index out of range, wrong proof length, root mismatch).
Result<void> verify_inclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t tree_size,
                              std::span<const Hash> proof, const Hash& root);
// RFC 9162 §2.1.4.2.
Result<void> verify_consistency(std::uint64_t old_size, std::uint64_t new_size,
                                const Hash& old_root, const Hash& new_root,
                                std::span<const Hash> proof);

}  // namespace mamori::ledger
