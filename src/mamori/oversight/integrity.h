#pragma once
// oversight/integrity: the report's ledger check (I9), done independently of the ledger
// module's own verifier so that the commission's report states what it found itself:
//  - every stored leaf parses, is canonical, sits at the position its seq says, and its
//    `prev` equals the root of the tree of the leaves before it (recomputed here, hashing the
//    stored leaf text exactly);
//  - every signed tree head has a valid signature (when a key is given), a root equal to the
//    recomputed root at its tree_size, and is consistent with the previous head (RFC 9162
//    consistency proof from the recomputed tree, verified against both signed roots).
// Never fails: a broken ledger is a finding, reported with the first bad seq.

#include <optional>
#include <span>

#include "mamori/ledger/keys.h"
#include "mamori/ledger/storage.h"
#include "mamori/ledger/tree_head.h"
#include "mamori/oversight/report_data.h"

namespace mamori::oversight {

// At most this many leaf problems are listed; the rest are counted.
inline constexpr std::size_t kMaxListedProblems = 20;

IntegrityReport check_ledger_integrity(std::span<const ledger::StoredLeaf> leaves,
                                       std::span<const ledger::SignedTreeHead> heads,
                                       const std::optional<ledger::PublicKey>& key);

}  // namespace mamori::oversight
