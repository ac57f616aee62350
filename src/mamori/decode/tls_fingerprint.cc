#include "mamori/decode/tls_fingerprint.h"

#include <algorithm>
#include <array>
#include <charconv>

#include <openssl/evp.h>

namespace mamori::decode::tls {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

std::string digest_hex(const EVP_MD* md, std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (md == nullptr ||
      EVP_Digest(text.data(), text.size(), digest.data(), &size, md, nullptr) != 1) {
    return {};
  }
  std::string hex(std::size_t{size} * 2, '0');
  for (unsigned int i = 0; i < size; ++i) {
    hex[2 * i] = kHexDigits[digest[i] >> 4];
    hex[2 * i + 1] = kHexDigits[digest[i] & 0x0f];
  }
  return hex;
}

template <class T>
void append_decimal_list(std::string& out, const std::vector<T>& values) {
  std::array<char, 8> buffer{};
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out.push_back('-');
    const auto printed = std::to_chars(buffer.data(), buffer.data() + buffer.size(), values[i]);
    out.append(buffer.data(), printed.ptr);
  }
}

// "1301,1302,c02b": four lower-case hex digits per value, written in place.
void append_hex4_list(std::string& out, const std::vector<std::uint16_t>& values) {
  if (values.empty()) return;
  std::size_t at = out.size();
  out.resize(at + 5 * values.size() - 1, ',');
  for (std::uint16_t value : values) {
    out[at] = kHexDigits[(value >> 12) & 0x0f];
    out[at + 1] = kHexDigits[(value >> 8) & 0x0f];
    out[at + 2] = kHexDigits[(value >> 4) & 0x0f];
    out[at + 3] = kHexDigits[value & 0x0f];
    at += 5;
  }
}

void append_count(std::string& out, std::size_t count) {
  count = std::min<std::size_t>(count, 99);
  out.push_back(static_cast<char>('0' + count / 10));
  out.push_back(static_cast<char>('0' + count % 10));
}

std::string_view ja4_version(std::uint16_t version) {
  switch (version) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    case 0x0002:
      return "s2";
    case 0xfeff:
      return "d1";
    case 0xfefd:
      return "d2";
    case 0xfefc:
      return "d3";
    default:
      return "00";
  }
}

constexpr bool is_alnum(std::uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// JA4 "ALPN Extension Value": first and last character of the first name; when either end
// byte is not alphanumeric, the first and last hex digit of the whole name instead.
void append_alpn(std::string& out, std::span<const std::uint8_t> alpn) {
  if (alpn.empty()) {
    out.append("00");
    return;
  }
  const std::uint8_t first = alpn.front();
  const std::uint8_t last = alpn.back();
  if (is_alnum(first) && is_alnum(last)) {
    out.push_back(static_cast<char>(first));
    out.push_back(static_cast<char>(last));
  } else {
    out.push_back(kHexDigits[first >> 4]);
    out.push_back(kHexDigits[last & 0x0f]);
  }
}

// The first 12 hex digits of SHA-256, or twelve zeros for an empty list (spec: makes "no
// values" visible rather than hashing nothing).
void append_truncated_hash(std::string& out, std::string_view text) {
  constexpr std::size_t kTruncated = 12;
  if (text.empty()) {
    out.append(kTruncated, '0');
    return;
  }
  const std::string hash = sha256_hex(text);
  if (hash.size() < kTruncated) {
    out.append(kTruncated, '0');  // digest unavailable: cannot happen with a working libcrypto
    return;
  }
  out.append(hash, 0, kTruncated);
}

// Each digest is fetched from the default provider once and kept for the process: OpenSSL 3
// would otherwise repeat the fetch inside every EVP_Digest(EVP_sha256()) call, which costs
// about as much as hashing a JA3 string. The fetched method is immutable and thread-safe; a
// null result (MD5 absent in a FIPS-only configuration) yields an empty digest.
const EVP_MD* fetched_md5() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md;
}
const EVP_MD* fetched_sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

std::string md5_hex(std::string_view text) { return digest_hex(fetched_md5(), text); }
std::string sha256_hex(std::string_view text) { return digest_hex(fetched_sha256(), text); }

std::uint16_t offered_version(const HelloFields& fields) {
  if (fields.versions.empty()) return fields.legacy_version;
  return *std::max_element(fields.versions.begin(), fields.versions.end());
}

std::string ja3_string(const HelloFields& fields) {
  std::string out;
  out.reserve(16 + 6 * (fields.ciphers.size() + fields.extensions.size() + fields.groups.size()) +
              4 * fields.point_formats.size());
  std::array<char, 8> version{};
  const auto printed =
      std::to_chars(version.data(), version.data() + version.size(), fields.legacy_version);
  out.append(version.data(), printed.ptr);
  out.push_back(',');
  append_decimal_list(out, fields.ciphers);
  out.push_back(',');
  append_decimal_list(out, fields.extensions);
  out.push_back(',');
  append_decimal_list(out, fields.groups);
  out.push_back(',');
  append_decimal_list(out, fields.point_formats);
  return out;
}

std::string ja4_fingerprint(const HelloFields& fields) {
  std::string out;
  out.reserve(36);
  out.push_back('t');
  out.append(ja4_version(offered_version(fields)));
  out.push_back(fields.has_sni ? 'd' : 'i');
  append_count(out, fields.ciphers.size());
  append_count(out, fields.extensions.size());
  append_alpn(out, fields.first_alpn);
  out.push_back('_');

  std::vector<std::uint16_t> sorted = fields.ciphers;
  std::sort(sorted.begin(), sorted.end());
  std::string list;
  list.reserve(5 * std::max(sorted.size(), fields.extensions.size() + fields.sig_algs.size()));
  append_hex4_list(list, sorted);
  append_truncated_hash(out, list);
  out.push_back('_');

  // SNI and ALPN are already in the first part; leaving them out keeps the third part stable
  // across destinations (domain vs. IP) and ALPN choices.
  sorted.clear();
  for (std::uint16_t type : fields.extensions) {
    if (type != 0x0000 && type != 0x0010) sorted.push_back(type);
  }
  std::sort(sorted.begin(), sorted.end());
  list.clear();
  if (!sorted.empty()) {
    append_hex4_list(list, sorted);
    if (!fields.sig_algs.empty()) {
      list.push_back('_');
      append_hex4_list(list, fields.sig_algs);
    }
  }
  append_truncated_hash(out, list);
  return out;
}

}  // namespace mamori::decode::tls
