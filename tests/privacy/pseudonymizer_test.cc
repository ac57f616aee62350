// Pseudonymizer: epochs in pseudonyms, re-identification across rotation, the cache giving
// exactly the uncached results, and the pseudonym text form.

#include "mamori/privacy/pseudonymizer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <random>
#include <string>

namespace mamori::privacy {
namespace {

namespace fs = std::filesystem;

constexpr Timestamp kT0 = Timestamp::from_seconds(1'790'000'000);

PseudonymKeys reference_keys() {
  // The Crypto-PAn reference sample key as epoch 2 (see crypto_pan_test.cc), a zero key as 1.
  constexpr std::array<std::uint8_t, 32> kReferenceKey = {
      21,  34,  23,  141, 51,  164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
      216, 152, 143, 131, 121, 121, 101, 39,  98, 87, 76, 45, 42, 132, 34,  2};
  PseudonymKeys keys;
  PseudonymKey first;
  first.epoch = 1;
  keys.epochs.push_back(first);
  PseudonymKey second;
  second.epoch = 2;
  second.key = kReferenceKey;
  keys.epochs.push_back(second);
  keys.current = 2;
  return keys;
}

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

TEST(Pseudonymizer, Invariant_I5_PseudonymCarriesCurrentEpoch) {
  auto pseudonymizer = Pseudonymizer::create(reference_keys());
  ASSERT_TRUE(pseudonymizer.has_value()) << pseudonymizer.error().message;
  EXPECT_EQ(pseudonymizer->current_epoch(), 2u);
  const Pseudonym pseudonym = pseudonymizer->pseudonymize(ip("24.0.250.221"));
  EXPECT_EQ(to_string(pseudonym), "p2:100.15.198.226");
  const Pseudonym v6 = pseudonymizer->pseudonymize(ip("2001:db8::1"));
  EXPECT_EQ(to_string(v6), "p2:4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e");
  EXPECT_EQ(pseudonymizer->reidentify(pseudonym).value(), ip("24.0.250.221"));
  EXPECT_EQ(pseudonymizer->reidentify(v6).value(), ip("2001:db8::1"));
}

TEST(Pseudonymizer, Invariant_I5_ReidentifyNeedsThatEpochsKey) {
  auto pseudonymizer = Pseudonymizer::create(reference_keys());
  ASSERT_TRUE(pseudonymizer.has_value());
  // Epoch 1's key gives a different answer than epoch 2's for the same pseudonym address.
  const Pseudonym p2 = pseudonymizer->pseudonymize(ip("198.51.100.7"));
  const Pseudonym p1{1, p2.address};
  EXPECT_NE(pseudonymizer->reidentify(p1).value(), ip("198.51.100.7"));
  auto unknown = pseudonymizer->reidentify({9, p2.address});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("epoch 9"), std::string::npos);
  EXPECT_FALSE(pseudonymizer->reidentify({0, p2.address}).has_value());
}

TEST(Pseudonymizer, Invariant_I5_RotationKeepsOldPseudonymsReidentifiable) {
  std::string pattern = (fs::temp_directory_path() / "mamori-privacy-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  const std::string file = (dir / "keys.json").string();
  ASSERT_TRUE(create_pseudonym_keys(file, kT0).has_value());
  auto before = Pseudonymizer::open(file);
  ASSERT_TRUE(before.has_value()) << before.error().message;
  const IpAddress address = ip("203.0.113.9");
  const Pseudonym old_pseudonym = before->pseudonymize(address);
  EXPECT_EQ(old_pseudonym.epoch, 1u);

  ASSERT_TRUE(rotate_pseudonym_keys(file, kT0 + Duration::seconds(60)).has_value());
  auto after = Pseudonymizer::open(file);
  ASSERT_TRUE(after.has_value());
  const Pseudonym new_pseudonym = after->pseudonymize(address);
  EXPECT_EQ(new_pseudonym.epoch, 2u);
  EXPECT_NE(new_pseudonym.address, old_pseudonym.address);
  EXPECT_EQ(after->reidentify(old_pseudonym).value(), address);
  EXPECT_EQ(after->reidentify(new_pseudonym).value(), address);
  // The old instance knows only epoch 1.
  EXPECT_FALSE(before->reidentify(new_pseudonym).has_value());
  fs::remove_all(dir);
}

TEST(Pseudonymizer, Invariant_I5_CacheGivesExactlyUncachedResults) {
  std::mt19937_64 random(0x5eed0101);
  auto cached =
      Pseudonymizer::create(reference_keys(), {.cache_entries = 64, .v6_cache_entries = 64});
  auto uncached =
      Pseudonymizer::create(reference_keys(), {.cache_entries = 0, .v6_cache_entries = 0});
  auto single =
      Pseudonymizer::create(reference_keys(), {.cache_entries = 1, .v6_cache_entries = 1});
  ASSERT_TRUE(cached && uncached && single);
  // A small pool so that addresses repeat, collide in the 64 slots and get evicted; the
  // all-zero addresses exercise the prefilled slots.
  std::vector<IpAddress> pool = {IpAddress::v4(0), IpAddress{}};
  for (int i = 0; i < 150; ++i) pool.push_back(IpAddress::v4(static_cast<std::uint32_t>(random())));
  for (int i = 0; i < 150; ++i) {
    std::array<std::uint8_t, 16> bytes{};
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
    bytes[0] = 0x2a;
    pool.push_back(IpAddress::v6(bytes));
  }
  for (int i = 0; i < 20000; ++i) {
    const IpAddress& address = pool[random() % pool.size()];
    const Pseudonym expected = uncached->pseudonymize(address);
    ASSERT_EQ(cached->pseudonymize(address), expected) << address.to_string();
    ASSERT_EQ(single->pseudonymize(address), expected) << address.to_string();
  }
}

TEST(Pseudonymizer, RejectsBadOptionsAndKeys) {
  EXPECT_FALSE(Pseudonymizer::create(reference_keys(), {.cache_entries = 3000}).has_value());
  EXPECT_FALSE(Pseudonymizer::create(reference_keys(), {.v6_cache_entries = 6}).has_value());
  EXPECT_FALSE(Pseudonymizer::create(reference_keys(), {.cache_entries = (std::size_t{1} << 21)})
                   .has_value());
  PseudonymKeys keys = reference_keys();
  keys.current = 5;
  EXPECT_FALSE(Pseudonymizer::create(keys).has_value());
  EXPECT_FALSE(Pseudonymizer::create(PseudonymKeys{}).has_value());
  auto missing = Pseudonymizer::open("/nonexistent/mamori-keys.json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("/nonexistent/mamori-keys.json"), std::string::npos);
}

TEST(PseudonymText, RoundTrip) {
  for (const char* text : {"p2:100.154.15.220", "p1:0.0.0.0", "p4294967295:255.255.255.255",
                           "p3:4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e", "p7:::"}) {
    auto pseudonym = parse_pseudonym(text);
    ASSERT_TRUE(pseudonym.has_value()) << text << ": " << pseudonym.error().message;
    EXPECT_EQ(to_string(*pseudonym), text);
  }
  EXPECT_EQ(parse_pseudonym("p2:100.154.15.220")->address, ip("100.154.15.220"));
  EXPECT_TRUE(parse_pseudonym("p2:100.154.15.220")->address.is_v4());
}

TEST(PseudonymText, Invariant_I5_RejectsMalformedWithoutEchoingInput) {
  for (const char* text :
       {"", "p", "p:", "2:192.0.2.1", "P2:192.0.2.1", "p0:192.0.2.1", "p02:192.0.2.1",
        "p-1:192.0.2.1", "p4294967296:192.0.2.1", "p2 :192.0.2.1", "p2:", "p2:192.0.2.1 ",
        "p2:192.0.2.999", "p2:192.0.2.1/24", "192.0.2.1", "px:192.0.2.1"}) {
    auto pseudonym = parse_pseudonym(text);
    ASSERT_FALSE(pseudonym.has_value()) << text;
    EXPECT_EQ(pseudonym.error().message.find("192.0.2"), std::string::npos)
        << pseudonym.error().message;
  }
}

}  // namespace
}  // namespace mamori::privacy
