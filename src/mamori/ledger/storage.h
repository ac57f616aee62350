#pragma once
// ledger/storage: what the ledger needs from persistent storage. Implemented by the store
// module (SQLite now, PostgreSQL later: store/ledger_storage.h); a test double lives in
// tests/ledger. The storage never interprets leaves; the Ledger and the verifier do.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/ledger/tree_head.h"

namespace mamori::ledger {

struct StoredLeaf {
  std::uint64_t seq = 0;
  std::string leaf = {};  // canonical leaf bytes (entry.h)
};

class LedgerStorage {
 public:
  virtual ~LedgerStorage() = default;

  // Atomically (one transaction, durable on return) appends `leaves`, whose seqs must be
  // expected_size, expected_size+1, …, and then `head` if given (its tree_size must be
  // expected_size + leaves.size()). Returns false and writes nothing if the stored ledger no
  // longer has expected_size entries (another process appended first).
  virtual Result<bool> append(std::uint64_t expected_size, std::span<const StoredLeaf> leaves,
                              const SignedTreeHead* head) = 0;
  virtual Result<std::uint64_t> size() = 0;
  // Entries with seq in [from, from+count), ascending (fewer at the end of the ledger).
  // Rows are returned as stored: a tampered store may return gaps or duplicates in seq.
  virtual Result<std::vector<StoredLeaf>> read(std::uint64_t from, std::uint64_t count) = 0;
  // Every stored tree head, ascending tree_size.
  virtual Result<std::vector<SignedTreeHead>> tree_heads() = 0;
};

}  // namespace mamori::ledger
