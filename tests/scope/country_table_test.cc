#include "mamori/scope/country_table.h"

#include <gtest/gtest.h>
#include <maxminddb.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "mamori/scope/special_ranges.h"

namespace mamori::scope {
namespace {

const std::filesystem::path kDatabase =
    std::filesystem::path(MAMORI_SOURCE_DIR) / "data" / "iptoasn-country.mmdb";

IpAddress address(std::string_view text) {
  const auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

Prefix prefix(std::string_view text) {
  const auto parsed = Prefix::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Prefix{});
}

// Loaded once: the table is immutable, so the tests can share it.
const CountryTable& real_table() {
  static const CountryTable table = [] {
    auto loaded = CountryTable::load(kDatabase);
    if (!loaded) ADD_FAILURE() << loaded.error().message;
    return loaded ? std::move(*loaded) : CountryTable{};
  }();
  return table;
}

// A scratch file removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(std::string_view name)
      : path_(std::filesystem::temp_directory_path() /
              (std::string("mamori-scope-test-") + std::to_string(::getpid()) + "-" +
               std::string(name))) {}
  ~TempFile() { std::filesystem::remove(path_); }
  void write(const std::string& bytes) const { std::ofstream(path_, std::ios::binary) << bytes; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The checks listed in shared/data/README.md §1, made with mmdblookup on 2026-11-22.
TEST(CountryTable, KnownAddressesInTheVendoredDatabase) {
  const auto& table = real_table();
  const std::pair<const char*, const char*> expected[] = {
      {"133.242.0.1", "JP"},          {"8.8.8.8", "US"},       {"1.1.1.1", "US"},
      {"2001:240::1", "JP"},          {"203.178.136.1", "JP"}, {"202.12.27.33", "JP"},
      {"210.140.10.1", "JP"},         {"2001:200::1", "JP"},   {"2001:4860:4860::8888", "US"},
      {"2606:4700:4700::1111", "US"},
  };
  for (const auto& [text, country] : expected) {
    EXPECT_EQ(table.lookup(address(text)).to_string(), country) << text;
  }
}

TEST(CountryTable, Ipv4MappedAddressesAreFoundAsIpv4) {
  const auto& table = real_table();
  EXPECT_EQ(table.lookup(address("::ffff:8.8.8.8")).to_string(), "US");
  EXPECT_EQ(table.lookup(address("::ffff:133.242.0.1")).to_string(), "JP");
  EXPECT_EQ(table.lookup_v4(0x08080808).to_string(), "US");
}

TEST(CountryTable, PrivateAndReservedRangesHaveNoCountry) {
  const auto& table = real_table();
  for (const char* text : {"10.1.2.3",
                           "172.16.0.1",
                           "172.31.255.255",
                           "192.168.1.1",
                           "100.64.0.1",
                           "127.0.0.1",
                           "169.254.1.1",
                           "224.0.0.1",
                           "239.255.255.250",
                           "240.0.0.1",
                           "255.255.255.255",
                           "0.0.0.0",
                           "192.0.2.1",
                           "198.51.100.1",
                           "203.0.113.1",
                           "fc00::1",
                           "fd12:3456::1",
                           "fe80::1",
                           "2001:db8::1",
                           "::1",
                           "::",
                           "ff02::1"}) {
    EXPECT_FALSE(table.lookup(address(text)).known()) << text;
  }
}

TEST(CountryTable, LoadsTheWholeDatabase) {
  const auto& stats = real_table().stats();
  // The README's sample: 83% of random IPv4 addresses have an entry, so there must be a few
  // hundred thousand networks in each family's tables, not a handful.
  EXPECT_GT(stats.v4_networks, 100000u);
  EXPECT_GT(stats.v6_networks, 10000u);
  EXPECT_EQ(stats.database_type, "country ipvAll");
  EXPECT_EQ(stats.build_epoch, 1781726061u);
  EXPECT_GT(real_table().memory_bytes(), 0u);
}

// The table must agree with libmaxminddb's own lookup everywhere except in the special-purpose
// ranges, which the table forces to unknown.
class MaxmindReference {
 public:
  MaxmindReference() { EXPECT_EQ(MMDB_open(kDatabase.c_str(), MMDB_MODE_MMAP, &mmdb_), 0); }
  ~MaxmindReference() { MMDB_close(&mmdb_); }
  std::string country(const IpAddress& ip) {
    const std::string text = ip.to_string();
    int gai_error = 0;
    int mmdb_error = 0;
    auto result = MMDB_lookup_string(&mmdb_, text.c_str(), &gai_error, &mmdb_error);
    if (gai_error != 0 || mmdb_error != 0 || !result.found_entry) return "";
    MMDB_entry_data_s data{};
    if (MMDB_get_value(&result.entry, &data, "country_code", nullptr) != MMDB_SUCCESS ||
        !data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING) {
      return "";
    }
    return std::string(data.utf8_string, data.data_size);
  }

 private:
  MMDB_s mmdb_{};
};

bool is_special(const IpAddress& ip) {
  for (const auto& block : special_purpose_prefixes()) {
    if (block.contains(ip)) return true;
  }
  return false;
}

TEST(CountryTable, AgreesWithLibmaxminddbOnRandomAddresses) {
  MaxmindReference reference;
  const auto& table = real_table();
  std::mt19937_64 rng(2026);
  std::size_t known_v4 = 0;
  std::size_t known_v6 = 0;
  for (int i = 0; i < 100000; ++i) {
    IpAddress ip;
    if (i % 4 != 3) {
      ip = IpAddress::v4(static_cast<std::uint32_t>(rng()));
    } else {
      // Inside the RIRs' busiest /12s, so that many addresses are in some network.
      constexpr std::uint8_t kTops[][2] = {{0x20, 0x01}, {0x24, 0x00}, {0x24, 0x04},
                                           {0x26, 0x00}, {0x26, 0x04}, {0x2a, 0x00},
                                           {0x2a, 0x01}, {0x2a, 0x02}, {0x2a, 0x0e}};
      std::array<std::uint8_t, 16> bytes;
      for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
      const auto& top = kTops[rng() % std::size(kTops)];
      bytes[0] = top[0];
      bytes[1] = static_cast<std::uint8_t>(top[1] | (bytes[1] & 0x0f));
      ip = IpAddress::v6(bytes);
    }
    const std::string expected = is_special(ip) ? "" : reference.country(ip);
    ASSERT_EQ(table.lookup(ip).to_string(), expected) << "address #" << i;
    (ip.is_v4() ? known_v4 : known_v6) += !expected.empty();
  }
  // The comparison covered known addresses, not only misses.
  EXPECT_GT(known_v4, 40000u);
  EXPECT_GT(known_v6, 500u);
}

TEST(CountryTable, MissingFileIsAClearError) {
  const auto loaded = CountryTable::load("/nonexistent/dir/country.mmdb");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("/nonexistent/dir/country.mmdb"), std::string::npos)
      << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("cannot open"), std::string::npos)
      << loaded.error().message;
}

TEST(CountryTable, NotADatabaseIsAClearError) {
  TempFile file("garbage.mmdb");
  file.write(std::string(4096, 'x'));
  const auto loaded = CountryTable::load(file.path());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find(file.path().string()), std::string::npos)
      << loaded.error().message;

