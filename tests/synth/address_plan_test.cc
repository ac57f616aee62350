#include "mamori/synth/address_plan.h"

#include <maxminddb.h>

#include <string>

#include <gtest/gtest.h>

#include "mamori/synth/prng.h"

namespace mamori::synth {
namespace {

// The country the vendored database gives (as `mmdblookup ... country_code` would), "" when
// the address is not listed.
class Countries {
 public:
  Countries() {
    const std::string path = std::string(MAMORI_SOURCE_DIR) + "/data/iptoasn-country.mmdb";
    open_ = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db_) == MMDB_SUCCESS;
  }
  ~Countries() {
    if (open_) MMDB_close(&db_);
  }
  bool open() const { return open_; }
  std::string lookup(const IpAddress& address) {
    int gai = 0, error = 0;
    const auto result = MMDB_lookup_string(&db_, address.to_string().c_str(), &gai, &error);
    if (gai != 0 || error != MMDB_SUCCESS || !result.found_entry) return "";
    MMDB_entry_data_s data;
    auto entry = result.entry;
    if (MMDB_get_value(&entry, &data, "country_code", nullptr) != MMDB_SUCCESS || !data.has_data ||
        data.type != MMDB_DATA_TYPE_UTF8_STRING) {
      return "?";
    }
    return std::string(data.utf8_string, data.data_size);
  }

 private:
  MMDB_s db_{};
  bool open_ = false;
};

IpAddress last_of(const Prefix& prefix) {
  auto bytes = prefix.address().bytes();
  const int offset = prefix.address().is_v4() ? 96 : 0;
  for (int bit = offset + prefix.length(); bit < 128; ++bit) {
    bytes[static_cast<std::size_t>(bit / 8)] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
  }
  return IpAddress::v6(bytes);
}

TEST(AddressPlan, EveryRangeHasItsCountryInTheVendoredDatabase) {
  Countries db;
  ASSERT_TRUE(db.open());
  Rng rng(1);
  for (const auto& range : address_ranges()) {
    const auto prefix = Prefix::parse(range.prefix);
    ASSERT_TRUE(prefix.has_value()) << range.prefix;
    EXPECT_EQ(db.lookup(prefix->address()), range.country) << range.prefix << " first";
    EXPECT_EQ(db.lookup(last_of(*prefix)), range.country) << range.prefix << " last";
    for (int i = 0; i < 64; ++i) {
      const IpAddress host = AddressPlan::host_in(*prefix, rng.next(), rng.next());
      ASSERT_TRUE(prefix_contains(*prefix, host));
      EXPECT_EQ(db.lookup(host), range.country) << range.prefix << " " << host.to_string();
    }
  }
}

TEST(AddressPlan, CountryOfAgreesWithTheTableAndPoolsStayInside) {
  const AddressPlan plan;
  for (const auto& range : address_ranges()) {
    const auto prefix = *Prefix::parse(range.prefix);
    EXPECT_EQ(plan.country_of(prefix.address()), range.country) << range.prefix;
    EXPECT_EQ(plan.country_of(last_of(prefix)), range.country) << range.prefix;
  }
  EXPECT_EQ(plan.country_of(*IpAddress::parse("192.0.2.1")), "");
  EXPECT_TRUE(plan.is_domestic(*IpAddress::parse("192.0.2.1")));  // unknown = domestic
  EXPECT_TRUE(plan.is_domestic(*IpAddress::parse("126.1.2.3")));
  EXPECT_FALSE(plan.is_domestic(*IpAddress::parse("5.9.1.2")));
  for (std::uint64_t i = 0; i < 200; ++i) {
    const IpAddress host = plan.host(Pool::jp_clients, i, 77);
    EXPECT_EQ(plan.country_of(host), "JP") << host.to_string();
    const IpAddress v6 = plan.host(Pool::foreign_servers_v6, i, 77);
    EXPECT_FALSE(v6.is_v4());
    EXPECT_FALSE(plan.is_domestic(v6)) << v6.to_string();
  }
  EXPECT_EQ(category_name(true, false), "DF");
  EXPECT_EQ(category_name(false, true), "FD");
  EXPECT_EQ(category_name(true, true), "DD");
  EXPECT_EQ(category_name(false, false), "FF");
}

TEST(AddressPlan, PrefixContainsMatchesCore) {
  Rng rng(2);
  for (const char* text : {"10.0.0.0/8", "5.79.64.0/18", "1.2.3.4/32", "2a01:4f8::/31",
                           "2001:db8::/64", "0.0.0.0/0"}) {
    const auto prefix = *Prefix::parse(text);
    for (int i = 0; i < 500; ++i) {
      IpAddress address = AddressPlan::host_in(prefix, rng.next(), rng.next());
      if (i % 2) {  // flip one random bit anywhere
        auto bytes = address.bytes();
        const int bit = static_cast<int>(rng.below(prefix.address().is_v4() ? 32 : 128)) +
                        (prefix.address().is_v4() ? 96 : 0);
        bytes[static_cast<std::size_t>(bit / 8)] ^= static_cast<std::uint8_t>(0x80u >> (bit % 8));
        address = IpAddress::v6(bytes);
      }
      EXPECT_EQ(prefix_contains(prefix, address), prefix.contains(address)) << text;
    }
  }
}

}  // namespace
}  // namespace mamori::synth
