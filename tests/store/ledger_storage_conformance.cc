#include "ledger_storage_conformance.h"

#include <atomic>
#include <limits>
#include <set>
#include <thread>

namespace mamori::store::testing {

std::string ledger_backend_name(const ::testing::TestParamInfo<LedgerBackend>& info) {
  return info.param.name;
}

void LedgerStorageConformance::SetUp() {
  factory_ = GetParam().make();
  ASSERT_NE(factory_, nullptr);
  auto opened = factory_->open();
  ASSERT_TRUE(opened) << opened.error().message;
  storage_ = std::move(*opened);
}

std::unique_ptr<ledger::LedgerStorage> LedgerStorageConformance::open_another() {
  auto opened = factory_->open();
  if (!opened) {
    ADD_FAILURE() << "opening another connection: " << opened.error().message;
    return nullptr;
  }
  return std::move(*opened);
}

namespace {

using ledger::SignedTreeHead;
using ledger::StoredLeaf;

template <class T>
T must(Result<T> result, const char* what) {
  if (!result) {
    ADD_FAILURE() << what << ": " << result.error().message;
    return T{};
  }
  return std::move(*result);
}

// Leaves that look like ledger entries (the storage never parses them) and name their seq.
std::vector<StoredLeaf> leaves(std::uint64_t first, std::size_t count, std::string_view tag = "") {
  std::vector<StoredLeaf> out;
  for (std::uint64_t seq = first; seq < first + count; ++seq) {
    out.push_back({seq, fmt::format(R"({{"at":"2026-12-02T10:00:00.000000Z","body":{{"tag":"{}",)"
                                    R"("note":"監理 \"quoted\""}},"seq":{},"type":"test"}})",
                                    tag, seq)});
  }
  return out;
}

SignedTreeHead head_at(std::uint64_t tree_size, std::uint8_t fill) {
  SignedTreeHead head;
  head.tree_size = tree_size;
  for (std::size_t i = 0; i < head.root.size(); ++i) {
    head.root[i] = static_cast<std::uint8_t>(fill + i);
  }
  for (std::size_t i = 0; i < head.signature.size(); ++i) {
    head.signature[i] = static_cast<std::uint8_t>(fill * 3 + i);
  }
  head.root[0] = 0;  // a leading zero byte must survive (no C-string handling)
  head.timestamp = Timestamp::from_micros(1795305600'000001 + static_cast<std::int64_t>(tree_size));
  head.key_id = fmt::format("sensorkey{:04}", tree_size);
  return head;
}

void expect_same(const SignedTreeHead& got, const SignedTreeHead& want) {
  EXPECT_EQ(got.tree_size, want.tree_size);
  EXPECT_EQ(got.root, want.root) << "tree size " << want.tree_size;
  EXPECT_EQ(got.timestamp, want.timestamp) << "tree size " << want.tree_size;
  EXPECT_EQ(got.key_id, want.key_id);
  EXPECT_EQ(got.signature, want.signature) << "tree size " << want.tree_size;
}

void expect_leaves(const std::vector<StoredLeaf>& got, const std::vector<StoredLeaf>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, want[i].seq) << i;
    EXPECT_EQ(got[i].leaf, want[i].leaf) << i;
  }
}

std::vector<StoredLeaf> slice(const std::vector<StoredLeaf>& all, std::size_t from,
                              std::size_t count) {
  from = std::min(from, all.size());
  count = std::min(count, all.size() - from);
  return {all.begin() + static_cast<std::ptrdiff_t>(from),
          all.begin() + static_cast<std::ptrdiff_t>(from + count)};
}

TEST_P(LedgerStorageConformance, EmptyLedgerHasNothing) {
  EXPECT_EQ(must(storage().size(), "size"), 0u);
  EXPECT_TRUE(must(storage().read(0, 10), "read").empty());
  EXPECT_TRUE(must(storage().tree_heads(), "tree_heads").empty());
}

