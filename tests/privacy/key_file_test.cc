// The pseudonym key file: creation (0600, exclusive), rotation (atomic, keeps old epochs),
// and loading errors that name file and field but never contain key bytes.

#include "mamori/privacy/key_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace mamori::privacy {
namespace {

namespace fs = std::filesystem;

constexpr Timestamp kT0 = Timestamp::from_seconds(1'790'000'000);  // 2026-09-21
// Distinctive key hex for the error tests: no error message may contain it or a part of it.
constexpr std::string_view kKeyHex =
    "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f91";

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mamori-privacy-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    const std::string file = path(name);
    {
      std::ofstream out(file, std::ios::binary);
      out << text;
    }
    ::chmod(file.c_str(), mode);
    return file;
  }

  static mode_t mode_of(const std::string& file) {
    struct stat info {};
    EXPECT_EQ(::stat(file.c_str(), &info), 0);
    return info.st_mode & 07777;
  }

  fs::path dir_;
};

std::string valid_text(std::string_view key = kKeyHex) {
  return std::string(R"({"kind":"mamori-pseudonym-keys","version":1,"current":1,"epochs":[)") +
         R"({"epoch":1,"created_at":"2026-01-01T00:00:00Z","key":")" + std::string(key) + "\"}]}";
}

// The message must name the file and must not leak any 16-hex-digit piece of the key.
void expect_safe_error(const Result<PseudonymKeys>& result, const std::string& name,
                       const std::string& mentions) {
  ASSERT_FALSE(result.has_value());
  const std::string& message = result.error().message;
  EXPECT_NE(message.find(name), std::string::npos) << message;
  EXPECT_NE(message.find(mentions), std::string::npos) << message;
  for (std::size_t i = 0; i + 16 <= kKeyHex.size(); i += 8) {
    EXPECT_EQ(message.find(kKeyHex.substr(i, 16)), std::string::npos) << message;
  }
}

TEST_F(KeyFileTest, CreateWritesOwnerOnlyFileWithOneEpoch) {
  const std::string file = path("keys.json");
  ASSERT_TRUE(create_pseudonym_keys(file, kT0).has_value());
  EXPECT_EQ(mode_of(file), 0600u);
  auto keys = load_pseudonym_keys(file);
  ASSERT_TRUE(keys.has_value()) << keys.error().message;
  ASSERT_EQ(keys->epochs.size(), 1u);
  EXPECT_EQ(keys->current, 1u);
  EXPECT_EQ(keys->epochs[0].epoch, 1u);
  EXPECT_EQ(keys->epochs[0].created_at, kT0);
  EXPECT_NE(keys->epochs[0].key, (std::array<std::uint8_t, 32>{}));
}

TEST_F(KeyFileTest, CreateNeverOverwrites) {
  const std::string file = path("keys.json");
  ASSERT_TRUE(create_pseudonym_keys(file, kT0).has_value());
  const auto before = load_pseudonym_keys(file);
  auto again = create_pseudonym_keys(file, kT0);
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  const auto after = load_pseudonym_keys(file);
  ASSERT_TRUE(before && after);
  EXPECT_EQ(before->epochs[0].key, after->epochs[0].key);
}

TEST_F(KeyFileTest, Invariant_I5_RotationAddsEpochAndKeepsOldKeys) {
  const std::string file = path("keys.json");
  ASSERT_TRUE(create_pseudonym_keys(file, kT0).has_value());
  const auto first = load_pseudonym_keys(file);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(rotate_pseudonym_keys(file, kT0 + Duration::seconds(86400)).has_value());
  ASSERT_TRUE(rotate_pseudonym_keys(file, kT0 + Duration::seconds(2 * 86400)).has_value());
  EXPECT_EQ(mode_of(file), 0600u);
  auto keys = load_pseudonym_keys(file);
  ASSERT_TRUE(keys.has_value()) << keys.error().message;
  ASSERT_EQ(keys->epochs.size(), 3u);
  EXPECT_EQ(keys->current, 3u);
  EXPECT_EQ(keys->epochs[0].key, first->epochs[0].key);
  EXPECT_EQ(keys->epochs[2].epoch, 3u);
  EXPECT_EQ(keys->epochs[2].created_at, kT0 + Duration::seconds(2 * 86400));
  EXPECT_NE(keys->epochs[1].key, keys->epochs[0].key);
  EXPECT_NE(keys->epochs[2].key, keys->epochs[1].key);
  // No temporary file is left behind.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"keys.json"});
}

TEST_F(KeyFileTest, RotationOfMissingOrBadFileFailsAndWritesNothing) {
  auto missing = rotate_pseudonym_keys(path("absent.json"), kT0);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("absent.json"), std::string::npos);
  const std::string open = write("open.json", valid_text(), 0644);
  auto refused = rotate_pseudonym_keys(open, kT0);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("group or others"), std::string::npos);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
}

TEST_F(KeyFileTest, Invariant_I5_RefusesGroupOrOtherReadableFile) {
  for (const mode_t mode : {0640, 0604, 0660, 0644, 0610}) {
    const std::string file = write("keys.json", valid_text(), mode);
    expect_safe_error(load_pseudonym_keys(file), file, "group or others");
  }
  const std::string file = write("keys.json", valid_text(), 0400);
  EXPECT_TRUE(load_pseudonym_keys(file).has_value());
}

TEST_F(KeyFileTest, LoadsValidFileAndDecodesHex) {
  const std::string upper(
      "A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F91");  // case-insensitive
  for (const std::string& hex : {std::string(kKeyHex), upper}) {
    auto keys = load_pseudonym_keys(write("keys.json", valid_text(hex)));
    ASSERT_TRUE(keys.has_value()) << keys.error().message;
    EXPECT_EQ(keys->epochs[0].key[0], 0xa1);
    EXPECT_EQ(keys->epochs[0].key[31], 0x91);
  }
}

