// The Ledger: appends with one signed head per call, proofs, export, concurrent writers, and
// refusing to open a store that was tampered with (I9).

#include "mamori/ledger/ledger.h"

#include <limits>
#include <sstream>

#include <gtest/gtest.h>

#include "ledger_fixture.h"
#include "mamori/ledger/verify.h"

namespace mamori::ledger::testing {
namespace {

constexpr int kEntries = 20;

TEST(Ledger, AppendsChainEveryEntryToTheHistoryBeforeIt) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  Ledger ledger = build_ledger(storage, key, 5);
  EXPECT_EQ(ledger.size(), 5U);
  auto entries = ledger.entries(0, 100);
  ASSERT_TRUE(entries.has_value()) << entries.error().message;
  ASSERT_EQ(entries->size(), 5U);
  MerkleTree tree;
  for (std::uint64_t i = 0; i < 5; ++i) {
    const LedgerEntry& entry = (*entries)[i];
    EXPECT_EQ(entry.seq, i);
    EXPECT_EQ(entry.prev, tree.root());
    EXPECT_EQ(entry.body, body_for(static_cast<int>(i)));
    EXPECT_EQ(entry.at, at_minute(static_cast<int>(i)));
    tree.append(canonical_leaf(entry));
  }
  EXPECT_EQ(ledger.root(), tree.root());
  ASSERT_TRUE(ledger.latest_head().has_value());
  EXPECT_EQ(ledger.latest_head()->tree_size, 5U);
  EXPECT_EQ(ledger.latest_head()->root, tree.root());
  EXPECT_TRUE(verify_tree_head(*ledger.latest_head(), key.public_key()).has_value());
}

TEST(Ledger, OneSignedHeadAndOneTransactionPerAppendCall) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  Ledger ledger = build_ledger(storage, key, 12, /*per_append=*/4);
  EXPECT_EQ(storage.appends(), 3);
  auto heads = storage.tree_heads();
  ASSERT_TRUE(heads.has_value());
  ASSERT_EQ(heads->size(), 3U);
  EXPECT_EQ((*heads)[0].tree_size, 4U);
  EXPECT_EQ((*heads)[2].tree_size, 12U);
  auto none = ledger.append_batch({});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(storage.appends(), 3);
}

TEST(Ledger, ReopensToTheSameTree) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  const Hash root = build_ledger(storage, key, kEntries, 3).root();
  auto again = Ledger::open(storage, key.public_key());
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->root(), root);
  EXPECT_EQ(again->size(), static_cast<std::uint64_t>(kEntries));
  EXPECT_TRUE(again->read_only());
  EXPECT_FALSE(again->append("x.y", nlohmann::json::object(), at_minute(99)).has_value());
  EXPECT_FALSE(again->sign_head_now(at_minute(99)).has_value());
  EXPECT_FALSE(Ledger::open(storage, static_cast<const SigningKey*>(nullptr)).has_value());
  EXPECT_TRUE(Ledger::open(storage, &key).has_value());
  // Reads past the end are short, never an error.
  auto tail = again->entries(18, std::numeric_limits<std::uint64_t>::max());
  ASSERT_TRUE(tail.has_value()) << tail.error().message;
  ASSERT_EQ(tail->size(), 2U);
  EXPECT_EQ(tail->back().seq, 19U);
  EXPECT_TRUE(again->entries(25, 5).value().empty());
  EXPECT_TRUE(again->entries(3, 0).value().empty());
}

TEST(Ledger, InclusionProofsVerify) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  Ledger ledger = build_ledger(storage, key, kEntries);
  auto entries = ledger.entries(0, kEntries);
  ASSERT_TRUE(entries.has_value());
  for (std::uint64_t size = 1; size <= kEntries; ++size) {
    auto root = MerkleTree{};
    for (std::uint64_t i = 0; i < size; ++i) root.append(canonical_leaf((*entries)[i]));
    for (std::uint64_t seq = 0; seq < size; ++seq) {
      auto proof = ledger.inclusion_proof(seq, size);
      ASSERT_TRUE(proof.has_value()) << proof.error().message;
      EXPECT_TRUE(verify_inclusion(hash_leaf(canonical_leaf((*entries)[seq])), seq, size, *proof,
                                   root.root())
                      .has_value());
    }
  }
}