  TempFile empty("empty.mmdb");
  empty.write("");
  EXPECT_FALSE(CountryTable::load(empty.path()).has_value());
}

TEST(CountryTable, TruncatedDatabaseIsAnError) {
  const std::string bytes = read_file(kDatabase);
  ASSERT_GT(bytes.size(), 1000000u);
  TempFile file("truncated.mmdb");
  file.write(bytes.substr(0, bytes.size() / 2));
  const auto loaded = CountryTable::load(file.path());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find(file.path().string()), std::string::npos);
}

// The search tree starts the file; with 24-bit records each node is 6 bytes (left, right).
TEST(CountryTable, CorruptSearchTreeIsAnError) {
  const std::string bytes = read_file(kDatabase);
  {
    std::string corrupt = bytes;
    for (int i = 0; i < 6; ++i) corrupt[static_cast<std::size_t>(i)] = '\xff';  // past the data
    TempFile file("invalid-record.mmdb");
    file.write(corrupt);
    const auto loaded = CountryTable::load(file.path());
    ASSERT_FALSE(loaded.has_value());
    EXPECT_NE(loaded.error().message.find("invalid record"), std::string::npos)
        << loaded.error().message;
  }
  {
    std::string corrupt = bytes;
    // root.left → node 1, node 1.left → node 1: a loop that never reaches data.
    const char to_node_one[] = {'\0', '\0', '\1'};
    corrupt.replace(0, 3, to_node_one, 3);
    corrupt.replace(6, 3, to_node_one, 3);
    TempFile file("cycle.mmdb");
    file.write(corrupt);
    const auto loaded = CountryTable::load(file.path());
    ASSERT_FALSE(loaded.has_value());
    EXPECT_NE(loaded.error().message.find("search tree"), std::string::npos)
        << loaded.error().message;
  }
}

