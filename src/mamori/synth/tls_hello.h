#pragma once
// synth/tls_hello: TLS ClientHellos for a set of client "profiles" (cipher suites, extension
// order, groups, signature algorithms, ALPN, supported_versions, GREASE), each giving its own
// JA3/JA4 fingerprints; the C2 implant has a profile of its own. Also the ServerHello and
// ChangeCipherSpec records that start a server's reply. Everything after them is opaque
// application_data (payload_fill.h), as on the wire.
//
// Fingerprints are computed here from what was written, independently of the decoder:
// JA3 (Salesforce) and JA4 (FoxIO, technical_details/JA4.md), GREASE values (RFC 8701)
// ignored.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/synth/prng.h"

namespace mamori::synth {

enum class TlsProfile : std::uint8_t {
  chrome,    // GREASE, extension order shuffled per connection, TLS 1.3, h2
  firefox,   // TLS 1.3, fixed order, delegated_credentials, record_size_limit
  safari,    // GREASE, fixed order, TLS 1.3
  curl,      // OpenSSL 3 defaults, padding extension
  schannel,  // TLS 1.2 only
  go,        // Go crypto/tls
  implant,   // the C2 implant: TLS 1.2 only, short odd cipher list, no ALPN
  kCount
};

std::string_view profile_name(TlsProfile profile);
bool profile_offers_tls13(TlsProfile profile);

struct TlsFingerprint {
  std::string ja3;       // "771,4865-...,0-23-...,29-23-24,0"
  std::string ja3_hash;  // MD5 of ja3, lower-case hex
  std::string ja4;       // "t13d1516h2_8daaf6152771_d8a2da3f94cd"
};

struct ClientHelloSpec {
  TlsProfile profile = TlsProfile::chrome;
  std::string_view sni;  // empty: no server_name extension
  // Opaque session ticket (RFC 5077) offered for resumption; synth puts the benign canary
  // here. Empty: the extension is sent empty (when the profile sends it at all).
  std::span<const std::uint8_t> ticket;
  // Keep the profile's canonical extension order even for profiles that shuffle.
  bool fixed_order = false;
};

// Appends one TLS record holding the ClientHello and returns its fingerprints.
TlsFingerprint write_client_hello(std::vector<std::uint8_t>& out, const ClientHelloSpec& spec,
                                  Rng& rng);

// Appends ServerHello (TLS 1.3 when the profile offers it, else TLS 1.2 resumption) and a
// ChangeCipherSpec record.
void write_server_hello(std::vector<std::uint8_t>& out, TlsProfile client, Rng& rng);

// Appends a ChangeCipherSpec record (the client's, before its encrypted Finished).
void write_change_cipher_spec(std::vector<std::uint8_t>& out);

// Fingerprints of a parsed-out hello description; exposed for tests against the published
// JA3/JA4 vectors. Lists are in wire order and may include GREASE values.
struct HelloParameters {
  std::uint16_t legacy_version = 0x0303;
  std::vector<std::uint16_t> ciphers;
  std::vector<std::uint16_t> extensions;
  std::vector<std::uint16_t> groups;
  std::vector<std::uint8_t> point_formats;
  std::vector<std::uint16_t> signature_algorithms;
  std::vector<std::uint16_t> versions;  // supported_versions; empty when absent
  std::string first_alpn;               // "" when no ALPN extension
  bool has_sni = false;
};
TlsFingerprint fingerprint(const HelloParameters& hello);

bool is_grease(std::uint16_t value);

}  // namespace mamori::synth