TEST(Ledger, HeadTimestampsNeverGoBackwards) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  auto ledger = Ledger::open(storage, key);
  ASSERT_TRUE(ledger.has_value());
  ASSERT_TRUE(ledger->append("a.b", nlohmann::json::object(), at_minute(10)).has_value());
  // A caller whose clock is behind: the entry keeps its time, the head does not go back.
  auto late = ledger->append("a.b", nlohmann::json::object(), at_minute(5));
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->at, at_minute(5));
  EXPECT_EQ(ledger->latest_head()->timestamp, at_minute(10));
  auto head = ledger->sign_head_now(at_minute(3));
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->timestamp, at_minute(10));
  EXPECT_EQ(head->tree_size, 2U);
  // Microseconds are kept, nanoseconds are not (the formats' precision).
  auto precise =
      ledger->append("a.b", nlohmann::json::object(), at_minute(20) + Duration{1'234'567});
  ASSERT_TRUE(precise.has_value());
  EXPECT_EQ(precise->at, at_minute(20) + Duration{1'234'000});
  EXPECT_TRUE(Ledger::open(storage, key.public_key()).has_value());
}

TEST(Ledger, SigningAHeadOfAnAlreadySignedTreeReturnsItsHead) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  auto ledger = Ledger::open(storage, key);
  ASSERT_TRUE(ledger.has_value());
  ASSERT_TRUE(ledger->append("a.b", nlohmann::json::object(), at_minute(1)).has_value());
  auto first = ledger->sign_head_now(at_minute(2));
  auto second = ledger->sign_head_now(at_minute(3));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(storage.tree_heads()->size(), 1U) << "one head per tree size";
  ASSERT_TRUE(ledger->append("a.b", nlohmann::json::object(), at_minute(4)).has_value());
  auto third = ledger->sign_head_now(at_minute(5));
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->tree_size, 2U);
}

TEST(Ledger, RejectsBodiesThatCannotBeLeaves) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  auto ledger = Ledger::open(storage, key);
  ASSERT_TRUE(ledger.has_value());
  auto bad_utf8 = ledger->append("a.b", {{"name", std::string("\xff\xfe")}}, at_minute(1));
  ASSERT_FALSE(bad_utf8.has_value());
  EXPECT_NE(bad_utf8.error().message.find("UTF-8"), std::string::npos);
  EXPECT_FALSE(ledger->append("a.b", nlohmann::json::array(), at_minute(1)).has_value());
  EXPECT_FALSE(ledger->append("", nlohmann::json::object(), at_minute(1)).has_value());
  EXPECT_EQ(ledger->size(), 0U);
  EXPECT_EQ(storage.appends(), 0);
}

TEST(Ledger, ExportVerifiesAndRoundTrips) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  Ledger ledger = build_ledger(storage, key, kEntries, 7);
  ASSERT_TRUE(ledger.sign_head_now(at_minute(500)).has_value());
  const auto lines = export_lines(ledger);
  auto header = parse_export_header(lines.at(0));
  ASSERT_TRUE(header.has_value()) << header.error().message;
  EXPECT_EQ(header->entries, static_cast<std::uint64_t>(kEntries));
  EXPECT_EQ(header->key_id, key.public_key().key_id());
  std::istringstream in(join_lines(lines));
  const VerifyReport report = verify_export(in, key.public_key(), {});
  EXPECT_TRUE(report.ok) << describe_problems(report.problems);
  EXPECT_EQ(report.root, ledger.root());
  EXPECT_EQ(report.heads_checked, 3U);  // 7, 14 and 20 (signing again at 20 returns that head)
}

// --- tampered storage -------------------------------------------------------------------

