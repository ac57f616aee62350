#include "mamori/oversight/report.h"

#include <gtest/gtest.h>

#include "mamori/governance/approval.h"
#include "mamori/governance/events.h"
#include "test_ledger.h"

namespace mamori::oversight::testing {
namespace {

constexpr std::size_t kFF = 0, kFD = 1, kDF = 2;

ReportData build(const Scenario& s) {
  auto data = build_report(s.inputs, s.period);
  EXPECT_TRUE(data.has_value()) << data.error().message;
  return data.value_or(ReportData{});
}

const ApprovalRow* approval(const ReportData& d, std::string_view id) {
  for (const auto& row : d.approvals.rows) {
    if (row.id == id) return &row;
  }
  return nullptr;
}

const RunRow* run(const ReportData& d, std::string_view id) {
  for (const auto& row : d.runs.rows) {
    if (row.run_id == id) return &row;
  }
  return nullptr;
}

TEST(OversightReport, RejectsEmptyOrInvertedPeriod) {
  auto s = sample_scenario();
  EXPECT_FALSE(build_report(s.inputs, {s.period.to, s.period.from}).has_value());
  EXPECT_FALSE(build_report(s.inputs, {s.period.from, s.period.from}).has_value());
}

TEST(OversightReport, ApprovalsRequestedGrantedAndStateAtPeriodEnd) {
  const auto s = sample_scenario();
  const auto d = build(s);
  EXPECT_EQ(d.approvals.requested, 2u);  // req-1, req-2 (req-old was requested before)
  EXPECT_EQ(d.approvals.granted, 1u);    // req-1
  ASSERT_EQ(d.approvals.rows.size(), 3u);

  const auto* old = approval(d, "req-old");  // granted earlier, window overlaps the period
  ASSERT_NE(old, nullptr);
  EXPECT_FALSE(old->requested_in_period);
  EXPECT_FALSE(old->granted_in_period);
  EXPECT_EQ(old->state_at_end, ApprovalState::expired);

  const auto* one = approval(d, "req-1");
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->state_at_end, ApprovalState::active);
  EXPECT_EQ(one->basis, "foreign-domestic");
  EXPECT_EQ(one->basis_ja, governance::japanese_name(governance::LegalBasis::foreign_domestic));
  EXPECT_EQ(one->categories, std::vector<std::string>{"FD"});
  EXPECT_EQ(one->sensor, "tokyo-1");
  EXPECT_EQ(one->overseer_key_id, s.ledger.overseer_key().public_key().key_id());
  EXPECT_EQ(one->not_before, at("2026-12-02T00:00:00Z"));
  EXPECT_EQ(one->not_after, at("2027-02-01T00:00:00Z"));
  EXPECT_EQ(one->ruleset_hash, std::string(64, 'a'));

  const auto* two = approval(d, "req-2");
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->state_at_end, ApprovalState::pending);
  EXPECT_TRUE(two->overseer_key_id.empty());
  EXPECT_FALSE(two->granted_at.has_value());

  EXPECT_EQ(d.approvals.active_at_end, 1u);
  EXPECT_EQ(d.approvals.expired_at_end, 1u);
}

TEST(OversightReport, SieveRefusals) {
  const auto d = build(sample_scenario());
  ASSERT_EQ(d.sieve_refusals.size(), 1u);
  EXPECT_EQ(d.sieve_refusals[0].refusal, "expired");
  EXPECT_EQ(d.sieve_refusals[0].sensor, "tokyo-1");
  EXPECT_EQ(d.sieve_refusals[0].approval_id, std::optional<std::string>("req-x"));
  EXPECT_EQ(d.sieve_refusals[0].seq, 6u);
  EXPECT_EQ(d.sieve_refusals_by_kind.at("expired"), 1u);
}

