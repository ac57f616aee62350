#pragma once
// server/console_sessions: the console's logins and the limiter in front of them.
//  - SessionTable: a login is a random 256-bit session id (libsodium randombytes, base64url
//    without padding), handed to the browser once in a cookie. The table keeps only a keyed
//    BLAKE2b digest of it (key random per table), so a memory dump of the table does not hold
//    usable session ids. Each session has its own random CSRF token (compared in constant
//    time) and a fixed expiry (login time + TTL). Expired sessions are forgotten when met.
//  - LoginLimiter: at most N login attempts per minute per client address and, separately,
//    per user name (a sliding window of attempt times); the answer to one attempt too many says
//    when to retry.
// Both are thread-safe (one mutex each) and take time from an injected Clock.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "mamori/core/time.h"
#include "mamori/governance/access.h"

namespace mamori::server {

struct Session {
  std::string user;
  governance::Role role = governance::Role::analyst;
  std::string csrf_token;
  Timestamp created_at;
  Timestamp expires_at;
};

// A new session as the client gets it: the id appears here and nowhere else.
struct NewSession {
  std::string id;
  Session session;
};

class SessionTable {
 public:
  SessionTable(const Clock& clock, Duration ttl);

  NewSession create(const std::string& user, governance::Role role);
  // The live session with this id, or none (unknown, malformed or expired).
  std::optional<Session> find(std::string_view id);
  // True when a session was forgotten.
  bool remove(std::string_view id);
  // Forgets every session of `user` (e.g. when the user was disabled).
  void remove_user(std::string_view user);
  // Live sessions now.
  std::size_t count();

  // True for a CSRF token equal (constant time) to the session's.
  static bool csrf_matches(const Session& session, std::string_view token);

 private:
  using Digest = std::array<unsigned char, 32>;
  std::optional<Digest> digest(std::string_view id) const;
  void forget_expired(Timestamp now);  // mutex held

  const Clock& clock_;
  Duration ttl_;
  std::array<unsigned char, 32> key_{};
  std::mutex mutex_;
  std::map<Digest, Session> sessions_;
};

class LoginLimiter {
 public:
  LoginLimiter(const Clock& clock, int attempts_per_minute);

  // Counts one attempt by `address` for `user`. Allowed: none. Over the limit (by address or
  // by user name): the seconds until an attempt would be allowed again (at least 1); a refused
  // attempt is not counted, so hammering does not extend the wait.
  std::optional<std::int64_t> attempt(std::string_view address, std::string_view user);

 private:
  using Window = std::deque<Timestamp>;
  std::optional<std::int64_t> wait_for(Window& window, Timestamp now) const;
  void prune(Timestamp now);  // mutex held

  const Clock& clock_;
  std::size_t limit_;
  std::mutex mutex_;
  std::map<std::string, Window, std::less<>> by_address_;
  std::map<std::string, Window, std::less<>> by_user_;
  std::size_t calls_since_prune_ = 0;
};

// 32 random bytes as base64url without padding (43 characters).
std::string random_token();

}  // namespace mamori::server
