// The verifier (I9): every single change to an export — alter, delete, swap, insert at every
// position, a consistent rewrite, a rollback — fails verification and the first problem names
// exactly the changed place.

#include "mamori/ledger/verify.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "ledger_fixture.h"
#include "mamori/ledger/frontier.h"

namespace mamori::ledger::testing {
namespace {

constexpr int kEntries = 20;

// How the signed heads are laid out: the diagnosis must not depend on a head after every entry.
struct Layout {
  const char* name;
  int per_append;    // entries per append call = one stored head per this many entries
  bool strip_heads;  // export without its heads; the overseer holds only the latest head
};

void PrintTo(const Layout& layout, std::ostream* out) { *out << layout.name; }

class Verify : public ::testing::Test {
 protected:
  void SetUp() override { build(1, false); }

  void build(int per_append, bool strip_heads) {
    ledger_.emplace(build_ledger(storage_, key_, kEntries, per_append));
    lines_ = export_lines(*ledger_);
    if (strip_heads) {
      std::erase_if(lines_, [](const std::string& line) { return is_tree_head_line(line); });
      held_ = {*ledger_->latest_head()};
    }
  }

  VerifyReport verify(const std::vector<std::string>& lines) const { return verify(lines, held_); }
  VerifyReport verify(const std::vector<std::string>& lines,
                      std::span<const SignedTreeHead> held) const {
    std::istringstream in(join_lines(lines));
    return verify_export(in, key_.public_key(), held);
  }

  // 1-based line number of entry `seq` in `lines`.
  static std::uint64_t line_of(const std::vector<std::string>& lines, std::uint64_t seq) {
    return static_cast<std::uint64_t>(entry_index(lines, seq)) + 1;
  }

