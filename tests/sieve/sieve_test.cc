// The selection loop end to end on hand-built frames: what is selected, what a record holds,
// and what never leaves the sieve.

#include "mamori/sieve/sieve.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "mamori/scope/country_table.h"
#include "mamori/sieve/ruleset.h"
#include "mamori/synth/frame.h"

namespace mamori::sieve {
namespace {

using scope::Category;

const IpAddress kJpHost = *IpAddress::parse("133.242.0.9");
const IpAddress kJpHost2 = *IpAddress::parse("133.242.0.10");
const IpAddress kUsServer = *IpAddress::parse("8.8.4.4");
const IpAddress kDeServer = *IpAddress::parse("85.214.0.1");
const IpAddress kUsClient = *IpAddress::parse("8.8.8.8");

class CollectingSink final : public RecordSink {
 public:
  void emit(Record&& record) override { records.push_back(std::move(record)); }
  std::vector<Record> records;
};

class SieveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::pair<Prefix, scope::CountryCode> networks[] = {
        {*Prefix::parse("133.242.0.0/16"), scope::CountryCode::from("JP")},
        {*Prefix::parse("8.8.0.0/16"), scope::CountryCode::from("US")},
        {*Prefix::parse("85.214.0.0/16"), scope::CountryCode::from("DE")},
    };
    countries_ =
        std::make_shared<const scope::CountryTable>(scope::CountryTable::from_networks(networks));
    config_.sensor = "gw-test";
    config_.inspect_bytes = 256;
    config_.max_flows = 1024;
    config_.categories.add(Category::FF);
    config_.categories.add(Category::FD);
    config_.categories.add(Category::DF);
  }

  void use_rules(std::string_view toml) {
    auto ruleset = parse_ruleset(toml, "test.rules.toml", ".");
    ASSERT_TRUE(ruleset) << ruleset.error().message;
    auto compiled = CompiledRuleset::compile(*ruleset);
    ASSERT_TRUE(compiled) << compiled.error().message;
    rules_.emplace(std::move(*compiled));
    scope::ClassifierOptions options;
    options.authorized = config_.categories;
    options.party_prefixes = party_prefixes_;
    classifier_ = std::make_unique<scope::Classifier>(countries_, scope::Overrides{}, options);
    auto sieve = Sieve::create(config_, *classifier_, *rules_, sink_);
    ASSERT_TRUE(sieve) << sieve.error().message;
    sieve_ = std::move(*sieve);
  }

  void tcp(const IpAddress& src, std::uint16_t sport, const IpAddress& dst, std::uint16_t dport,
           std::uint8_t flags, std::string_view payload = {}) {
    synth::IpHeader ip{.src = src, .dst = dst};
    synth::TcpHeader header{.src_port = sport,
                            .dst_port = dport,
                            .seq = 1,
                            .ack = 1,
                            .flags = flags,
                            .window = 1024,
                            .options = {}};
    auto area = builder_.begin_tcp({}, ip, header, payload.size());
    if (!payload.empty()) std::memcpy(area.data(), payload.data(), payload.size());
    feed(builder_.finish());
  }

  void udp(const IpAddress& src, std::uint16_t sport, const IpAddress& dst, std::uint16_t dport,
           std::span<const std::uint8_t> payload) {
    synth::IpHeader ip{.src = src, .dst = dst};
    auto area = builder_.begin_udp({}, ip, sport, dport, payload.size());
    std::copy(payload.begin(), payload.end(), area.begin());
    feed(builder_.finish());
  }

  void feed(std::span<const std::uint8_t> frame) {
    capture::RawPacket packet;
    packet.timestamp = now_;
    packet.wire_length = static_cast<std::uint32_t>(frame.size());
    packet.link_type = capture::LinkType::ethernet;
    packet.data = frame;
    sieve_->process(packet);
    now_ = now_ + Duration::millis(10);
  }

