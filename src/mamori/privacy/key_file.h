#pragma once
// privacy/key_file: the pseudonym key file: its format, loading, creation and rotation.
//
// Format (JSON, one object; mode 0600, outside the store; written by this module only):
//   {"kind":"mamori-pseudonym-keys","version":1,"current":2,
//    "epochs":[{"epoch":1,"created_at":"2026-01-01T00:00:00Z","key":"<64 hex>"},
//              {"epoch":2,"created_at":"…","key":"<64 hex>"}]}
// `key` is the 32-byte Crypto-PAn key (crypto_pan.h). Epochs are integers >= 1 listed in
// ascending order; `current` names the epoch new pseudonyms use. Unknown fields are errors.
// Version 1. Loading refuses a file that group or others can access. Errors name the file and the
// field and never contain key bytes or any other value from the file.
//
// Key bytes are wiped from memory where this module holds them (PseudonymKey, read buffers,
// JSON text); copies made by the JSON library while parsing are overwritten on a best-effort
// basis.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/time.h"
#include "mamori/privacy/crypto_pan.h"

namespace mamori::privacy {

inline constexpr std::string_view kPseudonymKeysKind = "mamori-pseudonym-keys";
inline constexpr int kPseudonymKeysVersion = 1;

// One epoch's key. Wipes its key bytes when destroyed.
struct PseudonymKey {
  std::uint32_t epoch = 0;
  Timestamp created_at;
  std::array<std::uint8_t, kCryptoPanKeyBytes> key{};

  PseudonymKey() = default;
  PseudonymKey(const PseudonymKey&) = default;
  PseudonymKey& operator=(const PseudonymKey&) = default;
  ~PseudonymKey();
};

struct PseudonymKeys {
  std::vector<PseudonymKey> epochs;  // ascending by epoch
  std::uint32_t current = 0;

  const PseudonymKey* find(std::uint32_t epoch) const;
};

// `name` is what errors call the input (normally the file path).
Result<PseudonymKeys> parse_pseudonym_keys(std::string_view text, std::string_view name);
// The file's JSON text (contains key hex: only ever written to the key file).
std::string serialize_pseudonym_keys(const PseudonymKeys& keys);

Result<PseudonymKeys> load_pseudonym_keys(const std::string& path);
// Creates the file exclusively (never overwrites) with epoch 1 as current.
Result<void> create_pseudonym_keys(const std::string& path, Timestamp now);
// Adds epoch (highest + 1) with a fresh key, makes it current and keeps every older epoch.
// Replaces the file atomically (temporary file 0600, fsync, rename) under an exclusive lock,
// so concurrent rotations each add their own epoch.
Result<void> rotate_pseudonym_keys(const std::string& path, Timestamp now);

}  // namespace mamori::privacy
