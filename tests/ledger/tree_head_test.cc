#include "mamori/ledger/tree_head.h"

#include <string>

#include <gtest/gtest.h>

namespace mamori::ledger {
namespace {

using nlohmann::json;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const Timestamp kAt = Timestamp::from_micros(1'795'000'000'123'456);

TEST(TreeHead, MessageIsTheDocumentedBytes) {
  Hash root;
  for (std::size_t i = 0; i < root.size(); ++i) root[i] = static_cast<std::uint8_t>(i);
  const auto message = tree_head_message(0x0102030405060708ull, root, Timestamp::from_micros(-2));
  std::vector<std::uint8_t> expected = {'m', 'a', 'm',  'o', 'r', 'i', '-', 's', 't', 'h', '-',
                                        'v', '1', 0x00, 1,   2,   3,   4,   5,   6,   7,   8};
  // -2 µs as a two's complement big-endian i64.
  for (int i = 0; i < 7; ++i) expected.push_back(0xff);
  expected.push_back(0xfe);
  expected.insert(expected.end(), root.begin(), root.end());
  EXPECT_EQ(message, expected);
  EXPECT_EQ(message.size(), 14u + 8 + 8 + 32);
}

TEST(TreeHead, SignedHeadVerifies) {
  const auto key = SigningKey::generate(KeyRole::sensor);
  const Hash root = hash_leaf("root");
  const SignedTreeHead head = sign_tree_head(key, 42, root, kAt);
  EXPECT_EQ(head.tree_size, 42u);
  EXPECT_EQ(head.root, root);
  EXPECT_EQ(head.timestamp, kAt);
  EXPECT_EQ(head.key_id, key.public_key().key_id());
  auto ok = verify_tree_head(head, key.public_key());
  EXPECT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE(verify_signature(key.public_key(), tree_head_message(42, root, kAt), head.signature));
}

TEST(TreeHead, SubMicrosecondDigitsAreDroppedBeforeSigning) {
  const auto key = SigningKey::generate(KeyRole::sensor);
  const SignedTreeHead head = sign_tree_head(key, 1, hash_leaf("r"), Timestamp{kAt.nanos + 999});
  EXPECT_EQ(head.timestamp, kAt);
  EXPECT_TRUE(verify_tree_head(head, key.public_key()));
}

TEST(TreeHead, Invariant_I9_AnyFieldChangeBreaksVerification) {
  const auto key = SigningKey::generate(KeyRole::sensor);
  const SignedTreeHead head = sign_tree_head(key, 1000, hash_leaf("root"), kAt);

  SignedTreeHead changed = head;
  changed.tree_size = 999;
  EXPECT_FALSE(verify_tree_head(changed, key.public_key()));
  changed = head;
  changed.root[0] ^= 0x01;
  EXPECT_FALSE(verify_tree_head(changed, key.public_key()));
  changed = head;
  changed.timestamp = Timestamp::from_micros(kAt.micros() + 1);
  EXPECT_FALSE(verify_tree_head(changed, key.public_key()));
  changed = head;
  changed.signature[63] ^= 0x40;
  EXPECT_FALSE(verify_tree_head(changed, key.public_key()));

  changed = head;
  changed.key_id = "0000000000000000";
  auto wrong_id = verify_tree_head(changed, key.public_key());
  ASSERT_FALSE(wrong_id);
  EXPECT_TRUE(contains(wrong_id.error().message, "0000000000000000"));
  EXPECT_TRUE(contains(wrong_id.error().message, key.public_key().key_id()));

  // Another key, even one claiming the same id, does not verify.
  const auto other = SigningKey::generate(KeyRole::sensor);
  changed = head;
  changed.key_id = other.public_key().key_id();
  auto other_key = verify_tree_head(changed, other.public_key());
  ASSERT_FALSE(other_key);
  EXPECT_TRUE(contains(other_key.error().message, "signature does not verify"));
}

TEST(TreeHead, JsonRoundTrip) {
  const auto key = SigningKey::generate(KeyRole::sensor);
  const SignedTreeHead head = sign_tree_head(key, 10'000'000, hash_leaf("root"), kAt);
  const json j = tree_head_to_json(head);
  EXPECT_EQ(j["tree_size"], 10'000'000);
  EXPECT_EQ(j["root"], hash_to_hex(head.root));
  EXPECT_EQ(j["timestamp"], "2026-11-18T11:06:40.123456Z");
  EXPECT_EQ(j["key_id"], head.key_id);
  EXPECT_EQ(j["signature"], signature_to_hex(head.signature));
  EXPECT_EQ(j.size(), 5u);

  auto back = tree_head_from_json(json::parse(j.dump()));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, head);
  EXPECT_TRUE(verify_tree_head(*back, key.public_key()));
}

TEST(TreeHead, FromJsonErrorsNameTheField) {
  const auto key = SigningKey::generate(KeyRole::sensor);
  const json good = tree_head_to_json(sign_tree_head(key, 5, hash_leaf("root"), kAt));
  auto with = [&](const char* field, json value) {
    json copy = good;
    copy[field] = std::move(value);
    return copy;
  };
  auto without = [&](const char* field) {
    json copy = good;
    copy.erase(field);
    return copy;
  };
  struct Case {
    json input;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {json::array(), "expected a JSON object"},
      {json(), "expected a JSON object"},
      {with("tree_size", -5), "field 'tree_size' must be an unsigned integer"},
      {with("tree_size", "5"), "field 'tree_size' must be an unsigned integer"},
      {with("tree_size", 5.0), "field 'tree_size' must be an unsigned integer"},
      {with("root", "00"), "field 'root'"},
      {with("root", 0), "field 'root' must be a string"},
      {with("timestamp", "noon"), "field 'timestamp'"},
      {with("timestamp", "2026-11-19T08:53:20.123456789Z"),
       "field 'timestamp' has sub-microsecond"},
      {with("timestamp", 17), "field 'timestamp' must be an RFC 3339 string"},
      {with("key_id", ""), "field 'key_id'"},
      {with("key_id", 3), "field 'key_id'"},
      {with("signature", "abcd"), "field 'signature'"},
      {with("signature", std::string(128, 'g')), "field 'signature'"},
      {with("signature", nullptr), "field 'signature' must be a string"},
      {without("tree_size"), "missing field 'tree_size'"},
      {without("root"), "missing field 'root'"},
      {without("timestamp"), "missing field 'timestamp'"},
      {without("key_id"), "missing field 'key_id'"},
      {without("signature"), "missing field 'signature'"},
  };
  for (const auto& c : cases) {
    auto head = tree_head_from_json(c.input);
    ASSERT_FALSE(head) << c.input.dump();
    EXPECT_TRUE(contains(head.error().message, "tree head")) << head.error().message;
    EXPECT_TRUE(contains(head.error().message, c.expect))
        << c.input.dump() << "\n  -> " << head.error().message;
  }
}

}  // namespace
}  // namespace mamori::ledger
