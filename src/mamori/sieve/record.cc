#include "mamori/sieve/record.h"

#include "mamori/decode/packet.h"

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

namespace mamori::sieve {
namespace {

constexpr std::array<std::string_view, 9> kRuleKindNames = {
    "ip", "domain", "port", "ja3", "ja4", "bytes", "scan", "amplification", "beacon"};

struct FlagLetter {
  std::uint8_t bit;
  char letter;
};

// RFC 9293 §3.1 header bits (FIN 0x01 … CWR 0x80, CWR/ECE from RFC 3168), printed in the
// record's fixed order, which puts handshake and teardown ahead of the rare ones.
constexpr std::array<FlagLetter, 8> kFlagLetters = {{{0x02, 'S'},
                                                     {0x10, 'A'},
                                                     {0x01, 'F'},
                                                     {0x08, 'P'},
                                                     {0x04, 'R'},
                                                     {0x20, 'U'},
                                                     {0x40, 'E'},
                                                     {0x80, 'C'}}};

}  // namespace

namespace {

std::string with_epoch(std::string text, std::uint32_t pseudonym_epoch) {
  if (pseudonym_epoch == 0) return text;
  return fmt::format("p{}:{}", pseudonym_epoch, text);
}

}  // namespace

std::string address_text(const IpAddress& ip, std::uint32_t pseudonym_epoch) {
  return with_epoch(ip.to_string(), pseudonym_epoch);
}

std::string prefix_text(const Prefix& prefix, std::uint32_t pseudonym_epoch) {
  return with_epoch(prefix.to_string(), pseudonym_epoch);
}

namespace {

// Splits "p<epoch>:" off a pseudonym's text; epoch 0 (and the text unchanged) when absent.
Result<std::pair<std::uint32_t, std::string_view>> split_epoch(std::string_view text) {
  if (text.empty() || text.front() != 'p')
    return std::pair<std::uint32_t, std::string_view>{0, text};
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return fail("pseudonym: missing ':' after the epoch");
  const std::string_view digits = text.substr(1, colon - 1);
  std::uint32_t epoch = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), epoch);
  if (digits.empty() || digits.front() == '0' || error != std::errc() ||
      end != digits.data() + digits.size()) {
    return fail("pseudonym: the epoch must be a decimal integer from 1 to 4294967295");
  }
  return std::pair<std::uint32_t, std::string_view>{epoch, text.substr(colon + 1)};
}

}  // namespace

Result<AddressText> parse_address_text(std::string_view text) {
  auto split = split_epoch(text);
  if (!split) return fail(split.error());
  const auto [epoch, rest] = *split;
  const auto address = IpAddress::parse(rest);
  if (!address) {
    if (epoch != 0) return fail("pseudonym: the part after 'p{}:' is not an IP address", epoch);
    return fail("not an IPv4 or IPv6 address, nor a pseudonym p<epoch>:<address>");
  }
  return AddressText{*address, epoch};
}

Result<PrefixText> parse_prefix_text(std::string_view text) {
  auto split = split_epoch(text);
  if (!split) return fail(split.error());
  const auto [epoch, rest] = *split;
  auto prefix = Prefix::parse(rest);
  if (!prefix) {
    return fail("not an address or prefix, nor a pseudonymous one p<epoch>:<prefix>");
  }
  return PrefixText{*prefix, epoch};
}

std::string_view to_string(RuleKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kRuleKindNames.size() ? kRuleKindNames[index] : std::string_view("unknown");
}

bool is_behaviour(RuleKind kind) {
  return kind == RuleKind::scan || kind == RuleKind::amplification || kind == RuleKind::beacon;
}

std::optional<RuleKind> parse_rule_kind(std::string_view text) {
  for (std::size_t i = 0; i < kRuleKindNames.size(); ++i) {
    if (kRuleKindNames[i] == text) return static_cast<RuleKind>(i);
  }
  return std::nullopt;
}

std::string protocol_name(std::uint8_t protocol) { return decode::ip_protocol_name(protocol); }

std::optional<std::uint8_t> parse_protocol_name(std::string_view text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc{} && end == text.data() + text.size() && value <= 255) {
    const auto protocol = static_cast<std::uint8_t>(value);
    // Only the canonical form is accepted: "6" must be written "tcp", "47" not "047".
    return protocol_name(protocol) == text ? std::optional(protocol) : std::nullopt;
  }
  for (const unsigned named : {1u, 6u, 17u, 58u}) {
    if (protocol_name(static_cast<std::uint8_t>(named)) == text) {
      return static_cast<std::uint8_t>(named);
    }
  }
  return std::nullopt;
}

std::string tcp_flags_string(std::uint8_t flags) {
  std::string text;
  for (const auto& [bit, letter] : kFlagLetters) {
    if ((flags & bit) != 0) text.push_back(letter);
  }
  return text;
}

std::optional<std::uint8_t> parse_tcp_flags(std::string_view text) {
  std::uint8_t flags = 0;
  for (const char c : text) {
    const auto* found = std::find_if(kFlagLetters.begin(), kFlagLetters.end(),
                                     [c](const FlagLetter& flag) { return flag.letter == c; });
    if (found == kFlagLetters.end() || (flags & found->bit) != 0) return std::nullopt;
    flags = static_cast<std::uint8_t>(flags | found->bit);
  }
  return flags;
}

}  // namespace mamori::sieve
