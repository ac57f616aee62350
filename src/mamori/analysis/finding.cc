#include "mamori/analysis/finding.h"

#include <algorithm>
#include <array>

#include "mamori/sieve/digest.h"

namespace mamori::analysis {
namespace {

constexpr std::array<std::string_view, kFindingKindCount> kKindNames = {
    "c2_server",     "beacon",
    "fan_in",        "scan",
    "amplification", "shared_fingerprint",
    "shared_sni",    "shared_domain_suffix",
    "tls_odd_port",  "shared_prefix",
    "timeline"};

}  // namespace

std::string_view to_string(FindingKind kind) { return kKindNames[static_cast<std::size_t>(kind)]; }

std::optional<FindingKind> parse_finding_kind(std::string_view text) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == text) return static_cast<FindingKind>(i);
  }
  return std::nullopt;
}

std::string finding_id(FindingKind kind, std::string_view subject) {
  sieve::Sha256 hash;
  hash.update("mamori-finding-v1\n");
  hash.update(to_string(kind));
  hash.update("\n");
  hash.update(subject);
  return "f-" + sieve::to_hex(hash.finish()).substr(0, 16);
}

const Detail* find_detail(const Finding& finding, std::string_view name) {
  for (const Detail& detail : finding.details) {
    if (detail.name == name) return &detail;
  }
  return nullptr;
}

double detail_number(const Finding& finding, std::string_view name, double fallback) {
  const Detail* detail = find_detail(finding, name);
  return detail != nullptr ? detail->number : fallback;
}

Timestamp latest_expiry(const AnalysisResult& result) {
  Timestamp latest;
  for (const Finding& finding : result.findings) latest = std::max(latest, finding.expires_at);
  return latest;
}

}  // namespace mamori::analysis
