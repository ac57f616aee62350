#pragma once
// tests/support/password_hash: an argon2id password hash at libsodium's minimum cost, so that
// fixtures can create many users quickly. Verifies like any crypto_pwhash_str hash.

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <string>
#include <string_view>

namespace mamori::test_support {

inline std::string cheap_password_hash(std::string_view password) {
  if (sodium_init() < 0) std::abort();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_MIN,
                        crypto_pwhash_MEMLIMIT_MIN) != 0) {
    std::abort();
  }
  return out.data();
}

}  // namespace mamori::test_support
