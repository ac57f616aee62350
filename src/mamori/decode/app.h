#pragma once
// decode/app: application-layer *machine information* only (法第2条第8項). Each parser
// extracts the few fields listed here and nothing else: no HTTP path, query or body, no DNS
// payload beyond names/types/codes/addresses, no TLS beyond the ClientHello's handshake
// parameters. Parsers return false on malformed input and never read past their span.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
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
  std::string sni;                // lower-case server_name (first host_name entry), ≤ 255 bytes
  std::vector<std::string> alpn;  // protocol names in offered order, ≤ kMaxAlpnProtocols
  std::uint16_t version = 0;      // highest offered: supported_versions if present, else legacy
  std::string ja3;                // "771,4865-4866,0-23-65281,29-23-24,0"
  std::string ja3_hash;           // MD5 of ja3, lower-case hex
  std::string ja4;                // "t13d1516h2_8daaf6152771_e5627efa2ab1"
};

inline constexpr std::size_t kMaxAlpnProtocols = 8;
inline constexpr std::size_t kMaxTlsNameBytes = 255;  // SNI and each ALPN name are cut here

// Why a ClientHello was not parsed, for per-kind counters. `not_handshake` means "not TLS"
// rather than "malformed TLS"; `incomplete` is a ClientHello longer than the bytes given.
enum class TlsStatus : std::uint8_t {
  ok,
  not_handshake,     // first record is not a TLS handshake record (content type 22, version 3.x)
  bad_record,        // zero or oversized record length, or a non-handshake record mid-hello
  not_client_hello,  // handshake message type is not ClientHello (1)
  incomplete,        // the ClientHello continues past the given bytes (next TCP segment)
  bad_client_hello,  // a length inside the ClientHello body does not add up
  bad_extension,     // the extension block or a parsed extension body is malformed
  kCount
};

std::string_view to_string(TlsStatus status);

// "1.3", "1.2", "1.1", "1.0", "ssl3", else "0x" + 4 hex digits.
std::string tls_version_name(std::uint16_t version);

// The first TLS record(s) of a client→server TCP stream holding a ClientHello (JA4 'q' for
// QUIC would need Initial-packet decryption, which is out of scope: TCP only). A ClientHello
// split over several TLS records is reassembled as long as all of it is inside the given
// bytes; the sieve passes the first payload segment, which holds nearly every ClientHello
// (large post-quantum key shares can exceed one 1500-byte segment: `incomplete`).
// On anything but `ok`, `out` is left in an unspecified but valid state.
TlsStatus decode_tls_client_hello(std::span<const std::uint8_t> stream_start, TlsClientHello& out);
inline bool parse_tls_client_hello(std::span<const std::uint8_t> stream_start,
                                   TlsClientHello& out) {
  return decode_tls_client_hello(stream_start, out) == TlsStatus::ok;
}

struct HttpRequest {
  std::string method;      // the request method token, ≤ kMaxHttpMethodBytes
  std::string host;        // Host header: lower-case, without port or IPv6 brackets, ≤ 255 bytes
  std::string user_agent;  // verbatim, ≤ kMaxUserAgentBytes, bytes outside 0x20..0x7e as '?'
};

inline constexpr std::size_t kMaxHttpMethodBytes = 32;
inline constexpr std::size_t kMaxUserAgentBytes = 256;

// Why a segment was not parsed as an HTTP/1.x request, for per-kind counters. `not_http`
// means "some other protocol" rather than "malformed HTTP".
enum class HttpStatus : std::uint8_t {
  ok,
  not_http,          // does not start with a method token followed by a space
  bad_request_line,  // empty target, control bytes in it, or missing the version
  bad_version,       // the version is not HTTP/1.x
  incomplete,        // the request line is not terminated inside the segment
  kCount
};

std::string_view to_string(HttpStatus status);

// An HTTP/1.x request at the start of a client→server TCP segment: the request line, then
// header lines up to the empty line or the end of the segment (headers cut off by the segment
// end still count as `ok`). The request target (path and query), every header other than Host
// and User-Agent, and the body are skipped without being copied.
HttpStatus decode_http_request(std::span<const std::uint8_t> segment, HttpRequest& out);
inline bool parse_http_request(std::span<const std::uint8_t> segment, HttpRequest& out) {
  return decode_http_request(segment, out) == HttpStatus::ok;
}

}  // namespace mamori::decode
