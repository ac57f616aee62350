#pragma once
// ledger/verify: recomputes a ledger from its leaves and says exactly which entry is wrong
// (I9). One core, LedgerChecker, is fed leaves and signed tree heads — from an export file by
// verify_export (mamori-verify) or from storage rows by Ledger::open — so the store and the
// overseer run the same checks.
//
// What is checked, entry by entry: the line parses as a leaf, it is byte-for-byte canonical,
// its seq is the next one, its prev is the root of the entries before it. Every signed tree
// head must verify with the ledger's public key and its root must equal the recomputed root at
// its tree_size; held heads (the overseer's copies) must not cover more entries than exist, and
// every entry must be covered by some signed head (the Ledger signs one per append).
//
// Diagnosis. Because each entry commits to the history before it, one change shows up at two
// places: the changed entry and the next one. The checker looks up to two entries ahead so that
// it names the changed one: an entry whose own prev matches but which the next entry does not
// commit to was altered; a seq that jumps means entries are missing; a seq that repeats means an
// entry was inserted (the one the following entry does not commit to); two adjacent seqs in the
// wrong order were swapped; a prev or seq field or the formatting changed alone is repaired
// (the next entry confirms the original) and checking continues. After a change that cannot be
// repaired, later entries commit to an original the verifier never saw, so their prev and the
// later heads' roots are not reported again (they would all differ); seq order and signatures
// still are. The last entry a signed head covers has no later entry to commit to it: if it was
// altered, that head's root differs, and the problem names it. A consistent rewrite (the
// attacker recomputed every later prev; no key) looks the same to the entries; the problem
// also names the range between the last head that matches and the first that does not.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/ledger/entry.h"
#include "mamori/ledger/frontier.h"
#include "mamori/ledger/keys.h"
#include "mamori/ledger/merkle.h"
#include "mamori/ledger/tree_head.h"

namespace mamori::ledger {

enum class ProblemKind {
  malformed,       // a line or row that is not a ledger entry / tree head / header
  not_canonical,   // an entry whose bytes are not its canonical form (edited by hand)
  altered,         // an entry whose content changed
  prev_altered,    // only an entry's prev field changed
  seq_altered,     // only an entry's seq field changed
  missing,         // entries removed (a seq gap, or fewer entries than a head covers)
  inserted,        // an entry that is not part of the history
  reordered,       // entries in the wrong order
  head_signature,  // a tree head that does not verify with the ledger's key
  uncovered,       // entries no signed tree head covers (appended without the key)
  forked,          // two validly signed heads of one size with different roots
  header,          // the export header disagrees with the export
};
std::string_view to_string(ProblemKind kind);    // "altered"
std::string_view to_japanese(ProblemKind kind);  // "改ざん"

struct Problem {
  std::uint64_t line = 0;            // export line (1-based) or storage row; 0 = none
  std::optional<std::uint64_t> seq;  // the entry the problem names, if one
  ProblemKind kind = ProblemKind::malformed;
  std::string message;  // English; says where ("entry 17 (line 19): …")
};

struct VerifyReport {
  bool ok = false;
  std::uint64_t entries_checked = 0;          // entries seen (including those reported)
  std::uint64_t heads_checked = 0;            // signed heads whose signature and root matched
  Hash root = {};                             // recomputed root (meaningful when ok)
  std::optional<SignedTreeHead> latest_head;  // largest verified head
  std::vector<Problem> problems;
};

// How positions are named in messages.
enum class PositionKind { line, row };

// The verification core. Feed heads and entries in ledger order; heads may come before the
// entries they cover. Not thread-safe.
class LedgerChecker {
 public:
  // keep_tree: also build the full MerkleTree (the Ledger needs it for proofs).
  LedgerChecker(const PublicKey& key, PositionKind positions, bool keep_tree);
  LedgerChecker(LedgerChecker&&) noexcept;
  LedgerChecker& operator=(LedgerChecker&&) noexcept;
  ~LedgerChecker();

  // A head the verifier holds from elsewhere (the overseer's copy); named "held head #N".
  void add_held_head(const SignedTreeHead& head);
  // A head stored with the ledger (an export line or a storage row) at `position`.
  void add_head(const SignedTreeHead& head, std::uint64_t position);
  // An entry's leaf bytes exactly as stored, at `position`.
  void add_entry(std::string leaf, std::uint64_t position);
  // An entry this process has just built: `leaf` is canonical_leaf(entry) and `leaf_hash` its
  // hash by construction, so they are not parsed and recomputed again (the Ledger's append
  // path). Every other check (seq, prev, heads) still runs.
  void add_built_entry(std::string leaf, LedgerEntry entry, const Hash& leaf_hash,
                       std::uint64_t position);
  void add_problem(Problem problem);

  // Decides every buffered entry as if no more were coming, and runs the end-of-ledger checks
  // (heads covering more entries than exist, entries no head covers). May be called again
  // after more entries were added; each problem is reported once.
  void finish();

  bool ok() const;
  const std::vector<Problem>& problems() const;
  std::uint64_t entries_seen() const;  // entries decided so far
  std::uint64_t size() const;          // entries in the recomputed tree
  Hash root() const;
  const Frontier& frontier() const;
  const MerkleTree& tree() const;  // empty unless keep_tree
  const std::optional<SignedTreeHead>& latest_head() const;
  std::uint64_t heads_checked() const;
  VerifyReport report() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Verifies a whole export (export.h) read from `in`. Never throws; any input gives a report.
VerifyReport verify_export(std::istream& in, const PublicKey& key,
                           std::span<const SignedTreeHead> held_heads);

// Both heads' signatures, then: newer.tree_size < older.tree_size is a rollback; equal sizes
// must have equal roots; otherwise `proof` must prove the newer tree extends the older one
// (RFC 9162 §2.1.4.2), else the history forked. Error messages start "rollback:", "fork:",
// "old head:" or "new head:".
Result<void> verify_consistency_between(const SignedTreeHead& older, const SignedTreeHead& newer,
                                        std::span<const Hash> proof, const PublicKey& key);

}  // namespace mamori::ledger