// Parameter: entries per append call (one stored head per call).
class LedgerTamper : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { build_ledger(storage_, key_, kEntries, GetParam()); }

  void expect_refused(MemoryStorage& storage, std::uint64_t seq, std::string_view what,
                      std::span<const SignedTreeHead> held = {}) {
    auto opened = Ledger::open(storage, key_, held);
    ASSERT_FALSE(opened.has_value()) << what << " " << seq;
    const std::string& message = opened.error().message;
    EXPECT_NE(message.find("refusing to open"), std::string::npos) << message;
    EXPECT_NE(message.find(fmt::format("{}", seq)), std::string::npos) << message;
    // Use the verifier directly to check the exact place.
    LedgerChecker checker(key_.public_key(), PositionKind::row, false);
    for (const auto& head : held) checker.add_held_head(head);
    const std::vector<SignedTreeHead> stored = *storage.tree_heads();
    for (const auto& head : stored) checker.add_head(head, head.tree_size);
    for (const auto& row : storage.rows()) checker.add_entry(row.leaf, row.seq);
    checker.finish();
    ASSERT_FALSE(checker.ok());
    EXPECT_EQ(checker.problems().front().seq, seq) << what << ": " << message;
  }

  SigningKey key_ = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage_;
};

TEST_P(LedgerTamper, Invariant_I9_OpenRefusesAlteredRow) {
  for (std::size_t k = 0; k < kEntries; ++k) {
    MemoryStorage storage = storage_;
    auto entry = parse_leaf(storage.rows()[k].leaf);
    ASSERT_TRUE(entry.has_value());
    entry->type = "access.granted";
    storage.replace_leaf(k, canonical_leaf(*entry));
    expect_refused(storage, k, "altered");
  }
}

TEST_P(LedgerTamper, Invariant_I9_OpenRefusesDeletedRow) {
  for (std::size_t k = 0; k < kEntries; ++k) {
    MemoryStorage storage = storage_;
    storage.delete_row(k);
    expect_refused(storage, k, "deleted");
  }
}

TEST_P(LedgerTamper, Invariant_I9_OpenRefusesSwappedRows) {
  for (std::size_t k = 0; k + 1 < kEntries; ++k) {
    MemoryStorage storage = storage_;
    storage.swap_leaves(k, k + 1);
    expect_refused(storage, k, "swapped");
  }
}

TEST_P(LedgerTamper, Invariant_I9_OpenRefusesInsertedRow) {
  for (std::size_t k = 0; k <= kEntries; ++k) {
    MemoryStorage storage = storage_;
    std::vector<std::string> leaves;
    for (const auto& row : storage.rows()) leaves.push_back(row.leaf);
    leaves.insert(leaves.begin(), "header placeholder");  // entry_index skips line 0
    storage.insert_row(k, StoredLeaf{k, forged_entry(leaves, k, /*fitting_prev=*/true)});
    expect_refused(storage, k, "inserted");
  }
}

TEST_P(LedgerTamper, Invariant_I9_OpenRefusesRollbackBelowAHeldHead) {
  const std::vector<SignedTreeHead> held = {storage_.tree_heads()->back()};
  // An earlier copy of the database ends where an append call ended (leaves and head are
  // written together): at 0 or at a stored head's size.
  std::vector<std::uint64_t> sizes = {0};
  for (const auto& head : storage_.heads()) {
    if (head.tree_size < kEntries) sizes.push_back(head.tree_size);
  }
  for (const std::uint64_t size : sizes) {
    MemoryStorage storage = storage_;
    storage.truncate(size);
    EXPECT_TRUE(Ledger::open(storage, key_).has_value()) << "coherent on its own";
    expect_refused(storage, size, "rolled back to", held);
  }
}

TEST_P(LedgerTamper, Invariant_I9_OpenRefusesForgedHead) {
  MemoryStorage storage = storage_;
  storage.heads()[1].signature[0] ^= 1;
  auto opened = Ledger::open(storage, key_);
  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().message.find(fmt::format("size {}", storage.heads()[1].tree_size)),
            std::string::npos)
      << opened.error().message;
}

TEST_P(LedgerTamper, Invariant_I9_OpenRefusesAnotherKeysLedger) {
  const SigningKey other = SigningKey::generate(KeyRole::sensor);
  auto opened = Ledger::open(storage_, other);
  ASSERT_FALSE(opened.has_value());
}

