#include "mamori/privacy/key_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

namespace mamori::privacy {
namespace {

using nlohmann::json;

// A key file with thousands of epochs is still tiny; anything larger is not a key file.
constexpr std::size_t kMaxFileBytes = 1 << 20;
constexpr std::string_view kHexDigits = "0123456789abcdef";

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Overwrites a string holding key hex before its memory is released.
void wipe(std::string& text) {
  if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  text.clear();
}

std::string errno_text() { return std::strerror(errno); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Line and column (1-based) of byte offset `offset` (0-based) in `text`.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t last_newline = before.rfind('\n');
  const std::size_t column =
      last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
  return {line, column};
}

// Reads one epoch object; `where` is "epochs[i]". Values are never echoed: any of them could be
// a misplaced key.
Result<PseudonymKey> parse_epoch(json& item, std::string_view name, const std::string& where) {
  if (!item.is_object()) return fail("{}: field '{}': must be an object", name, where);
  for (const auto& [field, value] : item.items()) {
    if (field != "epoch" && field != "created_at" && field != "key") {
      return fail("{}: field '{}': unknown field (allowed: epoch, created_at, key)", name, where);
    }
  }
  PseudonymKey key;
  const auto epoch = item.find("epoch");
  if (epoch == item.end()) return fail("{}: field '{}.epoch': missing", name, where);
  if (!epoch->is_number_unsigned() || epoch->get<std::uint64_t>() == 0 ||
      epoch->get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
    return fail("{}: field '{}.epoch': must be an integer from 1 to 4294967295", name, where);
  }
  key.epoch = static_cast<std::uint32_t>(epoch->get<std::uint64_t>());

  const auto created = item.find("created_at");
  if (created == item.end()) return fail("{}: field '{}.created_at': missing", name, where);
  if (!created->is_string()) {
    return fail("{}: field '{}.created_at': must be an RFC 3339 string", name, where);
  }
  auto created_at = parse_rfc3339(created->get_ref<const std::string&>());
  if (!created_at) return fail("{}: field '{}.created_at': not an RFC 3339 time", name, where);
  key.created_at = *created_at;

  const auto hex = item.find("key");
  if (hex == item.end()) return fail("{}: field '{}.key': missing", name, where);
  if (!hex->is_string())
    return fail("{}: field '{}.key': must be a string of 64 hex digits", name, where);
  std::string& text = hex->get_ref<std::string&>();
  bool valid = text.size() == 2 * kCryptoPanKeyBytes;
  for (std::size_t i = 0; valid && i < kCryptoPanKeyBytes; ++i) {
    const int high = hex_value(text[2 * i]);
    const int low = hex_value(text[2 * i + 1]);
    valid = high >= 0 && low >= 0;
    if (valid) key.key[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  wipe(text);
  if (!valid) return fail("{}: field '{}.key': must be exactly 64 hex digits", name, where);
  return key;
}

// Parsing and validation on an already-parsed document. Takes it by reference so every key
// string can be wiped in place.
Result<PseudonymKeys> parse_document(json& document, std::string_view name) {
  if (!document.is_object()) return fail("{}: the key file must be one JSON object", name);
  for (const auto& [field, value] : document.items()) {
    if (field != "kind" && field != "version" && field != "epochs" && field != "current") {
      return fail("{}: unknown top-level field (allowed: kind, version, current, epochs)", name);
    }
  }
  const auto kind = document.find("kind");
  if (kind == document.end()) return fail("{}: field 'kind': missing", name);
  if (!kind->is_string() || kind->get_ref<const std::string&>() != kPseudonymKeysKind) {
    return fail("{}: field 'kind': must be \"{}\"", name, kPseudonymKeysKind);
  }
  const auto version = document.find("version");
  if (version == document.end()) return fail("{}: field 'version': missing", name);
  if (!version->is_number_unsigned() || version->get<std::uint64_t>() != kPseudonymKeysVersion) {
    return fail("{}: field 'version': must be {} (the only version this build reads)", name,
                kPseudonymKeysVersion);
  }

  PseudonymKeys keys;
  const auto epochs = document.find("epochs");
  if (epochs == document.end()) return fail("{}: field 'epochs': missing", name);
  if (!epochs->is_array() || epochs->empty()) {
    return fail("{}: field 'epochs': must be a non-empty array", name);
  }
  keys.epochs.reserve(epochs->size());
  for (std::size_t i = 0; i < epochs->size(); ++i) {
    const std::string where = fmt::format("epochs[{}]", i);
    auto key = parse_epoch((*epochs)[i], name, where);
    if (!key) return fail(key.error());
    if (!keys.epochs.empty() && key->epoch <= keys.epochs.back().epoch) {
      return fail("{}: field '{}.epoch': epochs must be in ascending order without repeats", name,
                  where);
    }
    keys.epochs.push_back(*key);
  }

  const auto current = document.find("current");
  if (current == document.end()) return fail("{}: field 'current': missing", name);
  if (!current->is_number_unsigned() ||
      current->get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max() ||
      !keys.find(static_cast<std::uint32_t>(current->get<std::uint64_t>()))) {
    return fail("{}: field 'current': must be one of the epochs listed in 'epochs'", name);
  }
  keys.current = static_cast<std::uint32_t>(current->get<std::uint64_t>());
  return keys;
}

// Every string where a key could sit (up to epochs[i].key, a few levels down) is overwritten
// before it is freed. The depth limit keeps deeply nested hostile input from recursing far.
void wipe_document(json& document, int depth = 0) {
  if (document.is_string()) {
    wipe(document.get_ref<std::string&>());
  } else if (document.is_structured() && depth < 4) {
    for (auto& child : document) wipe_document(child, depth + 1);
  }
}

// Reads the whole file behind `fd` after checking that only its owner can access it.
Result<std::string> read_private_file(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return fail("{}: cannot stat: {}", path, errno_text());
  if (!S_ISREG(info.st_mode)) return fail("{}: not a regular file", path);
  if ((info.st_mode & 077) != 0) {
    return fail("{}: key file is accessible to group or others (mode {:04o}); run chmod 600 {}",
                path, info.st_mode & 07777, path);
  }
  if (static_cast<std::uint64_t>(info.st_size) > kMaxFileBytes) {
    return fail("{}: {} bytes is too large for a key file (limit {})", path, info.st_size,
                kMaxFileBytes);
  }
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::pread(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      wipe(text);
      return fail("{}: cannot read: {}", path, errno_text());
    }
    if (n == 0) break;  // shrank while reading; parse what is there
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

Result<PseudonymKeys> parse_file_text(std::string& text, const std::string& path) {
  auto keys = parse_pseudonym_keys(text, path);
  wipe(text);
  return keys;
}

Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("{}: cannot write: {}", path, errno_text());
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) return fail("{}: cannot fsync: {}", path, errno_text());
  return {};
}

Result<PseudonymKey> fresh_key(std::uint32_t epoch, Timestamp now) {
  PseudonymKey key;
  key.epoch = epoch;
  key.created_at = now;
  if (RAND_bytes(key.key.data(), static_cast<int>(key.key.size())) != 1) {
    return fail("cannot draw a random key (OpenSSL RAND_bytes failed)");
  }
  return key;
}

// Writes `keys` to an open, empty, owner-only descriptor.
Result<void> write_keys(int fd, const PseudonymKeys& keys, const std::string& path) {
  if (::fchmod(fd, 0600) != 0) return fail("{}: cannot chmod 600: {}", path, errno_text());
  std::string text = serialize_pseudonym_keys(keys);
  auto written = write_all(fd, text, path);
  wipe(text);
  return written;
}

void sync_directory_of(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  const Fd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  // Best effort: the rename itself is already atomic; this only makes it durable sooner.
  if (dir.get() >= 0) ::fsync(dir.get());
}

// Opens `path` and takes an exclusive lock on the inode that `path` names once the lock is
// held (a concurrent rotation may have renamed a new file over it while this one waited).
Result<void> open_locked(const std::string& path, Fd& fd) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return fail("{}: cannot open: {}", path, errno_text());
    int locked;
    do {
      locked = ::flock(fd.get(), LOCK_EX);
    } while (locked != 0 && errno == EINTR);
    if (locked != 0) return fail("{}: cannot lock: {}", path, errno_text());
    struct stat held {};
    struct stat named {};
    if (::fstat(fd.get(), &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      return {};
    }
  }
  return fail("{}: the file keeps being replaced; cannot lock it", path);
}

}  // namespace

PseudonymKey::~PseudonymKey() { OPENSSL_cleanse(key.data(), key.size()); }

const PseudonymKey* PseudonymKeys::find(std::uint32_t epoch) const {
  const auto it =
      std::lower_bound(epochs.begin(), epochs.end(), epoch,
                       [](const PseudonymKey& key, std::uint32_t e) { return key.epoch < e; });
  return it != epochs.end() && it->epoch == epoch ? &*it : nullptr;
}

Result<PseudonymKeys> parse_pseudonym_keys(std::string_view text, std::string_view name) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    // error.what() quotes the bytes last read, which may be key hex: report the position only.
    const std::size_t byte = error.byte == 0 ? 0 : error.byte - 1;
    const auto [line, column] = line_column(text, byte);
    return fail("{}: line {}, column {}: not valid JSON", name, line, column);
  } catch (const json::exception&) {
    // A number too large for a double (e.g. 1e400) is out_of_range, with no position.
    return fail("{}: not valid JSON (a number is out of range)", name);
  }
  auto keys = parse_document(document, name);
  wipe_document(document);
  return keys;
}

