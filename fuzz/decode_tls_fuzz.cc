// Fuzz target for decode_tls_client_hello: any input is the start of a client→server stream.
// On success checks the output bounds (printable, lower-case SNI; capped ALPN list) and the
// shape of JA3, its MD5 and JA4, and that a second parse gives the same result.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "mamori/decode/app.h"

namespace {

using mamori::decode::TlsClientHello;

void require(bool condition) {
  if (!condition) std::abort();
}

bool printable(const std::string& text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool only(const std::string& text, std::string_view allowed) {
  return text.find_first_not_of(allowed) == std::string::npos;
}

void check(const TlsClientHello& hello) {
  require(hello.sni.size() <= mamori::decode::kMaxTlsNameBytes && printable(hello.sni));
  for (char c : hello.sni) require(c < 'A' || c > 'Z');
  require(hello.alpn.size() <= mamori::decode::kMaxAlpnProtocols);
  for (const std::string& name : hello.alpn) {
    require(name.size() <= mamori::decode::kMaxTlsNameBytes && printable(name));
  }
  require(only(hello.ja3, "0123456789,-"));
  require(hello.ja3_hash.size() == 32 && only(hello.ja3_hash, "0123456789abcdef"));
  // t + 2 version chars + d/i + 4 count digits + 2 ALPN chars, then _ 12 hex _ 12 hex.
  require(hello.ja4.size() == 36 && hello.ja4[0] == 't' && hello.ja4[10] == '_' &&
          hello.ja4[23] == '_');
  require(hello.ja4[3] == 'd' || hello.ja4[3] == 'i');
  require(only(hello.ja4.substr(4, 4), "0123456789"));
  require(only(hello.ja4.substr(11, 12), "0123456789abcdef"));
  require(only(hello.ja4.substr(24), "0123456789abcdef"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  TlsClientHello hello;
  const auto status = mamori::decode::decode_tls_client_hello(input, hello);
  require(status < mamori::decode::TlsStatus::kCount);
  if (status == mamori::decode::TlsStatus::ok) {
    check(hello);
    TlsClientHello again;
    require(mamori::decode::decode_tls_client_hello(input, again) == status);
    require(again.ja3 == hello.ja3 && again.ja4 == hello.ja4 && again.sni == hello.sni);
  }
  return 0;
}
