// registry/csv: the RFC 4180 reader on the shapes real spreadsheet exports take, and its
// recovery from malformed rows (one bad row never costs the rows after it).

#include "mamori/registry/csv.h"

#include <cstdint>
#include <random>

#include <gtest/gtest.h>

namespace mamori::registry {
namespace {

using Fields = std::vector<std::string>;

TEST(Csv, QuotedCommasQuotesAndNewlines) {
  const auto rows = read_csv(
      "a,b,c\n"
      "\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n"
      "plain,,last\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].fields, (Fields{"a", "b", "c"}));
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[1].fields, (Fields{"x, y", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(rows[2].line, 4u);  // the quoted newline moved it down a line
  EXPECT_EQ(rows[2].fields, (Fields{"plain", "", "last"}));
  for (const auto& row : rows) EXPECT_FALSE(row.error);
}

TEST(Csv, BomCrlfAndCrlfInsideQuotes) {
  const auto rows = read_csv("\xEF\xBB\xBFid,note\r\n1,\"a\r\nb\"\r\n2,c\r\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].fields, (Fields{"id", "note"}));  // no BOM in the first name
  EXPECT_EQ(rows[1].fields, (Fields{"1", "a\nb"}));
  EXPECT_EQ(rows[2].line, 4u);
  EXPECT_EQ(rows[2].fields, (Fields{"2", "c"}));
}

TEST(Csv, OldMacLineEndsAndNoFinalNewline) {
  const auto rows = read_csv("a,b\r1,2\r3,4");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].line, 3u);
  EXPECT_EQ(rows[2].fields, (Fields{"3", "4"}));
}

TEST(Csv, BlankLinesAndEmptyRowsAreSkippedTrailingEmptyFieldsKept) {
  const auto rows = read_csv("a,b,c\n\n,,\n\r\n1,2,\n1,,\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].line, 5u);
  EXPECT_EQ(rows[1].fields, (Fields{"1", "2", ""}));
  EXPECT_EQ(rows[2].line, 6u);
  EXPECT_EQ(rows[2].fields, (Fields{"1", "", ""}));
}

TEST(Csv, TrailingCommaAtEndOfFile) {
  const auto rows = read_csv("a,b,");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].fields, (Fields{"a", "b", ""}));
}

TEST(Csv, UnterminatedQuoteAtEndResumesOnNextLine) {
  const auto rows = read_csv("h1,h2\n1,\"open\n2,b\n3,c\n");
  ASSERT_EQ(rows.size(), 4u);
  ASSERT_TRUE(rows[1].error);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[1].error->line, 2u);
  EXPECT_EQ(rows[1].error->column, 3u);
  EXPECT_EQ(rows[1].error->message,
            "unterminated quoted field (the quote opened here is never closed)");
  EXPECT_TRUE(rows[1].fields.empty());
  EXPECT_EQ(rows[2].line, 3u);
  EXPECT_EQ(rows[2].fields, (Fields{"2", "b"}));
  EXPECT_EQ(rows[3].line, 4u);
  EXPECT_EQ(rows[3].fields, (Fields{"3", "c"}));
}

TEST(Csv, UnterminatedQuoteClosedByALaterRowsQuoteIsBlamedAndRowsReRead) {
  // The quote on line 2 "closes" at line 4's first quote, which is followed by text.
  const auto rows = read_csv("a,b,c\n1,\"x,y\n2,p,q\n3,\"r\",s\n");
  ASSERT_EQ(rows.size(), 4u);
  ASSERT_TRUE(rows[1].error);
  EXPECT_EQ(rows[1].error->line, 2u);
  EXPECT_EQ(rows[1].error->column, 3u);
  EXPECT_FALSE(rows[2].error);
  EXPECT_EQ(rows[2].fields, (Fields{"2", "p", "q"}));
  EXPECT_FALSE(rows[3].error);
  EXPECT_EQ(rows[3].line, 4u);
  EXPECT_EQ(rows[3].fields, (Fields{"3", "r", "s"}));
}

TEST(Csv, StrayQuoteInUnquotedFieldNamesLineAndColumn) {
  const auto rows = read_csv("a,b\nab\"c,d\nok,1\n");
  ASSERT_EQ(rows.size(), 3u);
  ASSERT_TRUE(rows[1].error);
  EXPECT_EQ(rows[1].error->line, 2u);
  EXPECT_EQ(rows[1].error->column, 3u);
  EXPECT_EQ(rows[1].error->message,
            "quote inside an unquoted field (quote the whole field and double the quote)");
  EXPECT_EQ(rows[2].fields, (Fields{"ok", "1"}));
}

TEST(Csv, TextAfterClosingQuoteOnTheSameLine) {
  const auto rows = read_csv("\"ab\"c,d\nok\n");
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_TRUE(rows[0].error);
  EXPECT_EQ(rows[0].error->column, 5u);
  EXPECT_EQ(rows[0].error->message, "text after the closing quote of a quoted field");
  EXPECT_EQ(rows[1].fields, (Fields{"ok"}));
}

TEST(Csv, InvalidUtf8ColumnCountsCharactersNotBytes) {
  // "あい," is three characters (seven bytes); the Shift_JIS byte 0x82 is the fourth.
  const auto rows = read_csv("h\n\xE3\x81\x82\xE3\x81\x84,\x82\xA0\nnext\n");
  ASSERT_EQ(rows.size(), 3u);
  ASSERT_TRUE(rows[1].error);
  EXPECT_EQ(rows[1].error->line, 2u);
  EXPECT_EQ(rows[1].error->column, 4u);
  EXPECT_EQ(rows[1].error->message, "invalid UTF-8 (save the file as UTF-8, not Shift_JIS)");
  EXPECT_EQ(rows[2].fields, (Fields{"next"}));
}

TEST(Csv, InvalidUtf8OnTheSecondLineOfAQuotedField) {
  const auto rows = read_csv("\"ok\nbad\xC0\xAF\"\n");  // overlong '/'
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0].error);
  EXPECT_EQ(rows[0].line, 1u);
  EXPECT_EQ(rows[0].error->line, 2u);
  EXPECT_EQ(rows[0].error->column, 4u);
}

