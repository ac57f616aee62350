#include "mamori/cli/evaluation.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mamori::cli {
namespace {

using FlowKey = std::tuple<std::uint8_t, IpAddress, std::uint16_t, IpAddress, std::uint16_t>;

// Truth flows by 5-tuple (as the initiator saw it), each list sorted by start.
class FlowIndex {
 public:
  explicit FlowIndex(const synth::TruthFile& truth) {
    for (std::size_t i = 0; i < truth.flows.size(); ++i) {
      const auto& facts = truth.flows[i].facts;
      const bool server_first = facts.initiator_is_server;
      const FlowKey key{facts.protocol, server_first ? facts.server : facts.client,
                        server_first ? facts.server_port : facts.client_port,
                        server_first ? facts.client : facts.server,
                        server_first ? facts.client_port : facts.server_port};
      flows_[key].emplace_back(facts.start, i);
    }
    for (auto& [key, list] : flows_) std::sort(list.begin(), list.end());
  }

  // The truth flow a record belongs to: same 5-tuple (either orientation), latest start at or
  // before the record's first packet (times in the record are whole microseconds).
  std::optional<std::size_t> find(const sieve::Record& record) const {
    const Timestamp at = record.first_seen + Duration{1000};
    for (const FlowKey& key :
         {FlowKey{record.protocol, record.src.ip, record.src.port, record.dst.ip, record.dst.port},
          FlowKey{record.protocol, record.dst.ip, record.dst.port, record.src.ip,
                  record.src.port}}) {
      const auto it = flows_.find(key);
      if (it == flows_.end()) continue;
      const auto& list = it->second;
      auto after = std::upper_bound(list.begin(), list.end(), at,
                                    [](Timestamp t, const auto& entry) { return t < entry.first; });
      if (after != list.begin()) return std::prev(after)->second;
    }
    return std::nullopt;
  }

