#include "mamori/sieve/behaviour_rule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "mamori/sieve/behaviour.h"
#include "mamori/sieve/ruleset.h"
#include "matcher_test_util.h"

namespace mamori::sieve {
namespace {

using testing::must_parse;
using testing::parse_in;
using testing::TempDir;

std::string error_of(const TempDir& dir, std::string_view text) {
  auto ruleset = parse_in(dir, text);
  EXPECT_FALSE(ruleset.has_value()) << "expected an error for:\n" << text;
  return ruleset ? "" : ruleset.error().message;
}

TEST(BehaviourRule, DefaultsAreFilledInSoTheApprovalBindsEveryThreshold) {
  TempDir dir;
  const auto ruleset = must_parse(dir, R"(
[[rule]]
id = "scan"
kind = "scan"
[[rule]]
id = "amp"
kind = "amplification"
[[rule]]
id = "beacon"
kind = "beacon"
)");
  ASSERT_EQ(ruleset.rules.size(), 3u);
  EXPECT_EQ(ruleset.rules[0].kind, RuleKind::scan);
  EXPECT_EQ(ruleset.rules[0].values,
            (std::vector<std::string>{"min_failed_ratio=0.8", "min_targets=64", "window=300s"}));
  EXPECT_EQ(
      ruleset.rules[1].values,
      (std::vector<std::string>{
          "min_ratio=10", "min_response_bytes=100000",
          "ports=17,19,53,69,111,123,137,161,389,520,1434,1900,3283,3702,5353,5683,10001,11211",
          "window=60s"}));
  EXPECT_EQ(ruleset.rules[2].values,
            (std::vector<std::string>{"max_client_series=1", "max_cv=0.2", "max_interval=21600s",
                                      "max_server_clients=8", "min_connections=8",
                                      "min_interval=5s", "periodic_ports=123"}));
  // Defaults are what the thresholds readers give back.
  auto scan = scan_thresholds(ruleset.rules[0].values);
  ASSERT_TRUE(scan) << scan.error().message;
  EXPECT_EQ(scan->min_targets, 64u);
  EXPECT_EQ(scan->window, Duration::seconds(300));
  EXPECT_DOUBLE_EQ(scan->min_failed_ratio, 0.8);
  auto amp = amplification_thresholds(ruleset.rules[1].values);
  ASSERT_TRUE(amp) << amp.error().message;
  EXPECT_EQ(amp->ports,
            std::vector<std::uint16_t>(kAmplificationPorts.begin(), kAmplificationPorts.end()));
  EXPECT_EQ(amp->ports[2], 53);
  EXPECT_EQ(amp->min_response_bytes, 100'000u);
  auto beacon = beacon_thresholds(ruleset.rules[2].values);
  ASSERT_TRUE(beacon) << beacon.error().message;
  EXPECT_EQ(beacon->min_connections, 8u);
  EXPECT_EQ(beacon->max_interval, Duration::seconds(21600));
  EXPECT_EQ(beacon->max_server_clients, 8u);
  EXPECT_EQ(beacon->periodic_ports, std::vector<std::uint16_t>{123});
  EXPECT_EQ(beacon->max_client_series, 1u);
}

TEST(BehaviourRule, BeaconPeriodicPortsMayBeEmptyAndAreCanonical) {
  TempDir dir;
  const auto none = must_parse(
      dir,
      "[[rule]]\nid = \"b\"\nkind = \"beacon\"\nperiodic_ports = []\nmax_server_clients = 3\n");
  ASSERT_EQ(none.rules.size(), 1u);
  EXPECT_NE(std::find(none.rules[0].values.begin(), none.rules[0].values.end(), "periodic_ports="),
            none.rules[0].values.end());
  auto beacon = beacon_thresholds(none.rules[0].values);
  ASSERT_TRUE(beacon) << beacon.error().message;
  EXPECT_TRUE(beacon->periodic_ports.empty());
  EXPECT_EQ(beacon->max_server_clients, 3u);
  const auto some = must_parse(
      dir, "[[rule]]\nid = \"b\"\nkind = \"beacon\"\nperiodic_ports = [4500, 123, 123]\n");
  EXPECT_NE(std::find(some.rules[0].values.begin(), some.rules[0].values.end(),
                      "periodic_ports=123,4500"),
            some.rules[0].values.end());
  EXPECT_NE(none.hash, some.hash);
}

TEST(BehaviourRule, SpellingsOfTheSameThresholdAreCanonical) {
  TempDir dir;
  const auto a = must_parse(dir, R"(
[[rule]]
id = "s"
kind = "scan"
window = "5m"
min_targets = 100
min_failed_ratio = 0.90
[[rule]]
id = "a"
kind = "amplification"
ports = [11211, 53, 53, 123]
min_ratio = 20
window = 120
)");
  EXPECT_EQ(a.rules[0].values,
            (std::vector<std::string>{"min_failed_ratio=0.9", "min_targets=100", "window=300s"}));
  EXPECT_EQ(a.rules[1].values,
            (std::vector<std::string>{"min_ratio=20", "min_response_bytes=100000",
                                      "ports=53,123,11211", "window=120s"}));
  // The value lines point at where each threshold was written (defaults at the rule).
  EXPECT_EQ(a.rules[0].value_lines, (std::vector<std::uint32_t>{7, 6, 5}));
}

TEST(BehaviourRule, ChangingAThresholdChangesTheRulesetHash) {
  TempDir dir;
  const auto low = must_parse(dir, "[[rule]]\nid = \"b\"\nkind = \"beacon\"\nmax_cv = 0.2\n");
  const auto high = must_parse(dir, "[[rule]]\nid = \"b\"\nkind = \"beacon\"\nmax_cv = 0.3\n");
  EXPECT_NE(low.hash, high.hash);
  EXPECT_NE(canonical_form(low), canonical_form(high));
}

TEST(BehaviourRule, ErrorsNameFileLineRuleAndParameter) {
  TempDir dir;
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"[[rule]]\nid = \"s\"\nkind = \"scan\"\nmin_targets = 1\n",
       "r.toml:4: rule 's': field 'min_targets': must be in 8..1000000"},
      {"[[rule]]\nid = \"s\"\nkind = \"scan\"\nmin_targets = \"64\"\n",
       "r.toml:4: rule 's': field 'min_targets': must be an integer"},
      {"[[rule]]\nid = \"s\"\nkind = \"scan\"\nmin_failed_ratio = 1.5\n",
       "r.toml:4: rule 's': field 'min_failed_ratio': must be in 0..1"},
      {"[[rule]]\nid = \"s\"\nkind = \"scan\"\nwindow = \"5 minutes\"\n",
       "r.toml:4: rule 's': field 'window': "},
      {"[[rule]]\nid = \"s\"\nkind = \"scan\"\nwindow = \"1500ms\"\n",
       "r.toml:4: rule 's': field 'window': must be whole seconds"},
      {"[[rule]]\nid = \"s\"\nkind = \"scan\"\nmin_ratio = 3\n",
       "r.toml:4: rule 's': field 'min_ratio': unknown key (expected id, kind, description, "
       "min_failed_ratio, min_targets, window)"},
      {"[[rule]]\nid = \"s\"\nkind = \"scan\"\nvalue = \"1.2.3.4\"\n",
       "r.toml:4: rule 's': field 'value': a behaviour rule has thresholds, not values"},
      {"[[rule]]\nid = \"a\"\nkind = \"amplification\"\nports = [53, \"ntp\"]\n",
       "r.toml:4: rule 'a': field 'ports': must be a non-empty array of port numbers"},
      {"[[rule]]\nid = \"a\"\nkind = \"amplification\"\nports = [0]\n",
       "r.toml:4: rule 'a': field 'ports': port 0 is not in 1..65535"},
      {"[[rule]]\nid = \"a\"\nkind = \"amplification\"\nports = []\n",
       "r.toml:4: rule 'a': field 'ports': must be a non-empty array of port numbers"},
      {"[[rule]]\nid = \"b\"\nkind = \"beacon\"\nperiodic_ports = 123\n",
       "r.toml:4: rule 'b': field 'periodic_ports': must be an array of port numbers"},
      {"[[rule]]\nid = \"b\"\nkind = \"beacon\"\nmax_server_clients = 0\n",
       "r.toml:4: rule 'b': field 'max_server_clients': must be in 1..65535"},
      {"[[rule]]\nid = \"b\"\nkind = \"beacon\"\nmax_client_series = 4\n",
       "r.toml:4: rule 'b': field 'max_client_series': must be in 1..3"},
      {"[[rule]]\nid = \"b\"\nkind = \"beacon\"\nmin_interval = \"1h\"\nmax_interval = \"10m\"\n",
       "r.toml:1: rule 'b': field 'kind': min_interval must be shorter than max_interval"},
      {"[[rule]]\nid = \"i\"\nkind = \"ip\"\nmin_targets = 3\nvalue = \"192.0.2.1\"\n",
       "r.toml:4: rule 'i': field 'min_targets': unknown key (expected id, kind, value, "
       "values_file, description)"},
  };
  for (const auto& c : cases) {
    const std::string error = error_of(dir, c.text);
    EXPECT_NE(error.find(c.expected), std::string::npos)
        << "expected: " << c.expected << "\ngot: " << error;
  }
}

TEST(BehaviourRule, ThresholdReadersRejectValuesTheLoaderNeverWrites) {
  EXPECT_FALSE(scan_thresholds(std::vector<std::string>{"min_targets=64"}));
  EXPECT_FALSE(amplification_thresholds(std::vector<std::string>{
      "min_ratio=10", "min_response_bytes=1", "ports=53,x", "window=60s"}));
  EXPECT_FALSE(beacon_thresholds(std::vector<std::string>{"max_cv"}));
}

}  // namespace
}  // namespace mamori::sieve
