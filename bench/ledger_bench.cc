// Ledger cryptography: Merkle tree appends, proofs at scale, and tree-head signing.
//  - BM_MerkleAppend: leaf hashing (a ~230-byte canonical leaf) plus append, leaves/s.
//  - BM_MerkleAppendLeafHash: append of a precomputed leaf hash alone.
//  - BM_*10M: proof generation and verification against one tree of MAMORI_BENCH_LEAVES leaves
//    (default 10,000,000; ~640 MB), built once on first use; the build time is printed.
//  - BM_SignTreeHead / BM_VerifyTreeHead: Ed25519 over the fixed tree-head message.
// Run short: --benchmark_min_time=0.2

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_random.h"
#include "mamori/ledger/entry.h"
#include "mamori/ledger/merkle.h"
#include "mamori/ledger/tree_head.h"

namespace {

using namespace mamori;
using namespace mamori::ledger;

using Random = mamori::bench::SplitMix64;

std::string typical_leaf(std::uint64_t seq) {
  LedgerEntry entry;
  entry.seq = seq;
  entry.at = Timestamp::from_micros(1'795'305'600'000'000 + static_cast<std::int64_t>(seq));
  entry.type = "record.accessed";
  entry.body = {{"user", "analyst-07"},
                {"purpose", "incident-2026-114"},
                {"records", 25},
                {"query", "rule=c2-beacon-17"}};
  entry.prev = hash_leaf(std::to_string(seq));
  return canonical_leaf(entry);
}

std::uint64_t big_tree_leaves() {
  if (const char* env = std::getenv("MAMORI_BENCH_LEAVES")) return std::strtoull(env, nullptr, 10);
  return 10'000'000;
}

const MerkleTree& big_tree() {
  static const MerkleTree tree = [] {
    const std::uint64_t leaves = big_tree_leaves();
    const auto start = std::chrono::steady_clock::now();
    MerkleTree built;
    built.reserve(leaves);
    for (std::uint64_t i = 0; i < leaves; ++i) built.append(std::to_string(i));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "built a %llu-leaf tree in %.2f s (%.0f leaves/s)\n",
                 static_cast<unsigned long long>(leaves), seconds,
                 static_cast<double>(leaves) / seconds);
    return built;
  }();
  return tree;
}

void BM_MerkleAppend(benchmark::State& state) {
  const std::string leaf = typical_leaf(123'456);
  MerkleTree tree;
  for (auto _ : state) {
    // Bounded so that a long run measures appends, not memory growth.
    if (tree.size() == (1u << 22)) tree = MerkleTree();
    tree.append(leaf);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(leaf.size()));
  state.counters["leaf_bytes"] = static_cast<double>(leaf.size());
}
BENCHMARK(BM_MerkleAppend);

void BM_MerkleAppendLeafHash(benchmark::State& state) {
  const Hash leaf = hash_leaf(typical_leaf(1));
  MerkleTree tree;
  for (auto _ : state) {
    if (tree.size() == (1u << 22)) tree = MerkleTree();
    tree.append_leaf_hash(leaf);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MerkleAppendLeafHash);

void BM_CanonicalLeaf(benchmark::State& state) {
  std::uint64_t seq = 0;
  for (auto _ : state) benchmark::DoNotOptimize(typical_leaf(seq++));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CanonicalLeaf);

void BM_RootAt10M(benchmark::State& state) {
  const MerkleTree& tree = big_tree();
  Random random{1};
  for (auto _ : state) {
    benchmark::DoNotOptimize(tree.root_at(1 + random.next() % tree.size()));
  }
}
BENCHMARK(BM_RootAt10M)->Unit(benchmark::kMicrosecond);

void BM_InclusionProof10M(benchmark::State& state) {
  const MerkleTree& tree = big_tree();
  Random random{2};
  for (auto _ : state) {
    benchmark::DoNotOptimize(tree.inclusion_proof(random.next() % tree.size(), tree.size()));
  }
}
BENCHMARK(BM_InclusionProof10M)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProof10M(benchmark::State& state) {
  const MerkleTree& tree = big_tree();
  Random random{3};
  for (auto _ : state) {
    benchmark::DoNotOptimize(tree.consistency_proof(1 + random.next() % tree.size(), tree.size()));
  }
}
BENCHMARK(BM_ConsistencyProof10M)->Unit(benchmark::kMicrosecond);

void BM_VerifyInclusion10M(benchmark::State& state) {
  const MerkleTree& tree = big_tree();
  const Hash root = tree.root();
  struct Query {
    std::uint64_t index;
    std::vector<Hash> proof;
  };
  std::vector<Query> queries;
  Random random{4};
  for (int i = 0; i < 1024; ++i) {
    const std::uint64_t index = random.next() % tree.size();
    queries.push_back({index, tree.inclusion_proof(index, tree.size()).value()});
  }
  std::size_t next = 0;
  for (auto _ : state) {
    const Query& q = queries[next++ % queries.size()];
    auto ok = verify_inclusion(tree.leaf_hash(q.index), q.index, tree.size(), q.proof, root);
    if (!ok) state.SkipWithError("inclusion proof did not verify");
  }
  state.counters["proof_hashes"] = static_cast<double>(queries[0].proof.size());
}
BENCHMARK(BM_VerifyInclusion10M)->Unit(benchmark::kMicrosecond);

void BM_VerifyConsistency10M(benchmark::State& state) {
  const MerkleTree& tree = big_tree();
  const Hash root = tree.root();
  struct Query {
    std::uint64_t old_size;
    Hash old_root;
    std::vector<Hash> proof;
  };
  std::vector<Query> queries;
  Random random{5};
  for (int i = 0; i < 256; ++i) {
    const std::uint64_t old_size = 1 + random.next() % tree.size();
    queries.push_back({old_size, tree.root_at(old_size).value(),
                       tree.consistency_proof(old_size, tree.size()).value()});
  }
  std::size_t next = 0;
  for (auto _ : state) {
    const Query& q = queries[next++ % queries.size()];
    auto ok = verify_consistency(q.old_size, tree.size(), q.old_root, root, q.proof);
    if (!ok) state.SkipWithError("consistency proof did not verify");
  }
}
BENCHMARK(BM_VerifyConsistency10M)->Unit(benchmark::kMicrosecond);

void BM_SignTreeHead(benchmark::State& state) {
  const auto key = SigningKey::generate(KeyRole::sensor);
  const Hash root = hash_leaf("root");
  std::uint64_t size = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sign_tree_head(key, size++, root, Timestamp::from_seconds(1)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignTreeHead)->Unit(benchmark::kMicrosecond);

void BM_VerifyTreeHead(benchmark::State& state) {
  const auto key = SigningKey::generate(KeyRole::sensor);
  const SignedTreeHead head =
      sign_tree_head(key, 10'000'000, hash_leaf("root"), Timestamp::from_seconds(1));
  for (auto _ : state) {
    if (!verify_tree_head(head, key.public_key())) state.SkipWithError("tree head did not verify");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyTreeHead)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
