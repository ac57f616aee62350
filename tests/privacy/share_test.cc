// Shareable aggregates (提供用選別後情報): the k threshold on the aggregate and on each port,
// protocol and country; what may never appear in the output (peer addresses, initiator ports,
// times finer than the bucket, observed names below a suffix rule); bucketing; indicator
// attribution with and without the ruleset; option validation.

#include "mamori/privacy/share.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mamori::privacy {
namespace {

using scope::Category;
using scope::CountryCode;
using sieve::Match;
using sieve::Record;
using sieve::RuleKind;

// 2026-11-22T00:00:00Z, a whole hour.
constexpr Timestamp kHour0 = Timestamp::from_seconds(1'795'305'600);
constexpr Duration kHour = Duration::seconds(3600);

IpAddress ip(const std::string& text) { return IpAddress::parse(text).value(); }

// A domestic victim 10.0.0.<n> (an address that, pseudonymized or not, must never be shared).
std::string victim(int n) { return fmt::format("10.0.0.{}", n); }

Record record(Category category, const std::string& src, std::uint16_t src_port,
              const std::string& dst, std::uint16_t dst_port, Timestamp first_seen,
              std::vector<Match> matches) {
  static int flow = 0;
  Record r;
  r.sensor = "tokyo-1";
  r.flow_id = fmt::format("{:032x}", ++flow);
  r.category = category;
  r.first_seen = first_seen;
  r.last_seen = first_seen + Duration::seconds(2);
  r.protocol = 6;
  r.src = {ip(src), src_port, CountryCode::from(category == Category::DF ? "JP" : "US")};
  r.dst = {ip(dst), dst_port, CountryCode::from(category == Category::FD ? "JP" : "US")};
  r.packets = {3, 2};
  r.bytes = {180, 120};
  r.matches = std::move(matches);
  return r;
}

Match match(const std::string& rule, RuleKind kind) { return Match{rule, kind, {}}; }

// Domestic victim n (DF) beaconing from an ephemeral port to the C2 198.51.100.7:443.
Record beacon(int n, Timestamp at, std::uint16_t src_port = 50000) {
  return record(Category::DF, victim(n), static_cast<std::uint16_t>(src_port + n), "198.51.100.7",
                443, at + Duration::seconds(17 * n + 3), {match("c2-ips", RuleKind::ip)});
}

ShareOptions options(std::uint32_t k = 5) {
  ShareOptions o;
  o.window = kHour;
  o.k = k;
  return o;
}

std::vector<ShareAggregate> build(const std::vector<Record>& records, const ShareOptions& o,
                                  const sieve::Ruleset* ruleset = nullptr) {
  auto out = build_shareable(records, o, ruleset);
  EXPECT_TRUE(out.has_value()) << out.error().message;
  return out.value_or(std::vector<ShareAggregate>{});
}

sieve::Rule rule(const std::string& id, RuleKind kind, std::vector<std::string> values) {
  sieve::Rule r;
  r.id = id;
  r.kind = kind;
  r.values = std::move(values);
  return r;
}

sieve::Ruleset ruleset() {
  sieve::Ruleset rules;
  rules.path = "rules.toml";
  rules.rules.push_back(rule("c2-ips", RuleKind::ip, {"198.51.100.0/24"}));
  rules.rules.push_back(rule("scanners", RuleKind::ip, {"203.0.113.9/32"}));
  rules.rules.push_back(rule("c2-domains", RuleKind::domain, {".evil.example", "c2.example"}));
  rules.rules.push_back(rule("bad-ja3", RuleKind::ja3, {std::string(32, 'a')}));
  return rules;
}

TEST(Share, Invariant_I5_KMinusOneDistinctPeersEmitsNothing) {
  std::vector<Record> records;
  for (int n = 1; n <= 4; ++n) records.push_back(beacon(n, kHour0));
  auto builder = ShareBuilder::create(options(5));
  ASSERT_TRUE(builder.has_value());
  builder->add(records);
  EXPECT_TRUE(builder->build().empty());
  EXPECT_EQ(builder->stats().aggregates_suppressed, 1u);
  EXPECT_EQ(builder->stats().aggregates_emitted, 0u);
}

TEST(Share, Invariant_I5_KDistinctPeersEmittedWithoutPeerOrExactTime) {
  std::vector<Record> records;
  for (int n = 1; n <= 5; ++n) records.push_back(beacon(n, kHour0));
  const auto out = build(records, options(5));
  ASSERT_EQ(out.size(), 1u);
  const ShareAggregate& a = out[0];
  EXPECT_EQ(a.indicator, (Indicator{"c2-ips", RuleKind::ip, "198.51.100.7"}));
  EXPECT_EQ(a.bucket_start, kHour0);
  EXPECT_EQ(a.bucket_end, kHour0 + kHour);
  EXPECT_EQ(a.first_seen, kHour0);
  EXPECT_EQ(a.last_seen, kHour0 + kHour);
  EXPECT_EQ(a.flows, 5u);
  EXPECT_EQ(a.distinct_peers, "5-9");
  EXPECT_EQ(a.ports, std::vector<std::uint16_t>{443});
  EXPECT_EQ(a.protocols, std::vector<std::string>{"tcp"});
  EXPECT_EQ(a.peer_countries, std::vector<std::string>{"JP"});

  const nlohmann::json json = share_to_json(a, options(5));
  const std::string text = json.dump();
  EXPECT_EQ(json["provenance"], "shareable");
  EXPECT_EQ(json["kind"], "mamori-shareable-aggregate");
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["k"], 5);
  EXPECT_EQ(json["window_seconds"], 3600);
  for (const Record& r : records) {
    EXPECT_EQ(text.find(r.src.ip.to_string()), std::string::npos) << text;
    EXPECT_EQ(text.find(std::to_string(r.src.port)), std::string::npos) << text;
    // No record time, to the second, appears; every emitted time is on the hour grid.
    EXPECT_EQ(text.find(format_rfc3339_seconds(r.first_seen)), std::string::npos) << text;
    EXPECT_EQ(text.find(format_rfc3339_seconds(r.last_seen)), std::string::npos) << text;
  }
  for (const char* key : {"bucket_start", "bucket_end", "first_seen", "last_seen"}) {
    const auto t = parse_rfc3339(json[key].get<std::string>());
    ASSERT_TRUE(t.has_value()) << key;
    EXPECT_EQ(t->nanos % kHour.nanos, 0) << key;
  }
  EXPECT_EQ(json["bucket_start"], "2026-11-22T00:00:00Z");
}

TEST(Share, JsonHasExactlyTheDocumentedKeys) {
  std::vector<Record> records;
  for (int n = 1; n <= 5; ++n) records.push_back(beacon(n, kHour0));
  const auto out = build(records, options(5));
  ASSERT_EQ(out.size(), 1u);
  const nlohmann::json json = share_to_json(out[0], options(5));
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "bucket_end", "bucket_start", "distinct_peers", "first_seen", "flows",
                      "indicator", "k", "kind", "last_seen", "peer_countries", "ports",
                      "ports_truncated", "protocols", "provenance", "version", "window_seconds"}));
  EXPECT_EQ(json["indicator"],
            (nlohmann::json{{"rule", "c2-ips"}, {"kind", "ip"}, {"value", "198.51.100.7"}}));
}

