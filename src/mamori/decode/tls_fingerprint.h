#pragma once
// decode/tls_fingerprint: the ClientHello handshake parameters that JA3 and JA4 are computed
// from, and the two fingerprint functions. Internal to decode (app.h is the public contract);
// exposed as a header so tests can check the fingerprints against published vectors directly.
//
// JA3: Salesforce, https://github.com/salesforce/ja3 (BSD-3-Clause).
// JA4: FoxIO, technical_details/JA4.md in https://github.com/FoxIO-LLC/ja4 (the JA4 TLS client
// fingerprint itself is BSD-3-Clause; implemented here from the written description).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::decode::tls {

// RFC 8701 GREASE: both bytes equal and of the form 0x?A.
constexpr bool is_grease(std::uint16_t value) {
  return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

// Lists as offered, in wire order, with GREASE values already removed.
struct HelloFields {
  std::uint16_t legacy_version = 0;
  std::vector<std::uint16_t> ciphers;
  std::vector<std::uint16_t> extensions;
  std::vector<std::uint16_t> groups;         // supported_groups (0x000a)
  std::vector<std::uint8_t> point_formats;   // ec_point_formats (0x000b)
  std::vector<std::uint16_t> sig_algs;       // signature_algorithms (0x000d)
  std::vector<std::uint16_t> versions;       // supported_versions (0x002b)
  bool has_sni = false;                      // extension 0x0000 present (any content)
  std::span<const std::uint8_t> first_alpn;  // raw bytes of the first ALPN name, may be empty
};

// The version JA4 and TlsClientHello::version report: highest supported_versions entry, else
// the legacy version.
std::uint16_t offered_version(const HelloFields& fields);

// "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats".
std::string ja3_string(const HelloFields& fields);

// "t13d1516h2_8daaf6152771_e5627efa2ab1" (TLS over TCP only: the prefix is always 't').
std::string ja4_fingerprint(const HelloFields& fields);

// Lower-case hex digests; empty when the digest is unavailable (e.g. MD5 in a FIPS build).
std::string md5_hex(std::string_view text);
std::string sha256_hex(std::string_view text);

}  // namespace mamori::decode::tls
