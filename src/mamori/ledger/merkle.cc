#include "mamori/ledger/merkle.h"

#include <openssl/sha.h>

#include <bit>
#include <cstring>
#include <stdexcept>

namespace mamori::ledger {

namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

// Largest power of two strictly less than n (n >= 2): the RFC's split point k.
std::uint64_t split_point(std::uint64_t n) { return std::bit_floor(n - 1); }

}  // namespace

Hash hash_leaf(std::span<const std::uint8_t> leaf) {
  Hash out;
  // SHA256() one-shot needs the prefix and leaf contiguous; short leaves (nearly every ledger
  // line) are copied to the stack, long ones to the heap. The copy costs far less than hashing.
  constexpr std::size_t kInline = 1024;
  if (leaf.size() < kInline) {
    std::uint8_t buffer[kInline];
    buffer[0] = kLeafPrefix;
    if (!leaf.empty()) std::memcpy(buffer + 1, leaf.data(), leaf.size());
    SHA256(buffer, leaf.size() + 1, out.data());
    return out;
  }
  std::vector<std::uint8_t> buffer(leaf.size() + 1);
  buffer[0] = kLeafPrefix;
  std::memcpy(buffer.data() + 1, leaf.data(), leaf.size());
  SHA256(buffer.data(), buffer.size(), out.data());
  return out;
}

Hash hash_leaf(std::string_view leaf) {
  return hash_leaf(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(leaf.data()),
                                                 leaf.size()));
}

Hash hash_children(const Hash& left, const Hash& right) {
  std::uint8_t buffer[1 + 2 * 32];
  buffer[0] = kNodePrefix;
  std::memcpy(buffer + 1, left.data(), 32);
  std::memcpy(buffer + 33, right.data(), 32);
  Hash out;
  SHA256(buffer, sizeof buffer, out.data());
  return out;
}

Hash empty_tree_root() {
  static const Hash root = [] {
    Hash out;
    SHA256(nullptr, 0, out.data());
    return out;
  }();
  return root;
}

std::string hash_to_hex(const Hash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (std::size_t i = 0; i < hash.size(); ++i) {
    out[2 * i] = kDigits[hash[i] >> 4];
    out[2 * i + 1] = kDigits[hash[i] & 0x0f];
  }
  return out;
}

