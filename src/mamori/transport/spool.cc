#include "mamori/transport/spool.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace mamori::transport {
namespace {

constexpr std::string_view kMagic = "MAMSPL01";
constexpr std::string_view kAssociated = "mamori-spool-v1";
constexpr std::string_view kKeyKind = "mamori-spool-key";
constexpr std::uint64_t kSegmentBytes = std::uint64_t{8} << 20;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
// One entry is one NATS message (≤ a few MiB); anything larger is a corrupt length.
constexpr std::uint32_t kMaxEntryBytes = 64U << 20;

std::string errno_text() { return std::strerror(errno); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("{}: cannot write: {}", path, errno_text());
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> read_file(const std::string& path, std::uint64_t limit) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return fail("{}: cannot open: {}", path, errno_text());
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return fail("{}: cannot stat: {}", path, errno_text());
  if (static_cast<std::uint64_t>(info.st_size) > limit) return fail("{}: too large", path);
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("{}: cannot read: {}", path, errno_text());
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

Result<void> sync_dir(const std::string& dir) {
  const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return fail("{}: cannot sync the spool directory: {}", dir, errno_text());
  }
  return {};
}

Result<void> create_key_file(const std::string& path) {
  std::array<unsigned char, 32> key{};
  crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
  std::array<char, 65> hex{};
  sodium_bin2hex(hex.data(), hex.size(), key.data(), key.size());
  sodium_memzero(key.data(), key.size());
  std::string text = fmt::format(R"({{"kind":"{}","version":1,"key":"{}"}})", kKeyKind,
                                 std::string_view(hex.data(), 64));
  text.push_back('\n');
  sodium_memzero(hex.data(), hex.size());
  const Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    sodium_memzero(text.data(), text.size());
    return fail("{}: cannot create the spool key file: {}", path, errno_text());
  }
  auto written = write_all(fd.get(), text, path);
  sodium_memzero(text.data(), text.size());
  if (!written) return written;
  if (::fsync(fd.get()) != 0) return fail("{}: cannot sync: {}", path, errno_text());
  return {};
}

Result<void> load_key_file(const std::string& path, std::array<unsigned char, 32>& key) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) return fail("{}: cannot stat the spool key file: {}", path, errno_text());
    if (auto created = create_key_file(path); !created) {
      // Another process may have created it meanwhile; anything else is an error.
      if (errno != EEXIST) return created;
    }
    if (::stat(path.c_str(), &info) != 0) return fail("{}: cannot stat: {}", path, errno_text());
  }
  if (!S_ISREG(info.st_mode)) return fail("{}: the spool key file is not a regular file", path);
  if ((info.st_mode & 077) != 0) {
    return fail(
        "{}: spool key file is accessible to group or others (mode {:04o}); run chmod 600 {}", path,
        info.st_mode & 07777, path);
  }
  auto text = read_file(path, 4096);
  if (!text) return fail(text.error());
  nlohmann::json document = nlohmann::json::parse(*text, nullptr, false);
  sodium_memzero(text->data(), text->size());
  const auto wipe = [&] {
    if (document.is_object()) {
      for (auto& [name, value] : document.items()) {
        if (value.is_string()) {
          auto& s = value.get_ref<std::string&>();
          sodium_memzero(s.data(), s.size());
        }
      }
    }
  };
  if (!document.is_object() || document.size() != 3 || !document.contains("kind") ||
      !document.contains("version") || !document.contains("key") || document["kind"] != kKeyKind ||
      document["version"] != 1 || !document["key"].is_string()) {
    wipe();
    return fail("{}: not a spool key file (expected kind \"{}\", version 1, key)", path, kKeyKind);
  }
  const auto& hex = document["key"].get_ref<const std::string&>();
  std::size_t length = 0;
  const bool ok = hex.size() == 64 &&
                  sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &length,
                                 nullptr) == 0 &&
                  length == key.size();
  wipe();
  if (!ok) return fail("{}: field 'key': must be exactly 64 hex digits", path);
  return {};
}

std::uint32_t read_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i) & 0xff));
}

}  // namespace

