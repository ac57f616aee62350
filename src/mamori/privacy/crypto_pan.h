#pragma once
// privacy/crypto_pan: Crypto-PAn, the keyed prefix-preserving address transform of Xu, Fan,
// Ammar and Moon ("Prefix-preserving IP address anonymization", 2002), bit-compatible with
// Jinliang Fan's reference implementation for IPv4, and its common 128-bit extension for IPv6.
//
// Construction (key = 32 bytes): the first 16 bytes are an AES-128 key K; the pad P is
// AES_K(last 16 bytes). For an address a of n bits (32 or 128), output bit i is
//   a[i] XOR msb(AES_K(a[0..i) || P[i..128)))
// i.e. the first i bits of the original followed by the pad's remaining bits. Output bit i
// depends only on original bits before i, so two addresses sharing exactly k leading bits map
// to pseudonyms sharing exactly k leading bits, and the transform is invertible bit by bit.
//
// An IPv4 address (held as ::ffff:a.b.c.d by core/ip) always maps to an IPv4 address through
// the 32-bit construction; any other address maps to an IPv6 address through the 128-bit one.
//
// A CryptoPan keeps a cipher context and scratch buffers: it is not thread-safe; use one per
// thread. Key material is wiped when it is destroyed.

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"

namespace mamori::privacy {

inline constexpr std::size_t kCryptoPanKeyBytes = 32;
using Ipv6Bytes = std::array<std::uint8_t, 16>;

class CryptoPan {
 public:
  // Fails only if the crypto library cannot set up AES-128 (a broken installation).
  static Result<CryptoPan> create(std::span<const std::uint8_t, kCryptoPanKeyBytes> key);

  CryptoPan(CryptoPan&&) noexcept = default;
  CryptoPan& operator=(CryptoPan&&) noexcept = default;

  // IPv4 in host byte order (0x01020304 is 1.2.3.4).
  std::uint32_t anonymize_v4(std::uint32_t address);
  std::uint32_t deanonymize_v4(std::uint32_t pseudonym);
  // 16 bytes in network order, all 128 bits transformed.
  Ipv6Bytes anonymize_v6(const Ipv6Bytes& address);
  Ipv6Bytes deanonymize_v6(const Ipv6Bytes& pseudonym);

  // Family-preserving: IPv4 through the 32-bit form, everything else through the 128-bit form.
  IpAddress anonymize(const IpAddress& address);
  IpAddress deanonymize(const IpAddress& pseudonym);

 private:
  struct State;
  struct Wipe {  // frees the cipher context and wipes pad and scratch blocks
    void operator()(State* state) const;
  };
  explicit CryptoPan(State* state) : state_(state) {}
  std::unique_ptr<State, Wipe> state_;
};

}  // namespace mamori::privacy