  // A complete TCP connection with one request and one response.
  void connection(const IpAddress& client, std::uint16_t sport, const IpAddress& server,
                  std::uint16_t dport, std::string_view request, std::string_view response) {
    using namespace synth::tcp_flags;
    tcp(client, sport, server, dport, syn);
    tcp(server, dport, client, sport, syn | ack);
    tcp(client, sport, server, dport, ack);
    tcp(client, sport, server, dport, psh | ack, request);
    tcp(server, dport, client, sport, psh | ack, response);
    tcp(client, sport, server, dport, fin | ack);
    tcp(server, dport, client, sport, fin | ack);
    tcp(client, sport, server, dport, ack);
  }

  const Record* record_with_rule(std::string_view rule) const {
    for (const auto& record : sink_.records) {
      for (const auto& match : record.matches) {
        if (match.rule == rule) return &record;
      }
    }
    return nullptr;
  }

  SieveConfig config_;
  std::vector<Prefix> party_prefixes_;
  std::shared_ptr<const scope::CountryTable> countries_;
  std::unique_ptr<scope::Classifier> classifier_;
  std::optional<CompiledRuleset> rules_;
  CollectingSink sink_;
  std::unique_ptr<Sieve> sieve_;
  synth::FrameBuilder builder_;
  Timestamp now_ = Timestamp::from_seconds(1'800'000'000);
};

constexpr std::string_view kRules = R"(
[[rule]]
id = "c2-ip"
kind = "ip"
value = "8.8.4.4"

[[rule]]
id = "c2-domain"
kind = "domain"
value = ".evil.example"

[[rule]]
id = "webshell"
kind = "bytes"
value = "cmd=whoami"
)";

TEST_F(SieveTest, IpRuleSelectsFlowWithCountersFromItsFirstPacket) {
  use_rules(kRules);
  connection(kJpHost, 40000, kUsServer, 443, "hello", "world!");
  sieve_->finish();
  ASSERT_EQ(sink_.records.size(), 1u);
  const Record& r = sink_.records[0];
  EXPECT_EQ(r.sensor, "gw-test");
  EXPECT_EQ(r.category, Category::DF);
  EXPECT_EQ(r.src.ip, kJpHost);
  EXPECT_EQ(r.src.port, 40000);
  EXPECT_EQ(r.src.country.to_string(), "JP");
  EXPECT_EQ(r.dst.ip, kUsServer);
  EXPECT_EQ(r.dst.country.to_string(), "US");
  EXPECT_EQ(r.packets[0], 5u);
  EXPECT_EQ(r.packets[1], 3u);
  EXPECT_EQ(r.tcp_flags & decode::tcp_flag::syn, decode::tcp_flag::syn);
  EXPECT_EQ(r.flow_id.size(), 32u);
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].rule, "c2-ip");
  EXPECT_EQ(r.matches[0].kind, RuleKind::ip);
  EXPECT_EQ(sieve_->summary().selected_flows, 1u);
  EXPECT_EQ(sieve_->summary().records, 1u);
}

// I5: a flow id that were a public function of the five-tuple and time would let anyone
// recover a pseudonymized endpoint by trying every candidate address. Ids are keyed with a
// secret drawn per run: the same flow seen by two runs gets unrelated ids.
TEST_F(SieveTest, Invariant_I5_FlowIdsAreKeyedPerRunNotAFunctionOfTheFlow) {
  use_rules(kRules);
  const Timestamp start = now_;
  connection(kJpHost, 40000, kUsServer, 443, "", "");
  sieve_->finish();
  ASSERT_EQ(sink_.records.size(), 1u);
  const Record first_run = sink_.records.front();

  use_rules(kRules);  // a new sieve: a new run over the same packets
  sink_.records.clear();
  now_ = start;
  connection(kJpHost, 40000, kUsServer, 443, "", "");
  connection(kJpHost, 40001, kUsServer, 443, "", "");
  sieve_->finish();
  ASSERT_EQ(sink_.records.size(), 2u);
  const Record& second_run =
      sink_.records.front().src.port == 40000 ? sink_.records[0] : sink_.records[1];
  EXPECT_EQ(second_run.first_seen, first_run.first_seen);
  EXPECT_EQ(second_run.src, first_run.src);
  EXPECT_NE(second_run.flow_id, first_run.flow_id);
  EXPECT_NE(sink_.records[0].flow_id, sink_.records[1].flow_id);
  for (const Record& record : sink_.records) {
    EXPECT_EQ(record.flow_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  }
}

TEST_F(SieveTest, HttpHostSelectsAndRecordKeepsNoPathQueryOrBody) {
  use_rules(kRules);
  connection(kUsClient, 40001, kJpHost, 80,
             "POST /secret/path?user=alice HTTP/1.1\r\nHost: www.evil.example\r\n"
             "User-Agent: curl/8.0\r\nContent-Length: 9\r\n\r\nbody-text",
             "HTTP/1.1 200 OK\r\n\r\n");
  sieve_->finish();
  const Record* r = record_with_rule("c2-domain");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->category, Category::FD);
  ASSERT_EQ(r->http.size(), 1u);
  EXPECT_EQ(r->http[0].method, "POST");
  EXPECT_EQ(r->http[0].host, "www.evil.example");
  EXPECT_EQ(r->http[0].user_agent, "curl/8.0");
}