TEST_P(LedgerStorageConformance, AppendsLeavesAndHeadsAndReadsThemInOrder) {
  const auto first = leaves(0, 3, "a");
  const auto second = leaves(3, 2, "b");
  const SignedTreeHead head3 = head_at(3, 7);
  const SignedTreeHead head5 = head_at(5, 9);
  EXPECT_TRUE(must(storage().append(0, first, &head3), "append 0"));
  EXPECT_TRUE(must(storage().append(3, second, nullptr), "append 3"));
  EXPECT_TRUE(must(storage().append(5, {}, &head5), "append head only"));
  EXPECT_EQ(must(storage().size(), "size"), 5u);

  std::vector<StoredLeaf> all = first;
  all.insert(all.end(), second.begin(), second.end());
  expect_leaves(must(storage().read(0, 100), "read all"), all);
  for (std::uint64_t from = 0; from <= 6; ++from) {
    for (std::uint64_t count = 0; count <= 6; ++count) {
      SCOPED_TRACE(fmt::format("read({}, {})", from, count));
      expect_leaves(must(storage().read(from, count), "read"), slice(all, from, count));
    }
  }
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  expect_leaves(must(storage().read(2, kMax), "read to the end"), slice(all, 2, 100));
  EXPECT_TRUE(must(storage().read(kMax, kMax), "read far").empty());
  EXPECT_TRUE(must(storage().read(kMax - 1, 1), "read far").empty());

  const auto heads = must(storage().tree_heads(), "tree_heads");
  ASSERT_EQ(heads.size(), 2u);
  expect_same(heads[0], head3);
  expect_same(heads[1], head5);
}

TEST_P(LedgerStorageConformance, StaleExpectedSizeWritesNothing) {
  const SignedTreeHead head2 = head_at(2, 1);
  ASSERT_TRUE(must(storage().append(0, leaves(0, 2, "winner"), &head2), "append"));
  // Another writer that still believes the ledger is empty, or that it is longer than it is.
  const SignedTreeHead stale_head = head_at(3, 2);
  EXPECT_FALSE(must(storage().append(0, leaves(0, 3, "stale"), &stale_head), "stale append"));
  const SignedTreeHead ahead = head_at(6, 3);
  EXPECT_FALSE(must(storage().append(5, leaves(5, 1, "ahead"), &ahead), "append ahead"));
  const SignedTreeHead behind = head_at(2, 4);
  EXPECT_FALSE(must(storage().append(1, leaves(1, 1, "behind"), &behind), "append behind"));

  EXPECT_EQ(must(storage().size(), "size"), 2u);
  expect_leaves(must(storage().read(0, 10), "read"), leaves(0, 2, "winner"));
  const auto heads = must(storage().tree_heads(), "tree_heads");
  ASSERT_EQ(heads.size(), 1u);
  expect_same(heads[0], head2);
  // The right size still appends.
  EXPECT_TRUE(must(storage().append(2, leaves(2, 1, "next"), nullptr), "append at size"));
  EXPECT_EQ(must(storage().size(), "size"), 3u);
}

TEST_P(LedgerStorageConformance, MalformedAppendsAreErrorsThatWriteNothing) {
  auto gap = leaves(0, 3);
  gap[2].seq = 3;
  auto result = storage().append(0, gap, nullptr);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("seq"), std::string::npos) << result.error().message;

  auto wrong_start = leaves(1, 2);
  EXPECT_FALSE(storage().append(0, wrong_start, nullptr));

  const SignedTreeHead wrong_size = head_at(4, 5);
  auto mismatched = storage().append(0, leaves(0, 3), &wrong_size);
  ASSERT_FALSE(mismatched);
  EXPECT_NE(mismatched.error().message.find("tree_size"), std::string::npos)
      << mismatched.error().message;

  EXPECT_EQ(must(storage().size(), "size"), 0u);
  EXPECT_TRUE(must(storage().read(0, 10), "read").empty());
  EXPECT_TRUE(must(storage().tree_heads(), "tree_heads").empty());
}

TEST_P(LedgerStorageConformance, AHeadRepeatingAStoredSizeIsAnErrorThatWritesNothing) {
  const SignedTreeHead head = head_at(2, 1);
  ASSERT_TRUE(must(storage().append(0, leaves(0, 2), &head), "append"));
  const SignedTreeHead again = head_at(2, 5);
  EXPECT_FALSE(storage().append(2, {}, &again));
  const auto heads = must(storage().tree_heads(), "tree_heads");
  ASSERT_EQ(heads.size(), 1u);
  expect_same(heads[0], head);
  EXPECT_EQ(must(storage().size(), "size"), 2u);
}

