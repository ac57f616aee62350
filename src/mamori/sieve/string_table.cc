#include "mamori/sieve/string_table.h"

#include <algorithm>
#include <bit>

namespace mamori::sieve {
namespace {

// Spreads FNV's weak low bits before masking (the murmur3 finalizer).
std::size_t slot_of(std::uint64_t hash, std::size_t mask) {
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  return static_cast<std::size_t>(hash) & mask;
}

bool equal_folded(std::string_view stored, std::string_view key) {
  if (stored.size() != key.size()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (static_cast<std::uint8_t>(stored[i]) != StringTable::fold(key[i])) return false;
  }
  return true;
}

}  // namespace

void StringTable::build(const std::vector<std::pair<std::string, std::uint32_t>>& entries) {
  // Load factor ≤ 1/2 keeps probe sequences short for misses, the common case.
  const std::size_t capacity = std::bit_ceil(std::max<std::size_t>(8, entries.size() * 2));
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  count_ = entries.size();
  keys_.clear();
  for (const auto& [key, value] : entries) {
    Slot slot;
    slot.hash = hash(key);
    slot.offset = static_cast<std::uint32_t>(keys_.size());
    slot.length = static_cast<std::uint32_t>(key.size());
    slot.value = value;
    for (char c : key) keys_ += static_cast<char>(fold(c));
    std::size_t index = slot_of(slot.hash, mask_);
    while (slots_[index].value != kNotFound) index = (index + 1) & mask_;
    slots_[index] = slot;
  }
}

std::uint32_t StringTable::find(std::string_view key, std::uint64_t hash) const {
  if (count_ == 0) return kNotFound;
  std::size_t index = slot_of(hash, mask_);
  while (true) {
    const Slot& slot = slots_[index];
    if (slot.value == kNotFound) return kNotFound;
    if (slot.hash == hash &&
        equal_folded(std::string_view(keys_).substr(slot.offset, slot.length), key)) {
      return slot.value;
    }
    index = (index + 1) & mask_;
  }
}

}  // namespace mamori::sieve