  SigningKey key_ = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage_;
  std::optional<Ledger> ledger_;
  std::vector<std::string> lines_;
  std::vector<SignedTreeHead> held_;
};

// The single-change cases, under every layout.
class VerifyTamper : public Verify, public ::testing::WithParamInterface<Layout> {
 protected:
  void SetUp() override { build(GetParam().per_append, GetParam().strip_heads); }
};

INSTANTIATE_TEST_SUITE_P(Layouts, VerifyTamper,
                         ::testing::Values(Layout{"head_per_entry", 1, false},
                                           Layout{"head_per_7_entries", 7, false},
                                           Layout{"held_head_only", 1, true}),
                         [](const auto& info) { return std::string(info.param.name); });

std::string describe(const VerifyReport& report) {
  std::string out;
  for (const Problem& p : report.problems) {
    out += fmt::format("\n  line {} seq {} [{}] {}", p.line, p.seq ? std::to_string(*p.seq) : "-",
                       to_string(p.kind), p.message);
  }
  return out;
}

TEST_F(Verify, CleanExportVerifies) {
  // header + 20 entries + 20 heads (one per append)
  ASSERT_EQ(lines_.size(), 1U + 2U * kEntries);
  const VerifyReport report = verify(lines_);
  EXPECT_TRUE(report.ok) << describe(report);
  EXPECT_EQ(report.entries_checked, 20U);
  EXPECT_EQ(report.heads_checked, 20U);
  EXPECT_EQ(report.root, ledger_->root());
  ASSERT_TRUE(report.latest_head.has_value());
  EXPECT_EQ(report.latest_head->tree_size, 20U);
}

TEST_F(Verify, CleanExportVerifiesWithHeldHeads) {
  std::vector<SignedTreeHead> held = {*ledger_->latest_head()};
  const VerifyReport report = verify(lines_, held);
  EXPECT_TRUE(report.ok) << describe(report);
  EXPECT_EQ(report.heads_checked, 21U);
  EXPECT_TRUE(held_.empty());
}

TEST_P(VerifyTamper, Invariant_I9_AlteredEntryIsNamed) {
  for (std::uint64_t k = 0; k < kEntries; ++k) {
    auto lines = lines_;
    LedgerEntry entry = entry_at(lines, k);
    entry.body["n"] = 1000 + k;  // still canonical: only the content changed
    lines[static_cast<std::size_t>(entry_index(lines, k))] = canonical_leaf(entry);
    const VerifyReport report = verify(lines);
    ASSERT_FALSE(report.ok) << "entry " << k;
    EXPECT_EQ(report.problems.front().seq, k) << describe(report);
    EXPECT_EQ(report.problems.front().line, line_of(lines, k)) << describe(report);
    EXPECT_EQ(report.problems.front().kind, ProblemKind::altered) << describe(report);
    EXPECT_EQ(report.problems.size(), 1U) << "entry " << k << describe(report);
  }
}

TEST_P(VerifyTamper, Invariant_I9_DeletedEntryIsNamed) {
  for (std::uint64_t k = 0; k < kEntries; ++k) {
    auto lines = lines_;
    lines.erase(lines.begin() + entry_index(lines, k));
    const VerifyReport report = verify(lines);
    ASSERT_FALSE(report.ok) << "entry " << k;
    const Problem& first = report.problems.front();
    EXPECT_EQ(first.seq, k) << describe(report);
    EXPECT_EQ(first.kind, ProblemKind::missing) << describe(report);
    EXPECT_NE(first.message.find(fmt::format("entry {}", k)), std::string::npos) << first.message;
    if (k + 1 < kEntries) {
      // Named at the line where it is missing: where its successor now stands.
      EXPECT_EQ(first.line, line_of(lines, k + 1)) << describe(report);
    }
  }
}

TEST_P(VerifyTamper, Invariant_I9_SwappedEntriesAreNamed) {
  for (std::uint64_t k = 0; k + 1 < kEntries; ++k) {
    auto lines = lines_;
    std::swap(lines[static_cast<std::size_t>(entry_index(lines, k))],
              lines[static_cast<std::size_t>(entry_index(lines, k + 1))]);
    const VerifyReport report = verify(lines);
    ASSERT_FALSE(report.ok) << "entries " << k;
    const Problem& first = report.problems.front();
    EXPECT_EQ(first.seq, k) << describe(report);
    EXPECT_EQ(first.kind, ProblemKind::reordered) << describe(report);
    EXPECT_EQ(first.line, line_of(lines, k + 1)) << describe(report);
    EXPECT_NE(first.message.find(fmt::format("line {}", line_of(lines, k))), std::string::npos)
        << "names both lines: " << first.message;
    // The order is all that changed: the rest of the ledger still verifies.
    EXPECT_EQ(report.problems.size(), 1U) << describe(report);
  }
}

TEST_P(VerifyTamper, Invariant_I9_InsertedEntryIsNamed) {
  for (const bool fitting_prev : {true, false}) {
    for (std::uint64_t k = 0; k <= kEntries; ++k) {
      auto lines = lines_;
      const std::string forged = forged_entry(lines_, k, fitting_prev);
      const int at = k < kEntries ? entry_index(lines, k) : static_cast<int>(lines.size());
      lines.insert(lines.begin() + at, forged);
      const VerifyReport report = verify(lines);
      ASSERT_FALSE(report.ok) << "before entry " << k;
      const Problem& first = report.problems.front();
      EXPECT_EQ(first.line, static_cast<std::uint64_t>(at) + 1)
          << "fitting prev " << fitting_prev << describe(report);
      EXPECT_EQ(first.seq, k) << describe(report);
      // Appended after the last entry with a fitting prev, only the missing signature tells.
      EXPECT_EQ(first.kind,
                k == kEntries && fitting_prev ? ProblemKind::uncovered : ProblemKind::inserted)
          << describe(report);
    }
  }
}

TEST_P(VerifyTamper, Invariant_I9_InsertedGarbageLineIsNamed) {
  auto lines = lines_;
  const int at = entry_index(lines, 7);
  lines.insert(lines.begin() + at, "{\"not\":\"an entry\"}");
  const VerifyReport report = verify(lines);
  ASSERT_FALSE(report.ok);
  EXPECT_EQ(report.problems.front().line, static_cast<std::uint64_t>(at) + 1) << describe(report);
  EXPECT_EQ(report.problems.front().kind, ProblemKind::inserted) << describe(report);
}

TEST_F(Verify, Invariant_I9_RollbackIsNamed) {
  const std::vector<SignedTreeHead> held = {*ledger_->latest_head()};
  for (std::uint64_t size = 0; size < kEntries; ++size) {
    MemoryStorage rolled_back = storage_;
    rolled_back.truncate(size);  // an earlier copy of the database
    auto old_ledger = Ledger::open(rolled_back, key_.public_key());
    ASSERT_TRUE(old_ledger.has_value()) << "a rolled-back store is coherent on its own";
    const VerifyReport report = verify(export_lines(*old_ledger), held);
    ASSERT_FALSE(report.ok) << "size " << size;
    const Problem& first = report.problems.front();
    EXPECT_EQ(first.seq, size) << describe(report);
    EXPECT_EQ(first.kind, ProblemKind::missing) << describe(report);
    EXPECT_NE(first.message.find(fmt::format("ledger has {} entries but held tree head #1 "
                                             "(size 20) covers 20",
                                             size)),
              std::string::npos)
        << first.message;
    EXPECT_NE(first.message.find("rolled back"), std::string::npos) << first.message;
  }
}

TEST_F(Verify, Invariant_I9_TruncatedExportIsNamedByItsOwnHeads) {
  // The last entry line removed but its head left in place.
  auto lines = lines_;
  lines.erase(lines.begin() + entry_index(lines, kEntries - 1));
  const VerifyReport report = verify(lines);
  ASSERT_FALSE(report.ok);
  EXPECT_EQ(report.problems.front().seq, kEntries - 1U) << describe(report);
  EXPECT_EQ(report.problems.front().kind, ProblemKind::missing);
  // The unsigned header also disagrees, reported after the entries.
  EXPECT_EQ(report.problems.back().kind, ProblemKind::header);
}

TEST_F(Verify, Invariant_I9_ConsistentRewriteIsNamedByTheHeads) {
  for (std::uint64_t k = 0; k < kEntries; ++k) {
    auto lines = lines_;
    rewrite_consistently(lines, k);
    const VerifyReport report = verify(lines);
    ASSERT_FALSE(report.ok) << "entry " << k;
    const Problem& first = report.problems.front();
    EXPECT_EQ(first.seq, k) << describe(report);
    EXPECT_EQ(first.line, line_of(lines, k)) << describe(report);
    EXPECT_EQ(first.kind, ProblemKind::altered) << describe(report);
    EXPECT_EQ(report.problems.size(), 1U) << describe(report);
  }
}

TEST(VerifyBatches, Invariant_I9_ConsistentRewriteIsLocalisedToTheRangeBetweenHeads) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  Ledger ledger = build_ledger(storage, key, 20, /*per_append=*/5);  // heads at 5, 10, 15, 20
  auto lines = export_lines(ledger);
  rewrite_consistently(lines, 12);
  std::istringstream in(join_lines(lines));
  const VerifyReport report = verify_export(in, key.public_key(), {});
  ASSERT_FALSE(report.ok);
  const Problem& first = report.problems.front();
  // Entry 14 is the one no later entry commits to; the rewrite may have begun anywhere after
  // the last matching head (size 10).
  EXPECT_EQ(first.kind, ProblemKind::altered) << describe(report);
  EXPECT_EQ(first.seq, 14U);
  EXPECT_NE(first.message.find("entries 10–14"), std::string::npos) << first.message;
  EXPECT_NE(first.message.find("size 15"), std::string::npos) << first.message;
}

TEST_P(VerifyTamper, Invariant_I9_PrevFieldAlteredAloneIsRepaired) {
  for (std::uint64_t k = 0; k < kEntries; ++k) {
    auto lines = lines_;
    LedgerEntry entry = entry_at(lines, k);
    entry.prev[0] ^= 0x01;
    lines[static_cast<std::size_t>(entry_index(lines, k))] = canonical_leaf(entry);
    const VerifyReport report = verify(lines);
    ASSERT_FALSE(report.ok);
    EXPECT_EQ(report.problems.front().seq, k) << describe(report);
    EXPECT_EQ(report.problems.front().kind, ProblemKind::prev_altered) << describe(report);
    EXPECT_EQ(report.problems.size(), 1U) << describe(report);
  }
}

TEST_P(VerifyTamper, Invariant_I9_SeqFieldAlteredAloneIsRepaired) {
  for (std::uint64_t k = 0; k < kEntries; ++k) {
    auto lines = lines_;
    const int index = entry_index(lines, k);
    LedgerEntry entry = entry_at(lines, k);
    entry.seq = 900 + k;
    lines[static_cast<std::size_t>(index)] = canonical_leaf(entry);
    const VerifyReport report = verify(lines);
    ASSERT_FALSE(report.ok);
    EXPECT_EQ(report.problems.front().seq, k) << describe(report);
    EXPECT_EQ(report.problems.front().line, static_cast<std::uint64_t>(index) + 1);
    EXPECT_EQ(report.problems.front().kind, ProblemKind::seq_altered) << describe(report);
    EXPECT_EQ(report.problems.size(), 1U) << describe(report);
  }
}

TEST_P(VerifyTamper, Invariant_I9_HandEditedFormattingIsNamed) {
  auto lines = lines_;
  const int index = entry_index(lines, 4);
  lines[static_cast<std::size_t>(index)].insert(1, " ");  // same JSON, different bytes
  const VerifyReport report = verify(lines);
  ASSERT_FALSE(report.ok);
  EXPECT_EQ(report.problems.front().seq, 4U) << describe(report);
  EXPECT_EQ(report.problems.front().kind, ProblemKind::not_canonical) << describe(report);
  EXPECT_EQ(report.problems.size(), 1U) << describe(report);
}

TEST_P(VerifyTamper, Invariant_I9_GarbledEntryIsNamed) {
  auto lines = lines_;
  const int index = entry_index(lines, 9);
  lines[static_cast<std::size_t>(index)] = "{\"at\": garbage";
  const VerifyReport report = verify(lines);
  ASSERT_FALSE(report.ok);
  EXPECT_EQ(report.problems.front().seq, 9U) << describe(report);
  EXPECT_EQ(report.problems.front().line, static_cast<std::uint64_t>(index) + 1);
  EXPECT_EQ(report.problems.front().kind, ProblemKind::malformed);
}

TEST_F(Verify, Invariant_I9_ForgedHeadIsNamed) {
  auto lines = lines_;
  // The head after entry 10, re-signed by another key with the same key_id field.
  const std::size_t index = static_cast<std::size_t>(entry_index(lines, 10)) + 1;
  auto head = parse_tree_head_line(lines[index]);
  ASSERT_TRUE(head.has_value());
  head->signature[5] ^= 0x40;
  lines[index] = tree_head_line(*head);
  const VerifyReport report = verify(lines);
  ASSERT_FALSE(report.ok);
  EXPECT_EQ(report.problems.front().kind, ProblemKind::head_signature) << describe(report);
  EXPECT_EQ(report.problems.front().line, index + 1);
}

TEST_F(Verify, Invariant_I9_WrongKeyFailsEveryHead) {
  const SigningKey other = SigningKey::generate(KeyRole::sensor);
  std::istringstream in(join_lines(lines_));
  const VerifyReport report = verify_export(in, other.public_key(), {});
  ASSERT_FALSE(report.ok);
  EXPECT_EQ(report.problems.front().kind, ProblemKind::header);  // key_id differs
  EXPECT_EQ(report.heads_checked, 0U);
}

TEST_F(Verify, Invariant_I9_EntriesWithoutSignedHeadAreNamed) {
  auto lines = lines_;
  std::erase_if(lines, [](const std::string& line) { return is_tree_head_line(line); });
  VerifyReport report = verify(lines);
  ASSERT_FALSE(report.ok);
  EXPECT_EQ(report.problems.front().kind, ProblemKind::uncovered) << describe(report);
  EXPECT_EQ(report.problems.front().seq, 0U);
  // A head the overseer holds covers them again.
  const std::vector<SignedTreeHead> held = {*ledger_->latest_head()};
  report = verify(lines, held);
  EXPECT_TRUE(report.ok) << describe(report);
}

TEST_F(Verify, Invariant_I9_ForkedHeadIsNamed) {
  // Same key, same prefix, different entries after seq 11.
  MemoryStorage fork_storage = storage_;
  fork_storage.truncate(12);
  auto fork = Ledger::open(fork_storage, key_);
  ASSERT_TRUE(fork.has_value());
  for (int i = 12; i < kEntries; ++i) {
    ASSERT_TRUE(fork->append("fork.event", {{"i", i}}, at_minute(i)).has_value());
  }
  const std::vector<SignedTreeHead> held = {*fork->latest_head()};
  const VerifyReport report = verify(lines_, held);
  ASSERT_FALSE(report.ok);
  EXPECT_EQ(report.problems.front().kind, ProblemKind::forked) << describe(report);
}

TEST_F(Verify, HeaderAnnouncingOtherCountIsNamed) {
  auto lines = lines_;
  auto header = parse_export_header(lines[0]);
  ASSERT_TRUE(header.has_value());
  header->entries = 25;
  lines[0] = export_header_line(*header);
  const VerifyReport report = verify(lines);
  ASSERT_FALSE(report.ok);
  EXPECT_EQ(report.problems.front().kind, ProblemKind::header);
  EXPECT_EQ(report.problems.front().line, 1U);
}

TEST(VerifyInput, EmptyOrGarbageNeverPasses) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  for (const std::string text : {"", "\n", "hello\nworld\n", "{\"kind\":\"x\"}\n",
                                 "{\"tree_head\":{}}\n", "\xff\xfe\n{}\n"}) {
    std::istringstream in(text);
    const VerifyReport report = verify_export(in, key.public_key(), {});
    EXPECT_FALSE(report.ok) << text;
    EXPECT_FALSE(report.problems.empty());
  }
}