TEST(Share, Invariant_I5_RepeatedFlowsFromOnePeerCountOnce) {
  std::vector<Record> records;
  for (int n = 1; n <= 4; ++n) records.push_back(beacon(n, kHour0));
  for (int i = 0; i < 10; ++i) records.push_back(beacon(1, kHour0, static_cast<std::uint16_t>(i)));
  EXPECT_TRUE(build(records, options(5)).empty());

  records.push_back(beacon(5, kHour0));
  const auto out = build(records, options(5));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].flows, 15u);  // flows are exact; peers are not
  EXPECT_EQ(out[0].distinct_peers, "5-9");
}

TEST(Share, RecordAtBucketEndBelongsToTheNextBucket) {
  std::vector<Record> records;
  for (int n = 1; n <= 5; ++n) {
    Record early = beacon(n, kHour0);
    early.first_seen = kHour0 + kHour - Duration{1'000};  // last microsecond of hour 0
    early.last_seen = early.first_seen;
    records.push_back(early);
    Record late = beacon(n + 10, kHour0);
    late.first_seen = kHour0 + kHour;  // exactly the end of hour 0
    late.last_seen = late.first_seen;
    records.push_back(late);
  }
  const auto out = build(records, options(5));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bucket_start, kHour0);
  EXPECT_EQ(out[0].last_seen, kHour0 + kHour);
  EXPECT_EQ(out[1].bucket_start, kHour0 + kHour);
  EXPECT_EQ(out[1].first_seen, kHour0 + kHour);
  EXPECT_EQ(out[1].last_seen, kHour0 + kHour);  // already on the grid: not rounded further
  EXPECT_EQ(out[0].flows, 5u);
  EXPECT_EQ(out[1].flows, 5u);
}

