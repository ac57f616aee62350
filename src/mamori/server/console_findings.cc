#include "mamori/server/console_findings.h"

#include <fmt/format.h>

namespace mamori::server {
namespace {

using analysis::FindingKind;
using nlohmann::json;

bool is_fingerprint(std::string_view subject) {
  return subject.starts_with("ja3:") || subject.starts_with("ja4:");
}

std::string_view node_kind(const analysis::Finding& finding) {
  if (is_fingerprint(finding.subject)) return "fingerprint";
  switch (finding.kind) {
    case FindingKind::c2_server:
    case FindingKind::beacon:
    case FindingKind::fan_in:
    case FindingKind::tls_odd_port:
    case FindingKind::timeline:
      return "c2";
    default:
      return "indicator";
  }
}

// How many clients the analysis counted in contact with the subject, the most specific count
// that is not zero: the infected ones (an implant fingerprint seen), else the domestic ones,
// else all. A zero infected count with three clients is "three clients", not "no bots".
std::optional<double> client_count(const analysis::Finding& finding) {
  for (std::string_view name : {"infected_clients", "domestic_clients", "clients"}) {
    if (const analysis::Detail* detail = analysis::find_detail(finding, name);
        detail != nullptr && detail->text.empty() && detail->number > 0) {
      return detail->number;
    }
  }
  return std::nullopt;
}

}  // namespace

json finding_summary(const analysis::Finding& finding) {
  return {
      {"id", finding.id},
      {"detector", std::string(analysis::to_string(finding.kind))},
      {"score", finding.score},
      {"confidence", finding.confidence},
      {"first_seen", format_rfc3339_seconds(finding.first_seen)},
      {"last_seen", format_rfc3339_seconds(finding.last_seen)},
      {"records", finding.evidence_total},
      {"summary", fmt::format("{} {} (score {:.0f}, {} records)", analysis::to_string(finding.kind),
                              finding.subject, finding.score, finding.evidence_total)}};
}

json finding_graph(const analysis::Finding& finding, const std::vector<analysis::Finding>& run) {
  json nodes = json::array();
  json edges = json::array();
  const std::string subject_id = "subject";
  nodes.push_back({{"id", subject_id},
                   {"kind", std::string(node_kind(finding))},
                   {"label", finding.subject},
                   {"count", finding.evidence_total}});
  if (const auto clients = client_count(finding)) {
    nodes.push_back({{"id", "bots"},
                     {"kind", "bots"},
                     {"label", "pseudonymous clients / 仮名化された端末"},
                     {"count", static_cast<std::uint64_t>(*clients)}});
    edges.push_back({{"from", "bots"}, {"to", subject_id}, {"label", "contact"}});
  }
  if (const analysis::Detail* implant = analysis::find_detail(finding, "implant_fingerprint");
      implant != nullptr && !implant->text.empty()) {
    nodes.push_back(
        {{"id", "implant"}, {"kind", "fingerprint"}, {"label", implant->text}, {"count", 1}});
    edges.push_back({{"from", "implant"}, {"to", subject_id}, {"label", "fingerprint"}});
  }
  for (const analysis::Finding& other : run) {
    if (other.id == finding.id || other.subject != finding.subject) continue;
    nodes.push_back({{"id", other.id},
                     {"kind", "indicator"},
                     {"label", std::string(analysis::to_string(other.kind))},
                     {"count", other.evidence_total}});
    edges.push_back({{"from", other.id},
                     {"to", subject_id},
                     {"label", std::string(analysis::to_string(other.kind))}});
  }
  return {{"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

}  // namespace mamori::server
