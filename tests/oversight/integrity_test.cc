#include "mamori/oversight/integrity.h"

#include <string>

#include <gtest/gtest.h>

#include "mamori/oversight/report.h"
#include "test_ledger.h"

namespace mamori::oversight::testing {
namespace {

IntegrityReport check(const Scenario& s) {
  return check_ledger_integrity(s.inputs.leaves, s.inputs.heads, s.inputs.ledger_key);
}

// Replaces the only occurrence of `from` in leaf `seq`.
void tamper(Scenario& s, std::uint64_t seq, const std::string& from, const std::string& to) {
  std::string& leaf = s.inputs.leaves[seq].leaf;
  const auto pos = leaf.find(from);
  ASSERT_NE(pos, std::string::npos);
  ASSERT_EQ(leaf.find(from, pos + 1), std::string::npos);
  leaf.replace(pos, from.size(), to);
}

TEST(OversightIntegrity, GoodLedgerIsIntactAndHeadsAreConsistent) {
  const auto s = sample_scenario();
  const auto i = check(s);
  EXPECT_TRUE(i.intact);
  EXPECT_TRUE(i.problems.empty());
  EXPECT_FALSE(i.first_bad_seq.has_value());
  EXPECT_EQ(i.leaves, 23u);
  EXPECT_TRUE(i.signatures_checked);
  ASSERT_EQ(i.heads.size(), 3u);
  EXPECT_EQ(i.heads[0].tree_size, 5u);
  EXPECT_EQ(i.heads[2].tree_size, 23u);
  EXPECT_EQ(i.heads[2].root, i.root);
  for (const auto& head : i.heads) {
    EXPECT_TRUE(head.ok());
    EXPECT_EQ(head.signature_ok, std::optional<bool>(true));
    EXPECT_EQ(head.root_matches, std::optional<bool>(true));
  }
  EXPECT_FALSE(i.heads[0].consistent_with_previous.has_value());  // nothing before it
  EXPECT_EQ(i.heads[1].consistent_with_previous, std::optional<bool>(true));
  EXPECT_EQ(i.heads[2].consistent_with_previous, std::optional<bool>(true));
  EXPECT_EQ(i.latest_head_size, 23u);
  EXPECT_EQ(i.unsigned_entries, 0u);
}

TEST(OversightIntegrity, Invariant_I9_TamperedLeafIsNamedBySeq) {
  auto s = sample_scenario();
  tamper(s, 8, "\"records\":7777", "\"records\":7");  // run 1's summary
  const auto i = check(s);
  EXPECT_FALSE(i.intact);
  ASSERT_TRUE(i.first_bad_seq.has_value());
  EXPECT_EQ(*i.first_bad_seq, 8u);
  ASSERT_FALSE(i.problems.empty());
  EXPECT_EQ(i.problems[0].seq, 8u);
  EXPECT_NE(i.problems[0].message.find("entry 8"), std::string::npos);
  // Heads covering seq 8 no longer match; the one before still does.
  EXPECT_TRUE(i.heads[0].ok());
  EXPECT_EQ(i.heads[1].root_matches, std::optional<bool>(false));
  EXPECT_EQ(i.heads[2].root_matches, std::optional<bool>(false));
  EXPECT_EQ(i.heads[1].consistent_with_previous, std::optional<bool>(false));
  EXPECT_EQ(i.heads[1].signature_ok, std::optional<bool>(true));  // the head itself is genuine
}

TEST(OversightIntegrity, Invariant_I9_BrokenLedgerStillRendersAndSaysWhere) {
  auto s = sample_scenario();
  tamper(s, 8, "\"records\":7777", "\"records\":7");
  auto data = build_report(s.inputs, s.period);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->records.stored, 7u + 4u);  // counts what the ledger now says
  const std::string html = render_html(*data);
  EXPECT_NE(html.find("The ledger is BROKEN"), std::string::npos);
  EXPECT_NE(html.find("first bad entry: seq 8"), std::string::npos);
  EXPECT_EQ(html.find("The ledger is intact"), std::string::npos);
  EXPECT_EQ(render_json(*data)["integrity"]["first_bad_seq"], 8);
}

TEST(OversightIntegrity, Invariant_I9_TamperedLastLeafIsCaughtByTheHead) {
  auto s = sample_scenario();
  tamper(s, 22, "\"records\":500", "\"records\":5");  // no later entry commits to it
  const auto i = check(s);
  EXPECT_FALSE(i.intact);
  EXPECT_TRUE(i.heads[1].ok());
  EXPECT_EQ(i.heads[2].root_matches, std::optional<bool>(false));
  // The change lies after the last head that matched (size 10).
  ASSERT_TRUE(i.first_bad_seq.has_value());
  EXPECT_EQ(*i.first_bad_seq, 10u);
  EXPECT_NE(i.problems[0].message.find("entries 10..22"), std::string::npos);
}

TEST(OversightIntegrity, Invariant_I9_UnparseableLeafIsNamed) {
  auto s = sample_scenario();
  s.inputs.leaves[4].leaf = "{not json";
  const auto i = check(s);
  EXPECT_FALSE(i.intact);
  EXPECT_EQ(i.first_bad_seq, std::optional<std::uint64_t>(4));
  EXPECT_NE(i.problems[0].message.find("does not parse"), std::string::npos);
  // The report still builds, without that event.
  auto data = build_report(s.inputs, s.period);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->approvals.granted, 0u);
}