Result<Hash> hash_from_hex(std::string_view hex) {
  if (hex.size() != 64) return fail("hash: expected 64 hex digits, got {} characters", hex.size());
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Hash out;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = nibble(hex[2 * i]);
    const int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return fail("hash: character at offset {} is not a hex digit", high < 0 ? 2 * i : 2 * i + 1);
    }
    out[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// MerkleTree

void MerkleTree::append_leaf_hash(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Each time a level gets an even number of nodes, the last two complete a subtree one level
  // up — the binary carry of the leaf count.
  for (std::size_t level = 0; levels_[level].size() % 2 == 0; ++level) {
    if (level + 1 == levels_.size()) levels_.emplace_back();
    const auto& nodes = levels_[level];
    const Hash parent = hash_children(nodes[nodes.size() - 2], nodes[nodes.size() - 1]);
    levels_[level + 1].push_back(parent);
  }
}

void MerkleTree::reserve(std::uint64_t leaves) {
  std::size_t level = 0;
  for (std::uint64_t count = leaves; count > 0; count /= 2, ++level) {
    if (level == levels_.size()) levels_.emplace_back();
    levels_[level].reserve(count);
  }
}

std::uint64_t MerkleTree::size() const { return levels_.empty() ? 0 : levels_[0].size(); }

const Hash& MerkleTree::leaf_hash(std::uint64_t index) const {
  // A precondition, like vector::at: callers index leaves they appended.
  if (index >= size()) {
    throw std::out_of_range(
        fmt::format("merkle: leaf index {} is not in a tree of {} leaves", index, size()));
  }
  return levels_[0][index];
}

// MTH(D[start : start+length]) for a subtree of the RFC's recursion. Every such subtree starts
// at a multiple of its own split point, so a power-of-two subtree is a stored complete-subtree
// hash and any other one splits into a stored left half and a smaller right part: at most
// log2(length) hash computations, all down the right edge.
namespace {

Hash subtree_hash(const std::vector<std::vector<Hash>>& levels, std::uint64_t start,
                  std::uint64_t length) {
  if (std::has_single_bit(length)) {
    const int level = std::countr_zero(length);
    return levels[level][start >> level];
  }
  const std::uint64_t k = split_point(length);
  return hash_children(subtree_hash(levels, start, k), subtree_hash(levels, start + k, length - k));
}

// RFC 9162 §2.1.3.1 PATH(m, D[start : start+n]), appended deepest-first to `out`.
void append_path(const std::vector<std::vector<Hash>>& levels, std::uint64_t m, std::uint64_t start,
                 std::uint64_t n, std::vector<Hash>& out) {
  if (n <= 1) return;
  const std::uint64_t k = split_point(n);
  if (m < k) {
    append_path(levels, m, start, k, out);
    out.push_back(subtree_hash(levels, start + k, n - k));
  } else {
    append_path(levels, m - k, start + k, n - k, out);
    out.push_back(subtree_hash(levels, start, k));
  }
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[start : start+n], b).
void append_subproof(const std::vector<std::vector<Hash>>& levels, std::uint64_t m,
                     std::uint64_t start, std::uint64_t n, bool complete, std::vector<Hash>& out) {
  if (m == n) {
    if (!complete) out.push_back(subtree_hash(levels, start, n));
    return;
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    append_subproof(levels, m, start, k, complete, out);
    out.push_back(subtree_hash(levels, start + k, n - k));
  } else {
    append_subproof(levels, m - k, start + k, n - k, false, out);
    out.push_back(subtree_hash(levels, start, k));
  }
}

}  // namespace

Hash MerkleTree::root() const {
  const std::uint64_t n = size();
  return n == 0 ? empty_tree_root() : subtree_hash(levels_, 0, n);
}

Result<Hash> MerkleTree::root_at(std::uint64_t tree_size) const {
  if (tree_size > size()) {
    return fail("merkle: tree size {} is larger than the tree ({} leaves)", tree_size, size());
  }
  return tree_size == 0 ? empty_tree_root() : subtree_hash(levels_, 0, tree_size);
}

Result<std::vector<Hash>> MerkleTree::inclusion_proof(std::uint64_t index,
                                                      std::uint64_t tree_size) const {
  if (tree_size > size()) {
    return fail("merkle: inclusion proof for tree size {} but the tree has {} leaves", tree_size,
                size());
  }
  if (index >= tree_size) {
    return fail("merkle: leaf index {} is not in a tree of size {}", index, tree_size);
  }
  std::vector<Hash> proof;
  proof.reserve(64);
  append_path(levels_, index, 0, tree_size, proof);
  return proof;
}

Result<std::vector<Hash>> MerkleTree::consistency_proof(std::uint64_t old_size,
                                                        std::uint64_t new_size) const {
  if (new_size > size()) {
    return fail("merkle: consistency proof to tree size {} but the tree has {} leaves", new_size,
                size());
  }
  if (old_size == 0 || old_size > new_size) {
    return fail("merkle: no consistency proof from tree size {} to {} (need 0 < old <= new)",
                old_size, new_size);
  }
  std::vector<Hash> proof;
  proof.reserve(64);
  append_subproof(levels_, old_size, 0, new_size, true, proof);
  return proof;
}

// ---------------------------------------------------------------------------------------------
// Verification: written from the RFC 9162 §2.1.3.2 / §2.1.4.2 step lists, deliberately not
// sharing code with the generator above, so a bug in one is not mirrored in the other.

Result<void> verify_inclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t tree_size,
                              std::span<const Hash> proof, const Hash& root) {
  // Step 1.
  if (index >= tree_size) {
    return fail("inclusion proof: leaf index {} is not in a tree of size {}", index, tree_size);
  }
  // Steps 2-3.
  std::uint64_t fn = index;
  std::uint64_t sn = tree_size - 1;
  Hash r = leaf_hash;
  // Step 4.
  for (std::size_t i = 0; i < proof.size(); ++i) {
    const Hash& p = proof[i];
    if (sn == 0) {
      return fail("inclusion proof: proof too long ({} hashes, the path ends after {})",
                  proof.size(), i);
    }
    if ((fn & 1) != 0 || fn == sn) {
      r = hash_children(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = hash_children(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5.
  if (sn != 0) {
    return fail("inclusion proof: proof too short ({} hashes) for leaf {} in a tree of size {}",
                proof.size(), index, tree_size);
  }
  if (r != root) {
    return fail("inclusion proof: computed root {} does not match the expected root {}",
                hash_to_hex(r), hash_to_hex(root));
  }
  return {};
}

Result<void> verify_consistency(std::uint64_t old_size, std::uint64_t new_size,
                                const Hash& old_root, const Hash& new_root,
                                std::span<const Hash> proof) {
  if (old_size == 0) {
    return fail(
        "consistency proof: old tree size is 0 (every tree extends the empty tree; "
        "there is nothing to prove)");
  }
  if (old_size > new_size) {
    return fail("consistency proof: old tree size {} is larger than new tree size {}", old_size,
                new_size);
  }
  if (old_size == new_size) {
    // The RFC's algorithm covers old < new; equal sizes prove consistency only by equal roots.
    if (!proof.empty()) {
      return fail(
          "consistency proof: expected an empty proof for equal tree sizes {}, got {} "
          "hashes",
          old_size, proof.size());
    }
    if (old_root != new_root) {
      return fail("consistency proof: trees of equal size {} have different roots {} and {}",
                  old_size, hash_to_hex(old_root), hash_to_hex(new_root));
    }
    return {};
  }
  // Step 1.
  if (proof.empty()) {
    return fail("consistency proof: empty proof from tree size {} to {}", old_size, new_size);
  }
  // Step 2: a power-of-two old tree is itself a node of the new tree; the proof omits it.
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  // Steps 3-4.
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5.
  Hash fr = path[0];
  Hash sr = path[0];
  // Step 6.
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) {
      return fail("consistency proof: proof too long ({} hashes) from tree size {} to {}",
                  proof.size(), old_size, new_size);
    }
    if ((fn & 1) != 0 || fn == sn) {
      fr = hash_children(c, fr);
      sr = hash_children(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = hash_children(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 7.
  if (sn != 0) {
    return fail("consistency proof: proof too short ({} hashes) from tree size {} to {}",
                proof.size(), old_size, new_size);
  }
  if (fr != old_root) {
    return fail("consistency proof: computed old root {} does not match the old root {} (size {})",
                hash_to_hex(fr), hash_to_hex(old_root), old_size);
  }
  if (sr != new_root) {
    return fail("consistency proof: computed new root {} does not match the new root {} (size {})",
                hash_to_hex(sr), hash_to_hex(new_root), new_size);
  }
  return {};
}

}  // namespace mamori::ledger