TEST(VerifyInput, EmptyLedgerWithHeaderOnlyVerifies) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  Ledger ledger = build_ledger(storage, key, 0);
  const VerifyReport report = [&] {
    std::istringstream in(join_lines(export_lines(ledger)));
    return verify_export(in, key.public_key(), {});
  }();
  EXPECT_TRUE(report.ok) << describe(report);
  EXPECT_EQ(report.entries_checked, 0U);
  EXPECT_EQ(report.root, empty_tree_root());
}

TEST(Frontier, RootsEqualMerkleTreeRoots) {
  Frontier frontier;
  MerkleTree tree;
  EXPECT_EQ(frontier.root(), tree.root());
  for (int i = 0; i < 130; ++i) {
    const Hash leaf = hash_leaf(fmt::format("leaf {}", i));
    EXPECT_EQ(frontier.root_with(leaf), [&] {
      MerkleTree copy = tree;
      copy.append_leaf_hash(leaf);
      return copy.root();
    }());
    frontier.push(leaf);
    tree.append_leaf_hash(leaf);
    ASSERT_EQ(frontier.root(), tree.root()) << "size " << i + 1;
  }
}

// --- consistency between heads -------------------------------------------------------------

TEST_F(Verify, ConsistencyBetweenEveryPairOfStoredHeadsVerifies) {
  auto heads = storage_.tree_heads();
  ASSERT_TRUE(heads.has_value());
  ASSERT_EQ(heads->size(), static_cast<std::size_t>(kEntries));
  for (const SignedTreeHead& older : *heads) {
    for (const SignedTreeHead& newer : *heads) {
      if (newer.tree_size < older.tree_size) continue;
      auto proof = ledger_->consistency_proof(older.tree_size, newer.tree_size);
      ASSERT_TRUE(proof.has_value()) << proof.error().message;
      auto checked = verify_consistency_between(older, newer, *proof, key_.public_key());
      EXPECT_TRUE(checked.has_value())
          << older.tree_size << " → " << newer.tree_size << ": " << checked.error().message;
    }
  }
}

