#include "mamori/privacy/crypto_pan.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

namespace mamori::privacy {
namespace {

constexpr std::size_t kBlock = 16;
constexpr int kV4Bits = 32;
constexpr int kV6Bits = 128;

// A 128-bit value as two big-endian halves, so prefix masks are two shifts.
struct U128 {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
};

U128 load_u128(const std::uint8_t* bytes) {
  U128 value;
  for (int i = 0; i < 8; ++i) value.hi = (value.hi << 8) | bytes[i];
  for (int i = 8; i < 16; ++i) value.lo = (value.lo << 8) | bytes[i];
  return value;
}

void store_u128(U128 value, std::uint8_t* bytes) {
  for (int i = 7; i >= 0; --i, value.hi >>= 8) bytes[i] = static_cast<std::uint8_t>(value.hi);
  for (int i = 15; i >= 8; --i, value.lo >>= 8) bytes[i] = static_cast<std::uint8_t>(value.lo);
}

void store_u32(std::uint32_t value, std::uint8_t* bytes) {
  bytes[0] = static_cast<std::uint8_t>(value >> 24);
  bytes[1] = static_cast<std::uint8_t>(value >> 16);
  bytes[2] = static_cast<std::uint8_t>(value >> 8);
  bytes[3] = static_cast<std::uint8_t>(value);
}

// The first `bits` bits set (bits in 0..32).
constexpr std::uint32_t mask_u32(int bits) {
  return bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
}

constexpr U128 mask_u128(int bits) {
  constexpr std::uint64_t kAll = ~std::uint64_t{0};
  if (bits <= 64) return {bits == 0 ? 0 : kAll << (64 - bits), 0};
  return {kAll, bits == 128 ? kAll : kAll << (128 - bits)};
}

// Original bits [0, bits) followed by the pad's bits [bits, 128).
U128 splice(U128 original, U128 pad, int bits) {
  const U128 mask = mask_u128(bits);
  return {(original.hi & mask.hi) | (pad.hi & ~mask.hi),
          (original.lo & mask.lo) | (pad.lo & ~mask.lo)};
}

bool bit_at(U128 value, int i) {
  return i < 64 ? (value.hi >> (63 - i)) & 1 : (value.lo >> (127 - i)) & 1;
}

void set_bit(U128& value, int i) {
  if (i < 64) {
    value.hi |= std::uint64_t{1} << (63 - i);
  } else {
    value.lo |= std::uint64_t{1} << (127 - i);
  }
}

}  // namespace

struct CryptoPan::State {
  EVP_CIPHER_CTX* context = nullptr;
  std::array<std::uint8_t, kBlock> pad{};
  std::uint32_t pad_v4 = 0;  // the pad's first 32 bits, the only ones the IPv4 form replaces
  U128 pad_v6;
  // Forward transforms encrypt all blocks of one address in one call: block i depends only on
  // original bits before i, never on earlier outputs, so AES-NI can pipeline them. The IPv4
  // input keeps pad bytes 4..15 from construction; only the first 4 bytes change per address.
  alignas(64) std::uint8_t v4_in[kV4Bits * kBlock];
  alignas(64) std::uint8_t v4_out[kV4Bits * kBlock + kBlock];
  alignas(64) std::uint8_t v6_in[kV6Bits * kBlock];
  alignas(64) std::uint8_t v6_out[kV6Bits * kBlock + kBlock];

  void encrypt(const std::uint8_t* in, std::uint8_t* out, std::size_t length) {
    int written = 0;
    // ECB without padding on whole blocks cannot fail once initialised; a failure here means
    // the crypto library itself is unusable.
    if (EVP_EncryptUpdate(context, out, &written, in, static_cast<int>(length)) != 1 ||
        written != static_cast<int>(length)) {
      std::abort();
    }
  }

