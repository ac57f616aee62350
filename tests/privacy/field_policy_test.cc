// The field policy: which addresses of a record are pseudonymized before it leaves the sieve
// process (I5), for every setting, and the [privacy] configuration that cannot turn the
// domestic rule off.

#include "mamori/privacy/field_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mamori/privacy/privacy_config.h"
#include "mamori/scope/country_table.h"
#include "mamori/sieve/record_json.h"
#include "mamori/sieve/ruleset.h"

namespace mamori::privacy {
namespace {

using scope::Category;
using sieve::Record;
using sieve::RuleKind;

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

const IpAddress kJpHost = ip("133.242.0.9");
const IpAddress kJpHost2 = ip("133.242.0.77");
const IpAddress kJpResolver = ip("133.242.53.53");
const IpAddress kUsC2 = ip("8.8.4.4");
const IpAddress kUsOther = ip("8.8.9.9");
const IpAddress kDeServer = ip("85.214.0.1");

constexpr std::string_view kRules = R"(
[[rule]]
id = "c2-ip"
kind = "ip"
value = ["8.8.4.0/24", "133.242.0.9"]

[[rule]]
id = "c2-domain"
kind = "domain"
value = ".evil.example"

[[rule]]
id = "tool-ja3"
kind = "ja3"
value = "3a366762f6c191d06acf4daf46ecd6ca"

[[rule]]
id = "odd-port"
kind = "port"
value = "tcp/4444"
[[rule]]
id = "scan"
kind = "scan"
[[rule]]
id = "beacon"
kind = "beacon"
[[rule]]
id = "amp"
kind = "amplification"
ports = [53, 123]
)";

PseudonymKeys test_keys() {
  PseudonymKeys keys;
  PseudonymKey key;
  key.epoch = 3;
  for (std::size_t i = 0; i < key.key.size(); ++i)
    key.key[i] = static_cast<std::uint8_t>(i * 7 + 1);
  keys.epochs.push_back(key);
  keys.current = 3;
  return keys;
}

class FieldPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::pair<Prefix, scope::CountryCode> networks[] = {
        {*Prefix::parse("133.242.0.0/16"), scope::CountryCode::from("JP")},
        {*Prefix::parse("2001:db8:1::/48"), scope::CountryCode::from("JP")},
        {*Prefix::parse("8.8.0.0/16"), scope::CountryCode::from("US")},
        {*Prefix::parse("85.214.0.0/16"), scope::CountryCode::from("DE")},
    };
    countries_ =
        std::make_shared<const scope::CountryTable>(scope::CountryTable::from_networks(networks));
    scope::ClassifierOptions options;
    options.authorized.add(Category::FF);
    options.authorized.add(Category::FD);
    options.authorized.add(Category::DF);
    classifier_ = std::make_unique<scope::Classifier>(countries_, scope::Overrides{}, options);
    auto ruleset = sieve::parse_ruleset(kRules, "test.rules.toml", ".");
    ASSERT_TRUE(ruleset) << ruleset.error().message;
    auto compiled = sieve::CompiledRuleset::compile(*ruleset);
    ASSERT_TRUE(compiled) << compiled.error().message;
    rules_.emplace(std::move(*compiled));
    use(ClearAddresses::infrastructure);
  }

  void use(ClearAddresses clear) {
    auto pseudonymizer = Pseudonymizer::create(test_keys());
    ASSERT_TRUE(pseudonymizer) << pseudonymizer.error().message;
    policy_.emplace(FieldPolicy::create(clear, *rules_, *classifier_, std::move(*pseudonymizer)));
  }

  IpAddress reidentify(const IpAddress& pseudonym) {
    auto pseudonymizer = Pseudonymizer::create(test_keys());
    auto address = pseudonymizer->reidentify({3, pseudonym});
    EXPECT_TRUE(address);
    return address.value_or(IpAddress());
  }

  static Record record(Category category, IpAddress src, IpAddress dst) {
    Record r;
    r.sensor = "gw-test";
    r.flow_id = std::string(32, 'a');
    r.category = category;
    r.first_seen = Timestamp::from_seconds(1'800'000'000);
    r.last_seen = r.first_seen;
    r.protocol = 6;
    r.src = {src, 40000, {}};
    r.dst = {dst, 443, {}};
    return r;
  }

  void expect_pseudonym_of(const sieve::Endpoint& endpoint, const IpAddress& original) {
    EXPECT_EQ(endpoint.pseudonym_epoch, 3u);
    EXPECT_NE(endpoint.ip, original);
    EXPECT_EQ(reidentify(endpoint.ip), original);
  }

  std::shared_ptr<const scope::CountryTable> countries_;
  std::unique_ptr<scope::Classifier> classifier_;
  std::optional<sieve::CompiledRuleset> rules_;
  std::optional<FieldPolicy> policy_;
};