TEST(OversightReport, RunsVolumesAndSelectionRatiosByCategory) {
  const auto d = build(sample_scenario());
  const auto& t = d.runs.totals;
  EXPECT_EQ(t.started, 3u);
  EXPECT_EQ(t.ended, 2u);  // run 3 ends after the period
  EXPECT_EQ(t.stopped_at_expiry, 1u);
  EXPECT_EQ(t.by_category[kFF].bytes, 2'000'000u);
  EXPECT_EQ(t.by_category[kFD].bytes, 1'500'000u);
  EXPECT_EQ(t.by_category[kDF].bytes, 0u);
  EXPECT_EQ(t.by_category[kFD].packets, 1000u);
  EXPECT_EQ(t.flows, 600u);
  EXPECT_EQ(t.selected_flows, 9u);
  EXPECT_DOUBLE_EQ(t.by_category[kFD].selection_ratio().value(), 5.0 / 200.0);
  EXPECT_DOUBLE_EQ(t.by_category[kFF].selection_ratio().value(), 4.0 / 400.0);
  EXPECT_FALSE(t.by_category[kDF].selection_ratio().has_value());  // no flows: no ratio
  EXPECT_DOUBLE_EQ(t.selection_ratio().value(), 9.0 / 600.0);
  EXPECT_EQ(t.dropped_domestic, 600u);
  EXPECT_EQ(t.records, 7777u + 4u);

  ASSERT_EQ(d.runs.rows.size(), 3u);
  EXPECT_EQ(d.runs.rows[0].run_id, "1");  // by start time
  EXPECT_EQ(d.runs.rows[2].run_id, "3");
  const auto* one = run(d, "1");
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->approval_id, "req-1");
  EXPECT_EQ(one->legal_basis, "foreign-domestic");
  EXPECT_EQ(one->legal_basis_ja,
            governance::japanese_name(governance::LegalBasis::foreign_domestic));
  EXPECT_EQ(one->input, "pcap:trace.pcap");
  EXPECT_EQ(one->started_at, at("2026-12-02T10:00:00Z"));
  EXPECT_EQ(one->ended_at, at("2026-12-02T11:00:00Z"));
  EXPECT_EQ(one->records, 7777u);
  EXPECT_EQ(one->records_stored_now, std::optional<std::uint64_t>(5));
  EXPECT_FALSE(one->stopped_at_expiry);
  const auto* two = run(d, "2");
  ASSERT_NE(two, nullptr);
  EXPECT_TRUE(two->stopped_at_expiry);
  EXPECT_EQ(two->selection_stopped_at, at("2026-12-09T00:00:00Z"));
  EXPECT_FALSE(two->records_stored_now.has_value());  // the store no longer has run 2
  const auto* three = run(d, "3");
  ASSERT_NE(three, nullptr);
  EXPECT_FALSE(three->ended_at.has_value());  // its end lies after the period
  EXPECT_EQ(three->bytes, 0u);
}

TEST(OversightReport, RecordsStoredDeletedAndCurrentlyStored) {
  const auto d = build(sample_scenario());
  EXPECT_EQ(d.records.stored, 7781u);
  EXPECT_EQ(d.records.deleted, 6u);
  EXPECT_EQ(d.records.deletion_events, 1u);
  EXPECT_EQ(d.records.deleted_by_category[kFF], 4u);
  EXPECT_EQ(d.records.deleted_by_category[kFD], 2u);
  EXPECT_EQ(d.records.deleted_by_category[kDF], 0u);
  EXPECT_EQ(d.records.currently_stored, 6u);
  EXPECT_EQ(d.records.store_runs, 2u);
}

