#include "mamori/ledger/keys.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mamori::ledger {
namespace {

using nlohmann::json;

class KeyDir {
 public:
  KeyDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mamori-keys-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~KeyDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  KeyDir(const KeyDir&) = delete;
  KeyDir& operator=(const KeyDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ::chmod(path.c_str(), mode);
}

mode_t mode_of(const std::string& path) {
  struct stat info = {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const Timestamp kCreated = Timestamp::from_seconds(1'795'000'000);

TEST(Keys, RolesHaveNames) {
  EXPECT_EQ(to_string(KeyRole::overseer), "overseer");
  EXPECT_EQ(to_string(KeyRole::sensor), "sensor");
  EXPECT_EQ(parse_key_role("overseer").value(), KeyRole::overseer);
  EXPECT_EQ(parse_key_role("sensor").value(), KeyRole::sensor);
  auto bad = parse_key_role("admin");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.error().message, "admin"));
}

TEST(Keys, KeyIdIsSixteenHexOfSha256OfPublicKey) {
  PublicKey key;  // all-zero public key: SHA-256 of 32 zero bytes is 66687aadf862bd77…
  EXPECT_EQ(key.key_id(), "66687aadf862bd77");
  const auto generated = SigningKey::generate(KeyRole::sensor);
  EXPECT_EQ(generated.public_key().key_id().size(), 16u);
  EXPECT_NE(generated.public_key().key_id(), key.key_id());
}

TEST(Keys, SignaturesVerifyOnlyForTheSignedMessageAndKey) {
  const auto key = SigningKey::generate(KeyRole::overseer);
  const auto other = SigningKey::generate(KeyRole::overseer);
  const std::string message = "approve ruleset 1f2e";
  const Signature signature = key.sign(message);
  EXPECT_TRUE(verify_signature(key.public_key(), message, signature));

  std::string flipped = message;
  flipped[3] ^= 0x01;
  EXPECT_FALSE(verify_signature(key.public_key(), flipped, signature));
  EXPECT_FALSE(verify_signature(other.public_key(), message, signature));
  Signature bad = signature;
  bad[10] ^= 0x80;
  EXPECT_FALSE(verify_signature(key.public_key(), message, bad));
  // Ed25519 is deterministic: the same message gives the same signature.
  EXPECT_EQ(key.sign(message), signature);
}

TEST(Keys, SignatureHexRoundTripAndErrors) {
  const auto key = SigningKey::generate(KeyRole::sensor);
  const Signature signature = key.sign("x");
  const std::string hex = signature_to_hex(signature);
  EXPECT_EQ(hex.size(), 128u);
  EXPECT_EQ(signature_from_hex(hex).value(), signature);
  auto short_hex = signature_from_hex(hex.substr(2));
  ASSERT_FALSE(short_hex);
  EXPECT_TRUE(contains(short_hex.error().message, "126"));
  std::string not_hex = hex;
  not_hex[5] = 'z';
  EXPECT_FALSE(signature_from_hex(not_hex));
}

TEST(Keys, MovedKeyStillSigns) {
  auto key = SigningKey::generate(KeyRole::sensor);
  const PublicKey pub = key.public_key();
  SigningKey moved = std::move(key);
  EXPECT_TRUE(verify_signature(pub, "m", moved.sign("m")));
  SigningKey assigned = SigningKey::generate(KeyRole::overseer);
  assigned = std::move(moved);
  EXPECT_EQ(assigned.public_key(), pub);
  EXPECT_TRUE(verify_signature(pub, "m", assigned.sign("m")));
}

TEST(Keys, SaveAndLoadRoundTrip) {
  KeyDir dir;
  const auto key = SigningKey::generate(KeyRole::overseer);
  ASSERT_TRUE(save_key_pair(dir.file("overseer"), key, kCreated));
  EXPECT_EQ(mode_of(dir.file("overseer.key")), 0600u);
  EXPECT_EQ(mode_of(dir.file("overseer.pub")), 0644u);

  auto loaded = load_signing_key(dir.file("overseer.key"), KeyRole::overseer);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->public_key(), key.public_key());
  EXPECT_TRUE(verify_signature(key.public_key(), "m", loaded->sign("m")));

  auto pub = load_public_key(dir.file("overseer.pub"), KeyRole::overseer);
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(*pub, key.public_key());

  // The documented file formats.
  const json pub_json = json::parse(read_file(dir.file("overseer.pub")));
  EXPECT_EQ(pub_json["kind"], "mamori-public-key");
  EXPECT_EQ(pub_json["algorithm"], "ed25519");
  EXPECT_EQ(pub_json["role"], "overseer");
  EXPECT_EQ(pub_json["key_id"], key.public_key().key_id());
  EXPECT_EQ(pub_json["created_at"], format_rfc3339_micros(kCreated));
  EXPECT_FALSE(pub_json.contains("secret"));
  const json key_json = json::parse(read_file(dir.file("overseer.key")));
  EXPECT_EQ(key_json["kind"], "mamori-secret-key");
  EXPECT_EQ(key_json["public"], pub_json["public"]);
  EXPECT_EQ(key_json["secret"].get<std::string>().size(), 128u);
  EXPECT_EQ(parse_public_key_json(read_file(dir.file("overseer.pub")), KeyRole::overseer).value(),
            key.public_key());
}

TEST(Keys, SaveNeverOverwrites) {
  KeyDir dir;
  const auto first = SigningKey::generate(KeyRole::sensor);
  ASSERT_TRUE(save_key_pair(dir.file("s1"), first, kCreated));
  const std::string original = read_file(dir.file("s1.key"));
  const auto second = SigningKey::generate(KeyRole::sensor);
  auto again = save_key_pair(dir.file("s1"), second, kCreated);
  ASSERT_FALSE(again);
  EXPECT_TRUE(contains(again.error().message, "already exists"));
  EXPECT_EQ(read_file(dir.file("s1.key")), original);

  // Only the secret file exists: O_EXCL refuses it.
  write_file(dir.file("s2.key"), "keep me", 0600);
  auto key_clash = save_key_pair(dir.file("s2"), second, kCreated);
  ASSERT_FALSE(key_clash);
  EXPECT_TRUE(contains(key_clash.error().message, dir.file("s2.key")));
  EXPECT_EQ(read_file(dir.file("s2.key")), "keep me");
  EXPECT_FALSE(std::filesystem::exists(dir.file("s2.pub")));

  // Only the public file exists: refused before a secret key is written.
  write_file(dir.file("s3.pub"), "keep me", 0644);
  auto pub_clash = save_key_pair(dir.file("s3"), second, kCreated);
  ASSERT_FALSE(pub_clash);
  EXPECT_TRUE(contains(pub_clash.error().message, dir.file("s3.pub")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("s3.key")));
}

TEST(Keys, SecretKeyReadableByOthersIsRefused) {
  KeyDir dir;
  const auto key = SigningKey::generate(KeyRole::sensor);
  ASSERT_TRUE(save_key_pair(dir.file("k"), key, kCreated));
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    ASSERT_EQ(::chmod(dir.file("k.key").c_str(), mode), 0);
    auto loaded = load_signing_key(dir.file("k.key"), KeyRole::sensor);
    ASSERT_FALSE(loaded) << std::oct << mode;
    EXPECT_TRUE(contains(loaded.error().message, dir.file("k.key")));
    EXPECT_TRUE(contains(loaded.error().message, "group/others"));
    EXPECT_TRUE(contains(loaded.error().message, "chmod 600"));
  }
  ASSERT_EQ(::chmod(dir.file("k.key").c_str(), 0644), 0);
  EXPECT_TRUE(contains(load_signing_key(dir.file("k.key"), KeyRole::sensor).error().message,
                       "(mode 0644)"));
  ASSERT_EQ(::chmod(dir.file("k.key").c_str(), 0400), 0);
  EXPECT_TRUE(load_signing_key(dir.file("k.key"), KeyRole::sensor));
}

TEST(Keys, WrongRoleIsRefused) {
  KeyDir dir;
  const auto key = SigningKey::generate(KeyRole::sensor);
  ASSERT_TRUE(save_key_pair(dir.file("sensor"), key, kCreated));
  auto as_overseer = load_signing_key(dir.file("sensor.key"), KeyRole::overseer);
  ASSERT_FALSE(as_overseer);
  EXPECT_TRUE(contains(as_overseer.error().message, "field 'role'"));
  EXPECT_TRUE(contains(as_overseer.error().message, "\"overseer\""));
  auto pub = load_public_key(dir.file("sensor.pub"), KeyRole::overseer);
  ASSERT_FALSE(pub);
  EXPECT_TRUE(contains(pub.error().message, dir.file("sensor.pub")));
  EXPECT_TRUE(contains(pub.error().message, "field 'role'"));
}

// Each corruption of a saved secret key file is refused with the file and field named, and
// no error ever contains the secret hex.
TEST(Keys, CorruptSecretKeyFilesNameTheFieldAndNeverTheSecret) {
  KeyDir dir;
  const auto key = SigningKey::generate(KeyRole::overseer);
  ASSERT_TRUE(save_key_pair(dir.file("o"), key, kCreated));
  const json good = json::parse(read_file(dir.file("o.key")));
  const std::string secret = good["secret"];
  const std::string path = dir.file("bad.key");

  struct Case {
    std::string name;
    std::string text;
    std::string expect;
  };
  auto with = [&](const char* field, json value) {
    json copy = good;
    copy[field] = std::move(value);
    return copy.dump();
  };
  auto without = [&](const char* field) {
    json copy = good;
    copy.erase(field);
    return copy.dump();
  };
  std::string other_secret = secret;
  other_secret[0] = other_secret[0] == 'a' ? 'b' : 'a';  // seed half changed: different key
  // A 'public' field (with its matching key_id) swapped for another key's: signing with the
  // stored secret would produce signatures that the advertised public key cannot check.
  const auto other = SigningKey::generate(KeyRole::overseer);
  ASSERT_TRUE(save_key_pair(dir.file("other"), other, kCreated));
  const json other_pub = json::parse(read_file(dir.file("other.pub")));
  json swapped = good;
  swapped["public"] = other_pub["public"];
  swapped["key_id"] = other_pub["key_id"];
  const std::vector<Case> cases = {
      {"public swapped", swapped.dump(), "field 'secret' does not belong"},
      {"not json", "{\"kind\": " + secret, "not valid JSON"},
      {"array", "[1,2]", "expected a JSON object"},
      {"huge number", "{\"n\":1e999}", "not valid JSON"},
      {"kind", with("kind", "mamori-public-key"), "field 'kind'"},
      {"algorithm", with("algorithm", "rsa"), "field 'algorithm'"},
      {"role unknown", with("role", "admin"), "field 'role'"},
      {"role type", with("role", 7), "field 'role' must be a string"},
      {"public short", with("public", "abcd"), "field 'public' must be 64 hex digits"},
      {"key_id", with("key_id", "0000000000000000"), "field 'key_id'"},
      {"created_at", with("created_at", "yesterday"), "field 'created_at'"},
      {"secret short", with("secret", secret.substr(0, 126)),
       "field 'secret' must be 128 hex digits"},
      {"secret not hex", with("secret", std::string(128, 'q')), "field 'secret' must be 128 hex"},
      {"secret other key", with("secret", other_secret), "field 'secret' does not belong"},
      {"secret missing", without("secret"), "missing field 'secret'"},
      {"public missing", without("public"), "missing field 'public'"},
  };
  for (const auto& c : cases) {
    std::filesystem::remove(path);
    write_file(path, c.text, 0600);
    auto loaded = load_signing_key(path, KeyRole::overseer);
    ASSERT_FALSE(loaded) << c.name;
    EXPECT_TRUE(contains(loaded.error().message, path)) << c.name << ": " << loaded.error().message;
    EXPECT_TRUE(contains(loaded.error().message, c.expect))
        << c.name << ": " << loaded.error().message;
    EXPECT_FALSE(contains(loaded.error().message, secret.substr(0, 16))) << c.name;
    EXPECT_FALSE(contains(loaded.error().message, secret.substr(64, 16))) << c.name;
  }
  EXPECT_TRUE(contains(load_signing_key(dir.file("missing.key"), KeyRole::overseer).error().message,
                       dir.file("missing.key")));
}

TEST(Keys, PublicKeyJsonErrorsNameTheField) {
  const auto key = SigningKey::generate(KeyRole::sensor);
  json good = {{"kind", "mamori-public-key"},
               {"algorithm", "ed25519"},
               {"role", "sensor"},
               {"key_id", key.public_key().key_id()},
               {"public", ""},
               {"created_at", "2026-12-02T10:00:00.000000Z"}};
  KeyDir dir;
  ASSERT_TRUE(save_key_pair(dir.file("s"), key, kCreated));
  good["public"] = json::parse(read_file(dir.file("s.pub")))["public"];
  EXPECT_EQ(parse_public_key_json(good.dump(), KeyRole::sensor).value(), key.public_key());

  auto bad_hex = good;
  bad_hex["public"] = std::string(63, 'a');
  auto error = parse_public_key_json(bad_hex.dump(), KeyRole::sensor);
  ASSERT_FALSE(error);
  EXPECT_TRUE(contains(error.error().message, "field 'public'"));
  EXPECT_TRUE(contains(error.error().message, "63"));

  auto secret_kind = good;
  secret_kind["kind"] = "mamori-secret-key";
  EXPECT_TRUE(contains(parse_public_key_json(secret_kind.dump(), KeyRole::sensor).error().message,
                       "field 'kind'"));
  EXPECT_TRUE(contains(parse_public_key_json("not json", KeyRole::sensor).error().message,
                       "not valid JSON"));
  EXPECT_TRUE(
      contains(parse_public_key_json("", KeyRole::sensor).error().message, "not valid JSON"));
}

}  // namespace
}  // namespace mamori::ledger
