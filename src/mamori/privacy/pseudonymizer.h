#pragma once
// privacy/pseudonymizer: keyed, prefix-preserving pseudonyms for addresses (I5, 非識別化措置),
// with key epochs so keys can be rotated while older pseudonyms stay re-identifiable.
//
// Pseudonym text: "p<epoch>:<address>", e.g. "p2:100.154.15.220" or "p3:4401:2bc::1".
//
// Re-identification is only the mechanism here; who may do it, for which purpose, and its
// ledger entry are governance's business (DESIGN.md I5).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/core/error.h"
#include "mamori/core/ip.h"
#include "mamori/privacy/crypto_pan.h"
#include "mamori/privacy/key_file.h"

namespace mamori::privacy {

struct Pseudonym {
  std::uint32_t epoch = 0;
  IpAddress address;
  bool operator==(const Pseudonym&) const = default;
};

std::string to_string(const Pseudonym& pseudonym);
// Error messages do not echo the input.
Result<Pseudonym> parse_pseudonym(std::string_view text);

struct PseudonymizerOptions {
  // Direct-mapped caches of recent results; 0 disables one. Powers of two up to 1 << 20.
  // Defaults: 128 KiB for IPv4 (8-byte slots), 128 KiB for IPv6 (32-byte slots). With 10k
  // active hosts, 16384 IPv4 slots run 1.7-2.9x faster than 4096 (bench/privacy_bench.cc).
  std::size_t cache_entries = 16384;
  std::size_t v6_cache_entries = 4096;
};

// Not thread-safe (cipher contexts and the cache are per object): use one per thread.
class Pseudonymizer {
 public:
  static Result<Pseudonymizer> create(const PseudonymKeys& keys, PseudonymizerOptions options = {});
  static Result<Pseudonymizer> open(const std::string& key_file, PseudonymizerOptions options = {});

  std::uint32_t current_epoch() const { return epochs_[current_].epoch; }

  // Under the current epoch. IPv4 stays IPv4, IPv6 stays IPv6.
  Pseudonym pseudonymize(const IpAddress& address);
  // Needs the pseudonym's epoch in the key file.
  Result<IpAddress> reidentify(const Pseudonym& pseudonym);

 private:
  struct Epoch {
    std::uint32_t epoch;
    CryptoPan pan;
  };
  struct V4Slot {
    std::uint32_t address;
    std::uint32_t pseudonym;
  };
  struct V6Slot {
    Ipv6Bytes address;
    Ipv6Bytes pseudonym;
  };

  Pseudonymizer() = default;
  std::uint32_t pseudonymize_v4(std::uint32_t address);
  Ipv6Bytes pseudonymize_v6(const Ipv6Bytes& address);

  std::vector<Epoch> epochs_;
  std::size_t current_ = 0;
  std::size_t v4_mask_ = 0;  // entries - 1
  std::size_t v6_mask_ = 0;
  std::vector<V4Slot> v4_cache_;
  std::vector<V6Slot> v6_cache_;
};

}  // namespace mamori::privacy
