#include "mamori/ledger/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <nlohmann/json.hpp>

namespace mamori::ledger {

namespace {

using nlohmann::json;

constexpr std::string_view kSecretKind = "mamori-secret-key";
constexpr std::string_view kPublicKind = "mamori-public-key";
constexpr std::string_view kAlgorithm = "ed25519";
// A key file is a few hundred bytes; anything much larger is not one, and is not read whole.
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

// libsodium must be initialised once before use; a function-local static makes that
// thread-safe without a global constructor. Failure means no usable randomness source, which
// no caller could recover from, so it ends the process.
void ensure_sodium() {
  static const bool initialised = [] {
    if (sodium_init() < 0) {
      std::fputs("mamori: libsodium failed to initialise\n", stderr);
      std::abort();
    }
    return true;
  }();
  (void)initialised;
}

template <std::size_t N>
std::string to_hex(const std::array<std::uint8_t, N>& bytes) {
  std::string out(2 * N + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes.data(), N);
  out.pop_back();
  return out;
}

// Exactly 2·N hex digits, nothing else. Never echoes the input: it may be secret.
template <std::size_t N>
bool from_hex(std::string_view hex, std::array<std::uint8_t, N>& out) {
  if (hex.size() != 2 * N) return false;
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), N, hex.data(), hex.size(), nullptr, &length, &end) != 0) {
    return false;
  }
  return length == N && end == hex.data() + hex.size();
}

// Wipes a string that held secret material before its memory is released.
void wipe(std::string& text) {
  if (!text.empty()) sodium_memzero(text.data(), text.size());
  text.clear();
}

struct Fd {
  int fd = -1;
  explicit Fd(int value) : fd(value) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("key file {}: write failed: {}", path, std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) return fail("key file {}: fsync failed: {}", path, std::strerror(errno));
  return {};
}

// Creates `path` exclusively with exactly `mode` (umask may only have narrowed it) and writes
// `content`. Refuses to replace an existing file: an overwritten key is a lost key.
Result<void> create_exclusive(const std::string& path, std::string_view content, mode_t mode) {
  Fd file(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode));
  if (file.fd < 0) {
    if (errno == EEXIST) return fail("key file {} already exists; refusing to overwrite it", path);
    return fail("key file {}: cannot create: {}", path, std::strerror(errno));
  }
  if (::fchmod(file.fd, mode) != 0) {
    return fail("key file {}: cannot set mode {:o}: {}", path, mode, std::strerror(errno));
  }
  return write_all(file.fd, content, path);
}

