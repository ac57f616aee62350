#include "test_ledger.h"

#include <stdexcept>

#include "mamori/governance/access.h"
#include "mamori/governance/approval.h"
#include "mamori/governance/events.h"

namespace mamori::oversight::testing {

namespace ev = governance::events;
using nlohmann::json;

Timestamp at(const char* rfc3339) {
  auto parsed = parse_rfc3339(rfc3339);
  if (!parsed) throw std::runtime_error(parsed.error().message);
  return *parsed;
}

LedgerBuilder::LedgerBuilder()
    : sensor_key_(ledger::SigningKey::generate(ledger::KeyRole::sensor)),
      overseer_key_(ledger::SigningKey::generate(ledger::KeyRole::overseer)) {}

std::uint64_t LedgerBuilder::add(const char* time, std::string type, json body) {
  ledger::LedgerEntry entry;
  entry.seq = tree_.size();
  entry.at = at(time);
  entry.type = std::move(type);
  entry.body = std::move(body);
  entry.prev = tree_.root();
  std::string leaf = ledger::canonical_leaf(entry);
  tree_.append(leaf);
  leaves.push_back({entry.seq, std::move(leaf)});
  return entry.seq;
}

void LedgerBuilder::sign_head(const char* time) {
  heads.push_back(ledger::sign_tree_head(sensor_key_, tree_.size(), tree_.root(), at(time)));
}

json category_counts(std::uint64_t packets, std::uint64_t bytes, std::uint64_t flows,
                     std::uint64_t selected_flows) {
  return {
      {"packets", packets}, {"bytes", bytes}, {"flows", flows}, {"selected_flows", selected_flows}};
}

json run_ended_body(std::int64_t run_id, const std::string& sensor, const std::string& approval_id,
                    const json& categories, std::uint64_t records, bool stopped_at_expiry) {
  std::uint64_t packets = 0, bytes = 0, flows = 0, selected = 0;
  for (const auto& [name, c] : categories.items()) {
    packets += c["packets"].get<std::uint64_t>();
    bytes += c["bytes"].get<std::uint64_t>();
    flows += c["flows"].get<std::uint64_t>();
    selected += c["selected_flows"].get<std::uint64_t>();
  }
  json summary = {
      {"packets", packets + 300},
      {"bytes", bytes + 30000},
      {"categories", categories},
      {"dropped", {{"domestic_DD", 300}, {"unauthorized_category", 0}, {"undecodable", 0}}},
      {"decode", json::object()},
      {"flows", flows},
      {"selected_flows", selected},
      {"records", records},
      {"flows_evicted", 0},
      {"flows_recalled", 0},
      {"truncated_inspections", 0},
      {"wall_seconds", 1.5},
      {"gbit_per_second", 0.01}};
  return {{"run_id", run_id},
          {"sensor", sensor},
          {"approval_id", approval_id},
          {"summary", summary},
          {"stopped_at_expiry", stopped_at_expiry},
          {"selection_stopped_at",
           stopped_at_expiry ? json("2026-12-09T00:00:00.000000Z") : json(nullptr)}};
}

namespace {

const std::string kHash(64, 'a');

governance::ApprovalRequest request(const std::string& id, governance::LegalBasis basis,
                                    scope::Category category, const char* not_before,
                                    const char* not_after) {
  governance::ApprovalRequest r;
  r.id = id;
  r.basis = basis;
  r.sensor = "tokyo-1";
  r.categories.add(category);
  r.ruleset_hash = kHash;
  r.inspect_bytes = 4096;
  r.not_before = at(not_before);
  r.not_after = at(not_after);
  r.requested_by = "nco-analyst";
  r.requested_at = at(not_before);
  r.justification = "test";
  return r;
}

json approval_body(const governance::ApprovalRequest& r, const ledger::SigningKey& overseer,
                   const char* time) {
  auto approval = governance::approve(r, overseer, at(time));
  if (!approval) throw std::runtime_error(approval.error().message);
  return {{"approval", governance::approval_to_json(*approval)}};
}

json run_started_body(std::int64_t run_id, const std::string& approval_id, const std::string& basis,
                      const std::string& category) {
  return {{"run_id", run_id},
          {"sensor", "tokyo-1"},
          {"approval_id", approval_id},
          {"legal_basis", basis},
          {"agreement_id", nullptr},
          {"ruleset_hash", kHash},
          {"config_hash", std::string(64, 'b')},
          {"categories", {category}},
          {"input", "pcap:trace.pcap"},
          {"retention_seconds", 2592000}};
}

json read_body(const std::string& user, const std::string& role, const std::string& purpose,
               std::uint64_t records, json consents) {
  return {{"user", user},       {"role", role},
          {"purpose", purpose}, {"query", json::object()},
          {"records", records}, {"consents", std::move(consents)}};
}

}  // namespace

Scenario sample_scenario() {
  Scenario s;
  LedgerBuilder& l = s.ledger;
  using governance::LegalBasis;
  const auto old_request = request("req-old", LegalBasis::foreign_foreign, scope::Category::FF,
                                   "2026-11-20T00:00:00Z", "2026-12-09T00:00:00Z");
  const auto request_1 = request("req-1", LegalBasis::foreign_domestic, scope::Category::FD,
                                 "2026-12-02T00:00:00Z", "2027-02-01T00:00:00Z");
  const auto request_2 = request("req-2", LegalBasis::domestic_foreign, scope::Category::DF,
                                 "2026-12-15T00:00:00Z", "2027-03-01T00:00:00Z");

  // Before the period.
  l.add("2026-11-20T00:00:00Z", std::string(ev::kApprovalRequested),
        {{"request", governance::request_to_json(old_request)}});  // 0
  l.add("2026-11-21T00:00:00Z", std::string(ev::kApprovalGranted),
        approval_body(old_request, l.overseer_key(), "2026-11-21T00:00:00Z"));  // 1
  l.add("2026-11-22T00:00:00Z", std::string(ev::kAccessRead),
        read_body("alice", "analyst", "attack-analysis", 1000, json::array()));  // 2
  // In the period.
  l.add("2026-12-01T01:00:00Z", std::string(ev::kApprovalRequested),
        {{"request", governance::request_to_json(request_1)}});  // 3
  l.add("2026-12-01T02:00:00Z", std::string(ev::kApprovalGranted),
        approval_body(request_1, l.overseer_key(), "2026-12-01T02:00:00Z"));  // 4
  l.sign_head("2026-12-01T02:00:01Z");                                        // size 5
  l.add("2026-12-01T03:00:00Z", std::string(ev::kApprovalRequested),
        {{"request", governance::request_to_json(request_2)}});  // 5
  l.add("2026-12-02T00:00:00Z", std::string(ev::kSieveRefused),
        {{"sensor", "tokyo-1"},
         {"refusal", "expired"},
         {"message", "approval req-x expired / 承認の期限切れ"},
         {"approval_id", "req-x"},
         {"ruleset_hash", kHash},
         {"categories", {"FF"}}});  // 6
  l.add("2026-12-02T10:00:00Z", std::string(ev::kRunStarted),
        run_started_body(1, "req-1", "foreign-domestic", "FD"));  // 7
  l.add("2026-12-02T11:00:00Z", std::string(ev::kRunEnded),
        run_ended_body(1, "tokyo-1", "req-1",
                       {{"FF", category_counts(0, 0, 0, 0)},
                        {"FD", category_counts(1000, 1500000, 200, 5)},
                        {"DF", category_counts(0, 0, 0, 0)}},
                       7777, false));  // 8
  l.add("2026-12-05T00:00:00Z", std::string(ev::kRunStarted),
        run_started_body(2, "req-old", "foreign-foreign", "FF"));  // 9
  l.sign_head("2026-12-05T00:00:01Z");                             // size 10
  l.add("2026-12-09T00:00:01Z", std::string(ev::kRunEnded),
        run_ended_body(2, "tokyo-1", "req-old",
                       {{"FF", category_counts(2000, 2000000, 400, 4)},
                        {"FD", category_counts(0, 0, 0, 0)},
                        {"DF", category_counts(0, 0, 0, 0)}},
                       4, true));  // 10
  l.add("2026-12-10T00:00:00Z", std::string(ev::kAccessRead),
        read_body("alice", "analyst", "attack-analysis", 3, json::array()));  // 11
  l.add("2026-12-11T00:00:00Z", std::string(ev::kAccessRead),
        read_body("alice", "analyst", "attack-analysis", 2, json::array()));  // 12
  l.add("2026-12-11T06:00:00Z", std::string(ev::kAccessRead),
        read_body("bob", "overseer", "inspection", 10, {"c-1"}));  // 13
  l.add("2026-12-12T00:00:00Z", std::string(ev::kAccessRefused),
        {{"user", "carol"},
         {"role", "analyst"},
         {"purpose", "犯罪捜査"},
         {"query", json::object()},
         {"refusal", governance::to_string(governance::AccessRefusal::criminal_investigation)},
         {"message",
          "criminal investigation is never a purpose / 犯罪捜査は目的になり得ない"}});  // 14
  l.add("2026-12-12T01:00:00Z", std::string(ev::kAccessRefused),
        {{"user", nullptr},
         {"role", nullptr},
         {"purpose", nullptr},
         {"query", json::object()},
         {"refusal", governance::to_string(governance::AccessRefusal::no_user)},
         {"message", "no user / 利用者なし"}});  // 15
  governance::Consent consent;
  consent.id = "c-1";
  consent.agreement_id = "agr-1";
  consent.user = "bob";
  consent.purpose = "inspection";
  consent.data_since = at("2026-11-01T00:00:00Z");
  consent.data_until = at("2026-12-01T00:00:00Z");
  consent.recorded_by = "admin";
  consent.recorded_at = at("2026-12-13T00:00:00Z");
  l.add("2026-12-13T00:00:00Z", std::string(ev::kConsentRecorded),
        {{"consent", governance::consent_to_json(consent)}});  // 16
  l.add("2026-12-14T00:00:00Z", std::string(ev::kUserAdded),
        {{"user", "dave"}, {"role", "analyst"}, {"by", "admin"}});  // 17
  l.add("2026-12-14T00:01:00Z", std::string(ev::kTokenIssued),
        {{"user", "dave"}, {"token_id", "0123456789ab"}, {"by", "admin"}});  // 18
  l.add("2026-12-20T00:00:00Z", std::string(ev::kRetentionDeleted),
        {{"as_of", "2026-12-20T00:00:00.000000Z"},
         {"records_deleted", 6},
         {"by_run", {{"1", 2}, {"2", 4}}},
         {"by_category", {{"FF", 4}, {"FD", 2}, {"DF", 0}}}});  // 19
  l.add("2026-12-21T00:00:00Z", std::string(ev::kRunStarted),
        run_started_body(3, "req-1", "foreign-domestic", "FD"));  // 20
  // After the period.
  l.add("2027-01-02T00:00:00Z", std::string(ev::kRunEnded),
        run_ended_body(3, "tokyo-1", "req-1",
                       {{"FF", category_counts(0, 0, 0, 0)},
                        {"FD", category_counts(50, 5000, 10, 1)},
                        {"DF", category_counts(0, 0, 0, 0)}},
                       1, false));  // 21
  l.add("2027-01-03T00:00:00Z", std::string(ev::kAccessRead),
        read_body("alice", "analyst", "attack-analysis", 500, json::array()));  // 22
  l.sign_head("2027-01-03T00:00:01Z");                                          // size 23

  s.inputs.leaves = l.leaves;
  s.inputs.heads = l.heads;
  s.inputs.ledger_key = l.sensor_key().public_key();
  store::Run run_1;
  run_1.id = 1;
  run_1.info.sensor = "tokyo-1";
  run_1.records = 5;
  store::Run run_3;
  run_3.id = 3;
  run_3.info.sensor = "tokyo-1";
  run_3.records = 1;
  s.inputs.runs = {run_1, run_3};
  s.inputs.generated_at = at("2027-01-05T00:00:00Z");
  s.inputs.installation = "tokyo-1";
  s.period = {at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z")};
  return s;
}

}  // namespace mamori::oversight::testing
