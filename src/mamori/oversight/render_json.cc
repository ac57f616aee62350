// render_json: the report's facts for machines (the commission's own tools, the statistics
// that feed the report to the Diet). Format version 1; adding a field is compatible, renaming
// or removing one needs version 2. Times are RFC 3339 with microseconds (UTC); a ratio that
// has no flows to divide by is null.

#include <string>

#include "mamori/oversight/report.h"

namespace mamori::oversight {
namespace {

using nlohmann::json;

json time_json(Timestamp t) { return format_rfc3339_micros(t); }
json time_json(const std::optional<Timestamp>& t) {
  return t ? json(format_rfc3339_micros(*t)) : json(nullptr);
}
json ratio_json(std::optional<double> ratio) { return ratio ? json(*ratio) : json(nullptr); }
json text_or_null(const std::optional<std::string>& text) {
  return text ? json(*text) : json(nullptr);
}

json volume_json(const CategoryVolume& v) {
  return {{"packets", v.packets},
          {"bytes", v.bytes},
          {"flows", v.flows},
          {"selected_flows", v.selected_flows},
          {"selection_ratio", ratio_json(v.selection_ratio())}};
}

json volumes_json(const CategoryVolumes& volumes) {
  json out = json::object();
  for (std::size_t i = 0; i < kReportCategories.size(); ++i) {
    out[std::string(scope::to_string(kReportCategories[i]))] = volume_json(volumes[i]);
  }
  return out;
}

json counts_json(const CategoryCounts& counts) {
  json out = json::object();
  for (std::size_t i = 0; i < kReportCategories.size(); ++i) {
    out[std::string(scope::to_string(kReportCategories[i]))] = counts[i];
  }
  return out;
}

json approvals_json(const ApprovalSection& a) {
  json rows = json::array();
  for (const auto& r : a.rows) {
    rows.push_back({{"id", r.id},
                    {"basis", r.basis},
                    {"basis_ja", r.basis_ja},
                    {"agreement_id", text_or_null(r.agreement_id)},
                    {"sensor", r.sensor},
                    {"categories", r.categories},
                    {"ruleset_hash", r.ruleset_hash},
                    {"not_before", time_json(r.not_before)},
                    {"not_after", time_json(r.not_after)},
                    {"requested_at", time_json(r.requested_at)},
                    {"granted_at", time_json(r.granted_at)},
                    {"overseer_key_id", r.overseer_key_id},
                    {"requested_in_period", r.requested_in_period},
                    {"granted_in_period", r.granted_in_period},
                    {"state_at_end", to_string(r.state_at_end)}});
  }
  return {{"requested", a.requested},
          {"granted", a.granted},
          {"active_at_end", a.active_at_end},
          {"expired_at_end", a.expired_at_end},
          {"rows", std::move(rows)}};
}

json run_json(const RunRow& r) {
  return {
      {"run_id", r.run_id},
      {"sensor", r.sensor},
      {"approval_id", r.approval_id},
      {"legal_basis", r.legal_basis},
      {"legal_basis_ja", r.legal_basis_ja},
      {"agreement_id", text_or_null(r.agreement_id)},
      {"input", r.input},
      {"categories", r.categories},
      {"started_at", time_json(r.started_at)},
      {"ended_at", time_json(r.ended_at)},
      {"ended_in_period", r.ended_in_period},
      {"by_category", volumes_json(r.by_category)},
      {"packets", r.packets},
      {"bytes", r.bytes},
      {"flows", r.flows},
      {"selected_flows", r.selected_flows},
      {"records", r.records},
      {"dropped",
       {{"domestic_DD", r.dropped_domestic},
        {"unauthorized_category", r.dropped_unauthorized},
        {"undecodable", r.dropped_undecodable}}},
      {"stopped_at_expiry", r.stopped_at_expiry},
      {"selection_stopped_at", time_json(r.selection_stopped_at)},
      {"input_error", r.input_error},
      {"records_stored_now", r.records_stored_now ? json(*r.records_stored_now) : json(nullptr)}};
}

json runs_json(const RunSection& s) {
  const auto& t = s.totals;
  json rows = json::array();
  for (const auto& r : s.rows) rows.push_back(run_json(r));
  return {{"totals",
           {{"started", t.started},
            {"ended", t.ended},
            {"stopped_at_expiry", t.stopped_at_expiry},
            {"by_category", volumes_json(t.by_category)},
            {"packets", t.packets},
            {"bytes", t.bytes},
            {"flows", t.flows},
            {"selected_flows", t.selected_flows},
            {"selection_ratio", ratio_json(t.selection_ratio())},
            {"records", t.records},
            {"dropped",
             {{"domestic_DD", t.dropped_domestic},
              {"unauthorized_category", t.dropped_unauthorized},
              {"undecodable", t.dropped_undecodable}}}}},
          {"rows", std::move(rows)}};
}

json reidentification_json(const ReidentificationSection& r) {
  json done = json::array();
  for (const auto& g : r.done) {
    done.push_back({{"role", g.role},
                    {"purpose", g.purpose},
                    {"grant_id", g.grant_id},
                    {"events", g.events},
                    {"pseudonyms", g.pseudonyms}});
  }
  return {{"grants", r.grants},
          {"total_events", r.total_events},
          {"total_pseudonyms", r.total_pseudonyms},
          {"done", std::move(done)},
          {"refusals_by_kind", r.refusals_by_kind},
          {"total_refusals", r.total_refusals}};
}

json access_json(const AccessSection& a) {
  json reads = json::array();
  for (const auto& g : a.reads) {
    reads.push_back({{"role", g.role},
                     {"purpose", g.purpose},
                     {"reads", g.reads},
                     {"records", g.records},
                     {"with_consent", g.with_consent}});
  }
  json refusals = json::array();
  for (const auto& g : a.refusals) {
    refusals.push_back({{"refusal", g.refusal},
                        {"purpose", g.purpose},
                        {"count", g.count},
                        {"criminal_investigation", g.criminal_investigation}});
  }
  return {{"total_reads", a.total_reads},
          {"total_records_read", a.total_records_read},
          {"reads", std::move(reads)},
          {"reads_by_purpose", a.reads_by_purpose},
          {"total_refusals", a.total_refusals},
          {"criminal_investigation_refusals", a.criminal_investigation_refusals},
          {"refusals", std::move(refusals)}};
}

json integrity_json(const IntegrityReport& i) {
  json problems = json::array();
  for (const auto& p : i.problems) problems.push_back({{"seq", p.seq}, {"message", p.message}});
  json heads = json::array();
  for (const auto& h : i.heads) {
    auto tri = [](const std::optional<bool>& v) { return v ? json(*v) : json(nullptr); };
    heads.push_back({{"tree_size", h.tree_size},
                     {"root", h.root},
                     {"timestamp", time_json(h.timestamp)},
                     {"key_id", h.key_id},
                     {"signature_ok", tri(h.signature_ok)},
                     {"root_matches", tri(h.root_matches)},
                     {"consistent_with_previous", tri(h.consistent_with_previous)},
                     {"ok", h.ok()},
                     {"problems", h.problems}});
  }
  return {{"intact", i.intact},
          {"leaves", i.leaves},
          {"root", i.root},
          {"first_bad_seq", i.first_bad_seq ? json(*i.first_bad_seq) : json(nullptr)},
          {"problems", std::move(problems)},
          {"suppressed_problems", i.suppressed_problems},
          {"signatures_checked", i.signatures_checked},
          {"latest_head_size", i.latest_head_size},
          {"unsigned_entries", i.unsigned_entries},
          {"heads", std::move(heads)}};
}

json provisions_json(const ProvisionSection& p) {
  json made = json::array();
  for (const auto& g : p.made) {
    made.push_back({{"recipient_class", g.recipient_class},
                    {"tier", g.tier},
                    {"type", g.type},
                    {"count", g.count}});
  }
  json refusals = json::array();
  for (const auto& g : p.refusals) {
    refusals.push_back(
        {{"refusal", g.refusal}, {"recipient_class", g.recipient_class}, {"count", g.count}});
  }
  return {{"count", p.count},
          {"made", std::move(made)},
          {"by_recipient_class", p.by_recipient_class},
          {"by_tier", p.by_tier},
          {"by_type", p.by_type},
          {"refused", p.refused},
          {"refusals", std::move(refusals)},
          {"refusals_by_reason", p.refusals_by_reason}};
}

}  // namespace

json render_json(const ReportData& d) {
  json sieve_refusals = json::array();
  for (const auto& r : d.sieve_refusals) {
    sieve_refusals.push_back({{"seq", r.seq},
                              {"at", time_json(r.at)},
                              {"sensor", r.sensor},
                              {"refusal", r.refusal},
                              {"message", r.message},
                              {"approval_id", text_or_null(r.approval_id)}});
  }
  json consents = json::array();
  for (const auto& c : d.consents) {
    consents.push_back({{"at", time_json(c.at)},
                        {"id", c.id},
                        {"agreement_id", c.agreement_id},
                        {"user", c.user},
                        {"purpose", c.purpose},
                        {"data_since", time_json(c.data_since)},
                        {"data_until", time_json(c.data_until)}});
  }
  json anomalies = json::array();
  for (const auto& a : d.anomalies) {
    anomalies.push_back({{"seq", a.seq}, {"type", a.type}, {"message", a.message}});
  }
  const auto& r = d.records;
  return {
      {"version", 1},
      {"installation", d.installation},
      {"period", {{"from", time_json(d.period.from)}, {"to", time_json(d.period.to)}}},
      {"generated_at", time_json(d.generated_at)},
      {"events_in_period", d.events_in_period},
      {"approvals", approvals_json(d.approvals)},
      {"sieve_refusals",
       {{"total", d.sieve_refusals.size()},
        {"by_kind", d.sieve_refusals_by_kind},
        {"rows", std::move(sieve_refusals)}}},
      {"runs", runs_json(d.runs)},
      {"records",
       {{"stored", r.stored},
        {"deleted", r.deleted},
        {"deleted_by_category", counts_json(r.deleted_by_category)},
        {"deletion_events", r.deletion_events},
        {"currently_stored", r.currently_stored},
        {"store_runs", r.store_runs}}},
      {"access", access_json(d.access)},
      {"reidentification", reidentification_json(d.reidentification)},
      {"consents", std::move(consents)},
      {"accounts",
       {{"users_added", d.accounts.users_added},
        {"users_added_by_role", d.accounts.users_added_by_role},
        {"tokens_issued", d.accounts.tokens_issued}}},
      {"provisions", provisions_json(d.provisions)},
      {"other_events", d.other_events},
      {"anomalies", std::move(anomalies)},
      {"integrity", integrity_json(d.integrity)},
  };
}

}  // namespace mamori::oversight
