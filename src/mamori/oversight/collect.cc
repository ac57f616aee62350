// build_report: one pass over the ledger, aggregating the events of governance/events.h.
//
// Events are untrusted input here: the ledger may be damaged or written by a buggy writer, so
// every field is read with a type check and a body that lacks what events.h promises becomes
// an EventAnomaly, never an error. Events at or after `to` are ignored entirely (the report
// describes the state at the period's end); events before `from` are used only to complete
// approvals and runs that the period refers to, never counted.

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "mamori/governance/access.h"
#include "mamori/governance/approval.h"
#include "mamori/governance/events.h"
#include "mamori/ledger/entry.h"
#include "mamori/oversight/integrity.h"
#include "mamori/oversight/report.h"

namespace mamori::oversight {
namespace {

namespace ev = governance::events;
using nlohmann::json;

const json* field(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<std::string> text_field(const json& object, std::string_view key) {
  const json* value = field(object, key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

std::string text_or_empty(const json& object, std::string_view key) {
  return text_field(object, key).value_or("");
}

// A counter: a non-negative integer, 0 otherwise (a counter that is missing contributes
// nothing rather than making the whole event unusable).
std::uint64_t counter(const json& object, std::string_view key) {
  const json* value = field(object, key);
  if (value == nullptr) return 0;
  if (value->is_number_unsigned()) return value->get<std::uint64_t>();
  if (value->is_number_integer()) {
    const auto v = value->get<std::int64_t>();
    return v > 0 ? static_cast<std::uint64_t>(v) : 0;
  }
  return 0;
}

// Run ids are store ids (integers) but a string is accepted too.
std::string id_text(const json& object, std::string_view key) {
  const json* value = field(object, key);
  if (value == nullptr) return "";
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number_integer()) return value->dump();
  return "";
}

std::vector<std::string> text_list(const json& object, std::string_view key) {
  std::vector<std::string> out;
  const json* value = field(object, key);
  if (value == nullptr || !value->is_array()) return out;
  for (const auto& item : *value) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<Timestamp> time_field(const json& object, std::string_view key) {
  auto text = text_field(object, key);
  if (!text) return std::nullopt;
  auto parsed = parse_rfc3339(*text);
  if (!parsed) return std::nullopt;
  return *parsed;
}

std::vector<std::string> category_names(const scope::CategorySet& set) {
  std::vector<std::string> out;
  for (auto category : kReportCategories) {
    if (set.contains(category)) out.emplace_back(scope::to_string(category));
  }
  return out;
}

std::string basis_ja(std::string_view machine_name) {
  auto basis = governance::parse_legal_basis(machine_name);
  return basis ? std::string(governance::japanese_name(*basis)) : std::string();
}

void read_summary(const json& summary, RunRow& row) {
  row.packets = counter(summary, "packets");
  row.bytes = counter(summary, "bytes");
  row.flows = counter(summary, "flows");
  row.selected_flows = counter(summary, "selected_flows");
  row.records = counter(summary, "records");
  if (const json* categories = field(summary, "categories")) {
    for (std::size_t i = 0; i < kReportCategories.size(); ++i) {
      const json* c = field(*categories, scope::to_string(kReportCategories[i]));
      if (c == nullptr) continue;
      row.by_category[i] = {counter(*c, "packets"), counter(*c, "bytes"), counter(*c, "flows"),
                            counter(*c, "selected_flows")};
    }
  }
  if (const json* dropped = field(summary, "dropped")) {
    row.dropped_domestic = counter(*dropped, "domestic_DD");
    row.dropped_unauthorized = counter(*dropped, "unauthorized_category");
    row.dropped_undecodable = counter(*dropped, "undecodable");
  }
  row.input_error = text_or_empty(summary, "input_error");
}

struct ApprovalTrack {
  std::optional<governance::ApprovalRequest> request;
  std::optional<Timestamp> requested_at;
  bool requested_in_period = false;
  std::optional<governance::Approval> approval;
  std::optional<Timestamp> granted_at;
  bool granted_in_period = false;
};

struct RunTrack {
  RunRow row;
  bool started_in_period = false;
};

class Collector {
 public:
  Collector(const ReportPeriod& period, ReportData& out) : period_(period), out_(out) {}

  void add(std::uint64_t seq, const ledger::LedgerEntry& entry) {
    if (entry.at >= period_.to) return;
    const bool in_period = entry.at >= period_.from;
    if (in_period) ++out_.events_in_period;
    const std::string_view type = entry.type;
    if (type == ev::kApprovalRequested) return approval_requested(seq, entry, in_period);
    if (type == ev::kApprovalGranted) return approval_granted(seq, entry, in_period);
    if (type == ev::kRunStarted) return run_started(seq, entry, in_period);
    if (type == ev::kRunEnded) return run_ended(seq, entry, in_period);
    if (!in_period) return;
    if (!entry.body.is_object()) return anomaly(seq, entry, "body is not an object");
    if (type == ev::kSieveRefused) return sieve_refused(seq, entry);
    if (type == ev::kAccessRead) return access_read(entry);
    if (type == ev::kAccessRefused) return access_refused(entry);
    if (type == ev::kConsentRecorded) return consent_recorded(seq, entry);
    if (type == ev::kReidentificationGranted) {
      ++out_.reidentification.grants;
      return;
    }
    if (type == ev::kReidentified) return reidentified(entry);
    if (type == ev::kReidentificationRefused) {
      std::string refusal = text_or_empty(entry.body, "refusal");
      ++out_.reidentification.refusals_by_kind[refusal.empty() ? "unspecified" : refusal];
      ++out_.reidentification.total_refusals;
      return;
    }
    if (type == ev::kUserAdded) {
      ++out_.accounts.users_added;
      ++out_.accounts.users_added_by_role[text_or_empty(entry.body, "role")];
      return;
    }
    if (type == ev::kTokenIssued) {
      ++out_.accounts.tokens_issued;
      return;
    }
    if (type == ev::kRetentionDeleted) return retention_deleted(entry);
    // intel/events.h names; oversight does not depend on intel, so they are strings here.
    if (type == "provision.made") return provision_made(seq, entry);
    if (type == "provision.refused") return provision_refused(seq, entry);
    ++out_.other_events[entry.type];
  }

  void finish(const std::vector<store::Run>& store_runs) {
    finish_approvals();
    finish_runs(store_runs);
    finish_access();
    std::sort(out_.provisions.made.begin(), out_.provisions.made.end(),
              [](const auto& a, const auto& b) {
                return std::tie(a.recipient_class, a.tier, a.type) <
                       std::tie(b.recipient_class, b.tier, b.type);
              });
    std::sort(out_.provisions.refusals.begin(), out_.provisions.refusals.end(),
              [](const auto& a, const auto& b) {
                return std::tie(a.refusal, a.recipient_class) <
                       std::tie(b.refusal, b.recipient_class);
              });
  }

 private:
  void anomaly(std::uint64_t seq, const ledger::LedgerEntry& entry, std::string message) {
    out_.anomalies.push_back({seq, entry.type, std::move(message)});
  }

  // The recipient's class of a provision body ({"recipient": {"class": …}}), or "unspecified"
  // with an anomaly.
  std::string provision_class(std::uint64_t seq, const ledger::LedgerEntry& entry) {
    const json* recipient = field(entry.body, "recipient");
    auto recipient_class =
        recipient != nullptr ? text_field(*recipient, "class") : std::optional<std::string>();
    if (!recipient_class || recipient_class->empty()) {
      anomaly(seq, entry, "no recipient class (recipient.class)");
      return "unspecified";
    }
    return *recipient_class;
  }

  void provision_made(std::uint64_t seq, const ledger::LedgerEntry& entry) {
    ProvisionSection& p = out_.provisions;
    ++p.count;
    std::string recipient_class = provision_class(seq, entry);
    std::string tier = text_field(entry.body, "tier").value_or("unspecified");
    std::string type = text_field(entry.body, "type").value_or("unspecified");
    ++p.by_recipient_class[recipient_class];
    ++p.by_tier[tier];
    ++p.by_type[type];
    auto group = std::find_if(p.made.begin(), p.made.end(), [&](const ProvisionGroup& g) {
      return g.recipient_class == recipient_class && g.tier == tier && g.type == type;
    });
    if (group == p.made.end()) {
      p.made.push_back({std::move(recipient_class), std::move(tier), std::move(type), 1});
    } else {
      ++group->count;
    }
  }

  void provision_refused(std::uint64_t seq, const ledger::LedgerEntry& entry) {
    ProvisionSection& p = out_.provisions;
    ++p.refused;
    std::string recipient_class = provision_class(seq, entry);
    std::string refusal = text_field(entry.body, "refusal").value_or("");
    if (refusal.empty()) refusal = "unspecified";
    ++p.refusals_by_reason[refusal];
    auto group = std::find_if(p.refusals.begin(), p.refusals.end(), [&](const auto& g) {
      return g.refusal == refusal && g.recipient_class == recipient_class;
    });
    if (group == p.refusals.end()) {
      p.refusals.push_back({std::move(refusal), std::move(recipient_class), 1});
    } else {
      ++group->count;
    }
  }

  void approval_requested(std::uint64_t seq, const ledger::LedgerEntry& entry, bool in_period) {
    const json* body = field(entry.body, "request");
    auto request = body != nullptr
                       ? governance::request_from_json(*body)
                       : Result<governance::ApprovalRequest>(fail("no field 'request'"));
    if (!request) {
      if (in_period) anomaly(seq, entry, request.error().message);
      return;
    }
    if (in_period) ++out_.approvals.requested;
    auto& track = approvals_[request->id];
    track.request = std::move(*request);
    track.requested_at = entry.at;
    track.requested_in_period = in_period;
  }

  void approval_granted(std::uint64_t seq, const ledger::LedgerEntry& entry, bool in_period) {
    const json* body = field(entry.body, "approval");
    auto approval = body != nullptr ? governance::approval_from_json(*body)
                                    : Result<governance::Approval>(fail("no field 'approval'"));
    if (!approval) {
      if (in_period) anomaly(seq, entry, approval.error().message);
      return;
    }
    if (in_period) ++out_.approvals.granted;
    auto& track = approvals_[approval->id()];
    track.approval = std::move(*approval);
    track.granted_at = entry.at;
    track.granted_in_period = in_period;
  }

  RunTrack* run_track(std::uint64_t seq, const ledger::LedgerEntry& entry, bool in_period) {
    const std::string run_id = id_text(entry.body, "run_id");
    if (run_id.empty()) {
      if (in_period) anomaly(seq, entry, "no field 'run_id'");
      return nullptr;
    }
    const std::string sensor = text_or_empty(entry.body, "sensor");
    auto& track = runs_[{sensor, run_id}];
    track.row.run_id = run_id;
    track.row.sensor = sensor;
    return &track;
  }

  void run_started(std::uint64_t seq, const ledger::LedgerEntry& entry, bool in_period) {
    RunTrack* track = run_track(seq, entry, in_period);
    if (track == nullptr) return;
    if (in_period) ++out_.runs.totals.started;
    RunRow& row = track->row;
    const json& body = entry.body;
    row.started_at = entry.at;
    track->started_in_period = in_period;
    row.approval_id = text_or_empty(body, "approval_id");
    row.legal_basis = text_or_empty(body, "legal_basis");
    row.legal_basis_ja = basis_ja(row.legal_basis);
    row.agreement_id = text_field(body, "agreement_id");
    row.input = text_or_empty(body, "input");
    row.categories = text_list(body, "categories");
  }

  void run_ended(std::uint64_t seq, const ledger::LedgerEntry& entry, bool in_period) {
    RunTrack* track = run_track(seq, entry, in_period);
    if (track == nullptr) return;
    RunRow& row = track->row;
    if (row.ended_at) {
      if (in_period) anomaly(seq, entry, fmt::format("run {} ended twice", row.run_id));
      return;
    }
    const json& body = entry.body;
    row.ended_at = entry.at;
    row.ended_in_period = in_period;
    if (row.approval_id.empty()) row.approval_id = text_or_empty(body, "approval_id");
    const json* summary = field(body, "summary");
    if (summary == nullptr || !summary->is_object()) {
      if (in_period) anomaly(seq, entry, "no object field 'summary'");
    } else {
      read_summary(*summary, row);
    }
    const json* expiry = field(body, "stopped_at_expiry");
    row.stopped_at_expiry = expiry != nullptr && expiry->is_boolean() && expiry->get<bool>();
    row.selection_stopped_at = time_field(body, "selection_stopped_at");
    if (in_period) ++out_.runs.totals.ended;
  }

  void sieve_refused(std::uint64_t seq, const ledger::LedgerEntry& entry) {
    const json& body = entry.body;
    SieveRefusalRow row{seq,
                        entry.at,
                        text_or_empty(body, "sensor"),
                        text_or_empty(body, "refusal"),
                        text_or_empty(body, "message"),
                        text_field(body, "approval_id")};
    if (row.refusal.empty()) row.refusal = "unspecified";
    ++out_.sieve_refusals_by_kind[row.refusal];
    out_.sieve_refusals.push_back(std::move(row));
  }

  void access_read(const ledger::LedgerEntry& entry) {
    const json& body = entry.body;
    auto& group = reads_[{text_or_empty(body, "role"), text_or_empty(body, "purpose")}];
    const std::uint64_t records = counter(body, "records");
    ++group.reads;
    group.records += records;
    if (!text_list(body, "consents").empty()) ++group.with_consent;
  }

  void access_refused(const ledger::LedgerEntry& entry) {
    const json& body = entry.body;
    std::string refusal = text_or_empty(body, "refusal");
    if (refusal.empty()) refusal = "unspecified";
    std::string purpose = text_or_empty(body, "purpose");
    auto& group = refusals_[{refusal, purpose}];
    ++group.count;
    group.criminal_investigation =
        refusal == governance::to_string(governance::AccessRefusal::criminal_investigation) ||
        governance::is_criminal_investigation(purpose);
  }

  void reidentified(const ledger::LedgerEntry& entry) {
    const json& body = entry.body;
    auto& group = reidentified_[{text_or_empty(body, "role"), text_or_empty(body, "purpose"),
                                 text_or_empty(body, "grant_id")}];
    ++group.events;
    group.pseudonyms += counter(body, "count");
  }

  void consent_recorded(std::uint64_t seq, const ledger::LedgerEntry& entry) {
    const json* body = field(entry.body, "consent");
    auto consent = body != nullptr ? governance::consent_from_json(*body)
                                   : Result<governance::Consent>(fail("no field 'consent'"));
    if (!consent) return anomaly(seq, entry, consent.error().message);
    out_.consents.push_back({entry.at, consent->id, consent->agreement_id, consent->user,
                             consent->purpose, consent->data_since, consent->data_until});
  }

  void retention_deleted(const ledger::LedgerEntry& entry) {
    const json& body = entry.body;
    ++out_.records.deletion_events;
    out_.records.deleted += counter(body, "records_deleted");
    if (const json* by_category = field(body, "by_category")) {
      for (std::size_t i = 0; i < kReportCategories.size(); ++i) {
        out_.records.deleted_by_category[i] +=
            counter(*by_category, scope::to_string(kReportCategories[i]));
      }
    }
  }

  void finish_approvals() {
    auto& section = out_.approvals;
    for (auto& [id, track] : approvals_) {
      const governance::ApprovalRequest& request =
          track.approval ? track.approval->request : *track.request;
      const bool overlaps =
          track.approval && request.not_before < period_.to && request.not_after > period_.from;
      if (!track.requested_in_period && !track.granted_in_period && !overlaps) continue;
      ApprovalRow row;
      row.id = id;
      row.basis = std::string(governance::to_string(request.basis));
      row.basis_ja = std::string(governance::japanese_name(request.basis));
      row.agreement_id = request.agreement_id;
      row.sensor = request.sensor;
      row.categories = category_names(request.categories);
      row.ruleset_hash = request.ruleset_hash;
      row.not_before = request.not_before;
      row.not_after = request.not_after;
      row.requested_at = track.requested_at;
      row.granted_at = track.granted_at;
      row.requested_in_period = track.requested_in_period;
      row.granted_in_period = track.granted_in_period;
      if (track.approval) {
        row.overseer_key_id = track.approval->overseer_key_id;
        if (period_.to < request.not_before) {
          row.state_at_end = ApprovalState::not_yet_valid;
        } else if (period_.to >= request.not_after) {
          row.state_at_end = ApprovalState::expired;
          ++section.expired_at_end;
        } else {
          row.state_at_end = ApprovalState::active;
          ++section.active_at_end;
        }
      }
      section.rows.push_back(std::move(row));
    }
    std::sort(section.rows.begin(), section.rows.end(), [](const auto& a, const auto& b) {
      return std::tie(a.not_before, a.id) < std::tie(b.not_before, b.id);
    });
  }

  void finish_runs(const std::vector<store::Run>& store_runs) {
    std::map<std::pair<std::string, std::string>, std::uint64_t> stored_now;
    for (const auto& run : store_runs) {
      stored_now[{run.info.sensor, std::to_string(run.id)}] = run.records;
      out_.records.currently_stored += run.records;
    }
    out_.records.store_runs = store_runs.size();
    auto& section = out_.runs;
    for (auto& [key, track] : runs_) {
      if (!track.started_in_period && !track.row.ended_in_period) continue;
      if (auto it = stored_now.find(key); it != stored_now.end()) {
        track.row.records_stored_now = it->second;
      }
      const RunRow& row = track.row;
      if (row.ended_in_period) {
        auto& totals = section.totals;
        for (std::size_t i = 0; i < kReportCategories.size(); ++i) {
          totals.by_category[i].packets += row.by_category[i].packets;
          totals.by_category[i].bytes += row.by_category[i].bytes;
          totals.by_category[i].flows += row.by_category[i].flows;
          totals.by_category[i].selected_flows += row.by_category[i].selected_flows;
        }
        totals.packets += row.packets;
        totals.bytes += row.bytes;
        totals.flows += row.flows;
        totals.selected_flows += row.selected_flows;
        totals.records += row.records;
        totals.dropped_domestic += row.dropped_domestic;
        totals.dropped_unauthorized += row.dropped_unauthorized;
        totals.dropped_undecodable += row.dropped_undecodable;
        if (row.stopped_at_expiry) ++totals.stopped_at_expiry;
      }
      section.rows.push_back(std::move(track.row));
    }
    out_.records.stored = section.totals.records;
    auto start = [](const RunRow& row) {
      return row.started_at.value_or(row.ended_at.value_or(Timestamp{}));
    };
    std::sort(section.rows.begin(), section.rows.end(), [&](const auto& a, const auto& b) {
      return std::make_tuple(start(a), a.sensor, a.run_id) <
             std::make_tuple(start(b), b.sensor, b.run_id);
    });
  }

  void finish_access() {
    auto& reidentification = out_.reidentification;
    for (auto& [key, group] : reidentified_) {
      std::tie(group.role, group.purpose, group.grant_id) = key;
      reidentification.total_events += group.events;
      reidentification.total_pseudonyms += group.pseudonyms;
      reidentification.done.push_back(group);
    }
    auto& access = out_.access;
    for (auto& [key, group] : reads_) {
      group.role = key.first;
      group.purpose = key.second;
      access.total_reads += group.reads;
      access.total_records_read += group.records;
      access.reads_by_purpose[group.purpose] += group.reads;
      access.reads.push_back(group);
    }
    for (auto& [key, group] : refusals_) {
      group.refusal = key.first;
      group.purpose = key.second;
      access.total_refusals += group.count;
      if (group.criminal_investigation) access.criminal_investigation_refusals += group.count;
      access.refusals.push_back(group);
    }
  }

 private:
  ReportPeriod period_;
  ReportData& out_;
  std::map<std::string, ApprovalTrack> approvals_;
  std::map<std::pair<std::string, std::string>, RunTrack> runs_;    // (sensor, run id)
  std::map<std::pair<std::string, std::string>, ReadGroup> reads_;  // (role, purpose)
  std::map<std::pair<std::string, std::string>, AccessRefusalGroup> refusals_;
  // (role, purpose, grant id)
  std::map<std::tuple<std::string, std::string, std::string>, ReidentificationGroup> reidentified_;
};

}  // namespace

Result<ReportData> build_report(const ReportInputs& inputs, const ReportPeriod& period) {
  if (!(period.from < period.to)) {
    return fail("report period: 'from' ({}) must be before 'to' ({}) / 期間の指定が不正",
                format_rfc3339_seconds(period.from), format_rfc3339_seconds(period.to));
  }
  ReportData out;
  out.installation = inputs.installation;
  out.period = period;
  out.generated_at = inputs.generated_at;
  out.integrity = check_ledger_integrity(inputs.leaves, inputs.heads, inputs.ledger_key);

  // Leaves that do not parse are integrity findings (above); they cannot be placed in time.
  Collector collector(period, out);
  for (const auto& stored : inputs.leaves) {
    auto entry = ledger::parse_leaf(stored.leaf);
    if (entry) collector.add(stored.seq, *entry);
  }
  collector.finish(inputs.runs);
  return out;
}

}  // namespace mamori::oversight