TEST_F(Verify, ConsistencyProofFileRoundTrips) {
  for (std::uint64_t old_size = 1; old_size <= kEntries; ++old_size) {
    auto file = ledger_->consistency_proof_json(old_size);
    ASSERT_TRUE(file.has_value()) << file.error().message;
    auto parsed = parse_consistency_proof_json(consistency_proof_to_json(*file));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->proof, file->proof);
    auto checked = verify_consistency_between(parsed->old_head, parsed->new_head, parsed->proof,
                                              key_.public_key());
    EXPECT_TRUE(checked.has_value()) << checked.error().message;
  }
  EXPECT_FALSE(ledger_->consistency_proof_json(kEntries + 1).has_value());
}

TEST_F(Verify, Invariant_I9_ForkedHistoryFailsConsistency) {
  MemoryStorage fork_storage = storage_;
  fork_storage.truncate(12);
  auto fork = Ledger::open(fork_storage, key_);
  ASSERT_TRUE(fork.has_value());
  for (int i = 12; i < 25; ++i) {
    ASSERT_TRUE(fork->append("fork.event", {{"i", i}}, at_minute(100 + i)).has_value());
  }
  // The overseer holds the genuine head of size 20; the fork claims size 25.
  const SignedTreeHead held = *ledger_->latest_head();
  auto proof = fork->consistency_proof(20, 25);
  ASSERT_TRUE(proof.has_value());
  auto checked = verify_consistency_between(held, *fork->latest_head(), *proof, key_.public_key());
  ASSERT_FALSE(checked.has_value());
  EXPECT_TRUE(checked.error().message.starts_with("fork:")) << checked.error().message;
  // Before the fork point both histories agree.
  auto shared = storage_.tree_heads();
  ASSERT_TRUE(shared.has_value());
  const SignedTreeHead& at12 = (*shared)[11];
  ASSERT_EQ(at12.tree_size, 12U);
  auto fork_proof = fork->consistency_proof(12, 25);
  ASSERT_TRUE(fork_proof.has_value());
  EXPECT_TRUE(verify_consistency_between(at12, *fork->latest_head(), *fork_proof, key_.public_key())
                  .has_value());
  // Equal size, different roots.
  MemoryStorage fork20 = storage_;
  fork20.truncate(19);
  auto other = Ledger::open(fork20, key_);
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(other->append("fork.event", {{"i", 19}}, at_minute(300)).has_value());
  checked = verify_consistency_between(held, *other->latest_head(), {}, key_.public_key());
  ASSERT_FALSE(checked.has_value());
  EXPECT_TRUE(checked.error().message.starts_with("fork:")) << checked.error().message;
}