TEST(CountryTable, FromNetworksKeepsSpecialRangesUnknown) {
  const std::vector<std::pair<Prefix, CountryCode>> networks = {
      {prefix("0.0.0.0/0"), CountryCode::from("US")},
      {prefix("10.0.0.0/8"), CountryCode::from("AU")},      // a database bug
      {prefix("192.168.1.0/24"), CountryCode::from("AU")},  // inside a special range
      {prefix("133.0.0.0/8"), kJapan},
      {prefix("::/0"), CountryCode::from("DE")},
      {prefix("fd00::/8"), CountryCode::from("AU")},
  };
  const auto table = CountryTable::from_networks(networks);
  EXPECT_EQ(table.lookup(address("8.8.8.8")).to_string(), "US");
  EXPECT_EQ(table.lookup(address("133.1.2.3")), kJapan);
  EXPECT_FALSE(table.lookup(address("10.1.2.3")).known());
  EXPECT_FALSE(table.lookup(address("192.168.1.1")).known());
  EXPECT_FALSE(table.lookup(address("192.168.2.1")).known());
  EXPECT_FALSE(table.lookup(address("127.0.0.1")).known());  // the /0 does not reach it
  EXPECT_EQ(table.lookup(address("2a00::1")).to_string(), "DE");
  EXPECT_FALSE(table.lookup(address("fd00::1")).known());
  EXPECT_FALSE(table.lookup(address("fe80::1")).known());
  EXPECT_EQ(table.stats().special_dropped, 3u);
  EXPECT_EQ(table.stats().v4_networks, 2u);
  EXPECT_EQ(table.stats().v6_networks, 1u);
}

TEST(CountryTable, EmptyTableKnowsNothing) {
  const CountryTable table;
  EXPECT_FALSE(table.lookup(address("8.8.8.8")).known());
  EXPECT_FALSE(table.lookup(address("2001:4860::1")).known());
}

TEST(CountryCodeParse, AcceptsTwoLettersOnly) {
  EXPECT_EQ(parse_country_code("JP"), kJapan);
  EXPECT_EQ(parse_country_code("jp"), kJapan);
  EXPECT_EQ(parse_country_code("Us"), CountryCode::from("US"));
  EXPECT_FALSE(parse_country_code("").has_value());
  EXPECT_FALSE(parse_country_code("J").has_value());
  EXPECT_FALSE(parse_country_code("JPN").has_value());
  EXPECT_FALSE(parse_country_code("J1").has_value());
  EXPECT_FALSE(parse_country_code("J ").has_value());
}

}  // namespace
}  // namespace mamori::scope
