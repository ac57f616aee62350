#pragma once
// Shared helpers for the ledger tests: a ledger of N entries in a MemoryStorage, its export as
// lines, and the edits an attacker without the signing key could make to an export.

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mamori/ledger/entry.h"
#include "mamori/ledger/export.h"
#include "mamori/ledger/keys.h"
#include "mamori/ledger/ledger.h"
#include "mamori/ledger/merkle.h"
#include "memory_storage.h"

namespace mamori::ledger::testing {

inline constexpr Timestamp kStart = Timestamp::from_seconds(1'796'000'000);  // 2026-11-30

inline Timestamp at_minute(int minute) {
  return kStart + Duration::seconds(60 * static_cast<std::int64_t>(minute));
}

inline nlohmann::json body_for(int i) {
  return {{"run_id", fmt::format("run-{:03}", i)}, {"n", i}, {"note", "日本語 ok"}};
}

// A ledger of `entries` entries in `storage`, `per_append` entries per append call (so one
// signed head every `per_append` entries, plus one for a final partial batch).
inline Ledger build_ledger(MemoryStorage& storage, const SigningKey& key, int entries,
                           int per_append = 1) {
  auto ledger = Ledger::open(storage, key);
  EXPECT_TRUE(ledger.has_value()) << ledger.error().message;
  for (int i = 0; i < entries;) {
    std::vector<NewEntry> batch;
    for (int j = 0; j < per_append && i < entries; ++j, ++i) {
      batch.push_back(NewEntry{"test.event", body_for(i), at_minute(i)});
    }
    auto written = ledger->append_batch(std::move(batch));
    EXPECT_TRUE(written.has_value()) << written.error().message;
  }
  return std::move(*ledger);
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

inline std::vector<std::string> export_lines(Ledger& ledger) {
  std::ostringstream out;
  auto written = ledger.export_jsonl(out, at_minute(1000));
  EXPECT_TRUE(written.has_value()) << written.error().message;
  return split_lines(out.str());
}

// Index (0-based) of the line holding entry `seq`; -1 if none.
inline int entry_index(const std::vector<std::string>& lines, std::uint64_t seq) {
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (is_tree_head_line(lines[i])) continue;
    auto entry = parse_leaf(lines[i]);
    if (entry && entry->seq == seq) return static_cast<int>(i);
  }
  return -1;
}

inline LedgerEntry entry_at(const std::vector<std::string>& lines, std::uint64_t seq) {
  auto entry = parse_leaf(lines.at(static_cast<std::size_t>(entry_index(lines, seq))));
  EXPECT_TRUE(entry.has_value());
  return *entry;
}

// Root of the entries with seq < `size`, as the lines hold them.
inline Hash root_of_first(const std::vector<std::string>& lines, std::uint64_t size) {
  MerkleTree tree;
  for (std::uint64_t s = 0; s < size; ++s) {
    tree.append(lines.at(static_cast<std::size_t>(entry_index(lines, s))));
  }
  return tree.root();
}

// An entry nobody signed, with a prev that fits the history before `seq` when `fitting_prev`.
inline std::string forged_entry(const std::vector<std::string>& lines, std::uint64_t seq,
                                bool fitting_prev) {
  LedgerEntry forged;
  forged.seq = seq;
  forged.at = at_minute(static_cast<int>(seq));
  forged.type = "access.granted";
  forged.body = {{"who", "intruder"}};
  forged.prev = fitting_prev ? root_of_first(lines, seq) : Hash{};
  return canonical_leaf(forged);
}

// Alters entry `seq`'s body and rewrites every later entry's prev to match, as an attacker
// without the key can: the entries stay coherent, only signed heads can tell.
inline void rewrite_consistently(std::vector<std::string>& lines, std::uint64_t seq) {
  LedgerEntry altered = entry_at(lines, seq);
  altered.body["n"] = 999;
  lines[static_cast<std::size_t>(entry_index(lines, seq))] = canonical_leaf(altered);
  for (std::uint64_t s = seq + 1;; ++s) {
    const int index = entry_index(lines, s);
    if (index < 0) break;
    LedgerEntry later = entry_at(lines, s);
    later.prev = root_of_first(lines, s);
    lines[static_cast<std::size_t>(index)] = canonical_leaf(later);
  }
}

}  // namespace mamori::ledger::testing
