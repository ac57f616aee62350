#include "mamori/oversight/integrity.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "mamori/ledger/entry.h"
#include "mamori/ledger/merkle.h"

namespace mamori::oversight {
namespace {

class ProblemList {
 public:
  explicit ProblemList(IntegrityReport& out) : out_(out) {}

  void add(std::uint64_t seq, std::string message) {
    if (!out_.first_bad_seq || seq < *out_.first_bad_seq) out_.first_bad_seq = seq;
    if (out_.problems.size() < kMaxListedProblems) {
      out_.problems.push_back({seq, std::move(message)});
    } else {
      ++out_.suppressed_problems;
    }
  }
  void suppress() { ++out_.suppressed_problems; }
  bool named(std::uint64_t seq) const {
    return std::any_of(out_.problems.begin(), out_.problems.end(),
                       [seq](const LeafProblem& p) { return p.seq == seq; });
  }
  bool any_in(std::uint64_t from, std::uint64_t to) const {
    return std::any_of(out_.problems.begin(), out_.problems.end(),
                       [&](const LeafProblem& p) { return p.seq >= from && p.seq < to; });
  }

 private:
  IntegrityReport& out_;
};

// Walks the leaves in stored order, rebuilding the tree from the stored text. A `prev` that
// does not match the recomputed root names the entry before it: that entry is the one whose
// text differs from what its successor committed to. Once the chain breaks, every later `prev`
// differs too; those are consequences and only counted.
void check_leaves(std::span<const ledger::StoredLeaf> leaves, ledger::MerkleTree& tree,
                  ProblemList& problems) {
  bool previous_prev_mismatched = false;
  for (std::uint64_t i = 0; i < leaves.size(); ++i) {
    const auto& stored = leaves[i];
    const ledger::Hash expected_prev = tree.root();
    // A stored seq off its position names the place where entries went missing (or were
    // inserted or reordered); the positions after it keep the offset, which is the same break.
    const bool seq_break = stored.seq != i;
    if (seq_break) {
      if (i == 0 || leaves[i - 1].seq + 1 != stored.seq) {
        problems.add(i, fmt::format("position {} holds stored seq {}: entries are missing, "
                                    "duplicated or out of order / 欠落・重複・順序の入れ替え",
                                    i, stored.seq));
      } else {
        problems.suppress();
      }
    }
    bool prev_mismatch = false;
    auto entry = ledger::parse_leaf(stored.leaf);
    if (!entry) {
      problems.add(i,
                   fmt::format("entry {} does not parse / 解析不能: {}", i, entry.error().message));
    } else {
      if (entry->seq != stored.seq) {
        problems.add(i, fmt::format("entry {} says seq {} but is stored as seq {} / 番号の不一致",
                                    i, entry->seq, stored.seq));
      }
      if (ledger::canonical_leaf(*entry) != stored.leaf) {
        problems.add(i, fmt::format("entry {} is not in canonical form: altered after writing "
                                    "/ 正規形でない (書込後の改変)",
                                    i));
      }
      prev_mismatch = entry->prev != expected_prev;
      if (prev_mismatch) {
        if (i == 0) {
          problems.add(0, "entry 0: prev is not the empty-tree root / 先頭の prev が不正");
        } else if (seq_break || previous_prev_mismatched || problems.named(i - 1)) {
          problems.suppress();  // explained by the problem already named
        } else {
          problems.add(i - 1, fmt::format("entry {} differs from what entry {} committed to "
                                          "(its prev is not the root of entries 0..{}): entry "
                                          "{} was altered, or entries were removed or "
                                          "inserted / 改変・削除・挿入",
                                          i - 1, i, i - 1, i - 1));
        }
      }
    }
    previous_prev_mismatched = prev_mismatch;
    tree.append(stored.leaf);
  }
}

void check_heads(std::span<const ledger::SignedTreeHead> input_heads,
                 const std::optional<ledger::PublicKey>& key, const ledger::MerkleTree& tree,
                 ProblemList& problems, IntegrityReport& out) {
  std::vector<ledger::SignedTreeHead> heads(input_heads.begin(), input_heads.end());
  std::stable_sort(heads.begin(), heads.end(), [](const auto& a, const auto& b) {
    return a.tree_size < b.tree_size || (a.tree_size == b.tree_size && a.timestamp < b.timestamp);
  });
  const std::uint64_t size = tree.size();
  std::uint64_t last_matching_size = 0;  // largest head size whose root matched so far
  for (std::size_t h = 0; h < heads.size(); ++h) {
    const auto& head = heads[h];
    HeadCheck check;
    check.tree_size = head.tree_size;
    check.root = ledger::hash_to_hex(head.root);
    check.timestamp = head.timestamp;
    check.key_id = head.key_id;
    if (key) {
      auto verified = ledger::verify_tree_head(head, *key);
      check.signature_ok = verified.has_value();
      if (!verified) {
        check.signature_error = verified.error().message;
        check.problems.push_back("signature does not verify / 署名が検証できない: " +
                                 check.signature_error);
      }
    }
    if (head.tree_size > size) {
      check.problems.push_back(
          fmt::format("covers {} entries but the ledger holds {} / 署名済みの記録が欠落",
                      head.tree_size, size));
      problems.add(size, fmt::format("the ledger holds {} entries but a signed tree head covers "
                                     "{}: entries were removed / 署名済みの記録が欠落",
                                     size, head.tree_size));
    } else {
      auto root = tree.root_at(head.tree_size);
      check.root_matches = root && *root == head.root;
      if (*check.root_matches) {
        last_matching_size = std::max(last_matching_size, head.tree_size);
      } else if (head.tree_size == 0) {
        check.problems.push_back(
            "a head of size 0 must sign the empty-tree root / 空の木の根でない");
      } else {
        check.problems.push_back(fmt::format(
            "signed root differs from the root of entries 0..{} as stored / 根ハッシュ不一致",
            head.tree_size - 1));
        if (!problems.any_in(last_matching_size, head.tree_size)) {
          problems.add(last_matching_size,
                       fmt::format("entries {}..{} differ from the signed tree head of size {} "
                                   "/ 署名済み木頭と不一致",
                                   last_matching_size, head.tree_size - 1, head.tree_size));
        }
      }
    }
    if (h > 0 && heads[h - 1].tree_size > 0) {
      const auto& previous = heads[h - 1];
      if (head.tree_size > size) {
        check.consistency_error = "not checkable: the head is beyond the ledger / 検証不能";
      } else {
        auto proof = tree.consistency_proof(previous.tree_size, head.tree_size);
        Result<void> consistent =
            proof ? ledger::verify_consistency(previous.tree_size, head.tree_size, previous.root,
                                               head.root, *proof)
                  : Result<void>(fail(proof.error()));
        check.consistent_with_previous = consistent.has_value();
        if (!consistent) {
          check.consistency_error = consistent.error().message;
          check.problems.push_back(
              fmt::format("not consistent with the head of size {} / 前の木頭と整合しない: {}",
                          previous.tree_size, check.consistency_error));
        }
      }
    }
    out.latest_head_size = std::max(out.latest_head_size, head.tree_size);
    out.heads.push_back(std::move(check));
  }
}

}  // namespace

IntegrityReport check_ledger_integrity(std::span<const ledger::StoredLeaf> leaves,
                                       std::span<const ledger::SignedTreeHead> heads,
                                       const std::optional<ledger::PublicKey>& key) {
  IntegrityReport out;
  out.leaves = leaves.size();
  out.signatures_checked = key.has_value();
  ProblemList problems(out);
  ledger::MerkleTree tree;
  tree.reserve(leaves.size());
  check_leaves(leaves, tree, problems);
  out.root = ledger::hash_to_hex(tree.root());
  check_heads(heads, key, tree, problems, out);
  out.unsigned_entries = out.leaves > out.latest_head_size ? out.leaves - out.latest_head_size : 0;
  out.intact =
      out.problems.empty() && out.suppressed_problems == 0 &&
      std::all_of(out.heads.begin(), out.heads.end(), [](const HeadCheck& h) { return h.ok(); });
  return out;
}

}  // namespace mamori::oversight
