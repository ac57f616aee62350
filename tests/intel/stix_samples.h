#pragma once
// Sample STIX objects shared by the stix_*_test.cc files: one of every exported type, with the
// awkward strings (quotes, backslashes, control characters, non-ASCII) where they can go.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mamori/intel/stix.h"
#include "mamori/intel/stix_pattern.h"

namespace mamori::intel::stix::testing {

// 2026-11-22T02:37:19.123Z
inline constexpr Timestamp kSampleTime{1'795'315'039'123'000'000};

// Deterministic "random" bytes so ids repeat from run to run.
inline RandomBytes counter_random(std::uint8_t seed) {
  return [counter = std::uint64_t{seed} << 40](std::span<std::uint8_t> out) mutable {
    for (auto& byte : out)
      byte = static_cast<std::uint8_t>((++counter * 0x9E3779B97F4A7C15ULL) >> 56);
  };
}

// Every object type mamori exports, referencing each other, marked with `tlp`.
inline std::vector<StixObject> sample_objects(Tlp tlp, std::uint8_t seed = 1) {
  static const ManualClock clock(kSampleTime);
  const RandomBytes random = counter_random(seed);
  const std::string org_id = new_id("identity", random);
  ObjectFactory factory(clock, org_id, {tlp}, random);

  Identity org;
  org.common = factory.common("identity");
  org.common.id = org_id;
  org.name = "National Cybersecurity Office \"NCO\" 国家サイバー統括室";
  org.identity_class = "organization";
  org.sectors = {"government"};
  org.contact_information = "soc@example.jp";

  Indicator ip;
  ip.common = factory.common("indicator");
  ip.name = "C2 addresses";
  ip.indicator_types = {"malicious-activity"};
  Pattern ip_pattern = any_of(ObservableProperty::kIpv4, {"203.0.113.7", "198.51.100.0/24"});
  ip_pattern.observations.push_back(
      {{{ObservableProperty::kIpv6, "2001:db8::7"}}, PatternJoin::kOr});
  ip.pattern = render_pattern(ip_pattern).value();
  ip.valid_from = kSampleTime;
  ip.valid_until = kSampleTime + Duration::seconds(86'400 * 30);
  ip.kill_chain_phases = {attack_phase("command-and-control")};
  ip.common.confidence = 80;

  Indicator tricky;
  tricky.common = factory.common("indicator");
  tricky.name = "tricky \"quoted\" \\ name\twith\ncontrol \x01 and 日本語";
  tricky.description = "a line\r\nanother; </script> \u2028";
  tricky.indicator_types = {"malicious-activity", "anomalous-activity"};
  Pattern tricky_pattern;
  tricky_pattern.join = PatternJoin::kOr;
  tricky_pattern.observations = {
      {{{ObservableProperty::kDomainName, "it's.a\\weird'domain.example"}}, PatternJoin::kOr},
      {{{ObservableProperty::kUrl, "http://evil.example/a'b\\c\"d?x=']"},
        {ObservableProperty::kDomainName, "evil.example"}},
       PatternJoin::kAnd},
      {{{ObservableProperty::kFileSha256,
         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
        {ObservableProperty::kFileMd5, "d41d8cd98f00b204e9800998ecf8427e"},
        {ObservableProperty::kFileSha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
       PatternJoin::kOr},
  };
  tricky.pattern = render_pattern(tricky_pattern).value();
  tricky.valid_from = kSampleTime;

  Infrastructure c2;
  c2.common = factory.common("infrastructure");
  c2.name = "C2 server";
  c2.infrastructure_types = {"command-and-control"};
  c2.first_seen = kSampleTime - Duration::seconds(3600);
  c2.last_seen = kSampleTime;

  Malware malware;
  malware.common = factory.common("malware");
  malware.name = "ExampleRAT";
  malware.malware_types = {"remote-access-trojan"};
  malware.is_family = true;
  malware.aliases = {"ERAT"};

  AttackPattern phishing;
  phishing.common = factory.common("attack-pattern");
  phishing.name = "Spearphishing Attachment";
  phishing.common.external_references = {attack_reference("T1566.001").value()};
  phishing.kill_chain_phases = {attack_phase("initial-access")};

  Vulnerability cve;
  cve.common = factory.common("vulnerability");
  cve.name = "CVE-2024-3400";
  cve.description = "PAN-OS GlobalProtect command injection";
  cve.common.external_references = {cve_reference("CVE-2024-3400").value()};

  Sighting sighting;
  sighting.common = factory.common("sighting");
  sighting.sighting_of_ref = ip.common.id;
  sighting.where_sighted_refs = {org_id};
  sighting.first_seen = kSampleTime - Duration::seconds(60);
  sighting.last_seen = kSampleTime;
  sighting.count = 42;

  Relationship indicates;
  indicates.common = factory.common("relationship");
  indicates.relationship_type = "indicates";
  indicates.source_ref = ip.common.id;
  indicates.target_ref = c2.common.id;

  Relationship uses;
  uses.common = factory.common("relationship");
  uses.relationship_type = "uses";
  uses.source_ref = malware.common.id;
  uses.target_ref = phishing.common.id;

  Note note;
  note.common = factory.common("note");
  note.abstract = "Strategic note";
  note.content = "Purpose and background of the campaign: 'quoted' \"text\" \\ 背景";
  note.authors = {"NCO analyst"};
  note.object_refs = {ip.common.id, malware.common.id};

  Report report;
  report.common = factory.common("report");
  report.name = "Integrated analysis 2026-11";
  report.report_types = {"threat-report"};
  report.published = kSampleTime;
  report.object_refs = {
      ip.common.id,  tricky.common.id,   c2.common.id,        malware.common.id, phishing.common.id,
      cve.common.id, sighting.common.id, indicates.common.id, uses.common.id,    note.common.id};
  report.common.labels = {"tier-2"};

  return {org, ip, tricky, c2, malware, phishing, cve, sighting, indicates, uses, note, report};
}

}  // namespace mamori::intel::stix::testing