TEST_F(Verify, Invariant_I9_RollbackFailsConsistency) {
  auto heads = storage_.tree_heads();
  ASSERT_TRUE(heads.has_value());
  const SignedTreeHead& newest = heads->back();
  const SignedTreeHead& earlier = (*heads)[11];
  auto checked = verify_consistency_between(newest, earlier, {}, key_.public_key());
  ASSERT_FALSE(checked.has_value());
  EXPECT_TRUE(checked.error().message.starts_with("rollback:")) << checked.error().message;
  EXPECT_NE(checked.error().message.find("entries 12–19"), std::string::npos);
}

TEST_F(Verify, Invariant_I9_ConsistencyRejectsForgedSignature) {
  auto heads = storage_.tree_heads();
  ASSERT_TRUE(heads.has_value());
  SignedTreeHead older = (*heads)[3];
  const SignedTreeHead& newer = heads->back();
  auto proof = ledger_->consistency_proof(older.tree_size, newer.tree_size);
  ASSERT_TRUE(proof.has_value());
  older.signature[0] ^= 1;
  auto checked = verify_consistency_between(older, newer, *proof, key_.public_key());
  ASSERT_FALSE(checked.has_value());
  EXPECT_TRUE(checked.error().message.starts_with("old head")) << checked.error().message;
  // A tampered proof is a fork as far as the overseer can tell.
  auto bad_proof = *proof;
  bad_proof[0][0] ^= 1;
  checked = verify_consistency_between((*heads)[3], newer, bad_proof, key_.public_key());
  ASSERT_FALSE(checked.has_value());
  EXPECT_TRUE(checked.error().message.starts_with("fork:"));
}

