#include "mamori/registry/correlation.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "mamori/registry/normalize.h"
#include "mamori/sieve/digest.h"

namespace mamori::registry {
namespace {

constexpr std::array<std::string_view, 4> kReasonNames = {"same-indicator", "same-network",
                                                          "same-product", "same-technique"};

// What a reason adds to a link's strength; a technique alone never makes a link.
double weight(LinkReason reason) {
  switch (reason) {
    case LinkReason::same_indicator:
      return 0.6;
    case LinkReason::same_network:
      return 0.25;
    case LinkReason::same_product:
      return 0.2;
    case LinkReason::same_technique:
      return 0.1;
  }
  return 0;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// The host of an absolute URL ("https://a.example:8443/x" → "a.example"; IPv6 in brackets).
std::string url_host(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    return close == std::string_view::npos ? std::string() : std::string(rest.substr(1, close - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

// The block attack infrastructure is usually rented in.
Prefix network_of(const IpAddress& address) { return Prefix(address, address.is_v4() ? 24 : 48); }

// An incident's indicators reduced to comparable keys.
struct Keys {
  std::vector<IpAddress> addresses;
  std::vector<std::string> names;   // lower-case domains
  std::vector<std::string> hashes;  // "sha256:<hex>", …
  std::set<std::string> products;   // "vendor_key\x1fproduct_key"
  std::set<std::string> techniques;
};

Keys keys_of(const Incident& incident,
             const std::unordered_map<std::string, const ImportantComputer*>& computers) {
  Keys keys;
  for (const auto& indicator : incident_indicators(incident)) {
    switch (indicator.type) {
      case IndicatorType::ip:
        if (auto address = IpAddress::parse(indicator.value)) keys.addresses.push_back(*address);
        break;
      case IndicatorType::domain:
        keys.names.push_back(lower(indicator.value));
        break;
      case IndicatorType::url: {
        const std::string host = url_host(indicator.value);
        if (auto address = IpAddress::parse(host)) {
          keys.addresses.push_back(*address);
        } else if (!host.empty()) {
          keys.names.push_back(lower(host));
        }
        break;
      }
      case IndicatorType::md5:
      case IndicatorType::sha1:
      case IndicatorType::sha256:
        keys.hashes.push_back(
            fmt::format("{}:{}", to_string(indicator.type), lower(indicator.value)));
        break;
    }
  }
  for (const auto& report : incident.reports) {
    for (const auto& id : report.affected_computers) {
      const auto it = computers.find(id);
      if (it == computers.end()) continue;
      const auto& computer = *it->second;
      if (computer.organisation_id != incident.organisation_id) continue;
      keys.products.insert(vendor_key(computer.vendor) + '\x1f' + product_key(computer.product));
    }
  }
  const auto techniques = incident_techniques(incident);
  keys.techniques.insert(techniques.begin(), techniques.end());
  return keys;
}

bool within(Timestamp detected, Timestamp first, Timestamp last, Duration window) {
  return last >= detected - window && first <= detected + window;
}

// `name` is `domain` or one of its subdomains.
bool under(std::string_view name, std::string_view domain) {
  if (name == domain) return true;
  return name.size() > domain.size() && name.ends_with(domain) &&
         name[name.size() - domain.size() - 1] == '.';
}

class LinkBuilder {
 public:
  void add(LinkReason reason, std::string matched) {
    reasons_.insert(reason);
    matched_.insert(std::move(matched));
  }
  bool empty() const { return reasons_.empty(); }
  // A technique shared alone is no link.
  bool meaningful() const {
    return std::any_of(reasons_.begin(), reasons_.end(),
                       [](LinkReason r) { return r != LinkReason::same_technique; });
  }
  Link build(std::string incident_id, std::string kind, std::string target) const {
    Link link{std::move(incident_id), std::move(kind), std::move(target), {}, {}, 0};
    link.reasons.assign(reasons_.begin(), reasons_.end());
    link.matched.assign(matched_.begin(), matched_.end());
    for (const auto reason : link.reasons) link.strength += weight(reason);
    link.strength = std::min(1.0, link.strength);
    return link;
  }

 private:
  std::set<LinkReason> reasons_;
  std::set<std::string> matched_;
};

void match_addresses(const Keys& keys, std::span<const IpAddress> addresses, LinkBuilder& link) {
  for (const auto& indicator : keys.addresses) {
    for (const auto& address : addresses) {
      if (address == indicator) {
        link.add(LinkReason::same_indicator, indicator.to_string());
      } else if (network_of(indicator).contains(address)) {
        link.add(LinkReason::same_network, network_of(indicator).to_string());
      }
    }
  }
}

void match_names(const Keys& keys, std::span<const std::string> names, LinkBuilder& link) {
  for (const auto& indicator : keys.names) {
    for (const auto& name : names) {
      const std::string folded = lower(name);
      if (under(folded, indicator) || under(indicator, folded)) {
        link.add(LinkReason::same_indicator, indicator);
      }
    }
  }
}

std::string incident_ref(const Incident& incident) {
  return "ref-" + sieve::to_hex(sieve::sha256("mamori-warning-v1\n" + incident.id)).substr(0, 16);
}

template <class T>
std::vector<T> intersection(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out;
  for (const auto& item : a) {
    if (std::find(b.begin(), b.end(), item) != b.end()) out.push_back(item);
  }
  return out;
}

}  // namespace

std::string_view to_string(LinkReason reason) {
  return kReasonNames[static_cast<std::size_t>(reason)];
}

std::string_view to_string(Observation::Kind kind) {
  return kind == Observation::Kind::record ? "record" : "finding";
}

std::vector<Indicator> incident_indicators(const Incident& incident) {
  std::vector<Indicator> out;
  for (const auto& report : incident.reports) {
    for (const auto& indicator : report.indicators) {
      auto same = std::find_if(out.begin(), out.end(), [&](const Indicator& known) {
        return known.type == indicator.type && lower(known.value) == lower(indicator.value);
      });
      if (same == out.end()) {
        out.push_back(indicator);
      } else {
        same->uncertain = indicator.uncertain;  // the later report knows better
      }
    }
  }
  return out;
}

std::vector<std::string> incident_techniques(const Incident& incident) {
  std::set<std::string> techniques;
  for (const auto& report : incident.reports) {
    techniques.insert(report.techniques.begin(), report.techniques.end());
  }
  return {techniques.begin(), techniques.end()};
}

CorrelationResult correlate(const std::vector<Incident>& incidents,
                            const std::vector<Observation>& observations,
                            const std::vector<Organisation>& organisations,
                            const std::vector<ImportantComputer>& computers,
                            const CorrelationOptions& options) {
  std::unordered_map<std::string, const ImportantComputer*> computer_by_id;
  for (const auto& computer : computers) computer_by_id.emplace(computer.id, &computer);
  std::vector<Keys> keys;
  keys.reserve(incidents.size());
  for (const auto& incident : incidents) keys.push_back(keys_of(incident, computer_by_id));

  // Observations indexed by the /24 (/48) of each address and by each name's domain and
  // parents, so an incident looks only at candidates, not at every record.
  std::map<Prefix, std::vector<std::size_t>> by_network;
  std::unordered_map<std::string, std::vector<std::size_t>> by_name;
  for (std::size_t i = 0; i < observations.size(); ++i) {
    for (const auto& address : observations[i].addresses)
      by_network[network_of(address)].push_back(i);
    for (const auto& name : observations[i].names) {
      const std::string folded = lower(name);
      std::string_view rest = folded;
      while (!rest.empty()) {
        by_name[std::string(rest)].push_back(i);
        const auto dot = rest.find('.');
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
      }
    }
  }

  CorrelationResult result;
  std::vector<std::size_t> linked_observations(incidents.size(), 0);
  std::vector<std::size_t> linked_incidents(incidents.size(), 0);
  for (std::size_t i = 0; i < incidents.size(); ++i) {
    const Incident& incident = incidents[i];
    std::vector<Link> links;
    std::set<std::size_t> candidates;
    for (const auto& address : keys[i].addresses) {
      if (auto it = by_network.find(network_of(address)); it != by_network.end()) {
        candidates.insert(it->second.begin(), it->second.end());
      }
    }
    for (const auto& name : keys[i].names) {
      if (auto it = by_name.find(name); it != by_name.end()) {
        candidates.insert(it->second.begin(), it->second.end());
      }
    }
    for (const std::size_t o : candidates) {
      const Observation& observation = observations[o];
      if (!within(incident.detected_at, observation.first_seen, observation.last_seen,
                  options.window)) {
        continue;
      }
      LinkBuilder link;
      match_addresses(keys[i], observation.addresses, link);
      match_names(keys[i], observation.names, link);
      if (link.empty()) continue;
      links.push_back(
          link.build(incident.id, std::string(to_string(observation.kind)), observation.id));
      ++linked_observations[i];
    }
    for (std::size_t j = 0; j < incidents.size(); ++j) {
      if (j == i) continue;
      const Incident& other = incidents[j];
      if (!within(incident.detected_at, other.detected_at, other.detected_at, options.window)) {
        continue;
      }
      LinkBuilder link;
      match_addresses(keys[i], keys[j].addresses, link);
      match_names(keys[i], keys[j].names, link);
      for (const auto& hash : intersection(keys[i].hashes, keys[j].hashes)) {
        link.add(LinkReason::same_indicator, hash);
      }
      for (const auto& product : keys[i].products) {
        if (keys[j].products.count(product) == 0) continue;
        std::string shown = product;
        std::replace(shown.begin(), shown.end(), '\x1f', ' ');
        link.add(LinkReason::same_product, shown);
      }
      if (!link.meaningful()) continue;
      for (const auto& technique : keys[i].techniques) {
        if (keys[j].techniques.count(technique) != 0) {
          link.add(LinkReason::same_technique, technique);
        }
      }
      links.push_back(link.build(incident.id, "incident", other.id));
      if (other.organisation_id != incident.organisation_id) ++linked_incidents[i];
    }
    std::stable_sort(links.begin(), links.end(),
                     [](const Link& a, const Link& b) { return a.strength > b.strength; });
    if (links.size() > options.max_links_per_incident) {
      links.resize(options.max_links_per_incident);
    }
    result.links.insert(result.links.end(), std::make_move_iterator(links.begin()),
                        std::make_move_iterator(links.end()));
  }

  // Warnings to the others in the same position.
  std::map<std::string, std::set<std::string>> products_by_org;
  for (const auto& computer : computers) {
    products_by_org[computer.organisation_id].insert(vendor_key(computer.vendor) + '\x1f' +
                                                     product_key(computer.product));
  }
  std::unordered_map<std::string, const Organisation*> organisation_by_id;
  for (const auto& organisation : organisations) {
    organisation_by_id.emplace(organisation.id, &organisation);
  }
  const auto sectors_of = [](const Organisation& organisation) {
    std::vector<std::string> sectors = organisation.ci_sectors;
    sectors.insert(sectors.end(), organisation.key_infrastructure.begin(),
                   organisation.key_infrastructure.end());
    return sectors;
  };
  for (std::size_t i = 0; i < incidents.size(); ++i) {
    const Incident& incident = incidents[i];
    const auto indicators = incident_indicators(incident);
    if (indicators.empty() && keys[i].products.empty()) continue;  // nothing to act on
    const auto reporter = organisation_by_id.find(incident.organisation_id);
    const std::vector<std::string> reporter_sectors = reporter == organisation_by_id.end()
                                                          ? std::vector<std::string>{}
                                                          : sectors_of(*reporter->second);
    for (const auto& organisation : organisations) {
      if (organisation.id == incident.organisation_id) continue;
      Warning warning;
      warning.sectors = intersection(sectors_of(organisation), reporter_sectors);
      for (const auto& product : keys[i].products) {
        if (products_by_org[organisation.id].count(product) == 0) continue;
        std::string shown = product;
        std::replace(shown.begin(), shown.end(), '\x1f', ' ');
        warning.products.push_back(std::move(shown));
      }
      if (warning.sectors.empty() && warning.products.empty()) continue;
      warning.organisation_id = organisation.id;
      warning.incident_ref = incident_ref(incident);
      warning.indicators = indicators;
      warning.techniques = incident_techniques(incident);
      warning.observations = linked_observations[i];
      warning.related_incidents = linked_incidents[i];
      warning.detected_at = incident.detected_at;
      result.warnings.push_back(std::move(warning));
    }
  }
  std::stable_sort(result.warnings.begin(), result.warnings.end(),
                   [](const Warning& a, const Warning& b) {
                     if (a.organisation_id != b.organisation_id) {
                       return a.organisation_id < b.organisation_id;
                     }
                     return a.detected_at > b.detected_at;
                   });
  return result;
}

nlohmann::json to_json(const Link& link) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto reason : link.reasons) reasons.push_back(std::string(to_string(reason)));
  return {{"incident_id", link.incident_id}, {"target_kind", link.target_kind},
          {"target_id", link.target_id},     {"reasons", std::move(reasons)},
          {"matched", link.matched},         {"strength", link.strength}};
}

nlohmann::json to_json(const Warning& warning) {
  nlohmann::json indicators = nlohmann::json::array();
  for (const auto& indicator : warning.indicators) {
    indicators.push_back({{"type", std::string(to_string(indicator.type))},
                          {"value", indicator.value},
                          {"uncertain", indicator.uncertain}});
  }
  return {{"organisation_id", warning.organisation_id},
          {"incident_ref", warning.incident_ref},
          {"sectors", warning.sectors},
          {"products", warning.products},
          {"indicators", std::move(indicators)},
          {"techniques", warning.techniques},
          {"observations", warning.observations},
          {"related_incidents", warning.related_incidents},
          {"detected_at", format_rfc3339_seconds(warning.detected_at)}};
}

}  // namespace mamori::registry
