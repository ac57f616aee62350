#include "mamori/sieve/rule_value.h"

#include <charconv>

#include "mamori/core/ip.h"

namespace mamori::sieve {
namespace {

constexpr char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool is_lower_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  c = to_lower(c);
  return c - 'a' + 10;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = to_lower(c);
  return out;
}

// Decimal 0..max with 1..5 digits and no sign; false otherwise.
bool parse_number(std::string_view text, std::uint32_t max, std::uint32_t& out) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text) {
    if (!is_digit(c)) return false;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size() && out <= max;
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      code = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      code = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (text.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[extra] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace

Result<std::string> normalize_ip(std::string_view text) {
  auto prefix = Prefix::parse(text);
  if (!prefix) return fail(prefix.error());
  return prefix->to_string();
}

Result<std::string> normalize_domain(std::string_view text) {
  std::string_view name = text;
  bool suffix = false;
  if (name.starts_with("*.")) {
    suffix = true;
    name.remove_prefix(2);
  } else if (name.starts_with('.')) {
    suffix = true;
    name.remove_prefix(1);
  }
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty()) return fail("'{}' names no domain", quote_value(text));
  if (name.size() > kMaxDomainLength) {
    return fail("domain is {} bytes long, at most {} allowed", name.size(), kMaxDomainLength);
  }
  std::size_t label = 0;
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return fail("'{}' is not ASCII: write internationalized names as A-labels (xn--...)",
                  quote_value(text));
    }
    if (c == '*') {
      return fail("'{}': a wildcard is only allowed as a leading '*.'", quote_value(text));
    }
    if (c == '.') {
      if (label == 0) return fail("'{}' has an empty label", quote_value(text));
      label = 0;
      continue;
    }
    const char l = to_lower(c);
    if (!is_lower_alnum(l) && l != '-' && l != '_') {
      return fail("'{}' holds '{}', which is not allowed in a host name", quote_value(text),
                  quote_value(std::string_view(&c, 1)));
    }
    if (++label > 63) return fail("'{}' has a label longer than 63 bytes", quote_value(text));
  }
  if (label == 0) return fail("'{}' has an empty label", quote_value(text));
  if (!suffix && IpAddress::parse(name)) {
    return fail("'{}' is an IP address: use kind 'ip'", quote_value(text));
  }
  // Appended rather than `"." + lower(name)`: GCC 12 at -O3 warns (-Wrestrict) on the latter.
  std::string out(suffix ? "." : "");
  out += lower(name);
  return out;
}

Result<std::string> normalize_port(std::string_view text) {
  std::string_view rest = text;
  std::string protocol;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    protocol = lower(rest.substr(0, slash));
    if (protocol != "tcp" && protocol != "udp") {
      return fail("'{}': protocol must be 'tcp' or 'udp'", quote_value(text));
    }
    rest.remove_prefix(slash + 1);
  }
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  const auto dash = rest.find('-');
  const bool ok = dash == std::string_view::npos
                      ? parse_number(rest, 65535, first)
                      : parse_number(rest.substr(0, dash), 65535, first) &&
                            parse_number(rest.substr(dash + 1), 65535, last);
  if (!ok) {
    return fail("'{}' is not a port (1..65535), a range 'a-b', or 'tcp/'/'udp/' with one",
                quote_value(text));
  }
  if (dash == std::string_view::npos) last = first;
  if (first == 0) return fail("'{}': port 0 is not a valid port", quote_value(text));
  if (last < first) return fail("'{}': range end is below its start", quote_value(text));
  std::string out(protocol);
  if (!out.empty()) out += '/';
  out += std::to_string(first);
  if (last != first) {
    out += '-';
    out += std::to_string(last);
  }
  return out;
}

bool is_ja3_hash(std::string_view canonical) {
  if (canonical.size() != 32) return false;
  for (char c : canonical) {
    if (!is_hex(c)) return false;
  }
  return true;
}

Result<std::string> normalize_ja3(std::string_view text) {
  if (is_ja3_hash(text)) return lower(text);
  // SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats; lists '-'-joined.
  std::size_t field = 0;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const auto part = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (field == 0 && part.empty()) {
      return fail("'{}': a JA3 string starts with the TLS version number", quote_value(text));
    }
    std::size_t item_start = 0;
    while (!part.empty()) {
      const auto dash = part.find('-', item_start);
      std::uint32_t number = 0;
      if (!parse_number(
              part.substr(item_start, dash == std::string_view::npos ? dash : dash - item_start),
              65535, number) ||
          (field == 0 && dash != std::string_view::npos)) {
        return fail(
            "'{}' is neither a JA3 MD5 (32 hex digits) nor a JA3 string: field {} "
            "must be numbers 0..65535 joined by '-'",
            quote_value(text), field + 1);
      }
      if (dash == std::string_view::npos) break;
      item_start = dash + 1;
    }
    ++field;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (field != 5) {
    return fail("'{}' is neither a JA3 MD5 (32 hex digits) nor a JA3 string of 5 fields",
                quote_value(text));
  }
  return std::string(text);
}