std::string serialize_pseudonym_keys(const PseudonymKeys& keys) {
  nlohmann::ordered_json document = nlohmann::ordered_json::object();
  document["kind"] = kPseudonymKeysKind;
  document["version"] = kPseudonymKeysVersion;
  document["current"] = keys.current;
  document["epochs"] = nlohmann::ordered_json::array();
  for (const PseudonymKey& key : keys.epochs) {
    std::string hex;
    hex.reserve(2 * key.key.size());
    for (const std::uint8_t byte : key.key) {
      hex.push_back(kHexDigits[byte >> 4]);
      hex.push_back(kHexDigits[byte & 0x0f]);
    }
    nlohmann::ordered_json item = nlohmann::ordered_json::object();
    item["epoch"] = key.epoch;
    item["created_at"] = format_rfc3339_seconds(key.created_at);
    item["key"] = std::move(hex);
    document["epochs"].push_back(std::move(item));
  }
  std::string text = document.dump(2) + "\n";
  for (auto& item : document["epochs"]) wipe(item["key"].get_ref<std::string&>());
  return text;
}

Result<PseudonymKeys> load_pseudonym_keys(const std::string& path) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return fail("{}: cannot open key file: {}", path, errno_text());
  auto text = read_private_file(fd.get(), path);
  if (!text) return fail(text.error());
  return parse_file_text(*text, path);
}