TEST(OversightReport, ReadsByRoleAndPurposeAndAccessRefusals) {
  const auto d = build(sample_scenario());
  const auto& a = d.access;
  EXPECT_EQ(a.total_reads, 3u);  // the reads before and after the period are excluded
  EXPECT_EQ(a.total_records_read, 15u);
  ASSERT_EQ(a.reads.size(), 2u);
  EXPECT_EQ(a.reads[0].role, "analyst");
  EXPECT_EQ(a.reads[0].purpose, "attack-analysis");
  EXPECT_EQ(a.reads[0].reads, 2u);
  EXPECT_EQ(a.reads[0].records, 5u);
  EXPECT_EQ(a.reads[0].with_consent, 0u);
  EXPECT_EQ(a.reads[1].role, "overseer");
  EXPECT_EQ(a.reads[1].purpose, "inspection");
  EXPECT_EQ(a.reads[1].records, 10u);
  EXPECT_EQ(a.reads[1].with_consent, 1u);
  EXPECT_EQ(a.reads_by_purpose.at("attack-analysis"), 2u);
  EXPECT_EQ(a.reads_by_purpose.at("inspection"), 1u);

  EXPECT_EQ(a.total_refusals, 2u);
  EXPECT_EQ(a.criminal_investigation_refusals, 1u);
  ASSERT_EQ(a.refusals.size(), 2u);
  const auto criminal = std::find_if(a.refusals.begin(), a.refusals.end(),
                                     [](const auto& g) { return g.criminal_investigation; });
  ASSERT_NE(criminal, a.refusals.end());
  EXPECT_EQ(criminal->purpose, "犯罪捜査");
  EXPECT_EQ(criminal->count, 1u);
}

TEST(OversightReport, ConsentsUsersTokensAndNoProvisions) {
  const auto d = build(sample_scenario());
  ASSERT_EQ(d.consents.size(), 1u);
  EXPECT_EQ(d.consents[0].id, "c-1");
  EXPECT_EQ(d.consents[0].agreement_id, "agr-1");
  EXPECT_EQ(d.consents[0].purpose, "inspection");
  EXPECT_EQ(d.accounts.users_added, 1u);
  EXPECT_EQ(d.accounts.users_added_by_role.at("analyst"), 1u);
  EXPECT_EQ(d.accounts.tokens_issued, 1u);
  EXPECT_EQ(d.provisions.count, 0u);
  EXPECT_TRUE(d.anomalies.empty());
  EXPECT_TRUE(d.other_events.empty());
  EXPECT_EQ(d.events_in_period, 18u);  // seq 3..20
}

TEST(OversightReport, ProvisionAndUnknownEventsAreCounted) {
  auto s = sample_scenario();
  s.ledger.add("2026-12-22T00:00:00Z", "provision.made", {{"to", "council"}});
  s.ledger.add("2026-12-22T01:00:00Z", "provision.made", {{"to", "council"}});
  s.ledger.add("2026-12-22T02:00:00Z", "reidentify.done", {{"user", "bob"}});
  s.inputs.leaves = s.ledger.leaves;
  const auto d = build(s);
  EXPECT_EQ(d.provisions.count, 2u);
  EXPECT_EQ(d.other_events.at("reidentify.done"), 1u);
}

TEST(OversightReport, PeriodFilterExcludesEventsOutside) {
  auto s = sample_scenario();
  s.period = {at("2026-12-11T00:00:00Z"), at("2026-12-12T00:00:00Z")};
  const auto d = build(s);
  EXPECT_EQ(d.access.total_reads, 2u);
  EXPECT_EQ(d.access.total_records_read, 12u);
  EXPECT_EQ(d.access.total_refusals, 0u);
  EXPECT_TRUE(d.runs.rows.empty());
  EXPECT_EQ(d.runs.totals.bytes, 0u);
  EXPECT_EQ(d.approvals.requested, 0u);
  EXPECT_EQ(d.approvals.granted, 0u);
  // req-1 was granted earlier and its window covers the period; req-old's window ended before.
  ASSERT_EQ(d.approvals.rows.size(), 1u);
  EXPECT_EQ(d.approvals.rows[0].id, "req-1");
  EXPECT_EQ(d.approvals.rows[0].state_at_end, ApprovalState::active);
  EXPECT_EQ(d.records.deleted, 0u);
  EXPECT_TRUE(d.sieve_refusals.empty());
  EXPECT_EQ(d.events_in_period, 2u);
  // Integrity always covers the whole ledger.
  EXPECT_EQ(d.integrity.leaves, s.inputs.leaves.size());
  EXPECT_TRUE(d.integrity.intact);
}