 private:
  std::map<FlowKey, std::vector<std::pair<Timestamp, std::size_t>>> flows_;
};

bool has_kind(const sieve::Record& record, sieve::RuleKind kind) {
  return std::any_of(record.matches.begin(), record.matches.end(),
                     [kind](const sieve::Match& m) { return m.kind == kind; });
}

std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

BehaviourScore score_behaviour(sieve::RuleKind kind, const synth::TruthFile& truth,
                               const std::vector<sieve::Record>& records,
                               const std::vector<std::optional<std::size_t>>& flow_of,
                               const std::vector<std::vector<std::size_t>>& actors_of_flow) {
  const std::string name(sieve::to_string(kind));
  const auto is_true_actor = [&](const synth::TruthActor& actor) {
    return actor.kind == name || (kind == sieve::RuleKind::beacon && actor.kind == "c2");
  };
  BehaviourScore score;
  score.kind = name;
  std::map<std::size_t, Timestamp> first_selected;  // actor → first selected record
  for (std::size_t r = 0; r < records.size(); ++r) {
    if (!has_kind(records[r], kind)) continue;
    ++score.selected;
    if (!flow_of[r]) continue;
    bool counted = false;
    for (const std::size_t a : actors_of_flow[*flow_of[r]]) {
      const auto& actor = truth.actors[a];
      if (actor.kind == "decoy") {
        if (!counted) ++score.decoy_selected;
        counted = true;
        continue;
      }
      if (!is_true_actor(actor)) continue;
      if (!counted) ++score.true_selected;
      counted = true;
      auto [it, fresh] = first_selected.emplace(a, records[r].first_seen);
      if (!fresh) it->second = std::min(it->second, records[r].first_seen);
    }
  }
  std::vector<double> ttd;
  for (std::size_t a = 0; a < truth.actors.size(); ++a) {
    const auto& actor = truth.actors[a];
    if (!is_true_actor(actor)) continue;
    const auto selected = first_selected.find(a);
    if (!actor.expected_detectable) {
      if (selected != first_selected.end()) ++score.detected_other;
      continue;
    }
    ++score.actors;
    if (selected == first_selected.end()) {
      score.missed.push_back(actor.id);
      continue;
    }
    ++score.detected;
    ttd.push_back(static_cast<double>((selected->second - actor.first_activity).nanos) / 1e9);
  }
  score.median_ttd_s = median(ttd);
  if (!ttd.empty()) score.max_ttd_s = *std::max_element(ttd.begin(), ttd.end());
  return score;
}

// The truth subjects a finding kind should name.
std::vector<IpAddress> subjects_for(analysis::FindingKind kind, const synth::TruthFile& truth) {
  std::vector<IpAddress> out;
  const auto actors_of = [&](std::string_view actor_kind) {
    for (const auto& actor : truth.actors) {
      if (actor.kind == actor_kind && actor.expected_detectable && actor.subject.address) {
        out.push_back(*actor.subject.address);
      }
    }
  };
  switch (kind) {
    case analysis::FindingKind::scan:
      actors_of("scan");
      break;
    case analysis::FindingKind::amplification:
      actors_of("amplification");
      break;
    case analysis::FindingKind::c2_server:
    case analysis::FindingKind::beacon:
    case analysis::FindingKind::fan_in:
      for (const auto& server : truth.c2_servers) {
        if (server.expected_detectable) out.push_back(server.address);
      }
      break;
    default:
      break;
  }
  return out;
}

// Every positive subject of the kind (whether expected detectable or not): what a finding may
// name without being wrong.
bool names_truth(const analysis::Finding& finding, const synth::TruthFile& truth) {
  using analysis::FindingKind;
  if (finding.kind == FindingKind::shared_prefix) {
    auto prefix = sieve::parse_prefix_text(finding.subject);
    if (!prefix || prefix->pseudonym_epoch != 0) return false;
    return std::any_of(truth.c2_servers.begin(), truth.c2_servers.end(),
                       [&](const auto& s) { return prefix->prefix.contains(s.address); });
  }
  auto address = sieve::parse_address_text(finding.subject);
  if (!address || address->pseudonym_epoch != 0) return false;
  const auto actor_named = [&](std::string_view actor_kind) {
    return std::any_of(truth.actors.begin(), truth.actors.end(), [&](const auto& actor) {
      return actor.kind == actor_kind && actor.subject.address == address->ip;
    });
  };
  switch (finding.kind) {
    case FindingKind::scan:
      return actor_named("scan");
    case FindingKind::amplification:
      return actor_named("amplification");
    default:
      return std::any_of(truth.c2_servers.begin(), truth.c2_servers.end(),
                         [&](const auto& s) { return s.address == address->ip; });
  }
}

FindingScore score_findings(analysis::FindingKind kind, const synth::TruthFile& truth,
                            const std::vector<analysis::Finding>& findings) {
  FindingScore score;
  score.kind = std::string(analysis::to_string(kind));
  const auto subjects = subjects_for(kind, truth);
  const bool judged = !subjects.empty() || kind == analysis::FindingKind::shared_prefix;
  std::set<IpAddress> named;
  for (const auto& finding : findings) {
    if (finding.kind != kind) continue;
    ++score.findings;
    if (judged && names_truth(finding, truth)) ++score.true_findings;
    if (auto address = sieve::parse_address_text(finding.subject);
        address && address->pseudonym_epoch == 0) {
      named.insert(address->ip);
    }
  }
  score.subjects = subjects.size();
  for (const auto& subject : subjects) score.found += named.count(subject);
  if (!judged) score.true_findings = 0;
  return score;
}

RankingScore score_ranking(const synth::TruthFile& truth,
                           const std::vector<analysis::Finding>& findings) {
  std::map<IpAddress, double> score_of;
  for (const auto& finding : findings) {
    if (finding.kind != analysis::FindingKind::c2_server) continue;
    auto address = sieve::parse_address_text(finding.subject);
    if (address && address->pseudonym_epoch == 0) score_of[address->ip] = finding.score;
  }
  const auto score = [&](const IpAddress& address) {
    const auto it = score_of.find(address);
    return it == score_of.end() ? 0.0 : it->second;
  };
  RankingScore ranking;
  ranking.decoy_servers = truth.decoy_servers.size();
  for (const auto& decoy : truth.decoy_servers) {
    ranking.max_decoy_score = std::max(ranking.max_decoy_score, score(decoy.address));
  }
  bool first = true;
  for (const auto& server : truth.c2_servers) {
    if (!server.expected_detectable) continue;
    ++ranking.c2_servers;
    const double s = score(server.address);
    ranking.min_c2_score = first ? s : std::min(ranking.min_c2_score, s);
    first = false;
    if (s <= ranking.max_decoy_score) ranking.c2_below_decoys.push_back(server.address.to_string());
  }
  return ranking;
}

std::string percent(std::optional<double> value) {
  return value ? fmt::format("{:.3f}", *value) : std::string("-");
}

}  // namespace

double BehaviourScore::precision() const {
  return selected == 0 ? 1.0 : static_cast<double>(true_selected) / static_cast<double>(selected);
}
double BehaviourScore::recall() const {
  return actors == 0 ? 1.0 : static_cast<double>(detected) / static_cast<double>(actors);
}
std::optional<double> FindingScore::precision() const {
  if (subjects == 0 && kind != "shared_prefix") return std::nullopt;
  return findings == 0 ? 1.0 : static_cast<double>(true_findings) / static_cast<double>(findings);
}
std::optional<double> FindingScore::recall() const {
  if (subjects == 0) return std::nullopt;
  return static_cast<double>(found) / static_cast<double>(subjects);
}