TEST_F(SieveTest, BytesRuleCapturesMatchedCommandOnly) {
  use_rules(kRules);
  connection(kDeServer, 40002, kJpHost, 8080, "GET /x HTTP/1.0\r\n\r\nxxcmd=whoamiyy", "ok");
  sieve_->finish();
  const Record* r = record_with_rule("webshell");
  ASSERT_NE(r, nullptr);
  const auto& match = *std::find_if(r->matches.begin(), r->matches.end(),
                                    [](const Match& m) { return m.rule == "webshell"; });
  EXPECT_EQ(std::string(match.command.begin(), match.command.end()), "cmd=whoami");
}

TEST_F(SieveTest, PatternBeyondInspectBudgetIsNotSearched) {
  use_rules(kRules);
  std::string request(300, 'a');  // inspect_bytes is 256
  request += "cmd=whoami";
  connection(kDeServer, 40003, kJpHost, 8080, request, "ok");
  sieve_->finish();
  EXPECT_TRUE(sink_.records.empty());
  EXPECT_EQ(sieve_->summary().flows, 1u);
  EXPECT_EQ(sieve_->summary().selected_flows, 0u);
}

TEST_F(SieveTest, UnselectedFlowsLeaveOnlyCounters) {
  use_rules(kRules);
  connection(kUsClient, 40004, kJpHost, 443, "benign", "benign");
  connection(kJpHost2, 40005, kDeServer, 443, "benign", "benign");
  sieve_->finish();
  EXPECT_TRUE(sink_.records.empty());
  const auto& summary = sieve_->summary();
  EXPECT_EQ(summary.flows, 2u);
  EXPECT_EQ(summary.by_category[static_cast<int>(Category::FD)].flows, 1u);
  EXPECT_EQ(summary.by_category[static_cast<int>(Category::DF)].flows, 1u);
  EXPECT_EQ(summary.packets, 16u);
}

TEST_F(SieveTest, DnsQueryAndResponseAreOneRecordWithAnswers) {
  use_rules(kRules);
  // query for a.evil.example A from a domestic resolver to a foreign server, and its answer
  const std::uint8_t query[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0, 0,   0,
                                0,    1,    'a',  4,    'e', 'v', 'i', 'l', 7, 'e', 'x',
                                'a',  'm',  'p',  'l',  'e', 0,   0,   1,   0, 1};
  std::vector<std::uint8_t> response(std::begin(query), std::end(query));
  response[2] = 0x81;
  response[3] = 0x80;
  response[7] = 1;  // one answer
  const std::uint8_t answer[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 85, 214, 0, 1};
  response.insert(response.end(), std::begin(answer), std::end(answer));
  udp(kJpHost, 5353, kUsServer, 53, query);
  udp(kUsServer, 53, kJpHost, 5353, response);
  sieve_->finish();
  const Record* r = record_with_rule("c2-domain");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->dns.size(), 1u);
  EXPECT_EQ(r->dns[0].name, "a.evil.example");
  EXPECT_EQ(r->dns[0].type, 1);
  ASSERT_TRUE(r->dns[0].rcode.has_value());
  EXPECT_EQ(*r->dns[0].rcode, 0);
  ASSERT_EQ(r->dns[0].answers.size(), 1u);
  EXPECT_EQ(r->dns[0].answers[0], kDeServer);
}