TEST(OversightReport, RunEndedBeforePeriodIsNotCounted) {
  auto s = sample_scenario();
  s.period = {at("2026-12-03T00:00:00Z"), at("2026-12-06T00:00:00Z")};
  const auto d = build(s);
  ASSERT_EQ(d.runs.rows.size(), 1u);  // run 2 started in the period, ends after it
  EXPECT_EQ(d.runs.rows[0].run_id, "2");
  EXPECT_FALSE(d.runs.rows[0].ended_at.has_value());
  EXPECT_EQ(d.runs.totals.ended, 0u);
  EXPECT_EQ(d.runs.totals.started, 1u);
  EXPECT_EQ(d.records.stored, 0u);
}

TEST(OversightReport, Invariant_I5_ReidentificationsByRolePurposeGrantAndRefusals) {
  auto s = sample_scenario();
  s.ledger.add("2026-12-22T00:00:00Z", "reidentification.granted", {{"grant", {{"id", "g-1"}}}});
  const nlohmann::json done = {{"user", "a1"},
                               {"role", "analyst"},
                               {"purpose", "attack-analysis"},
                               {"grant_id", "g-1"},
                               {"pseudonyms", {"p1:100.1.2.3", "p1:100.1.2.4"}},
                               {"count", 2}};
  s.ledger.add("2026-12-22T00:00:01Z", "pseudonym.reidentified", done);
  s.ledger.add("2026-12-22T00:00:02Z", "pseudonym.reidentified", done);
  s.ledger.add("2026-12-22T00:00:03Z", "pseudonym.reidentification_refused",
               {{"refusal", "no-grant"}, {"pseudonyms", {"p1:100.1.2.3"}}});
  s.ledger.add("2040-01-01T00:00:00Z", "pseudonym.reidentified", done);  // after the period
  s.inputs.leaves = s.ledger.leaves;
  const auto d = build(s);
  const auto& r = d.reidentification;
  EXPECT_EQ(r.grants, 1u);
  EXPECT_EQ(r.total_events, 2u);
  EXPECT_EQ(r.total_pseudonyms, 4u);
  ASSERT_EQ(r.done.size(), 1u);
  EXPECT_EQ(r.done[0].role, "analyst");
  EXPECT_EQ(r.done[0].purpose, "attack-analysis");
  EXPECT_EQ(r.done[0].grant_id, "g-1");
  EXPECT_EQ(r.total_refusals, 1u);
  EXPECT_EQ(r.refusals_by_kind.at("no-grant"), 1u);
  EXPECT_EQ(d.other_events.count("pseudonym.reidentified"), 0u);
  // The report names pseudonym counts, never the pseudonyms.
  const std::string html = render_html(d);
  EXPECT_NE(html.find("Re-identification"), std::string::npos);
  EXPECT_EQ(html.find("p1:100.1.2.3"), std::string::npos);
  EXPECT_EQ(render_json(d)["reidentification"]["total_pseudonyms"], 4);
}

TEST(OversightReport, MalformedBodiesAreAnomaliesNotFailures) {
  auto s = sample_scenario();
  const auto bad_run = s.ledger.add("2026-12-22T00:00:00Z", "run.ended", {{"summary", 3}});
  const auto bad_approval =
      s.ledger.add("2026-12-22T00:00:01Z", "approval.granted", {{"approval", "nope"}});
  const auto bad_consent =
      s.ledger.add("2026-12-22T00:00:02Z", "consent.recorded", {{"consent", {{"id", "c-9"}}}});
  s.ledger.add("2026-12-22T00:00:03Z", "access.read",
               {{"role", 5}, {"purpose", "x"}, {"records", -4}});  // wrong types: counted as 0
  s.inputs.leaves = s.ledger.leaves;
  const auto d = build(s);
  ASSERT_EQ(d.anomalies.size(), 3u);
  EXPECT_EQ(d.anomalies[0].seq, bad_run);
  EXPECT_NE(d.anomalies[0].message.find("run_id"), std::string::npos);
  EXPECT_EQ(d.anomalies[1].seq, bad_approval);
  EXPECT_EQ(d.anomalies[2].seq, bad_consent);
  EXPECT_EQ(d.anomalies[2].type, "consent.recorded");
  EXPECT_EQ(d.consents.size(), 1u);
  EXPECT_TRUE(d.integrity.intact);  // well-formed leaves; only the bodies are wrong
  EXPECT_EQ(d.access.total_reads, 4u);
  EXPECT_EQ(d.access.total_records_read, 15u);
}