TEST_F(FieldPolicyTest, Invariant_I5_DomesticEndpointsArePseudonymizedUnderEverySetting) {
  for (ClearAddresses clear :
       {ClearAddresses::infrastructure, ClearAddresses::foreign, ClearAddresses::none}) {
    use(clear);
    // The domestic host is even listed by the ip rule: it still is never kept clear.
    Record fd = record(Category::FD, kUsC2, kJpHost);
    fd.matches = {{"c2-ip", RuleKind::ip, {}}};
    policy_->apply(fd);
    expect_pseudonym_of(fd.dst, kJpHost);

    Record df = record(Category::DF, kJpHost2, kDeServer);
    policy_->apply(df);
    expect_pseudonym_of(df.src, kJpHost2);
  }
}

TEST_F(FieldPolicyTest, Invariant_I5_DomesticByCountryIsPseudonymizedWhateverTheCategory) {
  // A record whose category disagrees with the country table (e.g. written under other
  // overrides): the address itself decides too.
  Record ff = record(Category::FF, kJpHost, kUsC2);
  ff.matches = {{"c2-ip", RuleKind::ip, {}}};
  use(ClearAddresses::foreign);
  policy_->apply(ff);
  expect_pseudonym_of(ff.src, kJpHost);
  EXPECT_FALSE(ff.dst.pseudonymized());
}

TEST_F(FieldPolicyTest, MatchedForeignInfrastructureStaysClearAndOnlyIt) {
  Record fd = record(Category::FD, kUsC2, kJpHost);
  fd.matches = {{"c2-ip", RuleKind::ip, {}}};
  policy_->apply(fd);
  EXPECT_EQ(fd.src.ip, kUsC2);
  EXPECT_FALSE(fd.src.pseudonymized());
  EXPECT_EQ(fd.src.port, 40000);  // ports stay clear
  expect_pseudonym_of(fd.dst, kJpHost);

  // FF: the listed side is infrastructure, the other foreign side is a peer.
  Record ff = record(Category::FF, kDeServer, kUsC2);
  ff.matches = {{"c2-ip", RuleKind::ip, {}}};
  policy_->apply(ff);
  expect_pseudonym_of(ff.src, kDeServer);
  EXPECT_EQ(ff.dst.ip, kUsC2);
  EXPECT_EQ(policy_->stats().clear_infrastructure, 2u);
}

TEST_F(FieldPolicyTest, ClearNonePseudonymizesEvenInfrastructure) {
  use(ClearAddresses::none);
  Record fd = record(Category::FD, kUsC2, kJpHost);
  fd.matches = {{"c2-ip", RuleKind::ip, {}}};
  policy_->apply(fd);
  expect_pseudonym_of(fd.src, kUsC2);
  expect_pseudonym_of(fd.dst, kJpHost);
}

