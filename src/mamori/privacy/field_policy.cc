#include "mamori/privacy/field_policy.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "mamori/sieve/behaviour_rule.h"

namespace mamori::privacy {
namespace {

constexpr std::array<std::string_view, 3> kClearNames = {"infrastructure", "foreign", "none"};

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(),
                    text.end() - static_cast<std::ptrdiff_t>(suffix.size()), [](char a, char b) {
                      const char lower =
                          (b >= 'A' && b <= 'Z') ? static_cast<char>(b - 'A' + 'a') : b;
                      return a == lower;
                    });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct ReverseName {
  IpAddress address;
  std::string_view zone;  // ".in-addr.arpa" or ".ip6.arpa"
};

// A reverse-lookup name for one whole address; partial names (a network) are left as they are.
std::optional<ReverseName> parse_reverse_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  constexpr std::string_view kV4Zone = ".in-addr.arpa";
  constexpr std::string_view kV6Zone = ".ip6.arpa";
  if (ends_with_ignoring_case(name, kV4Zone)) {
    name.remove_suffix(kV4Zone.size());
    std::array<std::uint8_t, 4> octets{};
    for (int i = 3; i >= 0; --i) {
      const std::size_t dot = name.find('.');
      const std::string_view label = name.substr(0, dot);
      unsigned value = 256;
      const auto [end, error] = std::from_chars(label.data(), label.data() + label.size(), value);
      if (label.empty() || label.size() > 3 || error != std::errc() ||
          end != label.data() + label.size() || value > 255) {
        return std::nullopt;
      }
      octets[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value);
      if ((dot == std::string_view::npos) != (i == 0)) return std::nullopt;
      if (dot != std::string_view::npos) name.remove_prefix(dot + 1);
    }
    return ReverseName{IpAddress::v4_bytes(octets), kV4Zone};
  }
  if (ends_with_ignoring_case(name, kV6Zone)) {
    name.remove_suffix(kV6Zone.size());
    if (name.size() != 63) return std::nullopt;  // 32 nibbles and 31 dots
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t nibble = 0; nibble < 32; ++nibble) {
      const int value = hex_value(name[nibble * 2]);
      if (value < 0 || (nibble < 31 && name[nibble * 2 + 1] != '.')) return std::nullopt;
      // The first label is the last nibble of the address.
      const std::size_t position = 31 - nibble;
      bytes[position / 2] |= static_cast<std::uint8_t>(position % 2 == 0 ? value << 4 : value);
    }
    return ReverseName{IpAddress::v6(bytes), kV6Zone};
  }
  return std::nullopt;
}

struct TextAddress {
  IpAddress address;
  std::string prefix;  // "[" for bracketed IPv6
  std::string rest;    // "]:443", ":8080" or ""
};

// An IP literal as HTTP Host or TLS SNI: "192.0.2.1", "192.0.2.1:8080", "[2001:db8::1]:443",
// "2001:db8::1". Names are left alone.
std::optional<TextAddress> parse_text_address(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto address = IpAddress::parse(text.substr(1, close - 1));
    if (!address) return std::nullopt;
    return TextAddress{*address, "[", std::string(text.substr(close))};
  }
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    auto address = IpAddress::parse(text.substr(0, colon));
    if (!address) return std::nullopt;
    return TextAddress{*address, "", std::string(text.substr(colon))};
  }
  auto address = IpAddress::parse(text);
  if (!address) return std::nullopt;
  return TextAddress{*address, "", ""};
}

}  // namespace

std::string_view to_string(ClearAddresses clear) {
  return kClearNames[static_cast<std::size_t>(clear)];
}

Result<ClearAddresses> parse_clear_addresses(std::string_view text) {
  for (std::size_t i = 0; i < kClearNames.size(); ++i) {
    if (kClearNames[i] == text) return static_cast<ClearAddresses>(i);
  }
  return fail(
      "expected \"infrastructure\", \"foreign\" or \"none\" (domestic addresses are always "
      "pseudonymized)");
}

