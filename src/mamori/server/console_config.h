#pragma once
// server/console_config: the [console] section of mamori.toml — where mamorid serves the web
// console and its JSON API (issue 8; the API contract is console_server.h). Paths are relative
// to the configuration file.
//   [console]
//   address = "127.0.0.1"                 # loopback unless deliberately exposed
//   port = 8443                           # 0: an ephemeral port (tests)
//   certificate = "tls/console.crt"       # PEM; made (self-signed) on first start when neither
//   private_key = "tls/console.key"       # it nor the key exists (ensure_console_certificate)
//   static_dir = "web/dist"               # the built web console
//   session_ttl_minutes = 480             # a login lasts this long (1..10080)
//   max_body_bytes = 1048576              # larger request bodies get 413
//   login_attempts_per_minute = 5         # per client address and per user name; then 429
//   threads = 16                          # requests handled at once (1..1024); open
//                                         # connections are not limited by it

#include <cstddef>
#include <string>
#include <string_view>

#include "mamori/core/config.h"
#include "mamori/core/error.h"

namespace mamori::server {

struct ConsoleConfig {
  std::string address = "127.0.0.1";
  int port = 8443;
  std::string certificate = {};
  std::string private_key = {};
  std::string static_dir = {};
  int session_ttl_minutes = 480;
  std::size_t max_body_bytes = std::size_t{1} << 20;
  int login_attempts_per_minute = 5;
  int threads = 16;
};

// True when the file has a [console] section (mamorid then serves the console).
bool has_console_section(const ConfigFile& file);
// True when the file has a section (table) of this name, e.g. "taxii".
bool has_section(const ConfigFile& file, std::string_view name);

// Reads the [console] section (required). Errors name FILE:LINE and the key
// ("mamori.toml:12: key 'console.port': …"), all at once.
Result<ConsoleConfig> load_console_config(const ConfigFile& file);

// What load_console_config checks beyond types, for configs built in code (tests).
Result<void> check_console_config(const ConsoleConfig& config);

// Makes a self-signed certificate for the console when neither the certificate nor the private
// key exists (creating their directories), for the configured address plus localhost, 127.0.0.1
// and ::1. Returns true when it made one. One of the two files without the other is an error:
// a half-present pair is never silently replaced.
Result<bool> ensure_console_certificate(const ConsoleConfig& config);

}  // namespace mamori::server