TEST(Share, Invariant_I5_PeersInDifferentBucketsAreNotPooled) {
  // 4 peers in hour 0 and a fifth in hour 1: five in all, but no bucket has k.
  std::vector<Record> records;
  for (int n = 1; n <= 4; ++n) records.push_back(beacon(n, kHour0));
  records.push_back(beacon(5, kHour0 + kHour));
  EXPECT_TRUE(build(records, options(5)).empty());
}

TEST(Share, LongFlowRoundsLastSeenUpPastTheBucket) {
  std::vector<Record> records;
  for (int n = 1; n <= 5; ++n) records.push_back(beacon(n, kHour0));
  records[2].last_seen = kHour0 + kHour + Duration::seconds(90);
  const auto out = build(records, options(5));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bucket_end, kHour0 + kHour);
  EXPECT_EQ(out[0].last_seen, kHour0 + kHour + kHour);
}

TEST(Share, Invariant_I5_CountryBelowKIsSuppressed) {
  // FF scan from the listed 203.0.113.9 to foreign targets: five in US, one in IS. The one
  // Icelandic target would be singled out by its country.
  const sieve::Ruleset rules = ruleset();
  std::vector<Record> records;
  for (int n = 1; n <= 6; ++n) {
    Record r = record(Category::FF, "203.0.113.9", 40000, fmt::format("192.0.2.{}", n), 23,
                      kHour0 + Duration::seconds(n), {match("scanners", RuleKind::ip)});
    r.dst.country = CountryCode::from(n == 6 ? "IS" : "US");
    records.push_back(r);
  }
  const auto out = build(records, options(5), &rules);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].indicator, (Indicator{"scanners", RuleKind::ip, "203.0.113.9"}));
  EXPECT_EQ(out[0].peer_countries, std::vector<std::string>{"US"});
  EXPECT_EQ(out[0].distinct_peers, "5-9");
  const std::string text = share_to_json(out[0], options(5)).dump();
  EXPECT_EQ(text.find("IS"), std::string::npos);
  EXPECT_EQ(text.find("192.0.2."), std::string::npos);
}

TEST(Share, Invariant_I5_PortsOnlyFromServiceSideAndBackedByK) {
  std::vector<Record> records;
  for (int n = 1; n <= 5; ++n) records.push_back(beacon(n, kHour0));
  // One victim also reaches the C2 on 8443 (and over UDP): one peer, so neither is shared.
  Record odd = beacon(1, kHour0);
  odd.dst.port = 8443;
  records.push_back(odd);
  Record udp = beacon(2, kHour0);
  udp.protocol = 17;
  udp.dst.port = 53;
  records.push_back(udp);
  const auto out = build(records, options(5));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ports, std::vector<std::uint16_t>{443});
  EXPECT_FALSE(out[0].ports_truncated);
  EXPECT_EQ(out[0].protocols, std::vector<std::string>{"tcp"});
  EXPECT_EQ(out[0].flows, 7u);
}

TEST(Share, PortsKeepTheBusiestWhenCapped) {
  ShareOptions o = options(2);
  o.max_ports = 2;
  std::vector<Record> records;
  // Ports 80 (2 flows), 8080 (4 flows), 443 (6 flows), each from the same two victims.
  for (const auto& [port, flows] : {std::pair{80, 1}, std::pair{8080, 2}, std::pair{443, 3}}) {
    for (int i = 0; i < flows; ++i) {
      for (int n = 1; n <= 2; ++n) {
        Record r = beacon(n, kHour0);
        r.dst.port = static_cast<std::uint16_t>(port);
        records.push_back(r);
      }
    }
  }
  const auto out = build(records, o);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ports, (std::vector<std::uint16_t>{443, 8080}));
  EXPECT_TRUE(out[0].ports_truncated);
}