// Invariant tests carry the invariant's name as their suite name.
class Invariant_I3 : public SieveTest {};

TEST_F(Invariant_I3, DomesticToDomesticNeverReachesFlowStateOrRecords) {
  use_rules(R"([[rule]]
id = "everything-jp"
kind = "ip"
value = "133.242.0.0/16"
)");
  connection(kJpHost, 40010, kJpHost2, 443, "dd", "dd");
  sieve_->finish();
  EXPECT_TRUE(sink_.records.empty());
  EXPECT_EQ(sieve_->summary().flows, 0u);
  EXPECT_EQ(sieve_->summary().dropped_domestic_packets, 8u);
}

TEST_F(Invariant_I3, UnauthorizedCategoryIsDroppedBeforeFlowState) {
  config_.categories = scope::CategorySet{};
  config_.categories.add(Category::FD);  // only foreign → domestic is authorized
  use_rules(R"([[rule]]
id = "us"
kind = "ip"
value = "8.8.0.0/16"
)");
  connection(kJpHost, 40011, kUsServer, 443, "df", "df");    // DF: not authorized
  connection(kUsClient, 40012, kUsServer, 443, "ff", "ff");  // FF: not authorized
  connection(kUsClient, 40013, kJpHost, 443, "fd", "fd");    // FD: selected
  sieve_->finish();
  ASSERT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(sink_.records[0].category, Category::FD);
  EXPECT_EQ(sieve_->summary().flows, 1u);
  EXPECT_EQ(sieve_->summary().dropped_unauthorized_packets, 16u);
}

TEST_F(Invariant_I3, PartyAgreementProcessesOnlyThePartysPrefixes) {
  // 当事者協定: the party is 133.242.0.9/32; its neighbour in the same network is not.
  party_prefixes_ = {*Prefix::parse("133.242.0.9/32")};
  use_rules(R"([[rule]]
id = "us"
kind = "ip"
value = "8.8.0.0/16"
)");
  connection(kJpHost, 40020, kUsServer, 443, "party", "party");           // the party: selected
  connection(kJpHost2, 40021, kUsServer, 443, "neighbour", "neighbour");  // not the party
  connection(kUsClient, 40022, kUsServer, 443, "ff", "ff");               // neither endpoint
  sieve_->finish();
  ASSERT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(sink_.records[0].src.ip, kJpHost);
  EXPECT_EQ(sieve_->summary().flows, 1u);
  EXPECT_EQ(sieve_->summary().dropped_outside_agreement_packets, 16u);
}

TEST_F(SieveTest, EvictedSelectedFlowComesBackSelected) {
  config_.max_flows = 1024;  // the smallest table the config allows
  use_rules(kRules);
  using namespace synth::tcp_flags;
  tcp(kJpHost, 41000, kUsServer, 443, syn);
  // 1100 other flows push the selected one out of the table
  for (std::uint16_t i = 0; i < 1100; ++i) {
    tcp(kUsClient, static_cast<std::uint16_t>(20000 + i), kJpHost2, 443, syn);
  }
  tcp(kUsServer, 443, kJpHost, 41000, syn | ack);  // the evicted flow's reply
  sieve_->finish();
  EXPECT_GE(sieve_->summary().flows_evicted, 1u);
  EXPECT_EQ(sieve_->summary().flows_recalled, 1u);
  std::size_t with_rule = 0;
  for (const auto& record : sink_.records) {
    if (!record.matches.empty() && record.matches[0].rule == "c2-ip") {
      ++with_rule;
      EXPECT_EQ(record.src.ip, kJpHost);  // the original initiator survives the eviction
    }
  }
  EXPECT_EQ(with_rule, 2u);  // the segment before eviction and the one after
}

TEST_F(SieveTest, StopSelectionRecordsOpenSelectedFlowsThenSelectsNothing) {
  use_rules(kRules);
  using namespace synth::tcp_flags;
  tcp(kJpHost, 42000, kUsServer, 443, syn);
  sieve_->stop_selection();
  EXPECT_EQ(sink_.records.size(), 1u);
  connection(kJpHost, 42001, kUsServer, 443, "x", "y");
  sieve_->finish();
  EXPECT_EQ(sink_.records.size(), 1u);
}