TEST(OversightReport, ProvisionsByRecipientClassTierTypeAndRefusalsByReason) {
  auto s = sample_scenario();
  auto made = [](std::string_view cls, std::string_view tier, std::string_view type) {
    return nlohmann::json{{"recipient", {{"id", "r"}, {"class", cls}, {"name", "r"}}},
                          {"product", {{"id", "apt-x"}, {"version", 1}}},
                          {"type", type},
                          {"tier", tier},
                          {"content_tier", tier}};
  };
  auto refused = [](std::string_view cls, std::string_view refusal) {
    return nlohmann::json{{"recipient", {{"id", "r"}, {"class", cls}, {"name", "r"}}},
                          {"product", {{"id", "apt-x"}, {"version", 1}}},
                          {"refusal", refusal},
                          {"message", "refused"}};
  };
  s.ledger.add("2026-12-22T00:00:00Z", "provision.made", made("council_member", "T2", "tiered"));
  s.ledger.add("2026-12-22T00:01:00Z", "provision.made", made("council_member", "T2", "tiered"));
  s.ledger.add("2026-12-22T00:02:00Z", "provision.made", made("public", "T3", "tiered"));
  s.ledger.add("2026-12-22T00:03:00Z", "provision.made",
               made("vendor", "T3", "vulnerability_notice"));
  s.ledger.add("2026-12-22T00:04:00Z", "provision.refused",
               refused("foreign_government", "no_protection_confirmation"));
  s.ledger.add("2026-12-22T00:05:00Z", "provision.refused",
               refused("public", "criminal_investigation"));
  s.ledger.add("2026-12-22T00:06:00Z", "provision.refused",
               refused("foreign_government", "no_protection_confirmation"));
  // After the period: not counted.
  s.ledger.add("2027-02-01T00:00:00Z", "provision.made", made("agency", "T1", "tiered"));
  s.inputs.leaves = s.ledger.leaves;
  const auto d = build(s);
  const ProvisionSection& p = d.provisions;
  EXPECT_EQ(p.count, 4u);
  ASSERT_EQ(p.made.size(), 3u);
  EXPECT_EQ(p.made[0].recipient_class, "council_member");
  EXPECT_EQ(p.made[0].tier, "T2");
  EXPECT_EQ(p.made[0].type, "tiered");
  EXPECT_EQ(p.made[0].count, 2u);
  EXPECT_EQ(p.by_recipient_class.at("council_member"), 2u);
  EXPECT_EQ(p.by_tier.at("T3"), 2u);
  EXPECT_EQ(p.by_type.at("vulnerability_notice"), 1u);
  EXPECT_FALSE(p.by_recipient_class.contains("agency"));
  EXPECT_EQ(p.refused, 3u);
  EXPECT_EQ(p.refusals_by_reason.at("no_protection_confirmation"), 2u);
  EXPECT_EQ(p.refusals_by_reason.at("criminal_investigation"), 1u);
  ASSERT_EQ(p.refusals.size(), 2u);
  EXPECT_EQ(p.refusals[0].refusal, "criminal_investigation");
  EXPECT_EQ(p.refusals[1].recipient_class, "foreign_government");
  EXPECT_TRUE(d.anomalies.empty());

  const std::string html = render_html(d);
  EXPECT_NE(html.find("協議会の構成員 <code>council_member</code>"), std::string::npos);
  EXPECT_NE(html.find("提供の拒否 3 件 / 3 provisions refused."), std::string::npos);
  EXPECT_NE(html.find("no_protection_confirmation"), std::string::npos);
  const nlohmann::json j = render_json(d);
  EXPECT_EQ(j["provisions"]["count"], 4);
  EXPECT_EQ(j["provisions"]["refused"], 3);
  EXPECT_EQ(j["provisions"]["by_tier"]["T2"], 2);
  EXPECT_EQ(j["provisions"]["refusals_by_reason"]["no_protection_confirmation"], 2);
}

}  // namespace
}  // namespace mamori::oversight::testing
