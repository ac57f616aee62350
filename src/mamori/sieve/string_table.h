#pragma once
// sieve/string_table: an immutable open-addressing hash table from short strings (domain
// names, JA3 hashes, JA4 fingerprints) to a 32-bit value, with allocation-free lookups.
// Keys are compared ASCII-case-insensitively. The hash runs from the last byte to the first,
// so one right-to-left pass over a name yields the hash of every suffix on the way: that is
// what makes a domain suffix lookup at each label boundary cost one probe, not one rehash.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mamori::sieve {

class StringTable {
 public:
  static constexpr std::uint32_t kNotFound = 0xffffffffu;
  static constexpr std::uint64_t kSeed = 0xcbf29ce484222325ull;

  // ASCII lower case, branch-free.
  static constexpr std::uint8_t fold(char c) {
    const auto byte = static_cast<std::uint8_t>(c);
    return static_cast<std::uint8_t>(byte + (static_cast<unsigned>(byte - 'A') < 26u ? 32 : 0));
  }
  // One FNV-1a step over the folded byte.
  static constexpr std::uint64_t step(std::uint64_t hash, char c) {
    return (hash ^ fold(c)) * 0x100000001b3ull;
  }
  // The hash of a whole key: step() over its bytes from last to first, starting at kSeed.
  static std::uint64_t hash(std::string_view key) {
    std::uint64_t h = kSeed;
    for (std::size_t i = key.size(); i > 0; --i) h = step(h, key[i - 1]);
    return h;
  }

  // Keys must be unique; values must not be kNotFound.
  void build(const std::vector<std::pair<std::string, std::uint32_t>>& entries);

  std::uint32_t find(std::string_view key, std::uint64_t hash) const;
  std::uint32_t find(std::string_view key) const { return find(key, hash(key)); }

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot) + keys_.capacity(); }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    std::uint32_t value = kNotFound;
  };
  std::vector<Slot> slots_;
  std::string keys_;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
};

}  // namespace mamori::sieve