// Reads a key file. For a secret key, refuses one that group or others can access before
// reading a byte of it.
Result<std::string> read_key_file(const std::string& path, bool secret) {
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.fd < 0) return fail("key file {}: cannot open: {}", path, std::strerror(errno));
  struct stat info = {};
  if (::fstat(file.fd, &info) != 0) {
    return fail("key file {}: cannot stat: {}", path, std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) return fail("key file {} is not a regular file", path);
  const unsigned mode = info.st_mode & 07777;
  if (secret && (mode & 077) != 0) {
    return fail("key file {} is readable by group/others (mode {:04o}); chmod 600 it", path, mode);
  }
  if (static_cast<std::uint64_t>(info.st_size) > kMaxKeyFileBytes) {
    return fail("key file {} is {} bytes; a key file is at most {} bytes", path, info.st_size,
                kMaxKeyFileBytes);
  }
  std::string content(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::read(file.fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      wipe(content);
      return fail("key file {}: read failed: {}", path, std::strerror(errno));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  content.resize(done);
  return content;
}

// Parses the JSON object of a key file. The parser's own message is not passed on: it quotes
// the bytes around the error, which for a secret key file would be secret.
Result<json> parse_object(std::string_view text, std::string_view where) {
  json parsed;
  try {
    parsed = json::parse(text);
  } catch (const json::parse_error& error) {
    return fail("{}: not valid JSON (error near byte {})", where, error.byte);
  } catch (const json::exception&) {
    // out_of_range 406: a number too large for a double, e.g. 1e999.
    return fail("{}: not valid JSON (a number is out of range)", where);
  }
  if (!parsed.is_object()) return fail("{}: expected a JSON object", where);
  return parsed;
}

Result<std::string_view> string_field(const json& object, const char* field,
                                      std::string_view where) {
  const auto it = object.find(field);
  if (it == object.end()) return fail("{}: missing field '{}'", where, field);
  if (!it->is_string()) return fail("{}: field '{}' must be a string", where, field);
  return std::string_view(it->get_ref<const std::string&>());
}

Result<void> expect_value(const json& object, const char* field, std::string_view expected,
                          std::string_view where) {
  auto value = string_field(object, field, where);
  if (!value) return fail(value.error());
  if (*value != expected) {
    return fail("{}: field '{}' is \"{}\", expected \"{}\"", where, field, *value, expected);
  }
  return {};
}

// The fields a public and a secret key file share: algorithm, role, public, key_id, created_at.
Result<PublicKey> parse_public_fields(const json& object, KeyRole expected,
                                      std::string_view where) {
  if (auto ok = expect_value(object, "algorithm", kAlgorithm, where); !ok) return fail(ok.error());
  auto role_text = string_field(object, "role", where);
  if (!role_text) return fail(role_text.error());
  auto role = parse_key_role(*role_text);
  if (!role) return fail("{}: field 'role': {}", where, role.error().message);
  if (*role != expected) {
    return fail("{}: field 'role' is \"{}\", expected \"{}\"", where, to_string(*role),
                to_string(expected));
  }
  PublicKey key;
  key.role = *role;
  auto public_hex = string_field(object, "public", where);
  if (!public_hex) return fail(public_hex.error());
  if (!from_hex(*public_hex, key.bytes)) {
    return fail("{}: field 'public' must be 64 hex digits (got {} characters)", where,
                public_hex->size());
  }
  auto key_id = string_field(object, "key_id", where);
  if (!key_id) return fail(key_id.error());
  if (*key_id != key.key_id()) {
    return fail("{}: field 'key_id' is \"{}\" but the public key's id is \"{}\"", where, *key_id,
                key.key_id());
  }
  auto created_at = string_field(object, "created_at", where);
  if (!created_at) return fail(created_at.error());
  if (auto at = parse_rfc3339(*created_at); !at) {
    return fail("{}: field 'created_at': {}", where, at.error().message);
  }
  return key;
}

}  // namespace

std::string_view to_string(KeyRole role) {
  switch (role) {
    case KeyRole::overseer:
      return "overseer";
    case KeyRole::sensor:
      return "sensor";
  }
  return "unknown";
}

Result<KeyRole> parse_key_role(std::string_view text) {
  if (text == "overseer") return KeyRole::overseer;
  if (text == "sensor") return KeyRole::sensor;
  return fail("unknown key role \"{}\" (expected \"overseer\" or \"sensor\")", text);
}

std::string PublicKey::key_id() const {
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest;
  crypto_hash_sha256(digest.data(), bytes.data(), bytes.size());
  return to_hex(digest).substr(0, 16);
}

// ---------------------------------------------------------------------------------------------
// SigningKey

SigningKey SigningKey::generate(KeyRole role) {
  ensure_sodium();
  SigningKey key;
  key.public_key_.role = role;
  crypto_sign_keypair(key.public_key_.bytes.data(), key.secret_.data());
  return key;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : public_key_(other.public_key_), secret_(other.secret_) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    public_key_ = other.public_key_;
    secret_ = other.secret_;
    sodium_memzero(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

SigningKey::~SigningKey() { sodium_memzero(secret_.data(), secret_.size()); }

Signature SigningKey::sign(std::span<const std::uint8_t> message) const {
  ensure_sodium();
  Signature signature;
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_.data());
  return signature;
}

Signature SigningKey::sign(std::string_view message) const {
  return sign(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(message.data()),
                                            message.size()));
}

bool verify_signature(const PublicKey& key, std::span<const std::uint8_t> message,
                      const Signature& signature) {
  ensure_sodium();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     key.bytes.data()) == 0;
}

bool verify_signature(const PublicKey& key, std::string_view message, const Signature& signature) {
  return verify_signature(
      key,
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(message.data()),
                                    message.size()),
      signature);
}

std::string signature_to_hex(const Signature& signature) { return to_hex(signature); }

Result<Signature> signature_from_hex(std::string_view hex) {
  Signature signature;
  if (!from_hex(hex, signature)) {
    return fail("signature: expected 128 hex digits, got {} characters{}", hex.size(),
                hex.size() == 128 ? " that are not all hex digits" : "");
  }
  return signature;
}

// ---------------------------------------------------------------------------------------------
// Files

