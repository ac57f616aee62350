#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "mamori/governance/approval.h"
#include "mamori/oversight/report.h"
#include "mamori/oversight/svg_chart.h"
#include "mamori/oversight/text_format.h"
#include "test_ledger.h"

namespace mamori::oversight::testing {
namespace {

using nlohmann::json;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::size_t occurrences(const std::string& haystack, std::string_view needle) {
  std::size_t count = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

ReportData build(const Scenario& s) {
  auto data = build_report(s.inputs, s.period);
  EXPECT_TRUE(data.has_value()) << data.error().message;
  return data.value_or(ReportData{});
}

TEST(OversightText, GroupsDigitsInThousands) {
  EXPECT_EQ(group_digits(0), "0");
  EXPECT_EQ(group_digits(999), "999");
  EXPECT_EQ(group_digits(1000), "1,000");
  EXPECT_EQ(group_digits(1234567), "1,234,567");
  EXPECT_EQ(group_digits(18446744073709551615u), "18,446,744,073,709,551,615");
}

TEST(OversightText, PercentKeepsSmallRatiosVisible) {
  EXPECT_EQ(format_percent(std::nullopt), "—");
  EXPECT_EQ(format_percent(0.0), "0.00%");
  EXPECT_EQ(format_percent(0.025), "2.50%");
  EXPECT_EQ(format_percent(0.000042), "0.0042%");
  EXPECT_EQ(format_percent(1.0), "100.00%");
}

TEST(OversightText, EscapesMarkupAndControlCharacters) {
  EXPECT_EQ(html_escape("<a href=\"x\" title='y'>&</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(html_escape(std::string("a\x01") + "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(html_escape("監理委員会"), "監理委員会");
}

TEST(OversightText, TruncatesUtf8OnCharacterBoundaries) {
  EXPECT_EQ(truncate_utf8("監理委員会", 2), "監理…");
  EXPECT_EQ(truncate_utf8("abc", 3), "abc");
  EXPECT_EQ(truncate_utf8("abcd", 3), "abc…");
}

TEST(OversightSvg, BarChartEscapesLabelsAndScalesToTheLargestValue) {
  const std::vector<Bar> bars = {{"<b>big</b>", 100, "100"}, {"half", 50, "50"}};
  const std::string svg = svg_bar_chart("t <x>", bars);
  EXPECT_TRUE(svg.starts_with("<svg "));
  EXPECT_FALSE(contains(svg, "<b>"));
  EXPECT_TRUE(contains(svg, "&lt;b&gt;big"));
  EXPECT_TRUE(contains(svg, "<title>t &lt;x&gt;</title>"));
  // The bar area is 390 units wide: the largest bar fills it, the half one half of it.
  EXPECT_TRUE(contains(svg, "width=\"390\" height=\"16\" class=\"bar\""));
  EXPECT_TRUE(contains(svg, "width=\"195\" height=\"16\" class=\"bar\""));
}

TEST(OversightSvg, EmptyChartsSayNoData) {
  EXPECT_TRUE(contains(svg_bar_chart("t", {}), "no data"));
  const std::vector<Bar> zero = {{"a", 0, "0"}};
  EXPECT_TRUE(contains(svg_bar_chart("t", zero), "no data"));
  EXPECT_TRUE(contains(
      svg_timeline("t", {}, at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z")), "no data"));
}

TEST(OversightSvg, TimelineClipsBarsToThePeriod) {
  const Timestamp from = at("2026-12-01T00:00:00Z");
  const Timestamp to = at("2026-12-31T00:00:00Z");
  const std::vector<TimelineRow> rows = {
      {"a", TimelineKind::approval, at("2026-11-01T00:00:00Z"), at("2027-02-01T00:00:00Z")},
      {"r", TimelineKind::run, at("2026-12-16T00:00:00Z"), to, true}};
  const std::string svg = svg_timeline("t", rows, from, to);
  // Plot area: x 180..660 (480 units). The approval spans all of it; the run its second half.
  EXPECT_TRUE(contains(svg, "x=\"180\" y=\"8\" width=\"480\" height=\"16\" class=\"window\""));
  EXPECT_TRUE(contains(svg, "x=\"420\" y=\"35\" width=\"240\" height=\"10\" class=\"run open\""));
}

TEST(OversightHtml, SelfContainedBilingualWithCharts) {
  const auto d = build(sample_scenario());
  const std::string html = render_html(d);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_TRUE(contains(html, "<html lang=\"ja\">"));
  EXPECT_TRUE(contains(html, "<meta charset=\"utf-8\">"));
  for (const char* heading :
       {"承認 / Approvals", "選別実行 / Sieve runs", "区分別の通信量 / Volume by category",
        "選別率 / Selection ratio", "保存と削除 / Records stored and deleted",
        "アクセス (役割・目的別) / Reads by role and purpose", "拒否 / Refusals",
        "提供 / Provisions", "台帳の完全性 / Ledger integrity"}) {
    EXPECT_TRUE(contains(html, std::string(">") + heading + "</h2>")) << heading;
  }
  EXPECT_TRUE(contains(html, "<title>監理報告書 / Oversight report"));
  // Volume, selection ratio, reads by purpose, approval timeline.
  EXPECT_EQ(occurrences(html, "<svg "), 4u);
  // Self-contained: no script, stylesheet link, image or any URL but the SVG namespace.
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "<link"));
  EXPECT_FALSE(contains(html, "src="));
  EXPECT_FALSE(contains(html, "href="));
  EXPECT_EQ(occurrences(html, "http"), occurrences(html, "http://www.w3.org/2000/svg"));
  // Thousands separators, ratios, Japanese basis, provisions note, verdict.
  EXPECT_TRUE(contains(html, "1,500,000"));
  EXPECT_TRUE(contains(html, "2,000,000"));
  EXPECT_TRUE(contains(html, "7,781"));
  EXPECT_TRUE(contains(html, "2.50%"));
  EXPECT_TRUE(contains(html, "1.00%"));
  EXPECT_TRUE(contains(html, "FD 200 / 5 (2.50%)"));  // run 1, by category
  EXPECT_TRUE(contains(html, governance::japanese_name(governance::LegalBasis::foreign_domestic)));
  EXPECT_TRUE(contains(html, "提供記録なし / none recorded in this period"));
  EXPECT_TRUE(contains(html, "台帳は完全です / The ledger is intact"));
  EXPECT_TRUE(contains(html, "犯罪捜査を目的とする閲覧の試み 1 件"));
  EXPECT_TRUE(contains(html, "aaaaaaaaaaaa…"));  // ruleset hash shortened
  EXPECT_FALSE(contains(html, std::string(64, 'a')));
}

TEST(OversightHtml, ProvisionsCountedWhenRecorded) {
  auto s = sample_scenario();
  s.ledger.add("2026-12-22T00:00:00Z", "provision.made", {{"to", "council"}});
  s.inputs.leaves = s.ledger.leaves;
  const std::string html = render_html(build(s));
  EXPECT_FALSE(contains(html, "提供記録なし"));
  EXPECT_TRUE(contains(html, "提供の記録 1 件 / 1 provisions recorded."));
}

TEST(OversightHtml, HostileEventTextIsEscaped) {
  auto s = sample_scenario();
  const std::string script = "<script>alert(1)</script>";
  const std::string img = "<img src=x onerror=alert(2)>";
  const std::string svg = "\"><svg onload=alert(3)>";
  s.ledger.add("2026-12-22T00:00:00Z", "sieve.refused",
               {{"sensor", svg}, {"refusal", img}, {"message", script}, {"approval_id", script}});
  s.ledger.add("2026-12-22T00:00:01Z", "run.started",
               {{"run_id", script},
                {"sensor", svg},
                {"approval_id", img},
                {"input", script},
                {"legal_basis", img},
                {"categories", {script}}});
  s.ledger.add("2026-12-22T00:00:02Z", "access.read",
               {{"user", script}, {"role", img}, {"purpose", script}, {"records", 1}});
  s.ledger.add("2026-12-22T00:00:03Z", "access.refused",
               {{"role", svg}, {"purpose", img}, {"refusal", script}});
  s.ledger.add("2026-12-22T00:00:04Z", "user.added", {{"user", "x"}, {"role", script}});
  s.ledger.add("2026-12-22T00:00:05Z", script, {{"x", 1}});
  auto request = governance::ApprovalRequest{};
  request.id = script;
  request.sensor = svg;
  request.categories.add(scope::Category::FF);
  request.ruleset_hash = img;
  request.not_before = at("2026-12-22T00:00:00Z");
  request.not_after = at("2026-12-23T00:00:00Z");
  s.ledger.add("2026-12-22T00:00:06Z", "approval.requested",
               {{"request", governance::request_to_json(request)}});
  s.inputs.leaves = s.ledger.leaves;
  s.inputs.installation = script;
  const auto d = build(s);
  ASSERT_EQ(d.approvals.rows.size(), 4u);  // the hostile request is listed
  const std::string html = render_html(d);
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "<img"));
  EXPECT_FALSE(contains(html, "<svg onload"));
  EXPECT_TRUE(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(contains(html, "&lt;img src=x onerror=alert(2)&gt;"));
}

TEST(OversightJson, SameTotalsAsTheData) {
  const auto d = build(sample_scenario());
  const json j = render_json(d);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["installation"], "tokyo-1");
  EXPECT_EQ(j["period"]["from"], "2026-12-01T00:00:00.000000Z");
  EXPECT_EQ(j["period"]["to"], "2027-01-01T00:00:00.000000Z");
  EXPECT_EQ(j["approvals"]["requested"], 2);
  EXPECT_EQ(j["approvals"]["granted"], 1);
  EXPECT_EQ(j["approvals"]["rows"].size(), 3u);
  EXPECT_EQ(j["runs"]["totals"]["bytes"], d.runs.totals.bytes);
  EXPECT_EQ(j["runs"]["totals"]["by_category"]["FD"]["bytes"], 1500000);
  EXPECT_EQ(j["runs"]["totals"]["by_category"]["FF"]["selected_flows"], 4);
  EXPECT_DOUBLE_EQ(j["runs"]["totals"]["by_category"]["FD"]["selection_ratio"].get<double>(),
                   0.025);
  EXPECT_TRUE(j["runs"]["totals"]["by_category"]["DF"]["selection_ratio"].is_null());
  EXPECT_EQ(j["runs"]["totals"]["records"], 7781);
  EXPECT_EQ(j["runs"]["rows"].size(), 3u);
  EXPECT_EQ(j["records"]["stored"], 7781);
  EXPECT_EQ(j["records"]["deleted"], 6);
  EXPECT_EQ(j["records"]["deleted_by_category"]["FF"], 4);
  EXPECT_EQ(j["records"]["currently_stored"], 6);
  EXPECT_EQ(j["access"]["total_reads"], 3);
  EXPECT_EQ(j["access"]["reads_by_purpose"]["attack-analysis"], 2);
  EXPECT_EQ(j["access"]["criminal_investigation_refusals"], 1);
  EXPECT_EQ(j["sieve_refusals"]["total"], 1);
  EXPECT_EQ(j["sieve_refusals"]["by_kind"]["expired"], 1);
  EXPECT_EQ(j["provisions"]["count"], 0);
  EXPECT_EQ(j["accounts"]["tokens_issued"], 1);
  EXPECT_EQ(j["consents"].size(), 1u);
  EXPECT_EQ(j["integrity"]["intact"], true);
  EXPECT_TRUE(j["integrity"]["first_bad_seq"].is_null());
  EXPECT_EQ(j["integrity"]["heads"].size(), 3u);
  EXPECT_NO_THROW((void)j.dump());
}

}  // namespace
}  // namespace mamori::oversight::testing
