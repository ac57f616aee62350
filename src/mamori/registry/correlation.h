#pragma once
// registry/correlation: links between operators' incident reports and what the government
// observed (selected records, analysis findings) and between the incidents of different
// operators — same indicator, same infrastructure, same time — and the warnings that let one
// operator's report protect the others (the partnership's promise: report once, and everybody
// in the same position hears of it).
//
// What matches (each link names its reason):
//   same_indicator   an incident's ip/domain/url-host/hash equals an observation's or another
//                    incident's (domains case-insensitively, a name also matching its
//                    subdomains: an indicator "evil.example" matches "a.evil.example")
//   same_network     IPv4 addresses in the same /24, IPv6 in the same /48 (attack
//                    infrastructure is rented in blocks; hopping C2 stays in one)
//   same_product     two incidents' affected computers share a vendor+product (normalised keys)
//   same_technique   two incidents share an ATT&CK technique — only together with another
//                    reason, since common techniques alone say little
// A link to an observation needs the observation to fall within `window` of the incident's
// detection (before or after); incident-to-incident links need the detections to be within it.
// Observations carry only clear addresses: a pseudonymized address (I5) never equals an
// indicator, and nothing here re-identifies one.
//
// Warnings go to every other organisation that shares a sector with the reporting one or has
// a registered computer of an affected product. They carry the indicators, techniques, sector
// and product — never the reporting organisation's id or name, the reporter, the affected
// computer ids or the report's free text, which stay with the government (an operator's named
// incident is secret information).

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mamori/core/ip.h"
#include "mamori/core/time.h"
#include "mamori/registry/incidents.h"
#include "mamori/registry/model.h"

namespace mamori::registry {

enum class LinkReason { same_indicator, same_network, same_product, same_technique };
std::string_view to_string(LinkReason reason);  // "same-indicator", "same-network", …

// Something the government observed, reduced to what correlation compares.
struct Observation {
  enum class Kind { record, finding };
  Kind kind = Kind::record;
  std::string id;  // the store's record id, or the finding id
  Timestamp first_seen = {};
  Timestamp last_seen = {};
  std::vector<IpAddress> addresses = {};  // clear addresses only
  std::vector<std::string> names = {};    // DNS names, TLS SNI, HTTP hosts, finding subjects
  std::string summary = {};               // e.g. "beacon 0.93" or "rule c2-ip"
};
std::string_view to_string(Observation::Kind kind);  // "record", "finding"

struct Link {
  std::string incident_id;
  std::string target_kind;  // "record", "finding" or "incident"
  std::string target_id;
  std::vector<LinkReason> reasons;   // sorted, unique
  std::vector<std::string> matched;  // the indicator values or keys that matched
  double strength = 0;               // 0..1, more reasons and exact matches rank higher
};

struct Warning {
  std::string organisation_id;          // the recipient
  std::string incident_ref;             // an opaque reference (hash of the incident id), not the id
  std::vector<std::string> sectors;     // sector codes shared with the recipient
  std::vector<std::string> products;    // "vendor product" the recipient also runs
  std::vector<Indicator> indicators;    // as reported (uncertain ones flagged)
  std::vector<std::string> techniques;  // ATT&CK ids of the incident's reports
  std::size_t observations = 0;         // linked records and findings
  std::size_t related_incidents = 0;    // incidents of other operators linked to it
  Timestamp detected_at = {};
};

struct CorrelationOptions {
  Duration window = Duration::seconds(30LL * 86400);
  std::size_t max_links_per_incident = 200;  // strongest first
};

struct CorrelationResult {
  std::vector<Link> links;        // by incident id, then strength (strongest first)
  std::vector<Warning> warnings;  // by recipient, then detection time (newest first)
};

// Indicators and techniques of an incident: the union over its reports, the latest report's
// uncertain flag winning for a value reported twice.
std::vector<Indicator> incident_indicators(const Incident& incident);
std::vector<std::string> incident_techniques(const Incident& incident);

CorrelationResult correlate(const std::vector<Incident>& incidents,
                            const std::vector<Observation>& observations,
                            const std::vector<Organisation>& organisations,
                            const std::vector<ImportantComputer>& computers,
                            const CorrelationOptions& options = {});

nlohmann::json to_json(const Link& link);
nlohmann::json to_json(const Warning& warning);

}  // namespace mamori::registry
