// The flow-record sieve on hand-built flow export records (one record per direction, as
// exporters send them): what the ip, port and behaviour rules select, what a record holds,
// that content rules are reported as not applicable, and that DD never gets flow state.

#include "mamori/sieve/flow_record_sieve.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "mamori/scope/country_table.h"
#include "mamori/sieve/ruleset.h"

namespace mamori::sieve {
namespace {

using flowexport::FlowExportRecord;
using scope::Category;

const IpAddress kJpHost = *IpAddress::parse("133.242.0.9");
const IpAddress kJpHost2 = *IpAddress::parse("133.242.0.10");
const IpAddress kUsServer = *IpAddress::parse("8.8.4.4");
const IpAddress kDeServer = *IpAddress::parse("85.214.0.1");
const IpAddress kUsClient = *IpAddress::parse("8.8.8.8");
const Timestamp kStart = Timestamp::from_seconds(1'700'000'000);

constexpr std::uint16_t kSyn = 0x02, kAck = 0x10, kRst = 0x04, kPsh = 0x08, kFin = 0x01;

IpAddress jp_address(std::uint32_t i) {
  return IpAddress::v4((133u << 24) | (242u << 16) | (1u << 8) | (i & 0xff));
}

class CollectingSink final : public RecordSink {
 public:
  void emit(Record&& record) override { records.push_back(std::move(record)); }
  std::vector<Record> records;
};

class FlowRecordSieveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::pair<Prefix, scope::CountryCode> networks[] = {
        {*Prefix::parse("133.242.0.0/16"), scope::CountryCode::from("JP")},
        {*Prefix::parse("8.8.0.0/16"), scope::CountryCode::from("US")},
        {*Prefix::parse("85.214.0.0/16"), scope::CountryCode::from("DE")},
    };
    countries_ =
        std::make_shared<const scope::CountryTable>(scope::CountryTable::from_networks(networks));
    config_.sensor = "gw-flows";
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
    classifier_ = std::make_unique<scope::Classifier>(countries_, scope::Overrides{}, options);
    auto sieve = FlowRecordSieve::create(config_, *classifier_, *rules_, sink_);
    ASSERT_TRUE(sieve) << sieve.error().message;
    sieve_ = std::move(*sieve);
  }

  // One direction's record; `received` advances by 10 ms per record.
  void record(const IpAddress& src, std::uint16_t sport, const IpAddress& dst, std::uint16_t dport,
              std::uint8_t protocol, std::uint16_t flags, std::uint64_t packets,
              std::uint64_t octets, Timestamp start, Duration length) {
    FlowExportRecord r;
    r.source = src;
    r.destination = dst;
    r.source_port = sport;
    r.destination_port = dport;
    r.ip_protocol = protocol;
    r.tcp_flags = flags;
    r.packets = packets;
    r.octets = octets;
    r.start = start;
    r.end = start + length;
    r.received = received_;
    r.exported = received_;
    received_ = received_ + Duration::millis(10);
    sieve_->process(r);
  }

  // A TCP connection as an exporter reports it at its end: both directions with the same
  // start (softflowd's way), the server's record first.
  void connection(const IpAddress& client, std::uint16_t sport, const IpAddress& server,
                  std::uint16_t dport, Timestamp start) {
    record(server, dport, client, sport, 6, kSyn | kAck | kPsh | kFin, 3, 400, start,
           Duration::millis(50));
    record(client, sport, server, dport, 6, kSyn | kAck | kPsh | kFin, 5, 300, start,
           Duration::millis(50));
  }

  const Record* record_with_rule(std::string_view rule) const {
    for (const auto& r : sink_.records) {
      for (const auto& match : r.matches) {
        if (match.rule == rule) return &r;
      }
    }
    return nullptr;
  }

