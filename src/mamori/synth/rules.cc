#include "mamori/synth/rules.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "mamori/synth/address_plan.h"
#include "mamori/synth/prng.h"

namespace mamori::synth {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool overlaps(const Prefix& a, const Prefix& b) {
  if (a.address().is_v4() != b.address().is_v4()) return false;
  return prefix_contains(a, b.address()) || prefix_contains(b, a.address());
}

// Ranges bench ip values must stay clear of: every pool synth draws from, and special-use
// space (RFC 6890) that real lists do not contain.
std::vector<Prefix> excluded_prefixes() {
  std::vector<Prefix> out;
  for (const auto& range : address_ranges()) out.push_back(*Prefix::parse(range.prefix));
  for (const char* text :
       {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3"}) {
    out.push_back(*Prefix::parse(text));
  }
  return out;
}

}  // namespace

std::string decode_pattern(std::string_view value) {
  if (value.substr(0, 4) != "hex:") return std::string(value);
  std::string out;
  int high = -1;
  for (const char c : value.substr(4)) {
    const int digit = hex_digit(c);
    if (digit < 0) continue;  // spaces between hex pairs
    if (high < 0) {
      high = digit;
    } else {
      out.push_back(static_cast<char>((high << 4) | digit));
      high = -1;
    }
  }
  return out;
}

RuleMatcher::RuleMatcher(std::span<const SynthRule> rules) {
  for (const auto& rule : rules) {
    Compiled compiled{rule.id, rule.kind, {}, {}, {}, {}};
    for (const auto& value : rule.values) {
      if (rule.kind == "ip") {
        if (auto prefix = Prefix::parse(value)) compiled.prefixes.push_back(*prefix);
      } else if (rule.kind == "domain") {
        std::string name = lower(value);
        if (name.starts_with("*.")) name.erase(0, 1);
        compiled.domains.push_back(std::move(name));
      } else if (rule.kind == "port") {
        std::uint8_t protocol = 0;
        std::string_view text = value;
        if (text.starts_with("tcp/")) protocol = 6;
        if (text.starts_with("udp/")) protocol = 17;
        if (protocol) text.remove_prefix(4);
        compiled.ports.emplace_back(protocol,
                                    static_cast<std::uint16_t>(std::stoul(std::string(text))));
      } else if (rule.kind == "bytes") {
        compiled.strings.push_back(decode_pattern(value));
      } else {
        compiled.strings.push_back(lower(value));
      }
    }
    rules_.push_back(std::move(compiled));
  }
}

bool RuleMatcher::domain_matches(const Compiled& rule, std::string_view name) {
  const std::string lowered = lower(name);
  for (const auto& domain : rule.domains) {
    if (domain.starts_with('.')) {
      if (lowered.size() > domain.size() && lowered.ends_with(domain)) return true;
    } else if (lowered == domain) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> RuleMatcher::match(const FlowFacts& facts) const {
  std::vector<std::string> out;
  for (const auto& rule : rules_) {
    bool hit = false;
    if (rule.kind == "ip") {
      hit = std::any_of(rule.prefixes.begin(), rule.prefixes.end(), [&](const Prefix& p) {
        return prefix_contains(p, facts.client) || prefix_contains(p, facts.server);
      });
    } else if (rule.kind == "domain") {
      hit = (!facts.sni.empty() && domain_matches(rule, facts.sni)) ||
            std::any_of(facts.http_hosts.begin(), facts.http_hosts.end(),
                        [&](const std::string& h) { return domain_matches(rule, h); }) ||
            std::any_of(facts.dns_names.begin(), facts.dns_names.end(),
                        [&](const std::string& n) { return domain_matches(rule, n); });
    } else if (rule.kind == "port") {
      const bool has_ports = facts.protocol == 6 || facts.protocol == 17;
      hit = has_ports && std::any_of(rule.ports.begin(), rule.ports.end(), [&](const auto& p) {
              return (p.first == 0 || p.first == facts.protocol) &&
                     (p.second == facts.client_port || p.second == facts.server_port);
            });
    } else if (rule.kind == "ja3") {
      hit = facts.tls && std::any_of(rule.strings.begin(), rule.strings.end(), [&](const auto& s) {
              return s == facts.tls->ja3_hash || s == facts.tls->ja3;
            });
    } else if (rule.kind == "ja4") {
      hit = facts.tls && std::any_of(rule.strings.begin(), rule.strings.end(),
                                     [&](const auto& s) { return s == facts.tls->ja4; });
    } else if (rule.kind == "bytes") {
      hit = std::any_of(rule.strings.begin(), rule.strings.end(), [&](const std::string& s) {
        return facts.client_payload.find(s) != std::string::npos ||
               facts.server_payload.find(s) != std::string::npos;
      });
    }
    if (hit) out.push_back(rule.id);
  }
  return out;
}

bool RuleMatcher::covers_address(const IpAddress& address) const {
  for (const auto& rule : rules_) {
    for (const auto& prefix : rule.prefixes) {
      if (prefix_contains(prefix, address)) return true;
    }
  }
  return false;
}

bool RuleMatcher::covers_domain(std::string_view name) const {
  return std::any_of(rules_.begin(), rules_.end(),
                     [&](const Compiled& rule) { return domain_matches(rule, name); });
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

Result<RulesetFiles> write_ruleset(const std::filesystem::path& path, std::string_view title,
                                   std::string_view header_comment,
                                   std::span<const SynthRule> rules) {
  RulesetFiles files{path, {}};
  std::string text;
  for (std::size_t start = 0; start < header_comment.size();) {
    const auto end = header_comment.find('\n', start);
    const auto line = header_comment.substr(
        start, end == std::string_view::npos ? std::string_view::npos : end - start);
    text += fmt::format("# {}\n", line);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  text += fmt::format("format = 1\nname = {}\n", toml_string(title));
  for (const auto& rule : rules) {
    text += fmt::format("\n[[rule]]\nid = {}\nkind = {}\n", toml_string(rule.id),
                        toml_string(rule.kind));
    if (!rule.description.empty()) {
      text += fmt::format("description = {}\n", toml_string(rule.description));
    }
    for (const auto& [name, value] : rule.params) text += fmt::format("{} = {}\n", name, value);
    if (!rule.params.empty() && rule.values.empty()) continue;
    if (!rule.values_file.empty()) {
      text += fmt::format("values_file = {}\n", toml_string(rule.values_file));
      const auto list_path = path.parent_path() / rule.values_file;
      std::string list =
          fmt::format("# {} values of rule '{}' ({})\n", rule.values.size(), rule.id, rule.kind);
      for (const auto& value : rule.values) {
        list += value;
        list += '\n';
      }
      std::ofstream out(list_path, std::ios::binary | std::ios::trunc);
      out << list;
      if (!out.good()) return fail("{}: cannot write rule list", list_path.string());
      files.lists.push_back(list_path);
    } else if (rule.kind == "port" && rule.values.size() == 1 &&
               rule.values[0].find('/') == std::string::npos) {
      text += fmt::format("value = {}\n", rule.values[0]);
    } else if (rule.values.size() == 1) {
      text += fmt::format("value = {}\n", toml_string(rule.values[0]));
    } else {
      text += "value = [";
      for (std::size_t i = 0; i < rule.values.size(); ++i) {
        text += (i ? ", " : "") + toml_string(rule.values[i]);
      }
      text += "]\n";
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.good()) return fail("{}: cannot write ruleset", path.string());
  return files;
}

std::vector<SynthRule> make_bench_rules(std::uint64_t seed, std::string_view file_stem,
                                        std::size_t ip_count, std::size_t domain_count,
                                        std::size_t pattern_count) {
  Rng rng(seed ^ hash_label("bench-rules"));
  const auto excluded = excluded_prefixes();
  const auto clear = [&](const Prefix& prefix) {
    return std::none_of(excluded.begin(), excluded.end(),
                        [&](const Prefix& e) { return overlaps(e, prefix); });
  };

  SynthRule ips{
      "bench-ips",
      "ip",
      fmt::format("{} synthetic IoC addresses and networks (match no generated traffic)", ip_count),
      {},
      fmt::format("{}.bench-ips.txt", file_stem)};
  std::set<std::string> seen;
  while (ips.values.size() < ip_count) {
    const auto roll = rng.below(100);
    Prefix prefix;
    if (roll < 85) {
      const auto address = IpAddress::v4(static_cast<std::uint32_t>(rng.next() >> 32));
      const int length = roll < 65 ? 32 : static_cast<int>(rng.between(16, 30));
      prefix = Prefix(address, length);
    } else {
      std::array<std::uint8_t, 16> bytes{};
      rng.fill(bytes);
      bytes[0] = static_cast<std::uint8_t>(0x20 + rng.below(12));  // 2000::/3 .. 2bff::
      const int length = roll < 95 ? 128 : static_cast<int>(rng.between(32, 64));
      prefix = Prefix(IpAddress::v6(bytes), length);
    }
    if (!clear(prefix)) continue;
    auto text = prefix.to_string();
    if (prefix.length() == prefix.address().family_bits()) text = prefix.address().to_string();
    if (seen.insert(text).second) ips.values.push_back(std::move(text));
  }

  static constexpr std::string_view kTlds[] = {"com", "net", "org", "info", "xyz", "top",
                                               "ru",  "cn",  "io",  "biz",  "cc",  "online"};
  static constexpr char kLetters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  const auto label = [&](std::size_t min, std::size_t max) {
    std::string out(static_cast<std::size_t>(rng.between(static_cast<std::int64_t>(min),
                                                         static_cast<std::int64_t>(max))),
                    'a');
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i] = kLetters[rng.below(i == 0 ? 26 : 36)];  // start with a letter
    }
    return out;
  };
  SynthRule domains{"bench-domains",
                    "domain",
                    fmt::format("{} synthetic IoC domains, exact and suffix", domain_count),
                    {},
                    fmt::format("{}.bench-domains.txt", file_stem)};
  seen.clear();
  while (domains.values.size() < domain_count) {
    // One draw per statement: operand evaluation order is unspecified in C++.
    std::string name = label(5, 14);
    name += "." + std::string(kTlds[rng.below(std::size(kTlds))]);
    const auto roll = rng.below(100);
    if (roll < 30) name = label(2, 8) + "." + name;
    if (roll >= 80) name = "." + name;  // suffix rule
    if (seen.insert(name).second) domains.values.push_back(std::move(name));
  }

  SynthRule patterns{"bench-bytes",
                     "bytes",
                     fmt::format("{} synthetic command and exploit byte patterns", pattern_count),
                     {},
                     fmt::format("{}.bench-bytes.txt", file_stem)};
  seen.clear();
  while (patterns.values.size() < pattern_count) {
    std::string value;
    if (rng.below(2) == 0) {
      value = label(6, 10);  // key=value-like literal, no blanks or '#'
      value += "=" + label(6, 16);
    } else {
      value = "hex:";
      const auto length = rng.between(8, 16);
      for (std::int64_t i = 0; i < length; ++i) value += fmt::format("{:02x}", rng.below(256));
    }
    if (seen.insert(value).second) patterns.values.push_back(std::move(value));
  }
  return {std::move(ips), std::move(domains), std::move(patterns)};
}

}  // namespace mamori::synth
