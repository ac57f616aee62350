#pragma once
// Test helper: builds TLS ClientHello records byte by byte (RFC 8446 §4.1.2, §5.1), so tests
// can state exactly which ciphers, extensions and lengths a hello carries.

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace mamori::decode::test {

using Bytes = std::vector<std::uint8_t>;

inline void put8(Bytes& out, std::size_t value) { out.push_back(static_cast<std::uint8_t>(value)); }
inline void put16(Bytes& out, std::size_t value) {
  put8(out, value >> 8);
  put8(out, value);
}
inline void put24(Bytes& out, std::size_t value) {
  put8(out, value >> 16);
  put16(out, value);
}
inline void append(Bytes& out, const Bytes& more) {
  out.insert(out.end(), more.begin(), more.end());
}

struct Extension {
  std::uint16_t type = 0;
  Bytes body;
};

struct Hello {
  std::uint16_t legacy_version = 0x0303;
  Bytes session_id = Bytes(32, 0x5a);
  std::vector<std::uint16_t> ciphers;
  Bytes compression{0};
  bool extension_block = true;  // false: an old-style hello that ends after compression
  std::vector<Extension> extensions;
};

// The ClientHello handshake message: type, 24-bit length, body.
inline Bytes handshake(const Hello& hello) {
  Bytes body;
  put16(body, hello.legacy_version);
  for (int i = 0; i < 32; ++i) put8(body, 0x20 + i);  // random
  put8(body, hello.session_id.size());
  append(body, hello.session_id);
  put16(body, hello.ciphers.size() * 2);
  for (std::uint16_t cipher : hello.ciphers) put16(body, cipher);
  put8(body, hello.compression.size());
  append(body, hello.compression);
  if (hello.extension_block) {
    Bytes block;
    for (const Extension& extension : hello.extensions) {
      put16(block, extension.type);
      put16(block, extension.body.size());
      append(block, extension.body);
    }
    put16(body, block.size());
    append(body, block);
  }
  Bytes message;
  put8(message, 1);
  put24(message, body.size());
  append(message, body);
  return message;
}

// Wraps handshake bytes in handshake records of at most `fragment` bytes each.
inline Bytes records(const Bytes& message, std::size_t fragment = 16384,
                     std::uint16_t record_version = 0x0301) {
  Bytes out;
  for (std::size_t at = 0; at < message.size(); at += fragment) {
    const std::size_t size = std::min(fragment, message.size() - at);
    put8(out, 22);
    put16(out, record_version);
    put16(out, size);
    out.insert(out.end(), message.begin() + static_cast<std::ptrdiff_t>(at),
               message.begin() + static_cast<std::ptrdiff_t>(at + size));
  }
  return out;
}

inline Bytes client_hello(const Hello& hello) { return records(handshake(hello)); }

inline Extension sni(std::string_view name) {
  Extension extension{0x0000, {}};
  put16(extension.body, name.size() + 3);
  put8(extension.body, 0);  // host_name
  put16(extension.body, name.size());
  extension.body.insert(extension.body.end(), name.begin(), name.end());
  return extension;
}

inline Extension alpn_raw(std::initializer_list<Bytes> names) {
  Bytes list;
  for (const Bytes& name : names) {
    put8(list, name.size());
    append(list, name);
  }
  Extension extension{0x0010, {}};
  put16(extension.body, list.size());
  append(extension.body, list);
  return extension;
}

inline Extension alpn(std::initializer_list<std::string_view> names) {
  Bytes list;
  for (std::string_view name : names) {
    put8(list, name.size());
    list.insert(list.end(), name.begin(), name.end());
  }
  Extension extension{0x0010, {}};
  put16(extension.body, list.size());
  append(extension.body, list);
  return extension;
}

// supported_groups (0x000a) and signature_algorithms (0x000d): u16 length, u16 values.
inline Extension u16_list(std::uint16_t type, std::initializer_list<std::uint16_t> values) {
  Extension extension{type, {}};
  put16(extension.body, values.size() * 2);
  for (std::uint16_t value : values) put16(extension.body, value);
  return extension;
}

inline Extension supported_versions(std::initializer_list<std::uint16_t> versions) {
  Extension extension{0x002b, {}};
  put8(extension.body, versions.size() * 2);
  for (std::uint16_t version : versions) put16(extension.body, version);
  return extension;
}

inline Extension point_formats(std::initializer_list<std::uint8_t> formats) {
  Extension extension{0x000b, {}};
  put8(extension.body, formats.size());
  for (std::uint8_t format : formats) put8(extension.body, format);
  return extension;
}

// Any other extension: `size` filler bytes (its content is never read).
inline Extension opaque(std::uint16_t type, std::size_t size = 0) {
  return Extension{type, Bytes(size, 0x42)};
}

}  // namespace mamori::decode::test