TEST_F(FieldPolicyTest, ClearForeignKeepsEveryForeignEndpoint) {
  use(ClearAddresses::foreign);
  Record ff = record(Category::FF, kDeServer, kUsOther);
  policy_->apply(ff);
  EXPECT_EQ(ff.src.ip, kDeServer);
  EXPECT_EQ(ff.dst.ip, kUsOther);
  EXPECT_EQ(policy_->stats().clear_foreign, 2u);
}

TEST_F(FieldPolicyTest, DomainMatchNamesTheServerOnlyThroughSniOrHost) {
  // TLS to a matched name: the responder is the attack server.
  Record tls = record(Category::FF, kDeServer, kUsOther);
  tls.tls = sieve::TlsInfo{"login.EVIL.example.", {}, "1.3", "", "", ""};
  tls.matches = {{"c2-domain", RuleKind::domain, {}}};
  policy_->apply(tls);
  expect_pseudonym_of(tls.src, kDeServer);
  EXPECT_EQ(tls.dst.ip, kUsOther);

  // A DNS query for the name: the responder is a resolver, not the attacker.
  Record dns = record(Category::FF, kDeServer, kUsOther);
  dns.protocol = 17;
  dns.dns = {{"a.evil.example", 1, 0, {ip("8.8.7.7")}}};
  dns.matches = {{"c2-domain", RuleKind::domain, {}}};
  policy_->apply(dns);
  expect_pseudonym_of(dns.dst, kUsOther);
  // Its foreign answers are the matched domain's servers: clear.
  EXPECT_EQ(dns.dns[0].answers_pseudonym_epoch, 0u);
  EXPECT_EQ(dns.dns[0].answers[0], ip("8.8.7.7"));
}

TEST_F(FieldPolicyTest, Invariant_I5_DnsAnswersWithADomesticAddressArePseudonymizedTogether) {
  Record dns = record(Category::DF, kJpResolver, kUsOther);
  dns.protocol = 17;
  dns.dns = {{"b.evil.example", 1, 0, {ip("8.8.7.7"), kJpHost}},
             {"benign.example", 1, 0, {ip("8.8.7.8")}}};
  dns.matches = {{"c2-domain", RuleKind::domain, {}}};
  policy_->apply(dns);
  ASSERT_EQ(dns.dns[0].answers.size(), 2u);
  EXPECT_EQ(dns.dns[0].answers_pseudonym_epoch, 3u);
  EXPECT_EQ(reidentify(dns.dns[0].answers[0]), ip("8.8.7.7"));
  EXPECT_EQ(reidentify(dns.dns[0].answers[1]), kJpHost);
  // An unmatched name's foreign answers are not infrastructure.
  EXPECT_EQ(dns.dns[1].answers_pseudonym_epoch, 3u);
  EXPECT_EQ(reidentify(dns.dns[1].answers[0]), ip("8.8.7.8"));
}

TEST_F(FieldPolicyTest, ClientFingerprintMatchNamesTheInitiator) {
  const sieve::TlsInfo hello{"", {}, "1.2", "", "3a366762f6c191d06acf4daf46ecd6ca", ""};
  Record fd = record(Category::FD, kDeServer, kJpHost);
  fd.tls = hello;
  fd.matches = {{"tool-ja3", RuleKind::ja3, {}}};
  policy_->apply(fd);
  EXPECT_EQ(fd.src.ip, kDeServer);
  expect_pseudonym_of(fd.dst, kJpHost);

  Record ff = record(Category::FF, kDeServer, kUsOther);
  ff.tls = hello;
  ff.matches = {{"tool-ja3", RuleKind::ja3, {}}};
  policy_->apply(ff);
  EXPECT_EQ(ff.src.ip, kDeServer);
  expect_pseudonym_of(ff.dst, kUsOther);

  // The match is only believed when the record's own fingerprint is the rule's.
  Record other = record(Category::FF, kDeServer, kUsOther);
  other.tls = sieve::TlsInfo{"", {}, "1.2", "", std::string(32, '0'), ""};
  other.matches = {{"tool-ja3", RuleKind::ja3, {}}};
  policy_->apply(other);
  expect_pseudonym_of(other.src, kDeServer);
}