Result<void> create_pseudonym_keys(const std::string& path, Timestamp now) {
  auto key = fresh_key(1, now);
  if (!key) return fail("{}: {}", path, key.error().message);
  PseudonymKeys keys;
  keys.epochs.push_back(*key);
  keys.current = 1;
  const Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) return fail("{}: already exists; a key file is never overwritten", path);
    return fail("{}: cannot create key file: {}", path, errno_text());
  }
  auto written = write_keys(fd.get(), keys, path);
  if (!written) ::unlink(path.c_str());
  return written;
}

Result<void> rotate_pseudonym_keys(const std::string& path, Timestamp now) {
  Fd fd(-1);
  if (auto locked = open_locked(path, fd); !locked) return locked;
  auto text = read_private_file(fd.get(), path);
  if (!text) return fail(text.error());
  auto keys = parse_file_text(*text, path);
  if (!keys) return fail(keys.error());
  const std::uint32_t highest = keys->epochs.back().epoch;
  if (highest == std::numeric_limits<std::uint32_t>::max()) {
    return fail("{}: field 'epochs': no epoch number left after {}", path, highest);
  }
  auto key = fresh_key(highest + 1, now);
  if (!key) return fail("{}: {}", path, key.error().message);
  keys->epochs.push_back(*key);
  keys->current = highest + 1;

  std::string temp = path + ".tmp-XXXXXX";
  const Fd out(::mkstemp(temp.data()));  // mode 0600
  if (out.get() < 0) return fail("{}: cannot create temporary file: {}", temp, errno_text());
  if (auto written = write_keys(out.get(), *keys, temp); !written) {
    ::unlink(temp.c_str());
    return written;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = errno_text();
    ::unlink(temp.c_str());
    return fail("{}: cannot replace key file: {}", path, reason);
  }
  sync_directory_of(path);
  return {};
}

}  // namespace mamori::privacy
