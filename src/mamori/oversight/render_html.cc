// render_html: the report as one self-contained HTML file for the commission. No script, no
// external resource (fonts, images, styles are all inline), so it opens offline, prints, and
// can be archived as is. Every string that comes from the ledger goes through html_escape.

#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mamori/oversight/report.h"
#include "mamori/oversight/svg_chart.h"
#include "mamori/oversight/text_format.h"

namespace mamori::oversight {
namespace {

// A run under several approvals (one per legal basis) names them comma-separated.
bool runs_under(std::string_view approval_ids, std::string_view id) {
  while (!approval_ids.empty()) {
    const auto comma = approval_ids.find(',');
    if (approval_ids.substr(0, comma) == id) return true;
    if (comma == std::string_view::npos) break;
    approval_ids.remove_prefix(comma + 1);
  }
  return false;
}

constexpr std::string_view kStyle = R"css(
body{font-family:"Hiragino Sans","Noto Sans CJK JP","Yu Gothic",sans-serif;margin:2em auto;
max-width:60em;padding:0 1em;color:#111;line-height:1.5}
h1{font-size:1.5em;border-bottom:3px solid #222;padding-bottom:.3em}
h2{font-size:1.2em;border-bottom:1px solid #888;margin-top:2em;break-after:avoid}
h3{font-size:1em;margin-top:1.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.85em;width:100%}
th,td{border:1px solid #999;padding:.2em .45em;text-align:left;vertical-align:top}
th{background:#eee}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-size:.95em}
.meta td:first-child{width:14em;font-weight:bold}
.ok{color:#064;font-weight:bold}.bad{color:#a00;font-weight:bold}.warn{color:#850}
.verdict{border:2px solid;padding:.5em .8em;margin:.8em 0}
.verdict.ok{border-color:#064}.verdict.bad{border-color:#a00}
.note{color:#444;font-size:.9em}
svg.chart{display:block;max-width:100%;height:auto;margin:.6em 0}
svg .label,svg .value,svg .tick,svg .empty{font-size:11px;fill:#222}
svg .bar{fill:#3a5f8f}svg .window{fill:#dbe6f3;stroke:#3a5f8f}
svg .run{fill:#c9712c}svg .run.open{fill:#e8b48a;stroke:#c9712c;stroke-dasharray:3 2}
svg .axis{stroke:#444}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr,svg{break-inside:avoid}}
)css";

using Out = std::back_insert_iterator<std::string>;

std::string e(std::string_view text) { return html_escape(text); }
std::string n(std::uint64_t value) { return group_digits(value); }

std::string category_label(std::size_t index) {
  static constexpr std::string_view kLabels[] = {
      "FF 外外 / foreign–foreign", "FD 外内 / foreign→domestic", "DF 内外 / domestic→foreign"};
  return std::string(kLabels[index]);
}

std::string_view state_label(ApprovalState state) {
  switch (state) {
    case ApprovalState::pending:
      return "未承認 / pending";
    case ApprovalState::not_yet_valid:
      return "発効前 / not yet valid";
    case ApprovalState::active:
      return "有効 / active";
    case ApprovalState::expired:
      return "失効 / expired";
  }
  return "—";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out.empty() ? "—" : out;
}

std::string or_dash(std::string_view text) { return text.empty() ? "—" : e(text); }

void heading(Out out, std::string_view id, std::string_view ja, std::string_view en) {
  fmt::format_to(out, "<h2 id=\"{}\">{} / {}</h2>\n", id, ja, en);
}

void header(Out out, const ReportData& d) {
  fmt::format_to(
      out,
      "<h1>監理報告書 / Oversight inspection report</h1>\n"
      "<p class=\"note\">サイバー通信情報監理委員会への報告資料 / Prepared for the "
      "Cyber Communications Information Oversight Commission. 集計値のみ (通信の内容・"
      "アドレスは含まない) / Aggregates only: no record content or address.</p>\n"
      "<table class=\"meta\">"
      "<tr><td>設置場所 / Installation</td><td>{}</td></tr>"
      "<tr><td>対象期間 / Period</td><td>{} — {} (終端を含まない / end exclusive)</td></tr>"
      "<tr><td>作成日時 / Generated</td><td>{}</td></tr>"
      "<tr><td>期間内の事象 / Events in period</td><td>{}</td></tr></table>\n",
      or_dash(d.installation), format_time(d.period.from), format_time(d.period.to),
      format_time(d.generated_at), n(d.events_in_period));
}

void summary(Out out, const ReportData& d) {
  heading(out, "summary", "概要", "Summary");
  const auto& t = d.runs.totals;
  const auto& i = d.integrity;
  fmt::format_to(out,
                 "<table><tr><th>項目 / Item</th><th>値 / Value</th></tr>"
                 "<tr><td>承認の申請・付与 / Approvals requested, granted</td><td class=\"n\">"
                 "{} / {}</td></tr>"
                 "<tr><td>期間末に有効な承認 / Approvals active at period end</td>"
                 "<td class=\"n\">{}</td></tr>"
                 "<tr><td>選別実行 (終了) / Sieve runs ended</td><td class=\"n\">{}</td></tr>"
                 "<tr><td>通信量 / Bytes seen</td><td class=\"n\">{}</td></tr>"
                 "<tr><td>選別率 / Selection ratio (flows)</td><td class=\"n\">{}</td></tr>"
                 "<tr><td>保存・削除レコード / Records stored, deleted</td><td class=\"n\">"
                 "{} / {}</td></tr>"
                 "<tr><td>閲覧 / Reads (records read)</td><td class=\"n\">{} ({})</td></tr>"
                 "<tr><td>拒否 (選別・アクセス) / Refusals (sieve, access)</td><td class=\"n\">"
                 "{} / {}</td></tr>"
                 "<tr><td>提供 / Provisions</td><td class=\"n\">{}</td></tr>"
                 "<tr><td>台帳 / Ledger</td><td class=\"{}\">{}</td></tr></table>\n",
                 n(d.approvals.requested), n(d.approvals.granted), n(d.approvals.active_at_end),
                 n(t.ended), n(t.bytes), format_percent(t.selection_ratio()), n(d.records.stored),
                 n(d.records.deleted), n(d.access.total_reads), n(d.access.total_records_read),
                 n(d.sieve_refusals.size()), n(d.access.total_refusals), n(d.provisions.count),
                 i.intact ? "ok" : "bad", i.intact ? "完全 / intact" : "破損あり / BROKEN");
}

std::vector<TimelineRow> timeline_rows(const ReportData& d) {
  std::vector<TimelineRow> rows;
  std::vector<bool> run_placed(d.runs.rows.size(), false);
  auto add_run = [&](std::size_t index) {
    const RunRow& run = d.runs.rows[index];
    run_placed[index] = true;
    const Timestamp start = run.started_at.value_or(d.period.from);
    rows.push_back({fmt::format("↳ run {} ({})", run.run_id, run.sensor), TimelineKind::run, start,
                    run.ended_at.value_or(d.period.to), !run.ended_at});
  };
  // Each approval's window, followed by the runs made under it.
  for (const auto& approval : d.approvals.rows) {
    if (!approval.granted_at) continue;
    rows.push_back(
        {approval.id, TimelineKind::approval, approval.not_before, approval.not_after, false});
    for (std::size_t r = 0; r < d.runs.rows.size(); ++r) {
      if (!run_placed[r] && runs_under(d.runs.rows[r].approval_id, approval.id)) add_run(r);
    }
  }
  for (std::size_t r = 0; r < d.runs.rows.size(); ++r) {
    if (!run_placed[r]) add_run(r);
  }
  return rows;
}

void approvals(Out out, const ReportData& d) {
  heading(out, "approvals", "承認", "Approvals");
  const auto& a = d.approvals;
  fmt::format_to(out,
                 "<p>期間内の申請 {} 件、承認 {} 件。期間末に有効 {} 件、失効 {} 件。 / "
                 "{} requested and {} granted in the period; at the period end {} active, {} "
                 "expired.</p>\n",
                 n(a.requested), n(a.granted), n(a.active_at_end), n(a.expired_at_end),
                 n(a.requested), n(a.granted), n(a.active_at_end), n(a.expired_at_end));
  if (a.rows.empty()) {
    fmt::format_to(out, "<p class=\"note\">記録なし / none recorded</p>\n");
  } else {
    fmt::format_to(
        out,
        "<table><tr><th>ID</th><th>法的根拠 / Legal basis</th><th>センサー / Sensor</th>"
        "<th>区分 / Categories</th><th>ルールセット / Ruleset</th>"
        "<th>有効期間 / Window</th><th>委員会の鍵 / Overseer key</th>"
        "<th>申請 / Requested</th><th>承認 / Granted</th><th>期間末 / At period end</th></tr>\n");
    for (const auto& row : a.rows) {
      std::string basis = fmt::format("{}<br><code>{}</code>", e(row.basis_ja), e(row.basis));
      if (row.agreement_id) basis += fmt::format("<br>協定 / agreement {}", e(*row.agreement_id));
      fmt::format_to(out,
                     "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td>"
                     "<td>{}<br>— {}</td><td><code>{}</code></td><td>{}{}</td><td>{}{}</td>"
                     "<td>{}</td></tr>\n",
                     e(row.id), basis, e(row.sensor), e(join(row.categories)),
                     e(short_hash(row.ruleset_hash)), format_time(row.not_before),
                     format_time(row.not_after), or_dash(row.overseer_key_id),
                     format_time(row.requested_at),
                     row.requested_at && !row.requested_in_period ? " (期間前 / earlier)" : "",
                     format_time(row.granted_at),
                     row.granted_at && !row.granted_in_period ? " (期間前 / earlier)" : "",
                     state_label(row.state_at_end));
    }
    fmt::format_to(out, "</table>\n");
  }
  fmt::format_to(out, "<h3>承認期間と選別実行 / Approval windows and runs</h3>\n{}\n",
                 svg_timeline("承認期間と選別実行 / Approval windows and runs", timeline_rows(d),
                              d.period.from, d.period.to));
  fmt::format_to(out,
                 "<p class=\"note\">淡色の帯: 承認の有効期間、濃色の帯: 選別実行 (破線: "
                 "期間末に実行中) / Light bars: approval windows; dark bars: runs (dashed: "
                 "still running at the period end).</p>\n");
}

void runs(Out out, const ReportData& d) {
  heading(out, "runs", "選別実行", "Sieve runs");
  const auto& t = d.runs.totals;
  fmt::format_to(out,
                 "<p>期間内の開始 {} 件、終了 {} 件、承認期間満了による停止 {} 件。 / {} started, "
                 "{} ended, {} stopped at approval expiry.</p>\n",
                 n(t.started), n(t.ended), n(t.stopped_at_expiry), n(t.started), n(t.ended),
                 n(t.stopped_at_expiry));
  if (d.runs.rows.empty()) {
    fmt::format_to(out, "<p class=\"note\">記録なし / none recorded</p>\n");
    return;
  }
  fmt::format_to(
      out,
      "<table><tr><th>実行 / Run</th><th>センサー / Sensor</th><th>承認 / Approval</th>"
      "<th>入力 / Input</th><th>開始 / Start</th><th>終了 / End</th>"
      "<th>パケット / Packets</th><th>バイト / Bytes</th><th>フロー / Flows</th>"
      "<th>選別 / Selected</th><th>選別率 / Ratio</th>"
      "<th>区分別 フロー/選別 / By category, flows/selected</th><th>レコード / Records</th>"
      "<th>現在保存 / Stored now</th><th>備考 / Notes</th></tr>\n");
  for (const auto& row : d.runs.rows) {
    std::string notes;
    if (row.stopped_at_expiry) {
      notes += fmt::format("承認満了で停止 / stopped at expiry ({})",
                           format_time(row.selection_stopped_at));
    }
    if (!row.ended_at) notes += "期間末に実行中 / running at period end";
    if (!row.input_error.empty()) {
      if (!notes.empty()) notes += "<br>";
      notes += "入力エラー / input error: " + e(row.input_error);
    }
    if (row.ended_at && !row.ended_in_period) notes += "期間後に終了 / ended after period";
    std::string by_category;
    for (std::size_t i = 0; i < kReportCategories.size(); ++i) {
      const auto& c = row.by_category[i];
      if (c.packets == 0 && c.flows == 0) continue;
      if (!by_category.empty()) by_category += "<br>";
      by_category +=
          fmt::format("{} {} / {} ({})", scope::to_string(kReportCategories[i]), n(c.flows),
                      n(c.selected_flows), format_percent(c.selection_ratio()));
    }
    std::string basis = e(row.legal_basis);
    if (!row.legal_basis_ja.empty()) basis = fmt::format("{}<br>{}", e(row.legal_basis_ja), basis);
    fmt::format_to(
        out,
        "<tr><td>{}</td><td>{}</td><td>{}<br><span class=\"note\">{}</span></td><td>{}</td>"
        "<td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
        e(row.run_id), e(row.sensor), or_dash(row.approval_id), basis, or_dash(row.input),
        format_time(row.started_at), format_time(row.ended_at), n(row.packets), n(row.bytes),
        n(row.flows), n(row.selected_flows),
        format_percent(CategoryVolume{0, 0, row.flows, row.selected_flows}.selection_ratio()),
        by_category.empty() ? "—" : by_category, n(row.records),
        row.records_stored_now ? n(*row.records_stored_now) : "—", notes.empty() ? "—" : notes);
  }
  fmt::format_to(out, "</table>\n");
}

void volume(Out out, const ReportData& d) {
  heading(out, "volume", "区分別の通信量", "Volume by category");
  const auto& t = d.runs.totals;
  fmt::format_to(out,
                 "<p class=\"note\">期間内に終了した実行の合計 / Totals of runs that ended "
                 "in the period.</p>\n<table><tr><th>区分 / Category</th>"
                 "<th>パケット / Packets</th><th>バイト / Bytes</th><th>フロー / Flows</th>"
                 "<th>選別フロー / Selected flows</th></tr>\n");
  std::vector<Bar> bars;
  for (std::size_t i = 0; i < kReportCategories.size(); ++i) {
    const auto& c = t.by_category[i];
    fmt::format_to(out,
                   "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                   "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                   category_label(i), n(c.packets), n(c.bytes), n(c.flows), n(c.selected_flows));
    bars.push_back({category_label(i), static_cast<double>(c.bytes), n(c.bytes) + " B"});
  }
  fmt::format_to(out,
                 "<tr><th>合計 / Total</th><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                 "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr></table>\n"
                 "<table><tr><th>破棄 (処理せず) / Dropped, not processed</th>"
                 "<th>パケット / Packets</th></tr>"
                 "<tr><td>DD 内内通信 / domestic–domestic</td><td class=\"n\">{}</td></tr>"
                 "<tr><td>承認対象外の区分 / category not authorized</td><td class=\"n\">{}</td>"
                 "</tr><tr><td>解析不能 / undecodable</td><td class=\"n\">{}</td></tr>"
                 "</table>\n",
                 n(t.packets), n(t.bytes), n(t.flows), n(t.selected_flows), n(t.dropped_domestic),
                 n(t.dropped_unauthorized), n(t.dropped_undecodable));
  fmt::format_to(out, "{}\n", svg_bar_chart("区分別の通信量 (バイト) / Bytes by category", bars));
}

void selection_ratio(Out out, const ReportData& d) {
  heading(out, "selection", "選別率", "Selection ratio");
  fmt::format_to(out,
                 "<p class=\"note\">選別フロー数 ÷ フロー数 / selected flows ÷ flows</p>\n"
                 "<table><tr><th>区分 / Category</th><th>フロー / Flows</th>"
                 "<th>選別フロー / Selected</th><th>選別率 / Ratio</th></tr>\n");
  std::vector<Bar> bars;
  for (std::size_t i = 0; i < kReportCategories.size(); ++i) {
    const auto& c = d.runs.totals.by_category[i];
    fmt::format_to(out,
                   "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                   "<td class=\"n\">{}</td></tr>\n",
                   category_label(i), n(c.flows), n(c.selected_flows),
                   format_percent(c.selection_ratio()));
    bars.push_back(
        {category_label(i), c.selection_ratio().value_or(0), format_percent(c.selection_ratio())});
  }
  fmt::format_to(out,
                 "<tr><th>合計 / Total</th><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                 "<td class=\"n\">{}</td></tr></table>\n{}\n",
                 n(d.runs.totals.flows), n(d.runs.totals.selected_flows),
                 format_percent(d.runs.totals.selection_ratio()),
                 svg_bar_chart("区分別の選別率 / Selection ratio by category", bars));
}

void records(Out out, const ReportData& d) {
  heading(out, "records", "保存と削除", "Records stored and deleted");
  const auto& r = d.records;
  fmt::format_to(out,
                 "<table><tr><th>項目 / Item</th><th>レコード / Records</th></tr>"
                 "<tr><td>期間内に保存 / Stored in the period</td><td class=\"n\">{}</td></tr>"
                 "<tr><td>期間内に削除 (保存期間満了) / Deleted in the period (retention)</td>"
                 "<td class=\"n\">{}</td></tr>",
                 n(r.stored), n(r.deleted));
  for (std::size_t i = 0; i < kReportCategories.size(); ++i) {
    fmt::format_to(out, "<tr><td>　削除 {} / deleted {}</td><td class=\"n\">{}</td></tr>",
                   category_label(i), scope::to_string(kReportCategories[i]),
                   n(r.deleted_by_category[i]));
  }
  fmt::format_to(out,
                 "<tr><td>削除処理の回数 / Deletion runs</td><td class=\"n\">{}</td></tr>"
                 "<tr><td>現在保存中 (作成時点) / Stored now (at generation, {} runs)</td>"
                 "<td class=\"n\">{}</td></tr></table>\n",
                 n(r.deletion_events), n(r.store_runs), n(r.currently_stored));
}

void access(Out out, const ReportData& d) {
  heading(out, "access", "アクセス (役割・目的別)", "Reads by role and purpose");
  const auto& a = d.access;
  fmt::format_to(out, "<p>閲覧 {} 回、閲覧レコード {} 件。 / {} reads, {} records read.</p>\n",
                 n(a.total_reads), n(a.total_records_read), n(a.total_reads),
                 n(a.total_records_read));
  if (!a.reads.empty()) {
    fmt::format_to(out,
                   "<table><tr><th>役割 / Role</th><th>目的 / Purpose</th>"
                   "<th>閲覧回数 / Reads</th><th>レコード / Records</th>"
                   "<th>同意に基づく (他目的利用) / Under consent</th></tr>\n");
    for (const auto& g : a.reads) {
      fmt::format_to(out,
                     "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                     "<td class=\"n\">{}</td></tr>\n",
                     or_dash(g.role), or_dash(g.purpose), n(g.reads), n(g.records),
                     n(g.with_consent));
    }
    fmt::format_to(out, "</table>\n");
  }
  std::vector<Bar> bars;
  bars.reserve(a.reads_by_purpose.size());
  for (const auto& [purpose, count] : a.reads_by_purpose) {
    bars.push_back({purpose.empty() ? "—" : purpose, static_cast<double>(count), n(count)});
  }
  fmt::format_to(out, "{}\n", svg_bar_chart("目的別の閲覧回数 / Reads by purpose", bars));
}

void reidentification(Out out, const ReportData& d) {
  heading(out, "reidentification", "再識別 (非識別化の解除)", "Re-identification of pseudonyms");
  const auto& r = d.reidentification;
  fmt::format_to(out,
                 "<p>許可 {} 件、再識別 {} 回 (仮名 {} 件)、拒否 {} 件。 / {} grants, {} "
                 "re-identifications ({} pseudonyms), {} refused.</p>\n",
                 n(r.grants), n(r.total_events), n(r.total_pseudonyms), n(r.total_refusals),
                 n(r.grants), n(r.total_events), n(r.total_pseudonyms), n(r.total_refusals));
  if (!r.done.empty()) {
    fmt::format_to(out,
                   "<table><tr><th>役割 / Role</th><th>目的 / Purpose</th>"
                   "<th>許可 / Grant</th><th>回数 / Times</th><th>仮名 / Pseudonyms</th></tr>\n");
    for (const auto& g : r.done) {
      fmt::format_to(out,
                     "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>"
                     "<td class=\"n\">{}</td></tr>\n",
                     or_dash(g.role), or_dash(g.purpose), or_dash(g.grant_id), n(g.events),
                     n(g.pseudonyms));
    }
    fmt::format_to(out, "</table>\n");
  }
  if (!r.refusals_by_kind.empty()) {
    fmt::format_to(out, "<table><tr><th>拒否の理由 / Refusal</th><th>件数 / Count</th></tr>\n");
    for (const auto& [kind, count] : r.refusals_by_kind) {
      fmt::format_to(out, "<tr><td><code>{}</code></td><td class=\"n\">{}</td></tr>\n", e(kind),
                     n(count));
    }
    fmt::format_to(out, "</table>\n");
  }
}

void refusals(Out out, const ReportData& d) {
  heading(out, "refusals", "拒否", "Refusals");
  fmt::format_to(out, "<h3>選別の拒否 (承認なし・不適合) / Sieve refusals</h3>\n");
  if (d.sieve_refusals.empty()) {
    fmt::format_to(out, "<p class=\"note\">記録なし / none recorded</p>\n");
  } else {
    fmt::format_to(out,
                   "<table><tr><th>日時 / Time</th><th>センサー / Sensor</th>"
                   "<th>理由 / Refusal</th><th>承認 / Approval</th>"
                   "<th>内容 / Message</th></tr>\n");
    for (const auto& row : d.sieve_refusals) {
      fmt::format_to(out,
                     "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td>"
                     "</tr>\n",
                     format_time(row.at), or_dash(row.sensor), e(row.refusal),
                     row.approval_id ? or_dash(*row.approval_id) : "—", or_dash(row.message));
    }
    fmt::format_to(out, "</table>\n");
  }
  const auto& a = d.access;
  fmt::format_to(out,
                 "<h3>アクセスの拒否 / Access refusals</h3>\n<p>拒否 {} 件 / {} refused.</p>\n",
                 n(a.total_refusals), n(a.total_refusals));
  if (a.criminal_investigation_refusals > 0) {
    fmt::format_to(out,
                   "<p class=\"bad\">犯罪捜査を目的とする閲覧の試み {} 件 (すべて拒否) / {} "
                   "attempts to read for criminal investigation (all refused)</p>\n",
                   n(a.criminal_investigation_refusals), n(a.criminal_investigation_refusals));
  }
  if (!a.refusals.empty()) {
    fmt::format_to(out,
                   "<table><tr><th>理由 / Refusal</th><th>目的 / Purpose</th>"
                   "<th>件数 / Count</th></tr>\n");
    for (const auto& g : a.refusals) {
      fmt::format_to(out, "<tr><td><code>{}</code>{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n",
                     e(g.refusal),
                     g.criminal_investigation ? " <span class=\"bad\">犯罪捜査 / criminal "
                                                "investigation</span>"
                                              : "",
                     or_dash(g.purpose), n(g.count));
    }
    fmt::format_to(out, "</table>\n");
  }
}

void consents_and_accounts(Out out, const ReportData& d) {
  heading(out, "consents", "同意", "Consents");
  if (d.consents.empty()) {
    fmt::format_to(out, "<p class=\"note\">記録なし / none recorded</p>\n");
  } else {
    fmt::format_to(out,
                   "<table><tr><th>記録日時 / Recorded</th><th>ID</th>"
                   "<th>協定 / Agreement</th><th>利用者 / User</th><th>目的 / Purpose</th>"
                   "<th>対象データ / Data range</th></tr>\n");
    for (const auto& c : d.consents) {
      fmt::format_to(out,
                     "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                     "<td>{}<br>— {}</td></tr>\n",
                     format_time(c.at), e(c.id), or_dash(c.agreement_id), or_dash(c.user),
                     or_dash(c.purpose), format_time(c.data_since), format_time(c.data_until));
    }
    fmt::format_to(out, "</table>\n");
  }
  heading(out, "accounts", "利用者とトークン", "Users and tokens");
  std::string by_role;
  for (const auto& [role, count] : d.accounts.users_added_by_role) {
    if (!by_role.empty()) by_role += ", ";
    by_role += fmt::format("{}: {}", role.empty() ? "—" : e(role), n(count));
  }
  fmt::format_to(out,
                 "<table><tr><td>追加された利用者 / Users added</td><td class=\"n\">{}</td>"
                 "<td>{}</td></tr><tr><td>発行されたトークン / API tokens issued</td>"
                 "<td class=\"n\">{}</td><td></td></tr></table>\n",
                 n(d.accounts.users_added), by_role, n(d.accounts.tokens_issued));
}

// Japanese names of the recipient classes of intel/recipient.h (oversight does not depend on
// intel; an unknown class is shown as it is).
std::string_view recipient_class_ja(std::string_view recipient_class) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"agency", "関係行政機関"},
      {"foreign_government", "外国政府等"},
      {"council_member", "協議会の構成員"},
      {"designated_operator", "特別社会基盤事業者"},
      {"public", "周知（一般）"},
      {"vendor", "電子計算機等供給者"},
      {"measure_agency", "アクセス・無害化措置を行う機関"},
      {"agreement_party", "協定当事者"},
      {"telecom_operator", "電気通信事業者"},
  };
  for (const auto& [name, ja] : kNames) {
    if (name == recipient_class) return ja;
  }
  return {};
}

std::string class_cell(const std::string& recipient_class) {
  const std::string_view ja = recipient_class_ja(recipient_class);
  if (ja.empty()) return fmt::format("<code>{}</code>", e(recipient_class));
  return fmt::format("{} <code>{}</code>", ja, e(recipient_class));
}

void provisions(Out out, const ReportData& d) {
  heading(out, "provisions", "提供", "Provisions");
  const ProvisionSection& p = d.provisions;
  if (p.count == 0 && p.refused == 0) {
    fmt::format_to(out, "<p>提供記録なし / none recorded in this period</p>\n");
    return;
  }
  fmt::format_to(out, "<p>提供の記録 {} 件 / {} provisions recorded.</p>\n", n(p.count),
                 n(p.count));
  if (!p.made.empty()) {
    fmt::format_to(out,
                   "<table><tr><th>提供先の区分 / Recipient class</th><th>区分 / Tier</th>"
                   "<th>種類 / Type</th><th>件数 / Count</th></tr>");
    for (const auto& g : p.made) {
      fmt::format_to(out,
                     "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td>"
                     "</tr>",
                     class_cell(g.recipient_class), e(g.tier), e(g.type), n(g.count));
    }
    fmt::format_to(out, "</table>\n");
    std::string tiers;
    for (const auto& [tier, count] : p.by_tier) {
      tiers += fmt::format("{}{} {}", tiers.empty() ? "" : ", ", e(tier), n(count));
    }
    fmt::format_to(out, "<p>区分別 / By tier: {}</p>\n", tiers);
  }
  if (p.refused == 0) {
    fmt::format_to(out, "<p>提供の拒否なし / No provision was refused.</p>\n");
    return;
  }
  fmt::format_to(out, "<p>提供の拒否 {} 件 / {} provisions refused.</p>\n", n(p.refused),
                 n(p.refused));
  fmt::format_to(out,
                 "<table><tr><th>理由 / Reason</th><th>提供先の区分 / Recipient class</th>"
                 "<th>件数 / Count</th></tr>");
  for (const auto& g : p.refusals) {
    fmt::format_to(out, "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td></tr>",
                   e(g.refusal), class_cell(g.recipient_class), n(g.count));
  }
  fmt::format_to(out, "</table>\n");
}

void other_events(Out out, const ReportData& d) {
  if (d.other_events.empty() && d.anomalies.empty()) return;
  heading(out, "other", "その他の事象", "Other events");
  if (!d.other_events.empty()) {
    fmt::format_to(out,
                   "<p class=\"note\">本版では集計しない種別 / Types this release does not "
                   "aggregate</p><table><tr><th>種別 / Type</th><th>件数 / Count</th></tr>");
    for (const auto& [type, count] : d.other_events) {
      fmt::format_to(out, "<tr><td><code>{}</code></td><td class=\"n\">{}</td></tr>", e(type),
                     n(count));
    }
    fmt::format_to(out, "</table>\n");
  }
  if (!d.anomalies.empty()) {
    fmt::format_to(out,
                   "<h3 class=\"warn\">形式不正の事象 / Malformed events</h3><table><tr>"
                   "<th>seq</th><th>種別 / Type</th><th>問題 / Problem</th></tr>");
    for (const auto& a : d.anomalies) {
      fmt::format_to(out, "<tr><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
                     a.seq, e(a.type), e(a.message));
    }
    fmt::format_to(out, "</table>\n");
  }
}

std::string tri_state(const std::optional<bool>& value, std::string_view absent) {
  if (!value) return std::string(absent);
  return *value ? "<span class=\"ok\">✓ OK</span>" : "<span class=\"bad\">✗ NG</span>";
}

void integrity(Out out, const ReportData& d) {
  heading(out, "integrity", "台帳の完全性", "Ledger integrity");
  const auto& i = d.integrity;
  if (i.intact) {
    fmt::format_to(out,
                   "<div class=\"verdict ok\">台帳は完全です / The ledger is intact: {} entries, "
                   "{} signed tree heads, all checks passed.</div>\n",
                   n(i.leaves), n(i.heads.size()));
  } else {
    std::string where = i.first_bad_seq
                            ? fmt::format("最初の異常 seq {} / first bad entry: seq {}",
                                          *i.first_bad_seq, *i.first_bad_seq)
                            : std::string("署名済み木頭の検証に失敗 / a signed tree head failed");
    fmt::format_to(out,
                   "<div class=\"verdict bad\">台帳は破損しています / The ledger is BROKEN. {}"
                   "</div>\n",
                   where);
  }
  fmt::format_to(out,
                 "<table class=\"meta\"><tr><td>記録数 / Entries</td><td>{}</td></tr>"
                 "<tr><td>再計算した根 / Recomputed root</td><td><code>{}</code></td></tr>"
                 "<tr><td>署名の検証 / Signatures</td><td>{}</td></tr>"
                 "<tr><td>最新の署名済みサイズ / Largest signed size</td><td>{}</td></tr>"
                 "<tr><td>未署名の記録 / Entries not yet under a signed head</td><td>{}</td></tr>"
                 "</table>\n",
                 n(i.leaves), e(i.root),
                 i.signatures_checked ? "公開鍵で検証 / checked with the ledger's public key"
                                      : "<span class=\"warn\">未検証 (公開鍵なし) / not "
                                        "checked (no public key given)</span>",
                 n(i.latest_head_size), n(i.unsigned_entries));
  if (!i.problems.empty()) {
    fmt::format_to(out,
                   "<h3 class=\"bad\">異常 / Problems</h3><table><tr><th>seq</th>"
                   "<th>内容 / Finding</th></tr>\n");
    for (const auto& p : i.problems) {
      fmt::format_to(out, "<tr><td class=\"n\">{}</td><td>{}</td></tr>\n", p.seq, e(p.message));
    }
    fmt::format_to(out, "</table>\n");
  }
  if (i.suppressed_problems > 0) {
    fmt::format_to(out,
                   "<p class=\"note\">ほか {} 件は上記の結果として生じたもの等 (省略) / {} "
                   "further findings not listed (mostly consequences of the above).</p>\n",
                   n(i.suppressed_problems), n(i.suppressed_problems));
  }
  if (i.heads.empty()) {
    fmt::format_to(out,
                   "<p class=\"warn\">署名済み木頭なし / No signed tree head is stored.</p>\n");
    return;
  }
  fmt::format_to(out,
                 "<h3>署名済み木頭 / Signed tree heads</h3><table><tr><th>サイズ / Size</th>"
                 "<th>日時 / Time</th><th>鍵 / Key</th><th>署名 / Signature</th>"
                 "<th>根 / Root</th><th>前との整合 / Consistent</th>"
                 "<th>状態 / Status</th></tr>\n");
  for (const auto& h : i.heads) {
    std::string status = h.ok() ? "<span class=\"ok\">OK</span>" : std::string();
    for (const auto& problem : h.problems) {
      if (!status.empty()) status += "<br>";
      status += "<span class=\"bad\">" + e(problem) + "</span>";
    }
    fmt::format_to(out,
                   "<tr><td class=\"n\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td>"
                   "<td><code>{}</code> {}</td><td>{}</td><td>{}</td></tr>\n",
                   n(h.tree_size), format_time(h.timestamp), or_dash(h.key_id),
                   tri_state(h.signature_ok, "未検証 / not checked"), e(short_hash(h.root)),
                   tri_state(h.root_matches, "—"),
                   tri_state(h.consistent_with_previous,
                             h.consistency_error.empty() ? "—" : e(h.consistency_error)),
                   status);
  }
  fmt::format_to(out, "</table>\n");
}

}  // namespace

std::string render_html(const ReportData& d) {
  std::string html;
  auto out = std::back_inserter(html);
  fmt::format_to(out,
                 "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<title>監理報告書 / Oversight report — {} ({} – {})</title>\n<style>{}</style>\n"
                 "</head>\n<body>\n",
                 or_dash(d.installation), format_time(d.period.from), format_time(d.period.to),
                 kStyle);
  header(out, d);
  summary(out, d);
  approvals(out, d);
  runs(out, d);
  volume(out, d);
  selection_ratio(out, d);
  records(out, d);
  access(out, d);
  reidentification(out, d);
  refusals(out, d);
  consents_and_accounts(out, d);
  provisions(out, d);
  other_events(out, d);
  integrity(out, d);
  fmt::format_to(out,
                 "<footer><p class=\"note\">mamori oversight report, format version 1. "
                 "台帳の事象と実行の集計値のみから作成 / Built from ledger events and run "
                 "counters only.</p></footer>\n</body>\n</html>\n");
  return html;
}

}  // namespace mamori::oversight