Result<void> save_key_pair(const std::string& path_prefix, const SigningKey& key,
                           Timestamp created_at) {
  const std::string key_path = path_prefix + ".key";
  const std::string pub_path = path_prefix + ".pub";
  // Check the public file first so that a clash there does not leave a new secret key behind.
  struct stat existing = {};
  if (::lstat(pub_path.c_str(), &existing) == 0) {
    return fail("key file {} already exists; refusing to overwrite it", pub_path);
  }

  const PublicKey& pub = key.public_key();
  json public_json = {
      {"kind", kPublicKind},         {"algorithm", kAlgorithm},
      {"role", to_string(pub.role)}, {"key_id", pub.key_id()},
      {"public", to_hex(pub.bytes)}, {"created_at", format_rfc3339_micros(created_at)},
  };
  // The secret file is the public object plus two fields, written by hand so that the secret
  // hex lives in exactly one buffer, which is wiped after writing.
  json secret_fields = public_json;
  secret_fields["kind"] = kSecretKind;
  std::string secret_text = secret_fields.dump();  // {"algorithm":…,"role":…}
  secret_text.pop_back();                          // drop the closing brace
  secret_text += ",\"secret\":\"";
  const std::size_t hex_at = secret_text.size();
  secret_text.resize(hex_at + 2 * key.secret_.size() + 1);
  sodium_bin2hex(secret_text.data() + hex_at, 2 * key.secret_.size() + 1, key.secret_.data(),
                 key.secret_.size());
  secret_text.pop_back();  // sodium's terminating NUL
  secret_text += "\"}\n";
  auto written = create_exclusive(key_path, secret_text, 0600);
  wipe(secret_text);
  if (!written) return fail(written.error());

  if (auto ok = create_exclusive(pub_path, public_json.dump() + "\n", 0644); !ok) {
    // The secret key was created a moment ago and never used; without its public half it is
    // useless, and leaving it would block the retry.
    ::unlink(key_path.c_str());
    return fail(ok.error());
  }
  return {};
}

Result<SigningKey> load_signing_key(const std::string& path, KeyRole expected) {
  ensure_sodium();
  auto content = read_key_file(path, /*secret=*/true);
  if (!content) return fail(content.error());
  const std::string where = "key file " + path;
  auto object = parse_object(*content, where);
  wipe(*content);
  if (!object) return fail(object.error());

  // Whatever happens below, the secret hex inside the parsed object is wiped before return.
  struct WipeSecret {
    json& object;
    ~WipeSecret() {
      auto it = object.find("secret");
      if (it != object.end() && it->is_string()) wipe(it->get_ref<std::string&>());
    }
  } wipe_secret{*object};

  if (auto ok = expect_value(*object, "kind", kSecretKind, where); !ok) return fail(ok.error());
  auto pub = parse_public_fields(*object, expected, where);
  if (!pub) return fail(pub.error());
  auto secret_hex = string_field(*object, "secret", where);
  if (!secret_hex) return fail(secret_hex.error());
  SigningKey key;
  if (!from_hex(*secret_hex, key.secret_)) {
    return fail("{}: field 'secret' must be 128 hex digits (got {} characters)", where,
                secret_hex->size());
  }
  // libsodium's secret key is seed ‖ public key, and signing trusts the stored public half.
  // Re-deriving the key pair from the seed catches a file whose halves, or whose 'public'
  // field, were edited.
  std::array<std::uint8_t, crypto_sign_SEEDBYTES> seed;
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> rederived_secret;
  std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> derived;
  crypto_sign_ed25519_sk_to_seed(seed.data(), key.secret_.data());
  crypto_sign_seed_keypair(derived.data(), rederived_secret.data(), seed.data());
  const bool matches = derived == pub->bytes && rederived_secret == key.secret_;
  sodium_memzero(seed.data(), seed.size());
  sodium_memzero(rederived_secret.data(), rederived_secret.size());
  if (!matches) {
    return fail("{}: field 'secret' does not belong to field 'public' (key {})", where,
                pub->key_id());
  }
  key.public_key_ = *pub;
  return key;
}

Result<PublicKey> parse_public_key_json(std::string_view text, KeyRole expected) {
  const std::string_view where = "public key";
  auto object = parse_object(text, where);
  if (!object) return fail(object.error());
  if (auto ok = expect_value(*object, "kind", kPublicKind, where); !ok) return fail(ok.error());
  return parse_public_fields(*object, expected, where);
}

Result<PublicKey> load_public_key(const std::string& path, KeyRole expected) {
  auto content = read_key_file(path, /*secret=*/false);
  if (!content) return fail(content.error());
  auto key = parse_public_key_json(*content, expected);
  if (!key) return fail("key file {}: {}", path, key.error().message);
  return key;
}

}  // namespace mamori::ledger