FieldPolicy FieldPolicy::create(ClearAddresses clear, const sieve::CompiledRuleset& rules,
                                const scope::Classifier& classifier, Pseudonymizer pseudonymizer) {
  return FieldPolicy(clear, rules, classifier, std::move(pseudonymizer));
}

FieldPolicy::FieldPolicy(ClearAddresses clear, const sieve::CompiledRuleset& rules,
                         const scope::Classifier& classifier, Pseudonymizer pseudonymizer)
    : clear_(clear),
      rules_(&rules),
      classifier_(&classifier),
      pseudonymizer_(std::move(pseudonymizer)) {}

bool FieldPolicy::record_matched_any(const sieve::Record& record,
                                     const sieve::MatchSet& candidates) const {
  const std::size_t matches = std::min(record.matches.size(), sieve::kMaxMatches);
  for (const sieve::RuleIndex rule : candidates.rules()) {
    for (std::size_t i = 0; i < matches; ++i) {
      const sieve::Match& match = record.matches[i];
      if (match.kind == rules_->rule_kind(rule) && match.rule == rules_->rule_id(rule)) {
        return true;
      }
    }
  }
  return false;
}

bool FieldPolicy::is_infrastructure(const sieve::Record& record, const sieve::Endpoint& endpoint,
                                    bool responder) const {
  // A rule counts only if the record matched it and it matches this endpoint (or the name the
  // flow gave it): a match of another ruleset's rule id keeps nothing clear.
  sieve::MatchSet candidates;
  rules_->match_ip(endpoint.ip, candidates);
  if (responder) {
    if (record.tls) rules_->match_domain(record.tls->sni, candidates);
    for (const auto& http : record.http) rules_->match_domain(http.host, candidates);
  } else if (record.tls) {
    // The client software's fingerprint names the initiator.
    rules_->match_ja3(record.tls->ja3_hash, candidates);
    rules_->match_ja4(record.tls->ja4, candidates);
  }
  return record_matched_any(record, candidates) || behaviour_subject(record, responder);
}

bool FieldPolicy::behaviour_subject(const sieve::Record& record, bool responder) const {
  const std::size_t matches = std::min(record.matches.size(), sieve::kMaxMatches);
  for (std::size_t i = 0; i < matches; ++i) {
    const sieve::Match& match = record.matches[i];
    if (!sieve::is_behaviour(match.kind)) continue;
    const auto rule = rules_->find_rule(match.rule);
    if (!rule || rules_->rule_kind(*rule) != match.kind) continue;  // not this ruleset's rule
    switch (match.kind) {
      case sieve::RuleKind::scan:  // the scanning source
        if (!responder) return true;
        break;
      case sieve::RuleKind::beacon:  // the server the implant calls
        if (responder) return true;
        break;
      case sieve::RuleKind::amplification: {
        // The reflector is the side on a listed service port; the other side is the victim,
        // never infrastructure. When both or neither side is on one, nothing stays clear.
        const auto thresholds = sieve::amplification_thresholds(rules_->behaviour_values(*rule));
        if (!thresholds) break;
        const auto listed = [&](std::uint16_t port) {
          return std::find(thresholds->ports.begin(), thresholds->ports.end(), port) !=
                 thresholds->ports.end();
        };
        const bool mine = listed(responder ? record.dst.port : record.src.port);
        const bool theirs = listed(responder ? record.src.port : record.dst.port);
        if (mine && !theirs) return true;
        break;
      }
      default:
        break;
    }
  }
  return false;
}