TEST_F(FieldPolicyTest, MatchesThatNameNoEndpointKeepNothingClear) {
  Record port = record(Category::FF, kDeServer, kUsC2);
  port.dst.port = 4444;
  // A port match, and an ip match under a rule id this ruleset does not have (records of
  // another ruleset): neither says which endpoint is infrastructure.
  port.matches = {{"odd-port", RuleKind::port, {}},
                  {"other-ip", RuleKind::ip, {}},
                  {"c2-domain", RuleKind::ip, {}}};
  policy_->apply(port);
  expect_pseudonym_of(port.src, kDeServer);
  expect_pseudonym_of(port.dst, kUsC2);
}

TEST_F(FieldPolicyTest, BehaviourMatchesNameTheActorNeverTheVictim) {
  // A foreign scanner probing Japan: the scanner stays clear, the target is pseudonymized.
  Record scan = record(Category::FD, kDeServer, kJpHost);
  scan.matches = {{"scan", RuleKind::scan, {}, {{"targets", 90}}}};
  policy_->apply(scan);
  EXPECT_EQ(scan.src.ip, kDeServer);
  expect_pseudonym_of(scan.dst, kJpHost);

  // A bot in Japan beaconing to a foreign server: the server stays clear.
  Record beacon = record(Category::DF, kJpHost2, kDeServer);
  beacon.matches = {{"beacon", RuleKind::beacon, {}, {{"connections", 9}}}};
  policy_->apply(beacon);
  expect_pseudonym_of(beacon.src, kJpHost2);
  EXPECT_EQ(beacon.dst.ip, kDeServer);

  // Responses of a foreign reflector toward a foreign victim (FF): the reflector, on udp/123,
  // stays clear; the victim never does.
  Record amp = record(Category::FF, kUsOther, kDeServer);
  amp.protocol = 17;
  amp.src.port = 123;
  amp.dst.port = 41000;
  amp.matches = {{"amp", RuleKind::amplification, {}, {{"ratio", 40}}}};
  policy_->apply(amp);
  EXPECT_EQ(amp.src.ip, kUsOther);
  expect_pseudonym_of(amp.dst, kDeServer);

  // Both sides on listed ports: which one reflects is not known, so neither stays clear.
  Record both = record(Category::FF, kUsOther, kDeServer);
  both.protocol = 17;
  both.src.port = 53;
  both.dst.port = 123;
  both.matches = {{"amp", RuleKind::amplification, {}, {}}};
  policy_->apply(both);
  expect_pseudonym_of(both.src, kUsOther);
  expect_pseudonym_of(both.dst, kDeServer);

  // A behaviour match of another ruleset (unknown id, or the id of a rule of another kind)
  // keeps nothing clear; neither does the scan's target side.
  Record foreign_rule = record(Category::FF, kDeServer, kUsOther);
  foreign_rule.matches = {{"scan-other", RuleKind::scan, {}, {}},
                          {"beacon", RuleKind::scan, {}, {}}};
  policy_->apply(foreign_rule);
  expect_pseudonym_of(foreign_rule.src, kDeServer);
  expect_pseudonym_of(foreign_rule.dst, kUsOther);
}

TEST_F(FieldPolicyTest, Invariant_I5_DomesticBehaviourActorsArePseudonymized) {
  // A bot in Japan scanning abroad is an actor, and still a domestic address.
  Record scan = record(Category::DF, kJpHost, kDeServer);
  scan.matches = {{"scan", RuleKind::scan, {}, {}}};
  policy_->apply(scan);
  expect_pseudonym_of(scan.src, kJpHost);
  expect_pseudonym_of(scan.dst, kDeServer);
}

