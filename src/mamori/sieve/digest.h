#pragma once
// sieve/digest: the two message digests the sieve's configuration needs (OpenSSL behind a
// narrow interface): SHA-256 for the ruleset hash, MD5 to turn a full JA3 string into the
// JA3 hash that decoders report. Neither is ever applied to traffic.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace mamori::sieve {

using Sha256Digest = std::array<std::uint8_t, 32>;

// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  Sha256Digest finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Sha256Digest sha256(std::string_view bytes);
// Lower-case hex of any byte string.
std::string to_hex(std::string_view bytes);
std::string to_hex(const Sha256Digest& digest);
// MD5 of `bytes` as 32 lower-case hex digits.
std::string md5_hex(std::string_view bytes);

}  // namespace mamori::sieve