TEST_F(KeyFileTest, Invariant_I5_ErrorsNameFieldAndNeverContainKeyHex) {
  const std::string good_epoch =
      R"({"epoch":1,"created_at":"2026-01-01T00:00:00Z","key":")" + std::string(kKeyHex) + "\"}";
  const std::string head = R"({"kind":"mamori-pseudonym-keys","version":1,)";
  struct Case {
    std::string text;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      // Truncated inside the key: a JSON library's own message would quote the key.
      {head + R"("current":1,"epochs":[{"epoch":1,"key":")" + std::string(kKeyHex.substr(0, 40)),
       "line 1, column"},
      {"{\n\"kind\": \"mamori-pseudonym-keys\",\n\"key\": " + std::string(kKeyHex) + "\n}",
       "line 3, column"},
      {"[]", "one JSON object"},
      {head + R"("current":1e400,"epochs":[)" + good_epoch + "]}", "not valid JSON"},
      {R"({"kind":"other","version":1,"current":1,"epochs":[)" + good_epoch + "]}", "'kind'"},
      {R"({"kind":"mamori-pseudonym-keys","current":1,"epochs":[)" + good_epoch + "]}",
       "'version'"},
      {head + R"("version2":1,"current":1,"epochs":[)" + good_epoch + "]}", "unknown"},
      {head + R"("current":1,"epochs":[])", "line 1, column"},
      {head + R"("current":1,"epochs":[]})", "'epochs'"},
      {head + R"("current":1,"epochs":[{"created_at":"2026-01-01T00:00:00Z","key":")" +
           std::string(kKeyHex) + "\"}]}",
       "'epochs[0].epoch': missing"},
      {head + R"("current":1,"epochs":[{"epoch":0,"created_at":"2026-01-01T00:00:00Z","key":")" +
           std::string(kKeyHex) + "\"}]}",
       "'epochs[0].epoch'"},
      {head + R"("current":1,"epochs":[{"epoch":1,"created_at":"yesterday","key":")" +
           std::string(kKeyHex) + "\"}]}",
       "'epochs[0].created_at'"},
      {head + R"("current":1,"epochs":[{"epoch":1,"created_at":"2026-01-01T00:00:00Z"}]})",
       "'epochs[0].key': missing"},
      {head + R"("current":1,"epochs":[{"epoch":1,"created_at":"2026-01-01T00:00:00Z","key":")" +
           std::string(kKeyHex.substr(0, 62)) + "\"}]}",
       "'epochs[0].key'"},
      {head + R"("current":1,"epochs":[{"epoch":1,"created_at":"2026-01-01T00:00:00Z","key":")" +
           std::string(kKeyHex.substr(0, 63)) + "g\"}]}",
       "'epochs[0].key'"},
      {head + R"("current":1,"epochs":[{"epoch":1,"created_at":"2026-01-01T00:00:00Z","key":")" +
           std::string(kKeyHex) + "00\"}]}",
       "'epochs[0].key'"},
      {head + R"("current":1,"epochs":[{"epoch":1,"created_at":"2026-01-01T00:00:00Z","key":")" +
           std::string(kKeyHex) + R"(","note":")" + std::string(kKeyHex) + "\"}]}",
       "'epochs[0]'"},
      {head + R"("current":1,"epochs":[)" + good_epoch + "," + good_epoch + "]}",
       "'epochs[1].epoch'"},
      {head + R"("current":2,"epochs":[)" + good_epoch + "]}", "'current'"},
      {head + R"("epochs":[)" + good_epoch + "]}", "'current': missing"},
      {head + R"("current":")" + std::string(kKeyHex) + R"(","epochs":[)" + good_epoch + "]}",
       "'current'"},
  };
  for (const Case& c : cases) {
    const std::string file = write("keys.json", c.text);
    SCOPED_TRACE(c.text);
    expect_safe_error(load_pseudonym_keys(file), file, c.mentions);
    expect_safe_error(parse_pseudonym_keys(c.text, "input.json"), "input.json", c.mentions);
  }
}

TEST_F(KeyFileTest, MissingFileIsNamed) {
  auto keys = load_pseudonym_keys(path("absent.json"));
  ASSERT_FALSE(keys.has_value());
  EXPECT_NE(keys.error().message.find("absent.json"), std::string::npos);
}

TEST(KeyFileFormat, SerializeParsesBackIdentically) {
  PseudonymKeys keys;
  for (std::uint32_t epoch : {1u, 2u, 7u}) {
    PseudonymKey key;
    key.epoch = epoch;
    key.created_at = kT0 + Duration::seconds(epoch);
    for (std::size_t i = 0; i < key.key.size(); ++i)
      key.key[i] = static_cast<std::uint8_t>(epoch * 31 + i);
    keys.epochs.push_back(key);
  }
  keys.current = 7;
  const std::string text = serialize_pseudonym_keys(keys);
  EXPECT_NE(text.find("\"version\": 1"), std::string::npos);
  auto back = parse_pseudonym_keys(text, "x");
  ASSERT_TRUE(back.has_value()) << back.error().message;
  ASSERT_EQ(back->epochs.size(), 3u);
  EXPECT_EQ(back->current, 7u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back->epochs[i].epoch, keys.epochs[i].epoch);
    EXPECT_EQ(back->epochs[i].created_at, keys.epochs[i].created_at);
    EXPECT_EQ(back->epochs[i].key, keys.epochs[i].key);
  }
  EXPECT_EQ(back->find(2), &back->epochs[1]);
  EXPECT_EQ(back->find(3), nullptr);
}

}  // namespace
}  // namespace mamori::privacy