TEST_P(LedgerTamper, Invariant_I9_EntriesReadNoticesChangesSinceOpen) {
  auto ledger = Ledger::open(storage_, key_);
  ASSERT_TRUE(ledger.has_value());
  auto entry = parse_leaf(storage_.rows()[3].leaf);
  entry->body["n"] = 42;
  storage_.replace_leaf(3, canonical_leaf(*entry));
  EXPECT_TRUE(ledger->entries(0, 3).has_value());
  auto read = ledger->entries(0, 10);
  ASSERT_FALSE(read.has_value());
  EXPECT_NE(read.error().message.find("row 3"), std::string::npos) << read.error().message;
}

INSTANTIATE_TEST_SUITE_P(HeadSpacing, LedgerTamper, ::testing::Values(1, 7),
                         [](const auto& info) { return fmt::format("head_per_{}", info.param); });

// --- several writers --------------------------------------------------------------------

TEST(LedgerWriters, AppendAfterAnotherWriterVerifiesAndBuildsOnIt) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  build_ledger(storage, key, 3);
  auto first = Ledger::open(storage, key);
  auto second = Ledger::open(storage, key);
  ASSERT_TRUE(first.has_value() && second.has_value());
  ASSERT_TRUE(first->append("w.one", {{"i", 1}}, at_minute(10)).has_value());
  ASSERT_TRUE(first->append("w.one", {{"i", 2}}, at_minute(11)).has_value());
  // `second` still believes the ledger has 3 entries: its write is refused, it catches up.
  auto appended = second->append("w.two", {{"i", 3}}, at_minute(12));
  ASSERT_TRUE(appended.has_value()) << appended.error().message;
  EXPECT_EQ(appended->seq, 5U);
  EXPECT_EQ(second->size(), 6U);
  auto reopened = Ledger::open(storage, key.public_key());
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  EXPECT_EQ(reopened->root(), second->root());
  ASSERT_TRUE(first->refresh().has_value());
  EXPECT_EQ(first->root(), second->root());
}

TEST(LedgerWriters, WriterRacingInTheMiddleOfAnAppend) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  auto mine = Ledger::open(storage, key);
  auto theirs = Ledger::open(storage, key);
  ASSERT_TRUE(mine.has_value() && theirs.has_value());
  // The other writer commits between our read of the size and our write.
  storage.before_append = [&] {
    ASSERT_TRUE(theirs->append("w.theirs", nlohmann::json::object(), at_minute(1)).has_value());
  };
  auto appended = mine->append("w.mine", nlohmann::json::object(), at_minute(2));
  ASSERT_TRUE(appended.has_value()) << appended.error().message;
  EXPECT_EQ(appended->seq, 1U);
  EXPECT_TRUE(Ledger::open(storage, key).has_value());
}

TEST(LedgerWriters, Invariant_I9_AppendRefusesWhatAWriterWithoutTheKeyAdded) {
  const SigningKey key = SigningKey::generate(KeyRole::sensor);
  MemoryStorage storage;
  build_ledger(storage, key, 4);
  auto ledger = Ledger::open(storage, key);
  ASSERT_TRUE(ledger.has_value());
  // Someone with database access but no key appends an entry and a head signed by their key.
  const SigningKey intruder = SigningKey::generate(KeyRole::sensor);
  {
    auto theirs = Ledger::open(storage, key.public_key());
    ASSERT_TRUE(theirs.has_value());
    LedgerEntry forged{4, at_minute(50), "access.granted", {{"who", "intruder"}}, theirs->root()};
    const std::string leaf = canonical_leaf(forged);
    MerkleTree tree;
    for (const auto& row : storage.rows()) tree.append(row.leaf);
    tree.append(leaf);
    const SignedTreeHead head = sign_tree_head(intruder, 5, tree.root(), at_minute(50));
    const StoredLeaf row{4, leaf};
    ASSERT_TRUE(storage.append(4, std::span(&row, 1), &head).value());
  }
  auto appended = ledger->append("w.mine", nlohmann::json::object(), at_minute(60));
  ASSERT_FALSE(appended.has_value());
  EXPECT_NE(appended.error().message.find("another writer"), std::string::npos)
      << appended.error().message;
  // And the ledger stays refused: no more appends on top of it.
  EXPECT_FALSE(ledger->append("w.mine", nlohmann::json::object(), at_minute(61)).has_value());
}

}  // namespace
}  // namespace mamori::ledger::testing