Result<std::string> normalize_ja4(std::string_view text) {
  // JA4 (FoxIO): a_b_c, a = proto(t|q|d) version(2) sni(d|i) ciphers(2 digits)
  // extensions(2 digits) alpn(2 alnum); b and c are 12 hex digits each.
  const std::string value = lower(text);
  const auto bad = [&](std::string_view what) {
    return fail("'{}' is not a JA4 fingerprint like 't13d1516h2_8daaf6152771_e5627efa2ab1': {}",
                quote_value(text), what);
  };
  if (value.size() != 36 || value[10] != '_' || value[23] != '_') return bad("wrong shape");
  if (value[0] != 't' && value[0] != 'q' && value[0] != 'd') return bad("protocol not t/q/d");
  if (!is_lower_alnum(value[1]) || !is_lower_alnum(value[2])) return bad("bad version");
  if (value[3] != 'd' && value[3] != 'i') return bad("SNI flag not d/i");
  for (std::size_t i = 4; i < 8; ++i) {
    if (!is_digit(value[i])) return bad("cipher/extension counts are not digits");
  }
  if (!is_lower_alnum(value[8]) || !is_lower_alnum(value[9])) return bad("bad ALPN characters");
  for (std::size_t i = 11; i < 36; ++i) {
    if (i != 23 && !is_hex(value[i])) return bad("hash parts are not hex");
  }
  return value;
}

Result<std::string> normalize_bytes(std::string_view text) {
  std::string out;
  if (text.starts_with("hex:")) {
    std::string digits;
    for (char c : text.substr(4)) {
      if (c == ' ' || c == '\t') continue;
      if (!is_hex(c)) {
        return fail("'{}': hex pattern holds a non-hex character", quote_value(text));
      }
      digits += c;
    }
    if (digits.size() % 2 != 0) {
      return fail("'{}': hex pattern has an odd number of digits", quote_value(text));
    }
    for (std::size_t i = 0; i < digits.size(); i += 2) {
      out += static_cast<char>(hex_value(digits[i]) * 16 + hex_value(digits[i + 1]));
    }
  } else {
    if (!valid_utf8(text)) {
      return fail("literal pattern is not valid UTF-8 (write binary patterns as 'hex:...')");
    }
    out = text;
  }
  if (out.empty()) return fail("pattern is empty");
  if (out.size() > kMaxBytesPattern) {
    return fail("pattern is {} bytes long, at most {} allowed", out.size(), kMaxBytesPattern);
  }
  return out;
}

Result<std::string> normalize_value(RuleKind kind, std::string_view text) {
  switch (kind) {
    case RuleKind::ip:
      return normalize_ip(text);
    case RuleKind::domain:
      return normalize_domain(text);
    case RuleKind::port:
      return normalize_port(text);
    case RuleKind::ja3:
      return normalize_ja3(text);
    case RuleKind::ja4:
      return normalize_ja4(text);
    case RuleKind::bytes:
      return normalize_bytes(text);
    case RuleKind::scan:
    case RuleKind::amplification:
    case RuleKind::beacon:
      break;  // behaviour rules have thresholds (sieve/behaviour.h), not values
  }
  return fail("rule kind has no values");
}

std::optional<PortRange> parse_port_range(std::string_view canonical) {
  PortRange range;
  if (canonical.starts_with("tcp/")) {
    range.protocol = PortProtocol::tcp;
    canonical.remove_prefix(4);
  } else if (canonical.starts_with("udp/")) {
    range.protocol = PortProtocol::udp;
    canonical.remove_prefix(4);
  }
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  const auto dash = canonical.find('-');
  if (dash == std::string_view::npos) {
    if (!parse_number(canonical, 65535, first)) return std::nullopt;
    last = first;
  } else if (!parse_number(canonical.substr(0, dash), 65535, first) ||
             !parse_number(canonical.substr(dash + 1), 65535, last)) {
    return std::nullopt;
  }
  if (first == 0 || last < first) return std::nullopt;
  range.first = static_cast<std::uint16_t>(first);
  range.last = static_cast<std::uint16_t>(last);
  return range;
}

std::string quote_value(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  std::string out;
  for (char c : text) {
    if (out.size() >= kMaxShown) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\'' && c != '\\') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  return out;
}

}  // namespace mamori::sieve
