#pragma once
// An in-memory LedgerStorage for tests, which can also be tampered with the way an attacker
// with write access to the database could: replace, delete, swap or insert rows, or roll the
// whole store back to an earlier copy (copy the object, assign it back later).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mamori/ledger/storage.h"

namespace mamori::ledger::testing {

class MemoryStorage final : public LedgerStorage {
 public:
  Result<bool> append(std::uint64_t expected_size, std::span<const StoredLeaf> leaves,
                      const SignedTreeHead* head) override {
    if (before_append) {
      auto hook = std::move(before_append);  // runs once; it may append itself
      before_append = nullptr;
      hook();
    }
    if (rows_.size() != expected_size) return false;
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      if (leaves[i].seq != expected_size + i) {
        return fail("memory storage: leaf {} has seq {}, expected {}", i, leaves[i].seq,
                    expected_size + i);
      }
    }
    if (head != nullptr && head->tree_size != expected_size + leaves.size()) {
      return fail("memory storage: head of size {} after {} leaves", head->tree_size,
                  expected_size + leaves.size());
    }
    rows_.insert(rows_.end(), leaves.begin(), leaves.end());
    if (head != nullptr) heads_.push_back(*head);
    ++appends_;
    return true;
  }

  Result<std::uint64_t> size() override { return rows_.size(); }

  Result<std::vector<StoredLeaf>> read(std::uint64_t from, std::uint64_t count) override {
    std::vector<StoredLeaf> out;
    for (const StoredLeaf& row : rows_) {
      if (row.seq >= from && row.seq - from < count) out.push_back(row);
    }
    return out;
  }

  Result<std::vector<SignedTreeHead>> tree_heads() override {
    std::vector<SignedTreeHead> out = heads_;
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.tree_size < b.tree_size; });
    return out;
  }

  // --- tampering: rows are addressed by their index in storage order ---------------------
  std::vector<StoredLeaf>& rows() { return rows_; }
  std::vector<SignedTreeHead>& heads() { return heads_; }
  void replace_leaf(std::size_t index, std::string leaf) { rows_.at(index).leaf = std::move(leaf); }
  void delete_row(std::size_t index) { rows_.erase(rows_.begin() + index); }
  // Swaps the contents of two rows; each row keeps its seq column.
  void swap_leaves(std::size_t a, std::size_t b) { std::swap(rows_.at(a).leaf, rows_.at(b).leaf); }
  void insert_row(std::size_t index, StoredLeaf row) {
    rows_.insert(rows_.begin() + index, std::move(row));
  }
  // Truncates to the first `size` rows and the heads that cover no more.
  void truncate(std::uint64_t size) {
    if (rows_.size() > size) rows_.resize(size);
    std::erase_if(heads_, [&](const SignedTreeHead& h) { return h.tree_size > size; });
  }

  // Runs once at the start of the next append, e.g. to let "another process" append first.
  std::function<void()> before_append;
  int appends() const { return appends_; }

 private:
  std::vector<StoredLeaf> rows_;
  std::vector<SignedTreeHead> heads_;
  int appends_ = 0;
};

}  // namespace mamori::ledger::testing
