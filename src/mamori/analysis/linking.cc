// Links between servers (shared infrastructure): JA3/JA4 fingerprints, SNI/Host names and
// their parent domains, and /24 (IPv4) or /48 (IPv6) prefixes that a server shares with known
// or suspicious servers. Sets ServerScore::shared_* and emits the shared_* findings. Autonomous
// systems are not available: records carry no ASN (README.md, "Limits").

#include <algorithm>
#include <map>

#include "mamori/analysis/scoring.h"
#include "mamori/sieve/record.h"

namespace mamori::analysis::detail {
namespace {

template <std::size_t N>
void add_to_groups(Scoring& sc, std::uint32_t server, const TopIds<N>& ids) {
  const ServerScore& ss = sc.servers[server];
  const bool known = ss.known || ss.implant;
  const bool suspicious = ss.suspicious(sc.options.suspicious_score);
  for (const auto& item : ids.items) {
    if (item.id == kNone) continue;
    StringGroup& g = sc.strings[item.id];
    g.servers.push_back(server);
    g.counts.push_back(item.count);
    g.records += item.count;
    if (known) {
      g.known_records += item.count;
      ++g.known_servers;
    }
    if (suspicious) {
      g.suspicious_records += item.count;
      ++g.suspicious_servers;
    }
  }
}

Timestamp first_of(const Scoring& sc, const std::vector<std::uint32_t>& servers) {
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  for (std::uint32_t i : servers) first = std::min(first, sc.state.servers[i].first);
  return Timestamp{servers.empty() ? 0 : first};
}

void set_group_span(const Scoring& sc, Finding& f, const std::vector<std::uint32_t>& servers) {
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  std::int64_t expires = 0;
  for (std::uint32_t i : servers) {
    last = std::max(last, sc.state.servers[i].last);
    expires = std::max(expires, sc.state.servers[i].expires);
  }
  f.first_seen = first_of(sc, servers);
  f.last_seen = Timestamp{servers.empty() ? 0 : last};
  f.expires_at = Timestamp{expires};
}

std::string member_list(const Scoring& sc, const std::vector<std::uint32_t>& servers) {
  std::string out;
  for (std::size_t i = 0; i < servers.size() && i < 8; ++i) {
    if (!out.empty()) out += ' ';
    out += sc.servers[servers[i]].subject;
  }
  if (servers.size() > 8) out += " …";
  return out;
}

void link_fingerprints(Scoring& sc) {
  const Analyzer::State& s = sc.state;
  for (std::uint32_t id = 0; id < sc.strings.size(); ++id) {
    const std::string& key = s.string_index.key(id);
    if (key[0] == 'n') continue;
    const StringGroup& g = sc.strings[id];
    if (g.known_servers == 0 || g.servers.size() < 2) continue;
    const std::string subject =
        std::string(key[0] == '3' ? "ja3:" : "ja4:") + std::string(string_text(s, id));
    const double known_share =
        static_cast<double>(g.known_records) / static_cast<double>(g.records);
    const double specificity =
        static_cast<double>(g.suspicious_records) / static_cast<double>(g.records);
    Finding f = unnamed_finding(
        FindingKind::shared_fingerprint, subject,
        50.0 * known_share + 50.0 * g.suspicious_servers / static_cast<double>(g.servers.size()),
        specificity * (1.0 - 1.0 / static_cast<double>(g.servers.size())));
    set_group_span(sc, f, g.servers);
    f.evidence = evidence_of(s.strings[id].evidence);
    f.evidence_total = g.records;
    f.details = {{"servers", static_cast<double>(g.servers.size())},
                 {"known_servers", static_cast<double>(g.known_servers)},
                 {"suspicious_servers", static_cast<double>(g.suspicious_servers)},
                 {"records", static_cast<double>(g.records)},
                 {"specificity", specificity},
                 {"covered_by_rule", s.strings[id].covered ? 1.0 : 0.0},
                 {"members", 0, member_list(sc, g.servers)}};
    // Each unknown member: the share of the fingerprint's records that went to known C2
    // (other servers), so a fingerprint mostly seen towards one popular server links weakly;
    // and a popular server's clients' fingerprint is a popular client's, so it is discounted
    // like periodicity.
    const std::string link_id = finding_id(f.kind, f.subject);
    for (std::uint32_t server : g.servers) {
      ServerScore& ss = sc.servers[server];
      if (ss.known || ss.implant) continue;
      const double link = known_share * ss.popularity;
      if (link > ss.shared_fingerprint) ss.shared_fingerprint = link;
      if (link > 0) ss.links.push_back(link_id);
    }
    sc.findings.push_back(std::move(f));
  }
}

void link_names(Scoring& sc) {
  const Analyzer::State& s = sc.state;
  std::map<std::string, SuffixGroup, std::less<>> suffixes;
  for (std::uint32_t id = 0; id < sc.strings.size(); ++id) {
    const std::string& key = s.string_index.key(id);
    if (key[0] != 'n') continue;
    const StringGroup& g = sc.strings[id];
    const std::string_view name = string_text(s, id);
    if (const std::string_view suffix = name_suffix(name); !suffix.empty()) {
      SuffixGroup& sg = suffixes[std::string(suffix)];
      sg.names.push_back(id);
      sg.servers.insert(sg.servers.end(), g.servers.begin(), g.servers.end());
      if (s.strings[id].covered) ++sg.covered_names;
    }
    if (g.servers.size() < 2 || g.suspicious_servers == 0) continue;
    Finding f =
        unnamed_finding(FindingKind::shared_sni, std::string(name),
                        100.0 * g.suspicious_servers / static_cast<double>(g.servers.size()),
                        1.0 - 1.0 / static_cast<double>(g.servers.size()));
    set_group_span(sc, f, g.servers);
    f.evidence = evidence_of(s.strings[id].evidence);
    f.evidence_total = g.records;
    f.details = {{"servers", static_cast<double>(g.servers.size())},
                 {"known_servers", static_cast<double>(g.known_servers)},
                 {"suspicious_servers", static_cast<double>(g.suspicious_servers)},
                 {"members", 0, member_list(sc, g.servers)}};
    for (std::uint32_t server : g.servers) {
      ServerScore& ss = sc.servers[server];
      const std::uint32_t self = (ss.known || ss.implant) ? 1 : 0;
      if (ss.known || g.known_servers <= self) continue;
      ss.shared_name = 1.0;
      ss.links.push_back(finding_id(f.kind, f.subject));
    }
    sc.findings.push_back(std::move(f));
  }

  for (auto& [suffix, sg] : suffixes) {
    std::sort(sg.servers.begin(), sg.servers.end());
    sg.servers.erase(std::unique(sg.servers.begin(), sg.servers.end()), sg.servers.end());
    for (std::uint32_t server : sg.servers) {
      if (sc.servers[server].known || sc.servers[server].implant) ++sg.known_servers;
      if (sc.servers[server].suspicious(sc.options.suspicious_score)) ++sg.suspicious_servers;
    }
    if (sg.suspicious_servers > 0 && (sg.names.size() >= 3 || sg.servers.size() >= 2)) {
      Finding f =
          unnamed_finding(FindingKind::shared_domain_suffix, "." + suffix,
                          50.0 * sg.suspicious_servers /
                                  static_cast<double>(std::max<std::size_t>(1, sg.servers.size())) +
                              50.0 * std::min(1.0, static_cast<double>(sg.names.size()) / 8.0),
                          1.0 - 1.0 / static_cast<double>(sg.names.size() + 1));
      set_group_span(sc, f, sg.servers);
      std::vector<const Evidence*> lists;
      std::uint64_t total = 0;
      for (std::uint32_t name : sg.names) {
        lists.push_back(&s.strings[name].evidence);
        total += sc.strings[name].records;
      }
      f.evidence = merge_evidence(lists);
      f.evidence_total = total;
      f.details = {{"names", static_cast<double>(sg.names.size())},
                   {"servers", static_cast<double>(sg.servers.size())},
                   {"known_servers", static_cast<double>(sg.known_servers)},
                   {"suspicious_servers", static_cast<double>(sg.suspicious_servers)},
                   {"covered_names", static_cast<double>(sg.covered_names)},
                   {"members", 0, member_list(sc, sg.servers)}};
      for (std::uint32_t server : sg.servers) {
        ServerScore& ss = sc.servers[server];
        const std::uint32_t self = (ss.known || ss.implant) ? 1 : 0;
        if (ss.known || sg.known_servers <= self) continue;
        ss.shared_name = 1.0;
        ss.links.push_back(finding_id(f.kind, f.subject));
      }
      sc.findings.push_back(std::move(f));
    }
    sc.suffixes.emplace_back(suffix, std::move(sg));
  }
}

struct PrefixKey {
  Prefix prefix;
  std::uint32_t epoch = 0;
  auto operator<=>(const PrefixKey&) const = default;
};

void link_prefixes(Scoring& sc) {
  const Analyzer::State& s = sc.state;
  std::map<PrefixKey, std::vector<std::uint32_t>> groups;
  for (std::uint32_t i = 0; i < sc.servers.size(); ++i) {
    const EndpointKey& key = s.server_index.key(i);
    const IpAddress address = key.address();
    groups[{Prefix(address, address.is_v4() ? 24 : 48), key.epoch}].push_back(i);
  }
  for (const auto& [key, members] : groups) {
    if (members.size() < 2) continue;
    std::uint32_t known = 0;
    std::uint32_t suspicious = 0;
    for (std::uint32_t i : members) {
      known += (sc.servers[i].known || sc.servers[i].implant) ? 1 : 0;
      suspicious += sc.servers[i].suspicious(sc.options.suspicious_score) ? 1 : 0;
    }
    if (suspicious < 2) continue;
    Finding f =
        unnamed_finding(FindingKind::shared_prefix, sieve::prefix_text(key.prefix, key.epoch),
                        50.0 * std::min(1.0, suspicious / 4.0) + (known > 0 ? 50.0 : 0.0),
                        1.0 - 1.0 / static_cast<double>(suspicious));
    set_group_span(sc, f, members);
    std::vector<const Evidence*> lists;
    std::uint64_t total = 0;
    for (std::uint32_t i : members) {
      if (!sc.servers[i].suspicious(sc.options.suspicious_score)) continue;
      lists.push_back(&s.servers[i].evidence);
      total += s.servers[i].records;
    }
    f.evidence = merge_evidence(lists);
    f.evidence_total = total;
    f.details = {{"servers", static_cast<double>(members.size())},
                 {"suspicious_servers", static_cast<double>(suspicious)},
                 {"known_servers", static_cast<double>(known)},
                 {"members", 0, member_list(sc, members)}};
    for (std::uint32_t i : members) {
      ServerScore& ss = sc.servers[i];
      const bool self_known = ss.known || ss.implant;
      const bool self_suspicious = ss.suspicious(sc.options.suspicious_score);
      double link = 0;
      if (known > (self_known ? 1u : 0u)) {
        link = 1.0;
      } else if (suspicious - (self_suspicious ? 1u : 0u) >= 2) {
        link = 0.5;
      }
      if (link > 0 && !self_known) {
        ss.shared_prefix = std::max(ss.shared_prefix, link);
        ss.links.push_back(finding_id(f.kind, f.subject));
      }
    }
    sc.findings.push_back(std::move(f));
  }
}

}  // namespace

void link_servers(Scoring& sc) {
  const Analyzer::State& s = sc.state;
  sc.strings.assign(s.strings.size(), StringGroup{});
  for (std::uint32_t i = 0; i < sc.servers.size(); ++i) {
    add_to_groups(sc, i, s.servers[i].ja3);
    add_to_groups(sc, i, s.servers[i].ja4);
    add_to_groups(sc, i, s.servers[i].names);
  }
  link_fingerprints(sc);
  link_names(sc);
  link_prefixes(sc);
}

}  // namespace mamori::analysis::detail
