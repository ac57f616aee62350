// Tests for registry/attack against the vendored ATT&CK Enterprise v18.1 table
// (data/attack-enterprise-techniques.csv; counts from data/README.md). The suggestion lists
// asserted here were checked by hand against the table.

#include "mamori/registry/attack.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mamori::registry {
namespace {

const AttackCatalog& vendored() {
  static const AttackCatalog catalog = [] {
    auto loaded = AttackCatalog::load(std::string(MAMORI_SOURCE_DIR) +
                                      "/data/attack-enterprise-techniques.csv");
    if (!loaded) {
      ADD_FAILURE() << loaded.error().message;
      return AttackCatalog{};
    }
    return std::move(*loaded);
  }();
  return catalog;
}

std::vector<std::string> ids(const std::vector<const Technique*>& techniques) {
  std::vector<std::string> out;
  for (const Technique* t : techniques) out.push_back(t->id);
  return out;
}

TEST(AttackCatalog, LoadsTheVendoredTable) {
  const auto& techniques = vendored().techniques();
  ASSERT_EQ(techniques.size(), 703u);
  std::size_t deprecated = 0;
  std::size_t sub = 0;
  for (const Technique& t : techniques) {
    deprecated += t.deprecated ? 1 : 0;
    sub += t.subtechnique ? 1 : 0;
  }
  EXPECT_EQ(deprecated, 12u);
  EXPECT_EQ(sub, 476u);

  const Technique* t1190 = vendored().find("T1190");
  ASSERT_NE(t1190, nullptr);
  EXPECT_EQ(t1190->name, "Exploit Public-Facing Application");
  EXPECT_EQ(t1190->tactics, std::vector<std::string>{"initial-access"});
  EXPECT_FALSE(t1190->subtechnique);

  const Technique* powershell = vendored().find("T1059.001");
  ASSERT_NE(powershell, nullptr);
  EXPECT_EQ(powershell->name, "PowerShell");
  EXPECT_TRUE(powershell->subtechnique);

  const Technique* bits = vendored().find("T1197");
  ASSERT_NE(bits, nullptr);
  EXPECT_EQ(bits->tactics, (std::vector<std::string>{"persistence", "defense-evasion"}));
}

TEST(AttackCatalog, ValidIdsAreAccepted) {
  auto t = vendored().validate("T1190");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ((*t)->id, "T1190");
  auto sub = vendored().validate(" t1059.001 ");
  ASSERT_TRUE(sub) << sub.error().message;
  EXPECT_EQ((*sub)->id, "T1059.001");
}

TEST(AttackCatalog, TransposedDigitsSuggestTheIntendedIdFirst) {
  // T1109 is not an id; T1190 is one transposition away, the rest one substitution away.
  EXPECT_EQ(ids(vendored().suggest("T1109")),
            (std::vector<std::string>{"T1190", "T1102", "T1104", "T1105", "T1106"}));
  auto rejected = vendored().validate("T1109");
  ASSERT_FALSE(rejected);
  EXPECT_NE(rejected.error().message.find("unknown ATT&CK technique T1109"), std::string::npos);
  EXPECT_NE(rejected.error().message.find("T1190 (Exploit Public-Facing Application)"),
            std::string::npos);
}

TEST(AttackCatalog, DeprecatedIdsAreRejectedWithActiveSuggestions) {
  auto rejected = vendored().validate("T1108");  // Redundant Access, deprecated
  ASSERT_FALSE(rejected);
  EXPECT_NE(rejected.error().message.find("T1108 (Redundant Access) is deprecated"),
            std::string::npos);
  for (const Technique* t : vendored().suggest("T1108")) EXPECT_FALSE(t->deprecated) << t->id;

  // A deprecated sub-technique points back to its parent first.
  EXPECT_FALSE(vendored().validate("T1053.004"));
  const auto launchd = ids(vendored().suggest("T1053.004"));
  ASSERT_FALSE(launchd.empty());
  EXPECT_EQ(launchd.front(), "T1053");
}

TEST(AttackCatalog, UnknownOrMalformedSubTechniquesSuggestTheParent) {
  EXPECT_EQ(ids(vendored().suggest("T1190.001")).front(), "T1190");
  EXPECT_EQ(ids(vendored().suggest("T1059.014")).front(), "T1059");
  auto malformed = vendored().validate("T1059.01");
  ASSERT_FALSE(malformed);
  EXPECT_NE(malformed.error().message.find("malformed ATT&CK technique id"), std::string::npos);
  const auto suggestions = ids(vendored().suggest("T1059.01"));
  EXPECT_EQ(suggestions.at(0), "T1059");
  EXPECT_EQ(suggestions.at(1), "T1059.001");
}

TEST(AttackCatalog, NamesAreRejectedButSuggestTheirId) {
  auto rejected = vendored().validate("Exploit Public-Facing Application");
  ASSERT_FALSE(rejected);
  EXPECT_NE(rejected.error().message.find("not an ATT&CK technique id"), std::string::npos);
  EXPECT_EQ(ids(vendored().suggest("Exploit Public-Facing Application")),
            std::vector<std::string>{"T1190"});
  // Case, hyphens and a few typos are folded.
  EXPECT_EQ(ids(vendored().suggest("exploit publc facing aplication")),
            std::vector<std::string>{"T1190"});
  EXPECT_EQ(ids(vendored().suggest("powershell")),
            (std::vector<std::string>{"T1059.001", "T1546.013"}));
  EXPECT_EQ(ids(vendored().suggest("Phishing")).front(), "T1566");
  EXPECT_TRUE(vendored().suggest("").empty());
  EXPECT_FALSE(vendored().validate(""));
}

TEST(AttackCatalog, MalformedRowsAreReportedWithFileAndLine) {
  const std::string text =
      "id,name,tactics,is_subtechnique,deprecated\n"
      "T1001,Data Obfuscation,command-and-control,false,false\n"
      "T1002,Too,Many,Columns,false,false\n"
      "X1003,Bad Id,execution,false,false\n"
      "T1004,Bad Bool,execution,maybe,false\n"
      "T1005,\"Unterminated,execution,false,false\n"
      "T1006.001,Sub Flag Wrong,execution,false,false\n"
      "T1001,Duplicate,execution,false,false\n";
  auto loaded = AttackCatalog::parse(text, "t.csv");
  ASSERT_FALSE(loaded);
  const std::string& message = loaded.error().message;
  EXPECT_EQ(message.find("t.csv: 6 problem(s)"), 0u) << message;
  EXPECT_NE(message.find("t.csv:3: expected 5 columns, found 6"), std::string::npos) << message;
  EXPECT_NE(message.find("t.csv:4: column id"), std::string::npos) << message;
  EXPECT_NE(message.find("t.csv:5: column is_subtechnique"), std::string::npos) << message;
  EXPECT_NE(message.find("t.csv:6: unterminated quoted field"), std::string::npos) << message;
  EXPECT_NE(message.find("t.csv:7: column is_subtechnique: disagrees"), std::string::npos)
      << message;
  EXPECT_NE(message.find("technique T1001 listed twice"), std::string::npos) << message;
}

TEST(AttackCatalog, HeaderEmptyAndMissingFilesAreErrors) {
  EXPECT_FALSE(AttackCatalog::parse("", "e.csv"));
  auto bad_header = AttackCatalog::parse("id,name\nT1001,A,b,false,false\n", "h.csv");
  ASSERT_FALSE(bad_header);
  EXPECT_NE(bad_header.error().message.find("h.csv:1: header"), std::string::npos);
  auto missing = AttackCatalog::load("/nonexistent/techniques.csv");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nonexistent/techniques.csv"), std::string::npos);
}

TEST(AttackCatalog, QuotedFieldsAndCrLfAreRead) {
  auto loaded = AttackCatalog::parse(
      "\xEF\xBB\xBFid,name,tactics,is_subtechnique,deprecated\r\n"
      "T1001,\"Obfuscation, \"\"quoted\"\"\",command-and-control;exfiltration,false,false\r\n",
      "q.csv");
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_EQ(loaded->techniques().size(), 1u);
  EXPECT_EQ(loaded->techniques()[0].name, "Obfuscation, \"quoted\"");
  EXPECT_EQ(loaded->techniques()[0].tactics,
            (std::vector<std::string>{"command-and-control", "exfiltration"}));
}

TEST(AttackCatalog, TruncatedAndCorruptedCopiesFailWithoutCrashing) {
  std::string text;
  {
    std::ifstream in(std::string(MAMORI_SOURCE_DIR) + "/data/attack-enterprise-techniques.csv");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  ASSERT_GT(text.size(), 40000u);
  std::size_t failures = 0;
  for (std::size_t cut = 0; cut < text.size(); cut += 97) {
    // A cut inside a row leaves a short last row: an error naming its line, never a crash.
    auto parsed = AttackCatalog::parse(std::string_view(text).substr(0, cut), "cut.csv");
    if (!parsed) {
      ++failures;
      EXPECT_EQ(parsed.error().message.find("cut.csv"), 0u) << parsed.error().message;
    }
    std::string corrupted = text;
    corrupted[cut] = corrupted[cut] == ',' ? ';' : ',';
    // One comma more or less changes a row's column count (the file needs no quoting).
    auto damaged = AttackCatalog::parse(corrupted, "corrupt.csv");
    ASSERT_FALSE(damaged) << "cut " << cut;
    EXPECT_NE(damaged.error().message.find("\ncorrupt.csv:"), std::string::npos)
        << damaged.error().message;
  }
  EXPECT_GT(failures, 0u);
}

}  // namespace
}  // namespace mamori::registry
