#include "mamori/ledger/merkle.h"

#include <bit>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mamori::ledger {
namespace {

// Known answers: the RFC 6962 reference tree of the Certificate Transparency project,
// repository google/certificate-transparency, file cpp/merkletree/merkle_tree_test.cc
// (kInputs, kSHA256Roots, kSHA256Paths, kSHA256Proofs). That file numbers leaves from 1; the
// indexes below are 0-based as in RFC 9162.

std::string bytes_from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

Hash H(std::string_view hex) {
  auto hash = hash_from_hex(hex);
  EXPECT_TRUE(hash.has_value()) << hex;
  return hash.value_or(Hash{});
}

const char* const kInputs[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

const char* const kEmptyRoot = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const char* const kRoots[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct InclusionVector {
  std::uint64_t index;
  std::uint64_t tree_size;
  std::vector<const char*> proof;
};

const InclusionVector kInclusion[] = {
    {0, 1, {}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

struct ConsistencyVector {
  std::uint64_t old_size;
  std::uint64_t new_size;
  std::vector<const char*> proof;
};

const ConsistencyVector kConsistency[] = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

std::vector<Hash> hashes(const std::vector<const char*>& hex) {
  std::vector<Hash> out;
  for (const char* h : hex) out.push_back(H(h));
  return out;
}

MerkleTree reference_tree() {
  MerkleTree tree;
  for (const char* input : kInputs) tree.append(bytes_from_hex(input));
  return tree;
}

// Naive RFC 9162 §2.1.1-2.1.4 recursions over a list of leaf hashes, straight from the text,
// to cross-check the tree's level-based shortcuts.
std::uint64_t naive_split(std::uint64_t n) {
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash naive_mth(const std::vector<Hash>& leaves, std::uint64_t begin, std::uint64_t end) {
  const std::uint64_t n = end - begin;
  if (n == 0) return empty_tree_root();
  if (n == 1) return leaves[begin];
  const std::uint64_t k = naive_split(n);
  return hash_children(naive_mth(leaves, begin, begin + k), naive_mth(leaves, begin + k, end));
}

std::vector<Hash> naive_path(const std::vector<Hash>& leaves, std::uint64_t m, std::uint64_t begin,
                             std::uint64_t end) {
  const std::uint64_t n = end - begin;
  if (n == 1) return {};
  const std::uint64_t k = naive_split(n);
  std::vector<Hash> out;
  if (m < k) {
    out = naive_path(leaves, m, begin, begin + k);
    out.push_back(naive_mth(leaves, begin + k, end));
  } else {
    out = naive_path(leaves, m - k, begin + k, end);
    out.push_back(naive_mth(leaves, begin, begin + k));
  }
  return out;
}

std::vector<Hash> naive_subproof(const std::vector<Hash>& leaves, std::uint64_t m,
                                 std::uint64_t begin, std::uint64_t end, bool b) {
  const std::uint64_t n = end - begin;
  if (m == n) {
    if (b) return {};
    return {naive_mth(leaves, begin, end)};
  }
  const std::uint64_t k = naive_split(n);
  std::vector<Hash> out;
  if (m <= k) {
    out = naive_subproof(leaves, m, begin, begin + k, b);
    out.push_back(naive_mth(leaves, begin + k, end));
  } else {
    out = naive_subproof(leaves, m - k, begin + k, end, false);
    out.push_back(naive_mth(leaves, begin, begin + k));
  }
  return out;
}

std::vector<Hash> random_leaf_hashes(std::uint64_t n, std::mt19937_64& rng) {
  std::vector<Hash> leaves(n);
  for (auto& leaf : leaves) {
    std::string data(rng() % 40, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    leaf = hash_leaf(data);
  }
  return leaves;
}

MerkleTree tree_of(const std::vector<Hash>& leaves) {
  MerkleTree tree;
  for (const Hash& leaf : leaves) tree.append_leaf_hash(leaf);
  return tree;
}

Hash flip_bit(Hash hash, std::size_t bit) {
  hash[bit / 8 % 32] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  return hash;
}

// --- primitives -------------------------------------------------------------------------------

TEST(Merkle, EmptyTreeRootIsSha256OfNothing) {
  EXPECT_EQ(hash_to_hex(empty_tree_root()), kEmptyRoot);
  EXPECT_EQ(MerkleTree().root(), empty_tree_root());
  EXPECT_EQ(MerkleTree().size(), 0u);
  EXPECT_EQ(MerkleTree().root_at(0).value(), empty_tree_root());
}

TEST(Merkle, LeafAndNodeHashesUseDomainPrefixes) {
  // Leaf hash of the empty leaf is SHA-256(0x00): the reference root of size 1.
  EXPECT_EQ(hash_to_hex(hash_leaf(std::string_view())), kRoots[0]);
  const std::string zero(1, '\0');
  EXPECT_EQ(hash_leaf(std::span<const std::uint8_t>(
                reinterpret_cast<const std::uint8_t*>(zero.data()), zero.size())),
            hash_leaf(zero));
  // A node is SHA-256(0x01 ‖ l ‖ r): different from hashing the concatenation as a leaf.
  const Hash a = hash_leaf("a");
  const Hash b = hash_leaf("b");
  std::string concatenated(a.begin(), a.end());
  concatenated.append(b.begin(), b.end());
  EXPECT_NE(hash_children(a, b), hash_leaf(concatenated));
  EXPECT_NE(hash_children(a, b), hash_children(b, a));
}

TEST(Merkle, LongLeavesHashLikeShortOnes) {
  // hash_leaf takes a different buffer path above 1 KiB; both must agree with the definition.
  std::string long_leaf(5000, 'x');
  MerkleTree tree;
  tree.append(long_leaf);
  EXPECT_EQ(tree.leaf_hash(0), hash_leaf(long_leaf));
  EXPECT_NE(hash_leaf(long_leaf), hash_leaf(long_leaf.substr(1)));
  EXPECT_NE(hash_leaf(std::string(1023, 'x')), hash_leaf(std::string(1024, 'x')));
}

TEST(Merkle, HexRoundTripAndErrors) {
  const Hash h = H(kRoots[7]);
  EXPECT_EQ(hash_to_hex(h), kRoots[7]);
  EXPECT_EQ(
      hash_from_hex("5DC9DA79A70659A9AD559CB701DED9A2AB9D823AAD2F4960CFE370EFF4604328").value(), h);
  auto short_hex = hash_from_hex("abcd");
  ASSERT_FALSE(short_hex);
  EXPECT_NE(short_hex.error().message.find("64"), std::string::npos);
  EXPECT_NE(short_hex.error().message.find("4"), std::string::npos);
  std::string bad(kRoots[7]);
  bad[10] = 'g';
  auto not_hex = hash_from_hex(bad);
  ASSERT_FALSE(not_hex);
  EXPECT_NE(not_hex.error().message.find("offset 10"), std::string::npos);
}

// --- RFC 6962 known answers ------------------------------------------------------------------

TEST(Merkle, RootsMatchRfc6962ReferenceTree) {
  MerkleTree tree;
  for (std::size_t i = 0; i < 8; ++i) {
    tree.append(bytes_from_hex(kInputs[i]));
    EXPECT_EQ(tree.size(), i + 1);
    EXPECT_EQ(hash_to_hex(tree.root()), kRoots[i]) << "size " << i + 1;
    EXPECT_EQ(hash_to_hex(tree.root_at(0).value()), kEmptyRoot);
    for (std::size_t j = 0; j <= i; ++j) {
      EXPECT_EQ(hash_to_hex(tree.root_at(j + 1).value()), kRoots[j]) << "root_at " << j + 1;
    }
  }
}

TEST(Merkle, InclusionProofsMatchRfc6962ReferenceTree) {
  const MerkleTree tree = reference_tree();
  for (const auto& v : kInclusion) {
    auto proof = tree.inclusion_proof(v.index, v.tree_size);
    ASSERT_TRUE(proof) << proof.error().message;
    EXPECT_EQ(*proof, hashes(v.proof)) << "index " << v.index << " size " << v.tree_size;
    EXPECT_TRUE(verify_inclusion(tree.leaf_hash(v.index), v.index, v.tree_size, hashes(v.proof),
                                 H(kRoots[v.tree_size - 1])));
  }
}

TEST(Merkle, ConsistencyProofsMatchRfc6962ReferenceTree) {
  const MerkleTree tree = reference_tree();
  for (const auto& v : kConsistency) {
    auto proof = tree.consistency_proof(v.old_size, v.new_size);
    ASSERT_TRUE(proof) << proof.error().message;
    EXPECT_EQ(*proof, hashes(v.proof)) << v.old_size << " -> " << v.new_size;
    auto ok = verify_consistency(v.old_size, v.new_size, H(kRoots[v.old_size - 1]),
                                 H(kRoots[v.new_size - 1]), hashes(v.proof));
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().message);
  }
}

// --- structure against the naive recursion ---------------------------------------------------

TEST(Merkle, RootAtEqualsNaiveMthForEverySize) {
  std::mt19937_64 rng(1);
  const auto leaves = random_leaf_hashes(130, rng);
  const MerkleTree tree = tree_of(leaves);
  for (std::uint64_t k = 0; k <= leaves.size(); ++k) {
    EXPECT_EQ(tree.root_at(k).value(), naive_mth(leaves, 0, k)) << "k=" << k;
  }
  EXPECT_EQ(tree.root(), naive_mth(leaves, 0, leaves.size()));
  for (std::uint64_t i = 0; i < leaves.size(); ++i) EXPECT_EQ(tree.leaf_hash(i), leaves[i]);
}

TEST(Merkle, ProofsEqualNaiveRecursion) {
  std::mt19937_64 rng(2);
  const auto leaves = random_leaf_hashes(70, rng);
  const MerkleTree tree = tree_of(leaves);
  for (std::uint64_t n = 1; n <= leaves.size(); ++n) {
    for (std::uint64_t m = 0; m < n; ++m) {
      EXPECT_EQ(tree.inclusion_proof(m, n).value(), naive_path(leaves, m, 0, n))
          << "PATH(" << m << ", " << n << ")";
      EXPECT_EQ(tree.consistency_proof(m + 1, n).value(), naive_subproof(leaves, m + 1, 0, n, true))
          << "PROOF(" << m + 1 << ", " << n << ")";
    }
  }
}

// --- verification properties -----------------------------------------------------------------

// Checks one inclusion proof verifies and that every single corruption of it is rejected.
void check_inclusion_and_mutations(const MerkleTree& tree, std::uint64_t index, std::uint64_t size,
                                   std::mt19937_64& rng) {
  const Hash root = tree.root_at(size).value();
  const Hash leaf = tree.leaf_hash(index);
  const auto proof = tree.inclusion_proof(index, size).value();
  auto ok = verify_inclusion(leaf, index, size, proof, root);
  ASSERT_TRUE(ok) << "index " << index << " size " << size << ": " << ok.error().message;

  for (std::size_t i = 0; i < proof.size(); ++i) {
    auto bad = proof;
    bad[i] = flip_bit(bad[i], rng() % 256);
    EXPECT_FALSE(verify_inclusion(leaf, index, size, bad, root)) << "flipped proof[" << i << "]";
  }
  EXPECT_FALSE(verify_inclusion(flip_bit(leaf, rng() % 256), index, size, proof, root));
  EXPECT_FALSE(verify_inclusion(leaf, index, size, proof, flip_bit(root, rng() % 256)));
  if (size > 1) {
    const std::uint64_t other = (index + 1 + rng() % (size - 1)) % size;
    EXPECT_FALSE(verify_inclusion(leaf, other, size, proof, root)) << "index " << other;
  }
  EXPECT_FALSE(verify_inclusion(leaf, index, size, proof, tree.root_at(size - 1).value()));
  EXPECT_FALSE(verify_inclusion(leaf, size, size, proof, root));
  // Sizes that change the tree's height (size ± 1 can leave the path's shape intact: the
  // verifier then checks the right root, which only the caller's signed size pins down).
  EXPECT_FALSE(verify_inclusion(leaf, index, size * 2, proof, root));
  if (size / 2 > index) {
    EXPECT_FALSE(verify_inclusion(leaf, index, size / 2, proof, root));
  }
  auto longer = proof;
  longer.push_back(root);
  EXPECT_FALSE(verify_inclusion(leaf, index, size, longer, root));
  auto prefixed = proof;
  prefixed.insert(prefixed.begin(), leaf);
  EXPECT_FALSE(verify_inclusion(leaf, index, size, prefixed, root));
  if (!proof.empty()) {
    auto shorter = proof;
    shorter.pop_back();
    EXPECT_FALSE(verify_inclusion(leaf, index, size, shorter, root));
  }
}

void check_consistency_and_mutations(const MerkleTree& tree, std::uint64_t old_size,
                                     std::uint64_t new_size, std::mt19937_64& rng) {
  const Hash old_root = tree.root_at(old_size).value();
  const Hash new_root = tree.root_at(new_size).value();
  const auto proof = tree.consistency_proof(old_size, new_size).value();
  auto ok = verify_consistency(old_size, new_size, old_root, new_root, proof);
  ASSERT_TRUE(ok) << old_size << " -> " << new_size << ": " << ok.error().message;
  if (old_size == new_size) {
    EXPECT_TRUE(proof.empty());
    EXPECT_FALSE(verify_consistency(old_size, new_size, old_root, flip_bit(new_root, 3), proof));
    return;
  }

  for (std::size_t i = 0; i < proof.size(); ++i) {
    auto bad = proof;
    bad[i] = flip_bit(bad[i], rng() % 256);
    EXPECT_FALSE(verify_consistency(old_size, new_size, old_root, new_root, bad))
        << old_size << " -> " << new_size << " flipped proof[" << i << "]";
  }
  EXPECT_FALSE(
      verify_consistency(old_size, new_size, flip_bit(old_root, rng() % 256), new_root, proof));
  EXPECT_FALSE(
      verify_consistency(old_size, new_size, old_root, flip_bit(new_root, rng() % 256), proof));
  EXPECT_FALSE(verify_consistency(old_size, new_size, new_root, old_root, proof));
  EXPECT_FALSE(verify_consistency(old_size - 1, new_size, old_root, new_root, proof));
  EXPECT_FALSE(verify_consistency(old_size + 1, new_size, old_root, new_root, proof));
  EXPECT_FALSE(verify_consistency(old_size ^ 2, new_size, old_root, new_root, proof));
  EXPECT_FALSE(verify_consistency(old_size, new_size * 2, old_root, new_root, proof));
  EXPECT_FALSE(verify_consistency(old_size, new_size / 2, old_root, new_root, proof));
  EXPECT_FALSE(verify_consistency(old_size, new_size, old_root, new_root, {}));
  auto longer = proof;
  longer.push_back(proof.back());
  EXPECT_FALSE(verify_consistency(old_size, new_size, old_root, new_root, longer));
  auto prefixed = proof;
  prefixed.insert(prefixed.begin(), old_root);
  EXPECT_FALSE(verify_consistency(old_size, new_size, old_root, new_root, prefixed));
  auto shorter = proof;
  shorter.pop_back();
  EXPECT_FALSE(verify_consistency(old_size, new_size, old_root, new_root, shorter));
}

TEST(Merkle, EveryInclusionProofVerifiesAndEveryCorruptionFails) {
  std::mt19937_64 rng(3);
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t n = 1; n <= 40; ++n) sizes.push_back(n);
  for (int i = 0; i < 6; ++i) sizes.push_back(41 + rng() % 260);
  sizes.push_back(256);
  sizes.push_back(257);
  const MerkleTree tree = tree_of(random_leaf_hashes(301, rng));
  for (std::uint64_t size : sizes) {
    for (std::uint64_t index = 0; index < size; ++index) {
      check_inclusion_and_mutations(tree, index, size, rng);
    }
  }
}

TEST(Merkle, EveryConsistencyProofVerifiesAndEveryCorruptionFails) {
  std::mt19937_64 rng(4);
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t n = 1; n <= 40; ++n) sizes.push_back(n);
  for (int i = 0; i < 4; ++i) sizes.push_back(41 + rng() % 260);
  sizes.push_back(256);
  sizes.push_back(300);
  const MerkleTree tree = tree_of(random_leaf_hashes(300, rng));
  for (std::uint64_t new_size : sizes) {
    for (std::uint64_t old_size = 1; old_size <= new_size; ++old_size) {
      check_consistency_and_mutations(tree, old_size, new_size, rng);
    }
  }
}

TEST(Merkle, Invariant_I9_AlteredLeafBreaksConsistencyWithEarlierRoot) {
  // A log that rewrites leaf 3 after publishing the root of size 10 cannot prove its new tree
  // extends the published one.
  std::mt19937_64 rng(5);
  auto leaves = random_leaf_hashes(20, rng);
  const Hash published = tree_of(leaves).root_at(10).value();
  leaves[3] = hash_leaf("rewritten");
  const MerkleTree rewritten = tree_of(leaves);
  for (std::uint64_t new_size = 10; new_size <= 20; ++new_size) {
    const auto proof = rewritten.consistency_proof(10, new_size).value();
    EXPECT_FALSE(
        verify_consistency(10, new_size, published, rewritten.root_at(new_size).value(), proof));
  }
}

TEST(Merkle, LargeTreeProofsVerify) {
  // Sizes far from powers of two, beyond a few levels, with a fixed seed.
  std::mt19937_64 rng(6);
  MerkleTree tree;
  tree.reserve(100'003);
  for (std::uint64_t i = 0; i < 100'003; ++i) tree.append(std::to_string(i));
  for (int q = 0; q < 200; ++q) {
    const std::uint64_t size = 1 + rng() % tree.size();
    const std::uint64_t index = rng() % size;
    const std::uint64_t old_size = 1 + rng() % size;
    const Hash root = tree.root_at(size).value();
    EXPECT_TRUE(verify_inclusion(hash_leaf(std::to_string(index)), index, size,
                                 tree.inclusion_proof(index, size).value(), root));
    EXPECT_TRUE(verify_consistency(old_size, size, tree.root_at(old_size).value(), root,
                                   tree.consistency_proof(old_size, size).value()));
  }
}

// --- errors ------------------------------------------------------------------------------------

TEST(Merkle, OutOfRangeRequestsAreErrorsWithTheNumbers) {
  const MerkleTree tree = reference_tree();
  auto root = tree.root_at(9);
  ASSERT_FALSE(root);
  EXPECT_NE(root.error().message.find("9"), std::string::npos);
  EXPECT_NE(root.error().message.find("8 leaves"), std::string::npos);

  auto index_too_big = tree.inclusion_proof(5, 5);
  ASSERT_FALSE(index_too_big);
  EXPECT_NE(index_too_big.error().message.find("leaf index 5"), std::string::npos);
  EXPECT_NE(index_too_big.error().message.find("size 5"), std::string::npos);
  auto size_too_big = tree.inclusion_proof(0, 12);
  ASSERT_FALSE(size_too_big);
  EXPECT_NE(size_too_big.error().message.find("12"), std::string::npos);
  EXPECT_FALSE(tree.inclusion_proof(0, 0));
  EXPECT_THROW((void)tree.leaf_hash(8), std::out_of_range);
  EXPECT_THROW((void)MerkleTree().leaf_hash(0), std::out_of_range);

  auto zero = tree.consistency_proof(0, 4);
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message.find("from tree size 0 to 4"), std::string::npos);
  auto backwards = tree.consistency_proof(5, 4);
  ASSERT_FALSE(backwards);
  EXPECT_NE(backwards.error().message.find("from tree size 5 to 4"), std::string::npos);
  auto beyond = tree.consistency_proof(4, 9);
  ASSERT_FALSE(beyond);
  EXPECT_NE(beyond.error().message.find("9"), std::string::npos);
}

TEST(Merkle, VerifierErrorsSayWhy) {
  const MerkleTree tree = reference_tree();
  const auto proof = tree.inclusion_proof(5, 8).value();
  const Hash root = tree.root();
  const Hash leaf = tree.leaf_hash(5);

  auto out_of_range = verify_inclusion(leaf, 8, 8, proof, root);
  ASSERT_FALSE(out_of_range);
  EXPECT_NE(out_of_range.error().message.find("leaf index 8"), std::string::npos);
  auto too_long =
      verify_inclusion(leaf, 5, 8, std::vector<Hash>{proof[0], proof[1], proof[2], root}, root);
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message.find("too long"), std::string::npos);
  auto too_short = verify_inclusion(leaf, 5, 8, std::vector<Hash>{proof[0]}, root);
  ASSERT_FALSE(too_short);
  EXPECT_NE(too_short.error().message.find("too short"), std::string::npos);
  auto mismatch = verify_inclusion(leaf, 5, 8, proof, empty_tree_root());
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().message.find("does not match"), std::string::npos);

  const auto cproof = tree.consistency_proof(6, 8).value();
  auto empty = verify_consistency(6, 8, tree.root_at(6).value(), root, {});
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("empty proof"), std::string::npos);
  auto backwards = verify_consistency(8, 6, root, tree.root_at(6).value(), cproof);
  ASSERT_FALSE(backwards);
  EXPECT_NE(backwards.error().message.find("8"), std::string::npos);
  auto zero = verify_consistency(0, 8, empty_tree_root(), root, {});
  ASSERT_FALSE(zero);
  auto equal_sizes = verify_consistency(8, 8, root, root, cproof);
  ASSERT_FALSE(equal_sizes);
  EXPECT_NE(equal_sizes.error().message.find("empty proof"), std::string::npos);
  EXPECT_TRUE(verify_consistency(8, 8, root, root, {}));
  auto wrong_old = verify_consistency(6, 8, tree.root_at(5).value(), root, cproof);
  ASSERT_FALSE(wrong_old);
  EXPECT_NE(wrong_old.error().message.find("old root"), std::string::npos);
}

}  // namespace
}  // namespace mamori::ledger
