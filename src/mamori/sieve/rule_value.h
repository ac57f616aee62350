#pragma once
// sieve/rule_value: the syntax of one selection-condition value per rule kind, and its
// canonical (normalized) form. The canonical form is what the ruleset hash covers and what
// the matchers are compiled from, so it is part of the approval contract (ruleset.h):
//
//   ip      "192.0.2.0/24", "2001:db8::/32", "192.0.2.7/32" — Prefix::to_string(); a bare
//           address becomes a host prefix; host bits set is an error.
//   domain  "example.net" (exact) or ".example.net" (suffix; input ".b" or "*.b"): lower
//           case, no trailing dot, labels of [a-z0-9_-], 1..63 bytes, name ≤ 253 bytes.
//           Non-ASCII names must be written as A-labels (xn--...).
//   port    "443" (any transport), "tcp/443", "udp/53", ranges "tcp/8000-8100"; 1..65535.
//   ja3     32 lower-case hex digits (the MD5), or the full JA3 string
//           "771,4865-4866,0-23-65281,29-23-24,0" kept as written.
//   ja4     "t13d1516h2_8daaf6152771_e5627efa2ab1": the hex parts lower-cased.
//   bytes   the raw pattern bytes (may hold NUL). Input: a UTF-8 literal, or "hex:" followed
//           by an even number of hex digits (spaces and tabs between them are ignored).
//           1..kMaxBytesPattern bytes. A literal that starts with "hex:" must be written in hex.
//
// Error texts say what is wrong with the value; the caller adds file, line, rule and field.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mamori/core/error.h"
#include "mamori/sieve/record.h"

namespace mamori::sieve {

inline constexpr std::size_t kMaxBytesPattern = 1024;
inline constexpr std::size_t kMaxDomainLength = 253;

Result<std::string> normalize_ip(std::string_view text);
Result<std::string> normalize_domain(std::string_view text);
Result<std::string> normalize_port(std::string_view text);
Result<std::string> normalize_ja3(std::string_view text);
Result<std::string> normalize_ja4(std::string_view text);
Result<std::string> normalize_bytes(std::string_view text);

// Dispatches on the kind.
Result<std::string> normalize_value(RuleKind kind, std::string_view text);

enum class PortProtocol : std::uint8_t { any, tcp, udp };

struct PortRange {
  PortProtocol protocol = PortProtocol::any;
  std::uint16_t first = 0;
  std::uint16_t last = 0;
};

// Reads a canonical port value (as produced by normalize_port).
std::optional<PortRange> parse_port_range(std::string_view canonical);

// A canonical domain value is a suffix rule when it starts with '.'.
inline bool is_domain_suffix(std::string_view canonical) {
  return !canonical.empty() && canonical.front() == '.';
}

// A canonical ja3 value that is an MD5 (rather than a full JA3 string).
bool is_ja3_hash(std::string_view canonical);

// Printable, bounded rendering of a value for error messages: bytes outside printable ASCII
// become \xHH and the result is cut at about 80 characters.
std::string quote_value(std::string_view text);

}  // namespace mamori::sieve