  // msb(AES_K(block)) for one 16-byte block; the inverse is sequential, so it goes one by one.
  bool first_bit(U128 block) {
    std::uint8_t in[kBlock];
    std::uint8_t out[2 * kBlock];
    store_u128(block, in);
    encrypt(in, out, kBlock);
    return (out[0] >> 7) != 0;
  }
};

void CryptoPan::Wipe::operator()(State* state) const {
  EVP_CIPHER_CTX_free(state->context);  // wipes the key schedule
  state->context = nullptr;
  OPENSSL_cleanse(state, sizeof(State));
  delete state;
}

Result<CryptoPan> CryptoPan::create(std::span<const std::uint8_t, kCryptoPanKeyBytes> key) {
  CryptoPan pan(new State());
  State& s = *pan.state_;
  s.context = EVP_CIPHER_CTX_new();
  if (!s.context ||
      EVP_EncryptInit_ex(s.context, EVP_aes_128_ecb(), nullptr, key.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(s.context, 0) != 1) {
    return fail("crypto-pan: cannot initialise AES-128 (OpenSSL)");
  }
  std::uint8_t pad_out[2 * kBlock];
  s.encrypt(key.data() + kBlock, pad_out, kBlock);
  std::memcpy(s.pad.data(), pad_out, kBlock);
  OPENSSL_cleanse(pad_out, sizeof pad_out);
  s.pad_v6 = load_u128(s.pad.data());
  s.pad_v4 = static_cast<std::uint32_t>(s.pad_v6.hi >> 32);
  for (int i = 0; i < kV4Bits; ++i) std::memcpy(s.v4_in + i * kBlock, s.pad.data(), kBlock);
  return pan;
}

std::uint32_t CryptoPan::anonymize_v4(std::uint32_t address) {
  State& s = *state_;
  for (int i = 0; i < kV4Bits; ++i) {
    const std::uint32_t mask = mask_u32(i);
    store_u32((address & mask) | (s.pad_v4 & ~mask), s.v4_in + i * kBlock);
  }
  s.encrypt(s.v4_in, s.v4_out, sizeof s.v4_in);
  std::uint32_t flips = 0;
  for (int i = 0; i < kV4Bits; ++i) {
    flips |= std::uint32_t{static_cast<std::uint8_t>(s.v4_out[i * kBlock] >> 7)} << (31 - i);
  }
  return address ^ flips;
}

std::uint32_t CryptoPan::deanonymize_v4(std::uint32_t pseudonym) {
  State& s = *state_;
  std::uint32_t original = 0;
  for (int i = 0; i < kV4Bits; ++i) {
    // The IPv4 form is the 128-bit form on (address << 96) cut to 32 bits.
    const U128 prefix{std::uint64_t{original} << 32, 0};
    const bool flip = s.first_bit(splice(prefix, s.pad_v6, i));
    const bool bit = ((pseudonym >> (31 - i)) & 1) != 0;
    if (bit != flip) original |= std::uint32_t{1} << (31 - i);
  }
  return original;
}

Ipv6Bytes CryptoPan::anonymize_v6(const Ipv6Bytes& address) {
  State& s = *state_;
  const U128 original = load_u128(address.data());
  for (int i = 0; i < kV6Bits; ++i) store_u128(splice(original, s.pad_v6, i), s.v6_in + i * kBlock);
  s.encrypt(s.v6_in, s.v6_out, sizeof s.v6_in);
  U128 flips;
  for (int i = 0; i < kV6Bits; ++i) {
    if (s.v6_out[i * kBlock] & 0x80) set_bit(flips, i);
  }
  Ipv6Bytes out;
  store_u128({original.hi ^ flips.hi, original.lo ^ flips.lo}, out.data());
  return out;
}

Ipv6Bytes CryptoPan::deanonymize_v6(const Ipv6Bytes& pseudonym) {
  State& s = *state_;
  const U128 hidden = load_u128(pseudonym.data());
  U128 original;
  for (int i = 0; i < kV6Bits; ++i) {
    const bool flip = s.first_bit(splice(original, s.pad_v6, i));
    if (bit_at(hidden, i) != flip) set_bit(original, i);
  }
  Ipv6Bytes out;
  store_u128(original, out.data());
  return out;
}

// An IPv6 pseudonym lands in ::ffff:0:0/96 (and would read back as IPv4) only if its first 96
// bits happen to equal that prefix: probability 2^-96 per distinct /96 under a secret key.
IpAddress CryptoPan::anonymize(const IpAddress& address) {
  if (address.is_v4()) return IpAddress::v4(anonymize_v4(address.v4_value()));
  return IpAddress::v6(anonymize_v6(address.bytes()));
}

IpAddress CryptoPan::deanonymize(const IpAddress& pseudonym) {
  if (pseudonym.is_v4()) return IpAddress::v4(deanonymize_v4(pseudonym.v4_value()));
  return IpAddress::v6(deanonymize_v6(pseudonym.bytes()));
}

}  // namespace mamori::privacy
