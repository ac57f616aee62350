#include "mamori/privacy/pseudonymizer.h"

#include "mamori/sieve/record.h"

#include <bit>
#include <charconv>
#include <limits>

namespace mamori::privacy {
namespace {

constexpr std::size_t kMaxCacheEntries = std::size_t{1} << 20;
constexpr std::uint64_t kFibonacci = 0x9E3779B97F4A7C15ULL;

std::uint64_t load_u64(const std::uint8_t* bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | bytes[i];
  return value;
}

}  // namespace

std::string to_string(const Pseudonym& pseudonym) {
  return sieve::address_text(pseudonym.address, pseudonym.epoch);
}

Result<Pseudonym> parse_pseudonym(std::string_view text) {
  // The input may be a real address typed in by mistake: never echo it.
  if (text.empty() || text.front() != 'p') {
    return fail("pseudonym: expected p<epoch>:<address>, e.g. p2:100.154.15.220");
  }
  auto parsed = sieve::parse_address_text(text);
  if (!parsed) return fail(parsed.error());
  return Pseudonym{parsed->pseudonym_epoch, parsed->ip};
}

Result<Pseudonymizer> Pseudonymizer::create(const PseudonymKeys& keys,
                                            PseudonymizerOptions options) {
  for (const std::size_t entries : {options.cache_entries, options.v6_cache_entries}) {
    if (entries != 0 && (!std::has_single_bit(entries) || entries > kMaxCacheEntries)) {
      return fail("pseudonymizer: cache sizes must be 0 or a power of two up to {}",
                  kMaxCacheEntries);
    }
  }
  Pseudonymizer out;
  for (const PseudonymKey& key : keys.epochs) {
    auto pan = CryptoPan::create(key.key);
    if (!pan) return fail(pan.error());
    if (key.epoch == keys.current) out.current_ = out.epochs_.size();
    out.epochs_.push_back({key.epoch, std::move(*pan)});
  }
  if (out.epochs_.empty() || out.epochs_[out.current_].epoch != keys.current) {
    return fail("pseudonymizer: the current epoch {} has no key", keys.current);
  }
  // Every slot starts out holding the true mapping of the all-zero address, so no slot needs
  // a separate "empty" flag: a lookup either matches its address exactly or misses.
  CryptoPan& pan = out.epochs_[out.current_].pan;
  if (options.cache_entries != 0) {
    out.v4_mask_ = options.cache_entries - 1;
    out.v4_cache_.assign(options.cache_entries, V4Slot{0, pan.anonymize_v4(0)});
  }
  if (options.v6_cache_entries != 0) {
    const Ipv6Bytes zero{};
    out.v6_mask_ = options.v6_cache_entries - 1;
    out.v6_cache_.assign(options.v6_cache_entries, V6Slot{zero, pan.anonymize_v6(zero)});
  }
  return out;
}

Result<Pseudonymizer> Pseudonymizer::open(const std::string& key_file,
                                          PseudonymizerOptions options) {
  auto keys = load_pseudonym_keys(key_file);
  if (!keys) return fail(keys.error());
  auto pseudonymizer = create(*keys, options);
  if (!pseudonymizer) return fail("{}: {}", key_file, pseudonymizer.error().message);
  return pseudonymizer;
}

std::uint32_t Pseudonymizer::pseudonymize_v4(std::uint32_t address) {
  CryptoPan& pan = epochs_[current_].pan;
  if (v4_cache_.empty()) return pan.anonymize_v4(address);
  V4Slot& slot = v4_cache_[((std::uint64_t{address} * kFibonacci) >> 32) & v4_mask_];
  if (slot.address != address) slot = {address, pan.anonymize_v4(address)};
  return slot.pseudonym;
}

Ipv6Bytes Pseudonymizer::pseudonymize_v6(const Ipv6Bytes& address) {
  CryptoPan& pan = epochs_[current_].pan;
  if (v6_cache_.empty()) return pan.anonymize_v6(address);
  const std::uint64_t mixed =
      (load_u64(address.data()) * kFibonacci) ^ load_u64(address.data() + 8);
  V6Slot& slot = v6_cache_[((mixed * kFibonacci) >> 32) & v6_mask_];
  if (slot.address != address) slot = {address, pan.anonymize_v6(address)};
  return slot.pseudonym;
}

Pseudonym Pseudonymizer::pseudonymize(const IpAddress& address) {
  const std::uint32_t epoch = epochs_[current_].epoch;
  if (address.is_v4()) return {epoch, IpAddress::v4(pseudonymize_v4(address.v4_value()))};
  return {epoch, IpAddress::v6(pseudonymize_v6(address.bytes()))};
}

Result<IpAddress> Pseudonymizer::reidentify(const Pseudonym& pseudonym) {
  for (Epoch& entry : epochs_) {
    if (entry.epoch == pseudonym.epoch) return entry.pan.deanonymize(pseudonym.address);
  }
  return fail("pseudonym epoch {} is not in the key file (known epochs: {} to {})", pseudonym.epoch,
              epochs_.front().epoch, epochs_.back().epoch);
}

}  // namespace mamori::privacy
