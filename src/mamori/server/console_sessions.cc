#include "mamori/server/console_sessions.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

namespace mamori::server {
namespace {

constexpr Duration kMinute = Duration::seconds(60);
constexpr std::size_t kTokenBytes = 32;
// base64url of 32 bytes without padding.
constexpr std::size_t kTokenChars = 43;

void init_sodium() {
  // sodium_init is idempotent and thread-safe; failure leaves no safe randomness.
  if (sodium_init() < 0) std::abort();
}

}  // namespace

std::string random_token() {
  init_sodium();
  std::array<unsigned char, kTokenBytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)>
      text{};
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(bytes.data(), bytes.size());
  return text.data();
}

SessionTable::SessionTable(const Clock& clock, Duration ttl) : clock_(clock), ttl_(ttl) {
  init_sodium();
  randombytes_buf(key_.data(), key_.size());
}

std::optional<SessionTable::Digest> SessionTable::digest(std::string_view id) const {
  // Only ids of the form this table hands out are looked up.
  if (id.size() != kTokenChars) return std::nullopt;
  const bool url_safe = std::ranges::all_of(id, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
  if (!url_safe) return std::nullopt;
  Digest out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(id.data()),
                     id.size(), key_.data(), key_.size());
  return out;
}

void SessionTable::forget_expired(Timestamp now) {
  std::erase_if(sessions_, [now](const auto& entry) { return entry.second.expires_at <= now; });
}

NewSession SessionTable::create(const std::string& user, governance::Role role) {
  const Timestamp now = clock_.now();
  NewSession created;
  created.id = random_token();
  created.session.user = user;
  created.session.role = role;
  created.session.csrf_token = random_token();
  created.session.created_at = now;
  created.session.expires_at = now + ttl_;
  const Digest key = *digest(created.id);
  std::lock_guard lock(mutex_);
  forget_expired(now);
  sessions_[key] = created.session;
  return created;
}

std::optional<Session> SessionTable::find(std::string_view id) {
  const auto key = digest(id);
  if (!key) return std::nullopt;
  const Timestamp now = clock_.now();
  std::lock_guard lock(mutex_);
  const auto found = sessions_.find(*key);
  if (found == sessions_.end()) return std::nullopt;
  if (found->second.expires_at <= now) {
    sessions_.erase(found);
    return std::nullopt;
  }
  return found->second;
}

bool SessionTable::remove(std::string_view id) {
  const auto key = digest(id);
  if (!key) return false;
  std::lock_guard lock(mutex_);
  return sessions_.erase(*key) > 0;
}

void SessionTable::remove_user(std::string_view user) {
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [user](const auto& entry) { return entry.second.user == user; });
}

std::size_t SessionTable::count() {
  const Timestamp now = clock_.now();
  std::lock_guard lock(mutex_);
  forget_expired(now);
  return sessions_.size();
}

bool SessionTable::csrf_matches(const Session& session, std::string_view token) {
  if (token.size() != session.csrf_token.size() || token.empty()) return false;
  return sodium_memcmp(token.data(), session.csrf_token.data(), token.size()) == 0;
}

LoginLimiter::LoginLimiter(const Clock& clock, int attempts_per_minute)
    : clock_(clock), limit_(static_cast<std::size_t>(std::max(attempts_per_minute, 1))) {}

std::optional<std::int64_t> LoginLimiter::wait_for(Window& window, Timestamp now) const {
  while (!window.empty() && window.front() + kMinute <= now) window.pop_front();
  if (window.size() < limit_) return std::nullopt;
  // The oldest attempt in the window leaves it at front + 1 minute.
  const Duration left = (window.front() + kMinute) - now;
  const std::int64_t seconds = (left.nanos + 999'999'999) / 1'000'000'000;
  return std::max<std::int64_t>(seconds, 1);
}

void LoginLimiter::prune(Timestamp now) {
  for (auto* table : {&by_address_, &by_user_}) {
    std::erase_if(*table, [now](auto& entry) {
      return entry.second.empty() || entry.second.back() + kMinute <= now;
    });
  }
}

std::optional<std::int64_t> LoginLimiter::attempt(std::string_view address, std::string_view user) {
  const Timestamp now = clock_.now();
  std::lock_guard lock(mutex_);
  // Windows of names and addresses that stopped trying are dropped now and then, so that a
  // spray of distinct names cannot grow the tables without bound for long.
  if (++calls_since_prune_ >= 1024) {
    prune(now);
    calls_since_prune_ = 0;
  }
  auto address_window = by_address_.find(address);
  if (address_window == by_address_.end()) {
    address_window = by_address_.emplace(std::string(address), Window{}).first;
  }
  auto user_window = by_user_.find(user);
  if (user_window == by_user_.end()) {
    user_window = by_user_.emplace(std::string(user), Window{}).first;
  }
  const auto by_address = wait_for(address_window->second, now);
  const auto by_user = wait_for(user_window->second, now);
  if (by_address || by_user) return std::max(by_address.value_or(0), by_user.value_or(0));
  address_window->second.push_back(now);
  user_window->second.push_back(now);
  return std::nullopt;
}

}  // namespace mamori::server