TEST(Csv, ValidMultibyteTextPasses) {
  const auto rows = read_csv("名称,ﾍﾞﾝﾀﾞｰ\nサンプル,😀\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[1].error);
  EXPECT_EQ(rows[1].fields, (Fields{"サンプル", "😀"}));
}

TEST(CsvHeader, FindsColumnsWidthAndCaseFolded) {
  const CsvHeader header(
      {" ID ", "Internet_Facing", "ﾍﾞﾝﾀﾞｰ", "ＰＲＯＤＵＣＴ", "managed-by", "note"});
  EXPECT_EQ(header.find({"id"}), 0u);
  EXPECT_EQ(header.name(0), "ID");
  EXPECT_EQ(header.find({"internet facing"}), 1u);
  EXPECT_EQ(header.find({"vendor", "ベンダー"}), 2u);
  EXPECT_EQ(header.find({"product"}), 3u);
  EXPECT_EQ(header.find({"managed_by"}), 4u);
  EXPECT_EQ(header.find({"version", "バージョン"}), std::nullopt);
}

// Hostile input is data: arbitrary bytes never crash the reader, it always finishes, and rows
// come back in file order.
TEST(Csv, ArbitraryBytesAlwaysTerminateInOrder) {
  std::mt19937 random(20261202);
  const std::string alphabet = "a,\"\r\n \xE3\x81\x82\xFF";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int length = static_cast<int>(random() % 64);
    for (int i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
    std::size_t last_line = 0;
    std::size_t count = 0;
    CsvReader reader(text);
    while (auto row = reader.next()) {
      ASSERT_GT(row->line, last_line) << "round " << round;
      last_line = row->line;
      ASSERT_LE(++count, text.size() + 1) << "round " << round;
      if (row->error) {
        EXPECT_GE(row->error->line, row->line);
        EXPECT_GE(row->error->column, 1u);
      }
    }
  }
}

}  // namespace
}  // namespace mamori::registry