// Writes the seed corpus of fuzz/ledger_export_fuzz.cc (a public key line, then an export):
//   test_ledger --gtest_also_run_disabled_tests --gtest_filter='LedgerFuzzSeeds.*'
TEST(LedgerFuzzSeeds, DISABLED_Write) {
  const std::filesystem::path dir = MAMORI_SOURCE_DIR "/fuzz/corpus/ledger_export_fuzz";
  const std::filesystem::path keys = std::filesystem::temp_directory_path() / "mamori-fuzz-seeds";
  std::filesystem::remove_all(keys);
  std::filesystem::create_directories(keys);
  std::filesystem::create_directories(dir);
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  ASSERT_TRUE(save_key_pair((keys / "seed").string(), key, kStart).has_value());
  std::ifstream pub(keys / "seed.pub");
  std::string key_line;
  std::getline(pub, key_line);
  std::filesystem::remove_all(keys);
  auto write = [&](const std::string& name, const std::vector<std::string>& lines) {
    std::ofstream out(dir / name, std::ios::binary);
    out << key_line << "\n" << join_lines(lines);
  };
  MemoryStorage storage;
  Ledger ledger = build_ledger(storage, key, 6, 2);
  const auto lines = export_lines(ledger);
  write("clean.jsonl", lines);
  auto swapped = lines;
  std::swap(swapped[static_cast<std::size_t>(entry_index(lines, 2))],
            swapped[static_cast<std::size_t>(entry_index(lines, 3))]);
  write("swapped.jsonl", swapped);
  auto rewritten = lines;
  rewrite_consistently(rewritten, 3);
  write("rewritten.jsonl", rewritten);
  auto inserted = lines;
  inserted.insert(inserted.begin() + entry_index(lines, 4), forged_entry(lines, 4, true));
  write("inserted.jsonl", inserted);
}

}  // namespace
}  // namespace mamori::ledger::testing