Result<std::unique_ptr<Spool>> Spool::open(const std::string& dir, const std::string& key_file,
                                           std::uint64_t max_bytes) {
  if (sodium_init() < 0) return fail("spool: libsodium failed to initialize");
  std::unique_ptr<Spool> spool(new Spool());
  spool->dir_ = dir;
  spool->max_bytes_ = max_bytes;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("{}: cannot create the spool directory: {}", dir, ec.message());
  ::chmod(dir.c_str(), 0700);
  if (auto ok = load_key_file(key_file, spool->key_); !ok) return fail(ok.error());

  for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = item.path().filename().string();
    if (!name.starts_with("seg-") || !name.ends_with(".spool") || name.size() != 30) continue;
    Segment segment;
    segment.path = item.path().string();
    segment.number = std::stoull(name.substr(4, 20));
    spool->segments_.push_back(std::move(segment));
  }
  if (ec) return fail("{}: cannot list the spool directory: {}", dir, ec.message());
  std::sort(spool->segments_.begin(), spool->segments_.end(),
            [](const Segment& a, const Segment& b) { return a.number < b.number; });
  for (Segment& segment : spool->segments_) {
    auto entries = spool->count_entries(segment);
    if (!entries) return fail(entries.error());
    segment.entries = *entries;
    spool->entries_ += segment.entries;
    spool->bytes_ += segment.bytes;
  }
  // Segments with nothing left to send (only a magic, or a torn entry) are dropped.
  for (auto it = spool->segments_.begin(); it != spool->segments_.end();) {
    if (it->entries == 0) {
      ::unlink(it->path.c_str());
      spool->bytes_ -= it->bytes;
      it = spool->segments_.erase(it);
    } else {
      ++it;
    }
  }
  return spool;
}

Spool::~Spool() {
  close_writer();
  sodium_memzero(key_.data(), key_.size());
}

Result<std::uint64_t> Spool::count_entries(Segment& segment) {
  auto text = read_file(segment.path, std::uint64_t{1} << 34);
  if (!text) return fail(text.error());
  segment.bytes = text->size();
  if (text->size() < kMagic.size() || std::string_view(*text).substr(0, kMagic.size()) != kMagic) {
    return fail("{}: not a spool segment (bad magic)", segment.path);
  }
  std::uint64_t count = 0;
  std::size_t offset = kMagic.size();
  while (offset + 4 <= text->size()) {
    const std::uint32_t n = read_u32(text->data() + offset);
    if (n > kMaxEntryBytes || offset + 4 + n > text->size()) break;  // torn tail
    offset += 4 + n;
    ++count;
  }
  return count;
}

Result<void> Spool::open_writer() {
  close_writer();
  const std::uint64_t number = segments_.empty() ? 1 : segments_.back().number + 1;
  Segment segment;
  segment.number = number;
  segment.path = (std::filesystem::path(dir_) / fmt::format("seg-{:020}.spool", number)).string();
  const int fd =
      ::open(segment.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return fail("{}: cannot create spool segment: {}", segment.path, errno_text());
  if (auto ok = write_all(fd, kMagic, segment.path); !ok) {
    ::close(fd);
    ::unlink(segment.path.c_str());
    return ok;
  }
  segment.bytes = kMagic.size();
  bytes_ += segment.bytes;
  segments_.push_back(std::move(segment));
  writer_fd_ = fd;
  return sync_dir(dir_);
}

void Spool::close_writer() {
  if (writer_fd_ >= 0) ::close(writer_fd_);
  writer_fd_ = -1;
}

Result<void> Spool::push(std::string_view id, std::string_view payload) {
  if (id.size() > 0xffff) return fail("spool: message id too long");
  const std::size_t plain_size = 2 + id.size() + payload.size();
  const std::uint64_t entry_size = 4 + kNonceBytes + plain_size + kTagBytes;
  if (entry_size > kMaxEntryBytes) return fail("spool: message of {} bytes too large", plain_size);
  const bool new_segment = writer_fd_ < 0 || segments_.back().bytes + entry_size > kSegmentBytes;
  const std::uint64_t needed = entry_size + (new_segment ? kMagic.size() : 0);
  if (bytes_ + needed > max_bytes_) {
    return fail(
        "spool {}: full ({} of {} bytes used, spool_max_mb={}): the central site has not acked "
        "for too long; this batch was not spooled and further records are refused until the "
        "spool drains",
        dir_, bytes_, max_bytes_, max_bytes_ >> 20);
  }
  if (new_segment) {
    if (auto ok = open_writer(); !ok) return ok;
  }

  std::string plain;
  plain.reserve(plain_size);
  plain.push_back(static_cast<char>(id.size() & 0xff));
  plain.push_back(static_cast<char>(id.size() >> 8));
  plain.append(id);
  plain.append(payload);
  std::string entry;
  entry.resize(4 + kNonceBytes + plain.size() + kTagBytes);
  entry.clear();
  put_u32(entry, static_cast<std::uint32_t>(kNonceBytes + plain.size() + kTagBytes));
  entry.resize(4 + kNonceBytes + plain.size() + kTagBytes);
  auto* nonce = reinterpret_cast<unsigned char*>(entry.data() + 4);
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long cipher_size = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &cipher_size, reinterpret_cast<const unsigned char*>(plain.data()),
      plain.size(), reinterpret_cast<const unsigned char*>(kAssociated.data()), kAssociated.size(),
      nullptr, nonce, key_.data());
  sodium_memzero(plain.data(), plain.size());

  Segment& segment = segments_.back();
  const auto written = write_all(writer_fd_, entry, segment.path);
  if (!written || ::fdatasync(writer_fd_) != 0) {
    // Cut a partial entry off so the segment stays readable; the batch stays with the caller.
    const std::string reason = written ? errno_text() : written.error().message;
    if (::ftruncate(writer_fd_, static_cast<off_t>(segment.bytes)) != 0) {
      // The torn tail is ignored on reading anyway.
    }
    close_writer();
    return fail("{}: cannot write to the spool: {}", segment.path, reason);
  }
  segment.bytes += entry.size();
  segment.entries += 1;
  bytes_ += entry.size();
  entries_ += 1;
  return {};
}

