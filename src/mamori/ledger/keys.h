#pragma once
// ledger/keys: Ed25519 keys (libsodium) for the two signers of the system: the overseer
// (サイバー通信情報監理委員会), who signs approvals, and each sensor/installation, which signs
// the ledger's tree heads. Secret keys live in their own file, mode 0600, never in the store,
// a log or an error message; loading refuses a secret key file that group or others can read.
//
// File formats (JSON, one object):
//   NAME.key  {"kind":"mamori-secret-key","algorithm":"ed25519","role":"overseer",
//              "key_id":"…","public":"<64 hex>","secret":"<128 hex, libsodium sk>",
//              "created_at":"RFC 3339"}
//   NAME.pub  {"kind":"mamori-public-key","algorithm":"ed25519","role":"overseer",
//              "key_id":"…","public":"<64 hex>","created_at":"…"}
// key_id = first 16 hex digits of SHA-256(public key bytes).

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mamori/core/error.h"
#include "mamori/core/time.h"

namespace mamori::ledger {

enum class KeyRole { overseer, sensor };
std::string_view to_string(KeyRole role);
Result<KeyRole> parse_key_role(std::string_view text);

using Signature = std::array<std::uint8_t, 64>;

struct PublicKey {
  KeyRole role = KeyRole::sensor;
  std::array<std::uint8_t, 32> bytes = {};
  std::string key_id() const;
  bool operator==(const PublicKey&) const = default;
};

// Owns a secret key; wipes it (sodium_memzero) on destruction. Move-only.
class SigningKey {
 public:
  static SigningKey generate(KeyRole role);
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

  const PublicKey& public_key() const { return public_key_; }
  Signature sign(std::span<const std::uint8_t> message) const;
  Signature sign(std::string_view message) const;

 private:
  friend Result<SigningKey> load_signing_key(const std::string&, KeyRole);
  friend Result<void> save_key_pair(const std::string&, const SigningKey&, Timestamp);
  SigningKey() = default;
  PublicKey public_key_;
  std::array<std::uint8_t, 64> secret_ = {};
};

bool verify_signature(const PublicKey& key, std::span<const std::uint8_t> message,
                      const Signature& signature);
bool verify_signature(const PublicKey& key, std::string_view message, const Signature& signature);

std::string signature_to_hex(const Signature& signature);
Result<Signature> signature_from_hex(std::string_view hex);

// Writes PREFIX.key (0600, created exclusively: never overwrites) and PREFIX.pub.
Result<void> save_key_pair(const std::string& path_prefix, const SigningKey& key,
                           Timestamp created_at);
// Errors name the file and field; a role other than `expected` is an error.
Result<SigningKey> load_signing_key(const std::string& path, KeyRole expected);
Result<PublicKey> load_public_key(const std::string& path, KeyRole expected);
Result<PublicKey> parse_public_key_json(std::string_view text, KeyRole expected);

}  // namespace mamori::ledger
