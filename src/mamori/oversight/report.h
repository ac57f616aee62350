#pragma once
// oversight/report: the overseer's inspection report (`mamori oversight report`). What the
// commission (サイバー通信情報監理委員会) reads, and what feeds its report to the Diet:
// approvals and their windows, runs and volumes by category, selection ratios, records stored
// and deleted, reads by role and purpose, refusals, provisions, and whether the ledger is
// intact. Built only from ledger events and the store's per-run counters, never from records.
//
// Counts cover events whose `at` lies in the period [from, to); the integrity check always
// covers the whole ledger. A broken ledger does not make build_report fail: the report says
// where it is broken and still counts what it can read.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/ledger/keys.h"
#include "mamori/ledger/storage.h"
#include "mamori/ledger/tree_head.h"
#include "mamori/oversight/report_data.h"
#include "mamori/store/store.h"

namespace mamori::oversight {

struct ReportInputs {
  std::vector<ledger::StoredLeaf> leaves;       // the whole ledger, as stored
  std::vector<ledger::SignedTreeHead> heads;    // every stored head
  std::optional<ledger::PublicKey> ledger_key;  // checks head signatures; absent: "not checked"
  std::vector<store::Run> runs;                 // the store's runs (records currently stored)
  Timestamp generated_at;
  std::string installation;  // sensor/installation name for the title
};

// Error only for an empty or inverted period (from >= to).
Result<ReportData> build_report(const ReportInputs& inputs, const ReportPeriod& period);

// One self-contained HTML document (inline CSS and SVG, no script, no external resource),
// lang="ja", bilingual headings "日本語 / English", print-friendly.
std::string render_html(const ReportData& data);

// The same facts, machine-readable: {"version":1, …}. Times RFC 3339 (µs, UTC).
nlohmann::json render_json(const ReportData& data);

}  // namespace mamori::oversight