Result<void> Spool::load_front() {
  loaded_.clear();
  Segment& segment = segments_.front();
  // Entries are read once per segment: stop appending to it so what was read is all of it.
  if (segments_.size() == 1 && writer_fd_ >= 0) close_writer();
  auto text = read_file(segment.path, std::uint64_t{1} << 34);
  if (!text) return fail(text.error());
  std::size_t offset = kMagic.size();
  for (std::uint64_t i = 0; i < segment.entries; ++i) {
    const std::uint32_t n = read_u32(text->data() + offset);
    if (n < kNonceBytes + kTagBytes + 2 || offset + 4 + n > text->size()) {
      return fail("{}: spool entry at byte {} is malformed", segment.path, offset);
    }
    const auto* nonce = reinterpret_cast<const unsigned char*>(text->data() + offset + 4);
    const std::size_t cipher_size = n - kNonceBytes;
    std::string plain(cipher_size - kTagBytes, '\0');
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            reinterpret_cast<unsigned char*>(plain.data()), nullptr, nullptr, nonce + kNonceBytes,
            cipher_size, reinterpret_cast<const unsigned char*>(kAssociated.data()),
            kAssociated.size(), nonce, key_.data()) != 0) {
      return fail(
          "{}: spool entry at byte {} fails authentication (corrupt, or not this spool_key)",
          segment.path, offset);
    }
    const std::size_t id_size = static_cast<unsigned char>(plain[0]) |
                                static_cast<std::size_t>(static_cast<unsigned char>(plain[1])) << 8;
    if (2 + id_size > plain.size()) {
      return fail("{}: spool entry at byte {} is malformed", segment.path, offset);
    }
    loaded_.push_back(SpoolEntry{plain.substr(2, id_size), plain.substr(2 + id_size)});
    sodium_memzero(plain.data(), plain.size());
    offset += 4 + n;
  }
  front_loaded_ = true;
  return {};
}

Result<const SpoolEntry*> Spool::front() {
  while (entries_ > 0) {
    if (!front_loaded_) {
      if (auto ok = load_front(); !ok) return fail(ok.error());
    }
    if (!loaded_.empty()) return &loaded_.front();
    // A segment with nothing (left) in it.
    Segment& segment = segments_.front();
    ::unlink(segment.path.c_str());
    bytes_ -= segment.bytes;
    segments_.pop_front();
    front_loaded_ = false;
  }
  return nullptr;
}

Result<void> Spool::pop() {
  if (!front_loaded_ || loaded_.empty()) return fail("spool: pop() without front()");
  loaded_.pop_front();
  Segment& segment = segments_.front();
  segment.entries -= 1;
  entries_ -= 1;
  if (segment.entries > 0) return {};
  if (segments_.size() == 1 && writer_fd_ >= 0) close_writer();
  if (::unlink(segment.path.c_str()) != 0) {
    return fail("{}: cannot delete the drained spool segment: {}", segment.path, errno_text());
  }
  bytes_ -= segment.bytes;
  segments_.pop_front();
  front_loaded_ = false;
  return {};
}

}  // namespace mamori::transport
