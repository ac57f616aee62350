#include "mamori/privacy/share.h"

#include <algorithm>
#include <utility>

#include "mamori/sieve/record_json.h"
#include "mamori/sieve/rule_value.h"

namespace mamori::privacy {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
// Valid record times end in 2262 and nanoseconds in 64 bits just after it: a window of at
// most 30 days keeps every bucket end and rounded-up last_seen representable.
constexpr Duration kMaxWindow = Duration::seconds(30 * 24 * 3600);

// Record times are ≥ 0 (validate_record), so plain remainder arithmetic rounds correctly.
Timestamp floor_to(Timestamp t, Duration window) { return {t.nanos - t.nanos % window.nanos}; }
Timestamp ceil_to(Timestamp t, Duration window) {
  const std::int64_t rest = t.nanos % window.nanos;
  return rest == 0 ? t : Timestamp{t.nanos - rest + window.nanos};
}

// Values copied from a record into shared output must be what the sieve writes there; any
// other text (a hand-made or damaged record) is dropped rather than passed on.
bool is_rule_id(std::string_view id) {
  if (id.empty() || id.size() > sieve::kMaxRuleIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}
bool is_ja3_hash(std::string_view text) {
  return text.size() == 32 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}
bool is_ja4(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Result<void> validate_share_options(const ShareOptions& options) {
  if (options.k < 2) {
    return fail("share: k must be at least 2 (got {}): one peer is a single party", options.k);
  }
  if (options.window.nanos <= 0 || options.window.nanos % kNanosPerSecond != 0) {
    return fail("share: window must be a positive whole number of seconds");
  }
  if (options.window > kMaxWindow) return fail("share: window must be at most 30d");
  for (std::size_t i = 1; i < options.peer_count_edges.size(); ++i) {
    if (options.peer_count_edges[i] <= options.peer_count_edges[i - 1]) {
      return fail("share: peer_count_edges[{}] must be greater than the edge before it", i);
    }
  }
  return {};
}

std::string peer_count_label(std::uint64_t count, const ShareOptions& options) {
  std::uint64_t low = options.k;
  for (std::uint64_t edge : options.peer_count_edges) {
    if (edge <= low) continue;  // edges at or below k (or the previous edge) add no range
    if (count < edge) return fmt::format("{}-{}", low, edge - 1);
    low = edge;
  }
  return fmt::format("{}+", low);
}

Result<ShareBuilder> ShareBuilder::create(ShareOptions options, const sieve::Ruleset* ruleset) {
  if (auto valid = validate_share_options(options); !valid) return fail(valid.error());
  ShareBuilder builder;
  builder.options_ = std::move(options);
  // Above the top edge the label no longer changes, so no peer set needs to grow past it.
  builder.peer_cap_ = builder.options_.k;
  for (std::uint64_t edge : builder.options_.peer_count_edges) {
    builder.peer_cap_ = std::max(builder.peer_cap_, edge);
  }
  if (ruleset == nullptr) return builder;
  auto rules = RuleIndex::create(*ruleset);
  if (!rules) return fail("share: {}", rules.error().message);
  builder.rules_ = std::move(*rules);
  return builder;
}

void ShareBuilder::add(const sieve::Record& record) {
  ++stats_.records;
  // Bucketing trusts the time range validate_record guarantees; the store only holds such
  // records, so a failure here is a caller's bug, counted rather than aggregated.
  if (!sieve::validate_record(record)) {
    ++stats_.records_invalid;
    return;
  }
  if (record.category == scope::Category::DD) {
    ++stats_.records_dd;
    return;
  }
  const std::size_t matches = std::min(record.matches.size(), sieve::kMaxMatches);
  for (std::size_t i = 0; i < matches; ++i) add_match(record, record.matches[i]);
}

void ShareBuilder::add_match(const sieve::Record& record, const sieve::Match& match) {
  using sieve::RuleKind;
  if (!is_rule_id(match.rule)) {
    ++stats_.matches_unattributed;
    return;
  }
  const RuleIndex::Rule* info = nullptr;
  if (rules_) {
    info = rules_->find(match.rule, match.kind);
    // A rule the ruleset lacks (or knows under another kind) means the records came from
    // another ruleset: guessing which endpoint matched could name a domestic address.
    if (info == nullptr) {
      ++stats_.matches_unattributed;
      return;
    }
  }
  // The domestic endpoint is the one whose identity I5 protects, so when there is one it is
  // always the peer, whatever the rule matched.
  const sieve::Endpoint* domestic = nullptr;
  const sieve::Endpoint* foreign = nullptr;
  if (record.category == scope::Category::FD) {
    domestic = &record.dst;
    foreign = &record.src;
  } else if (record.category == scope::Category::DF) {
    domestic = &record.src;
    foreign = &record.dst;
  }
  const sieve::Endpoint& peer = domestic != nullptr ? *domestic : record.src;
  Indicator indicator{match.rule, match.kind, std::nullopt};

  switch (match.kind) {
    case RuleKind::ip: {
      // A pseudonym is never a value, nor tested against the rule's prefixes (it could fall
      // into one by chance).
      auto listed = [&](const sieve::Endpoint& endpoint) {
        return !endpoint.pseudonymized() && RuleIndex::lists(*info, endpoint.ip);
      };
      if (domestic != nullptr) {
        // Only the foreign side is ever tested: the domestic one is never a value.
        const bool named = info == nullptr ? !foreign->pseudonymized() : listed(*foreign);
        if (named) indicator.value = foreign->ip.to_string();
        add_indicator(std::move(indicator), record, *domestic);
        return;
      }
      // FF: both ends foreign; without the ruleset there is no telling which one is listed.
      const bool src_listed = info != nullptr && listed(record.src);
      const bool dst_listed = info != nullptr && listed(record.dst);
      if (!src_listed && !dst_listed) {
        ++stats_.matches_unattributed;
        return;
      }
      if (src_listed) {
        Indicator side = indicator;
        side.value = record.src.ip.to_string();
        add_indicator(std::move(side), record, record.dst);
      }
      if (dst_listed) {
        indicator.value = record.dst.ip.to_string();
        add_indicator(std::move(indicator), record, record.src);
      }
      return;
    }
    case RuleKind::domain: {
      if (info == nullptr) {
        add_indicator(std::move(indicator), record, peer);
        return;
      }
      std::set<std::string> values;  // the rule values, never the observed names
      auto check = [&](std::string_view observed) {
        RuleIndex::domain_values(*info, observed, values);
      };
      for (const auto& dns : record.dns) check(dns.name);
      if (record.tls) check(record.tls->sni);
      for (const auto& http : record.http) check(http.host);
      if (values.empty()) {
        ++stats_.matches_unattributed;
        return;
      }
      for (const std::string& value : values) {
        Indicator named = indicator;
        named.value = value;
        add_indicator(std::move(named), record, peer);
      }
      return;
    }
    case RuleKind::ja3:
      if (record.tls && is_ja3_hash(record.tls->ja3_hash)) indicator.value = record.tls->ja3_hash;
      break;
    case RuleKind::ja4:
      if (record.tls && is_ja4(record.tls->ja4)) indicator.value = record.tls->ja4;
      break;
    case RuleKind::port:
    case RuleKind::bytes:
    case RuleKind::scan:
    case RuleKind::amplification:
    case RuleKind::beacon:
      break;
  }
  add_indicator(std::move(indicator), record, peer);
}

void ShareBuilder::add_indicator(Indicator indicator, const sieve::Record& record,
                                 const sieve::Endpoint& peer) {
  const Timestamp bucket = floor_to(record.first_seen, options_.window);
  Cell& cell = cells_[Key{std::move(indicator), bucket.nanos}];
  if (cell.flows == 0) {
    cell.first_seen = record.first_seen;
    cell.last_seen = record.last_seen;
  }
  ++cell.flows;
  cell.first_seen = std::min(cell.first_seen, record.first_seen);
  cell.last_seen = std::max(cell.last_seen, record.last_seen);
  const Peer peer_key{peer.pseudonym_epoch, peer.ip};
  if (cell.peers.size() < peer_cap_) cell.peers.insert(peer_key);

  auto tally = [&](Breakdown& breakdown) {
    ++breakdown.flows;
    if (breakdown.peers.size() < options_.k) breakdown.peers.insert(peer_key);
  };
  // The responder's port names the service; the initiator's is usually ephemeral and, with
  // the time, close to identifying the single flow.
  if (record.dst.port != 0) tally(cell.ports[record.dst.port]);
  tally(cell.protocols[record.protocol]);
  if (peer.country.known()) tally(cell.countries[peer.country.packed]);
}

std::vector<ShareAggregate> ShareBuilder::build() {
  stats_.aggregates_emitted = 0;
  stats_.aggregates_suppressed = 0;
  std::vector<ShareAggregate> out;
  for (const auto& [key, cell] : cells_) {
    if (cell.peers.size() < options_.k) {
      ++stats_.aggregates_suppressed;
      continue;
    }
    ShareAggregate aggregate;
    aggregate.indicator = std::get<0>(key);
    aggregate.bucket_start = Timestamp{std::get<1>(key)};
    aggregate.bucket_end = aggregate.bucket_start + options_.window;
    aggregate.first_seen = floor_to(cell.first_seen, options_.window);
    aggregate.last_seen = ceil_to(cell.last_seen, options_.window);
    aggregate.flows = cell.flows;
    aggregate.distinct_peers = peer_count_label(cell.peers.size(), options_);

    std::vector<std::pair<std::uint64_t, std::uint16_t>> ports;  // (flows, port)
    for (const auto& [port, breakdown] : cell.ports) {
      if (breakdown.peers.size() >= options_.k) ports.emplace_back(breakdown.flows, port);
    }
    // Keep the busiest ports; ties go to the lower port so the output is deterministic.
    std::sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    aggregate.ports_truncated = ports.size() > options_.max_ports;
    if (aggregate.ports_truncated) ports.resize(options_.max_ports);
    for (const auto& entry : ports) aggregate.ports.push_back(entry.second);
    std::sort(aggregate.ports.begin(), aggregate.ports.end());

    for (const auto& [protocol, breakdown] : cell.protocols) {
      if (breakdown.peers.size() >= options_.k) {
        aggregate.protocols.push_back(sieve::protocol_name(protocol));
      }
    }
    std::sort(aggregate.protocols.begin(), aggregate.protocols.end());
    for (const auto& [packed, breakdown] : cell.countries) {
      if (breakdown.peers.size() >= options_.k) {
        aggregate.peer_countries.push_back(scope::CountryCode{packed}.to_string());
      }
    }
    std::sort(aggregate.peer_countries.begin(), aggregate.peer_countries.end());
    ++stats_.aggregates_emitted;
    out.push_back(std::move(aggregate));
  }
  return out;
}

Result<std::vector<ShareAggregate>> build_shareable(std::span<const sieve::Record> records,
                                                    const ShareOptions& options,
                                                    const sieve::Ruleset* ruleset) {
  auto builder = ShareBuilder::create(options, ruleset);
  if (!builder) return fail(builder.error());
  builder->add(records);
  return builder->build();
}

nlohmann::json share_to_json(const ShareAggregate& aggregate, const ShareOptions& options) {
  nlohmann::json indicator = {{"rule", aggregate.indicator.rule},
                              {"kind", sieve::to_string(aggregate.indicator.kind)},
                              {"value", nullptr}};
  if (aggregate.indicator.value) indicator["value"] = *aggregate.indicator.value;
  return {
      {"kind", kShareKind},
      {"version", kShareVersion},
      {"provenance", kShareableProvenance},
      {"k", options.k},
      {"window_seconds", options.window.nanos / kNanosPerSecond},
      {"indicator", std::move(indicator)},
      {"bucket_start", format_rfc3339_seconds(aggregate.bucket_start)},
      {"bucket_end", format_rfc3339_seconds(aggregate.bucket_end)},
      {"first_seen", format_rfc3339_seconds(aggregate.first_seen)},
      {"last_seen", format_rfc3339_seconds(aggregate.last_seen)},
      {"flows", aggregate.flows},
      {"distinct_peers", aggregate.distinct_peers},
      {"ports", aggregate.ports},
      {"ports_truncated", aggregate.ports_truncated},
      {"protocols", aggregate.protocols},
      {"peer_countries", aggregate.peer_countries},
  };
}

}  // namespace mamori::privacy