TEST(Share, SeveralIndicatorsOnOneRecord) {
  const sieve::Ruleset rules = ruleset();
  std::vector<Record> records;
  for (int n = 1; n <= 5; ++n) {
    Record r = beacon(n, kHour0);
    sieve::TlsInfo tls;
    tls.sni = fmt::format("Victim-{}.EVIL.example.", n);
    tls.ja3_hash = std::string(32, 'a');
    tls.ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";
    r.tls = tls;
    r.matches.push_back(match("c2-domains", RuleKind::domain));
    r.matches.push_back(match("bad-ja3", RuleKind::ja3));
    records.push_back(r);
  }
  const auto out = build(records, options(5), &rules);
  ASSERT_EQ(out.size(), 3u);
  // Ordered by indicator: rule id first.
  EXPECT_EQ(out[0].indicator, (Indicator{"bad-ja3", RuleKind::ja3, std::string(32, 'a')}));
  EXPECT_EQ(out[1].indicator, (Indicator{"c2-domains", RuleKind::domain, ".evil.example"}));
  EXPECT_EQ(out[2].indicator, (Indicator{"c2-ips", RuleKind::ip, "198.51.100.7"}));
  for (const auto& a : out) {
    EXPECT_EQ(a.flows, 5u);
    // The observed names carry a per-victim label: only the rule value is shared.
    const std::string text = share_to_json(a, options(5)).dump();
    EXPECT_EQ(text.find("victim"), std::string::npos) << text;
    EXPECT_EQ(text.find("10.0.0."), std::string::npos) << text;
  }
}

TEST(Share, DomainWithoutRulesetHasNoValue) {
  std::vector<Record> records;
  for (int n = 1; n <= 5; ++n) {
    Record r = beacon(n, kHour0);
    sieve::DnsEntry dns;
    dns.name = fmt::format("victim-{}.evil.example", n);
    dns.type = 1;
    r.dns.push_back(dns);
    r.matches = {match("c2-domains", RuleKind::domain)};
    records.push_back(r);
  }
  const auto out = build(records, options(5));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].indicator, (Indicator{"c2-domains", RuleKind::domain, std::nullopt}));
  EXPECT_TRUE(share_to_json(out[0], options(5))["indicator"]["value"].is_null());
}

TEST(Share, Invariant_I5_DomesticSideIsNeverAValue) {
  // An ip rule listing the domestic side (e.g. a known compromised host): with the ruleset,
  // the foreign end is not listed, so the indicator has no value and the peer is still the
  // domestic host, which alone never reaches k.
  sieve::Ruleset rules = ruleset();
  rules.rules.push_back(rule("watched", RuleKind::ip, {"10.0.0.0/8"}));
  std::vector<Record> one_host;
  std::vector<Record> many_hosts;
  for (int n = 1; n <= 5; ++n) {
    one_host.push_back(record(Category::FD, fmt::format("192.0.2.{}", n), 40000, victim(1), 22,
                              kHour0, {match("watched", RuleKind::ip)}));
    many_hosts.push_back(record(Category::FD, "192.0.2.1", 40000, victim(n), 22, kHour0,
                                {match("watched", RuleKind::ip)}));
  }
  EXPECT_TRUE(build(one_host, options(5), &rules).empty());
  const auto out = build(many_hosts, options(5), &rules);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].indicator, (Indicator{"watched", RuleKind::ip, std::nullopt}));
  EXPECT_EQ(share_to_json(out[0], options(5)).dump().find("10.0.0."), std::string::npos);
}

TEST(Share, UnattributableMatchesAreCountedNotGuessed) {
  std::vector<Record> records;
  for (int n = 1; n <= 5; ++n) {
    // FF without a ruleset: which end is the listed one is unknown.
    records.push_back(record(Category::FF, fmt::format("192.0.2.{}", n), 40000, "198.51.100.7", 443,
                             kHour0, {match("c2-ips", RuleKind::ip)}));
    // A rule the given ruleset does not have.
    records.push_back(record(Category::DF, victim(n), 40000, "198.51.100.7", 443, kHour0,
                             {match("retired-rule", RuleKind::ip)}));
  }
  auto plain = ShareBuilder::create(options(5));
  ASSERT_TRUE(plain.has_value());
  plain->add(std::span(records).subspan(0, 1));
  EXPECT_EQ(plain->stats().matches_unattributed, 1u);

  const sieve::Ruleset rules = ruleset();
  auto builder = ShareBuilder::create(options(5), &rules);
  ASSERT_TRUE(builder.has_value());
  builder->add(records);
  const auto out = builder->build();
  // The FF records are attributed with the ruleset (dst listed); the retired rule is not.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].indicator, (Indicator{"c2-ips", RuleKind::ip, "198.51.100.7"}));
  EXPECT_EQ(builder->stats().matches_unattributed, 5u);
}