TEST(OversightIntegrity, Invariant_I9_RemovedEntryIsNamed) {
  auto s = sample_scenario();
  s.inputs.leaves.erase(s.inputs.leaves.begin() + 3);
  const auto i = check(s);
  EXPECT_FALSE(i.intact);
  EXPECT_EQ(i.first_bad_seq, std::optional<std::uint64_t>(3));
  // The last head covers 23 entries; the ledger now holds 22.
  EXPECT_FALSE(i.heads[2].root_matches.has_value());
  EXPECT_FALSE(i.heads[2].ok());
}

TEST(OversightIntegrity, Invariant_I9_HeadWithWrongRootIsFlagged) {
  auto s = sample_scenario();
  // A head genuinely signed by the sensor key, over a root the ledger does not have.
  auto wrong_root = s.inputs.heads[1].root;
  wrong_root[0] ^= 0x01;
  s.inputs.heads[1] = ledger::sign_tree_head(s.ledger.sensor_key(), s.inputs.heads[1].tree_size,
                                             wrong_root, s.inputs.heads[1].timestamp);
  const auto i = check(s);
  EXPECT_FALSE(i.intact);
  EXPECT_EQ(i.heads[1].signature_ok, std::optional<bool>(true));
  EXPECT_EQ(i.heads[1].root_matches, std::optional<bool>(false));
  EXPECT_FALSE(i.heads[1].ok());
  EXPECT_EQ(i.heads[1].consistent_with_previous, std::optional<bool>(false));
  EXPECT_EQ(i.heads[2].consistent_with_previous, std::optional<bool>(false));
  EXPECT_TRUE(i.heads[0].ok());
  // The leaves are fine; the finding points at the span that head covers.
  EXPECT_EQ(i.first_bad_seq, std::optional<std::uint64_t>(5));
}

TEST(OversightIntegrity, Invariant_I9_AlteredHeadFailsItsSignature) {
  auto s = sample_scenario();
  s.inputs.heads[0].tree_size = 4;  // not what was signed
  const auto i = check(s);
  EXPECT_FALSE(i.intact);
  EXPECT_EQ(i.heads[0].signature_ok, std::optional<bool>(false));
  EXPECT_FALSE(i.heads[0].signature_error.empty());
}

TEST(OversightIntegrity, WrongKeyFailsEverySignature) {
  auto s = sample_scenario();
  s.inputs.ledger_key = ledger::SigningKey::generate(ledger::KeyRole::sensor).public_key();
  const auto i = check(s);
  EXPECT_FALSE(i.intact);
  for (const auto& head : i.heads) EXPECT_EQ(head.signature_ok, std::optional<bool>(false));
}

TEST(OversightIntegrity, WithoutKeySignaturesAreNotChecked) {
  auto s = sample_scenario();
  s.inputs.ledger_key.reset();
  const auto i = check(s);
  EXPECT_TRUE(i.intact);
  EXPECT_FALSE(i.signatures_checked);
  for (const auto& head : i.heads) EXPECT_FALSE(head.signature_ok.has_value());
  auto data = build_report(s.inputs, s.period);
  ASSERT_TRUE(data.has_value());
  EXPECT_NE(render_html(*data).find("not checked (no public key given)"), std::string::npos);
}

TEST(OversightIntegrity, EntriesAfterTheLastHeadAreReportedUnsigned) {
  auto s = sample_scenario();
  s.inputs.heads.pop_back();
  const auto i = check(s);
  EXPECT_TRUE(i.intact);
  EXPECT_EQ(i.latest_head_size, 10u);
  EXPECT_EQ(i.unsigned_entries, 13u);
}

}  // namespace
}  // namespace mamori::oversight::testing

namespace mamori::oversight::testing {
namespace {

// Every single-byte change and every truncation of any leaf is detected (the last head covers
// all entries), and neither the check nor the renderers crash on what is left.
TEST(OversightIntegrity, Invariant_I9_EveryMutationIsDetectedAndReported) {
  const auto base = sample_scenario();
  std::uint64_t state = 0x9e3779b97f4a7c15u;  // fixed seed
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (std::uint64_t seq = 0; seq < base.inputs.leaves.size(); ++seq) {
    for (int round = 0; round < 12; ++round) {
      ReportInputs inputs = base.inputs;
      std::string& leaf = inputs.leaves[seq].leaf;
      if (round == 0) {
        leaf = leaf.substr(0, next() % leaf.size());
      } else {
        const std::size_t pos = next() % leaf.size();
        const auto flip = static_cast<char>(1u << (next() % 8));
        leaf[pos] = static_cast<char>(leaf[pos] ^ flip);
      }
      auto data = build_report(inputs, base.period);
      ASSERT_TRUE(data.has_value());
      EXPECT_FALSE(data->integrity.intact) << "seq " << seq << " round " << round;
      ASSERT_TRUE(data->integrity.first_bad_seq.has_value());
      EXPECT_LE(*data->integrity.first_bad_seq, seq);
      EXPECT_NE(render_html(*data).find("BROKEN"), std::string::npos);
      EXPECT_NO_THROW((void)render_json(*data).dump());
    }
  }
}

}  // namespace
}  // namespace mamori::oversight::testing
