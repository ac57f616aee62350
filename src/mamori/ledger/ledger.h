#pragma once
// ledger/ledger: the append-only log of governance events (I9). Entries (entry.h) are leaves
// of an RFC 9162 Merkle tree kept through a LedgerStorage; every append call writes its entries
// and one signed tree head in one storage transaction. Opening a ledger recomputes the whole
// tree with the verifier's core (verify.h) and refuses a ledger that was tampered with.
//
// Several processes may append to one storage: LedgerStorage::append refuses a write based on a
// stale size, and the Ledger then reads and verifies what the other writer appended, recomputes
// prev and retries (a bounded number of times).
//
// A Ledger is not thread-safe; it borrows the storage and the signing key, which must outlive it.
//
// Timestamps come from the caller (its Clock); they are kept to microseconds, the precision of
// the leaf and tree head formats. A tree head's timestamp never goes backwards: a head signed at
// an earlier time than the latest stored head gets the latest head's timestamp.

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/ledger/entry.h"
#include "mamori/ledger/export.h"
#include "mamori/ledger/keys.h"
#include "mamori/ledger/merkle.h"
#include "mamori/ledger/storage.h"
#include "mamori/ledger/tree_head.h"
#include "mamori/ledger/verify.h"

namespace mamori::ledger {

struct NewEntry {
  std::string type;
  nlohmann::json body = nlohmann::json::object();
  Timestamp at = {};
};

class Ledger {
 public:
  // Appends are attempted this many times when other writers keep appending first.
  static constexpr int kMaxAppendAttempts = 8;

  // Loads and verifies every stored leaf and tree head (signatures with the signer's public
  // key). `held_heads` are heads known from elsewhere (e.g. the last one handed to the
  // overseer): a store rolled back below one of them is refused. Errors list the problems
  // the verifier found, each naming the entry ("entry 17 (row 17): …").
  static Result<Ledger> open(LedgerStorage& storage, const SigningKey& signer,
                             std::span<const SignedTreeHead> held_heads = {});
  // The same; a null signer is an error (a read-only ledger needs the public key, below).
  static Result<Ledger> open(LedgerStorage& storage, const SigningKey* signer,
                             std::span<const SignedTreeHead> held_heads = {});
  // Read-only: append and sign_head_now fail.
  static Result<Ledger> open(LedgerStorage& storage, const PublicKey& key,
                             std::span<const SignedTreeHead> held_heads = {});

  Ledger(Ledger&&) noexcept;
  Ledger& operator=(Ledger&&) noexcept;
  ~Ledger();

  // One entry; one storage transaction and one signed tree head.
  Result<LedgerEntry> append(std::string type, nlohmann::json body, Timestamp at);
  // All entries in one storage transaction with one signed tree head. An empty batch is a
  // no-op.
  Result<std::vector<LedgerEntry>> append_batch(std::vector<NewEntry> entries);
  // A signed head of the current tree (e.g. before an export or a hand-over to the overseer):
  // the stored head of this size if there is one (one head per size), else a new one.
  Result<SignedTreeHead> sign_head_now(Timestamp at);
  // Reads and verifies what other writers appended since this Ledger last looked.
  Result<void> refresh();

  std::uint64_t size() const;
  Hash root() const;
  const std::optional<SignedTreeHead>& latest_head() const;
  const PublicKey& public_key() const;
  bool read_only() const;

  // Entries with seq in [from, from+count) (fewer at the end), read from storage; error if a
  // row no longer matches the tree verified at open (altered since).
  Result<std::vector<LedgerEntry>> entries(std::uint64_t from, std::uint64_t count);
  // RFC 9162 proofs over this Ledger's tree.
  Result<std::vector<Hash>> inclusion_proof(std::uint64_t seq, std::uint64_t tree_size) const;
  Result<std::vector<Hash>> consistency_proof(std::uint64_t old_size, std::uint64_t new_size) const;
  // A consistency proof file (export.h) from the stored head of size `old_size` to the
  // latest head. Error if no head of that size was stored.
  Result<ConsistencyProofFile> consistency_proof_json(std::uint64_t old_size);

  // Writes the export format (export.h) of the ledger as stored, up to its latest head.
  Result<void> export_jsonl(std::ostream& out, Timestamp exported_at);

 private:
  struct State;
  explicit Ledger(std::unique_ptr<State> state);
  static Result<Ledger> open_with(LedgerStorage& storage, const PublicKey& key,
                                  const SigningKey* signer,
                                  std::span<const SignedTreeHead> held_heads);

  std::unique_ptr<State> state_;
};

// Writes the export format (export.h) of a storage exactly as stored, without verifying it
// first: a tampered store must still be exportable so that the verifier can name the place.
// Returns the number of entries written.
Result<std::uint64_t> export_storage(LedgerStorage& storage, const PublicKey& key,
                                     std::ostream& out, Timestamp exported_at);

// "problem 1 of 3: entry 5 (row 5): …; …" — the verifier's problems as one error message.
std::string describe_problems(std::span<const Problem> problems, std::size_t max_listed = 10);

}  // namespace mamori::ledger