TEST_F(FieldPolicyTest, Invariant_I5_AddressLiteralsInHostAndSniArePseudonymized) {
  Record http = record(Category::FD, kDeServer, kJpHost);
  http.http = {{"GET", "133.242.0.9:8080", "curl/8"},
               {"GET", "[2001:db8:1::5]:443", "x"},
               {"GET", "www.example.jp", "y"}};
  http.tls = sieve::TlsInfo{"133.242.0.77", {}, "1.2", "", "", ""};
  policy_->apply(http);
  const auto literal = [&](const std::string& text) {
    auto parsed = sieve::parse_address_text(text);
    EXPECT_TRUE(parsed) << text;
    EXPECT_EQ(parsed->pseudonym_epoch, 3u) << text;
    return reidentify(parsed->ip);
  };
  ASSERT_EQ(http.http[0].host.substr(http.http[0].host.size() - 5), ":8080");
  EXPECT_EQ(literal(http.http[0].host.substr(0, http.http[0].host.size() - 5)), kJpHost);
  ASSERT_EQ(http.http[1].host.front(), '[');
  const std::size_t close = http.http[1].host.find(']');
  EXPECT_EQ(http.http[1].host.substr(close), "]:443");
  EXPECT_EQ(literal(http.http[1].host.substr(1, close - 1)), ip("2001:db8:1::5"));
  EXPECT_EQ(http.http[2].host, "www.example.jp");
  EXPECT_EQ(literal(http.tls->sni), kJpHost2);
}

TEST_F(FieldPolicyTest, Invariant_I5_ReverseLookupNamesOfAddressesArePseudonymized) {
  Record dns = record(Category::DF, kJpResolver, kUsOther);
  dns.protocol = 17;
  dns.dns = {
      {"9.0.242.133.in-addr.arpa.", 12, 0, {}},
      {"5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.B.D.0.1.0.0.2.IP6.ARPA", 12, 0, {}},
      {"242.133.in-addr.arpa", 12, 0, {}}};  // a network, not an address: kept
  policy_->apply(dns);
  const auto pseudonym_in = [&](const std::string& name, std::string_view zone) {
    EXPECT_TRUE(name.ends_with(zone)) << name;
    auto parsed = sieve::parse_address_text(name.substr(0, name.size() - zone.size()));
    EXPECT_TRUE(parsed) << name;
    EXPECT_EQ(parsed->pseudonym_epoch, 3u);
    return reidentify(parsed->ip);
  };
  EXPECT_EQ(pseudonym_in(dns.dns[0].name, ".in-addr.arpa"), kJpHost);
  EXPECT_EQ(pseudonym_in(dns.dns[1].name, ".ip6.arpa"), ip("2001:db8:1::5"));
  EXPECT_EQ(dns.dns[2].name, "242.133.in-addr.arpa");
}

TEST_F(FieldPolicyTest, PrefixStructureSurvivesAndApplyingTwiceChangesNothing) {
  Record a = record(Category::DF, kJpHost, kDeServer);
  Record b = record(Category::DF, kJpHost2, kDeServer);
  policy_->apply(a);
  policy_->apply(b);
  // 133.242.0.9 and 133.242.0.77 share their first 25 bits; so do their pseudonyms.
  const auto& x = a.src.ip.bytes();
  const auto& y = b.src.ip.bytes();
  EXPECT_EQ(x[12], y[12]);
  EXPECT_EQ(x[13], y[13]);
  EXPECT_EQ(x[14], y[14]);
  EXPECT_EQ(x[15] & 0x80, y[15] & 0x80);
  EXPECT_NE(x[15], y[15]);

  Record again = a;
  policy_->apply(again);
  EXPECT_EQ(again, a);
}