// --- behaviour rules in the loop ---------------------------------------------------------------

IpAddress jp_address(std::uint32_t index) {
  return IpAddress::v4((133u << 24) | (242u << 16) | (1u << 8) | (index & 0xff));
}

double measure(const Match& match, std::string_view name) {
  for (const auto& m : match.measured) {
    if (m.name == name) return m.value;
  }
  ADD_FAILURE() << "no measured value " << name << " in " << match.rule;
  return -1;
}

const Match* match_of(const Record& record, RuleKind kind) {
  for (const auto& match : record.matches) {
    if (match.kind == kind) return &match;
  }
  return nullptr;
}

constexpr std::string_view kBehaviourRules = R"(
[[rule]]
id = "scan"
kind = "scan"
min_targets = 16
window = "2m"
[[rule]]
id = "amp"
kind = "amplification"
min_response_bytes = 20000
window = "1m"
[[rule]]
id = "beacon"
kind = "beacon"
min_connections = 8
max_cv = 0.2
)";

TEST_F(SieveTest, ScanRuleSelectsTheScannersLaterProbesAndExplainsWhy) {
  use_rules(kBehaviourRules);
  using namespace synth::tcp_flags;
  // A foreign source probes 60 Japanese addresses, one every 500 ms; nobody answers.
  for (std::uint32_t i = 0; i < 60; ++i) {
    tcp(kDeServer, static_cast<std::uint16_t>(50000 + i), jp_address(i), 22, syn);
    now_ = now_ + Duration::millis(490);
  }
  // A busy client whose 40 connections are all answered is not scanning.
  for (std::uint32_t i = 0; i < 40; ++i) {
    connection(kUsClient, static_cast<std::uint16_t>(30000 + i), jp_address(100 + i), 443, "q",
               "r");
    now_ = now_ + Duration::millis(400);
  }
  sieve_->finish();
  std::size_t probes = 0;
  for (const auto& record : sink_.records) {
    EXPECT_NE(record.src.ip, kUsClient) << "an answered client was selected";
    const Match* scan = match_of(record, RuleKind::scan);
    ASSERT_NE(scan, nullptr);
    ++probes;
    EXPECT_EQ(record.src.ip, kDeServer);
    // The record alone says why: what was measured and the thresholds it crossed.
    EXPECT_GE(measure(*scan, "targets"), measure(*scan, "min_targets"));
    EXPECT_GE(measure(*scan, "failed_ratio"), measure(*scan, "min_failed_ratio"));
    EXPECT_EQ(measure(*scan, "min_targets"), 16);
    EXPECT_EQ(measure(*scan, "window_s"), 120);
    EXPECT_TRUE(std::is_sorted(scan->measured.begin(), scan->measured.end(),
                               [](const Measure& a, const Measure& b) { return a.name < b.name; }));
  }
  // The early probes came before the source crossed the thresholds; most later ones after.
  EXPECT_GT(probes, 20u);
  EXPECT_LT(probes, 60u);
  const auto& summary = sieve_->summary();
  ASSERT_EQ(summary.behaviour.size(), 3u);
  EXPECT_EQ(summary.behaviour[0].rule, "scan");
  EXPECT_EQ(summary.behaviour[0].flagged, 1u);
  EXPECT_EQ(summary.behaviour[0].selections, probes);
  EXPECT_LE(summary.behaviour_memory_bytes, std::size_t{config_.behaviour_memory_mb} << 20);
}