  std::shared_ptr<const scope::CountryTable> countries_;
  SieveConfig config_;
  std::optional<CompiledRuleset> rules_;
  std::unique_ptr<scope::Classifier> classifier_;
  CollectingSink sink_;
  std::unique_ptr<FlowRecordSieve> sieve_;
  Timestamp received_ = kStart + Duration::seconds(60);
};

TEST_F(FlowRecordSieveTest, IpRuleSelectsAndBothDirectionsBecomeOneRecord) {
  use_rules(R"([[rule]]
id = "us-dns"
kind = "ip"
value = "8.8.4.4"
)");
  connection(kJpHost, 40001, kUsServer, 443, kStart);
  connection(kJpHost, 40002, kDeServer, 443, kStart);  // not matched
  sieve_->finish();
  ASSERT_EQ(sink_.records.size(), 1u);
  const Record& r = sink_.records[0];
  EXPECT_EQ(r.sensor, "gw-flows");
  EXPECT_EQ(r.category, Category::DF);
  EXPECT_EQ(r.src.ip, kJpHost);  // the client, though the server's record came first
  EXPECT_EQ(r.src.port, 40001);
  EXPECT_EQ(r.dst.ip, kUsServer);
  EXPECT_EQ(r.dst.port, 443);
  EXPECT_EQ(r.src.country, scope::CountryCode::from("JP"));
  EXPECT_EQ(r.protocol, 6);
  EXPECT_EQ(r.packets, (std::array<std::uint64_t, 2>{5, 3}));
  EXPECT_EQ(r.bytes, (std::array<std::uint64_t, 2>{300, 400}));
  EXPECT_EQ(r.tcp_flags, kSyn | kAck | kPsh | kFin);
  EXPECT_EQ(r.first_seen, kStart);
  EXPECT_EQ(r.last_seen, kStart + Duration::millis(50));
  EXPECT_EQ(r.flow_id.size(), 32u);
  EXPECT_TRUE(r.dns.empty());
  EXPECT_FALSE(r.tls);
  EXPECT_TRUE(r.http.empty());
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(r.matches[0].rule, "us-dns");
  EXPECT_EQ(r.matches[0].kind, RuleKind::ip);
  const auto& summary = sieve_->summary();
  EXPECT_EQ(summary.export_records, 4u);
  EXPECT_EQ(summary.flows, 2u);
  EXPECT_EQ(summary.paired_flows, 2u);
  EXPECT_EQ(summary.selected_flows, 1u);
  EXPECT_EQ(summary.records, 1u);
}

TEST_F(FlowRecordSieveTest, PortRuleSelectsOnTheServicePort) {
  use_rules(R"([[rule]]
id = "rdp"
kind = "port"
value = "tcp/3389"
)");
  connection(kUsClient, 50000, kJpHost, 3389, kStart);
  connection(kUsClient, 3389, kJpHost, 443, kStart);  // 3389 is the client's port here
  sieve_->finish();
  ASSERT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(sink_.records[0].dst.port, 3389);
  EXPECT_EQ(sink_.records[0].src.ip, kUsClient);
  EXPECT_EQ(sink_.records[0].category, Category::FD);
}

TEST_F(FlowRecordSieveTest, ContentRulesAreReportedNotApplicable) {
  use_rules(R"([[rule]]
id = "evil-domain"
kind = "domain"
value = ".evil.example"

[[rule]]
id = "shell"
kind = "bytes"
value = "/bin/sh"

[[rule]]
id = "us"
kind = "ip"
value = "8.8.0.0/16"
)");
  connection(kJpHost, 40001, kUsServer, 443, kStart);
  sieve_->finish();
  const auto& summary = sieve_->summary();
  EXPECT_EQ(summary.rules, 3u);
  EXPECT_EQ(summary.rules_not_applicable, 2u);
  EXPECT_EQ(summary.not_applicable_rules, (std::vector<std::string>{"evil-domain", "shell"}));
  const auto json = summary.to_json();
  EXPECT_EQ(json.at("rules_not_applicable"), 2);
  EXPECT_NE(summary.to_text().find("2 of 3"), std::string::npos);
  ASSERT_EQ(sink_.records.size(), 1u);  // the ip rule still applies
}

TEST_F(FlowRecordSieveTest, Invariant_I3_DomesticFlowsAreDroppedBeforeAnyState) {
  use_rules(R"([[rule]]
id = "everything-jp"
kind = "ip"
value = "133.242.0.0/16"
)");
  connection(kJpHost, 40010, kJpHost2, 443, kStart);
  sieve_->finish();
  EXPECT_TRUE(sink_.records.empty());
  const auto& summary = sieve_->summary();
  EXPECT_EQ(summary.flows, 0u);
  EXPECT_EQ(summary.dropped_domestic_records, 2u);
  const auto json = summary.to_json();
  EXPECT_EQ(json.at("dropped").at("domestic_DD"), 2);
  EXPECT_EQ(json.dump().find("133.242"), std::string::npos);
}

TEST_F(FlowRecordSieveTest, Invariant_I3_UnauthorizedCategoryIsDropped) {
  config_.categories = {};
  config_.categories.add(Category::FD);
  use_rules(R"([[rule]]
id = "us"
kind = "ip"
value = "8.8.0.0/16"
)");
  connection(kJpHost, 40011, kUsServer, 443, kStart);    // DF: not authorized
  connection(kUsClient, 40012, kUsServer, 443, kStart);  // FF: not authorized
  // FD, opened by the foreign client (SYN without ACK in its direction's flags): selected.
  record(kUsClient, 40013, kJpHost, 443, 6, kSyn, 1, 60, kStart, Duration::millis(0));
  sieve_->finish();
  ASSERT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(sink_.records[0].category, Category::FD);
  EXPECT_EQ(sieve_->summary().flows, 1u);
  EXPECT_EQ(sieve_->summary().dropped_unauthorized_records, 4u);
}

TEST_F(FlowRecordSieveTest, Invariant_I3_UnknownOpenerNeedsBothOrientationsAuthorized) {
  // Only FD is authorized; a UDP record between a JP service port and a US client port could be
  // either FD or DF: it is dropped (the protective reading).
  config_.categories = {};
  config_.categories.add(Category::FD);
  use_rules(R"([[rule]]
id = "us"
kind = "ip"
value = "8.8.0.0/16"
)");
  record(kJpHost, 53, kUsClient, 53000, 17, 0, 1, 120, kStart, Duration::millis(1));
  sieve_->finish();
  EXPECT_TRUE(sink_.records.empty());
  EXPECT_EQ(sieve_->summary().flows, 0u);
  EXPECT_EQ(sieve_->summary().dropped_unauthorized_records, 1u);
}

TEST_F(FlowRecordSieveTest, UnpairedRecordCompletesAfterThePairWait) {
  use_rules(R"([[rule]]
id = "us"
kind = "ip"
value = "8.8.0.0/16"
)");
  record(kJpHost, 40020, kUsServer, 443, 6, kSyn, 1, 60, kStart, Duration::millis(0));
  EXPECT_TRUE(sink_.records.empty());
  sieve_->expire(received_ + Duration::seconds(31));
  ASSERT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(sink_.records[0].packets, (std::array<std::uint64_t, 2>{1, 0}));
  EXPECT_EQ(sieve_->summary().paired_flows, 0u);
}

TEST_F(FlowRecordSieveTest, ScanFromManyFlowRecordsFlagsTheScanner) {
  use_rules(R"(
[[rule]]
id = "scan"
kind = "scan"
min_targets = 16
window = "2m"
)");
  // A foreign source probes 60 Japanese addresses, one every 500 ms; half the targets answer
  // with RST, the rest never answer. Records arrive as exporters send them.
  for (std::uint32_t i = 0; i < 60; ++i) {
    const Timestamp at = kStart + Duration::millis(500 * static_cast<std::int64_t>(i));
    record(kDeServer, static_cast<std::uint16_t>(50000 + i), jp_address(i), 22, 6, kSyn, 1, 60, at,
           Duration::millis(0));
    if (i % 2 == 0) {
      record(jp_address(i), 22, kDeServer, static_cast<std::uint16_t>(50000 + i), 6, kRst | kAck, 1,
             40, at + Duration::millis(1), Duration::millis(0));
    }
  }
  // A busy client whose 40 connections are all answered is not scanning.
  for (std::uint32_t i = 0; i < 40; ++i) {
    connection(kUsClient, static_cast<std::uint16_t>(30000 + i), jp_address(100 + i), 443,
               kStart + Duration::millis(400 * static_cast<std::int64_t>(i)));
  }
  sieve_->finish();
  std::size_t probes = 0;
  for (const auto& r : sink_.records) {
    EXPECT_NE(r.src.ip, kUsClient) << "an answered client was selected";
    EXPECT_EQ(r.src.ip, kDeServer);
    ASSERT_EQ(r.matches.size(), 1u);
    EXPECT_EQ(r.matches[0].kind, RuleKind::scan);
    EXPECT_FALSE(r.matches[0].measured.empty());
    ++probes;
  }
  EXPECT_GT(probes, 10u);
  EXPECT_LT(probes, 60u);
  const auto& summary = sieve_->summary();
  ASSERT_EQ(summary.behaviour.size(), 1u);
  EXPECT_EQ(summary.behaviour[0].flagged, 1u);
  EXPECT_EQ(summary.behaviour[0].selections, probes);
  ASSERT_NE(record_with_rule("scan"), nullptr);
}

TEST_F(FlowRecordSieveTest, StopSelectionRecordsPendingFlowsAndNothingAfter) {
  use_rules(R"([[rule]]
id = "us"
kind = "ip"
value = "8.8.0.0/16"
)");
  record(kJpHost, 40030, kUsServer, 443, 6, kSyn, 1, 60, kStart, Duration::millis(0));
  sieve_->stop_selection();
  ASSERT_EQ(sink_.records.size(), 1u);
  connection(kJpHost, 40031, kUsServer, 443, kStart);
  sieve_->finish();
  EXPECT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(sieve_->summary().records_after_stop, 2u);
}

TEST_F(FlowRecordSieveTest, PendingTableIsBoundedByMaxFlows) {
  config_.max_flows = 4;
  use_rules(R"([[rule]]
id = "us"
kind = "ip"
value = "8.8.0.0/16"
)");
  for (std::uint16_t i = 0; i < 10; ++i) {
    record(kJpHost, static_cast<std::uint16_t>(41000 + i), kUsServer, 443, 6, kSyn, 1, 60, kStart,
           Duration::millis(0));
  }
  EXPECT_EQ(sieve_->summary().flows_evicted, 6u);
  EXPECT_EQ(sink_.records.size(), 6u);
  sieve_->finish();
  EXPECT_EQ(sink_.records.size(), 10u);
}

}  // namespace
}  // namespace mamori::sieve
