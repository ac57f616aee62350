#include "mamori/ledger/tree_head.h"

#include <string_view>

namespace mamori::ledger {

namespace {

using nlohmann::json;

// The version tag and its terminating NUL are part of every signed message, so a signature over
// a v1 head can never be replayed as anything else.
constexpr std::string_view kMessageTag{"mamori-sth-v1\0", 14};

void put_u64_be(std::vector<std::uint8_t>& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

Result<const json*> field(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end()) return fail("tree head: missing field '{}'", name);
  return &*it;
}

}  // namespace

std::vector<std::uint8_t> tree_head_message(std::uint64_t tree_size, const Hash& root,
                                            Timestamp timestamp) {
  std::vector<std::uint8_t> message;
  message.reserve(kMessageTag.size() + 8 + 8 + root.size());
  message.insert(message.end(), kMessageTag.begin(), kMessageTag.end());
  put_u64_be(message, tree_size);
  // Two's complement big-endian of the signed microsecond count.
  put_u64_be(message, static_cast<std::uint64_t>(timestamp.micros()));
  message.insert(message.end(), root.begin(), root.end());
  return message;
}

SignedTreeHead sign_tree_head(const SigningKey& key, std::uint64_t tree_size, const Hash& root,
                              Timestamp timestamp) {
  SignedTreeHead head;
  head.tree_size = tree_size;
  head.root = root;
  // Only microseconds are signed and written; dropping the rest here keeps the struct equal to
  // what a reader of the JSON form gets back.
  head.timestamp = Timestamp::from_micros(timestamp.micros());
  head.key_id = key.public_key().key_id();
  head.signature = key.sign(tree_head_message(tree_size, root, head.timestamp));
  return head;
}

Result<void> verify_tree_head(const SignedTreeHead& head, const PublicKey& key) {
  if (head.key_id != key.key_id()) {
    return fail("tree head of size {} is signed by key {}, expected key {}", head.tree_size,
                head.key_id, key.key_id());
  }
  if (!verify_signature(key, tree_head_message(head.tree_size, head.root, head.timestamp),
                        head.signature)) {
    return fail("tree head of size {}: signature does not verify with key {}", head.tree_size,
                key.key_id());
  }
  return {};
}

json tree_head_to_json(const SignedTreeHead& head) {
  return json{
      {"tree_size", head.tree_size},
      {"root", hash_to_hex(head.root)},
      {"timestamp", format_rfc3339_micros(head.timestamp)},
      {"key_id", head.key_id},
      {"signature", signature_to_hex(head.signature)},
  };
}

Result<SignedTreeHead> tree_head_from_json(const json& object) {
  if (!object.is_object()) return fail("tree head: expected a JSON object");
  SignedTreeHead head;

  auto tree_size = field(object, "tree_size");
  if (!tree_size) return fail(tree_size.error());
  if (!(*tree_size)->is_number_unsigned()) {
    return fail("tree head: field 'tree_size' must be an unsigned integer");
  }
  head.tree_size = (*tree_size)->get<std::uint64_t>();

  auto root = field(object, "root");
  if (!root) return fail(root.error());
  if (!(*root)->is_string())
    return fail("tree head: field 'root' must be a string of 64 hex digits");
  auto root_hash = hash_from_hex((*root)->get_ref<const std::string&>());
  if (!root_hash) return fail("tree head: field 'root': {}", root_hash.error().message);
  head.root = *root_hash;

  auto timestamp = field(object, "timestamp");
  if (!timestamp) return fail(timestamp.error());
  if (!(*timestamp)->is_string()) {
    return fail("tree head: field 'timestamp' must be an RFC 3339 string");
  }
  auto at = parse_rfc3339((*timestamp)->get_ref<const std::string&>());
  if (!at) return fail("tree head: field 'timestamp': {}", at.error().message);
  if (at->nanos % 1'000 != 0) {
    return fail(
        "tree head: field 'timestamp' has sub-microsecond digits; heads are signed to "
        "the microsecond");
  }
  head.timestamp = *at;

  auto key_id = field(object, "key_id");
  if (!key_id) return fail(key_id.error());
  if (!(*key_id)->is_string() || (*key_id)->get_ref<const std::string&>().empty()) {
    return fail("tree head: field 'key_id' must be a non-empty string");
  }
  head.key_id = (*key_id)->get<std::string>();

  auto signature = field(object, "signature");
  if (!signature) return fail(signature.error());
  if (!(*signature)->is_string()) {
    return fail("tree head: field 'signature' must be a string of 128 hex digits");
  }
  auto signature_bytes = signature_from_hex((*signature)->get_ref<const std::string&>());
  if (!signature_bytes) {
    return fail("tree head: field 'signature': {}", signature_bytes.error().message);
  }
  head.signature = *signature_bytes;
  return head;
}

}  // namespace mamori::ledger
