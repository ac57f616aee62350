#pragma once
// ledger/entry: one governance event as a ledger leaf. The leaf bytes are the entry's canonical
// JSON: one line, no spaces, object keys sorted (nlohmann::json's std::map order), UTF-8:
//   {"at":"2026-12-02T10:00:00.000000Z","body":{…},"prev":"<64 hex>","seq":0,"type":"run.started"}
// `prev` is the root of the tree of all entries before this one (the empty-tree root for seq 0),
// so every entry commits to the whole history before it: an altered, removed, reordered or
// inserted entry breaks the `prev` of the entry after it, which lets a verifier name the place.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/ledger/merkle.h"

namespace mamori::ledger {

struct LedgerEntry {
  std::uint64_t seq = 0;
  Timestamp at = {};
  std::string type = {};       // e.g. "run.started"; see governance/events.h
  nlohmann::json body = nlohmann::json::object();
  Hash prev = {};
};

std::string canonical_leaf(const LedgerEntry& entry);
// Parses a leaf; errors name the field. Does not check that `line` is canonical; callers
// that hash compare canonical_leaf(parsed) == line when they need to.
Result<LedgerEntry> parse_leaf(std::string_view line);

}  // namespace mamori::ledger