Evaluation evaluate(const synth::TruthFile& truth, const std::vector<sieve::Record>& records,
                    const std::vector<analysis::Finding>& findings) {
  const FlowIndex index(truth);
  std::vector<std::vector<std::size_t>> actors_of_flow(truth.flows.size());
  for (std::size_t a = 0; a < truth.actors.size(); ++a) {
    for (const std::size_t flow : truth.actors[a].flows) {
      if (flow < actors_of_flow.size()) actors_of_flow[flow].push_back(a);
    }
  }
  Evaluation evaluation;
  evaluation.records = records.size();
  std::vector<std::optional<std::size_t>> flow_of(records.size());
  for (std::size_t r = 0; r < records.size(); ++r) {
    flow_of[r] = index.find(records[r]);
    if (!flow_of[r]) ++evaluation.unmatched_records;
  }
  for (const auto kind :
       {sieve::RuleKind::scan, sieve::RuleKind::amplification, sieve::RuleKind::beacon}) {
    evaluation.behaviours.push_back(score_behaviour(kind, truth, records, flow_of, actors_of_flow));
  }
  for (std::size_t k = 0; k < analysis::kFindingKindCount; ++k) {
    evaluation.findings.push_back(
        score_findings(static_cast<analysis::FindingKind>(k), truth, findings));
  }
  evaluation.ranking = score_ranking(truth, findings);
  return evaluation;
}

nlohmann::json to_json(const Evaluation& evaluation) {
  nlohmann::json behaviours = nlohmann::json::array();
  for (const auto& b : evaluation.behaviours) {
    behaviours.push_back(
        {{"kind", b.kind},
         {"selected", b.selected},
         {"true_selected", b.true_selected},
         {"decoy_selected", b.decoy_selected},
         {"precision", b.precision()},
         {"actors", b.actors},
         {"detected", b.detected},
         {"detected_not_expected", b.detected_other},
         {"recall", b.recall()},
         {"median_time_to_detect_s",
          b.median_ttd_s ? nlohmann::json(*b.median_ttd_s) : nlohmann::json()},
         {"max_time_to_detect_s", b.max_ttd_s ? nlohmann::json(*b.max_ttd_s) : nlohmann::json()},
         {"missed", b.missed}});
  }
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : evaluation.findings) {
    const auto precision = f.precision();
    const auto recall = f.recall();
    findings.push_back({{"kind", f.kind},
                        {"findings", f.findings},
                        {"true_findings", f.true_findings},
                        {"subjects", f.subjects},
                        {"found", f.found},
                        {"precision", precision ? nlohmann::json(*precision) : nlohmann::json()},
                        {"recall", recall ? nlohmann::json(*recall) : nlohmann::json()}});
  }
  const auto& r = evaluation.ranking;
  return {{"records", evaluation.records},
          {"unmatched_records", evaluation.unmatched_records},
          {"behaviours", std::move(behaviours)},
          {"findings", std::move(findings)},
          {"c2_ranking",
           {{"c2_servers", r.c2_servers},
            {"decoy_servers", r.decoy_servers},
            {"min_c2_score", r.min_c2_score},
            {"max_decoy_score", r.max_decoy_score},
            {"c2_below_decoys", r.c2_below_decoys},
            {"ok", r.ok()}}}};
}

std::string to_text(const Evaluation& evaluation) {
  std::string text = fmt::format("records selected / 選別レコード {} (not in the truth: {})\n",
                                 evaluation.records, evaluation.unmatched_records);
  text += fmt::format("{:<14} {:>8} {:>8} {:>6} {:>9} {:>7} {:>9} {:>12} {:>10}\n",
                      "behaviour/挙動", "selected", "decoys", "prec", "detected", "recall",
                      "expected", "median ttd s", "max ttd s");
  for (const auto& b : evaluation.behaviours) {
    text += fmt::format("{:<14} {:>8} {:>8} {:>6.3f} {:>9} {:>7.3f} {:>9} {:>12} {:>10}\n", b.kind,
                        b.selected, b.decoy_selected, b.precision(), b.detected, b.recall(),
                        b.actors, percent(b.median_ttd_s), percent(b.max_ttd_s));
    if (!b.missed.empty()) {
      text += fmt::format("  missed / 未検知: {}\n", fmt::join(b.missed, ", "));
    }
  }
  text += fmt::format("{:<22} {:>8} {:>8} {:>9} {:>7}\n", "finding/所見", "findings", "prec",
                      "subjects", "recall");
  for (const auto& f : evaluation.findings) {
    if (f.findings == 0 && f.subjects == 0) continue;
    text += fmt::format("{:<22} {:>8} {:>8} {:>9} {:>7}\n", f.kind, f.findings,
                        percent(f.precision()), f.subjects, percent(f.recall()));
  }
  const auto& r = evaluation.ranking;
  text += fmt::format(
      "C2 ranking / C2 順位: {} — {} C2 servers, lowest score {:.1f}; {} decoys, highest {:.1f}\n",
      r.ok() ? "every C2 above every decoy / 全 C2 がおとりより上位"
             : "C2 below a decoy / おとりより下位の C2 あり",
      r.c2_servers, r.min_c2_score, r.decoy_servers, r.max_decoy_score);
  if (!r.ok()) text += fmt::format("  {}\n", fmt::join(r.c2_below_decoys, ", "));
  return text;
}

}  // namespace mamori::cli
