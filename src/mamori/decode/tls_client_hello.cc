// TLS ClientHello: record layer reassembly (RFC 8446 §5.1), ClientHello body (RFC 8446 §4.1.2,
// RFC 5246 §7.4.1.2) and the handful of extensions the fingerprints need. Only handshake
// parameters are read; key shares, session tickets, PSK identities and the like are skipped.

#include "mamori/decode/app.h"

#include <fmt/format.h>

#include "mamori/core/byte_reader.h"
#include "mamori/decode/app_text.h"
#include "mamori/decode/tls_fingerprint.h"

namespace mamori::decode {
namespace {

constexpr std::uint8_t kContentHandshake = 22;
constexpr std::uint8_t kHandshakeClientHello = 1;
constexpr std::size_t kRecordHeaderBytes = 5;
constexpr std::size_t kHandshakeHeaderBytes = 4;
constexpr std::size_t kMaxRecordBytes = 16384;  // 2^14, RFC 8446 §5.1 (plaintext records)
constexpr std::size_t kRandomBytes = 32;
constexpr std::size_t kMaxSessionIdBytes = 32;

namespace extension {
constexpr std::uint16_t server_name = 0x0000;
constexpr std::uint16_t supported_groups = 0x000a;
constexpr std::uint16_t ec_point_formats = 0x000b;
constexpr std::uint16_t signature_algorithms = 0x000d;
constexpr std::uint16_t alpn = 0x0010;
constexpr std::uint16_t supported_versions = 0x002b;
}  // namespace extension

// A record header that could start a TLS stream: handshake content type, major version 3.
bool plausible_record_start(std::span<const std::uint8_t> bytes) {
  if (bytes.empty() || bytes[0] != kContentHandshake) return false;
  if (bytes.size() >= 2 && bytes[1] != 3) return false;
  if (bytes.size() >= 3 && bytes[2] > 4) return false;
  return true;
}

// Gathers the first handshake message from consecutive handshake records. When it lies in the
// first record (the usual case) `message` points into `input`; otherwise the fragments are
// joined in `joined`. `message` excludes the 4-byte handshake header.
TlsStatus gather_client_hello(std::span<const std::uint8_t> input,
                              std::vector<std::uint8_t>& joined,
                              std::span<const std::uint8_t>& message) {
  ByteReader reader(input);
  bool first_record = true;
  for (;;) {
    if (reader.remaining() < kRecordHeaderBytes) {
      if (first_record && !plausible_record_start(reader.rest())) return TlsStatus::not_handshake;
      if (!first_record && !reader.empty() && reader.rest()[0] != kContentHandshake) {
        return TlsStatus::bad_record;
      }
      return TlsStatus::incomplete;
    }
    if (first_record && !plausible_record_start(reader.rest().first(3))) {
      return TlsStatus::not_handshake;
    }
    std::uint8_t content_type = 0;
    std::uint16_t record_version = 0;
    std::uint16_t length = 0;
    reader.u8(content_type);
    reader.u16(record_version);
    reader.u16(length);
    if (content_type != kContentHandshake || (record_version >> 8) != 3) {
      return TlsStatus::bad_record;  // only reachable for the second and later records
    }
    if (length == 0 || length > kMaxRecordBytes) return TlsStatus::bad_record;

    std::span<const std::uint8_t> fragment;
    const bool record_complete = reader.bytes(length, fragment);
    if (!record_complete) reader.bytes(reader.remaining(), fragment);

    std::span<const std::uint8_t> collected;
    if (first_record) {
      collected = fragment;
    } else {
      joined.insert(joined.end(), fragment.begin(), fragment.end());
      collected = joined;
    }
    if (collected.empty()) return TlsStatus::incomplete;  // header only, fragment cut off
    if (collected[0] != kHandshakeClientHello) return TlsStatus::not_client_hello;
    if (collected.size() >= kHandshakeHeaderBytes) {
      const std::size_t message_length =
          (std::size_t{collected[1]} << 16) | (std::size_t{collected[2]} << 8) | collected[3];
      if (collected.size() - kHandshakeHeaderBytes >= message_length) {
        message = collected.subspan(kHandshakeHeaderBytes, message_length);
        return TlsStatus::ok;
      }
    }
    if (!record_complete) return TlsStatus::incomplete;
    if (first_record) joined.assign(fragment.begin(), fragment.end());
    first_record = false;
  }
}

// A u16-length-prefixed list of u16 values that fills `body` exactly; GREASE dropped.
bool read_u16_list(std::span<const std::uint8_t> body, std::size_t prefix_bytes,
                   std::vector<std::uint16_t>& out) {
  ByteReader reader(body);
  std::size_t length = 0;
  if (prefix_bytes == 1) {
    std::uint8_t short_length = 0;
    if (!reader.u8(short_length)) return false;
    length = short_length;
  } else {
    std::uint16_t long_length = 0;
    if (!reader.u16(long_length)) return false;
    length = long_length;
  }
  if (length != reader.remaining() || length % 2 != 0) return false;
  out.reserve(length / 2);
  std::uint16_t value = 0;
  while (reader.u16(value)) {
    if (!tls::is_grease(value)) out.push_back(value);
  }
  return true;
}

bool read_point_formats(std::span<const std::uint8_t> body, std::vector<std::uint8_t>& out) {
  ByteReader reader(body);
  std::uint8_t length = 0;
  if (!reader.u8(length) || length != reader.remaining()) return false;
  const auto rest = reader.rest();
  out.assign(rest.begin(), rest.end());
  return true;
}

// ServerNameList (RFC 6066 §3): the first host_name entry, lower-cased.
bool read_server_name(std::span<const std::uint8_t> body, std::string& sni) {
  if (body.empty()) return true;  // the empty form belongs to ServerHello; tolerated
  ByteReader reader(body);
  std::uint16_t list_length = 0;
  if (!reader.u16(list_length) || list_length != reader.remaining()) return false;
  while (!reader.empty()) {
    std::uint8_t name_type = 0;
    std::uint16_t name_length = 0;
    std::span<const std::uint8_t> name;
    if (!reader.u8(name_type) || !reader.u16(name_length) || !reader.bytes(name_length, name)) {
      return false;
    }
    if (name_type == 0 && sni.empty()) {
      text::append_printable(sni, name, kMaxTlsNameBytes, /*lower=*/true);
    }
  }
  return true;
}

// ProtocolNameList (RFC 7301 §3.1). `first` keeps the raw first name for JA4.
bool read_alpn(std::span<const std::uint8_t> body, std::vector<std::string>& names,
               std::span<const std::uint8_t>& first) {
  ByteReader reader(body);
  std::uint16_t list_length = 0;
  if (!reader.u16(list_length) || list_length != reader.remaining()) return false;
  bool is_first = true;
  while (!reader.empty()) {
    std::uint8_t name_length = 0;
    std::span<const std::uint8_t> name;
    if (!reader.u8(name_length) || !reader.bytes(name_length, name)) return false;
    if (is_first) first = name;
    is_first = false;
    if (names.size() < kMaxAlpnProtocols) {
      text::append_printable(names.emplace_back(), name, kMaxTlsNameBytes, /*lower=*/false);
    }
  }
  return true;
}

// Parses one extension body into `fields`/`out`. The first occurrence of a repeated extension
// wins (repeats are a protocol error that servers reject; the type still counts for JA3/JA4).
bool read_extension(std::uint16_t type, std::span<const std::uint8_t> body,
                    tls::HelloFields& fields, TlsClientHello& out, bool& alpn_seen) {
  switch (type) {
    case extension::server_name:
      if (fields.has_sni) return true;
      fields.has_sni = true;
      return read_server_name(body, out.sni);
    case extension::supported_groups:
      return !fields.groups.empty() || read_u16_list(body, 2, fields.groups);
    case extension::ec_point_formats:
      return !fields.point_formats.empty() || read_point_formats(body, fields.point_formats);
    case extension::signature_algorithms:
      return !fields.sig_algs.empty() || read_u16_list(body, 2, fields.sig_algs);
    case extension::alpn:
      if (alpn_seen) return true;
      alpn_seen = true;
      return read_alpn(body, out.alpn, fields.first_alpn);
    case extension::supported_versions:
      return !fields.versions.empty() || read_u16_list(body, 1, fields.versions);
    default:
      return true;
  }
}

TlsStatus read_client_hello(std::span<const std::uint8_t> message, tls::HelloFields& fields,
                            TlsClientHello& out) {
  ByteReader reader(message);
  std::uint8_t session_id_length = 0;
  std::uint16_t ciphers_length = 0;
  std::uint8_t compression_length = 0;
  std::span<const std::uint8_t> ciphers;
  if (!reader.u16(fields.legacy_version) || !reader.skip(kRandomBytes) ||
      !reader.u8(session_id_length) || session_id_length > kMaxSessionIdBytes ||
      !reader.skip(session_id_length) || !reader.u16(ciphers_length) || ciphers_length % 2 != 0 ||
      !reader.bytes(ciphers_length, ciphers) || !reader.u8(compression_length) ||
      !reader.skip(compression_length)) {
    return TlsStatus::bad_client_hello;
  }
  fields.ciphers.reserve(ciphers_length / 2);
  ByteReader cipher_reader(ciphers);
  std::uint16_t cipher = 0;
  while (cipher_reader.u16(cipher)) {
    if (!tls::is_grease(cipher)) fields.ciphers.push_back(cipher);
  }
  if (reader.empty()) return TlsStatus::ok;  // pre-TLS 1.2 clients may send no extensions

  std::uint16_t extensions_length = 0;
  if (!reader.u16(extensions_length) || extensions_length != reader.remaining()) {
    return TlsStatus::bad_client_hello;
  }
  fields.extensions.reserve(extensions_length / 4);
  bool alpn_seen = false;
  while (!reader.empty()) {
    std::uint16_t type = 0;
    std::uint16_t length = 0;
    std::span<const std::uint8_t> body;
    if (!reader.u16(type) || !reader.u16(length) || !reader.bytes(length, body)) {
      return TlsStatus::bad_extension;
    }
    if (tls::is_grease(type)) continue;
    fields.extensions.push_back(type);
    if (!read_extension(type, body, fields, out, alpn_seen)) return TlsStatus::bad_extension;
  }
  return TlsStatus::ok;
}

}  // namespace

std::string_view to_string(TlsStatus status) {
  switch (status) {
    case TlsStatus::ok:
      return "ok";
    case TlsStatus::not_handshake:
      return "not_handshake";
    case TlsStatus::bad_record:
      return "bad_record";
    case TlsStatus::not_client_hello:
      return "not_client_hello";
    case TlsStatus::incomplete:
      return "incomplete";
    case TlsStatus::bad_client_hello:
      return "bad_client_hello";
    case TlsStatus::bad_extension:
      return "bad_extension";
    case TlsStatus::kCount:
      break;
  }
  return "unknown";
}

std::string tls_version_name(std::uint16_t version) {
  switch (version) {
    case 0x0304:
      return "1.3";
    case 0x0303:
      return "1.2";
    case 0x0302:
      return "1.1";
    case 0x0301:
      return "1.0";
    case 0x0300:
      return "ssl3";
    default:
      return fmt::format("0x{:04x}", version);
  }
}

TlsStatus decode_tls_client_hello(std::span<const std::uint8_t> stream_start, TlsClientHello& out) {
  // Cleared rather than reassigned, so a caller reusing `out` keeps the string capacity.
  out.sni.clear();
  out.alpn.clear();
  out.version = 0;
  out.ja3.clear();
  out.ja3_hash.clear();
  out.ja4.clear();
  std::vector<std::uint8_t> joined;
  std::span<const std::uint8_t> message;
  TlsStatus status = gather_client_hello(stream_start, joined, message);
  if (status != TlsStatus::ok) return status;

  tls::HelloFields fields;
  status = read_client_hello(message, fields, out);
  if (status != TlsStatus::ok) return status;

  out.version = tls::offered_version(fields);
  out.ja3 = tls::ja3_string(fields);
  out.ja3_hash = tls::md5_hex(out.ja3);
  out.ja4 = tls::ja4_fingerprint(fields);
  return TlsStatus::ok;
}

}  // namespace mamori::decode