bool FieldPolicy::answers_stay_clear(const sieve::Record& record,
                                     const sieve::DnsEntry& entry) const {
  if (clear_ == ClearAddresses::none || entry.answers.empty()) return false;
  for (const IpAddress& answer : entry.answers) {
    if (classifier_->is_domestic(answer)) return false;
  }
  if (clear_ == ClearAddresses::foreign) return true;
  // The answers of a name a domain rule of the record matched are that name's servers.
  sieve::MatchSet names;
  rules_->match_domain(entry.name, names);
  if (record_matched_any(record, names)) return true;
  return std::all_of(entry.answers.begin(), entry.answers.end(), [&](const IpAddress& answer) {
    sieve::MatchSet listed;
    rules_->match_ip(answer, listed);
    return record_matched_any(record, listed);
  });
}

void FieldPolicy::pseudonymize_endpoint(sieve::Endpoint& endpoint) {
  const Pseudonym pseudonym = pseudonymizer_.pseudonymize(endpoint.ip);
  endpoint.ip = pseudonym.address;
  endpoint.pseudonym_epoch = pseudonym.epoch;
  ++stats_.pseudonymized;
}

void FieldPolicy::pseudonymize_text_address(std::string& text, const sieve::Endpoint& dst) {
  auto literal = parse_text_address(text);
  if (!literal) return;
  // The responder's own address, kept clear as infrastructure, may stay clear in its name.
  if (!dst.pseudonymized() && literal->address == dst.ip) return;
  const Pseudonym pseudonym = pseudonymizer_.pseudonymize(literal->address);
  text = literal->prefix + to_string(pseudonym) + literal->rest;
  ++stats_.pseudonymized;
}

void FieldPolicy::pseudonymize_reverse_name(std::string& name) {
  auto reverse = parse_reverse_name(name);
  if (!reverse) return;
  const bool domestic = classifier_->is_domestic(reverse->address);
  if (!domestic && clear_ == ClearAddresses::foreign) return;
  const Pseudonym pseudonym = pseudonymizer_.pseudonymize(reverse->address);
  name = to_string(pseudonym) + std::string(reverse->zone);
  ++stats_.pseudonymized;
}

void FieldPolicy::apply(sieve::Record& record) {
  ++stats_.records;
  // Decide everything on the clear record first: the rules refer to clear addresses and names.
  auto keeps_clear = [&](const sieve::Endpoint& endpoint, bool domestic_by_category,
                         bool responder) {
    if (endpoint.pseudonymized()) return true;  // already done
    if (domestic_by_category || classifier_->is_domestic(endpoint.ip)) return false;
    switch (clear_) {
      case ClearAddresses::foreign:
        ++stats_.clear_foreign;
        return true;
      case ClearAddresses::infrastructure:
        if (is_infrastructure(record, endpoint, responder)) {
          ++stats_.clear_infrastructure;
          return true;
        }
        return false;
      case ClearAddresses::none:
        return false;
    }
    return false;
  };
  const bool src_clear = keeps_clear(record.src, record.category == scope::Category::DF, false);
  const bool dst_clear = keeps_clear(record.dst, record.category == scope::Category::FD, true);
  std::vector<bool> answers_clear(record.dns.size(), true);
  for (std::size_t i = 0; i < record.dns.size(); ++i) {
    const sieve::DnsEntry& entry = record.dns[i];
    answers_clear[i] = entry.answers_pseudonym_epoch != 0 || answers_stay_clear(record, entry);
  }

  if (!src_clear) pseudonymize_endpoint(record.src);
  if (!dst_clear) pseudonymize_endpoint(record.dst);
  for (std::size_t i = 0; i < record.dns.size(); ++i) {
    sieve::DnsEntry& entry = record.dns[i];
    if (!answers_clear[i]) {
      for (IpAddress& answer : entry.answers) {
        answer = pseudonymizer_.pseudonymize(answer).address;
        ++stats_.pseudonymized;
      }
      entry.answers_pseudonym_epoch = pseudonymizer_.current_epoch();
    }
    pseudonymize_reverse_name(entry.name);
  }
  if (record.tls) pseudonymize_text_address(record.tls->sni, record.dst);
  for (auto& http : record.http) pseudonymize_text_address(http.host, record.dst);
}

}  // namespace mamori::privacy