TEST_P(LedgerStorageConformance, LeafBytesRoundTripExactly) {
  std::vector<StoredLeaf> odd = {
      {0, "{}"},
      {1, std::string(100'000, 'x')},
      {2, "{\"ja\":\"内外 総合整理分析情報 ✓\",\"esc\":\"\\u0000\\n\\t\",\"bs\":\"\\\\\"}"},
      {3, " leading and trailing spaces "},
  };
  ASSERT_TRUE(must(storage().append(0, odd, nullptr), "append"));
  expect_leaves(must(storage().read(0, 4), "read"), odd);
}

TEST_P(LedgerStorageConformance, ReopenKeepsEntriesAndHeads) {
  if (!GetParam().shared) GTEST_SKIP() << "backend cannot reopen";
  const SignedTreeHead head = head_at(4, 11);
  ASSERT_TRUE(must(storage().append(0, leaves(0, 4, "kept"), &head), "append"));
  storage_.reset();
  storage_ = open_another();
  ASSERT_NE(storage_, nullptr);
  EXPECT_EQ(must(storage().size(), "size"), 4u);
  expect_leaves(must(storage().read(0, 10), "read"), leaves(0, 4, "kept"));
  const auto heads = must(storage().tree_heads(), "tree_heads");
  ASSERT_EQ(heads.size(), 1u);
  expect_same(heads[0], head);
}

TEST_P(LedgerStorageConformance, TwoConnectionsAtTheSameSizeExactlyOneWins) {
  if (!GetParam().shared) GTEST_SKIP() << "backend has no second connection";
  auto other = open_another();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(must(storage().append(0, leaves(0, 1, "base"), nullptr), "base"));
  // Both have read size 1; each appends its own entry at 1.
  const SignedTreeHead mine_head = head_at(3, 1);
  const SignedTreeHead theirs_head = head_at(2, 2);
  const bool mine = must(storage().append(1, leaves(1, 2, "mine"), &mine_head), "mine");
  const bool theirs = must(other->append(1, leaves(1, 1, "theirs"), &theirs_head), "theirs");
  EXPECT_TRUE(mine);
  EXPECT_FALSE(theirs);
  EXPECT_EQ(must(other->size(), "size seen by the loser"), 3u);
  auto expected = leaves(0, 1, "base");
  const auto winner = leaves(1, 2, "mine");
  expected.insert(expected.end(), winner.begin(), winner.end());
  expect_leaves(must(other->read(0, 10), "read"), expected);
  const auto heads = must(other->tree_heads(), "tree_heads");
  ASSERT_EQ(heads.size(), 1u);
  expect_same(heads[0], mine_head);
}

// Two threads, each with its own connection, append concurrently with the read-size-then-
// append retry loop the Ledger uses. Every attempt either wins whole or writes nothing, so the
// ledger ends with every entry exactly once, in a gap-free sequence.
TEST_P(LedgerStorageConformance, RacingWritersLoseNothingAndNeverInterleave) {
  if (!GetParam().shared) GTEST_SKIP() << "backend has no second connection";
  constexpr int kPerWriter = 40;
  std::atomic<int> ready{0};
  std::atomic<int> lost_races{0};
  std::string errors[2];
  auto writer = [&](int id) {
    auto storage = open_another();
    ++ready;
    while (ready.load() < 2) {
    }  // start together, so the attempts overlap
    if (!storage) return;
    for (int n = 0; n < kPerWriter;) {
      auto size = storage->size();
      if (!size) {
        errors[id] = size.error().message;
        return;
      }
      // Two entries per append, each naming its writer and number.
      std::vector<StoredLeaf> batch = {{*size, fmt::format("w{}-{}-a", id, n)},
                                       {*size + 1, fmt::format("w{}-{}-b", id, n)}};
      auto appended = storage->append(*size, batch, nullptr);
      if (!appended) {
        errors[id] = appended.error().message;
        return;
      }
      if (*appended) {
        ++n;
      } else {
        ++lost_races;
      }
    }
  };
  std::thread first(writer, 0);
  std::thread second(writer, 1);
  first.join();
  second.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  const auto all = must(storage().read(0, 1000), "read");
  ASSERT_EQ(all.size(), 2u * 2 * kPerWriter);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, i);
    seen.insert(all[i].leaf);
    // The two entries of one append are adjacent: appends never interleave.
    if (i % 2 == 1) {
      const std::string& a = all[i - 1].leaf;
      EXPECT_EQ(a.substr(0, a.size() - 1) + "b", all[i].leaf) << "at seq " << i;
    }
  }
  EXPECT_EQ(seen.size(), all.size());
  ::testing::Test::RecordProperty("lost_races", lost_races.load());
}

}  // namespace
}  // namespace mamori::store::testing
