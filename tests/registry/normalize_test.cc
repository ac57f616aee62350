#include "mamori/registry/normalize.h"

#include <string>

#include <gtest/gtest.h>

namespace mamori::registry {
namespace {

TEST(NormalizeFoldWidth, FullWidthAsciiBecomesAscii) {
  EXPECT_EQ(fold_width("ＦＯＲＴＩＮＥＴ"), "FORTINET");
  EXPECT_EQ(fold_width("ＦｏｒｔｉＯＳ　７．２．４"), "FortiOS 7.2.4");
  // The ends of the range: U+FF01 '！' and U+FF5E '～'.
  EXPECT_EQ(fold_width("！～"), "!~");
  // Just outside it: U+FF5F (full-width left white parenthesis) stays.
  EXPECT_EQ(fold_width("\xEF\xBD\x9F"), "\xEF\xBD\x9F");
}

TEST(NormalizeFoldWidth, HalfWidthKatakanaBecomesFullWidthWithMarksJoined) {
  EXPECT_EQ(fold_width("ﾌｫｰﾃｨﾈｯﾄ"), "フォーティネット");
  EXPECT_EQ(fold_width("ﾄﾚﾝﾄﾞﾏｲｸﾛ"), "トレンドマイクロ");  // ﾄﾞ → ド
  EXPECT_EQ(fold_width("ｻﾝﾌﾟﾙ"), "サンプル");              // ﾌﾟ → プ
  EXPECT_EQ(fold_width("ｶﾞｷﾞｸﾞｹﾞｺﾞ"), "ガギグゲゴ");
  EXPECT_EQ(fold_width("ﾊﾞﾋﾟﾌﾞﾍﾟﾎﾞ"), "バピブペボ");
  EXPECT_EQ(fold_width("ｳﾞｪﾙ"), "ヴェル");  // ｳﾞ → ヴ
  EXPECT_EQ(fold_width("ﾜﾞｦﾞ"), "ヷヺ");
  EXPECT_EQ(fold_width("｡｢｣､･"), "。「」、・");
  // A full-width letter followed by a half-width mark composes too, as NFKC does.
  EXPECT_EQ(fold_width("カﾞ"), "ガ");
  EXPECT_EQ(fold_width("かﾞ"), "が");
  // A mark that cannot join stays as the combining mark (NFKC's mapping).
  EXPECT_EQ(fold_width("アﾞ"), "ア\u3099");
  EXPECT_EQ(fold_width("ﾟ"), "\u309A");
  EXPECT_EQ(fold_width("ﾏﾟ"), "マ\u309A");
}

TEST(NormalizeFoldWidth, IdeographicSpaceBecomesSpace) {
  EXPECT_EQ(fold_width("株式会社\u3000日立"), "株式会社 日立");
}

TEST(NormalizeFoldWidth, InvalidUtf8BecomesReplacementCharacter) {
  const std::string kFffd = "\xEF\xBF\xBD";
  EXPECT_EQ(fold_width("a\xFF"
                       "b"),
            "a" + kFffd + "b");
  EXPECT_EQ(fold_width("\x80"), kFffd);                          // stray continuation byte
  EXPECT_EQ(fold_width("\xE3\x83"), kFffd + kFffd);              // truncated sequence
  EXPECT_EQ(fold_width("\xC0\xAF"), kFffd + kFffd);              // overlong '/'
  EXPECT_EQ(fold_width("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // surrogate U+D800
  EXPECT_EQ(fold_width("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
  // The byte after a bad lead byte is not swallowed.
  EXPECT_EQ(fold_width("\xE3"
                       "A"),
            kFffd + "A");
  EXPECT_EQ(fold_width(std::string("x\0y", 3)), std::string("x\0y", 3));
  // Every single byte value, alone and before a half-width mark, without a crash.
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    EXPECT_FALSE(normalize_text(one + "ﾞ").empty());
    (void)vendor_key(one + "株式会社");
    (void)parse_version(one + "1");
  }
}

TEST(NormalizeText, FoldsCaseTrimsAndCollapsesBlanks) {
  EXPECT_EQ(normalize_text("  Palo\tAlto \u3000 Networks\r\n"), "palo alto networks");
  EXPECT_EQ(normalize_text("ＰＡＮ－ＯＳ"), "pan-os");
  EXPECT_EQ(normalize_text("Cisco\u00A0IOS"), "cisco ios");  // no-break space
  EXPECT_EQ(normalize_text(""), "");
  EXPECT_EQ(normalize_text(" \u3000 "), "");
  // Only ASCII is case-folded: non-ASCII letters are kept as they are.
  EXPECT_EQ(normalize_text("ÄBC"), "Äbc");
}

TEST(NormalizeProductKey, UnderscoreAndHyphenAreBlanks) {
  EXPECT_EQ(product_key("PAN-OS"), "pan os");
  EXPECT_EQ(product_key("pan_os"), product_key("ＰＡＮ－ＯＳ"));
  EXPECT_EQ(product_key("FortiOS"), product_key("ｆｏｒｔｉｏｓ"));
  EXPECT_EQ(product_key(" NX - OS "), "nx os");
  EXPECT_NE(product_key("FortiOS"), product_key("FortiWeb"));
}

// Each corporate form the key drops, one by one.
TEST(NormalizeVendorKey, DropsEachCorporateSuffix) {
  const char* const kSuffixed[] = {
      "Acme Inc.",      "Acme Inc",         "Acme, Inc.",         "Acme Incorporated",
      "Acme Corp.",     "Acme Corp",        "Acme Corporation",   "Acme Co.",
      "Acme Company",   "Acme Ltd.",        "Acme Ltd",           "Acme Limited",
      "Acme LLC",       "Acme L.L.C.",      "Acme GmbH",          "Acme AG",
      "Acme S.A.",      "Acme SA",          "Acme plc",           "Acme K.K.",
      "Acme G.K.",      "Acme SE",          "Acme System",        "Acme Systems",
      "Acme Co., Ltd.", "ACME CORPORATION", "Acme Systems, Inc.", "ａｃｍｅ　ｉｎｃ．"};
  for (const char* name : kSuffixed) EXPECT_EQ(vendor_key(name), "acme") << name;
}

TEST(NormalizeVendorKey, DropsJapaneseCorporateFormsBeforeOrAfter) {
  EXPECT_EQ(vendor_key("株式会社日立製作所"), "日立製作所");
  EXPECT_EQ(vendor_key("日立製作所株式会社"), "日立製作所");
  EXPECT_EQ(vendor_key("(株)日立製作所"), "日立製作所");
  EXPECT_EQ(vendor_key("（株）日立製作所"), "日立製作所");  // full-width parentheses
  EXPECT_EQ(vendor_key("㈱日立製作所"), "日立製作所");
  EXPECT_EQ(vendor_key("有限会社サンプル"), "サンプル");
  EXPECT_EQ(vendor_key("サンプル(有)"), "サンプル");
  EXPECT_EQ(vendor_key("㈲サンプル"), "サンプル");
  EXPECT_EQ(vendor_key("合同会社サンプル"), "サンプル");
  EXPECT_EQ(vendor_key("合資会社サンプル"), "サンプル");
  EXPECT_EQ(vendor_key("合名会社サンプル"), "サンプル");
  EXPECT_EQ(vendor_key("株式会社　日立製作所"), "日立製作所");
  EXPECT_EQ(vendor_key("日立製作所、"), "日立製作所");
}

TEST(NormalizeVendorKey, SameVendorHoweverTyped) {
  EXPECT_EQ(vendor_key("Cisco Systems, Inc."), vendor_key("cisco"));
  EXPECT_EQ(vendor_key("ＦＯＲＴＩＮＥＴ"), vendor_key("Fortinet, Inc."));
  EXPECT_EQ(vendor_key("ﾌｫｰﾃｨﾈｯﾄ株式会社"), vendor_key("フォーティネット"));
  EXPECT_EQ(vendor_key("ﾌｫｰﾃｨﾈｯﾄ株式会社"), "フォーティネット");
  EXPECT_EQ(vendor_key("ﾄﾚﾝﾄﾞﾏｲｸﾛ㈱"), vendor_key("トレンドマイクロ株式会社"));
  EXPECT_EQ(vendor_key("ｻﾝﾌﾟﾙ電機（株）"), vendor_key("株式会社サンプル電機"));
  EXPECT_EQ(vendor_key("Palo Alto Networks, Inc."), "palo alto networks");
  EXPECT_EQ(vendor_key("Schneider Electric SE"), "schneider electric");
}

TEST(NormalizeVendorKey, KeepsNamesThatOnlyLookLikeSuffixes) {
  // Suffixes are dropped at the end only, and never down to an empty key.
  EXPECT_EQ(vendor_key("Systems"), "systems");
  EXPECT_EQ(vendor_key("Inc."), "inc");
  EXPECT_EQ(vendor_key("AG Networks"), "ag networks");
  EXPECT_EQ(vendor_key("Corporate Systems Co"), "corporate");
  EXPECT_NE(vendor_key("Cisco"), vendor_key("Cisco Meraki"));
  EXPECT_EQ(vendor_key(""), "");
}

int compare(std::string_view a, std::string_view b) {
  auto va = parse_version(a);
  auto vb = parse_version(b);
  EXPECT_TRUE(va && vb) << a << " / " << b;
  if (!va || !vb) return 99;
  return va->compare(*vb);
}

TEST(NormalizeVersion, SplitsIntoNumberAndTextParts) {
  auto v = parse_version("17.3.2a");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->parts, (std::vector<std::string>{"17", "3", "2", "a"}));
  v = parse_version("10.0 build 1234");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->parts, (std::vector<std::string>{"10", "0", "build", "1234"}));
  v = parse_version("ｖ７．２．４");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->parts, (std::vector<std::string>{"7", "2", "4"}));
  v = parse_version("9.3(9)");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->parts, (std::vector<std::string>{"9", "3", "9"}));
  EXPECT_FALSE(parse_version(""));
  EXPECT_FALSE(parse_version("latest"));
  EXPECT_FALSE(parse_version("不明"));
}

TEST(NormalizeVersion, ComparesNumericallyWithMissingPartsAsZero) {
  EXPECT_EQ(compare("7.2", "7.2.0"), 0);
  EXPECT_EQ(compare("7.2.0.0", "7.2"), 0);
  EXPECT_LT(compare("7.2.4", "7.2.10"), 0);  // numerically, not as text
  EXPECT_GT(compare("7.10", "7.9.99"), 0);
  EXPECT_EQ(compare("07.002", "7.2"), 0);
  EXPECT_EQ(compare("V7.2.4", "7.2.4"), 0);
  EXPECT_EQ(compare("７．２．４", "7.2.4"), 0);
  EXPECT_LT(compare("7.2.4", "7.4.0"), 0);
  // A letter after a number is a later rebuild: 17.3.2 < 17.3.2a < 17.3.2b < 17.3.3.
  EXPECT_LT(compare("17.3.2", "17.3.2a"), 0);
  EXPECT_LT(compare("17.3.2a", "17.3.2b"), 0);
  EXPECT_LT(compare("17.3.2b", "17.3.3"), 0);
  EXPECT_GT(compare("10.0 build 1234", "10.0"), 0);
  EXPECT_LT(compare("10.0 build 1234", "10.0 build 1300"), 0);
  // Numbers longer than any integer type still compare.
  EXPECT_LT(compare("1.99999999999999999999999", "1.100000000000000000000000"), 0);
}

}  // namespace
}  // namespace mamori::registry
