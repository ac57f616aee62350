#pragma once
// sieve/record: the machine-information record (機械的情報), the only thing the sieve ever
// emits. The schema is closed (I2): communication-history items, command information capped
// at kMaxCommandBytes, and items that do not reveal content. There is deliberately no field
// for URLs, paths, queries, bodies, mail or page text; adding one is a legal change, not a
// code change. On-disk/on-wire form: record_json.h, versioned by kRecordVersion.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/core/time.h"
#include "mamori/scope/category.h"
#include "mamori/scope/country.h"

namespace mamori::sieve {

// 2: addresses may be pseudonyms ("p<epoch>:<address>", I5).
// 3: behaviour matches (scan, amplification, beacon) with their measured values.
// Readers accept 1 to 3.
inline constexpr int kRecordVersion = 3;
inline constexpr int kOldestRecordVersion = 1;
inline constexpr std::size_t kMaxCommandBytes = 64;
inline constexpr std::size_t kMaxDnsEntries = 8;
inline constexpr std::size_t kMaxHttpEntries = 4;
inline constexpr std::size_t kMaxMatches = 8;

struct Endpoint {
  IpAddress ip;
  std::uint16_t port = 0;
  scope::CountryCode country;
  // 0: `ip` is the address in clear. Otherwise `ip` is its prefix-preserving pseudonym under
  // this key epoch (I5, privacy/field_policy.h); the country is the real address's.
  std::uint32_t pseudonym_epoch = 0;

  bool pseudonymized() const { return pseudonym_epoch != 0; }

  bool operator==(const Endpoint&) const = default;
};

struct DnsEntry {
  std::string name;
  std::uint16_t type = 0;
  std::optional<std::uint8_t> rcode;  // absent when no response was seen
  std::vector<IpAddress> answers;
  // 0: the answers are in clear; otherwise every answer is a pseudonym under this key epoch.
  std::uint32_t answers_pseudonym_epoch = 0;

  bool operator==(const DnsEntry&) const = default;
};

struct TlsInfo {
  std::string sni;
  std::vector<std::string> alpn;
  std::string version;  // "1.3"
  std::string ja3;
  std::string ja3_hash;
  std::string ja4;

  bool operator==(const TlsInfo&) const = default;
};

struct HttpInfo {
  std::string method;
  std::string host;
  std::string user_agent;

  bool operator==(const HttpInfo&) const = default;
};

// Indicator kinds match what a flow carries; behaviour kinds (scan, amplification, beacon)
// match what a source or a pair of endpoints did across flows (sieve/behaviour.h).
enum class RuleKind : std::uint8_t {
  ip,
  domain,
  port,
  ja3,
  ja4,
  bytes,
  scan,
  amplification,
  beacon
};
bool is_behaviour(RuleKind kind);

inline constexpr std::size_t kMaxMeasures = 12;
inline constexpr std::size_t kMaxMeasureNameLength = 32;

// One value a behaviour rule measured when it selected the flow, or the threshold it was held
// to, so that a selection is explainable from its record alone (e.g. "targets" = 73 and
// "min_targets" = 64). Names are [a-z0-9_]+, sorted and unique within a match; values are
// finite.
struct Measure {
  std::string name;
  double value = 0;

  bool operator==(const Measure&) const = default;
};

struct Match {
  std::string rule;  // the rule's id in the approved ruleset
  RuleKind kind = RuleKind::ip;
  std::vector<std::uint8_t> command = {};  // matched bytes of a `bytes` rule, ≤ kMaxCommandBytes
  std::vector<Measure> measured = {};      // behaviour rules only, ≤ kMaxMeasures

  bool operator==(const Match&) const = default;
};

struct Record {
  std::string sensor;
  std::string flow_id;  // 32 hex digits, unique per sensor and flow
  scope::Category category = scope::Category::FF;
  Timestamp first_seen;
  Timestamp last_seen;
  std::uint8_t protocol = 0;  // IP protocol number
  Endpoint src;               // the initiator
  Endpoint dst;
  std::array<std::uint64_t, 2> packets{};  // [0] forward (src→dst), [1] reverse
  std::array<std::uint64_t, 2> bytes{};
  std::uint8_t tcp_flags = 0;  // union over both directions
  std::vector<DnsEntry> dns;   // ≤ kMaxDnsEntries
  std::optional<TlsInfo> tls;
  std::vector<HttpInfo> http;  // ≤ kMaxHttpEntries
  std::vector<Match> matches;  // ≤ kMaxMatches

  bool operator==(const Record&) const = default;
};

// The text of an address in a record: the address itself, or "p<epoch>:<pseudonym>" when
// `pseudonym_epoch` is not 0 (e.g. "p2:100.154.15.220", "p3:4401:2bc::1").
std::string address_text(const IpAddress& ip, std::uint32_t pseudonym_epoch);
struct AddressText {
  IpAddress ip;
  std::uint32_t pseudonym_epoch = 0;  // 0: in clear
};
// Inverse of address_text(). Error messages never echo the text (it may be a real address).
Result<AddressText> parse_address_text(std::string_view text);
// An address prefix in the same two forms: "133.242.0.0/16" or "p2:100.15.0.0/16" (pseudonyms
// preserve prefixes, so a pseudonymous subnet is a subnet of pseudonyms). Never echoes the text.
struct PrefixText {
  Prefix prefix;
  std::uint32_t pseudonym_epoch = 0;
};
Result<PrefixText> parse_prefix_text(std::string_view text);
// Inverse of parse_prefix_text().
std::string prefix_text(const Prefix& prefix, std::uint32_t pseudonym_epoch);

std::string_view to_string(RuleKind kind);
std::optional<RuleKind> parse_rule_kind(std::string_view text);
// "tcp", "udp", "icmp", "icmpv6", or the protocol number as text.
std::string protocol_name(std::uint8_t protocol);
// TCP flags as letters in the fixed order "SAFPRUEC"; only the ones set.
std::string tcp_flags_string(std::uint8_t flags);
// Inverse of protocol_name(): "tcp" → 6, "47" → 47; only the exact form protocol_name writes.
std::optional<std::uint8_t> parse_protocol_name(std::string_view text);
// Inverse of tcp_flags_string(): letters of "SAFPRUEC" in any order, each at most once.
std::optional<std::uint8_t> parse_tcp_flags(std::string_view text);

}  // namespace mamori::sieve