TEST(Share, DdAndInvalidRecordsAreSkipped) {
  std::vector<Record> records;
  for (int n = 1; n <= 5; ++n) {
    Record r = beacon(n, kHour0);
    r.category = Category::DD;
    records.push_back(r);
  }
  Record bad = beacon(9, kHour0);
  bad.flow_id = "not hex";
  records.push_back(bad);
  auto builder = ShareBuilder::create(options(5));
  ASSERT_TRUE(builder.has_value());
  builder->add(records);
  EXPECT_TRUE(builder->build().empty());
  EXPECT_EQ(builder->stats().records, 6u);
  EXPECT_EQ(builder->stats().records_dd, 5u);
  EXPECT_EQ(builder->stats().records_invalid, 1u);
  EXPECT_EQ(builder->stats().aggregates_suppressed, 0u);
}

TEST(Share, EmptyInputGivesNothing) {
  auto builder = ShareBuilder::create(options(5));
  ASSERT_TRUE(builder.has_value());
  EXPECT_TRUE(builder->build().empty());
  EXPECT_EQ(builder->stats().records, 0u);
  EXPECT_TRUE(build({}, options(5)).empty());
}

TEST(Share, PeerCountIsARangeLabel) {
  const ShareOptions o = options(5);
  EXPECT_EQ(peer_count_label(5, o), "5-9");
  EXPECT_EQ(peer_count_label(9, o), "5-9");
  EXPECT_EQ(peer_count_label(10, o), "10-49");
  EXPECT_EQ(peer_count_label(999, o), "500-999");
  EXPECT_EQ(peer_count_label(1000, o), "1000+");
  EXPECT_EQ(peer_count_label(123456, o), "1000+");
  EXPECT_EQ(peer_count_label(20, options(20)), "20-49");
  EXPECT_EQ(peer_count_label(5000, options(2000)), "2000+");

  // Counting stops at the top edge, but the label above it is still right.
  std::vector<Record> records;
  for (int n = 1; n <= 60; ++n) {
    records.push_back(record(Category::DF, fmt::format("10.0.{}.{}", n / 250, n % 250 + 1), 40000,
                             "198.51.100.7", 443, kHour0, {match("c2-ips", RuleKind::ip)}));
  }
  ShareOptions small = options(5);
  small.peer_count_edges = {10, 50};
  const auto out = build(records, small);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].distinct_peers, "50+");
}

TEST(Share, BadOptionsAreRejected) {
  auto expect_error = [](const ShareOptions& o, const std::string& text) {
    auto builder = ShareBuilder::create(o);
    ASSERT_FALSE(builder.has_value()) << text;
    EXPECT_NE(builder.error().message.find(text), std::string::npos) << builder.error().message;
  };
  expect_error(options(1), "k must be at least 2 (got 1)");
  expect_error(options(0), "k must be at least 2 (got 0)");
  ShareOptions o = options(5);
  o.window = Duration{0};
  expect_error(o, "window must be a positive whole number of seconds");
  o.window = Duration::seconds(-3600);
  expect_error(o, "window must be a positive whole number of seconds");
  o.window = Duration::millis(1500);
  expect_error(o, "window must be a positive whole number of seconds");
  o.window = Duration::seconds(31 * 24 * 3600);
  expect_error(o, "window must be at most 30d");
  o = options(5);
  o.peer_count_edges = {10, 10};
  expect_error(o, "peer_count_edges[1]");
  EXPECT_TRUE(validate_share_options(options(2)).has_value());
}

TEST(Share, BadRulesetValueIsAnError) {
  sieve::Ruleset rules;
  rules.path = "rules.toml";
  rules.rules.push_back(rule("c2-ips", RuleKind::ip, {"not-a-prefix"}));
  auto builder = ShareBuilder::create(options(5), &rules);
  ASSERT_FALSE(builder.has_value());
  EXPECT_EQ(builder.error().message,
            "share: ruleset rules.toml: rule 'c2-ips': values[0] is not an address prefix");
}

}  // namespace
}  // namespace mamori::privacy