TEST_F(SieveTest, AmplificationRuleSelectsReflectedResponsesTowardTheVictim) {
  use_rules(kBehaviourRules);
  // Only the responses cross the link: NTP monlist-sized datagrams from 30 reflectors abroad
  // to one Japanese address, whose spoofed requests were sent elsewhere.
  const std::vector<std::uint8_t> response(440, 0x17);
  for (std::uint32_t i = 0; i < 30; ++i) {
    const IpAddress reflector = IpAddress::v4((8u << 24) | (8u << 16) | (9u << 8) | i);
    for (int k = 0; k < 4; ++k) udp(reflector, 123, kJpHost, 40000, response);
  }
  // A resolver's normal traffic: requests and answers of similar size.
  const std::vector<std::uint8_t> query(60, 1);
  const std::vector<std::uint8_t> answer(140, 2);
  for (std::uint16_t i = 0; i < 200; ++i) {
    udp(kJpHost2, static_cast<std::uint16_t>(20000 + i), kUsClient, 53, query);
    udp(kUsClient, 53, kJpHost2, static_cast<std::uint16_t>(20000 + i), answer);
  }
  sieve_->finish();
  std::size_t selected = 0;
  for (const auto& record : sink_.records) {
    const Match* amp = match_of(record, RuleKind::amplification);
    ASSERT_NE(amp, nullptr);
    EXPECT_EQ(record.dst.ip, kJpHost);  // the victim; the resolver's client never
    EXPECT_GE(measure(*amp, "response_bytes"), 20000);
    EXPECT_GE(measure(*amp, "ratio"), measure(*amp, "min_ratio"));
    EXPECT_EQ(measure(*amp, "service_port"), 123);
    ++selected;
  }
  EXPECT_GT(selected, 0u);
  EXPECT_LT(selected, 30u);  // the reflectors seen before the threshold are not
}

TEST_F(SieveTest, BeaconRuleSelectsThePairOnceItsRhythmShows) {
  use_rules(kBehaviourRules);
  // A Japanese host calls a foreign server every 60 s ± 3 s, twelve times; another pair calls
  // at irregular gaps and is never selected.
  const int jitter_ms[] = {0, 2500, -1800, 900, -2900, 1200, 300, -700, 2100, -1500, 600, 0};
  const int irregular_s[] = {7, 190, 33, 12, 260, 48, 95, 20, 150, 9, 300, 61};
  Timestamp start = now_;
  for (int i = 0; i < 12; ++i) {
    now_ = start + Duration::seconds(60LL * i) + Duration::millis(jitter_ms[i]);
    connection(kJpHost, static_cast<std::uint16_t>(45000 + i), kDeServer, 443, "beat", "ok");
  }
  now_ = start;
  for (int i = 0; i < 12; ++i) {
    now_ = now_ + Duration::seconds(irregular_s[i]);
    connection(kJpHost2, static_cast<std::uint16_t>(46000 + i), kUsClient, 443, "x", "y");
  }
  sieve_->finish();
  std::size_t beats = 0;
  for (const auto& record : sink_.records) {
    const Match* beacon = match_of(record, RuleKind::beacon);
    ASSERT_NE(beacon, nullptr);
    EXPECT_EQ(record.src.ip, kJpHost);
    EXPECT_EQ(record.dst.ip, kDeServer);
    EXPECT_GE(measure(*beacon, "connections"), 8);
    EXPECT_LE(measure(*beacon, "cv"), 0.2);
    EXPECT_NEAR(measure(*beacon, "mean_interval_s"), 60, 2);
    ++beats;
  }
  // The first start only registers the pair in the admission sketch (sieve/behaviour.h); from
  // the second on, seven intervals show the rhythm at the ninth: connections 9..12 are selected.
  EXPECT_EQ(beats, 4u);
}

TEST_F(SieveTest, Invariant_I1_BehaviourStateIsBoundedAndLeavesOnlyCounters) {
  config_.behaviour_memory_mb = 1;
  config_.max_flows = 4096;
  use_rules(kBehaviourRules);
  using namespace synth::tcp_flags;
  // 20 000 spoofed one-packet sources: far more subjects than 1 MiB tracks.
  for (std::uint32_t i = 0; i < 20'000; ++i) {
    const IpAddress spoofed = IpAddress::v4((85u << 24) | (214u << 16) | (i & 0xffff));
    tcp(spoofed, 1234, jp_address(i), 80, syn);
  }
  sieve_->finish();
  const auto& summary = sieve_->summary();
  EXPECT_LE(summary.behaviour_memory_bytes, std::size_t{1} << 20);
  EXPECT_GT(summary.behaviour_memory_bytes, 0u);
  EXPECT_TRUE(sink_.records.empty());
  const auto json = summary.to_json().dump();
  EXPECT_EQ(json.find("85.214."), std::string::npos);
  EXPECT_EQ(json.find("133.242."), std::string::npos);
}

}  // namespace
}  // namespace mamori::sieve
