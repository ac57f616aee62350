#pragma once
// analysis/scoring: Analyzer::finish() (internal to the module). scoring.cc computes each
// foreign server's signals and its findings, linking.cc the links between servers (shared
// fingerprints, names, prefixes), candidates.cc the candidate indicators. The constants here
// are the weights of the model README.md describes; change them there too.

#include <cstdint>
#include <string>
#include <vector>

#include "mamori/analysis/analyzer_state.h"
#include "mamori/analysis/finding.h"

namespace mamori::analysis::detail {

// c2_server score = sum of weight × signal (each signal 0..1); the weights sum to 100.
inline constexpr double kWeightKnown = 35;     // max(known, implant fingerprint)
inline constexpr double kWeightOverlap = 20;   // clients also talking to known C2
inline constexpr double kWeightShared = 15;    // shared fingerprint / prefix / name with known C2
inline constexpr double kWeightTls = 10;       // TLS without SNI or on a non-TLS port
inline constexpr double kWeightPeriodic = 12;  // × benign discount
inline constexpr double kWeightFanIn = 8;      // × benign discount
// Periodicity and fan-in of a server on an infrastructure service port (NTP, DNS, …) count
// this much: such services are periodic and popular by design.
inline constexpr double kInfrastructurePortFactor = 0.25;
// An indicator match of a server on such a port counts this much (see known_weight()).
inline constexpr double kInfrastructureKnownFactor = 0.5;
// Shape similarity = exp(-mean std-dev of the clients' log flow shapes / kShapeScale).
inline constexpr double kShapeScale = 0.5;

// 443, 8443, 993, 995, 465, 853, …: ports where TLS is the service.
bool is_tls_service_port(std::uint16_t port);
// udp/53, tcp/53, udp/123 (NTP), 67/68 (DHCP), 137/138, 161/162 (SNMP), 514, 1900 (SSDP),
// 3478 (STUN), 5353 (mDNS), 5355 (LLMNR).
bool is_infrastructure_port(std::uint8_t protocol, std::uint16_t port);

struct ServerScore {
  std::string subject;   // address text
  bool known = false;    // an ip, domain or bytes rule matched it, or a listed name resolved to it
  bool implant = false;  // a ja3/ja4 rule matched flows to it
  bool infrastructure = false;  // its main port is an infrastructure service port
  std::uint32_t clients = 0;
  std::uint32_t domestic_clients = 0;
  std::uint32_t infected = 0;  // clients also seen with other known C2 (or the implant, a lookup)
  std::uint32_t judged_pairs = 0;
  std::uint32_t regular_pairs = 0;
  std::uint32_t best_pair = kNone;  // most regular pair
  double overlap = 0;
  double tls = 0;
  double periodic = 0;
  double fan_in = 0;
  double similarity = 0;
  double popularity = 1;  // discount factor, 1 = not popular
  double port_factor = 1;
  double cv = -1;  // of the regular pairs, weighted
  double period_s = 0;
  double shared_fingerprint = 0;
  double shared_prefix = 0;
  double shared_name = 0;
  std::vector<std::string> links;  // ids of shared_* findings that raised it
  double pre_score = 0;            // without the shared term
  double score = 0;
  double confidence = 0;

  bool suspicious(double threshold) const { return known || implant || pre_score >= threshold; }
  // An indicator on an infrastructure service port (udp/53, udp/123, …) more often lists an
  // abused reflector or a resolver than C2: it counts half, and does not mark its clients.
  double known_weight() const {
    if (!known && !implant) return 0;
    return infrastructure ? kInfrastructureKnownFactor : 1.0;
  }
  bool marks_clients() const { return (known || implant) && !infrastructure; }
  double benign_discount() const { return popularity * port_factor; }
};

// Servers, clients and records that carry one string (name or fingerprint).
struct StringGroup {
  std::vector<std::uint32_t> servers;
  std::vector<std::uint32_t> counts;  // records of each server carrying it
  std::uint64_t records = 0;
  std::uint64_t known_records = 0;
  std::uint64_t suspicious_records = 0;
  std::uint32_t known_servers = 0;
  std::uint32_t suspicious_servers = 0;
};

struct SuffixGroup {
  std::vector<std::uint32_t> names;    // string ids
  std::vector<std::uint32_t> servers;  // sorted, unique
  std::uint32_t known_servers = 0;
  std::uint32_t suspicious_servers = 0;
  std::uint32_t covered_names = 0;
};

struct Scoring {
  Analyzer::State& state;
  const AnalysisOptions& options;
  std::vector<ServerScore> servers = {};
  std::vector<StringGroup> strings = {};                           // by string id
  std::vector<std::pair<std::string, SuffixGroup>> suffixes = {};  // sorted by suffix
  std::vector<Finding> findings = {};
};

// A finding without its id: ids (a SHA-256 each) are computed in score() for the findings that
// are kept, and where a link needs one.
Finding unnamed_finding(FindingKind kind, std::string subject, double score, double confidence);

void link_servers(Scoring& scoring);                                                // linking.cc
void add_candidates(const Scoring& scoring, std::vector<CandidateIndicator>& out);  // candidates.cc
void score(Analyzer::State& state, const AnalysisOptions& options, AnalysisResult& result);

// Helpers shared by the three files.
std::string server_subject(const EndpointKey& key);
std::vector<RecordId> evidence_of(const Evidence& evidence);
// Up to kMaxEvidence ids taken in turns from each list, ascending.
std::vector<RecordId> merge_evidence(const std::vector<const Evidence*>& lists);
double clamp01(double value);
// The string without its kind prefix ("n:", "3:", "4:").
std::string_view string_text(const Analyzer::State& state, std::uint32_t id);
// The parent domain of a name when it has at least three labels ("a.b.example.net" →
// "b.example.net"); empty otherwise (without a public-suffix list a two-label parent may be
// a registry, not an owner).
std::string_view name_suffix(std::string_view name);

}  // namespace mamori::analysis::detail
