#include "mamori/scope/overrides.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

namespace mamori::scope {
namespace {

Prefix prefix(std::string_view text) {
  const auto parsed = Prefix::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Prefix{});
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

TEST(Overrides, ParsesEntriesCommentsAndBlankLines) {
  const auto parsed = Overrides::parse(
      "# carriers\n"
      "\n"
      "203.0.113.0/24 domestic\n"
      "  2001:db8::/32\tforeign   # trailing comment\r\n"
      "198.51.100.7 foreign\n"
      "   \t  \n"
      "# 192.0.2.0/24 domestic\n",
      "overrides.txt");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  const auto& entries = parsed->entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].prefix, prefix("203.0.113.0/24"));
  EXPECT_TRUE(entries[0].domestic);
  EXPECT_EQ(entries[0].line, 3u);
  EXPECT_EQ(entries[1].prefix, prefix("2001:db8::/32"));
  EXPECT_FALSE(entries[1].domestic);
  EXPECT_EQ(entries[1].line, 4u);
  EXPECT_EQ(entries[2].prefix, prefix("198.51.100.7/32"));
  EXPECT_FALSE(entries[2].domestic);
}

TEST(Overrides, EmptyTextHasNoEntries) {
  const auto parsed = Overrides::parse("", "empty");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->empty());
  const auto comments = Overrides::parse("# nothing\n\n", "comments");
  ASSERT_TRUE(comments.has_value());
  EXPECT_TRUE(comments->empty());
}

TEST(Overrides, ReportsEveryBadLineWithFileAndLine) {
  const auto parsed = Overrides::parse(
      "10.0.0.0/8 domestic\n"       // 1 fine
      "10.0.0.1/8 domestic\n"       // 2 host bits set
      "192.0.2.0/24\n"              // 3 missing the policy
      "192.0.2.0/24 local\n"        // 4 bad policy
      "not-an-ip domestic\n"        // 5 bad address
      "10.0.0.0/8 foreign\n"        // 6 duplicate of line 1
      "2001:db8::/129 foreign\n"    // 7 bad length
      "1.2.3.0/24 foreign extra\n"  // 8 too many fields
      "1.2.4.0/24 Domestic\n",      // 9 values are lower case
      "scope-overrides.txt");
  ASSERT_FALSE(parsed.has_value());
  const std::string& message = parsed.error().message;
  EXPECT_EQ(count_lines(message), 8u) << message;
  for (int line = 2; line <= 9; ++line) {
    EXPECT_NE(message.find("scope-overrides.txt:" + std::to_string(line) + ": "), std::string::npos)
        << "line " << line << " in:\n"
        << message;
  }
  EXPECT_EQ(message.find("scope-overrides.txt:1:"), std::string::npos) << message;
  EXPECT_NE(message.find("host bits"), std::string::npos) << message;
  EXPECT_NE(message.find("already listed on line 1"), std::string::npos) << message;
  EXPECT_NE(message.find("'local'"), std::string::npos) << message;
}

TEST(Overrides, CapsTheNumberOfReportedErrors) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "garbage\n";
  const auto parsed = Overrides::parse(text, "big");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_LE(count_lines(parsed.error().message), 51u);
  EXPECT_NE(parsed.error().message.find("450 more errors"), std::string::npos);
}

TEST(Overrides, QuotesNoControlBytesAndNoLongFields) {
  const std::string hostile = "\x01\x1b[31m" + std::string(500, 'A');
  const auto parsed = Overrides::parse(hostile + " domestic\n1.0.0.0/8 " + hostile + "\n", "x");
  ASSERT_FALSE(parsed.has_value());
  const std::string& message = parsed.error().message;
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
  EXPECT_EQ(message.find('\x01'), std::string::npos);
  EXPECT_LT(message.size(), 400u) << message;

  const auto short_hostile = Overrides::parse("\x1b[2J foreign\n", "y");
  ASSERT_FALSE(short_hostile.has_value());
  EXPECT_EQ(short_hostile.error().message.find('\x1b'), std::string::npos)
      << short_hostile.error().message;
}

TEST(Overrides, AddRefusesDuplicates) {
  Overrides overrides;
  EXPECT_TRUE(overrides.add(prefix("192.0.2.0/24"), true));
  EXPECT_FALSE(overrides.add(prefix("192.0.2.0/24"), false));
  EXPECT_TRUE(overrides.add(prefix("192.0.2.0/25"), false));
  ASSERT_EQ(overrides.entries().size(), 2u);
  EXPECT_TRUE(overrides.entries()[0].domestic);
}

TEST(Overrides, LoadsAFile) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("mamori-overrides-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << "203.0.113.0/24 domestic\nbad\n";
  const auto loaded = Overrides::load(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find(path.string() + ":2: "), std::string::npos)
      << loaded.error().message;
}

TEST(Overrides, MissingFileIsAClearError) {
  const auto loaded = Overrides::load("/nonexistent/overrides.txt");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("/nonexistent/overrides.txt"), std::string::npos);
  EXPECT_NE(loaded.error().message.find("No such file"), std::string::npos)
      << loaded.error().message;
  EXPECT_FALSE(Overrides::load(std::filesystem::temp_directory_path()).has_value());
}

}  // namespace
}  // namespace mamori::scope