TEST_F(FieldPolicyTest, Invariant_I5_DeidentifiedRecordJsonHoldsNoDomesticAddress) {
  class Collect final : public sieve::RecordSink {
   public:
    void emit(Record&& record) override { lines.push_back(sieve::record_to_json_line(record)); }
    std::vector<std::string> lines;
  } collect;
  DeidentifyingSink sink(*policy_, collect);
  Record r = record(Category::FD, kUsC2, kJpHost);
  r.dns = {{"9.0.242.133.in-addr.arpa", 12, 0, {kJpHost2}}};
  r.http = {{"GET", "133.242.0.9", "ua"}};
  r.matches = {{"c2-ip", RuleKind::ip, {}}};
  sink.emit(std::move(r));
  ASSERT_EQ(collect.lines.size(), 1u);
  const std::string& line = collect.lines[0];
  for (const char* text : {"133.242.0.9", "133.242.0.77", "9.0.242.133"}) {
    EXPECT_EQ(line.find(text), std::string::npos) << text << " in " << line;
  }
  EXPECT_NE(line.find("\"8.8.4.4\""), std::string::npos);  // the C2 stays clear
  EXPECT_NE(line.find("\"p3:"), std::string::npos);
}

TEST(PrivacyConfig, ReadsKeyFileAndClearSetting) {
  auto file = ConfigFile::parse("[privacy]\nkey_file = \"keys/p.keys\"\nclear = \"none\"\n",
                                "/etc/mamori/mamori.toml");
  ASSERT_TRUE(file) << file.error().message;
  auto config = load_privacy_config(*file);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->clear, ClearAddresses::none);
  ASSERT_TRUE(config->key_file);
  EXPECT_EQ(*config->key_file, "/etc/mamori/keys/p.keys");
  EXPECT_TRUE(require_key_file(*config, "/etc/mamori/mamori.toml"));
}

TEST(PrivacyConfig, Invariant_I5_DomesticAddressesCannotBeConfiguredClear) {
  for (const char* line :
       {"domestic = \"clear\"", "pseudonymize_domestic = false", "clear_domestic = true"}) {
    auto file =
        ConfigFile::parse(std::string("[privacy]\nkey_file = \"k\"\n") + line + "\n", "m.toml");
    ASSERT_TRUE(file);
    auto config = load_privacy_config(*file);
    ASSERT_FALSE(config) << line;
    EXPECT_NE(config.error().message.find("m.toml:3"), std::string::npos) << config.error().message;
    EXPECT_NE(config.error().message.find("always pseudonymized"), std::string::npos);
  }
  auto file = ConfigFile::parse("[privacy]\nclear = \"domestic\"\n", "m.toml");
  ASSERT_TRUE(file);
  auto config = load_privacy_config(*file);
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("privacy.clear"), std::string::npos)
      << config.error().message;
}

TEST(PrivacyConfig, Invariant_I5_NoKeyFileMeansNoRun) {
  auto file = ConfigFile::parse("sensor = \"x\"\n", "m.toml");
  ASSERT_TRUE(file);
  auto config = load_privacy_config(*file);
  ASSERT_TRUE(config);
  auto key_file = require_key_file(*config, "m.toml");
  ASSERT_FALSE(key_file);
  EXPECT_NE(key_file.error().message.find("key_file"), std::string::npos);
}

TEST(PrivacyConfig, ShippedExampleLoads) {
  auto file = ConfigFile::load(std::string(MAMORI_SOURCE_DIR) + "/examples/mamori.toml");
  ASSERT_TRUE(file) << file.error().message;
  auto config = load_privacy_config(*file);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->clear, ClearAddresses::infrastructure);
  ASSERT_TRUE(config->key_file);
  EXPECT_TRUE(config->key_file->ends_with("keys/pseudonym.keys"));
}

TEST(PrivacyConfig, UnknownKeysAreNamed) {
  auto file = ConfigFile::parse("[privacy]\nkey_flie = \"k\"\n", "m.toml");
  ASSERT_TRUE(file);
  auto config = load_privacy_config(*file);
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("m.toml:2"), std::string::npos);
}

}  // namespace
}  // namespace mamori::privacy
