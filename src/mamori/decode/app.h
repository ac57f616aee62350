#pragma once
// decode/app: application-layer *machine information* only (法第2条第8項). Each parser
// extracts the few fields listed here and nothing else: no HTTP path, query or body, no DNS
// payload beyond names/types/codes/addresses, no TLS beyond the ClientHello's handshake
// parameters. Parsers return false on malformed input and never read past their span.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mamori/core/ip.h"

namespace mamori::decode {

struct DnsQuestion {
  std::string name;  // lower-case, no trailing dot
  std::uint16_t type = 0;
};

struct DnsMessage {
  std::uint16_t id = 0;
  bool is_response = false;
  std::uint8_t rcode = 0;
  std::vector<DnsQuestion> questions;  // capped, see kMaxDnsQuestions
  std::vector<IpAddress> answers;      // A and AAAA records only, capped
};

inline constexpr std::size_t kMaxDnsQuestions = 4;
inline constexpr std::size_t kMaxDnsAnswers = 16;

// A DNS message over UDP (the whole datagram).
bool parse_dns(std::span<const std::uint8_t> message, DnsMessage& out);
// DNS over TCP: one or more 2-byte-length-prefixed messages at the start of a stream segment;
// parses the first complete one.
bool parse_dns_tcp(std::span<const std::uint8_t> segment, DnsMessage& out);

struct TlsClientHello {
  std::string sni;                 // lower-case server_name (host_name type)
  std::vector<std::string> alpn;   // protocol names in offered order
  std::uint16_t version = 0;       // highest offered: supported_versions if present, else legacy
  std::string ja3;                 // "771,4865-4866,0-23-65281,29-23-24,0"
  std::string ja3_hash;            // MD5 of ja3, lower-case hex
  std::string ja4;                 // "t13d1516h2_8daaf6152771_e5627efa2ab1"
};

// "1.3", "1.2", ... for a TLS version number.
std::string tls_version_name(std::uint16_t version);

// The first TLS record(s) of a client→server TCP stream holding a ClientHello (JA4 'q' for
// QUIC would need Initial-packet decryption, which is out of scope: TCP only).
bool parse_tls_client_hello(std::span<const std::uint8_t> stream_start, TlsClientHello& out);

struct HttpRequest {
  std::string method;
  std::string host;        // lower-case, without port
  std::string user_agent;
};

// An HTTP/1.x request at the start of a client→server TCP segment. The request target
// (path and query) and the body are skipped without being copied.
bool parse_http_request(std::span<const std::uint8_t> segment, HttpRequest& out);

}  // namespace mamori::decode
